"""Marks the requests that bring messages in, so the worker can step aside while they are
acknowledged (see ``assistant.services.worker.IntakeGate``)."""

from __future__ import annotations

from starlette.types import ASGIApp, Receive, Scope, Send

from assistant.services.worker import IntakeGate

INTAKE_PREFIXES = ("/wecom/", "/webhook", "/messages")


class IntakeTracking:
    def __init__(self, app: ASGIApp, *, gate: IntakeGate) -> None:
        self.app = app
        self.gate = gate

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        if (
            scope["type"] != "http"
            or scope.get("method") != "POST"
            or not str(scope.get("path", "")).startswith(INTAKE_PREFIXES)
        ):
            await self.app(scope, receive, send)
            return
        self.gate.enter()
        try:
            await self.app(scope, receive, send)
        finally:
            self.gate.leave()
