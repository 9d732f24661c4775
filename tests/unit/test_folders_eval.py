"""``qunmi eval folders``: the figures it prints follow from what the classifier chose, bad
case files are refused in Chinese, and the shipped dev set loads and is scored."""

from __future__ import annotations

import json
from pathlib import Path

from typer.testing import CliRunner

from assistant.cli import app
from assistant.files import FOLDERS, classify_folder
from evals import folders_eval as fe


def _write(path: Path, rows: list[dict[str, str]]) -> Path:
    path.write_text("\n".join(json.dumps(r, ensure_ascii=False) for r in rows) + "\n", "utf-8")
    return path


def test_figures_follow_from_the_choices(tmp_path: Path) -> None:
    rows = [
        {"id": "a", "name": "a.txt", "text": "", "folder": "需求文档"},
        {"id": "b", "name": "b.txt", "text": "", "folder": "需求文档"},
        {"id": "c", "name": "c.txt", "text": "", "folder": "合同"},
        {"id": "d", "name": "d.txt", "text": "", "folder": "其他"},
    ]
    cases = fe.load_cases(_write(tmp_path / "cases.jsonl", rows))
    # A classifier that puts a and c in 需求文档 and everything else in 其他.
    chosen = {"a.txt": "需求文档", "c.txt": "需求文档"}
    report = fe.evaluate(cases, lambda name, text: chosen.get(name, "其他"))
    assert report.cases == 4
    assert report.accuracy == 0.5  # a and d
    assert report.recall("需求文档") == 0.5 and report.precision("需求文档") == 0.5
    assert report.recall("合同") == 0.0 and report.precision("合同") is None
    assert report.recall("设计稿") is None  # no case: no figure, not 0 or 100 %
    assert report.confusion["合同"]["需求文档"] == 1 and report.confusion["需求文档"]["其他"] == 1
    assert [o.case.id for o in report.failures()] == ["b", "c"]
    assert set(report.confusion) == set(FOLDERS)


def test_cli_prints_the_tables_and_json_agrees_with_the_classifier(tmp_path: Path) -> None:
    runner = CliRunner()
    table = runner.invoke(app, ["eval", "folders", str(fe.DEFAULT_CASES), "--show-failures", "5"])
    assert table.exit_code == 0, table.output
    assert "准确率" in table.output and "混淆表" in table.output and "按文件夹" in table.output
    out = runner.invoke(app, ["eval", "folders", str(fe.DEFAULT_CASES), "--json"])
    assert out.exit_code == 0, out.output
    payload = json.loads(out.stdout)
    cases = fe.load_cases(fe.DEFAULT_CASES)
    right = sum(classify_folder(c.name, c.text or None) == c.folder for c in cases)
    assert payload["cases"] == len(cases) >= 60
    assert payload["accuracy"] == round(right / len(cases), 4)
    diagonal = sum(payload["confusion"][f][f] for f in FOLDERS)
    assert diagonal == right
    assert {f: payload["per_folder"][f]["support"] for f in FOLDERS} == {
        f: sum(c.folder == f for c in cases) for f in FOLDERS
    }


def test_bad_case_files_are_refused_in_chinese(tmp_path: Path) -> None:
    runner = CliRunner()
    missing = runner.invoke(app, ["eval", "folders", str(tmp_path / "nope.jsonl")])
    assert missing.exit_code == 2 and "读不了用例文件" in missing.stderr
    wrong = _write(tmp_path / "wrong.jsonl", [{"id": "x", "name": "a.pdf", "folder": "杂物"}])
    refused = runner.invoke(app, ["eval", "folders", str(wrong)])
    assert refused.exit_code == 2 and "第 1 行" in refused.stderr and "杂物" in refused.stderr
    broken = tmp_path / "broken.jsonl"
    broken.write_text('{"id": "x", "name": "a.pdf", "folder": "合同"}\n{not json\n', "utf-8")
    refused = runner.invoke(app, ["eval", "folders", str(broken)])
    assert refused.exit_code == 2 and "第 2 行不是合法的 JSON" in refused.stderr
    dup = _write(
        tmp_path / "dup.jsonl",
        [
            {"id": "x", "name": "a.pdf", "folder": "合同"},
            {"id": "x", "name": "b", "folder": "其他"},
        ],
    )
    refused = runner.invoke(app, ["eval", "folders", str(dup)])
    assert refused.exit_code == 2 and "重复" in refused.stderr
