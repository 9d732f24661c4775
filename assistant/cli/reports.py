"""``qunmi report weekly``: the weekly report (figures, card, charts, XLSX / PDF exports)."""

from __future__ import annotations

import json
import shutil
from pathlib import Path
from typing import TYPE_CHECKING, Annotated, Any

import typer

if TYPE_CHECKING:
    from assistant.bootstrap import Qunmi


def _wire(now: str | None) -> Qunmi:
    from assistant.bootstrap import bootstrap
    from assistant.cli.batch import parse_now
    from assistant.cli.core import _fail, _Idle
    from assistant.clock import FixedClock
    from assistant.errors import QunmiError
    from assistant.settings import Settings

    clock = FixedClock(parse_now(now)) if now is not None else None
    try:
        return bootstrap(Settings(), engine=_Idle(), clock=clock)
    except QunmiError as exc:
        _fail(exc.reason)


def _weekly(q: Qunmi, project: str | None, actor: str | None) -> dict[str, Any]:
    """The report as ``actor`` sees it (through the executor: role checked, budget only for
    PMs and admins); without ``actor``, as the group sees it (no budget)."""
    from assistant.cli.core import _fail
    from assistant.domain import ToolCall
    from tools.executor import CallContext

    assert q.reports is not None
    if actor is None:
        return q.reports.weekly(project=project, now=q.clock.now(), show_budget=False).data
    result = q.executor.execute(
        ToolCall("report", {"kind": "weekly", **({"project": project} if project else {})}),
        CallContext(actor=actor),
    )
    if not result.ok:
        _fail((result.error or {}).get("reason", "没能生成周报"))
    return dict(result.summary or {})


def register(app: typer.Typer, eval_app: typer.Typer) -> None:
    del eval_app
    report = typer.Typer(help="简报：周报的数据、群卡片、图表和导出", no_args_is_help=True)
    app.add_typer(report, name="report")

    @report.command("weekly")
    def weekly(
        project: Annotated[
            str | None, typer.Option("--project", "-p", help="项目名；不填为全部项目")
        ] = None,
        now: Annotated[
            str | None, typer.Option("--now", help="统计截止时刻（ISO 8601 带时区），默认现在")
        ] = None,
        as_json: Annotated[bool, typer.Option("--json", help="输出 JSON")] = False,
        png: Annotated[Path | None, typer.Option("--png", help="把图表 PNG 存到这个目录")] = None,
        xlsx: Annotated[Path | None, typer.Option("--xlsx", help="导出 Excel 文件")] = None,
        pdf: Annotated[Path | None, typer.Option("--pdf", help="导出 PDF 文件")] = None,
        actor: Annotated[
            str | None,
            typer.Option("--as", "-a", help="以谁的身份查看（项目经理和管理员能看到预算）"),
        ] = None,
    ) -> None:
        """最近 7 天的周报：完成率、准时率、延期、新建/完成、逾期、成员活跃度、会议、风险。"""
        from assistant.adapters.charts.export import write_pdf, write_xlsx
        from assistant.cli.core import _fail
        from assistant.errors import QunmiError

        q = _wire(now)
        try:
            data = _weekly(q, project, actor)
            if png is not None:
                png.mkdir(parents=True, exist_ok=True)
                for name, src in (data.get("images") or {}).items():
                    shutil.copyfile(src, png / f"{name}.png")
            if xlsx is not None:
                write_xlsx(data, xlsx)
            if pdf is not None:
                write_pdf(data, pdf)
        except QunmiError as exc:
            _fail(exc.reason)
        finally:
            q.close()
        if as_json:
            print(json.dumps(data, ensure_ascii=False, indent=2))
            return
        typer.echo(data["card"])
        for label, path in (("图表", png), ("Excel", xlsx), ("PDF", pdf)):
            if path is not None:
                typer.echo(f"{label}：{path}")
