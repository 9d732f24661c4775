"""Channel commands: ``qunmi worker`` (Redis-backed inbox worker) and ``qunmi inbox``
(list messages by state, replay failed or dead ones)."""

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

StateOpt = Literal["received", "processing", "done", "failed", "dead"]


def register(app: typer.Typer, eval_app: typer.Typer) -> None:
    del eval_app
    inbox = typer.Typer(help="收件箱：列出消息、重放失败或死信消息", no_args_is_help=True)
    app.add_typer(inbox, name="inbox")

    @app.command()
    def worker(
        burst: Annotated[bool, typer.Option(help="处理完队列里的消息就退出")] = False,
        name: Annotated[str | None, typer.Option(help="worker 名字（默认自动生成）")] = None,
    ) -> None:
        """运行一个 worker：QUNMI_QUEUE=redis 时从 Redis 队列取；否则直接处理数据库收件箱
        （配合 QUNMI_PROCESS_IN_API=false，处理和历史索引都不占用确认收到消息的进程）。
        可以同时运行多个。"""
        from redis import Redis

        from assistant.adapters.queue import run_worker
        from assistant.bootstrap import bootstrap
        from assistant.errors import QunmiError
        from assistant.settings import Settings

        settings = Settings()
        try:
            q = bootstrap(settings)
        except QunmiError as exc:
            err_console.print(f"[red]✗[/red] {exc.reason}")
            raise typer.Exit(1) from exc
        if settings.queue == "inprocess":
            # No Redis: drain the database inbox directly (claims keep several workers apart).
            import threading

            from assistant.services.worker import InProcessWorker, IntakeSignal, intake_marker

            # Steps aside (at most a second per message) while the API is acknowledging.
            gate = IntakeSignal(intake_marker(settings.data_dir))
            loop = InProcessWorker(q.processor, interval=0.2, gate=None if burst else gate)
            # The API process leaves the history index to the workers when it does not process;
            # it is indexed in slices, each after intake has gone quiet.
            history = None
            if q.memory is not None and not burst:
                from assistant.memory.indexer import IndexLoop

                history = IndexLoop(
                    q.memory.indexer, interval=q.memory.interval, gate=gate, slice_seconds=1.0
                )
            console.print(
                f"群秘 worker 已启动（数据库收件箱，引擎：{q.engine.name}），按 Ctrl+C 退出"
            )
            try:
                if burst:
                    loop.drain()
                    if q.memory is not None:
                        q.memory.indexer.drain(max_seconds=120)
                else:
                    loop.start()
                    if history is not None:
                        history.start()
                    threading.Event().wait()
            except KeyboardInterrupt:
                pass
            finally:
                if history is not None:
                    history.stop()
                loop.stop()
                q.close()
            console.print(f"worker 退出，本次处理 {loop.processed} 条")
            return
        redis = Redis.from_url(settings.redis_url)
        console.print(f"群秘 worker 已启动（引擎：{q.engine.name}），按 Ctrl+C 退出")
        # Every worker runs the scheduler; the Redis lease lets one of them tick at a time.
        loops = [] if burst else q.background()
        for loop in loops:
            loop.start()
        index_loop = q.memory.loop() if q.memory is not None and not burst else None
        if index_loop is not None:  # the history is indexed by the workers too
            index_loop.start()
        try:
            dispatcher = run_worker(q, redis, prefix=settings.redis_prefix, burst=burst, name=name)
            if burst and q.memory is not None:
                q.memory.indexer.drain(max_seconds=120)
        finally:
            for loop in reversed(loops):
                loop.stop()
            if index_loop is not None:
                index_loop.stop()
            q.close()
        console.print(f"worker 退出，本次入队 {dispatcher.enqueued} 条")

    @inbox.command("list")
    def inbox_list(
        state: Annotated[
            StateOpt | None, typer.Option(help="按状态筛选：received/processing/done/failed/dead")
        ] = None,
        limit: Annotated[int, typer.Option(min=1, max=500)] = 50,
        as_json: Annotated[bool, typer.Option("--json", help="输出 JSON")] = False,
    ) -> None:
        """列出收件箱里的消息（最新的在前）。"""
        q = _qunmi()
        try:
            with q.uow_factory() as uow:
                page = uow.messages.list(filters={"state": state}, limit=limit, order="-id")
        finally:
            q.close()
        rows = [
            {
                "id": m.id,
                "channel": m.channel,
                "state": m.state.value,
                "attempts": m.attempts,
                "text": m.text,
                "error": m.error,
                "received_at": m.received_at.isoformat(),
            }
            for m in page.items
        ]
        if as_json:
            print(json.dumps({"items": rows, "total": page.total}, ensure_ascii=False, indent=2))
            return
        table = Table(title=f"收件箱（共 {page.total} 条）")
        for col in ("id", "渠道", "状态", "尝试", "内容", "错误"):
            table.add_column(col)
        for r in rows:
            table.add_row(
                str(r["id"]),
                str(r["channel"]),
                str(r["state"]),
                str(r["attempts"]),
                str(r["text"])[:40],
                str(r["error"] or "")[:60],
            )
        console.print(table)

    @inbox.command("replay")
    def inbox_replay(message_id: Annotated[int, typer.Argument(help="消息 id")]) -> None:
        """把失败或死信消息重新处理一遍。"""
        from assistant.errors import QunmiError

        q = _qunmi(with_engine=True)
        try:
            outcome = q.processor.replay(message_id)
        except QunmiError as exc:
            err_console.print(f"[red]✗[/red] {exc.reason}")
            raise typer.Exit(1) from exc
        finally:
            q.close()
        console.print(
            f"消息 {message_id}：{outcome.state.value}"
            + (f"（{outcome.error}）" if outcome.error else "")
        )
        for card in outcome.cards:
            console.print(card.get("text", ""))
        if outcome.state.value != "done":
            raise typer.Exit(1)


def _qunmi(with_engine: bool = False) -> Qunmi:
    from assistant.cli.core import _qunmi as wire

    return wire(with_engine)
