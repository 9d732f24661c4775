"""``SqlHistoryFeed``: the ``HistoryFeed`` port on SQL — what an in-memory copy of the index
(``assistant.memory.hot``) reads to load and then to follow the passages.

It reads, never writes: the head of the change log (one small query, made before a search),
every live passage with its keyword postings (a full load), and the passages named by the
log entries after a number (a refresh). See ``storage.history.repository`` for how the log is
written and why its numbers commit in order.
"""

from __future__ import annotations

from collections.abc import Iterator, Sequence
from typing import Any

from sqlalchemy import Engine, select

from assistant.memory.ports import FeedHead, FeedRow, HistoryDoc
from storage.history.repository import (
    _DOCS,
    _LENGTH,
    EPOCH,
    FLOOR,
    SEQ,
    _in_log,
    log_key,
)
from storage.orm import HistoryDocRow, HistoryStateRow, HistoryTermRow

__all__ = ["SqlHistoryFeed"]

_CHUNK = 500
_LIVE = ("pending", "done")
# What a passage of the copy needs: not the bookkeeping (doc id, record key, revision, lease,
# changed at), whose two timestamps cost more to read than the rest of the row.
_COLUMNS = (
    HistoryDocRow.id,
    HistoryDocRow.source,
    HistoryDocRow.record_id,
    HistoryDocRow.part,
    HistoryDocRow.version,
    HistoryDocRow.kind,
    HistoryDocRow.title,
    HistoryDocRow.text,
    HistoryDocRow.context,
    HistoryDocRow.time,
    HistoryDocRow.chat_id,
    HistoryDocRow.chat,
    HistoryDocRow.project_id,
    HistoryDocRow.project,
    HistoryDocRow.sender_id,
    HistoryDocRow.sender,
    HistoryDocRow.length,
    HistoryDocRow.vector_state,
)
_NAMES: dict[str, str] = {}


def _name(value: str | None) -> str | None:
    return _NAMES.setdefault(value, value) if value is not None else None


def _feed_doc(row: Any) -> HistoryDoc:
    """A row as a passage, with one string object per chat, project, sender and kind name:
    a copy of 100k passages holds each name once, not once per passage."""
    if len(_NAMES) > 100_000:
        _NAMES.clear()
    return HistoryDoc(
        source=_NAMES.setdefault(row.source, row.source),
        record_id=row.record_id,
        kind=_NAMES.setdefault(row.kind, row.kind),  # type: ignore[arg-type]
        text=row.text,
        time=row.time,
        version=row.version,
        part=row.part,
        title=row.title,
        chat_id=row.chat_id,
        chat=_name(row.chat),
        project_id=row.project_id,
        project=_name(row.project),
        sender_id=row.sender_id,
        sender=_name(row.sender),
        context=row.context,
    )


class SqlHistoryFeed:
    """Reads the passages and the change log straight from the engine (no unit of work:
    a search's check of the head costs one indexed read)."""

    def __init__(self, engine: Engine) -> None:
        self._engine = engine
        # Checked before every search: plain SQL on a pooled driver connection (the keys
        # are our constants), about a tenth of a compiled statement's cost.
        keys = ", ".join(f"'{k}'" for k in (SEQ, EPOCH, FLOOR, _DOCS, _LENGTH))
        self._head_sql = f"SELECT key, number FROM history_state WHERE key IN ({keys})"

    def head(self) -> FeedHead:
        conn = self._engine.raw_connection()
        try:
            cursor = conn.cursor()
            try:
                cursor.execute(self._head_sql)
                rows = cursor.fetchall()
            finally:
                cursor.close()
            conn.commit()  # end the read: PostgreSQL would keep its snapshot otherwise
        finally:
            conn.close()
        return self._numbers(rows)

    @staticmethod
    def _numbers(rows: Sequence[Any]) -> FeedHead:
        found = {str(k): int(n or 0) for k, n in rows}
        return FeedHead(
            seq=found.get(SEQ, 0),
            epoch=found.get(EPOCH, 0),
            floor=found.get(FLOOR, 0),
            docs=found.get(_DOCS, 0),
            length=found.get(_LENGTH, 0),
        )

    def snapshot(self, *, batch: int = 5000) -> tuple[FeedHead, Iterator[list[FeedRow]]]:
        """The head and then every live passage, in batches, as of one moment (the head is
        read first: what changes meanwhile is read again by the next refresh)."""
        head = self.head()

        def rows() -> Iterator[list[FeedRow]]:
            last = 0
            while True:
                with self._engine.connect() as conn:
                    found = conn.execute(
                        select(*_COLUMNS)
                        .where(HistoryDocRow.id > last)
                        .order_by(HistoryDocRow.id)
                        .limit(batch)
                    ).all()
                    if not found:
                        return
                    last = int(found[-1].id)
                    out = self._rows(conn, found)
                yield out

        return head, rows()

    def changes(self, after: int, head: FeedHead) -> list[FeedRow | str]:
        """What the log entries numbered in (``after``, ``head.seq``] name: each passage's
        current row, or its id alone when it is gone."""
        with self._engine.connect() as conn:
            logged = conn.execute(
                select(HistoryStateRow.value).where(
                    _in_log(),
                    HistoryStateRow.key > log_key(after),
                    HistoryStateRow.key <= log_key(head.seq),
                )
            ).all()
            ids = list(dict.fromkeys(i for (v,) in logged if v for i in str(v).split("\n") if i))
            out: list[FeedRow | str] = []
            for start in range(0, len(ids), _CHUNK):
                chunk = ids[start : start + _CHUNK]
                found = conn.execute(select(*_COLUMNS).where(HistoryDocRow.doc_id.in_(chunk))).all()
                rows = {r.doc.doc_id: r for r in self._rows(conn, found)}
                out.extend(rows.get(doc_id, doc_id) for doc_id in chunk)
            return out

    @staticmethod
    def _rows(conn: Any, found: Sequence[Any]) -> list[FeedRow]:
        live = [r for r in found if r.vector_state in _LIVE]
        terms: dict[int, dict[str, int]] = {}
        for start in range(0, len(live), _CHUNK):
            pks = [int(r.id) for r in live[start : start + _CHUNK]]
            for pk, term, tf in conn.execute(
                select(HistoryTermRow.doc_pk, HistoryTermRow.term, HistoryTermRow.tf).where(
                    HistoryTermRow.doc_pk.in_(pks)
                )
            ).all():  # all at once: a tenth of the cost of a fetch per row
                terms.setdefault(int(pk), {})[str(term)] = int(tf)
        out: list[FeedRow] = []
        for r in found:
            if r.vector_state not in _LIVE:
                continue
            out.append(
                FeedRow(
                    pk=int(r.id),
                    doc=_feed_doc(r),
                    terms=terms.get(int(r.id), {}),
                    length=int(r.length),
                    has_vector=r.vector_state == "done",
                )
            )
        return out
