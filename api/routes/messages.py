"""The message seam: every channel and the console push chat messages through here."""

from __future__ import annotations

from typing import Any, Literal

from fastapi import APIRouter, Response

from api.deps import QunmiDep
from api.routes.common import answer_message
from api.schemas import (
    IdFilter,
    Limit,
    MessageIn,
    MessagePublic,
    Offset,
    OutcomePublic,
    PagePublic,
    RecordId,
)
from assistant.errors import NotFound
from assistant.services.inbox import Inbound
from tools.records import iso

router = APIRouter(tags=["messages"])

ACCEPTED: dict[int | str, dict[str, Any]] = {
    202: {"model": OutcomePublic, "description": "wait=false：已保存，稍后由后台处理"}
}


def _message_public(q: QunmiDep, m: Any) -> dict[str, Any]:
    return {
        "id": m.id,
        "channel": m.channel,
        "external_id": m.external_id,
        "chat_id": m.chat_id,
        "sender_id": m.sender_id,
        "kind": m.kind.value,
        "text": m.text,
        "received_at": iso(m.received_at, q.settings.tz),
        "state": m.state.value,
        "attempts": m.attempts,
        "error": m.error,
        "result": m.result,
    }


@router.post("/messages", response_model=OutcomePublic, responses=ACCEPTED)
def post_message(
    q: QunmiDep, body: MessageIn, response: Response, wait: bool = True
) -> dict[str, Any]:
    """Store a chat message (deduplicated by channel + external_id) and process it.

    With ``wait=true`` (default) the answer says what was done; with ``wait=false`` the message
    is acknowledged as soon as it is stored (202) and the worker processes it.
    """
    store = q.inbox_writer.receive if q.inbox_writer is not None else q.inbox.receive
    message, is_new = store(
        Inbound(
            channel=body.channel,
            chat=body.chat,
            sender=body.sender,
            text=body.text,
            external_id=body.external_id,
            sender_name=body.sender_name,
        )
    )
    return answer_message(q, message, is_new, wait=wait, response=response)


@router.get("/messages", response_model=PagePublic[MessagePublic])
def list_messages(
    q: QunmiDep,
    state: Literal["received", "processing", "done", "failed", "dead"] | None = None,
    chat_id: IdFilter = None,
    limit: Limit = 100,
    offset: Offset = 0,
) -> dict[str, Any]:
    with q.uow_factory() as uow:
        page = uow.messages.list(
            filters={"state": state, "chat_id": chat_id}, limit=limit, offset=offset, order="-id"
        )
    return {
        "items": [_message_public(q, m) for m in page.items],
        "total": page.total,
        "limit": page.limit,
        "offset": page.offset,
    }


@router.get("/messages/{message_id}", response_model=MessagePublic)
def get_message(q: QunmiDep, message_id: RecordId) -> dict[str, Any]:
    with q.uow_factory() as uow:
        message = uow.messages.get(message_id)
    if message is None:
        raise NotFound(f"消息 {message_id} 不存在")
    return _message_public(q, message)


@router.post("/messages/{message_id}/replay", response_model=OutcomePublic)
def replay_message(q: QunmiDep, message_id: RecordId) -> dict[str, Any]:
    """Send a failed or dead message through the engine again."""
    return q.processor.replay(message_id).to_dict()
