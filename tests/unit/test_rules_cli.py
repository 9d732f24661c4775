"""``qunmi parse``: one message as JSON or a readable table, and JSONL batches."""

from __future__ import annotations

import json
from pathlib import Path

import typer
from typer.testing import CliRunner

from assistant.cli import parsecmd

NOW = "2026-11-25T10:00:00+08:00"


def _app() -> typer.Typer:
    app = typer.Typer()
    eval_app = typer.Typer()
    app.add_typer(eval_app, name="eval")
    parsecmd.register(app, eval_app)

    @app.command("noop")
    def noop() -> None:  # a second command keeps "parse" a named subcommand
        """Nothing."""

    return app


def _run(*args: str) -> tuple[int, str, str]:
    result = CliRunner().invoke(_app(), list(args))
    return result.exit_code, result.stdout, result.stderr


def test_parse_json_with_aliases() -> None:
    code, out, _ = _run(
        "parse",
        "@小王 周五前把登录页设计稿出了",
        "--now",
        NOW,
        "--sender",
        "张三",
        "--members",
        "张三,李四,王磊:小王/王工",
        "--json",
    )
    assert code == 0
    payload = json.loads(out)
    assert payload == {
        "actions": [
            {
                "tool": "create_task",
                "args": {
                    "title": "出登录页设计稿",
                    "assignee": "王磊",
                    "due": "2026-11-27T18:00:00+08:00",
                },
            }
        ]
    }


def test_parse_readable_output() -> None:
    code, out, _ = _run("parse", "明天开个会讨论首页改版", "--now", NOW, "--sender", "张三")
    assert code == 0
    assert "create_meeting" in out
    assert "首页改版" in out


def test_parse_no_action_json() -> None:
    code, out, _ = _run("parse", "谢谢大家", "--now", NOW, "--json")
    assert code == 0
    assert json.loads(out) == {"actions": []}


def test_parse_rejects_naive_now() -> None:
    code, _, _ = _run("parse", "明天开会", "--now", "2026-11-25T10:00:00", "--json")
    assert code != 0


def test_batch_reads_lines_and_reports_bad_ones(tmp_path: Path) -> None:
    rows = [
        {
            "id": "a",
            "text": "明天开个会讨论首页改版",
            "now": NOW,
            "sender": "张三",
            "members": ["张三"],
        },
        "this is not json",
        {
            "id": "c",
            "text": "@王工 周五前把服务器迁移完",
            "now": NOW,
            "sender": "张三",
            "members": {"王磊": ["小王", "王工"]},
        },
        {"id": "d", "now": NOW},
        {"id": "e", "text": "谢谢", "now": NOW, "sender": "张三", "members": []},
    ]
    path = tmp_path / "in.jsonl"
    path.write_text(
        "\n".join(r if isinstance(r, str) else json.dumps(r, ensure_ascii=False) for r in rows),
        encoding="utf-8",
    )
    code, out, err = _run("parse", "--batch", str(path))
    assert code == 0
    lines = [json.loads(line) for line in out.splitlines()]
    assert [line["id"] for line in lines] == ["a", "c", "e"]
    assert lines[0]["actions"][0]["tool"] == "create_meeting"
    assert lines[1]["actions"][0]["args"]["assignee"] == "王磊"
    assert lines[2]["actions"] == []
    assert "第 2 行" in err and "第 4 行" in err


def test_batch_missing_file_exits_2(tmp_path: Path) -> None:
    code, out, err = _run("parse", "--batch", str(tmp_path / "missing.jsonl"))
    assert code == 2
    assert "找不到文件" in err
    assert "Traceback" not in out + err


def test_parse_members_syntax() -> None:
    assert parsecmd.parse_members("王磊:小王/王工, 李四，赵敏：小赵") == {
        "王磊": ["小王", "王工"],
        "李四": [],
        "赵敏": ["小赵"],
    }
    assert parsecmd.parse_members(None) == {}
