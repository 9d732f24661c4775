"""``qunmi eval folders FILE.jsonl``: accuracy of the folder classifier, overall and per
folder, and its confusion table."""

from __future__ import annotations

import json
from pathlib import Path
from typing import TYPE_CHECKING, Annotated

import typer

if TYPE_CHECKING:
    from evals.folders_eval import FolderReport


def _pct(value: float | None) -> str:
    return "—" if value is None else f"{value * 100:.1f}%"


def _print(report: FolderReport, cases_file: Path, show_failures: int) -> None:
    from rich.console import Console
    from rich.table import Table

    console = Console()
    console.print(
        f"[bold]文件夹归类评测[/bold]  用例 {cases_file}（{report.cases} 条）  "
        f"准确率 {_pct(report.accuracy)}  各文件夹平均召回 {_pct(report.macro_recall())}"
    )
    per = Table(title="按文件夹")
    for column in ("文件夹", "用例数", "召回（分对的比例）", "精确率"):
        per.add_column(column, justify="left" if column == "文件夹" else "right")
    for folder in report.folders:
        per.add_row(
            folder,
            str(report.support(folder)),
            _pct(report.recall(folder)),
            _pct(report.precision(folder)),
        )
    console.print(per)
    table = Table(title="混淆表（行：应在的文件夹；列：分到的文件夹）")
    table.add_column("应在 \\ 分到")
    for folder in report.folders:
        table.add_column(folder, justify="right")
    for gold in report.folders:
        row = report.confusion[gold]
        table.add_row(
            gold,
            *(
                f"[bold]{row[p]}[/bold]" if p == gold else (str(row[p]) if row[p] else "·")
                for p in report.folders
            ),
        )
    console.print(table)
    if show_failures:
        for outcome in report.failures()[:show_failures]:
            console.print(
                f"✗ {outcome.case.id} {outcome.case.name}：应在「{outcome.case.folder}」，"
                f"分到「{outcome.predicted}」",
                markup=False,
            )


def register(app: typer.Typer, eval_app: typer.Typer) -> None:
    del app

    @eval_app.command("folders")
    def folders_eval(
        cases: Annotated[
            Path | None,
            typer.Argument(help="用例文件（JSONL，每行 id / name / text / folder）"),
        ] = None,
        show_failures: Annotated[
            int, typer.Option("--show-failures", min=0, help="打印前 N 条分错的用例")
        ] = 0,
        as_json: Annotated[bool, typer.Option("--json", help="以 JSON 输出结果")] = False,
    ) -> None:
        """文件夹归类评测：按文件名和内容自动归类的准确率（总体、按文件夹）和混淆表。"""
        from evals import folders_eval as fe

        cases_file = cases or fe.DEFAULT_CASES
        try:
            loaded = fe.load_cases(cases_file)
        except OSError as exc:
            typer.echo(f"读不了用例文件 {cases_file}：{exc.strerror or exc}", err=True)
            raise typer.Exit(2) from exc
        except ValueError as exc:
            typer.echo(f"用例文件 {cases_file} 有问题：{exc}", err=True)
            raise typer.Exit(2) from exc
        report = fe.evaluate(loaded)
        if as_json:
            payload = {"cases_file": str(cases_file), **report.to_json()}
            typer.echo(json.dumps(payload, ensure_ascii=False, indent=2))
        else:
            _print(report, cases_file, show_failures)
