"""The ``qunmi`` CLI, in-process through typer's runner, on a real SQLite file."""

from __future__ import annotations

import json
from pathlib import Path

import pytest
from typer.testing import CliRunner

from assistant.cli import app

runner = CliRunner()


@pytest.fixture(autouse=True)
def _data_dir(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("QUNMI_DATA_DIR", str(tmp_path / "data"))
    monkeypatch.delenv("QUNMI_DATABASE_URL", raising=False)
    monkeypatch.setenv("QUNMI_ENGINE", "rules")
    monkeypatch.chdir(tmp_path)


def run(*args: str) -> tuple[int, str]:
    result = runner.invoke(app, list(args))
    return result.exit_code, result.output


def test_team_tasks_and_undo_from_the_cli() -> None:
    assert run("members", "add", "张三", "--alias", "老张", "--role", "pm")[0] == 0
    assert run("members", "add", "王磊", "--alias", "小王")[0] == 0
    code, out = run("members", "add", "王五", "--alias", "小王")
    assert code == 1 and "小王" in out
    code, out = run(
        "projects", "create", "官网改版", "--as", "张三", "--owner", "老张", "--member", "小王"
    )
    assert code == 0 and "官网改版" in out
    code, out = run(
        "tasks",
        "create",
        "出登录页设计稿",
        "--as",
        "张三",
        "--assignee",
        "小王",
        "--due",
        "2030-11-27T18:00",
        "--json",
    )
    assert code == 0
    created = json.loads(out)
    assert (
        created["record"]["assignee"] == "王磊"
        and created["record"]["due"] == "2030-11-27T18:00:00+08:00"
    )
    code, out = run("tasks", "update", "登录页", "--as", "王磊", "--status", "done")
    assert code == 0 and "已完成" in out
    code, out = run("tasks", "list", "--all", "--json")
    assert [t["status"] for t in json.loads(out)] == ["done"]
    code, out = run("audit", "list", "--json")
    entries = json.loads(out)
    assert [e["tool"] for e in entries] == ["update_task", "create_task", "create_project"]
    code, out = run("audit", "undo", str(entries[0]["id"]), "--as", "王磊")
    assert code == 0 and "撤销" in out
    code, out = run("tasks", "list", "--json")
    assert [t["status"] for t in json.loads(out)] == ["todo"]


@pytest.mark.parametrize(
    ("args", "needle"),
    [
        (("tasks", "create", "x", "--as", "张三", "--due", "随便哪天"), "看不懂"),
        (("say", "你好", "--sender", "我"), "不是名字"),
        (("tasks", "create", "x", "--as", "没这个人"), "操作人"),
        (("tasks", "create", "x", "--as", "张三", "--priority", "huge"), "优先级"),
        (("members", "add", "x", "--role", "boss"), "角色"),
    ],
)
def test_bad_input_is_a_message_not_a_traceback(args: tuple[str, ...], needle: str) -> None:
    run("members", "add", "张三", "--role", "pm")
    code, out = run(*args)
    assert code != 0
    assert needle in out
    assert "Traceback" not in out


def test_due_reads_chinese_and_dates_end_at_the_workday_end() -> None:
    run("members", "add", "张三", "--role", "pm")
    now = "2030-11-20T10:00:00+08:00"  # a Wednesday
    code, out = run(
        "tasks", "create", "交报价", "--as", "张三", "--due", "周五前", "--now", now, "--json"
    )
    assert code == 0 and json.loads(out)["record"]["due"] == "2030-11-22T18:00:00+08:00"
    code, out = run("tasks", "create", "出合同", "--as", "张三", "--due", "2030-11-25", "--json")
    assert code == 0 and json.loads(out)["record"]["due"] == "2030-11-25T18:00:00+08:00"


def test_say_without_sender_and_all_hands_in_a_cli_room(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("QUNMI_CLI_SENDER", "张三")
    run("members", "add", "张三", "--role", "pm")
    run("members", "add", "王磊", "--alias", "小王")
    run("members", "add", "李四")
    code, out = run("say", "2030年11月21日下午3点全员开会", "--json")
    assert code == 0, out
    outcome = json.loads(out)
    (action,) = outcome["results"]
    assert action["ok"] is True
    # nobody but 张三 has spoken in this room; 全员 is still the whole team
    assert set(action["record"]["attendees"]) == {"张三", "王磊", "李四"}
    code, out = run("members", "list", "--json")
    assert "我" not in [m["display_name"] for m in json.loads(out)]
