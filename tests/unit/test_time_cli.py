"""``qunmi time`` and ``qunmi eval time`` in-process: lunar dates, estimates and the per-kind table."""

from __future__ import annotations

import json
from pathlib import Path

from typer.testing import CliRunner

from assistant.cli import app
from assistant.timeparse.lunar import lunar_to_solar

runner = CliRunner()
NOW = "2026-12-01T10:00:00+08:00"


def test_time_reads_lunar_dates_and_public_holiday_edges() -> None:
    result = runner.invoke(
        app, ["time", "农历三月初八下午3点开会，春节前交报告", "--now", NOW, "--json"]
    )
    assert result.exit_code == 0, result.output
    matches = json.loads(result.output)["matches"]
    day = lunar_to_solar(2027, 3, 8)
    assert day is not None
    assert [m["text"] for m in matches] == ["农历三月初八下午3点", "春节前"]
    assert matches[0]["value"] == f"{day.isoformat()}T15:00:00+08:00"
    assert matches[1]["deadline"] is True and matches[1]["value"].endswith("18:00:00+08:00")


def test_time_marks_estimated_lengths() -> None:
    result = runner.invoke(app, ["time", "大概一个多月", "--now", NOW])
    assert result.exit_code == 0
    assert "约 2592000 秒" in result.output


def test_eval_time_prints_the_per_kind_table(tmp_path: Path) -> None:
    row = {
        "text": "春节",
        "expected": {"type": "value", "value": "2014-01-31T00:00:00.000-02:00", "grain": "day"},
    }
    (tmp_path / "duckling_zh_time.jsonl").write_text(json.dumps(row, ensure_ascii=False) + "\n")
    result = runner.invoke(app, ["eval", "time", "--corpora", str(tmp_path)])
    assert result.exit_code == 0, result.output
    assert "按表达类型" in result.output and "lunar" in result.output
