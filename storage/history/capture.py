"""Change capture for the memory: every flush that adds, changes or removes a record the
history is made of also queues that record in ``history_queue``, in the same transaction.

So whoever changes a record (the executor for a chat message, the REST API, the CLI, an undo,
a transcript attached to a meeting, an import) the memory hears of it, and a change that is
rolled back is never queued. Queuing is cheap (one row); turning records into passages and
vectors is the indexer's job, later and elsewhere.
"""

from __future__ import annotations

from datetime import UTC, datetime
from typing import Any

from sqlalchemy import event, insert, inspect
from sqlalchemy.orm import Session, sessionmaker

from storage.orm import (
    ChatRow,
    DocumentRow,
    HistoryQueueRow,
    MeetingRow,
    MessageRow,
    MinutesRow,
    ProjectRow,
    TaskEventRow,
    TaskRow,
)

__all__ = ["install_history_capture"]

_MESSAGE_FIELDS = ("state", "text", "kind", "chat_id")
_MARK = "_qunmi_history_capture"


def _changed(obj: Any, fields: tuple[str, ...] | None = None) -> bool:
    state = inspect(obj)
    names = fields or tuple(attr.key for attr in state.mapper.column_attrs)
    return any(state.attrs[name].history.has_changes() for name in names)


# The history source of each record row that is indexed as itself.
_SOURCES: dict[type, str] = {
    TaskRow: "task",
    MeetingRow: "meeting",
    MinutesRow: "minutes",
    DocumentRow: "file",
}


def _records(session: Session) -> set[tuple[str, int]]:
    out: set[tuple[str, int]] = set()
    for obj in session.new:
        if isinstance(obj, MessageRow):
            if obj.state == "done":
                out.add(("message", obj.id))
        elif isinstance(obj, TaskEventRow):
            out.add(("task", obj.task_id))
        elif type(obj) in _SOURCES:
            out.add((_SOURCES[type(obj)], obj.id))
    for obj in session.dirty:
        if isinstance(obj, MessageRow):
            if obj.state == "done" and _changed(obj, _MESSAGE_FIELDS):
                out.add(("message", obj.id))
        elif isinstance(obj, TaskRow | MeetingRow):
            if _changed(obj) or isinstance(obj, MeetingRow):
                out.add(("task" if isinstance(obj, TaskRow) else "meeting", obj.id))
        elif isinstance(obj, MinutesRow | DocumentRow) and _changed(obj):
            out.add(("minutes" if isinstance(obj, MinutesRow) else "file", obj.id))
        elif isinstance(obj, ChatRow) and _changed(obj, ("name", "project_id")):
            out.add(("chat", obj.id))
        elif isinstance(obj, ProjectRow) and _changed(obj, ("name",)):
            out.add(("project", obj.id))
    for obj in session.deleted:
        if type(obj) in _SOURCES or isinstance(obj, MessageRow):
            out.add((_SOURCES.get(type(obj), "message"), obj.id))
    return {(source, record_id) for source, record_id in out if record_id is not None}


def _after_flush(session: Session, _context: Any) -> None:
    records = _records(session)
    if not records:
        return
    now = datetime.now(UTC)
    session.connection().execute(
        insert(HistoryQueueRow),
        [
            {"source": source, "record_id": record_id, "enqueued_at": now, "attempts": 0}
            for source, record_id in sorted(records)
        ],
    )


def install_history_capture(session_factory: sessionmaker[Session]) -> None:
    """Queue changed records for the memory on every flush of sessions from this factory.

    Idempotent through a mark on the factory, not ``event.contains``: SQLAlchemy keys its
    listener registry by ``id()`` of the factory's session class and keeps the key after that
    class is collected, so a new factory whose class lands at a freed address reads as
    already listened to and would capture nothing (seen when many stores are opened in one
    process, as the test suite does)."""
    if getattr(session_factory, _MARK, False):
        return
    event.listen(session_factory, "after_flush", _after_flush)
    setattr(session_factory, _MARK, True)
