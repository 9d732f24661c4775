"""Indexing: records → passages (SQL) → vectors (the ``HistoryIndex``), in two steps.

1. ``index_records``: the records the storage layer queued when they changed are turned into
   passages and keyword postings, in one transaction with taking them off the queue. This
   needs only the database, so keyword search is up to date right after a message is
   processed, whatever the vector store is doing.
2. ``index_vectors``: passages waiting for a vector (new, changed, or to be removed) are sent
   to the vector store. When it is down nothing is lost: they stay marked in SQL and are sent
   again, with a growing pause, until it answers.

Both steps are idempotent (passage ids are stable per record and version) and safe to run
in several processes at once (each claims its batch with a short lease).
"""

from __future__ import annotations

import logging
import time
from collections import Counter
from collections.abc import Callable
from dataclasses import dataclass, field
from datetime import timedelta, tzinfo
from typing import Any

from assistant.domain import Chat, Member, Project
from assistant.errors import HistoryUnavailable, ModelError
from assistant.memory.documents import (
    file_docs,
    meeting_docs,
    message_docs,
    minutes_docs,
    task_docs,
)
from assistant.memory.ports import HistoryDoc, HistoryIndex, HistoryStats, QueuedRecord
from assistant.memory.tokens import document_terms
from assistant.ports import Clock
from assistant.services.background import BackgroundLoop, StepsAside
from assistant.unit_of_work import UnitOfWork, UnitOfWorkFactory

__all__ = ["HistoryIndexer", "IndexLoop", "IndexReport", "build_record_docs"]

log = logging.getLogger(__name__)

Progress = Callable[[int, int], None]
"""Called with (done, total) while a long run goes on."""


@dataclass(slots=True)
class IndexReport:
    records: int = 0
    docs_written: int = 0
    vectors: int = 0
    failed_records: int = 0
    vector_error: str | None = None
    seconds: float = 0.0


@dataclass(slots=True)
class _Lookups:
    """Names the passages mention, read once per batch."""

    names: dict[int, str]
    members: dict[int, Member]
    chats: dict[int, Chat]
    projects: dict[int, Project]
    extra: dict[str, Any] = field(default_factory=dict)
    batch: dict[int, list[HistoryDoc]] = field(default_factory=dict)  # made, by chat, unwritten

    @classmethod
    def load(cls, uow: UnitOfWork) -> _Lookups:
        members = {m.id: m for m in uow.members.all() if m.id is not None}
        projects = {p.id: p for p in uow.projects.all() if p.id is not None}
        chats: dict[int, Chat] = {}
        offset = 0
        while True:
            page = uow.chats.list(limit=500, offset=offset)
            chats.update({c.id: c for c in page.items if c.id is not None})
            offset += len(page.items)
            if not page.items or offset >= page.total:
                break
        return cls(
            names={i: m.display_name for i, m in members.items()},
            members=members,
            chats=chats,
            projects=projects,
        )


def build_record_docs(
    uow: UnitOfWork, source: str, record_id: int, *, tz: tzinfo, lookups: _Lookups | None = None
) -> list[HistoryDoc] | None:
    """The passages a record makes now (an empty list: none, or it is gone); ``None`` for a
    source that makes no passages of its own."""
    look = lookups or _Lookups.load(uow)
    if source == "message":
        message = uow.messages.get(record_id)
        if message is None:
            return []
        chat = look.chats.get(message.chat_id or 0)
        project = look.projects.get(chat.project_id or 0) if chat else None
        previous = (
            uow.history.previous_in_chat(message.chat_id, before=message.received_at)
            if message.chat_id is not None
            else None
        )
        # Passages made earlier in the same batch are not written yet: the latest of them
        # said in this chat before this message may be the one it replies to.
        for made in look.batch.get(message.chat_id or 0, ()):
            if made.time < message.received_at and (previous is None or made.time > previous.time):
                previous = made
        return message_docs(
            message,
            chat=chat,
            sender=look.members.get(message.sender_id or 0),
            project=project,
            previous=previous,
        )
    if source == "task":
        task = uow.tasks.get(record_id)
        if task is None:
            return []
        chat = None
        if task.source_message_id:
            origin = uow.messages.get(task.source_message_id)
            chat = look.chats.get(origin.chat_id or 0) if origin else None
        project_id = task.project_id or (chat.project_id if chat else None)
        return task_docs(
            task,
            uow.tasks.events(record_id),
            names=look.names,
            chat=chat,
            project=look.projects.get(project_id or 0),
            tz=tz,
        )
    if source == "meeting":
        meeting = uow.meetings.get(record_id)
        if meeting is None:
            return []
        chat = look.chats.get(meeting.chat_id or 0)
        project_id = meeting.project_id or (chat.project_id if chat else None)
        return meeting_docs(
            meeting,
            names=look.names,
            chat=chat,
            project=look.projects.get(project_id or 0),
            tz=tz,
        )
    if source == "minutes":
        minutes = uow.minutes.get(record_id)
        if minutes is None:
            return []
        chat = look.chats.get(minutes.chat_id or 0)
        project_id = chat.project_id if chat else None
        if project_id is None and minutes.meeting_id:
            meeting = uow.meetings.get(minutes.meeting_id)
            project_id = meeting.project_id if meeting else None
        return minutes_docs(minutes, chat=chat, project=look.projects.get(project_id or 0), tz=tz)
    if source == "file":
        document = uow.documents.get(record_id)
        if document is None:
            return []
        chat = look.chats.get(document.chat_id or 0)
        project_id = document.project_id or (chat.project_id if chat else None)
        return file_docs(
            document,
            chat=chat,
            project=look.projects.get(project_id or 0),
            uploader=look.members.get(document.uploaded_by_id or 0),
        )
    return None


class HistoryIndexer:
    """Keeps the memory in step with the SQL records (see the module docstring)."""

    def __init__(
        self,
        *,
        uow_factory: UnitOfWorkFactory,
        index: Callable[[], HistoryIndex],
        clock: Clock,
        tz: tzinfo,
        record_batch: int = 200,
        vector_batch: int = 64,
        max_backoff: timedelta = timedelta(minutes=5),
    ) -> None:
        self._uow_factory = uow_factory
        self._index = index
        self._clock = clock
        self._tz = tz
        self.record_batch = record_batch
        self.vector_batch = vector_batch
        self._max_backoff = max_backoff
        self._failures = 0
        self._embedder_checked = False

    @property
    def index(self) -> HistoryIndex:
        """The vector store, connected on first use."""
        return self._index()

    # -- step 1: records → passages ---------------------------------------------------------
    def index_records(self, limit: int | None = None) -> tuple[int, int, int]:
        """Turn queued records into passages. Returns (records, passages written, failed)."""
        now = self._clock.now()
        with self._uow_factory() as uow:
            queued = uow.history.due_records(now=now, limit=limit or self.record_batch)
            if not queued:
                return 0, 0, 0
            lookups = _Lookups.load(uow)
            expanded = self._expand(uow, queued)
            done: list[int] = []
            failed: dict[int, str] = {}
            written = 0
            made: list[tuple[str, list[HistoryDoc], list[Counter[str]]]] = []
            seen: set[tuple[str, int]] = set()
            for entry, records in expanded:
                try:
                    for source, record_id in records:
                        if (source, record_id) in seen:
                            continue
                        seen.add((source, record_id))
                        docs = build_record_docs(
                            uow, source, record_id, tz=self._tz, lookups=lookups
                        )
                        if docs is None:
                            continue
                        made.append(
                            (
                                f"{source}:{record_id}",
                                docs,
                                [document_terms(d.indexed_text) for d in docs],
                            )
                        )
                        for doc in docs:
                            if doc.source == "message" and doc.part == 0 and doc.chat_id:
                                lookups.batch.setdefault(doc.chat_id, []).append(doc)
                        written += len(docs)
                    done.append(entry.id)
                except Exception as exc:  # noqa: BLE001 - one bad record must not stop the rest
                    log.exception("indexing %s %s failed", entry.source, entry.record_id)
                    failed[entry.id] = f"{type(exc).__name__}: {exc}"
            uow.history.replace_records(made)  # one bulk write for the batch
            uow.history.finish_records(done)
            for queue_id, error in failed.items():
                attempts = next(q.attempts for q in queued if q.id == queue_id)
                delay = min(timedelta(seconds=5 * 2 ** min(attempts, 10)), self._max_backoff * 12)
                uow.history.retry_records([queue_id], error=error, at=now + delay)
            uow.commit()
        return len(queued), written, len(failed)

    @staticmethod
    def _expand(
        uow: UnitOfWork, queued: list[QueuedRecord]
    ) -> list[tuple[QueuedRecord, list[tuple[str, int]]]]:
        """A chat or project change touches the passages of everything said there."""
        out: list[tuple[QueuedRecord, list[tuple[str, int]]]] = []
        for entry in queued:
            if entry.source == "chat":
                out.append((entry, _chat_records(uow, [entry.record_id])))
            elif entry.source == "project":
                chat_ids = [
                    c.id
                    for c in uow.chats.list(
                        filters={"project_id": entry.record_id}, limit=500
                    ).items
                    if c.id is not None
                ]
                records = _chat_records(uow, chat_ids)
                records += [
                    ("task", t.id)
                    for t in uow.tasks.list(
                        filters={"project_id": entry.record_id}, limit=500
                    ).items
                    if t.id is not None
                ]
                out.append((entry, records))
            else:
                out.append((entry, [(entry.source, entry.record_id)]))
        return out

    # -- step 2: passages → vectors ---------------------------------------------------------
    def index_vectors(self, limit: int | None = None) -> int:
        """Send waiting passages to the vector store. Returns how many went; raises nothing:
        a failing store is recorded and retried later."""
        now = self._clock.now()
        with self._uow_factory() as uow:
            retry_at = uow.history.vector_retry_at()
        if retry_at is not None and retry_at > now:
            return 0
        try:
            index = self.index
            if not self._embedder_checked:
                with self._uow_factory() as uow:
                    stale = uow.history.embedder() != index.name
                if stale:
                    # Emptied before the write, not inside it: dropping a collection takes a
                    # while, and SQLite's one writer (the inbox above all) must not wait for
                    # it. A crash in between finds the store stale again and empties it again.
                    index.reset()
                    with self._uow_factory() as uow:
                        uow.history.require_embedder(index.name)
                        uow.commit()
                self._embedder_checked = True
            with self._uow_factory() as uow:
                pending = uow.history.pending_vectors(limit=limit or self.vector_batch)
                uow.commit()
            if not pending:
                self._recovered()
                return 0
            upserts = [p.doc for p in pending if p.op == "upsert" and p.doc is not None]
            deletes = [p.doc_id for p in pending if p.op == "delete"]
            try:
                index.upsert(upserts)
                index.delete(deletes)
            except (HistoryUnavailable, ModelError):
                with self._uow_factory() as uow:
                    uow.history.release_vectors(pending)
                    uow.commit()
                raise
        except (HistoryUnavailable, ModelError) as exc:
            self._failures += 1
            delay = min(timedelta(seconds=2 ** min(self._failures, 12)), self._max_backoff)
            with self._uow_factory() as uow:
                uow.history.vector_failure(error=exc.reason, retry_at=now + delay)
                uow.commit()
            log.warning("vector indexing paused %ss: %s", int(delay.total_seconds()), exc.reason)
            return 0
        with self._uow_factory() as uow:
            uow.history.vectors_done(pending)
            uow.commit()
        self._recovered()
        return len(pending)

    def _recovered(self) -> None:
        if self._failures:
            self._failures = 0
            with self._uow_factory() as uow:
                uow.history.vector_failure(error=None, retry_at=None)
                uow.commit()

    # -- runs -------------------------------------------------------------------------------
    def drain(
        self, *, progress: Progress | None = None, max_seconds: float | None = None
    ) -> IndexReport:
        """Work until both steps are idle (or the vector store fails, or time runs out)."""
        report = IndexReport()
        started = time.monotonic()
        total = 0
        if progress is not None:
            stats = self.stats()
            total = stats.queued_records + stats.pending_vectors
        while max_seconds is None or time.monotonic() - started < max_seconds:
            records, written, failed = self.index_records()
            report.records += records
            report.docs_written += written
            report.failed_records += failed
            if progress is not None and records:
                total += written
                progress(report.records + report.vectors, max(total, 1))
            if records:
                continue
            sent = self.index_vectors()
            report.vectors += sent
            if progress is not None and sent:
                progress(report.records + report.vectors, max(total, 1))
            if not sent:
                break
        with self._uow_factory() as uow:
            stats = uow.history.stats()
        report.vector_error = stats.last_error
        report.seconds = time.monotonic() - started
        return report

    def rebuild(self, *, progress: Progress | None = None) -> IndexReport:
        """Throw the passages and vectors away and make them again from the SQL records."""
        now = self._clock.now()
        index = self.index
        with self._uow_factory() as uow:
            uow.history.clear()
            uow.history.require_embedder(index.name)
            uow.history.enqueue_all(at=now)
            uow.commit()
        index.reset()
        self._embedder_checked = True
        return self.drain(progress=progress)

    def stats(self) -> HistoryStats:
        with self._uow_factory() as uow:
            return uow.history.stats()


def _chat_records(uow: UnitOfWork, chat_ids: list[int]) -> list[tuple[str, int]]:
    out: list[tuple[str, int]] = []
    for chat_id in chat_ids:
        offset = 0
        while True:
            page = uow.messages.list(
                filters={"chat_id": chat_id, "state": "done"}, limit=500, offset=offset
            )
            out.extend(("message", m.id) for m in page.items if m.id is not None)
            offset += len(page.items)
            if not page.items or offset >= page.total:
                break
        out.extend(
            ("meeting", m.id)
            for m in uow.meetings.list(filters={"chat_id": chat_id}, limit=500).items
            if m.id is not None
        )
    return out


class IndexLoop(BackgroundLoop):
    """Runs the indexer in the background: right after the worker processed messages (it
    calls ``notify``) and every ``interval`` seconds.

    With a ``gate`` (a worker process beside the acknowledging API) it indexes in slices of
    ``slice_seconds`` and steps aside before each while messages are arriving: embedding is
    the heaviest CPU work of the worker, and the two cores are shared with intake."""

    def __init__(
        self,
        indexer: HistoryIndexer,
        *,
        interval: float = 1.0,
        gate: StepsAside | None = None,
        slice_seconds: float = 30.0,
    ) -> None:
        super().__init__(name="qunmi-history-index", stop_timeout=15.0)
        self.indexer = indexer
        self._interval = interval
        self._gate = gate
        self._slice = slice_seconds

    def _loop(self) -> None:
        while not self._stop.is_set():
            more = False
            try:
                if self._gate is not None:
                    self._gate.wait_idle()
                report = self.indexer.drain(max_seconds=self._slice)
                more = report.seconds >= self._slice  # ran out of time, not of work
            except Exception:  # noqa: BLE001 - the loop must outlive a bad database moment
                log.exception("history indexing iteration failed")
            if not more:
                self._wake.wait(self._interval)
                self._wake.clear()
