"""Voice notes from the console or a bridge: upload the audio, it goes through the inbox like
text (stored first, transcribed, then understood with ``source = voice``)."""

from __future__ import annotations

from typing import Annotated, Any

from fastapi import APIRouter, File, Form, Response, UploadFile
from starlette.concurrency import run_in_threadpool

from api.deps import PrincipalDep, QunmiDep
from api.routes.common import answer_message
from api.routes.messages import ACCEPTED, check_rest_channel, sender_id_for
from api.schemas import OutcomePublic
from assistant.domain import MessageKind
from assistant.errors import QunmiError
from assistant.services.inbox import Inbound
from assistant.services.transcription import save_upload

router = APIRouter(tags=["messages"])

MAX_VOICE_BYTES = 2 * 1024 * 1024 - 64 * 1024  # under the app's body cap; a minute of AMR is ~12 KB


@router.post("/messages/voice", response_model=OutcomePublic, responses=ACCEPTED)
async def post_voice_message(
    q: QunmiDep,
    who: PrincipalDep,
    response: Response,
    file: Annotated[UploadFile, File(description="语音：AMR / SILK / OGG / MP3 / M4A / WAV")],
    chat: Annotated[str, Form(min_length=1, max_length=200)],
    sender: Annotated[str, Form(min_length=1, max_length=200)],
    channel: Annotated[str, Form(max_length=40)] = "api",
    external_id: Annotated[str | None, Form(max_length=200)] = None,
    wait: bool = True,
) -> dict[str, Any]:
    check_rest_channel(channel)
    sender_id = sender_id_for(q, who, sender)
    data = await file.read(MAX_VOICE_BYTES + 1)
    path = save_upload(
        q.settings.data_dir / "media", data, file.filename, max_bytes=MAX_VOICE_BYTES
    )
    if q.check_audio is not None:
        try:
            # Refused now, with the reason, rather than retried into the dead letters.
            await run_in_threadpool(q.check_audio, path)
        except QunmiError:
            path.unlink(missing_ok=True)
            raise
    message, is_new = q.inbox.receive(
        Inbound(
            channel=channel,
            chat=chat,
            sender=sender,
            text="",
            external_id=external_id,
            kind=MessageKind.VOICE,
            sender_id=sender_id,
            payload={"audio_path": str(path), "filename": file.filename},
        )
    )
    assert message.id is not None
    if not is_new:
        path.unlink(missing_ok=True)
    return answer_message(q, message, is_new, wait=wait, response=response)
