"""Voice messages from WeCom: fetch the AMR by media_id, keep it under ``data_dir/media``, and
hand it to the ``Transcriber``."""

from __future__ import annotations

import re
from collections.abc import Callable
from pathlib import Path

from assistant.adapters.wecom.client import WeComClient
from assistant.domain import Message
from assistant.errors import TranscriptionError
from assistant.ports import Transcriber

__all__ = ["WeComVoice"]

_SAFE = re.compile(r"[^A-Za-z0-9_.-]")


class WeComVoice:
    """A ``transcribe(message) -> text`` callable for ``MessageProcessor``.

    The transcriber is built on first use (loading a model takes seconds, and most processes
    never see a voice note). The audio's path is written into ``message.payload`` so that a retry
    does not download it again.
    """

    def __init__(
        self,
        *,
        client: WeComClient,
        transcriber: Callable[[], Transcriber],
        media_dir: Path,
        language: str = "zh",
    ) -> None:
        self._client = client
        self._factory = transcriber
        self._transcriber: Transcriber | None = None
        self._media_dir = media_dir
        self._language = language

    def _get_transcriber(self) -> Transcriber:
        if self._transcriber is None:
            self._transcriber = self._factory()
        return self._transcriber

    def fetch(self, message: Message) -> Path:
        existing = message.payload.get("audio_path")
        if existing and Path(existing).is_file():
            return Path(existing)
        media_id = str(message.payload.get("media_id", ""))
        if not media_id:
            raise TranscriptionError("语音消息缺少 media_id，无法下载")
        media = self._client.get_media(media_id)
        ext = _SAFE.sub("", str(message.payload.get("format") or "amr")) or "amr"
        self._media_dir.mkdir(parents=True, exist_ok=True)
        path = self._media_dir / f"{message.channel}-{message.id}.{ext}"
        path.write_bytes(media.content)
        message.payload["audio_path"] = str(path)
        return path

    def __call__(self, message: Message) -> str:
        path = self.fetch(message)
        transcript = self._get_transcriber().transcribe(path, language=self._language)
        text = transcript.text.strip()
        if not text:
            raise TranscriptionError("没有听清这条语音")
        return text
