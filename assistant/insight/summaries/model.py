"""The values minutes and digests are made of: transcript lines, sentences, and the draft.

Plain dataclasses, no I/O. ``MinutesDraft.to_dict`` is the JSON contract of ``qunmi summarize``:
``{"summary", "topics": [{"title", "summary"}], "decisions": [...], "action_items": [{"owner",
"title", "due", "source"}], "open_questions": [...]}`` (with line numbers and speakers besides).
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from dataclasses import dataclass, field
from datetime import datetime
from typing import Any

__all__ = [
    "ActionItem",
    "Decision",
    "MeetingContext",
    "MinutesDraft",
    "OpenQuestion",
    "Sentence",
    "Topic",
    "TranscriptLine",
]


@dataclass(frozen=True, slots=True)
class TranscriptLine:
    """One turn of a transcript as it was heard: who spoke (a member, a label such as
    "说话人1", or ``None``) and the raw text."""

    speaker: str | None
    text: str


@dataclass(frozen=True, slots=True)
class Sentence:
    """A sentence-sized stretch of one line: ``raw`` is ``line.text[start:end]`` verbatim (the
    source a decision or an action item cites), ``text`` the cleaned, punctuated reading."""

    index: int
    line: int
    start: int
    end: int
    raw: str
    text: str
    speaker: str | None = None


@dataclass(frozen=True, slots=True)
class MeetingContext:
    """What the minutes are read against: when the meeting began (due dates are relative to
    it), who was there (display name → aliases) and the workday's end for bare due dates."""

    start: datetime
    members: Mapping[str, Sequence[str]] = field(default_factory=dict)
    title: str | None = None
    workday_end_hour: int = 18


@dataclass(slots=True)
class Topic:
    title: str
    summary: str
    first_line: int = 0
    last_line: int = 0

    def to_dict(self) -> dict[str, Any]:
        return {
            "title": self.title,
            "summary": self.summary,
            "lines": [self.first_line, self.last_line],
        }


@dataclass(slots=True)
class Decision:
    text: str
    source: str
    line: int
    speaker: str | None = None

    def to_dict(self) -> dict[str, Any]:
        return {"text": self.text, "source": self.source, "line": self.line}


@dataclass(slots=True)
class ActionItem:
    """Who does what by when, and the line it was said in. ``owner`` is a member's display
    name, or ``None`` when nobody was named or implied."""

    title: str
    source: str
    line: int
    owner: str | None = None
    due: datetime | None = None
    speaker: str | None = None

    def to_dict(self) -> dict[str, Any]:
        return {
            "owner": self.owner,
            "title": self.title,
            "due": self.due.isoformat() if self.due is not None else None,
            "source": self.source,
            "line": self.line,
        }


@dataclass(slots=True)
class OpenQuestion:
    text: str
    source: str
    line: int

    def to_dict(self) -> dict[str, Any]:
        return {"text": self.text, "source": self.source, "line": self.line}


@dataclass(slots=True)
class MinutesDraft:
    """Minutes before they are stored: what an engine made of a transcript."""

    summary: str
    topics: list[Topic] = field(default_factory=list)
    decisions: list[Decision] = field(default_factory=list)
    action_items: list[ActionItem] = field(default_factory=list)
    open_questions: list[OpenQuestion] = field(default_factory=list)
    engine: str = "offline"
    notes: list[str] = field(default_factory=list)

    def to_dict(self) -> dict[str, Any]:
        return {
            "summary": self.summary,
            "topics": [t.to_dict() for t in self.topics],
            "decisions": [d.to_dict() for d in self.decisions],
            "action_items": [a.to_dict() for a in self.action_items],
            "open_questions": [q.to_dict() for q in self.open_questions],
            "engine": self.engine,
        }
