"""``SqlHistoryRepository``: the memory's SQL side (passages, BM25 keyword index, record queue,
vector lag) on SQLite and PostgreSQL alike.

BM25 runs in SQL: postings carry the passage length, so an unfiltered search reads only the
postings of the query's terms (one index range per term) and groups them; filters join the
passages table on its primary key. The totals BM25 needs (passage count and total length) are
kept in ``history_state`` and moved in the same transaction as the passages.

Every transaction that changes passages also writes one entry of a change log (rows of
``history_state`` keyed ``chg:<number>``, listing the passage ids it touched), numbered by a
counter it takes first (``change_seq``): the counter's row stays locked until the transaction
ends, so the numbers commit in order and a reader that sees number N has every entry up to N.
In-memory copies of the index (``assistant.memory.hot``, in the API and in the worker) follow
the log from the number they hold (``storage.history.feed``). ``change_epoch`` moves when
everything changes at once (cleared, another embedder) and entries older than a day are
pruned (``change_floor``): a copy older than either reloads in full.
"""

from __future__ import annotations

import secrets
import threading
import weakref
from collections.abc import Mapping, Sequence
from datetime import UTC, datetime, timedelta
from typing import Any, cast

from sqlalchemy import Select, Table, bindparam, case, delete, func, insert, literal, select, update
from sqlalchemy.orm import Session

from assistant.memory.bm25 import BM25_B, BM25_K1, idf, query_terms
from assistant.memory.ports import (
    DocFilter,
    HistoryDoc,
    HistoryStats,
    PendingVector,
    QueuedRecord,
    ScoredDoc,
)
from storage.orm import (
    DocumentRow,
    HistoryDocRow,
    HistoryQueueRow,
    HistoryStateRow,
    HistoryTermRow,
    MeetingRow,
    MessageRow,
    MinutesRow,
    TaskRow,
)

__all__ = ["BM25_B", "BM25_K1", "SqlHistoryRepository"]

_VECTOR_LEASE = timedelta(minutes=2)
_DOCS, _LENGTH, _EMBEDDER, _VECTOR_ERROR = (
    "keyword_docs",
    "keyword_length",
    "embedder",
    "vector_error",
)
SEQ, EPOCH, FLOOR, LOG_PREFIX = "change_seq", "change_epoch", "change_floor", "chg:"
_LOG_KEEP = timedelta(days=1)
_PRUNE_EVERY = 64  # change numbers between two prunings of the log


def log_key(seq: int) -> str:
    """The change log entry of change number ``seq`` (zero-padded: keys sort by number)."""
    return f"{LOG_PREFIX}{seq:015d}"


def _doc(row: HistoryDocRow) -> HistoryDoc:
    return HistoryDoc(
        source=row.source,
        record_id=row.record_id,
        kind=row.kind,  # type: ignore[arg-type]
        text=row.text,
        time=row.time,
        version=row.version,
        part=row.part,
        title=row.title,
        chat_id=row.chat_id,
        chat=row.chat,
        project_id=row.project_id,
        project=row.project,
        sender_id=row.sender_id,
        sender=row.sender,
        context=row.context,
    )


def _fill(row: HistoryDocRow, doc: HistoryDoc, length: int, now: datetime) -> None:
    row.doc_id = doc.doc_id
    row.record_key = doc.record_key
    row.source = doc.source
    row.record_id = doc.record_id
    row.part = doc.part
    row.version = doc.version
    row.kind = doc.kind
    row.title = doc.title[:500] if doc.title else None
    row.text = doc.text
    row.context = doc.context
    row.time = doc.time
    row.chat_id = doc.chat_id
    row.chat = doc.chat[:200] if doc.chat else None
    row.project_id = doc.project_id
    row.project = doc.project[:200] if doc.project else None
    row.sender_id = doc.sender_id
    row.sender = doc.sender[:200] if doc.sender else None
    row.length = length
    row.vector_state = "pending"
    row.revision = (row.revision or 0) + 1
    row.changed_at = now
    row.lease_until = None


def _values(row: HistoryDocRow) -> dict[str, Any]:
    """A filled row as the column values of a bulk insert."""
    return {
        c.key: getattr(row, c.key) for c in HistoryDocRow.__mapper__.column_attrs if c.key != "id"
    }


def _postings(pk: int, counts: Mapping[str, int]) -> list[dict[str, Any]]:
    length = sum(counts.values())
    return [{"term": t, "doc_pk": pk, "tf": tf, "length": length} for t, tf in counts.items()]


def apply_filters(stmt: Select[Any], filters: DocFilter) -> Select[Any]:
    """``filters`` as WHERE clauses on ``history_docs``."""
    if filters.kinds:
        stmt = stmt.where(HistoryDocRow.kind.in_(filters.kinds))
    if filters.chat_ids:
        stmt = stmt.where(HistoryDocRow.chat_id.in_(filters.chat_ids))
    if filters.project_ids:
        stmt = stmt.where(HistoryDocRow.project_id.in_(filters.project_ids))
    if filters.sender_ids:
        stmt = stmt.where(HistoryDocRow.sender_id.in_(filters.sender_ids))
    if filters.since is not None:
        stmt = stmt.where(HistoryDocRow.time >= filters.since)
    if filters.until is not None:
        stmt = stmt.where(HistoryDocRow.time <= filters.until)
    return stmt


_FREQUENCIES: weakref.WeakKeyDictionary[Any, tuple[tuple[int, int], dict[str, int]]] = (
    weakref.WeakKeyDictionary()
)
_FREQUENCIES_LOCK = threading.Lock()


def _shared_frequencies(database: Any, totals: tuple[int, int]) -> dict[str, int]:
    """The document frequencies known for one engine (one database and schema) while its
    keyword totals stay as they are."""
    with _FREQUENCIES_LOCK:
        known = _FREQUENCIES.get(database)
        if known is None or known[0] != totals or len(known[1]) > 50_000:
            known = (totals, {})
            _FREQUENCIES[database] = known
        return known[1]


class SqlHistoryRepository:
    def __init__(self, session: Session) -> None:
        self.session = session
        self._known_totals: tuple[int, int] | None = None  # within this unit of work
        self._known_frequencies: dict[str, int] = {}
        self._change: tuple[Any, int, list[str]] | None = None  # (transaction, number, ids)

    # -- small state ----------------------------------------------------------------------
    def _state(self, key: str) -> HistoryStateRow | None:
        return self.session.get(HistoryStateRow, key)

    def _set_state(
        self, key: str, *, value: str | None = None, number: int = 0, at: datetime | None = None
    ) -> None:
        row = self._state(key)
        if row is None:
            self.session.add(HistoryStateRow(key=key, value=value, number=number, at=at))
        else:
            row.value, row.number, row.at = value, number, at
        self.session.flush()

    # -- the change log -----------------------------------------------------------------
    def _change_number(self) -> int:
        """This transaction's change number, taken (and the counter row locked) on first use."""
        transaction = self.session.get_transaction()
        if self._change is not None and self._change[0] is transaction:
            return self._change[1]
        seq = self._bump(SEQ)
        if seq is None:  # the first change ever: make the counter (once, even when racing)
            table = cast("Table", HistoryStateRow.__table__)
            if self.session.get_bind().dialect.name == "postgresql":
                from sqlalchemy.dialects.postgresql import insert as pg_insert

                self.session.execute(
                    pg_insert(table)
                    .values(key=SEQ, number=0)
                    .on_conflict_do_nothing(index_elements=["key"])
                )
            else:
                from sqlalchemy.dialects.sqlite import insert as sqlite_insert

                self.session.execute(
                    sqlite_insert(table)
                    .values(key=SEQ, number=0)
                    .on_conflict_do_nothing(index_elements=["key"])
                )
            seq = self._bump(SEQ)
            assert seq is not None
        self._change = (self.session.get_transaction(), seq, [])
        return seq

    def _bump(self, key: str) -> int | None:
        row = self.session.execute(
            update(HistoryStateRow)
            .where(HistoryStateRow.key == key)
            .values(number=HistoryStateRow.number + 1)
            .returning(HistoryStateRow.number)
            .execution_options(synchronize_session=False)
        ).first()
        return int(row[0]) if row is not None else None

    def _log(self, doc_ids: Sequence[str]) -> None:
        """Record that these passages changed (added, changed, vector made, removed)."""
        if not doc_ids:
            return
        seq = self._change_number()
        assert self._change is not None
        logged = self._change[2]
        logged.extend(doc_ids)
        key = log_key(seq)
        row = self.session.get(HistoryStateRow, key)
        text = "\n".join(logged)
        if row is None:
            self.session.add(HistoryStateRow(key=key, value=text, number=seq, at=_now()))
        else:
            row.value = text
        self.session.flush()

    def _new_epoch(self) -> None:
        """Everything changed at once: copies of the index reload instead of following."""
        self._change_number()
        if self._bump(EPOCH) is None:
            self.session.add(HistoryStateRow(key=EPOCH, number=1))
        self.session.execute(
            delete(HistoryStateRow).where(_in_log()).execution_options(synchronize_session="fetch")
        )
        self.session.flush()

    def _prune_log(self, seq: int) -> None:
        if seq % _PRUNE_EVERY:
            return
        old = list(
            self.session.scalars(
                select(HistoryStateRow.number).where(
                    _in_log(),
                    HistoryStateRow.at < _now() - _LOG_KEEP,
                )
            )
        )
        if not old:
            return
        self.session.execute(
            delete(HistoryStateRow)
            .where(_in_log(), HistoryStateRow.number <= max(old))
            .execution_options(synchronize_session=False)
        )
        floor = self._state(FLOOR)
        if floor is None:
            self.session.add(HistoryStateRow(key=FLOOR, number=max(old)))
        else:
            floor.number = max(floor.number, max(old))
        self.session.flush()

    def _move_totals(self, docs: int, length: int) -> None:
        if not docs and not length:
            return
        self._known_totals = None
        self._known_frequencies.clear()
        for key, delta in ((_DOCS, docs), (_LENGTH, length)):
            result = self.session.execute(
                update(HistoryStateRow)
                .where(HistoryStateRow.key == key)
                .values(number=HistoryStateRow.number + delta)
                .execution_options(synchronize_session=False)
            )
            if getattr(result, "rowcount", 0) == 0:  # the migration's rows were removed
                self.session.add(HistoryStateRow(key=key, number=delta))
                self.session.flush()

    def _totals(self) -> tuple[int, int]:
        if self._known_totals is not None:
            return self._known_totals
        rows = dict(
            self.session.execute(
                select(HistoryStateRow.key, HistoryStateRow.number).where(
                    HistoryStateRow.key.in_([_DOCS, _LENGTH])
                )
            ).all()
        )
        self._known_totals = (int(rows.get(_DOCS, 0)), int(rows.get(_LENGTH, 0)))
        return self._known_totals

    # -- the record queue -------------------------------------------------------------------
    def enqueue(self, source: str, record_id: int, *, at: datetime) -> None:
        self.session.add(HistoryQueueRow(source=source, record_id=record_id, enqueued_at=at))
        self.session.flush()

    def enqueue_all(self, *, at: datetime) -> int:
        queued = 0
        sources: list[tuple[str, Select[Any]]] = [
            ("message", select(MessageRow.id).where(MessageRow.state == "done")),
            ("task", select(TaskRow.id)),
            ("meeting", select(MeetingRow.id)),
            ("minutes", select(MinutesRow.id)),
            ("file", select(DocumentRow.id)),
        ]
        for source, ids in sources:
            sub = ids.subquery()
            result = self.session.execute(
                insert(HistoryQueueRow).from_select(
                    ["source", "record_id", "enqueued_at", "attempts"],
                    select(
                        literal(source),
                        sub.c.id,
                        literal(at, HistoryQueueRow.enqueued_at.type),
                        literal(0),
                    ),
                )
            )
            queued += max(getattr(result, "rowcount", 0) or 0, 0)
        return queued

    def due_records(self, *, now: datetime, limit: int) -> list[QueuedRecord]:
        due = (HistoryQueueRow.next_attempt_at.is_(None)) | (HistoryQueueRow.next_attempt_at <= now)
        rows = self.session.scalars(
            select(HistoryQueueRow).where(due).order_by(HistoryQueueRow.id).limit(limit)
        ).all()
        claimed: list[QueuedRecord] = []
        for row in rows:
            # Another indexer may hold it: a short lease, taken atomically.
            result = self.session.execute(
                update(HistoryQueueRow)
                .where(HistoryQueueRow.id == row.id, due)
                .values(
                    attempts=HistoryQueueRow.attempts + 1,
                    next_attempt_at=now + timedelta(minutes=5),
                )
                .execution_options(synchronize_session=False)
            )
            if getattr(result, "rowcount", 0) == 1:
                claimed.append(
                    QueuedRecord(
                        id=row.id,
                        source=row.source,
                        record_id=row.record_id,
                        attempts=row.attempts + 1,
                    )
                )
        return claimed

    def finish_records(self, queue_ids: Sequence[int]) -> None:
        if queue_ids:
            self.session.execute(
                delete(HistoryQueueRow)
                .where(HistoryQueueRow.id.in_(list(queue_ids)))
                .execution_options(synchronize_session=False)
            )

    def retry_records(self, queue_ids: Sequence[int], *, error: str, at: datetime) -> None:
        if queue_ids:
            self.session.execute(
                update(HistoryQueueRow)
                .where(HistoryQueueRow.id.in_(list(queue_ids)))
                .values(next_attempt_at=at, error=error[:2000])
                .execution_options(synchronize_session=False)
            )

    # -- passages and keywords ----------------------------------------------------------------
    def replace_record(
        self, record_key: str, docs: Sequence[HistoryDoc], terms: Sequence[Mapping[str, int]]
    ) -> None:
        self.replace_records([(record_key, docs, terms)])

    def replace_records(
        self,
        records: Sequence[tuple[str, Sequence[HistoryDoc], Sequence[Mapping[str, int]]]],
    ) -> None:
        """``replace_record`` for many records at once: one read of what is there, and new
        passages and their postings written in one statement each."""
        if not records:
            return
        self._change_number()  # first: writers of passages take their turn here
        now = datetime.now(UTC)
        changed: list[str] = []
        keys = list(dict.fromkeys(key for key, _, _ in records))
        existing: dict[str, dict[str, HistoryDocRow]] = {}
        for start in range(0, len(keys), 500):
            for row in self.session.scalars(
                select(HistoryDocRow).where(HistoryDocRow.record_key.in_(keys[start : start + 500]))
            ):
                existing.setdefault(row.record_key, {})[row.doc_id] = row
        gone_docs = gone_length = added_docs = added_length = 0
        fresh: list[dict[str, Any]] = []
        fresh_terms: list[Mapping[str, int]] = []
        revived: list[tuple[HistoryDocRow, Mapping[str, int]]] = []
        for record_key, docs, terms in records:
            there = existing.get(record_key, {})
            wanted = {doc.doc_id for doc in docs}
            for doc_id, row in there.items():
                if doc_id in wanted or row.vector_state == "delete":
                    continue
                self.session.execute(delete(HistoryTermRow).where(HistoryTermRow.doc_pk == row.id))
                row.vector_state = "delete"
                row.revision += 1
                row.changed_at = now
                row.lease_until = None
                changed.append(doc_id)
                gone_docs += 1
                gone_length += row.length
            for doc, counts in zip(docs, terms, strict=True):
                found = there.get(doc.doc_id)
                if found is not None and found.vector_state != "delete":
                    continue  # the same version is already there
                length = sum(counts.values())
                if found is None:
                    row = HistoryDocRow(revision=0)
                    _fill(row, doc, length, now)
                    fresh.append(_values(row))
                    fresh_terms.append(counts)
                else:
                    _fill(found, doc, length, now)
                    revived.append((found, counts))
                changed.append(doc.doc_id)
                added_docs += 1
                added_length += length
        self.session.flush()
        postings: list[dict[str, Any]] = []
        for row, counts in revived:
            postings.extend(_postings(row.id, counts))
        if fresh:
            made = self.session.execute(
                insert(HistoryDocRow).returning(HistoryDocRow.id, sort_by_parameter_order=True),
                fresh,
            ).all()
            for (pk,), counts in zip(made, fresh_terms, strict=True):
                postings.extend(_postings(int(pk), counts))
        if postings:
            self.session.execute(insert(HistoryTermRow), postings)
        self._move_totals(added_docs - gone_docs, added_length - gone_length)
        self._log(changed)
        self.session.flush()

    def _frequencies(self, terms: Sequence[str]) -> dict[str, int]:
        # Document frequencies hold as long as the keyword index's totals do: kept per
        # database and totals across units of work (a search reads them once, not per query).
        shared = _shared_frequencies(self.session.get_bind(), self._totals())
        for term in terms:
            if term not in self._known_frequencies and term in shared:
                self._known_frequencies[term] = shared[term]
        missing = [t for t in terms if t not in self._known_frequencies]
        if missing:
            found = dict(
                self.session.execute(
                    select(HistoryTermRow.term, func.count())
                    .where(HistoryTermRow.term.in_(missing))
                    .group_by(HistoryTermRow.term)
                ).all()
            )
            for term in missing:
                self._known_frequencies[term] = shared[term] = int(found.get(term, 0))
        return {t: self._known_frequencies[t] for t in terms if self._known_frequencies[t]}

    def doc_terms(
        self, doc_ids: Sequence[str], terms: Sequence[str] | None = None
    ) -> dict[str, set[str]]:
        """The terms each passage holds (only those among ``terms`` when given)."""
        if not doc_ids:
            return {}
        stmt = (
            select(HistoryDocRow.doc_id, HistoryTermRow.term)
            .join(HistoryTermRow, HistoryTermRow.doc_pk == HistoryDocRow.id)
            .where(HistoryDocRow.doc_id.in_(list(doc_ids)))
        )
        if terms is not None:
            if not terms:
                return {}
            stmt = stmt.where(HistoryTermRow.term.in_(list(terms)))
        out: dict[str, set[str]] = {}
        for doc_id, term in self.session.execute(stmt).all():
            out.setdefault(str(doc_id), set()).add(str(term))
        return out

    def term_weights(self, terms: Sequence[str]) -> dict[str, float]:
        """BM25's inverse document frequency of each term; a term no passage holds gets the
        highest weight there is (asking about something never said is telling)."""
        terms = list(dict.fromkeys(t for t in terms if t))
        total, _ = self._totals()
        if not terms:
            return {}
        frequencies = self._frequencies(terms) if total > 0 else {}
        return {term: idf(total, frequencies.get(term, 0)) for term in terms}

    def keyword_search(
        self, terms: Sequence[str], *, filters: DocFilter, limit: int
    ) -> list[ScoredDoc]:
        terms = list(dict.fromkeys(t for t in terms if t))
        total, total_length = self._totals()
        if not terms or total <= 0:
            return []
        frequencies = self._frequencies(terms)
        weights, chosen = query_terms(frequencies, total)
        if not weights:
            return []
        avgdl = max(total_length / total, 1.0)
        weight = case(
            *((HistoryTermRow.term == term, literal(weights[term])) for term in chosen), else_=0.0
        )
        tf = HistoryTermRow.tf * 1.0
        norm = BM25_K1 * (1.0 - BM25_B) + (BM25_K1 * BM25_B / avgdl) * HistoryTermRow.length
        score = func.sum(weight * tf * (BM25_K1 + 1.0) / (tf + norm)).label("score")
        stmt: Select[Any] = cast(
            "Select[Any]",
            select(HistoryTermRow.doc_pk, score).where(HistoryTermRow.term.in_(chosen)),
        )
        if not filters.empty:
            stmt = stmt.join(HistoryDocRow, HistoryDocRow.id == HistoryTermRow.doc_pk)
            stmt = apply_filters(stmt, filters)
        stmt = stmt.group_by(HistoryTermRow.doc_pk).order_by(score.desc()).limit(limit)
        ranked = [(int(pk), float(s)) for pk, s in self.session.execute(stmt).all()]
        if not ranked:
            return []
        rows = {
            row.id: row
            for row in self.session.scalars(
                select(HistoryDocRow).where(HistoryDocRow.id.in_([pk for pk, _ in ranked]))
            )
        }
        return [ScoredDoc(doc=_doc(rows[pk]), score=s) for pk, s in ranked if pk in rows]

    def filtered_doc_ids(self, filters: DocFilter, *, limit: int) -> list[str]:
        stmt = apply_filters(
            select(HistoryDocRow.doc_id).where(HistoryDocRow.vector_state != "delete"), filters
        )
        return [str(d) for d in self.session.scalars(stmt.limit(limit))]

    def get_docs(self, doc_ids: Sequence[str]) -> dict[str, HistoryDoc]:
        if not doc_ids:
            return {}
        rows = self.session.scalars(
            select(HistoryDocRow).where(
                HistoryDocRow.doc_id.in_(list(doc_ids)), HistoryDocRow.vector_state != "delete"
            )
        )
        return {row.doc_id: _doc(row) for row in rows}

    def record_docs(self, record_key: str) -> list[HistoryDoc]:
        rows = self.session.scalars(
            select(HistoryDocRow)
            .where(HistoryDocRow.record_key == record_key, HistoryDocRow.vector_state != "delete")
            .order_by(HistoryDocRow.part)
        )
        return [_doc(row) for row in rows]

    def latest_time(self) -> datetime | None:
        # Newest first along the time index, not an aggregate over every passage.
        value: datetime | None = self.session.scalar(
            select(HistoryDocRow.time)
            .where(HistoryDocRow.vector_state != "delete")
            .order_by(HistoryDocRow.time.desc())
            .limit(1)
        )
        return value

    def previous_in_chat(self, chat_id: int, *, before: datetime) -> HistoryDoc | None:
        """The passage said last in a chat before a moment."""
        row = self.session.scalars(
            select(HistoryDocRow)
            .where(
                HistoryDocRow.chat_id == chat_id,
                HistoryDocRow.time < before,
                HistoryDocRow.source == "message",
                HistoryDocRow.part == 0,
                HistoryDocRow.vector_state != "delete",
            )
            .order_by(HistoryDocRow.time.desc(), HistoryDocRow.id.desc())
            .limit(1)
        ).first()
        return _doc(row) if row is not None else None

    def neighbours(self, doc: HistoryDoc, *, after: int, window: timedelta) -> list[HistoryDoc]:
        """The passages said right after ``doc`` in the same chat (the replies to a question)."""
        if doc.chat_id is None or after <= 0:
            return []
        rows = self.session.scalars(
            select(HistoryDocRow)
            .where(
                HistoryDocRow.chat_id == doc.chat_id,
                HistoryDocRow.time > doc.time,
                HistoryDocRow.time <= doc.time + window,
                HistoryDocRow.vector_state != "delete",
            )
            .order_by(HistoryDocRow.time, HistoryDocRow.id)
            .limit(after)
        )
        return [_doc(row) for row in rows]

    def clear(self) -> None:
        self._new_epoch()
        self.session.execute(delete(HistoryTermRow))
        self.session.execute(delete(HistoryDocRow))
        self.session.execute(delete(HistoryQueueRow))
        self.session.execute(
            update(HistoryStateRow)
            .where(HistoryStateRow.key.in_([_DOCS, _LENGTH]))
            .values(number=0)
        )
        self._set_state(_VECTOR_ERROR)

    # -- vectors waiting ----------------------------------------------------------------------
    def pending_vectors(self, *, limit: int, now: datetime | None = None) -> list[PendingVector]:
        now = now or datetime.now(UTC)
        free = HistoryDocRow.lease_until.is_(None) | (HistoryDocRow.lease_until < now)
        ids = list(
            self.session.scalars(
                select(HistoryDocRow.id)
                .where(HistoryDocRow.vector_state.in_(["pending", "delete"]), free)
                .order_by(HistoryDocRow.id)
                .limit(limit)
            )
        )
        if not ids:
            return []
        # One statement claims the batch; another indexer claiming at the same moment gets
        # only what was still free, and what is ours carries our lease (read back below).
        lease = now + _VECTOR_LEASE + timedelta(microseconds=secrets.randbelow(1_000_000))
        self.session.execute(
            update(HistoryDocRow)
            .where(HistoryDocRow.id.in_(ids), free)
            .values(lease_until=lease)
            .execution_options(synchronize_session=False)
        )
        rows = self.session.scalars(
            select(HistoryDocRow)
            .where(HistoryDocRow.id.in_(ids), HistoryDocRow.lease_until == lease)
            .order_by(HistoryDocRow.id)
            .execution_options(populate_existing=True)
        ).all()
        out: list[PendingVector] = []
        for row in rows:
            deleting = row.vector_state == "delete"
            out.append(
                PendingVector(
                    doc=None if deleting else _doc(row),
                    doc_id=row.doc_id,
                    op="delete" if deleting else "upsert",
                    revision=row.revision,
                )
            )
        return out

    def vectors_done(self, items: Sequence[PendingVector]) -> None:
        table = cast("Table", HistoryDocRow.__table__)
        same = (table.c.doc_id == bindparam("b_doc_id")) & (
            table.c.revision == bindparam("b_revision")
        )
        deletes = [
            {"b_doc_id": i.doc_id, "b_revision": i.revision} for i in items if i.op == "delete"
        ]
        upserts = [
            {"b_doc_id": i.doc_id, "b_revision": i.revision} for i in items if i.op == "upsert"
        ]
        if not deletes and not upserts:
            return
        seq = self._change_number()
        if deletes:
            self.session.execute(
                delete(table).where(same, table.c.vector_state == "delete"), deletes
            )
        if upserts:
            self.session.execute(
                update(table)
                .where(same, table.c.vector_state == "pending")
                .values(vector_state="done", lease_until=None),
                upserts,
            )
        # Whether each matched or not, the passages' state is what readers look up.
        self._log([i.doc_id for i in items])
        self._prune_log(seq)

    def release_vectors(self, items: Sequence[PendingVector]) -> None:
        """Give claimed passages back (the vector store failed): due again at once."""
        for item in items:
            self.session.execute(
                update(HistoryDocRow)
                .where(HistoryDocRow.doc_id == item.doc_id)
                .values(lease_until=None)
                .execution_options(synchronize_session=False)
            )

    def require_embedder(self, name: str) -> bool:
        row = self._state(_EMBEDDER)
        if row is not None and row.value == name:
            return False
        self._new_epoch()
        self.session.execute(
            delete(HistoryDocRow)
            .where(HistoryDocRow.vector_state == "delete")
            .execution_options(synchronize_session=False)
        )
        self.session.execute(
            update(HistoryDocRow)
            .where(HistoryDocRow.vector_state == "done")
            .values(
                vector_state="pending",
                revision=HistoryDocRow.revision + 1,
                lease_until=None,
            )
            .execution_options(synchronize_session=False)
        )
        self._set_state(_EMBEDDER, value=name, at=datetime.now(UTC))
        return True

    def embedder(self) -> str | None:
        row = self._state(_EMBEDDER)
        return row.value if row is not None else None

    def vector_failure(self, *, error: str | None, retry_at: datetime | None) -> None:
        row = self._state(_VECTOR_ERROR)
        previous = row.number if row is not None else 0
        self._set_state(
            _VECTOR_ERROR,
            value=error[:2000] if error else None,
            number=previous + 1 if error else 0,
            at=retry_at,
        )

    def vector_retry_at(self) -> datetime | None:
        row = self._state(_VECTOR_ERROR)
        return row.at if row is not None and row.value else None

    def stats(self) -> HistoryStats:
        live = HistoryDocRow.vector_state != "delete"
        by_kind = {
            str(kind): int(n)
            for kind, n in self.session.execute(
                select(HistoryDocRow.kind, func.count()).where(live).group_by(HistoryDocRow.kind)
            ).all()
        }
        queued, oldest_queued = self.session.execute(
            select(func.count(), func.min(HistoryQueueRow.enqueued_at))
        ).one()
        pending, oldest_pending = self.session.execute(
            select(func.count(), func.min(HistoryDocRow.changed_at)).where(
                HistoryDocRow.vector_state.in_(["pending", "delete"])
            )
        ).one()
        error = self._state(_VECTOR_ERROR)
        return HistoryStats(
            docs_by_kind=by_kind,
            queued_records=int(queued or 0),
            pending_vectors=int(pending or 0),
            oldest_queued=_aware(oldest_queued),
            oldest_pending=_aware(oldest_pending),
            embedder=self.embedder(),
            last_error=error.value if error is not None else None,
            retry_at=error.at if error is not None and error.value else None,
            extra={"keyword_docs": self._totals()[0]},
        )


def _now() -> datetime:
    return datetime.now(UTC)


def _in_log() -> Any:
    """The change log's keys, as a range on the primary key."""
    return (HistoryStateRow.key >= LOG_PREFIX) & (HistoryStateRow.key < LOG_PREFIX[:-1] + ";")


def _aware(value: datetime | None) -> datetime | None:
    """Aggregates bypass the column type on SQLite: make them aware UTC like the rest."""
    if value is None:
        return None
    if isinstance(value, str):
        value = datetime.fromisoformat(value)
    return value if value.tzinfo is not None else value.replace(tzinfo=UTC)
