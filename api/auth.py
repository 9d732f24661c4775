"""An optional shared token for the REST API and the console (``QUNMI_API_TOKEN``).

Channels carry their own signatures (WeCom, the HMAC webhook) and stay open to their senders;
the console page, its static files, the OpenAPI description and /health stay readable. Every
other route then needs ``Authorization: Bearer <token>``.
"""

from __future__ import annotations

import hmac
import json

from starlette.types import ASGIApp, Receive, Scope, Send

OPEN_EXACT = frozenset(
    {"/", "/health", "/docs", "/openapi.json", "/docs/oauth2-redirect", "/redoc"}
)
OPEN_PREFIXES = ("/wecom/", "/webhook", "/static/")


class TokenGuard:
    def __init__(self, app: ASGIApp, *, token: str) -> None:
        self.app = app
        self._token = token.encode()

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        if (
            scope["type"] != "http"
            or self._open(str(scope.get("path", "")))
            or self._allowed(scope)
        ):
            await self.app(scope, receive, send)
            return
        body = json.dumps(
            {
                "code": "unauthorized",
                "reason": "需要令牌：请求头 Authorization: Bearer <QUNMI_API_TOKEN>",
            },
            ensure_ascii=False,
        ).encode()
        await send(
            {
                "type": "http.response.start",
                "status": 401,
                "headers": [
                    (b"content-type", b"application/json"),
                    (b"content-length", str(len(body)).encode()),
                    (b"www-authenticate", b"Bearer"),
                ],
            }
        )
        await send({"type": "http.response.body", "body": body})

    @staticmethod
    def _open(path: str) -> bool:
        return path in OPEN_EXACT or path.startswith(OPEN_PREFIXES)

    def _allowed(self, scope: Scope) -> bool:
        for name, value in scope.get("headers", []):
            if name == b"authorization" and value[:7].lower() == b"bearer ":
                return hmac.compare_digest(value[7:].strip(), self._token)
        return False
