"""The loop every transcriber shares: decode in chunks, cut into windows, clean, report progress.

An adapter only supplies ``transcribe_window`` (samples in, raw timed segments out); this module
owns decoding, the duration cap, bounded memory, timestamps across windows, text cleaning,
hallucination filtering and progress.
"""

from __future__ import annotations

import time
from collections.abc import Callable, Iterable
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from assistant.adapters.audio import AudioWindow, iter_audio_chunks, iter_windows, probe_duration
from assistant.adapters.transcribers.text import clean_text, is_chinese, is_hallucination
from assistant.errors import TranscriptionError
from assistant.ports import Transcript, TranscriptSegment
from assistant.settings import WhisperSettings

__all__ = [
    "ProgressCallback",
    "WindowResult",
    "WindowTranscriber",
    "report_progress",
    "transcribe_in_windows",
]

ProgressCallback = Callable[[float, float | None], None]
"""``progress(seconds_done, seconds_total_or_None)``, called as audio is consumed."""


@dataclass(frozen=True, slots=True)
class WindowResult:
    """What a backend heard in one window; segment times are relative to the window's start."""

    language: str
    segments: Iterable[TranscriptSegment]


WindowTranscriber = Callable[[AudioWindow], WindowResult]


def report_progress(progress: Any | None, done: float, total: float | None) -> None:
    if progress is not None:
        progress(done, total)


def transcribe_in_windows(
    audio: Path | bytes,
    *,
    settings: WhisperSettings,
    language: str | None,
    prompt: str | None,
    model_name: str,
    transcribe_window: WindowTranscriber,
    progress: Any | None = None,
) -> Transcript:
    """Run ``transcribe_window`` over ``audio`` and assemble one cleaned :class:`Transcript`."""
    started = time.perf_counter()
    # Too long, empty or not audio fails here or at the first chunk, before any model loads.
    total = _safe_probe(audio)
    chunks = iter_audio_chunks(
        audio,
        max_seconds=settings.max_audio_seconds,
        chunk_seconds=min(30.0, settings.chunk_seconds),
    )
    segments: list[TranscriptSegment] = []
    consumed = 0.0
    report_progress(progress, 0.0, total)
    heard = language or ""
    for window in iter_windows(chunks, window_seconds=settings.chunk_seconds):
        result = transcribe_window(window)
        heard = heard or result.language
        for raw in result.segments:
            text = clean_text(raw.text, result.language)
            if is_hallucination(text, prompt):
                continue
            start = round(window.offset + raw.start, 3)
            end = round(window.offset + min(raw.end, window.duration), 3)
            segments.append(TranscriptSegment(start=start, end=max(start, end), text=text))
            report_progress(progress, min(end, window.offset + window.duration), total)
        consumed = window.offset + window.duration
        report_progress(progress, consumed, total)
    joiner = "" if is_chinese(heard) else " "
    return Transcript(
        text=joiner.join(s.text for s in segments).strip(),
        language=heard,
        duration=round(consumed, 3),
        segments=segments,
        model=model_name,
        processing_seconds=round(time.perf_counter() - started, 3),
    )


def _safe_probe(audio: Path | bytes) -> float | None:
    try:
        return probe_duration(audio)
    except TranscriptionError:
        raise
    except Exception:  # a header we cannot read is judged by decoding instead
        return None
