"""The FastAPI application: thin routes over the services that ``bootstrap`` wires."""

from __future__ import annotations

import gc
import logging
from collections.abc import AsyncIterator
from contextlib import asynccontextmanager
from typing import Any

from fastapi import FastAPI, Request
from fastapi.responses import JSONResponse
from fastapi.staticfiles import StaticFiles

from api.auth import AuthGuard
from api.errors import install_error_handlers
from api.intake import IntakeTracking
from api.limits import AllowedMethods, BodySizeLimit, JsonDepthLimit
from api.routes import (
    console,
    files,
    memory,
    messages,
    outbox,
    records,
    reports,
    risk,
    summaries,
    tokens,
    tools,
    transcriptions,
    voice,
    webhook,
    wecom,
)
from api.routes.common import ToolFailed, tool_failed_response
from api.schemas import ERROR_RESPONSES
from assistant import __version__
from assistant.bootstrap import Qunmi, bootstrap
from assistant.services.worker import InProcessWorker, IntakeGate, intake_marker
from assistant.settings import Settings

__all__ = ["create_app"]

log = logging.getLogger(__name__)

MAX_BODY_BYTES = 2 * 1024 * 1024
MAX_RECORDING_BYTES = 200 * 1024 * 1024
"""Recordings up to 200 MB go to ``/transcriptions`` (streamed to disk); multipart framing and
the form fields get a little room on top."""


def create_app(
    qunmi: Qunmi | None = None,
    *,
    settings: Settings | None = None,
    start_worker: bool = True,
    seed_demo: bool | None = None,
) -> FastAPI:
    """Build the app. Pass a wired ``Qunmi`` (tests) or let it bootstrap from ``settings``.

    ``seed_demo`` creates the console's demo team in an empty database (default: only when the
    app bootstraps itself)."""

    effective = qunmi.settings if qunmi is not None else (settings or Settings())
    # Worker processes (QUNMI_PROCESS_IN_API=false) step aside while messages arrive.
    gate = IntakeGate(
        marker=None if effective.process_in_api else intake_marker(effective.data_dir)
    )

    @asynccontextmanager
    async def lifespan(app: FastAPI) -> AsyncIterator[None]:
        owned = qunmi is None
        q = qunmi or bootstrap(effective)
        app.state.qunmi = q
        app.state.intake_gate = gate
        if owned if seed_demo is None else seed_demo:
            from assistant.services.demo import seed_demo as seed

            seed(uow_factory=q.uow_factory, clock=q.clock)
        worker: Any = None
        if start_worker and q.settings.queue == "inprocess" and q.settings.process_in_api:
            worker = InProcessWorker(q.processor, gate=gate)
        elif start_worker and q.settings.queue == "redis":
            from redis import Redis

            from assistant.adapters.queue import RedisDispatcher

            worker = RedisDispatcher(
                q, Redis.from_url(q.settings.redis_url), prefix=q.settings.redis_prefix
            )
        if worker is not None:
            q.extras["worker"] = worker
            worker.start()
            worker.notify()
        if start_worker and q.transcriptions is not None:
            q.transcriptions.start()
        loops: list[Any] = q.background() if start_worker else []
        for loop in loops:
            # The scheduler's tick and the outbox sender wait (≤ 1 s an iteration) for a gap
            # in the callbacks: they share this interpreter and SQLite's write lock with them.
            loop.steps_aside_for(gate)
            loop.start()
        q.extras["background"] = loops
        # Split off (QUNMI_PROCESS_IN_API=false), the history is indexed by `qunmi worker`: the
        # vector store's writes hold the interpreter for long stretches, and this process
        # must stay free to acknowledge.
        offloaded = q.settings.queue == "inprocess" and not q.settings.process_in_api
        index_loop = (
            q.memory.loop() if start_worker and q.memory is not None and not offloaded else None
        )
        if index_loop is not None:
            q.extras["index_loop"] = index_loop
            index_loop.start()
        if start_worker and q.summary_jobs is not None:
            q.summary_jobs.start()
        if owned:
            # What start-up built (modules, the app, the object graph) lives as long as the
            # process: kept out of the collector, a full collection no longer walks it, which
            # under load was a pause of up to 200 ms on every request in flight.
            gc.freeze()
        try:
            yield
        finally:
            for loop in reversed(loops):
                loop.stop()
            if index_loop is not None:
                index_loop.stop()
            if q.transcriptions is not None:
                q.transcriptions.stop()
            if q.summary_jobs is not None:
                q.summary_jobs.stop()
            if worker is not None:
                worker.stop()
            if owned:
                q.close()

    app = FastAPI(
        title="群秘 Qunmi",
        version=__version__,
        description="群聊里的 AI 项目秘书：把群消息变成任务和会议。",
        lifespan=lifespan,
        responses=ERROR_RESPONSES,
    )
    app.add_middleware(wecom.CallbackFastPath)  # innermost: inside the caps and the gate
    app.add_middleware(JsonDepthLimit)
    app.add_middleware(
        BodySizeLimit,
        max_bytes=MAX_BODY_BYTES,
        overrides={
            "/transcriptions": MAX_RECORDING_BYTES + 1024 * 1024,
            "/files": (effective.max_file_mb + 1) * 1024 * 1024,
        },
    )
    app.add_middleware(AllowedMethods, routes=lambda: app.router.routes)
    app.add_middleware(IntakeTracking, gate=gate)
    app.add_middleware(
        AuthGuard,
        legacy_token=(
            effective.api_token.get_secret_value() if effective.api_token is not None else None
        ),
    )
    install_error_handlers(app)

    @app.exception_handler(ToolFailed)
    async def _tool_failed(_: Request, exc: ToolFailed) -> JSONResponse:
        return tool_failed_response(exc)

    @app.get("/health", tags=["meta"])
    def health() -> dict[str, Any]:
        q: Qunmi = app.state.qunmi
        return {"status": "ok", "version": __version__, "engine": q.engine.name}

    # The channel callbacks first: the router tries routes in order, and these carry the load.
    app.include_router(wecom.router)
    app.include_router(webhook.router)
    app.include_router(records.router)
    app.include_router(risk.router)
    app.include_router(reports.router)
    app.include_router(messages.router)
    app.include_router(outbox.router)
    app.include_router(tools.router)
    app.include_router(transcriptions.router)
    app.include_router(memory.router)
    app.include_router(files.router)
    app.include_router(summaries.router)
    app.include_router(voice.router)
    app.include_router(tokens.router)
    app.include_router(console.views)
    app.include_router(console.router)
    app.mount("/static", StaticFiles(directory=console.STATIC_DIR), name="static")
    return app
