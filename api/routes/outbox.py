"""The outbox (every message Qunmi sends) and the schedule (what it will send when)."""

from __future__ import annotations

from typing import Annotated, Any, Literal

from fastapi import APIRouter, Query

from api.deps import QunmiDep
from api.schemas import OutboxPublic, PagePublic, ScheduledJobPublic, TickPublic
from assistant.services.outbox import outbox_record
from assistant.services.scheduler.core import job_record

router = APIRouter(tags=["outbox"])

Limit = Annotated[int, Query(ge=1, le=500)]
Offset = Annotated[int, Query(ge=0)]


@router.get("/outbox", response_model=PagePublic[OutboxPublic])
def list_outbox(
    q: QunmiDep,
    chat_id: int | None = None,
    state: Literal["pending", "sending", "sent", "dead"] | None = None,
    kind: str | None = None,
    scheduled: Annotated[
        bool | None, Query(description="true: only what the scheduler sent (no replies)")
    ] = None,
    limit: Limit = 100,
    offset: Offset = 0,
) -> dict[str, Any]:
    """Messages Qunmi sent or is about to send, newest first."""
    filters: dict[str, Any] = {"chat_id": chat_id, "state": state, "kind": kind}
    if scheduled is not None:
        filters["scheduled"] = scheduled
    with q.uow_factory() as uow:
        page = uow.outbox.list(filters=filters, limit=limit, offset=offset, order="-id")
    return {
        "items": [outbox_record(m, q.settings.tz) for m in page.items],
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
