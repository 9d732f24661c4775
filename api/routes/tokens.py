"""Per-person API tokens (admins only) and console sign-in.

- ``POST /tokens`` creates a token for a member and answers its secret once; only its SHA-256
  is stored. ``GET /tokens`` lists them (prefix, scopes, dates), ``POST /tokens/{id}/revoke``.
- ``POST /auth/session`` with a token opens a console session (HttpOnly cookie);
  ``DELETE /auth/session`` closes it; ``GET /auth/me`` says who is signed in.
- ``POST /auth/link`` queues a one-time sign-in link for a member in the outbox, to their WeCom
  chat; ``GET /auth/link/{secret}`` spends it, sets the session cookie and opens the console.
"""

from __future__ import annotations

import contextlib
from typing import Any

from fastapi import APIRouter, Request, Response, status
from fastapi.responses import RedirectResponse

from api.auth import SESSION_COOKIE, Principal, identity_service
from api.deps import PrincipalDep, QunmiDep
from api.schemas import (
    LoginLinkRequest,
    RecordId,
    SessionCreate,
    TokenCreate,
    TokenCreated,
    TokenPublic,
)
from assistant.bootstrap import Qunmi
from assistant.errors import InvalidInput, NotFound, PermissionDenied
from assistant.identity import ApiToken
from assistant.services.identity import SESSION_TTL
from tools.records import iso

__all__ = ["router", "token_record"]

router = APIRouter()


def token_record(q: Qunmi, token: ApiToken, member: str) -> dict[str, Any]:
    tz = q.settings.tz
    return {
        "id": token.id,
        "member_id": token.member_id,
        "member": member,
        "label": token.label,
        "prefix": token.prefix,
        "scopes": list(token.scopes),
        "created_by_id": token.created_by_id,
        "created_at": iso(token.created_at, tz),
        "expires_at": iso(token.expires_at, tz),
        "revoked_at": iso(token.revoked_at, tz),
        "last_used_at": iso(token.last_used_at, tz),
        "active": token.active(q.clock.now()),
    }


def _need_admin(who: Principal) -> None:
    if not who.is_admin:
        raise PermissionDenied("只有管理员可以管理令牌")


@router.post(
    "/tokens",
    response_model=TokenCreated,
    status_code=status.HTTP_201_CREATED,
    tags=["tokens"],
)
def create_token(q: QunmiDep, who: PrincipalDep, body: TokenCreate) -> dict[str, Any]:
    """Create a token for a member (admins only). The secret is in this answer only."""
    _need_admin(who)
    secret, token, member = identity_service(q).create_token(
        member=body.member,
        scopes=body.scopes,
        expires_at=body.expires_at,
        label=body.label,
        created_by=who.member.id if who.member is not None else None,
    )
    return {**token_record(q, token, member.display_name), "token": secret}


@router.get("/tokens", response_model=list[TokenPublic], tags=["tokens"])
def list_tokens(q: QunmiDep, who: PrincipalDep, member: str | None = None) -> list[dict[str, Any]]:
    _need_admin(who)
    return [token_record(q, t, name) for t, name in identity_service(q).tokens(member=member)]


@router.post("/tokens/{token_id}/revoke", response_model=TokenPublic, tags=["tokens"])
def revoke_token(q: QunmiDep, who: PrincipalDep, token_id: RecordId) -> dict[str, Any]:
    _need_admin(who)
    token = identity_service(q).revoke(token_id)
    names = {t.id: name for t, name in identity_service(q).tokens() if t.id == token.id}
    return token_record(q, token, names.get(token.id, "?"))


# -- console sign-in --------------------------------------------------------------------------
def _set_session(response: Response, secret: str, request: Request) -> None:
    response.set_cookie(
        SESSION_COOKIE,
        secret,
        max_age=int(SESSION_TTL.total_seconds()),
        httponly=True,
        samesite="strict",
        secure=request.url.scheme == "https",
        path="/",
    )


@router.get("/auth/me", tags=["auth"])
def who_am_i(who: PrincipalDep) -> dict[str, Any]:
    """Who the console is signed in as (``local``: this machine, no tokens configured)."""
    member = who.member
    return {
        "signed_in": who.kind != "anonymous",
        "kind": who.kind,
        "member_id": member.id if member else None,
        "display_name": member.display_name if member else who.describe(),
        "role": member.role.value if member else ("admin" if who.is_admin else None),
        "scopes": sorted(who.scopes),
    }


@router.post("/auth/session", tags=["auth"])
def sign_in(
    q: QunmiDep, body: SessionCreate, request: Request, response: Response
) -> dict[str, Any]:
    """Sign the console in with a personal token: the answer sets an HttpOnly session cookie."""
    found = identity_service(q).authenticate(body.token.strip())
    if found is None or found.member.id is None:
        raise PermissionDenied("令牌无效、已过期或已吊销")
    secret, _ = identity_service(q).open_session(found.member.id)
    _set_session(response, secret, request)
    return {
        "signed_in": True,
        "member_id": found.member.id,
        "display_name": found.member.display_name,
    }


@router.delete("/auth/session", tags=["auth"])
def sign_out(q: QunmiDep, request: Request, response: Response) -> dict[str, Any]:
    secret = request.cookies.get(SESSION_COOKIE)
    if secret:
        identity_service(q).close_session(secret)
    response.delete_cookie(SESSION_COOKIE, path="/")
    return {"signed_in": False}


@router.post("/auth/link", status_code=status.HTTP_202_ACCEPTED, tags=["auth"])
def send_link(q: QunmiDep, body: LoginLinkRequest) -> dict[str, Any]:
    """Queue a one-time sign-in link in the member's WeCom chat (through the outbox). The answer
    is the same whether or not the name is known, so it tells nobody who is a member."""
    with contextlib.suppress(NotFound, InvalidInput):
        identity_service(q).send_login_link(body.member)
    return {"queued": True, "reason": "如果这个名字绑定了企业微信，登录链接已发到 TA 的企业微信"}


@router.get("/auth/link/{secret}", include_in_schema=False)
def use_link(q: QunmiDep, secret: str, request: Request) -> Response:
    member_id = identity_service(q).use_login_link(secret[:200])
    if member_id is None:
        raise PermissionDenied("登录链接无效、已用过或已过期：请重新获取")
    session, _ = identity_service(q).open_session(member_id)
    response = RedirectResponse("/", status_code=status.HTTP_303_SEE_OTHER)
    _set_session(response, session, request)
    return response
