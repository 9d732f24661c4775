"""The message seam: every channel and the console push chat messages through here."""

from __future__ import annotations

from collections.abc import Callable
from typing import Any, Literal

from fastapi import APIRouter, Response

from api.deps import PrincipalDep, QunmiDep, acting_as
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
from assistant.errors import Conflict, NotFound, PermissionDenied
from assistant.identity import REST_CHANNELS
from assistant.services.group_cards import strip_budget
from assistant.services.inbox import Inbound
from tools.permissions import sees_budget
from tools.records import iso

router = APIRouter(tags=["messages"])

ACCEPTED: dict[int | str, dict[str, Any]] = {
    202: {"model": OutcomePublic, "description": "wait=false：已保存，稍后由后台处理"}
}


def _budget_reader(q: QunmiDep, who: PrincipalDep) -> Callable[[Any], bool]:
    """Whether ``who`` may read the budget figures in a message's stored outcome: the local
    operator, the message's sender, and whoever may see the budget of the chat's project."""
    seen: dict[int | None, bool] = {}

    def may(m: Any) -> bool:
        if who.kind == "local":
            return True
        member = who.member
        if member is None or member.id is None:
            return False
        if m.sender_id == member.id:
            return True
        if m.chat_id not in seen:
            with q.uow_factory() as uow:
                chat = uow.chats.get(m.chat_id) if m.chat_id is not None else None
                project = uow.projects.get(chat.project_id) if chat and chat.project_id else None
                role = None
                if project is not None and project.id is not None:
                    role = uow.projects.role_of(project.id, member.id)
            seen[m.chat_id] = sees_budget(member, project, role, q.executor.policy)
        return seen[m.chat_id]

    return may


def _message_public(q: QunmiDep, m: Any, sees: bool = True) -> dict[str, Any]:
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
        "result": m.result if sees else strip_budget(m.result),
    }


def check_rest_channel(channel: str) -> None:
    """Only a channel's own route writes its messages: WeCom messages come from the signed WeCom
    callbacks, bridge messages from the signed webhook. Nobody can pre-claim their ids here."""
    if channel not in REST_CHANNELS:
        raise PermissionDenied(
            f"渠道“{channel}”的消息只能由该渠道自己的回调写入；这里只接受 "
            + "、".join(sorted(REST_CHANNELS)),
            details={"channel": channel},
        )


def sender_id_for(q: QunmiDep, who: PrincipalDep, sender: str) -> int | None:
    """The verified sender: the authenticated member (a ``sender`` naming someone else is
    refused); in local mode, ``None`` (the inbox resolves the name, as for the CLI)."""
    actor = acting_as(q, who, sender)
    return actor if who.member is not None and isinstance(actor, int) else None


@router.post("/messages", response_model=OutcomePublic, responses=ACCEPTED)
def post_message(
    q: QunmiDep, who: PrincipalDep, body: MessageIn, response: Response, wait: bool = True
) -> dict[str, Any]:
    """Store a chat message (deduplicated by channel + external_id) and process it.

    The sender is the authenticated person; ``channel`` is ``api`` or ``console`` (WeCom and
    webhook messages only come through their own signed routes). With ``wait=true`` (default)
    the answer says what was done; with ``wait=false`` the message is acknowledged as soon as it
    is stored (202) and the worker processes it.
    """
    check_rest_channel(body.channel)
    sender_id = sender_id_for(q, who, body.sender)
    if body.external_id is not None:
        with q.uow_factory() as uow:
            earlier = uow.messages.by_external(body.channel, body.external_id)
        if earlier is not None and sender_id is not None and earlier.sender_id != sender_id:
            raise Conflict(
                f"消息 id“{body.external_id}”已被另一位成员的消息使用",
                details={"external_id": body.external_id},
            )
    store = q.inbox_writer.receive if q.inbox_writer is not None else q.inbox.receive
    message, is_new = store(
        Inbound(
            channel=body.channel,
            chat=body.chat,
            sender=body.sender,
            text=body.text,
            external_id=body.external_id,
            sender_name=body.sender_name,
            sender_id=sender_id,
        )
    )
    return answer_message(q, message, is_new, wait=wait, response=response)


@router.get("/messages", response_model=PagePublic[MessagePublic])
def list_messages(
    q: QunmiDep,
    who: PrincipalDep,
    state: Literal["received", "processing", "done", "failed", "dead"] | None = None,
    chat_id: IdFilter = None,
    limit: Limit = 100,
    offset: Offset = 0,
) -> dict[str, Any]:
    may = _budget_reader(q, who)
    with q.uow_factory() as uow:
        page = uow.messages.list(
            filters={"state": state, "chat_id": chat_id}, limit=limit, offset=offset, order="-id"
        )
    return {
        "items": [_message_public(q, m, may(m)) for m in page.items],
        "total": page.total,
        "limit": page.limit,
        "offset": page.offset,
    }


@router.get("/messages/{message_id}", response_model=MessagePublic)
def get_message(q: QunmiDep, who: PrincipalDep, message_id: RecordId) -> dict[str, Any]:
    with q.uow_factory() as uow:
        message = uow.messages.get(message_id)
    if message is None:
        raise NotFound(f"消息 {message_id} 不存在")
    return _message_public(q, message, _budget_reader(q, who)(message))


@router.post("/messages/{message_id}/replay", response_model=OutcomePublic)
def replay_message(q: QunmiDep, message_id: RecordId) -> dict[str, Any]:
    """Send a failed or dead message through the engine again."""
    return q.processor.replay(message_id).to_dict()
