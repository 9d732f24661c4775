"""``OpenAIAudioTranscriber``: any OpenAI-compatible ``/v1/audio/transcriptions`` endpoint.

OpenAI itself, Groq, SiliconFlow, a local whisper.cpp / vLLM / speaches server... The endpoint is
``QUNMI_WHISPER__API_BASE_URL`` with ``QUNMI_WHISPER__API_KEY``; left empty, the chat endpoint
``QUNMI_LLM__BASE_URL`` and its key are used. A key is only ever sent to the endpoint it was
configured with: an own ``api_base_url`` never receives the LLM key.

Audio is decoded locally first (so WeCom AMR and WeChat SILK work with any server) and uploaded
as 16 kHz mono WAV windows of ``chunk_seconds``, well under the usual 25 MB request limit.
"""

from __future__ import annotations

from pathlib import Path
from typing import Any

from assistant.adapters.audio import AudioWindow, to_wav_bytes
from assistant.adapters.transcribers.base import (
    StreamingTranscriber,
    WindowResult,
    stream_in_windows,
)
from assistant.adapters.transcribers.text import whisper_prompt
from assistant.errors import TranscriptionError
from assistant.ports import TranscriptSegment, TranscriptStream
from assistant.settings import LLMSettings, WhisperSettings

__all__ = ["OpenAIAudioTranscriber"]

_NO_KEY = "not-needed"  # local servers take any key; the SDK insists on one


class OpenAIAudioTranscriber(StreamingTranscriber):
    """Speech to text over HTTP with the ``openai`` SDK's ``audio.transcriptions``."""

    name = "api"

    def __init__(self, settings: WhisperSettings, *, llm: LLMSettings | None = None) -> None:
        self.settings = settings
        base_url, key = _endpoint(settings, llm or LLMSettings())
        self.base_url = base_url
        self._api_key = key
        self._max_retries = (llm or LLMSettings()).max_retries
        self._client: Any | None = None

    def _openai(self) -> Any:
        if self._client is None:
            from openai import OpenAI

            self._client = OpenAI(
                base_url=self.base_url,
                api_key=self._api_key,
                timeout=self.settings.api_timeout_seconds,
                max_retries=self._max_retries,
            )
        return self._client

    def stream(
        self,
        audio: Path | bytes,
        *,
        language: str | None = None,
        prompt: str | None = None,
        progress: Any | None = None,
    ) -> TranscriptStream:
        """Same contract as :meth:`~.faster.FasterWhisperTranscriber.stream`."""
        value = language or self.settings.language
        lang = None if value == "auto" else value
        api_prompt = whisper_prompt(prompt, lang)
        model = self.settings.api_model
        # OpenAI's gpt-4o transcribe models only answer "json"; Whisper servers give segments.
        verbose = not model.startswith(("gpt-", "o"))

        def run(window: AudioWindow) -> WindowResult:
            from openai import APIError

            kwargs: dict[str, Any] = {
                "model": model,
                "file": ("audio.wav", to_wav_bytes(window.samples), "audio/wav"),
                "response_format": "verbose_json" if verbose else "json",
            }
            if lang:
                kwargs["language"] = lang
            if api_prompt:
                kwargs["prompt"] = api_prompt
            try:
                result = self._openai().audio.transcriptions.create(**kwargs)
            except APIError as exc:
                raise TranscriptionError(
                    f"语音识别接口出错：{type(exc).__name__}",
                    details={"base_url": self.base_url or "", "model": model, "error": str(exc)},
                ) from exc
            return WindowResult(
                language=lang or str(getattr(result, "language", "") or ""),
                segments=_segments(result, window.duration),
            )

        return stream_in_windows(
            audio,
            settings=self.settings,
            language=lang,
            prompt=api_prompt,
            model_name=f"api:{model}",
            transcribe_window=run,
            progress=progress,
        )


def _endpoint(settings: WhisperSettings, llm: LLMSettings) -> tuple[str | None, str]:
    if settings.api_base_url:
        key = settings.api_key.get_secret_value() if settings.api_key else _NO_KEY
        return settings.api_base_url, key
    if settings.api_key:  # an own key without an own URL means OpenAI itself
        return None, settings.api_key.get_secret_value()
    if llm.configured:
        return llm.base_url, llm.api_key.get_secret_value() if llm.api_key else _NO_KEY
    raise TranscriptionError(
        "未配置语音识别接口：请设置 QUNMI_WHISPER__API_BASE_URL（和 QUNMI_WHISPER__API_KEY），"
        "或 QUNMI_LLM__BASE_URL / QUNMI_LLM__API_KEY。"
    )


def _segments(result: Any, window_seconds: float) -> list[TranscriptSegment]:
    raw = getattr(result, "segments", None) or []
    segments = [
        TranscriptSegment(
            start=float(_field(s, "start")),
            end=float(_field(s, "end")),
            text=str(_field(s, "text")),
        )
        for s in raw
    ]
    if segments:
        return segments
    text = str(getattr(result, "text", "") or "")
    return [TranscriptSegment(start=0.0, end=window_seconds, text=text)] if text.strip() else []


def _field(segment: Any, name: str) -> Any:
    return segment[name] if isinstance(segment, dict) else getattr(segment, name)
