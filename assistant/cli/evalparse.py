"""``qunmi eval parse``: score an engine on the hand-written gold set of chat messages."""

from __future__ import annotations

import json
from pathlib import Path
from typing import TYPE_CHECKING, Annotated, Literal

import typer

if TYPE_CHECKING:
    from evals.parse_eval import CaseResult, Report


def _pct(value: float) -> str:
    return f"{value * 100:.1f}%"


def _print_report(report: Report, *, engine: str, cases_file: Path) -> None:
    from rich.console import Console
    from rich.table import Table

    console = Console()
    console.print(f"[bold]解析评测[/bold]  引擎 {engine}  用例 {cases_file}（{report.cases} 条）")

    head = Table(title="总体", show_header=True)
    head.add_column("指标")
    head.add_column("数值", justify="right")
    head.add_row("动作 precision", _pct(report.action_precision))
    head.add_row("动作 recall", _pct(report.action_recall))
    head.add_row("动作 F1", _pct(report.action_f1))
    head.add_row("消息完全正确 (exact match)", _pct(report.exact_match))
    head.add_row(
        f"无动作消息正确率（{report.no_action_cases} 条）", _pct(report.no_action_accuracy)
    )
    head.add_row(
        "动作数 期望 / 预测 / 匹配",
        f"{report.expected_actions} / {report.predicted_actions} / {report.matched_actions}",
    )
    head.add_row(
        "延迟 p50 / p99（毫秒/条）", f"{report.latency_p50_ms:.1f} / {report.latency_p99_ms:.1f}"
    )
    head.add_row("引擎报错的消息", str(report.errors))
    head.add_row("不合词表的调用", str(report.invalid_calls))
    if report.tokens_per_message is not None:
        head.add_row("平均 token / 条（服务端报告）", f"{report.tokens_per_message:.0f}")
    if report.routes:
        head.add_row("路由", "，".join(f"{k} {v}" for k, v in sorted(report.routes.items())))
    console.print(head)

    fields = Table(title="字段正确率（已匹配的动作）")
    fields.add_column("字段")
    fields.add_column("正确 / 总数", justify="right")
    fields.add_column("正确率", justify="right")
    for name, (correct, total) in sorted(report.field_accuracy.items()):
        fields.add_row(name, f"{correct} / {total}", _pct(correct / total if total else 1.0))
    console.print(fields)

    tools = Table(title="按工具")
    tools.add_column("工具")
    tools.add_column("期望/预测/匹配", justify="right")
    tools.add_column("动作 F1", justify="right")
    tools.add_column("用例", justify="right")
    tools.add_column("完全正确", justify="right")
    tools.add_column("字段全对", justify="right")
    tools.add_column("无动作误报", justify="right")
    for trow in report.tools:
        tools.add_row(
            trow.tool,
            f"{trow.expected} / {trow.predicted} / {trow.matched}",
            _pct(trow.action_f1),
            str(trow.cases),
            _pct(trow.exact_match) if trow.cases else "—",
            _pct(trow.all_fields_correct) if trow.matched else "—",
            str(trow.invented_on_no_action),
        )
    console.print(tools)

    per_tool_fields = Table(title="按工具的字段正确率（已匹配的动作）")
    per_tool_fields.add_column("工具.字段")
    per_tool_fields.add_column("正确 / 总数", justify="right")
    per_tool_fields.add_column("正确率", justify="right")
    for name, (correct, total) in sorted(report.tool_field_accuracy.items()):
        per_tool_fields.add_row(
            name, f"{correct} / {total}", _pct(correct / total if total else 1.0)
        )
    console.print(per_tool_fields)

    tags = Table(title="按标签")
    tags.add_column("标签")
    tags.add_column("条数", justify="right")
    tags.add_column("完全正确", justify="right")
    tags.add_column("动作 F1", justify="right")
    for row in report.tags:
        f1 = "—" if row.action_f1 is None else _pct(row.action_f1)
        tags.add_row(row.tag, str(row.cases), _pct(row.exact_match), f1)
    console.print(tags)


def _print_failures(results: list[CaseResult], limit: int) -> None:
    from rich.console import Console

    console = Console()
    failures = [r for r in results if not r.exact]
    if not failures:
        console.print("没有失败的用例。")
        return
    console.print(
        f"[bold]失败用例[/bold]（共 {len(failures)} 条，显示前 {min(limit, len(failures))} 条）"
    )
    for result in failures[:limit]:
        case = result.case
        console.print(
            f"\n[bold]{case.id}[/bold]  {case.now.isoformat()}  {case.sender}：{case.text}",
            markup=False,
        )
        if result.error:
            console.print(f"  引擎报错：{result.error}", markup=False)
        console.print(
            "  期望："
            + json.dumps([c.to_dict() for c in case.expected], ensure_ascii=False, default=str),
            markup=False,
        )
        console.print(
            "  实际："
            + json.dumps([c.to_dict() for c in result.predicted], ensure_ascii=False, default=str),
            markup=False,
        )
        wrong = [
            f"{pair.expected.tool}.{name}"
            for pair in result.pairs
            for name, ok in pair.fields.items()
            if not ok
        ]
        if wrong:
            console.print("  字段不对：" + "、".join(wrong), markup=False)
        if result.fn or result.fp:
            console.print(f"  漏掉 {result.fn} 个动作，多出 {result.fp} 个动作", markup=False)


def register(app: typer.Typer, eval_app: typer.Typer) -> None:
    del app

    @eval_app.command("parse")
    def parse_eval(
        cases: Annotated[
            Path | None, typer.Option("--cases", help="金标准用例文件（JSONL）")
        ] = None,
        engine: Annotated[
            Literal["rules", "llm", "hybrid"], typer.Option("--engine", help="要评测的引擎")
        ] = "rules",
        show_failures: Annotated[
            int, typer.Option("--show-failures", min=0, help="打印前 N 条失败用例")
        ] = 0,
        check_floors: Annotated[
            bool,
            typer.Option(
                "--check-floors", help="对照 evals/floors/parse.json，低于下限时退出码为 1"
            ),
        ] = False,
        floors: Annotated[
            Path | None, typer.Option("--floors", help="下限文件（默认 evals/floors/parse.json）")
        ] = None,
        as_json: Annotated[bool, typer.Option("--json", help="以 JSON 输出结果")] = False,
    ) -> None:
        """解析评测：引擎对金标准消息给出的工具调用的准确率、召回率、字段正确率和延迟。"""
        from evals import parse_eval as pe

        cases_file = cases or pe.DEFAULT_CASES
        try:
            gold = pe.load_cases(cases_file)
        except (OSError, ValueError) as exc:
            typer.echo(f"读不了用例文件：{exc}", err=True)
            raise typer.Exit(2) from exc
        try:
            built = pe.build_engine(engine)
        except pe.EngineUnavailable as exc:
            typer.echo(str(exc), err=True)
            raise typer.Exit(2) from exc

        results = pe.evaluate(built, gold)
        report = pe.summarize(results)

        failures: list[str] = []
        if check_floors:
            floors_file = floors or pe.DEFAULT_FLOORS
            try:
                failures = pe.check_floors(report, pe.load_floors(floors_file))
            except (OSError, ValueError) as exc:
                typer.echo(f"读不了下限文件：{exc}", err=True)
                raise typer.Exit(2) from exc

        if as_json:
            payload = {"engine": engine, "cases_file": str(cases_file), **report.to_json()}
            if check_floors:
                payload["floor_failures"] = failures
            typer.echo(json.dumps(payload, ensure_ascii=False, indent=2))
        else:
            _print_report(report, engine=engine, cases_file=cases_file)
            if show_failures:
                _print_failures(results, show_failures)
            if check_floors:
                if failures:
                    typer.echo("低于下限：\n  " + "\n  ".join(failures), err=True)
                else:
                    typer.echo("所有指标都达到下限。")
        if failures:
            raise typer.Exit(1)
