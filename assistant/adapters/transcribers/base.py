"""The loop every transcriber shares: decode in chunks, cut into windows, clean, report progress.

An adapter only supplies ``transcribe_window`` (samples in, raw timed segments out); this module
owns decoding, the duration cap, bounded memory, timestamps across windows, text cleaning,
punctuation, hallucination filtering, progress, and the delivery of segments as they are
finished (:func:`stream_in_windows`).
"""

from __future__ import annotations

import itertools
import time
from collections.abc import Callable, Iterable, Iterator
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from assistant.adapters.audio import AudioWindow, iter_audio_chunks, iter_windows, probe_duration
from assistant.adapters.transcribers.text import (
    clean_text,
    is_chinese,
    is_hallucination,
    punctuate,
)
from assistant.errors import TranscriptionError
from assistant.ports import SegmentCallback, Transcript, TranscriptSegment, TranscriptStream
from assistant.settings import WhisperSettings

__all__ = [
    "ProgressCallback",
    "StreamingTranscriber",
    "WindowResult",
    "WindowTranscriber",
    "collect",
    "report_progress",
    "stream_in_windows",
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


def stream_in_windows(
    audio: Path | bytes,
    *,
    settings: WhisperSettings,
    language: str | None,
    prompt: str | None,
    model_name: str,
    transcribe_window: WindowTranscriber,
    progress: Any | None = None,
) -> TranscriptStream:
    """Run ``transcribe_window`` over ``audio``, yielding cleaned segments as they are finished.

    The input is checked (missing, empty, too long, not audio) before this returns, so a bad
    file fails at once rather than at the first ``next()``. Memory stays at about one window.
    ``processing_seconds`` counts only the time spent here, not what the consumer does between
    segments.
    """
    # Too long, empty or not audio fails here or at the first chunk, before any model loads.
    total = _safe_probe(audio)
    decoded = iter_audio_chunks(
        audio,
        max_seconds=settings.max_audio_seconds,
        chunk_seconds=min(30.0, settings.chunk_seconds),
    )
    chunks = itertools.chain([next(decoded)], decoded)  # not audio at all fails here, at once
    stream = TranscriptStream(model=model_name, language=language or "")

    def generate() -> Iterator[TranscriptSegment]:
        clock = time.perf_counter()
        report_progress(progress, 0.0, total)
        for window in iter_windows(chunks, window_seconds=settings.chunk_seconds):
            result = transcribe_window(window)
            stream.language = stream.language or result.language
            stream.joiner = "" if is_chinese(stream.language) else " "
            for raw in result.segments:
                if raw.start >= window.duration:
                    continue  # heard in the silence a window was padded with
                text = punctuate(clean_text(raw.text, result.language), result.language)
                if is_hallucination(text, prompt):
                    continue
                start = round(window.offset + raw.start, 3)
                end = round(window.offset + min(raw.end, window.duration), 3)
                stream.duration = max(stream.duration, end)
                report_progress(progress, min(end, window.offset + window.duration), total)
                stream.processing_seconds += time.perf_counter() - clock
                yield TranscriptSegment(start=start, end=max(start, end), text=text)
                clock = time.perf_counter()
            stream.duration = window.offset + window.duration
            report_progress(progress, stream.duration, total)
        stream.processing_seconds += time.perf_counter() - clock

    return stream.attach(generate())


def transcribe_in_windows(
    audio: Path | bytes,
    *,
    settings: WhisperSettings,
    language: str | None,
    prompt: str | None,
    model_name: str,
    transcribe_window: WindowTranscriber,
    progress: Any | None = None,
    on_segment: SegmentCallback | None = None,
) -> Transcript:
    """:func:`stream_in_windows` collected into one :class:`Transcript`."""
    stream = stream_in_windows(
        audio,
        settings=settings,
        language=language,
        prompt=prompt,
        model_name=model_name,
        transcribe_window=transcribe_window,
        progress=progress,
    )
    return collect(stream, on_segment)


class StreamingTranscriber:
    """``transcribe`` for an adapter that implements ``stream``: the same run, collected."""

    def stream(
        self,
        audio: Path | bytes,
        *,
        language: str | None = None,
        prompt: str | None = None,
        progress: Any | None = None,
    ) -> TranscriptStream:
        raise NotImplementedError

    def transcribe(
        self,
        audio: Path | bytes,
        *,
        language: str | None = None,
        prompt: str | None = None,
        progress: Any | None = None,
        on_segment: SegmentCallback | None = None,
    ) -> Transcript:
        """The whole transcript at once; ``on_segment`` still sees each segment as it is done."""
        stream = self.stream(audio, language=language, prompt=prompt, progress=progress)
        return collect(stream, on_segment)


def collect(stream: TranscriptStream, on_segment: SegmentCallback | None = None) -> Transcript:
    """Drain ``stream``, handing each segment to ``on_segment`` as it arrives."""
    for segment in stream:
        if on_segment is not None:
            on_segment(segment)
    return stream.result()


def _safe_probe(audio: Path | bytes) -> float | None:
    try:
        return probe_duration(audio)
    except TranscriptionError:
        raise
    except Exception:  # a header we cannot read is judged by decoding instead
        return None
