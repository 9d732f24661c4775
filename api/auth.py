"""Who is calling: the acting person comes from authentication, never from a request body.

Every request other than the open ones (the console page and its files, /health, the OpenAPI
description, the channels with their own signatures, sign-in) is resolved to a ``Principal``:

- ``Authorization: Bearer <token>`` with a per-person API token (``qunmi token create``): that
  member, with the token's scopes (``read``: GET; ``write``: everything else; ``admin``: /tokens).
- the ``qunmi_session`` cookie (HttpOnly) set by console sign-in: that member, read and write.
- the legacy shared ``QUNMI_API_TOKEN``: a *bootstrap* credential. It may only manage tokens
  (``/tokens``), list members and ask who it is: it never acts as a member.
- nothing, in **local mode**: no ``QUNMI_API_TOKEN`` and no active per-person token exists and
  the client is this machine (127.0.0.1, ::1, or the in-process test client). The caller is the
  local operator, trusted like the CLI on the same machine: a body's ``actor`` is honoured,
  without one the first admin acts. From any other address the request is refused (401), and the
  moment the first token is created local mode ends for everyone. A loopback request that went
  through a reverse proxy (proxy headers) or names another host in ``Host`` is refused too
  (``local_refusal``).

A body ``actor`` (or a message ``sender``) that differs from the authenticated member is refused
with 403 and a Chinese reason, so a stale client cannot silently act as someone else.
"""

from __future__ import annotations

import hmac
import json
from dataclasses import dataclass, field
from typing import Any, Literal

from starlette.concurrency import run_in_threadpool
from starlette.types import ASGIApp, Receive, Scope, Send

from assistant.domain import Member, Role
from assistant.identity import normalise_name
from assistant.services.identity import IdentityService

__all__ = [
    "ANONYMOUS",
    "LOCAL_CLIENTS",
    "LOOPBACK_HOSTS",
    "PROXY_HEADERS",
    "SESSION_COOKIE",
    "AuthGuard",
    "Principal",
    "identity_service",
    "local_refusal",
]

OPEN_EXACT = frozenset(
    {
        "/",
        "/health",
        "/docs",
        "/openapi.json",
        "/docs/oauth2-redirect",
        "/redoc",
        "/auth/me",
        "/auth/session",
        "/auth/link",
    }
)
OPEN_PREFIXES = ("/wecom/", "/webhook", "/static/", "/auth/link/")
BOOTSTRAP_PATHS = ("/tokens", "/auth/me")
LOCAL_CLIENTS = frozenset({"127.0.0.1", "::1", "testclient"})
SESSION_COOKIE = "qunmi_session"
PROXY_HEADERS = frozenset(
    {b"forwarded", b"x-forwarded-for", b"x-forwarded-host", b"x-real-ip", b"via"}
)
LOOPBACK_HOSTS = frozenset({"127.0.0.1", "localhost", "::1"})
_NO_TOKEN_YET = "请先用 qunmi token create 创建个人令牌，再用令牌访问"


def _bare_host(host: str) -> str:
    """``127.0.0.1:8000`` → ``127.0.0.1``; ``[::1]:8000`` → ``::1``."""
    if host.startswith("["):
        return host[1:].partition("]")[0]
    if host.count(":") == 1:
        return host.partition(":")[0]
    return host  # no port, or a bare IPv6 address


def local_refusal(scope: Scope) -> str | None:
    """Why a loopback request may *not* be trusted as the local operator, or ``None``.

    A reverse proxy on the same machine connects from 127.0.0.1 too: what it forwards comes from
    anywhere. Such requests carry the proxy's headers (``Forwarded``, ``X-Forwarded-For``,
    ``X-Real-IP``…) or the public name in ``Host``; a page on another site that resolves its
    name to 127.0.0.1 (DNS rebinding) shows in ``Host`` as well. Local mode refuses both."""
    host = ""
    for name, value in scope.get("headers", []):
        if name in PROXY_HEADERS:
            return (
                f"本机模式（还没有任何令牌）不接受经过反向代理转发的请求（带有 "
                f"{name.decode('latin-1').title()} 头）：{_NO_TOKEN_YET}"
            )
        if name == b"host":
            host = value.decode("latin-1").strip().lower()
    bare = _bare_host(host)
    client = scope.get("client")
    in_process = client is not None and client[0] == "testclient" and bare == "testserver"
    if bare not in LOOPBACK_HOSTS and not in_process:
        shown = host or "（空）"
        return (
            f"本机模式（还没有任何令牌）只接受 Host 为 127.0.0.1、localhost 或 [::1] 的请求，"
            f"这次是 {shown}：{_NO_TOKEN_YET}"
        )
    return None


Kind = Literal["token", "session", "bootstrap", "local", "anonymous"]


@dataclass(frozen=True, slots=True)
class Principal:
    """The authenticated caller. ``member`` is ``None`` for the bootstrap token and the local
    operator; ``kind`` says how the caller was recognised."""

    kind: Kind
    member: Member | None = None
    scopes: frozenset[str] = field(default_factory=frozenset)
    token_id: int | None = None

    @property
    def is_admin(self) -> bool:
        if self.kind in ("bootstrap", "local"):
            return True
        return self.member is not None and self.member.role == Role.ADMIN

    def describe(self) -> str:
        if self.member is not None:
            return self.member.display_name
        return {"bootstrap": "引导令牌", "local": "本机操作员"}.get(self.kind, "未登录")

    def matches(self, ref: str | int) -> bool:
        """Whether ``ref`` (an id, a name, an alias, a WeCom userid) names this member."""
        if self.member is None:
            return False
        if isinstance(ref, int):
            return ref == self.member.id
        text = ref.strip()
        if text.isascii() and text.isdigit() and str(self.member.id) == text:
            return True
        wanted = normalise_name(text)
        return any(normalise_name(n) == wanted for n in self.member.names)


ANONYMOUS = Principal(kind="anonymous")


def identity_service(qunmi: Any) -> IdentityService:
    service: IdentityService | None = qunmi.extras.get("identity")
    if service is None:
        service = IdentityService(
            uow_factory=qunmi.uow_factory,
            clock=qunmi.clock,
            console_url=qunmi.settings.console_url,
        )
        qunmi.extras["identity"] = service
    return service


def _json(status: int, code: str, reason: str) -> tuple[dict[str, Any], bytes]:
    body = json.dumps({"code": code, "reason": reason}, ensure_ascii=False).encode()
    headers = [
        (b"content-type", b"application/json"),
        (b"content-length", str(len(body)).encode()),
    ]
    if status == 401:
        headers.append((b"www-authenticate", b"Bearer"))
    return {"type": "http.response.start", "status": status, "headers": headers}, body


class AuthGuard:
    """Resolves the caller of every HTTP request and puts it in ``scope["state"]["principal"]``;
    refuses what the caller's credential does not allow."""

    def __init__(self, app: ASGIApp, *, legacy_token: str | None) -> None:
        self.app = app
        self._legacy = legacy_token.encode() if legacy_token else None

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        if scope["type"] != "http":
            await self.app(scope, receive, send)
            return
        path = str(scope.get("path", ""))
        qunmi = scope["app"].state.qunmi
        is_open = self._open(path)
        if is_open and not path.startswith("/auth"):
            principal, refusal = ANONYMOUS, None  # channels and files: nothing to look up
        else:
            principal, refusal = await run_in_threadpool(self._resolve, scope, qunmi)
        scope.setdefault("state", {})["principal"] = principal
        if not is_open:
            refusal = refusal or self._refuse(principal, scope, path)
            if refusal is not None:
                start, body = _json(*refusal)
                await send(start)
                await send({"type": "http.response.body", "body": body})
                return
        await self.app(scope, receive, send)

    @staticmethod
    def _open(path: str) -> bool:
        return path in OPEN_EXACT or path.startswith(OPEN_PREFIXES)

    def _resolve(self, scope: Scope, qunmi: Any) -> tuple[Principal, tuple[int, str, str] | None]:
        bearer, cookie = None, None
        for name, value in scope.get("headers", []):
            if name == b"authorization" and value[:7].lower() == b"bearer ":
                bearer = value[7:].strip()
            elif name == b"cookie":
                for part in value.decode("latin-1").split(";"):
                    key, _, val = part.strip().partition("=")
                    if key == SESSION_COOKIE and val:
                        cookie = val
        service = identity_service(qunmi)
        if bearer is not None:
            if self._legacy is not None and hmac.compare_digest(bearer, self._legacy):
                return Principal(kind="bootstrap", scopes=frozenset({"admin"})), None
            found = service.authenticate(bearer.decode("latin-1"))
            if found is None:
                return ANONYMOUS, (401, "unauthorized", "令牌无效、已过期或已吊销")
            return (
                Principal(
                    kind="token",
                    member=found.member,
                    scopes=frozenset(found.token.scopes),
                    token_id=found.token.id,
                ),
                None,
            )
        if cookie is not None:
            found = service.authenticate(cookie)
            if found is not None:
                return (
                    Principal(
                        kind="session",
                        member=found.member,
                        scopes=frozenset(found.token.scopes),
                        token_id=found.token.id,
                    ),
                    None,
                )
        if self._legacy is None and not service.tokens_in_use():
            client = scope.get("client")
            if client is not None and client[0] in LOCAL_CLIENTS:
                refused = local_refusal(scope)
                if refused is not None:
                    return ANONYMOUS, (401, "unauthorized", refused)
                return Principal(kind="local", scopes=frozenset({"read", "write", "admin"})), None
            return ANONYMOUS, (
                401,
                "unauthorized",
                "还没有配置任何令牌，只接受本机访问：请用 qunmi token create 创建个人令牌",
            )
        return ANONYMOUS, (
            401,
            "unauthorized",
            "需要登录：请求头 Authorization: Bearer <个人令牌>，或在控制台登录",
        )

    @staticmethod
    def _refuse(principal: Principal, scope: Scope, path: str) -> tuple[int, str, str] | None:
        if principal.kind == "anonymous":
            return 401, "unauthorized", "需要登录：请求头 Authorization: Bearer <个人令牌>"
        if principal.kind == "bootstrap":
            if path.startswith(BOOTSTRAP_PATHS) or (
                path.startswith("/members") and scope.get("method") in ("GET", "HEAD")
            ):
                return None
            return (
                403,
                "permission_denied",
                "共享令牌 QUNMI_API_TOKEN 只能用来管理个人令牌（/tokens），不能代表任何成员操作",
            )
        if path.startswith("/tokens"):
            needed = "admin"
        elif scope.get("method") in ("GET", "HEAD", "OPTIONS"):
            needed = "read"
        else:
            needed = "write"
        if needed not in principal.scopes and not (
            needed == "read" and "write" in principal.scopes
        ):
            names = {"read": "读取（read）", "write": "修改（write）", "admin": "管理（admin）"}
            return 403, "permission_denied", f"这个令牌没有{names[needed]}权限"
        return None
