"""A generic JSON webhook for bridges from other chat tools.

The sender signs ``"{timestamp}.{raw body}"`` with HMAC-SHA256 and the shared
``QUNMI_WEBHOOK_SECRET``, and sends ``X-Qunmi-Timestamp: <unix seconds>`` and
``X-Qunmi-Signature: sha256=<hex>``. The body::

    {"id": "msg-1", "chat": "官网改版群", "sender": "张三", "text": "...",
     "source": "slack", "sender_name": null, "chat_name": null}

Messages are deduplicated by (``webhook:<source>``, ``id``) and acknowledged with 202. Each
source is its own namespace of chats and senders: chat "1" is that bridge's chat "1" (never
console chat 1), and a sender is that bridge's sender id (``member_identities``), never the
member who happens to have the same display name.
"""

from __future__ import annotations

import asyncio
import hashlib
import hmac
from typing import Annotated, Any

from fastapi import APIRouter, Header, Request
from fastapi.responses import JSONResponse
from pydantic import BaseModel, ConfigDict, Field, ValidationError
from starlette.concurrency import run_in_threadpool

from api.deps import QunmiDep
from api.routes.wecom import wake_worker
from assistant.errors import InvalidInput
from assistant.safejson import loads_bounded
from assistant.services.inbox import Inbound
from tools.validation import describe_all

__all__ = ["router", "sign_webhook"]

router = APIRouter(tags=["webhook"])

MAX_BODY_BYTES = 64 * 1024


def sign_webhook(secret: str, timestamp: str, body: bytes) -> str:
    """The ``X-Qunmi-Signature`` value for ``body`` sent at ``timestamp``."""
    digest = hmac.new(secret.encode(), timestamp.encode() + b"." + body, hashlib.sha256).hexdigest()
    return f"sha256={digest}"


class WebhookMessage(BaseModel):
    model_config = ConfigDict(extra="forbid")
    id: str = Field(min_length=1, max_length=200)
    chat: str = Field(min_length=1, max_length=200)
    sender: str = Field(min_length=1, max_length=200)
    text: str = Field(max_length=20_000)
    source: str = Field(default="bridge", min_length=1, max_length=30, pattern=r"^[A-Za-z0-9_.-]+$")
    sender_name: str | None = Field(default=None, max_length=200)
    chat_name: str | None = Field(default=None, max_length=200)


def _reject(status: int, reason: str) -> JSONResponse:
    return JSONResponse(status_code=status, content={"code": "channel_error", "reason": reason})


@router.post("/webhook", status_code=202)
async def webhook(
    request: Request,
    q: QunmiDep,
    x_qunmi_signature: Annotated[str, Header(max_length=200)] = "",
    x_qunmi_timestamp: Annotated[str, Header(max_length=20)] = "",
) -> Any:
    """Store a signed message from a bridge; the worker processes it."""
    secret = q.settings.webhook_secret
    if secret is None or not secret.get_secret_value():
        return _reject(404, "没有配置 QUNMI_WEBHOOK_SECRET，webhook 未开启")
    raw = await request.body()
    if len(raw) > MAX_BODY_BYTES:
        return _reject(413, "请求体太大")
    try:
        sent = int(x_qunmi_timestamp)
    except ValueError:
        return _reject(401, "缺少或不合法的 X-Qunmi-Timestamp")
    if abs(q.clock.now().timestamp() - sent) > q.settings.webhook_max_age_seconds:
        return _reject(401, "时间戳过期")
    expected = sign_webhook(secret.get_secret_value(), x_qunmi_timestamp, raw)
    if not hmac.compare_digest(expected.encode(), x_qunmi_signature.strip().encode()):
        return _reject(401, "签名不正确")
    try:
        body = WebhookMessage.model_validate(loads_bounded(raw))
    except InvalidInput as exc:
        return _reject(400, exc.reason)
    except ValidationError as exc:
        return _reject(400, f"请求体不合法：{describe_all(exc.errors())}")
    inbound = Inbound(
        channel=f"webhook:{body.source}",
        chat=body.chat,
        sender=body.sender,
        text=body.text,
        external_id=body.id,
        sender_name=body.sender_name,
        chat_name=body.chat_name,
    )
    try:
        if q.inbox_writer is not None:
            message, is_new = await asyncio.wrap_future(q.inbox_writer.submit(inbound))
        else:
            message, is_new = await run_in_threadpool(q.inbox.receive, inbound)
    except InvalidInput as exc:
        return _reject(400, exc.reason)
    if is_new:
        wake_worker(q)
    return {"message_id": message.id, "state": message.state.value, "duplicate": not is_new}
