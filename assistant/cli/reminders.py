"""Scheduler and outbox commands: ``qunmi remind tick|list`` and ``qunmi outbox list|retry``."""

from __future__ import annotations

import json
from typing import TYPE_CHECKING, Annotated, Literal

import typer
from rich.console import Console
from rich.table import Table

if TYPE_CHECKING:
    from assistant.bootstrap import Qunmi

console = Console()
err_console = Console(stderr=True)

NowOpt = Annotated[
    str | None,
    typer.Option("--now", help="把“现在”当作这个时间（ISO 8601，带偏移）；默认为当前时间"),
]
JsonOpt = Annotated[bool, typer.Option("--json", help="输出 JSON")]
OutboxStateOpt = Literal["pending", "sending", "sent", "dead"]
JobStateOpt = Literal["pending", "done", "cancelled", "expired", "failed"]


def _wire(now: str | None) -> Qunmi:
    from assistant.bootstrap import bootstrap
    from assistant.cli.batch import parse_now
    from assistant.cli.core import _Idle
    from assistant.clock import FixedClock
    from assistant.errors import QunmiError
    from assistant.settings import Settings

    clock = FixedClock(parse_now(now)) if now is not None else None
    try:
        return bootstrap(Settings(), engine=_Idle(), clock=clock)
    except QunmiError as exc:
        err_console.print(f"[red]✗[/red] {exc.reason}")
        raise typer.Exit(1) from exc


def register(app: typer.Typer, eval_app: typer.Typer) -> None:
    del eval_app
    remind = typer.Typer(help="提醒：跑一轮到期的提醒、列出计划中的提醒", no_args_is_help=True)
    outbox = typer.Typer(help="发件箱：群秘发出的每一条消息", no_args_is_help=True)
    app.add_typer(remind, name="remind")
    app.add_typer(outbox, name="outbox")

    @remind.command("tick")
    def remind_tick(now: NowOpt = None, as_json: JsonOpt = False) -> None:
        """跑一轮：补齐计划、执行到期的提醒、把发件箱里该发的发出去，打印发了什么。"""
        from assistant.services.outbox import outbox_record

        q = _wire(now)
        try:
            report = q.scheduler.tick(force_reconcile=True)
            tz = q.settings.tz
            runs = [r.to_dict(tz) for r in report.runs]
            sent = [outbox_record(m, tz) for m in report.sent]
        finally:
            q.close()
        if as_json:
            print(
                json.dumps(
                    {
                        "now": report.now.astimezone(tz).isoformat(),
                        "planned": report.planned,
                        "cancelled": report.cancelled,
                        "runs": runs,
                        "sent": sent,
                    },
                    ensure_ascii=False,
                    indent=2,
                )
            )
            return
        console.print(
            f"[dim]{report.now.astimezone(tz):%Y-%m-%d %H:%M} · 计划 {report.planned} 条、"
            f"取消 {report.cancelled} 条 · 执行 {len(runs)} 条 · 发出 {len(sent)} 条[/dim]"
        )
        for r in runs:
            if r["state"] != "done" or not r["outbox_ids"]:
                console.print(
                    f"[dim]· {r['kind']} #{r['job_id']}：{r['state']} {r['note'] or ''}[/dim]"
                )
        for m in sent:
            who = " ".join(f"@{p['name']}" for p in m["mentions"])
            if m["mention_all"]:
                who = ("@所有人 " + who).strip()
            state = "已发出" if m["state"] == "sent" else f"未发出（{m['state']}：{m['error']}）"
            console.print(f"→ {m['chat'] or '（无群）'} [{m['kind']}] {state} {who}")
            console.print(m["text"])
            console.print()

    @remind.command("list")
    def remind_list(
        state: Annotated[JobStateOpt | None, typer.Option(help="按状态筛选")] = "pending",
        limit: Annotated[int, typer.Option(min=1, max=500)] = 50,
        as_json: JsonOpt = False,
    ) -> None:
        """列出计划中的提醒（默认只列待执行的，最早的在前）。"""
        from assistant.services.scheduler.core import job_record

        q = _wire(None)
        try:
            with q.uow_factory() as uow:
                page = uow.schedule.list(filters={"state": state}, limit=limit, order="due_at")
        finally:
            q.close()
        tz = q.settings.tz
        rows = [job_record(j, tz) for j in page.items]
        if as_json:
            print(json.dumps({"items": rows, "total": page.total}, ensure_ascii=False, indent=2))
            return
        table = Table(title=f"提醒（共 {page.total} 条）")
        for col in ("id", "类型", "时间", "来源", "群", "状态"):
            table.add_column(col)
        for r in rows:
            table.add_row(
                str(r["id"]),
                r["kind"],
                r["due_at"][:16],
                str(r["source"] or ""),
                str(r["chat_id"] or ""),
                r["state"],
            )
        console.print(table)

    @outbox.command("list")
    def outbox_list(
        state: Annotated[OutboxStateOpt | None, typer.Option(help="按状态筛选")] = None,
        chat_id: Annotated[int | None, typer.Option("--chat-id", help="只看这个群")] = None,
        limit: Annotated[int, typer.Option(min=1, max=500)] = 50,
        as_json: JsonOpt = False,
    ) -> None:
        """列出发件箱里的消息（最新的在前）。"""
        from assistant.services.outbox import outbox_record

        q = _wire(None)
        try:
            with q.uow_factory() as uow:
                page = uow.outbox.list(
                    filters={"state": state, "chat_id": chat_id}, limit=limit, order="-id"
                )
        finally:
            q.close()
        rows = [outbox_record(m, q.settings.tz) for m in page.items]
        if as_json:
            print(json.dumps({"items": rows, "total": page.total}, ensure_ascii=False, indent=2))
            return
        table = Table(title=f"发件箱（共 {page.total} 条）")
        for col in ("id", "群", "类型", "状态", "渠道", "尝试", "内容", "错误"):
            table.add_column(col)
        for r in rows:
            table.add_row(
                str(r["id"]),
                str(r["chat"] or ""),
                r["kind"],
                r["state"],
                str(r["channel"] or ""),
                str(r["attempts"]),
                r["text"].replace("\n", " ")[:40],
                str(r["error"] or "")[:40],
            )
        console.print(table)

    @outbox.command("retry")
    def outbox_retry(message_id: Annotated[int, typer.Argument(help="发件箱消息 id")]) -> None:
        """把没发出去（dead 或等待重试）的消息马上再发一次。"""
        from assistant.errors import QunmiError

        q = _wire(None)
        try:
            message = q.outbox.retry(message_id)
        except QunmiError as exc:
            err_console.print(f"[red]✗[/red] {exc.reason}")
            raise typer.Exit(1) from exc
        finally:
            q.close()
        console.print(
            f"消息 {message_id}：{message.state.value}"
            + (f"（{message.error}）" if message.error else "")
        )
        if message.state.value != "sent":
            raise typer.Exit(1)
