"""The outbox (every message Qunmi sends) and the schedule (what it will send when)."""

from __future__ import annotations

from typing import Annotated, Any, Literal

from fastapi import APIRouter, Query

from api.deps import PrincipalDep, QunmiDep
from api.schemas import OutboxPublic, PagePublic, ScheduledJobPublic, TickPublic
from assistant.errors import PermissionDenied
from assistant.services.group_cards import others_private_chats
from assistant.services.outbox import outbox_record
from assistant.services.scheduler.core import job_record

router = APIRouter(tags=["outbox"])

Limit = Annotated[int, Query(ge=1, le=500)]
Offset = Annotated[int, Query(ge=0)]


@router.get("/outbox", response_model=PagePublic[OutboxPublic])
def list_outbox(
    q: QunmiDep,
    who: PrincipalDep,
    chat_id: int | None = None,
    state: Literal["pending", "sending", "sent", "dead"] | None = None,
    kind: str | None = None,
    scheduled: Annotated[
        bool | None, Query(description="true: only what the scheduler sent (no replies)")
    ] = None,
    limit: Limit = 100,
    offset: Offset = 0,
) -> dict[str, Any]:
    """Messages Qunmi sent or is about to send, newest first. Someone else's own chat with
    Qunmi (where a PM's full report or a sign-in link goes) is not shown; sign-in links never
    show their secret."""
    filters: dict[str, Any] = {"chat_id": chat_id, "state": state, "kind": kind}
    if scheduled is not None:
        filters["scheduled"] = scheduled
    with q.uow_factory() as uow:
        hidden = (
            []
            if who.kind == "local"
            else others_private_chats(uow, who.member.id if who.member else None)
        )
        if chat_id is not None and chat_id in hidden:
            raise PermissionDenied("这是别人和群秘的私聊，不能查看")
        filters["chat_id_not_in"] = hidden or None
        page = uow.outbox.list(filters=filters, limit=limit, offset=offset, order="-id")
    items = []
    for m in page.items:
        record = outbox_record(m, q.settings.tz)
        if m.kind == "login_link":
            record["text"] = "（一次性登录链接，只发给本人，这里不显示）"
        items.append(record)
    return {
        "items": items,
        "total": page.total,
        "limit": page.limit,
        "offset": page.offset,
    }


@router.post("/outbox/{message_id}/retry", response_model=OutboxPublic)
def retry_outbox(q: QunmiDep, message_id: int) -> dict[str, Any]:
    """Send a dead (or waiting) message again now."""
    return outbox_record(q.outbox.retry(message_id), q.settings.tz)


@router.get("/schedule", response_model=PagePublic[ScheduledJobPublic], tags=["schedule"])
def list_schedule(
    q: QunmiDep,
    state: Literal["pending", "done", "cancelled", "expired", "failed"] | None = "pending",
    kind: str | None = None,
    chat_id: int | None = None,
    limit: Limit = 100,
    offset: Offset = 0,
) -> dict[str, Any]:
    """Scheduled work (reminders, summaries, countdowns), soonest first."""
    with q.uow_factory() as uow:
        page = uow.schedule.list(
            filters={"state": state, "kind": kind, "chat_id": chat_id},
            limit=limit,
            offset=offset,
            order="due_at",
        )
    return {
        "items": [job_record(j, q.settings.tz) for j in page.items],
        "total": page.total,
        "limit": page.limit,
        "offset": page.offset,
    }


@router.post("/schedule/tick", response_model=TickPublic, tags=["schedule"])
def tick(q: QunmiDep) -> dict[str, Any]:
    """Run one pass of due work now (what the background scheduler does every second)."""
    report = q.scheduler.tick(force_reconcile=True)
    tz = q.settings.tz
    return {
        "now": report.now.astimezone(tz).isoformat(),
        "planned": report.planned,
        "cancelled": report.cancelled,
        "runs": [r.to_dict(tz) for r in report.runs],
        "sent": [outbox_record(m, tz) for m in report.sent],
    }
