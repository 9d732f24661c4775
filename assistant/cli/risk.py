"""``qunmi risk``: delay risk of open tasks; ``risk train``, ``risk simulate``, ``eval risk``."""

from __future__ import annotations

import json
from pathlib import Path
from typing import TYPE_CHECKING, Annotated

import typer

from assistant.cli.batch import parse_now

if TYPE_CHECKING:
    from assistant.bootstrap import Qunmi

NowOpt = Annotated[
    str | None, typer.Option("--now", help="以这个时刻评估（ISO 8601 带时区），默认现在")
]
_LEVEL = {"high": "[red]高[/red]", "medium": "[yellow]中[/yellow]", "low": "[green]低[/green]"}


def _qunmi(clock: object | None = None) -> Qunmi:
    from assistant.bootstrap import bootstrap
    from assistant.cli.core import _fail, _Idle
    from assistant.errors import QunmiError
    from assistant.settings import Settings

    try:
        return bootstrap(Settings(), engine=_Idle(), clock=clock)  # type: ignore[arg-type]
    except QunmiError as exc:
        _fail(exc.reason)


def register(app: typer.Typer, eval_app: typer.Typer) -> None:
    risk = typer.Typer(
        help="延期风险：预测哪些任务可能延期、原因和建议（train 训练，simulate 生成演示历史）",
        invoke_without_command=True,
    )
    app.add_typer(risk, name="risk")

    @risk.callback()
    def risk_list(
        ctx: typer.Context,
        project: Annotated[str | None, typer.Option("--project", "-p", help="只看这个项目")] = None,
        now: NowOpt = None,
        as_json: Annotated[bool, typer.Option("--json", help="输出 JSON")] = False,
        show_all: Annotated[bool, typer.Option("--all", help="表格里也列出低风险任务")] = False,
    ) -> None:
        """列出有截止时间的未完成任务的延期风险，风险高的在前。"""
        if ctx.invoked_subcommand is not None:
            return
        from rich.console import Console
        from rich.table import Table

        from assistant.cli.core import _fail
        from assistant.errors import QunmiError

        at = parse_now(now)
        q = _qunmi()
        assert q.risk is not None
        try:
            report = q.risk.assess(now=at, project=project)
        except QunmiError as exc:
            _fail(exc.reason)
        finally:
            q.close()
        tz = q.settings.tz
        if as_json:
            print(json.dumps(report.to_dict(tz), ensure_ascii=False, indent=2))
            return
        console = Console()
        info = report.model
        console.print(f"[bold]延期风险[/bold]  {info.note}")
        shown = [t for t in report.tasks if show_all or t.level != "low"]
        table = Table(show_lines=True)
        for col in ("#", "任务", "负责人", "截止", "风险", "原因", "建议（回复这句话即可）"):
            table.add_column(col)
        for t in shown:
            table.add_row(
                str(t.task_id),
                t.title,
                t.assignee or "",
                t.due.astimezone(tz).strftime("%m-%d %H:%M") if t.due else "",
                f"{_LEVEL[t.level]} {t.risk:.0%}",
                "\n".join(r.text for r in t.reasons),
                "\n".join(f"{s.text}\n→「{s.command}」" for s in t.suggestions),
            )
        console.print(table)
        low = len(report.tasks) - len(shown)
        console.print(
            f"共 {len(report.tasks)} 个有截止时间的未完成任务"
            + (f"，另有 {low} 个低风险未列出（--all 显示）" if low else "")
        )

    @risk.command("train")
    def risk_train(
        now: NowOpt = None,
        force: Annotated[
            bool, typer.Option("--force", help="历史少于下限也训练（只用于试验）")
        ] = False,
    ) -> None:
        """用团队已完成的任务训练（或重新训练）延期模型，存为新版本。"""
        at = parse_now(now)
        q = _qunmi()
        assert q.risk is not None
        try:
            outcome = q.risk.train(now=at, force=force)
        finally:
            q.close()
        if not outcome.trained or outcome.model is None:
            typer.echo(outcome.reason)
            return
        m = outcome.model
        typer.echo(
            f"已训练延期模型 v{m.version}：{m.finished_tasks} 个已完成任务、{m.examples} 个预测点，"
            f"交叉验证 AUC {m.metrics.get('cv_auc', float('nan')):.3f}，用时 {outcome.seconds:.1f} 秒"
        )

    @risk.command("simulate")
    def risk_simulate(
        now: NowOpt = None,
        days: Annotated[int, typer.Option(help="模拟多少天的历史", min=30, max=720)] = 120,
        seed: Annotated[int, typer.Option(help="随机种子")] = 7,
        train: Annotated[bool, typer.Option(help="模拟完后训练模型")] = True,
    ) -> None:
        """在空的任务库里，通过执行器模拟一个团队的任务历史（演示团队、计划内的延期原因），
        然后训练模型，让 qunmi risk 有东西可看。"""
        from assistant.cli.core import _fail
        from assistant.clock import FixedClock
        from assistant.errors import QunmiError
        from assistant.services.risk_simulation import simulate_history

        at = parse_now(now)
        clock = FixedClock(at)
        q = _qunmi(clock)
        try:
            with q.uow_factory() as uow:
                if uow.tasks.list(limit=1).total:
                    _fail("任务库里已经有任务了；模拟历史只写入空的任务库（换一个 QUNMI_DATA_DIR）")
            sim = simulate_history(
                executor=q.executor,
                uow_factory=q.uow_factory,
                clock=clock,
                now=at,
                days=days,
                seed=seed,
            )
            typer.echo(
                f"已模拟 {days} 天的团队历史：{len(sim.tasks)} 个任务、{sim.calls} 次工具调用，"
                f"{sim.finished} 个已完成，{len(sim.open_tasks)} 个未完成"
            )
            if train:
                assert q.risk is not None
                outcome = q.risk.train(now=at)
                typer.echo(
                    f"已训练延期模型 v{outcome.model.version}"
                    if outcome.trained and outcome.model
                    else outcome.reason
                )
        except QunmiError as exc:
            _fail(exc.reason)
        finally:
            q.close()
        typer.echo(f"查看：qunmi risk --now {at.isoformat()}")

    @eval_app.command("risk")
    def eval_risk_cmd(
        corpora: Annotated[
            Path | None,
            typer.Option("--corpora", help="语料目录，默认为仓库旁的 ../shared/corpora"),
        ] = None,
        check_floors: Annotated[
            bool, typer.Option("--check-floors", help="低于 evals/floors/risk.json 时退出码为 1")
        ] = False,
        quick: Annotated[
            bool,
            typer.Option("--quick", help="快速评测：抽样训练的跨项目迁移，一分钟内，有自己的下限"),
        ] = False,
        final_due: Annotated[
            bool,
            typer.Option(
                "--final-due",
                help="旧口径：截止日期在预测时点还没定的任务也用数据里的最终截止日期（有泄漏，只为对比）",
            ),
        ] = False,
    ) -> None:
        """在 EMSE 2017 JIRA 延期数据上评测延期预测（项目内 80/20、跨项目留一、三个预测时点）。"""
        from evals.risk_emse import run

        raise typer.Exit(run(corpora, check_floors=check_floors, quick=quick, final_due=final_due))
