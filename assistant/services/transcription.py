"""Recordings to text, as background jobs: upload → queued → running (with progress) → done or
failed. A job survives a restart (queued and running jobs are picked up again), the model is
loaded once and shared, and a finished transcript can be attached to a meeting.

Segments are delivered while the job runs: every :class:`TranscriptListener` subscribed with
:meth:`TranscriptionJobs.subscribe` sees each finished segment as it is decoded, and the job's
stored ``result`` holds the segments so far (``"partial": true``), so the minutes of a two-hour
meeting can be built alongside its transcription instead of after it."""

from __future__ import annotations

import logging
import re
import time
import uuid
from collections.abc import Callable
from dataclasses import asdict
from pathlib import Path
from typing import Any, BinaryIO, Protocol

from assistant.domain import Job, JobState
from assistant.errors import InvalidInput, NotFound, QunmiError
from assistant.ports import Clock, Transcriber, Transcript, TranscriptSegment
from assistant.services.background import BackgroundLoop
from assistant.unit_of_work import UnitOfWorkFactory

__all__ = ["TranscriptListener", "TranscriptionJobs", "save_stream", "save_upload"]

log = logging.getLogger(__name__)

_SAFE_SUFFIX = re.compile(r"^\.[a-z0-9]{1,8}$")
_PROGRESS_EVERY = 1.0  # seconds between progress writes
_PARTIAL_EVERY = 5.0  # seconds between writes of the segments so far


class TranscriptListener(Protocol):
    """Follows transcription jobs as they run (a summarizer, a live console view...).

    Called on the transcription thread, in order: ``on_segment`` for each finished segment, then
    ``on_finished`` once with the whole transcript (after it is stored). A listener that raises
    is logged and the job goes on.
    """

    def on_segment(self, job: Job, segment: TranscriptSegment) -> None: ...

    def on_finished(self, job: Job, transcript: Transcript) -> None: ...


def save_upload(media_dir: Path, data: bytes, filename: str | None, *, max_bytes: int) -> Path:
    """Store uploaded audio under ``media_dir`` with a name of our own (never the client's)."""
    if not data:
        raise InvalidInput("上传的音频是空的")
    if len(data) > max_bytes:
        raise InvalidInput(
            f"音频太大：{len(data) // 1024 // 1024} MB，最多 {max_bytes // 1024 // 1024} MB"
        )
    suffix = Path(filename or "").suffix.lower()
    if not _SAFE_SUFFIX.match(suffix):
        suffix = ".bin"
    media_dir.mkdir(parents=True, exist_ok=True)
    path = media_dir / f"{uuid.uuid4().hex}{suffix}"
    tmp = path.with_suffix(path.suffix + ".part")
    tmp.write_bytes(data)
    tmp.replace(path)
    return path


_CHUNK = 1024 * 1024


def save_stream(media_dir: Path, source: BinaryIO, filename: str | None, *, max_bytes: int) -> Path:
    """Copy an uploaded file to ``media_dir`` in 1 MB chunks (a 200 MB recording never sits in
    memory), refusing it as soon as it grows past ``max_bytes``."""
    suffix = Path(filename or "").suffix.lower()
    if not _SAFE_SUFFIX.match(suffix):
        suffix = ".bin"
    media_dir.mkdir(parents=True, exist_ok=True)
    path = media_dir / f"{uuid.uuid4().hex}{suffix}"
    tmp = path.with_suffix(path.suffix + ".part")
    written = 0
    try:
        with tmp.open("wb") as out:
            while chunk := source.read(_CHUNK):
                written += len(chunk)
                if written > max_bytes:
                    raise InvalidInput(f"音频太大：最多 {max_bytes // 1024 // 1024} MB")
                out.write(chunk)
        if written == 0:
            raise InvalidInput("上传的音频是空的")
        tmp.replace(path)
    finally:
        tmp.unlink(missing_ok=True)
    return path


class TranscriptionJobs(BackgroundLoop):
    """Runs transcription jobs one at a time on a background thread (the model is big, the
    machine small); the request that submits a job returns at once."""

    kind = "transcription"

    def __init__(
        self,
        *,
        uow_factory: UnitOfWorkFactory,
        clock: Clock,
        transcriber: Callable[[], Transcriber],
        media_dir: Path,
        max_upload_bytes: int = 200 * 1024 * 1024,
        check_audio: Callable[[Path], None] | None = None,
    ) -> None:
        self.check_audio = check_audio
        super().__init__(name="qunmi-transcribe", stop_timeout=5.0)
        self._uow_factory = uow_factory
        self._clock = clock
        self._transcriber = transcriber
        self.media_dir = media_dir
        self.max_upload_bytes = max_upload_bytes
        self._listeners: list[TranscriptListener] = []

    def subscribe(self, listener: TranscriptListener) -> None:
        """Have ``listener`` follow every job from now on."""
        self._listeners.append(listener)

    # -- submitting and reading ---------------------------------------------------------
    def submit(
        self,
        data: bytes | BinaryIO,
        *,
        filename: str | None = None,
        meeting_id: int | None = None,
        prompt: str | None = None,
        language: str | None = None,
    ) -> Job:
        if meeting_id is not None:
            with self._uow_factory() as uow:
                if uow.meetings.get(meeting_id) is None:
                    raise NotFound(f"会议 #{meeting_id} 不存在")
        if isinstance(data, bytes):
            path = save_upload(self.media_dir, data, filename, max_bytes=self.max_upload_bytes)
        else:
            path = save_stream(self.media_dir, data, filename, max_bytes=self.max_upload_bytes)
        try:
            if self.check_audio is not None:
                self.check_audio(path)  # refused now with a reason, not failed later
        except QunmiError:
            path.unlink(missing_ok=True)
            raise
        now = self._clock.now()
        with self._uow_factory() as uow:
            job = uow.jobs.add(
                Job(
                    kind=self.kind,
                    created_at=now,
                    updated_at=now,
                    input_path=str(path),
                    params={"prompt": prompt, "language": language, "filename": filename},
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
            raise NotFound(f"转写任务 {job_id} 不存在")
        return job

    def pending(self) -> list[int]:
        with self._uow_factory() as uow:
            jobs = uow.jobs.list(filters={"kind": self.kind}, limit=500, order="id").items
        return [
            j.id
            for j in jobs
            if j.id is not None and j.state in (JobState.QUEUED, JobState.RUNNING)
        ]

    # -- running ------------------------------------------------------------------------
    def run(self, job_id: int) -> Job:
        """Transcribe one job now (the worker calls this; tests may too)."""
        job = self._set(job_id, state=JobState.RUNNING, progress=0.0, error=None, result=None)
        last_write = 0.0
        last_partial = time.monotonic()
        heard: list[TranscriptSegment] = []

        def progress(done: float, total: float | None) -> None:
            nonlocal last_write
            now = time.monotonic()
            if total and now - last_write >= _PROGRESS_EVERY:
                last_write = now
                self._set(job_id, progress=round(min(done / total, 0.99), 3))

        def on_segment(segment: TranscriptSegment) -> None:
            nonlocal last_partial
            heard.append(segment)
            for listener in self._listeners:
                self._tell(listener.on_segment, job, segment)
            now = time.monotonic()
            if now - last_partial >= _PARTIAL_EVERY:
                last_partial = now
                self._set(job_id, result=_partial(heard))

        try:
            if not job.input_path or not Path(job.input_path).exists():
                raise NotFound("上传的音频文件不见了，请重新上传")
            transcript = self._transcriber().transcribe(
                Path(job.input_path),
                language=job.params.get("language"),
                prompt=job.params.get("prompt"),
                progress=progress,
                on_segment=on_segment,
            )
        except QunmiError as exc:
            return self._set(job_id, state=JobState.FAILED, error=exc.reason)
        except Exception as exc:  # noqa: BLE001 - a job must end visibly, whatever happened
            log.exception("transcription job %s failed", job_id)
            return self._set(job_id, state=JobState.FAILED, error=f"{type(exc).__name__}: {exc}")
        result: dict[str, Any] = asdict(transcript)
        with self._uow_factory() as uow:
            stored = uow.jobs.get(job_id)
            assert stored is not None
            stored.state, stored.progress, stored.result = JobState.DONE, 1.0, result
            stored.updated_at = self._clock.now()
            uow.jobs.update(stored)
            if stored.meeting_id is not None:
                meeting = uow.meetings.get(stored.meeting_id)
                if meeting is not None:
                    meeting.transcript = transcript.text
                    uow.meetings.update(meeting)
            uow.commit()
        for listener in self._listeners:
            self._tell(listener.on_finished, stored, transcript)
        return stored

    @staticmethod
    def _tell(callback: Callable[..., None], *args: Any) -> None:
        try:
            callback(*args)
        except Exception:  # noqa: BLE001 - a listener's failure must not lose the transcript
            log.exception("transcript listener %r failed", callback)

    def _set(self, job_id: int, **changes: Any) -> Job:
        with self._uow_factory() as uow:
            job = uow.jobs.get(job_id)
            if job is None:
                raise NotFound(f"转写任务 {job_id} 不存在")
            for key, value in changes.items():
                setattr(job, key, value)
            job.updated_at = self._clock.now()
            job = uow.jobs.update(job)
            uow.commit()
            return job

    # -- the background thread ----------------------------------------------------------

    def _loop(self) -> None:
        while not self._stop.is_set():
            try:
                for job_id in self.pending():
                    if self._stop.is_set():
                        break
                    self.run(job_id)
            except Exception:  # noqa: BLE001 - keep the worker alive
                log.exception("transcription worker iteration failed")
            self._wake.wait(5.0)
            self._wake.clear()


def _partial(segments: list[TranscriptSegment]) -> dict[str, Any]:
    return {
        "partial": True,
        "text": "".join(s.text for s in segments),
        "segments": [asdict(s) for s in segments],
    }
