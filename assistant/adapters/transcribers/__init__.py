"""Adapters for the ``Transcriber`` port.

- :class:`FasterWhisperTranscriber` (``backend=faster-whisper``, default, offline bundled model)
- :class:`OpenAIWhisperTranscriber` (``backend=openai-whisper``, optional extra with PyTorch)
- :class:`OpenAIAudioTranscriber` (``backend=api``, an OpenAI-compatible HTTP endpoint)

Heavy libraries are imported inside the adapters when a model is first needed.
"""

from __future__ import annotations

from pathlib import Path

from assistant.adapters.transcribers.api import OpenAIAudioTranscriber
from assistant.adapters.transcribers.bundled import ensure_bundled_model
from assistant.adapters.transcribers.faster import FasterWhisperTranscriber
from assistant.adapters.transcribers.text import build_prompt
from assistant.adapters.transcribers.whisper_torch import OpenAIWhisperTranscriber
from assistant.ports import Transcriber
from assistant.settings import LLMSettings, WhisperSettings

__all__ = [
    "FasterWhisperTranscriber",
    "OpenAIAudioTranscriber",
    "OpenAIWhisperTranscriber",
    "build_prompt",
    "build_transcriber",
    "ensure_bundled_model",
]


def build_transcriber(
    settings: WhisperSettings, *, data_dir: Path, llm: LLMSettings | None = None
) -> Transcriber:
    """The adapter ``settings.backend`` names (for ``bootstrap`` and the CLI)."""
    if settings.backend == "openai-whisper":
        return OpenAIWhisperTranscriber(
            settings, download_root=data_dir / "models" / "openai-whisper"
        )
    if settings.backend == "api":
        return OpenAIAudioTranscriber(settings, llm=llm)
    return FasterWhisperTranscriber(settings, data_dir=data_dir)
