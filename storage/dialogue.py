"""The ``dialogue_entries`` table and ``SqlDialogueRepository``: the chats' dialogue state.

Rows are appended, never rewritten (two workers processing messages of one chat each add
their own), closed when answered or overtaken, and read back only while they have not expired.
"""

from __future__ import annotations

from collections.abc import Sequence
from datetime import datetime

from sqlalchemy import delete, select, update
from sqlalchemy.orm import Session

from assistant.domain import DialogueEntry
from storage.orm import DialogueEntryRow

__all__ = ["SqlDialogueRepository"]


_FIELDS = (
    "chat_id",
    "member_id",
    "kind",
    "message_id",
    "record_kind",
    "record_id",
    "payload",
    "created_at",
    "expires_at",
    "closed_at",
)


def _entry(row: DialogueEntryRow) -> DialogueEntry:
    return DialogueEntry(id=row.id, **{name: getattr(row, name) for name in _FIELDS})


class SqlDialogueRepository:
    def __init__(self, session: Session) -> None:
        self.session = session

    def add(self, entry: DialogueEntry) -> None:
        """Add the entry; it is written with the transaction's commit (no id is needed now)."""
        self.session.add(DialogueEntryRow(**{name: getattr(entry, name) for name in _FIELDS}))

    def live(
        self, chat_id: int, member_id: int, kinds: Sequence[str], now: datetime, *, limit: int = 50
    ) -> list[DialogueEntry]:
        """The member's entries of ``kinds`` in the chat that are neither closed nor expired,
        newest first."""
        rows = self.session.scalars(
            select(DialogueEntryRow)
            .where(
                DialogueEntryRow.chat_id == chat_id,
                DialogueEntryRow.member_id == member_id,
                DialogueEntryRow.kind.in_(list(kinds)),
                DialogueEntryRow.closed_at.is_(None),
                DialogueEntryRow.expires_at > now,
            )
            .order_by(DialogueEntryRow.id.desc())
            .limit(limit)
        )
        return [_entry(r) for r in rows]

    def close(
        self, chat_id: int, member_id: int, kind: str, at: datetime, *, before_id: int | None
    ) -> int:
        """Close the member's open entries of ``kind`` in the chat (those added before entry
        ``before_id`` when given); how many."""
        query = update(DialogueEntryRow).where(
            DialogueEntryRow.chat_id == chat_id,
            DialogueEntryRow.member_id == member_id,
            DialogueEntryRow.kind == kind,
            DialogueEntryRow.closed_at.is_(None),
        )
        if before_id is not None:
            query = query.where(DialogueEntryRow.id < before_id)
        result = self.session.execute(query.values(closed_at=at))
        return int(getattr(result, "rowcount", 0) or 0)

    def prune(self, before: datetime) -> int:
        """Delete the entries that expired before ``before``; how many."""
        result = self.session.execute(
            delete(DialogueEntryRow).where(DialogueEntryRow.expires_at < before)
        )
        return int(getattr(result, "rowcount", 0) or 0)
