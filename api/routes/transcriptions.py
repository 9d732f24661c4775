"""Recordings: upload audio, follow the job, read the transcript (optionally onto a meeting)."""

from __future__ import annotations

from typing import Annotated, Any

from fastapi import APIRouter, File, Form, UploadFile, status
from starlette.concurrency import run_in_threadpool

from api.deps import QunmiDep
from api.schemas import MAX_ID, RecordId
from assistant.domain import Job
from assistant.errors import InvalidInput
from tools.records import iso

router = APIRouter(tags=["transcriptions"])


def _public(q: QunmiDep, job: Job) -> dict[str, Any]:
    return {
        "id": job.id,
        "state": job.state.value,
        "progress": job.progress,
        "meeting_id": job.meeting_id,
        "filename": job.params.get("filename"),
        "error": job.error,
        "result": job.result,
        "created_at": iso(job.created_at, q.settings.tz),
        "updated_at": iso(job.updated_at, q.settings.tz),
    }


@router.post("/transcriptions", status_code=status.HTTP_202_ACCEPTED)
async def submit_transcription(
    q: QunmiDep,
    file: Annotated[UploadFile, File(description="录音文件：WAV / MP3 / M4A / OGG / AMR / SILK")],
    meeting_id: Annotated[
        int | None, Form(ge=1, le=MAX_ID, description="转写完成后挂到这个会议上")
    ] = None,
    prompt: Annotated[
        str | None, Form(max_length=500, description="提示词：人名、项目术语")
    ] = None,
) -> dict[str, Any]:
    """Queue a recording for transcription; poll ``GET /transcriptions/{id}`` for progress."""
    jobs = q.transcriptions
    if jobs is None:
        raise InvalidInput("这个实例没有启用转写")
    # The framework has spooled the upload to a temporary file; it is copied to the media
    # folder in chunks, off the event loop, and probed before a job is made of it.
    job = await run_in_threadpool(
        jobs.submit, file.file, filename=file.filename, meeting_id=meeting_id, prompt=prompt
    )
    return _public(q, job)


@router.get("/transcriptions/{job_id}")
def get_transcription(q: QunmiDep, job_id: RecordId) -> dict[str, Any]:
    if q.transcriptions is None:
        raise InvalidInput("这个实例没有启用转写")
    return _public(q, q.transcriptions.get(job_id))
