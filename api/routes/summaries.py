"""Minutes and digests as jobs: ``POST /summaries``, ``GET /summaries/{id}``, and the stored
minutes (``GET /minutes/{id}``, ``GET /meetings/{id}/minutes``)."""

from __future__ import annotations

from datetime import datetime
from typing import Any

from fastapi import APIRouter, status
from pydantic import BaseModel, Field, field_validator

from api.deps import QunmiDep
from assistant.domain import Job
from assistant.errors import InvalidInput, NotFound
from assistant.services.minutes import minutes_record
from tools.records import iso

router = APIRouter(tags=["summaries"])


class SummaryRequest(BaseModel):
    """One of: ``meeting_id`` (its transcript, else the chat around it), ``transcript`` (text:
    one turn a line, "说话人：话"; may go with ``meeting_id`` to link the minutes),
    ``transcription_id`` (a finished ``/transcriptions`` job), or ``chat_id`` + ``since``
    (+ ``until``) for a digest of the chat."""

    meeting_id: int | None = None
    transcript: str | None = Field(default=None, max_length=500_000)
    transcription_id: int | None = None
    chat_id: int | None = None
    since: datetime | None = None
    until: datetime | None = None
    start: datetime | None = Field(default=None, description="会议开始时间（截止日期按它推算）")
    title: str | None = Field(default=None, max_length=200)

    @field_validator("since", "until", "start")
    @classmethod
    def _aware(cls, value: datetime | None) -> datetime | None:
        if value is not None and value.tzinfo is None:
            raise ValueError("时间必须带时区偏移，例如 2026-11-25T15:00:00+08:00")
        return value


def _public(q: QunmiDep, job: Job) -> dict[str, Any]:
    return {
        "id": job.id,
        "state": job.state.value,
        "progress": job.progress,
        "meeting_id": job.meeting_id,
        "error": job.error,
        "result": job.result,
        "created_at": iso(job.created_at, q.settings.tz),
        "updated_at": iso(job.updated_at, q.settings.tz),
    }


@router.post("/summaries", status_code=status.HTTP_202_ACCEPTED)
def submit_summary(q: QunmiDep, body: SummaryRequest) -> dict[str, Any]:
    """Queue minutes (or a digest); poll ``GET /summaries/{id}`` for the result."""
    if q.summary_jobs is None:
        raise InvalidInput("这个实例没有启用会议纪要")
    job = q.summary_jobs.submit(**body.model_dump())
    return _public(q, job)


@router.get("/summaries/{job_id}")
def get_summary(q: QunmiDep, job_id: int) -> dict[str, Any]:
    if q.summary_jobs is None:
        raise InvalidInput("这个实例没有启用会议纪要")
    return _public(q, q.summary_jobs.get(job_id))


@router.get("/minutes/{minutes_id}")
def get_minutes(q: QunmiDep, minutes_id: int) -> dict[str, Any]:
    if q.minutes is None:
        raise InvalidInput("这个实例没有启用会议纪要")
    return minutes_record(q.minutes.get(minutes_id), q.settings.tz)


@router.get("/meetings/{meeting_id}/minutes")
def meeting_minutes(q: QunmiDep, meeting_id: int) -> dict[str, Any]:
    with q.uow_factory() as uow:
        minutes = uow.minutes.by_meeting(meeting_id)
    if minutes is None:
        raise NotFound(f"会议 #{meeting_id} 还没有纪要")
    return minutes_record(minutes, q.settings.tz)
