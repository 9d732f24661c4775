"""Voice notes in the chat: find the audio of a stored voice message and transcribe it.

A prompt made of the chat's member names and project terms can be shown to Whisper
(``use_terms``); it is off by default because, measured on real Mandarin speech, such a prompt
made every sentence that did not contain those words markedly worse (``qunmi eval asr``)."""

from __future__ import annotations

from collections.abc import Callable
from pathlib import Path

from assistant.adapters.transcribers.text import build_prompt
from assistant.domain import Message
from assistant.errors import TranscriptionError
from assistant.ports import Transcriber

__all__ = ["VoiceNotes"]


class VoiceNotes:
    """A ``transcribe(message) -> text`` callable for ``MessageProcessor``.

    The audio is ``payload["audio_path"]`` (uploads, and channels that already fetched it), or is
    fetched by ``fetch`` (e.g. WeCom's media API by ``media_id``). The processor puts the chat's
    names and terms in ``payload["prompt_terms"]``; they are used when ``use_terms`` is on.
    """

    def __init__(
        self,
        transcriber: Callable[[], Transcriber],
        *,
        fetch: Callable[[Message], Path] | None = None,
        language: str = "zh",
        use_terms: bool = False,
    ) -> None:
        self._transcriber = transcriber
        self._fetch = fetch
        self._language = language
        self._use_terms = use_terms

    def _audio(self, message: Message) -> Path:
        existing = message.payload.get("audio_path")
        if existing and Path(existing).is_file():
            return Path(existing)
        if self._fetch is not None:
            return self._fetch(message)
        raise TranscriptionError("找不到这条语音的音频文件")

    def __call__(self, message: Message) -> str:
        path = self._audio(message)
        prompt = ""
        if self._use_terms:
            terms = message.payload.get("prompt_terms") or {}
            prompt = build_prompt(members=terms.get("members", ()), terms=terms.get("terms", ()))
        transcript = self._transcriber().transcribe(
            path, language=self._language, prompt=prompt or None
        )
        text = transcript.text.strip()
        if not text:
            raise TranscriptionError("没有听清这条语音")
        return text
