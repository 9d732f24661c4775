"""Dialogue state: what a chat has going on between a person and Qunmi, as plain data.

The service layer loads it from the database for the person who sent a message and hands it to
the engine inside ``ChatContext``; the engine reads answers, corrections and references
("第二个", "不对，是周四", "把刚才那个会挪到下午") against it without any I/O.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from datetime import datetime
from typing import Any

__all__ = ["Candidate", "DialogueEntry", "DialogueState", "OpenQuestion", "TouchedRecord"]


@dataclass(frozen=True, slots=True)
class Candidate:
    """One record (or member) a question offered: its id and what it is called."""

    id: int
    label: str


@dataclass(frozen=True, slots=True)
class OpenQuestion:
    """Qunmi asked which of ``candidates`` a call meant and is waiting for the answer.

    ``tool`` and ``args`` are the call as it was made; ``slot`` is the argument the answer fills
    (``task``, ``meeting``, or a person's argument such as ``assignee``), ``written`` the words
    that were ambiguous. ``kind`` is ``task``, ``meeting`` or ``member``.
    """

    tool: str
    args: dict[str, Any]
    slot: str
    kind: str
    candidates: tuple[Candidate, ...]
    asked_at: datetime
    asked_of: str
    written: str = ""


@dataclass(frozen=True, slots=True)
class TouchedRecord:
    """A task or meeting Qunmi created or changed in this chat, for or by the sender.

    ``fields`` keeps what a correction needs (``due``, ``start``, ``end``, ``location``,
    ``assignee``, ``attendees``) as the record stood after the change, ISO times included.
    """

    kind: str  # task | meeting
    id: int
    title: str
    tool: str
    created: bool
    at: datetime
    by: str
    for_names: tuple[str, ...] = ()
    fields: dict[str, Any] = field(default_factory=dict)


@dataclass(frozen=True, slots=True)
class DialogueState:
    """The open question asked of the sender (if any, and not expired) and the records
    touched in this chat by or for the sender within the window, newest first."""

    question: OpenQuestion | None = None
    recent: tuple[TouchedRecord, ...] = ()

    @property
    def empty(self) -> bool:
        return self.question is None and not self.recent


@dataclass(slots=True)
class DialogueEntry:
    """One stored piece of dialogue state: a question Qunmi asked (``kind`` question) or a
    record it touched (``kind`` touched), for one member in one chat, until ``expires_at``
    or until it is closed (a question answered or overtaken)."""

    chat_id: int
    member_id: int
    kind: str
    payload: dict[str, Any]
    created_at: datetime
    expires_at: datetime
    id: int | None = None
    message_id: int | None = None
    record_kind: str | None = None
    record_id: int | None = None
    closed_at: datetime | None = None
