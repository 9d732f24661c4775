"""Shared by ``qunmi parse`` and ``qunmi time``: ``--now`` and JSON Lines batches for the CLI (``qunmi parse --batch``, ``qunmi time --batch``): one process
for thousands of lines; a bad line is reported on stderr with its number and the rest goes on."""

from __future__ import annotations

import json
import sys
from collections.abc import Callable
from datetime import datetime
from pathlib import Path
from typing import Any

import typer

__all__ = ["parse_now", "run_batch"]


def run_batch(path: Path, handle: Callable[[dict[str, Any], str, datetime], dict[str, Any]]) -> int:
    """Call ``handle(row, text, now)`` for each line ``{"id", "text", "now", ...}`` and write
    ``{"id", **result}`` lines to stdout. Returns the exit code (2: no such file)."""
    if not path.is_file():
        typer.echo(f"找不到文件：{path}", err=True)
        return 2
    out = sys.stdout
    with path.open(encoding="utf-8", errors="replace") as fh:
        for lineno, line in enumerate(fh, start=1):
            if not line.strip():
                continue
            try:
                row = json.loads(line)
                if not isinstance(row, dict):
                    raise ValueError("每行应是一个 JSON 对象")
                text = row["text"]
                if not isinstance(text, str):
                    raise ValueError("text 应是字符串")
                now = datetime.fromisoformat(str(row["now"]))
                if now.tzinfo is None:
                    raise ValueError("now 需要带时区偏移")
                result = handle(row, text, now)
            except (ValueError, KeyError, TypeError) as exc:
                what = f"缺少字段 {exc}" if isinstance(exc, KeyError) else str(exc)
                typer.echo(f"第 {lineno} 行出错：{what}", err=True)
                continue
            out.write(json.dumps({"id": row.get("id"), **result}, ensure_ascii=False) + "\n")
    out.flush()
    return 0


def parse_now(raw: str | None) -> datetime:
    """``--now``: ISO 8601 with an offset (the offset is the reading's timezone); by default the
    current time in the settings' timezone."""
    if raw is None:
        from assistant.settings import Settings

        return datetime.now(Settings().tz).replace(microsecond=0)
    try:
        now = datetime.fromisoformat(raw)
    except ValueError as exc:
        raise typer.BadParameter(f"--now 不是 ISO 8601 时间：{raw}") from exc
    if now.tzinfo is None:
        raise typer.BadParameter("--now 需要带时区偏移，例如 2026-11-25T10:00:00+08:00")
    return now
