"""``qunmi time``: read the time expressions of a text; ``qunmi eval time``: score the corpora."""

from __future__ import annotations

import json
from datetime import datetime
from pathlib import Path
from typing import Annotated, Any

import typer

from assistant.cli.batch import parse_now

__all__ = ["register"]


def _run_batch(path: Path) -> int:
    from assistant.cli.batch import run_batch
    from assistant.timeparse import parse_times

    def handle(row: dict[str, Any], text: str, now: datetime) -> dict[str, Any]:
        return {"matches": [m.to_json() for m in parse_times(text, now)]}

    return run_batch(path, handle)


def register(app: typer.Typer, eval_app: typer.Typer) -> None:
    @app.command("time")
    def time_cmd(
        text: Annotated[str | None, typer.Argument(help="要解析的文字")] = None,
        now: Annotated[
            str | None,
            typer.Option("--now", help="参考时间（ISO 8601，带偏移）；默认为设置时区的当前时间"),
        ] = None,
        as_json: Annotated[bool, typer.Option("--json", help="输出 JSON")] = False,
        batch: Annotated[
            Path | None,
            typer.Option("--batch", help='JSONL 文件，每行 {"id","text","now"}'),
        ] = None,
    ) -> None:
        """解析文字中的时间表达（明天下午3点、周五前、下周一到周三……）。"""
        if batch is not None:
            raise typer.Exit(_run_batch(batch))
        if text is None:
            typer.echo("请给出要解析的文字，或使用 --batch 文件。", err=True)
            raise typer.Exit(2)
        from assistant.timeparse import parse_durations, parse_times

        reference = parse_now(now)
        matches = parse_times(text, reference)
        if as_json:
            typer.echo(json.dumps({"matches": [m.to_json() for m in matches]}, ensure_ascii=False))
            return
        from rich.console import Console
        from rich.table import Table

        table = Table(title=f"参考时间 {reference.isoformat()}")
        for col in ("文字", "位置", "类型", "时间", "粒度", "截止"):
            table.add_column(col)
        for m in matches:
            when = (
                m.value.isoformat()
                if m.value is not None
                else f"{m.from_.isoformat() if m.from_ else ''} → {m.to.isoformat() if m.to else ''}"
            )
            kind = "时间点" if m.type == "point" else "区间"
            table.add_row(
                m.text, f"{m.start}-{m.end}", kind, when, m.grain, "是" if m.deadline else ""
            )
        for d in parse_durations(text):
            length = f"{'约 ' if d.approx else ''}{d.seconds} 秒"
            table.add_row(d.text, f"{d.start}-{d.end}", "时长", length, d.unit, "")
        Console().print(table)
        if not matches:
            typer.echo("没有找到时间表达。")

    @eval_app.command("time")
    def eval_time_cmd(
        corpora: Annotated[
            Path | None,
            typer.Option("--corpora", help="语料目录，默认为仓库旁的 ../shared/corpora"),
        ] = None,
        check_floors: Annotated[
            bool, typer.Option("--check-floors", help="低于 evals/floors/time.json 时退出码为 1")
        ] = False,
        show_failures: Annotated[
            int, typer.Option("--show-failures", help="每个语料列出前 N 个失败用例")
        ] = 0,
    ) -> None:
        """在 Duckling 与 Recognizers-Text 中文时间语料上评测时间解析（按类别与按表达类型各一张表）。"""
        from evals.time_corpora import run

        raise typer.Exit(run(corpora, check_floors=check_floors, show_failures=show_failures))
