"""Minutes as background jobs (``POST /summaries``): queued → running → done or failed, like
transcriptions; a job survives a restart and its result is the stored minutes (or digest)."""

from __future__ import annotations

import logging
from datetime import datetime
from typing import Any

from assistant.domain import Job, JobState
from assistant.errors import InvalidInput, NotFound, QunmiError
from assistant.insight.summaries.digest import render_digest
from assistant.ports import Clock
from assistant.services.background import BackgroundLoop
from assistant.services.minutes import MinutesService, lines_from_text, minutes_record
from assistant.unit_of_work import UnitOfWorkFactory

__all__ = ["SummaryJobs"]

log = logging.getLogger(__name__)


class SummaryJobs(BackgroundLoop):
    """Runs summary jobs one at a time on a background thread."""

    kind = "summary"

    def __init__(
        self, *, uow_factory: UnitOfWorkFactory, clock: Clock, minutes: MinutesService
    ) -> None:
        super().__init__(name="qunmi-summaries", stop_timeout=5.0)
        self._uow_factory = uow_factory
        self._clock = clock
        self._minutes = minutes

    def submit(
        self,
        *,
        meeting_id: int | None = None,
        transcript: str | None = None,
        transcription_id: int | None = None,
        chat_id: int | None = None,
        since: datetime | None = None,
        until: datetime | None = None,
        start: datetime | None = None,
        title: str | None = None,
    ) -> Job:
        """Queue one of: a meeting's minutes, minutes of a transcript (text or a finished
        transcription job), or a chat digest over [since, until)."""
        given = [x is not None for x in (transcript, transcription_id, chat_id)]
        if sum(given) > 1 or (chat_id is not None and meeting_id is not None):
            raise InvalidInput(
                "meeting_id、transcript、transcription_id、chat_id 只能给一种（transcript 可以和 meeting_id 一起）"
            )
        if not any(given) and meeting_id is None:
            raise InvalidInput("请给 meeting_id、transcript、transcription_id 或 chat_id 之一")
        if transcript is not None:
            lines_from_text(transcript)  # refuse a malformed transcript now, not in the job
        if chat_id is not None and (since is None):
            raise InvalidInput("总结群聊需要 since（开始时间）")
        now = self._clock.now()
        with self._uow_factory() as uow:
            if meeting_id is not None and uow.meetings.get(meeting_id) is None:
                raise NotFound(f"会议 #{meeting_id} 不存在")
            if chat_id is not None and uow.chats.get(chat_id) is None:
                raise NotFound(f"群 {chat_id} 不存在")
            if transcription_id is not None:
                source = uow.jobs.get(transcription_id)
                if source is None or source.kind != "transcription":
                    raise NotFound(f"转写任务 {transcription_id} 不存在")
                if source.state != JobState.DONE:
                    raise InvalidInput(
                        f"转写任务 {transcription_id} 还没有完成（{source.state.value}）"
                    )
            params: dict[str, Any] = {
                "transcript": transcript,
                "transcription_id": transcription_id,
                "chat_id": chat_id,
                "since": since.isoformat() if since else None,
                "until": (until or now).isoformat() if chat_id is not None else None,
                "start": start.isoformat() if start else None,
                "title": title,
            }
            job = uow.jobs.add(
                Job(
                    kind=self.kind,
                    created_at=now,
                    updated_at=now,
                    params=params,
                    meeting_id=meeting_id,
                )
            )
            uow.commit()
        self._wake.set()
        return job

    def get(self, job_id: int) -> Job:
        with self._uow_factory() as uow:
            job = uow.jobs.get(job_id)
        if job is None or job.kind != self.kind:
            raise NotFound(f"总结任务 {job_id} 不存在")
        return job

    def pending(self) -> list[int]:
        with self._uow_factory() as uow:
            jobs = uow.jobs.list(filters={"kind": self.kind}, limit=500, order="id").items
        return [
            j.id
            for j in jobs
            if j.id is not None and j.state in (JobState.QUEUED, JobState.RUNNING)
        ]

    def run(self, job_id: int) -> Job:
        """Make the summary now (the worker calls this; tests may too)."""
        job = self._set(job_id, state=JobState.RUNNING, progress=0.1, error=None)
        try:
            result = self._result(job)
        except QunmiError as exc:
            return self._set(job_id, state=JobState.FAILED, error=exc.reason)
        except Exception as exc:  # noqa: BLE001 - a job must end visibly, whatever happened
            log.exception("summary job %s failed", job_id)
            return self._set(job_id, state=JobState.FAILED, error=f"{type(exc).__name__}: {exc}")
        return self._set(job_id, state=JobState.DONE, progress=1.0, result=result)

    def _result(self, job: Job) -> dict[str, Any]:
        p = job.params
        tz = self._minutes.tz
        if p.get("chat_id") is not None:
            digest = self._minutes.digest(
                chat_id=int(p["chat_id"]),
                since=datetime.fromisoformat(p["since"]),
                until=datetime.fromisoformat(p["until"]),
            )
            data = digest.to_dict()
            return {"kind": "digest", "digest": data, "card": render_digest(data)}
        text = p.get("transcript")
        if p.get("transcription_id") is not None:
            with self._uow_factory() as uow:
                source = uow.jobs.get(int(p["transcription_id"]))
            text = ((source.result or {}).get("text") if source else None) or ""
        if text is not None:
            start = datetime.fromisoformat(p["start"]) if p.get("start") else self._clock.now()
            minutes = self._minutes.from_lines(
                lines_from_text(text), start=start, meeting_id=job.meeting_id, title=p.get("title")
            )
        else:
            assert job.meeting_id is not None
            with self._uow_factory() as uow:
                meeting = uow.meetings.get(job.meeting_id)
                if meeting is None:
                    raise NotFound(f"会议 #{job.meeting_id} 不存在")
                minutes = self._minutes.for_meeting(uow, meeting, actor_id=None)
                uow.commit()
        return {"kind": "minutes", "minutes": minutes_record(minutes, tz)}

    def _set(self, job_id: int, **changes: Any) -> Job:
        with self._uow_factory() as uow:
            job = uow.jobs.get(job_id)
            if job is None:
                raise NotFound(f"总结任务 {job_id} 不存在")
            for key, value in changes.items():
                setattr(job, key, value)
            job.updated_at = self._clock.now()
            job = uow.jobs.update(job)
            uow.commit()
            return job

    def _loop(self) -> None:
        while not self._stop.is_set():
            try:
                for job_id in self.pending():
                    if self._stop.is_set():
                        break
                    self.run(job_id)
            except Exception:  # noqa: BLE001 - keep the worker alive
                log.exception("summary worker iteration failed")
            self._wake.wait(5.0)
            self._wake.clear()
