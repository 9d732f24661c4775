"""The memory's ports and the values that travel through them.

Everything the team said or decided becomes ``HistoryDoc`` passages. They live twice, next to
the SQL records they come from (which stay the source of truth):

- in SQL, through ``HistoryRepository`` (part of the unit of work): the passages, their keyword
  postings (BM25), the queue of records waiting to be turned into passages, and which passages
  still wait for their vectors;
- in a vector store, through ``HistoryIndex`` (Chroma), with their embeddings and metadata.

An ``Embedder`` turns text into vectors for the ``HistoryIndex``. A ``HistoryFeed`` lets an
in-memory copy of both (``assistant.memory.hot``) load them and follow every change.
"""

from __future__ import annotations

from collections.abc import Iterator, Mapping, Sequence
from dataclasses import dataclass, field
from datetime import datetime, timedelta
from typing import TYPE_CHECKING, Any, Literal, Protocol, TypeAlias, runtime_checkable

__all__ = [
    "DOC_KINDS",
    "DocFilter",
    "DocKind",
    "Embedder",
    "FeedHead",
    "FeedRow",
    "HistoryDoc",
    "HistoryFeed",
    "HistoryIndex",
    "HistoryRepository",
    "HistoryStats",
    "NO_FILTER",
    "PendingVector",
    "QueuedRecord",
    "ScoredDoc",
    "Vectors",
]

DocKind = Literal["message", "transcript", "task", "meeting", "minutes", "file"]
DOC_KINDS: tuple[DocKind, ...] = ("message", "transcript", "task", "meeting", "minutes", "file")

if TYPE_CHECKING:
    import numpy as np
    from numpy.typing import NDArray

    Vectors: TypeAlias = NDArray[np.float32]
    """Row-wise embeddings, L2-normalised: shape (n, dimensions)."""
else:  # numpy loads with the embedders, not with the core
    Vectors = Any


@dataclass(frozen=True, slots=True)
class HistoryDoc:
    """One passage of the team's history, with what it can be filtered by.

    ``source`` and ``record_id`` name the SQL record it comes from (``message`` 12, ``task`` 3,
    ``meeting`` 5); a record gives one passage or, for long texts, several (``part``).
    ``version`` fingerprints the content, so ``doc_id`` is stable for one record and version:
    indexing the same thing twice changes nothing, and a changed record gets new ids.
    ``time`` is when it was said (for a task: its latest change). ``context`` is the question
    a reply answers, searched along with the text but not shown as its words.
    """

    source: str
    record_id: int
    kind: DocKind
    text: str
    time: datetime
    version: str
    part: int = 0
    title: str | None = None
    chat_id: int | None = None
    chat: str | None = None
    project_id: int | None = None
    project: str | None = None
    sender_id: int | None = None
    sender: str | None = None
    context: str | None = None
    # ``doc_id`` once made (a search asks each candidate's id a few times); not compared.
    _id: str | None = field(default=None, init=False, repr=False, compare=False)

    @property
    def indexed_text(self) -> str:
        """What is embedded and segmented: the text, after the question it answers when it
        is a reply ("用 uni-app" after "小程序用 uni-app 还是原生写？")."""
        return f"{self.context}\n{self.text}" if self.context else self.text

    @property
    def record_key(self) -> str:
        return f"{self.source}:{self.record_id}"

    @property
    def doc_id(self) -> str:
        found = self._id
        if found is None:
            found = f"{self.source}:{self.record_id}:{self.part}:{self.version}"
            object.__setattr__(self, "_id", found)
        return found


@dataclass(frozen=True, slots=True)
class DocFilter:
    """Which passages a search may return. Empty tuples mean "any"; ``until`` hides what was
    said after it (a search "as of" a moment)."""

    kinds: tuple[str, ...] = ()
    chat_ids: tuple[int, ...] = ()
    project_ids: tuple[int, ...] = ()
    sender_ids: tuple[int, ...] = ()
    since: datetime | None = None
    until: datetime | None = None

    @property
    def empty(self) -> bool:
        return not (
            self.kinds
            or self.chat_ids
            or self.project_ids
            or self.sender_ids
            or self.since
            or self.until
        )

    def matches(self, doc: HistoryDoc) -> bool:
        """The same test the stores apply, for post-filtering."""
        if self.kinds and doc.kind not in self.kinds:
            return False
        if self.chat_ids and doc.chat_id not in self.chat_ids:
            return False
        if self.project_ids and doc.project_id not in self.project_ids:
            return False
        if self.sender_ids and doc.sender_id not in self.sender_ids:
            return False
        if self.since is not None and doc.time < self.since:
            return False
        return not (self.until is not None and doc.time > self.until)


NO_FILTER = DocFilter()
"""Everything: the default of every search."""


@dataclass(frozen=True, slots=True)
class ScoredDoc:
    """A passage as one ranking scored it: BM25 for keywords, cosine similarity for vectors."""

    doc: HistoryDoc
    score: float
    vector: tuple[float, ...] | None = None


@dataclass(frozen=True, slots=True)
class QueuedRecord:
    """A record that changed and waits to be (re)turned into passages."""

    id: int
    source: str
    record_id: int
    attempts: int = 0


@dataclass(frozen=True, slots=True)
class PendingVector:
    """A passage whose vector is missing (``op='upsert'``) or must go (``op='delete'``).
    ``revision`` guards against marking a newer change as done."""

    doc: HistoryDoc | None
    doc_id: str
    op: Literal["upsert", "delete"]
    revision: int


@dataclass(frozen=True, slots=True)
class HistoryStats:
    """What ``qunmi index status`` shows."""

    docs_by_kind: dict[str, int]
    queued_records: int
    pending_vectors: int
    oldest_queued: datetime | None
    oldest_pending: datetime | None
    embedder: str | None
    last_error: str | None = None
    retry_at: datetime | None = None
    extra: dict[str, Any] = field(default_factory=dict)

    @property
    def docs(self) -> int:
        return sum(self.docs_by_kind.values())


@runtime_checkable
class Embedder(Protocol):
    """Text to L2-normalised vectors. ``name`` is stable and safe in a collection name: each
    embedder has its own collection. Raises ``ModelError`` when the model or endpoint fails."""

    name: str

    @property
    def dimensions(self) -> int: ...

    def embed_documents(self, texts: Sequence[str]) -> Vectors: ...

    def embed_query(self, text: str) -> Vectors:
        """One query, as a (dimensions,) vector. Models trained with query/passage prefixes
        (e5) embed the two sides differently."""
        ...


class HistoryIndex(Protocol):
    """The vector side of the memory: passages with their embeddings and metadata.

    ``upsert`` is idempotent per ``doc_id``; ``vectors`` may be given (already embedded),
    otherwise the index's embedder makes them. ``search`` ranks by cosine similarity and applies
    ``filters``. Raises ``HistoryUnavailable`` when the store cannot be reached.
    """

    name: str

    def upsert(self, docs: Sequence[HistoryDoc], *, vectors: Vectors | None = None) -> None: ...

    def delete(self, doc_ids: Sequence[str]) -> None: ...

    def search(
        self,
        query: str | Vectors,
        *,
        filters: DocFilter = NO_FILTER,
        limit: int = 10,
        with_vectors: bool = False,
        within: Sequence[str] | None = None,
    ) -> list[ScoredDoc]:
        """``within``: only these passages (the ones SQL found matching a narrow filter)."""
        ...

    def vectors(self, doc_ids: Sequence[str]) -> dict[str, Vectors]: ...

    def count(self) -> int: ...

    def reset(self) -> None: ...


class HistoryRepository(Protocol):
    """The SQL side of the memory, inside a unit of work (``uow.history``).

    Records that change are queued by the storage layer in the same transaction as the change
    (``enqueue`` is also open to callers); the indexer turns them into passages with
    ``replace_record``, which also feeds the keyword index and marks the passages whose vectors
    are missing. Nothing here talks to the vector store.
    """

    # -- the record queue -----------------------------------------------------------------
    def enqueue(self, source: str, record_id: int, *, at: datetime) -> None: ...

    def enqueue_all(self, *, at: datetime) -> int:
        """Queue every record that makes passages (a rebuild); returns how many."""
        ...

    def due_records(self, *, now: datetime, limit: int) -> list[QueuedRecord]: ...

    def finish_records(self, queue_ids: Sequence[int]) -> None: ...

    def retry_records(self, queue_ids: Sequence[int], *, error: str, at: datetime) -> None: ...

    # -- passages and keywords --------------------------------------------------------------
    def replace_record(
        self, record_key: str, docs: Sequence[HistoryDoc], terms: Sequence[Mapping[str, int]]
    ) -> None:
        """Make ``docs`` (with their term counts) the passages of ``record_key``: passages
        already there with the same id stay as they are, others are removed."""
        ...

    def replace_records(
        self,
        records: Sequence[tuple[str, Sequence[HistoryDoc], Sequence[Mapping[str, int]]]],
    ) -> None:
        """``replace_record`` for many records in one go (bulk writes)."""
        ...

    def keyword_search(
        self, terms: Sequence[str], *, filters: DocFilter, limit: int
    ) -> list[ScoredDoc]: ...

    def term_weights(self, terms: Sequence[str]) -> dict[str, float]:
        """The keyword index's inverse document frequency of each known term."""
        ...

    def doc_terms(
        self, doc_ids: Sequence[str], terms: Sequence[str] | None = None
    ) -> dict[str, set[str]]:
        """The keyword terms each passage holds (only those among ``terms`` when given)."""
        ...

    def get_docs(self, doc_ids: Sequence[str]) -> dict[str, HistoryDoc]: ...

    def filtered_doc_ids(self, filters: DocFilter, *, limit: int) -> list[str]:
        """The ids of the passages ``filters`` lets through, at most ``limit`` of them."""
        ...

    def record_docs(self, record_key: str) -> list[HistoryDoc]: ...

    def previous_in_chat(self, chat_id: int, *, before: datetime) -> HistoryDoc | None:
        """The message passage said last in a chat before ``before``."""
        ...

    def neighbours(self, doc: HistoryDoc, *, after: int, window: timedelta) -> list[HistoryDoc]:
        """Passages said right after ``doc`` in the same chat (the replies to a question)."""
        ...

    def latest_time(self) -> datetime | None: ...

    def clear(self) -> None: ...

    # -- vectors waiting --------------------------------------------------------------------
    def pending_vectors(
        self, *, limit: int, now: datetime | None = None
    ) -> list[PendingVector]: ...

    def vectors_done(self, items: Sequence[PendingVector]) -> None: ...

    def release_vectors(self, items: Sequence[PendingVector]) -> None: ...

    def embedder(self) -> str | None: ...

    def require_embedder(self, name: str) -> bool:
        """Record ``name`` as the embedder the vectors are made with; when it differs from the
        one recorded, every passage waits for a new vector and True is returned."""
        ...

    def vector_failure(self, *, error: str | None, retry_at: datetime | None) -> None: ...

    def vector_retry_at(self) -> datetime | None: ...

    def stats(self) -> HistoryStats: ...


@dataclass(frozen=True, slots=True)
class FeedHead:
    """Where the change log stands: the last change number, the epoch (moves when everything
    changed at once), the oldest number still in the log (``floor``), and BM25's totals."""

    seq: int
    epoch: int
    floor: int
    docs: int
    length: int


@dataclass(frozen=True, slots=True)
class FeedRow:
    """A live passage as the feed gives it: its row id, its keyword counts and length, and
    whether its vector is in the vector store."""

    pk: int
    doc: HistoryDoc
    terms: Mapping[str, int]
    length: int
    has_vector: bool


class HistoryFeed(Protocol):
    """The SQL side read for an in-memory copy: a full load, then the changes after a number.
    Readers only; the log itself is written by ``HistoryRepository`` in every transaction
    that changes passages."""

    def head(self) -> FeedHead: ...

    def snapshot(self, *, batch: int = 5000) -> tuple[FeedHead, Iterator[list[FeedRow]]]: ...

    def changes(self, after: int, head: FeedHead) -> list[FeedRow | str]:
        """The passages changed after ``after`` up to ``head``: each one's row, or its
        ``doc_id`` when it is gone."""
        ...
