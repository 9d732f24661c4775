"""Request guards at the ASGI level, before any route runs: a body cap enforced while reading
(a missing or lying Content-Length cannot pass), a bound on JSON nesting, and ``OPTIONS``."""

from __future__ import annotations

import json
from collections.abc import Callable, Sequence
from typing import Any

from starlette.routing import BaseRoute, Match
from starlette.types import ASGIApp, Message, Receive, Scope, Send

from assistant.safejson import MAX_DEPTH, json_depth

__all__ = ["AllowedMethods", "BodySizeLimit", "JsonDepthLimit"]


class BodySizeLimit:
    """``max_bytes`` for every request body, except the paths in ``overrides`` (prefix → cap):
    recordings are uploaded to ``/transcriptions`` and streamed to disk by their route."""

    def __init__(
        self, app: ASGIApp, *, max_bytes: int, overrides: dict[str, int] | None = None
    ) -> None:
        self.app = app
        self.max_bytes = max_bytes
        self.overrides = dict(overrides or {})

    def _cap(self, scope: Scope) -> int:
        path = str(scope.get("path", ""))
        for prefix, cap in self.overrides.items():
            if path == prefix or path.startswith(prefix + "/"):
                return cap
        return self.max_bytes

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        if scope["type"] != "http":
            await self.app(scope, receive, send)
            return
        cap = self._cap(scope)
        for name, value in scope.get("headers", []):
            if name == b"content-length" and value.isdigit() and int(value) > cap:
                await self._reject(send, cap)
                return
        received = 0
        response_started = False

        async def limited_receive() -> Message:
            nonlocal received
            message = await receive()
            if message["type"] == "http.request":
                received += len(message.get("body", b""))
                if received > cap:
                    raise _TooLarge
            return message

        async def tracking_send(message: Message) -> None:
            nonlocal response_started
            if message["type"] == "http.response.start":
                response_started = True
            await send(message)

        try:
            await self.app(scope, limited_receive, tracking_send)
        except _TooLarge:
            if not response_started:
                await self._reject(send, cap)

    async def _reject(self, send: Send, cap: int) -> None:
        size = f"{cap // 1024 // 1024} MB" if cap >= 1024 * 1024 else f"{cap // 1024} KB"
        await _send_json(send, 413, {"code": "too_large", "reason": f"请求体太大，最多 {size}"})


class _TooLarge(Exception):
    pass


class JsonDepthLimit:
    """Refuses JSON bodies nested deeper than ``max_depth`` before the framework parses them
    (Python's parser recurses per level: thirty thousand levels end in a RecursionError)."""

    def __init__(self, app: ASGIApp, *, max_depth: int = MAX_DEPTH) -> None:
        self.app = app
        self.max_depth = max_depth

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        if scope["type"] != "http" or not _is_json(scope):
            await self.app(scope, receive, send)
            return
        chunks: list[bytes] = []
        messages: list[Message] = []
        while True:
            message = await receive()
            messages.append(message)
            if message["type"] != "http.request":
                break
            chunks.append(message.get("body", b""))
            if not message.get("more_body", False):
                break
        if json_depth(b"".join(chunks), limit=self.max_depth) > self.max_depth:
            await _send_json(
                send,
                422,
                {
                    "code": "invalid_input",
                    "reason": f"请求体的 JSON 嵌套太深（最多 {self.max_depth} 层）",
                },
            )
            return

        async def replay() -> Message:
            if messages:
                return messages.pop(0)
            return await receive()

        await self.app(scope, replay, send)


def _is_json(scope: Scope) -> bool:
    for name, value in scope.get("headers", []):
        if name == b"content-type":
            return b"json" in value.lower()
    return False


async def _send_json(
    send: Send, status: int, content: dict[str, Any], headers: Sequence[tuple[bytes, bytes]] = ()
) -> None:
    body = json.dumps(content, ensure_ascii=False).encode()
    await send(
        {
            "type": "http.response.start",
            "status": status,
            "headers": [
                (b"content-type", b"application/json"),
                (b"content-length", str(len(body)).encode()),
                *headers,
            ],
        }
    )
    await send({"type": "http.response.body", "body": body})


_METHODS = ("GET", "HEAD", "POST", "PUT", "PATCH", "DELETE")


def allowed_methods(routes: Sequence[BaseRoute], scope: Scope) -> set[str]:
    """The methods some route takes at the path of ``scope`` (all the routes: a path served by
    one route per method has them all, where Starlette's own 405 names the first route's)."""
    return {
        method
        for method in _METHODS
        if any(route.matches({**scope, "method": method})[0] == Match.FULL for route in routes)
    }


class AllowedMethods:
    """``OPTIONS`` on any route answers 204 with the ``Allow`` header its path takes (CORS
    preflights, which carry ``Access-Control-Request-Method``, are left to the app)."""

    def __init__(self, app: ASGIApp, *, routes: Callable[[], Sequence[BaseRoute]]) -> None:
        self.app = app
        self._routes = routes

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        if scope["type"] != "http" or scope.get("method") != "OPTIONS":
            await self.app(scope, receive, send)
            return
        if any(name == b"access-control-request-method" for name, _ in scope.get("headers", [])):
            await self.app(scope, receive, send)
            return
        methods = allowed_methods(self._routes(), scope)
        if not methods:
            await _send_json(send, 404, {"code": "not_found", "reason": "没有这个地址"})
            return
        allow = ", ".join(sorted(methods | {"OPTIONS"}))
        await send(
            {
                "type": "http.response.start",
                "status": 204,
                "headers": [(b"allow", allow.encode())],
            }
        )
        await send({"type": "http.response.body", "body": b""})
