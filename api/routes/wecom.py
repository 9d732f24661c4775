"""WeCom callbacks: verify → decrypt → store in the inbox → wake the worker → acknowledge.

``/wecom/app`` is the self-built app (XML, receive id = corp id); ``/wecom/bot`` is the AI bot
(JSON, receive id empty). Both answer the GET URL verification with the decrypted ``echostr``.
Nothing is stored unless the signature, the timestamp and the body are all good.
"""

from __future__ import annotations

import asyncio
import json
import logging
from typing import Annotated
from urllib.parse import parse_qsl

from fastapi import APIRouter, Query, Request
from fastapi.responses import JSONResponse, PlainTextResponse, Response
from starlette.concurrency import run_in_threadpool
from starlette.types import ASGIApp, Receive, Scope, Send

from api.deps import QunmiDep
from api.errors import status_for
from api.schemas import JSON_ERROR_RESPONSES
from assistant.adapters.wecom.crypto import WeComCrypto
from assistant.adapters.wecom.intake import PreparedInbound, WeComIntake
from assistant.adapters.wecom.messages import (
    parse_app_envelope,
    parse_app_message,
    parse_bot_envelope,
    parse_bot_message,
)
from assistant.bootstrap import Qunmi
from assistant.domain import Member, Message
from assistant.errors import ChannelError, InvalidInput, QunmiError

__all__ = ["CallbackFastPath", "router", "wake_worker"]

log = logging.getLogger(__name__)

router = APIRouter(prefix="/wecom", tags=["wecom"], responses=JSON_ERROR_RESPONSES)

SigQuery = Annotated[str, Query(max_length=128)]


def wake_worker(q: Qunmi) -> None:
    """Tell the worker (in-process or the Redis dispatcher) that a message is waiting."""
    worker = q.extras.get("worker")
    if worker is not None:
        worker.notify()


async def store_inbound(
    q: Qunmi, intake: WeComIntake, prepared: PreparedInbound
) -> tuple[Message, bool]:
    """Store a prepared WeCom message through the group commit; returns after the commit."""
    new_member = None
    if not intake.ready(prepared):
        new_member = await _set_up_once(q, intake, prepared)
    if q.inbox_writer is not None:
        result = await asyncio.wrap_future(q.inbox_writer.submit(prepared.inbound))
    else:
        result = await run_in_threadpool(q.inbox.receive, prepared.inbound)
    intake.stored(new_member)
    return result


async def _set_up_once(q: Qunmi, intake: WeComIntake, prepared: PreparedInbound) -> Member | None:
    """Set a new sender or chat up in one transaction, however many of their messages arrive
    at once: the first starts it, the others wait for it (fifty concurrent set-ups of the same
    rows would collide in SQLite and retry). The member is returned to the first only."""
    setups: dict[tuple[str, ...], asyncio.Future[Member | None]] = q.extras.setdefault(
        "wecom_setups", {}
    )
    key = prepared.setup[:3]
    running = setups.get(key)
    if running is not None:
        await asyncio.shield(running)
        return None
    task = asyncio.ensure_future(run_in_threadpool(intake.setup, prepared))
    setups[key] = task
    task.add_done_callback(lambda _: setups.pop(key, None))
    return await asyncio.shield(task)


def _reject(status: int, reason: str) -> JSONResponse:
    return JSONResponse(status_code=status, content={"code": "channel_error", "reason": reason})


def _crypto(q: Qunmi, which: str) -> WeComCrypto | None:
    parts = q.extras.get("wecom")
    return getattr(parts, f"{which}_crypto", None) if parts is not None else None


def _fresh(q: Qunmi, timestamp: str) -> bool:
    try:
        sent = int(timestamp)
    except ValueError:
        return False
    return abs(q.clock.now().timestamp() - sent) <= q.settings.wecom.max_age_seconds


def _verify_url(
    q: Qunmi, which: str, msg_signature: str, timestamp: str, nonce: str, echostr: str
) -> Response:
    crypto = _crypto(q, which)
    if crypto is None:
        return _reject(404, "没有配置这个企业微信回调")
    if not _fresh(q, timestamp):
        return _reject(403, "时间戳过期或不合法")
    try:
        plain = crypto.open(
            msg_signature=msg_signature, timestamp=timestamp, nonce=nonce, encrypt=echostr
        )
    except ChannelError as exc:
        log.warning("wecom %s URL verification rejected: %s", which, exc.reason)
        return _reject(403, exc.reason)
    return PlainTextResponse(plain.decode("utf-8", "replace"))


_TEXT = b"text/plain; charset=utf-8"
_JSON = b"application/json"


def _refusal(status: int, reason: str) -> tuple[int, bytes, bytes]:
    body = json.dumps({"code": "channel_error", "reason": reason}, ensure_ascii=False)
    return status, body.encode(), _JSON


async def _handle(
    q: Qunmi, which: str, raw: bytes, msg_signature: str, timestamp: str, nonce: str
) -> tuple[int, bytes, bytes]:
    """One callback: ``(status, body, content type)``. The 200 goes out only once the message
    is committed (the group commit answers after its transaction)."""
    crypto = _crypto(q, which)
    if crypto is None:
        return _refusal(404, "没有配置这个企业微信回调")
    if len(raw) > q.settings.wecom.max_body_bytes:
        return _refusal(413, "请求体太大")
    if not _fresh(q, timestamp):
        return _refusal(403, "时间戳过期或不合法")
    intake: WeComIntake = q.extras["wecom_intake"]
    try:
        # Verify and decrypt on the event loop (microseconds); only the store waits.
        if which == "app":
            encrypt = parse_app_envelope(raw)
            crypto.verify(msg_signature, timestamp, nonce, encrypt)
            prepared = intake.app_inbound(parse_app_message(crypto.decrypt(encrypt)))
        else:
            encrypt = parse_bot_envelope(raw)
            crypto.verify(msg_signature, timestamp, nonce, encrypt)
            prepared = intake.bot_inbound(parse_bot_message(crypto.decrypt(encrypt)))
        message, is_new = await store_inbound(q, intake, prepared)
    except ChannelError as exc:
        log.warning("wecom %s callback rejected: %s", which, exc.reason)
        status = 403 if "签名" in exc.reason or "接收方" in exc.reason else 400
        return _refusal(status, exc.reason)
    except InvalidInput as exc:
        return _refusal(400, exc.reason)
    if is_new:
        wake_worker(q)
    if log.isEnabledFor(logging.DEBUG):
        log.debug("wecom %s message %s stored (new=%s)", which, message.id, is_new)
    # An empty 200 tells WeCom the message arrived; replies go out through the APIs later.
    return 200, b"", _TEXT


async def _receive(
    request: Request, q: Qunmi, which: str, msg_signature: str, timestamp: str, nonce: str
) -> Response:
    if _crypto(q, which) is None:
        status, body, media = _refusal(404, "没有配置这个企业微信回调")
    else:
        status, body, media = await _handle(
            q, which, await request.body(), msg_signature, timestamp, nonce
        )
    return Response(body, status_code=status, media_type=media.decode().split(";")[0])


_FAST_PATHS = {"/wecom/app": "app", "/wecom/bot": "bot"}
_SIG_PARAMS = ("msg_signature", "timestamp", "nonce")


class CallbackFastPath:
    """The signed ``POST /wecom/app`` and ``/wecom/bot`` callbacks at the ASGI level, ahead of
    the framework's routing, dependency solving and request objects: the same ``_handle`` as
    the routes, for the requests that carry the load. Anything unusual (a missing or oversized
    signature parameter, another method or path) goes on to the routes, which answer it
    (and document it in the OpenAPI) as before. Sits inside the body cap and the intake gate."""

    def __init__(self, app: ASGIApp) -> None:
        self.app = app

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        which = _FAST_PATHS.get(scope.get("path", "")) if scope["type"] == "http" else None
        params = _sig_params(scope) if which is not None and scope["method"] == "POST" else None
        if which is None or params is None:
            await self.app(scope, receive, send)
            return
        q: Qunmi = scope["app"].state.qunmi
        chunks: list[bytes] = []
        more = True
        while more:
            event = await receive()
            if event["type"] != "http.request":
                return  # the client went away before the body was complete: nothing stored
            chunks.append(event.get("body", b""))
            more = event.get("more_body", False)
        try:
            status, body, media = await _handle(q, which, b"".join(chunks), *params)
        except QunmiError as exc:  # what the app's error handler answers for the routes
            status = status_for({"code": exc.code})
            body = json.dumps(exc.to_dict(), ensure_ascii=False).encode()
            media = _JSON
        await send(
            {
                "type": "http.response.start",
                "status": status,
                "headers": [
                    (b"content-type", media),
                    (b"content-length", str(len(body)).encode()),
                ],
            }
        )
        await send({"type": "http.response.body", "body": body})


def _sig_params(scope: Scope) -> tuple[str, str, str] | None:
    """The three signature parameters when each is there once and within the route's limits."""
    raw = scope.get("query_string", b"")
    try:
        pairs = parse_qsl(raw.decode("latin-1"), keep_blank_values=True, strict_parsing=True)
    except ValueError:
        return None
    found: dict[str, str] = {}
    for name, value in pairs:
        if name in _SIG_PARAMS:
            if name in found or len(value) > 128:
                return None
            found[name] = value
    if len(found) != len(_SIG_PARAMS):
        return None
    return found["msg_signature"], found["timestamp"], found["nonce"]


@router.get("/app", response_class=PlainTextResponse)
def verify_app_url(
    q: QunmiDep,
    msg_signature: SigQuery,
    timestamp: SigQuery,
    nonce: SigQuery,
    echostr: Annotated[str, Query(max_length=1024)],
) -> Response:
    """WeCom's URL verification for the self-built app: answer with the decrypted echostr."""
    return _verify_url(q, "app", msg_signature, timestamp, nonce, echostr)


@router.post("/app", response_class=PlainTextResponse)
async def app_callback(
    request: Request, q: QunmiDep, msg_signature: SigQuery, timestamp: SigQuery, nonce: SigQuery
) -> Response:
    """A message or event to the self-built app (encrypted XML)."""
    return await _receive(request, q, "app", msg_signature, timestamp, nonce)


@router.get("/bot", response_class=PlainTextResponse)
def verify_bot_url(
    q: QunmiDep,
    msg_signature: SigQuery,
    timestamp: SigQuery,
    nonce: SigQuery,
    echostr: Annotated[str, Query(max_length=1024)],
) -> Response:
    """WeCom's URL verification for the AI bot."""
    return _verify_url(q, "bot", msg_signature, timestamp, nonce, echostr)


@router.post("/bot", response_class=PlainTextResponse)
async def bot_callback(
    request: Request, q: QunmiDep, msg_signature: SigQuery, timestamp: SigQuery, nonce: SigQuery
) -> Response:
    """A message to the AI bot (encrypted JSON; in groups when it is @mentioned)."""
    return await _receive(request, q, "bot", msg_signature, timestamp, nonce)
