"""Ports: the capabilities the core needs from the outside world, as Protocols.

Only ``assistant.bootstrap`` knows which adapter stands behind each port.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass, field
from datetime import datetime
from pathlib import Path
from typing import Any, Protocol, runtime_checkable

from assistant.domain import ChatContext, IncomingMessage, ToolCall

__all__ = [
    "Clock",
    "Engine",
    "Notifier",
    "OutgoingCard",
    "Transcriber",
    "Transcript",
    "TranscriptSegment",
]


@runtime_checkable
class Clock(Protocol):
    """Tells the time, timezone-aware."""

    def now(self) -> datetime: ...


@runtime_checkable
class Engine(Protocol):
    """Turns one chat message into tool calls from the vocabulary in ``tools``."""

    name: str

    def understand(self, message: IncomingMessage, context: ChatContext) -> list[ToolCall]: ...


@dataclass(frozen=True, slots=True)
class TranscriptSegment:
    start: float
    end: float
    text: str


@dataclass(frozen=True, slots=True)
class Transcript:
    text: str
    language: str
    duration: float
    segments: list[TranscriptSegment] = field(default_factory=list)
    model: str = ""
    processing_seconds: float = 0.0


class Transcriber(Protocol):
    """Speech to text. ``prompt`` biases the decoder towards names and project terms."""

    name: str

    def transcribe(
        self,
        audio: Path | bytes,
        *,
        language: str | None = None,
        prompt: str | None = None,
        progress: Any | None = None,
    ) -> Transcript: ...


@dataclass(frozen=True, slots=True)
class OutgoingCard:
    """A reply for a chat: short Chinese text (markdown allowed), who to @, where it goes."""

    text: str
    chat: str | None = None
    mentions: Sequence[str] = ()
    kind: str = "confirm"  # confirm | question | error | answer | reminder | alert


class Notifier(Protocol):
    """Sends cards out to a chat channel."""

    def send(self, card: OutgoingCard) -> None: ...
