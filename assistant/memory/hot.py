"""``HotHistory``: the memory's index held in this process, kept in step with the store.

Search at 100k passages spent its time in the stores, not in the ranking: BM25 in SQL (~28 ms)
and Chroma's metadata filter (~23 ms for one field). This copy answers the same questions
from memory, with the same formulas:

- keywords: an inverted index (term → passages, counts) and each passage's terms, loaded from
  the SQL keyword index; BM25 exactly as ``SqlHistoryRepository.keyword_search`` computes it,
  over the totals SQL keeps;
- vectors: the vector store's embeddings as float32 rows, one block per project, each block
  in arrival order (so "one project" reads one block, "the last 14 days" the tail of each),
  searched by brute force: exact cosine, where Chroma's HNSW is approximate. A search whose
  candidates span more than ``brute_max`` rows (no filter at all) is left to the vector store;
- filters: per-passage arrays (kind, chat, project, sender, time) turned into masks.

SQL stays the source of truth and Chroma the durable vector store: the copy loads from them
(in a background thread: until it is ready, search goes to the stores as before) and then
follows the change log (``HistoryFeed``): before a search it reads the log's head (one small
query, at most every ``max_lag`` seconds) and applies the entries after the number it holds,
so the API and the worker, each with its own copy, see each other's writes.
"""

from __future__ import annotations

import gc
import logging
import os
import tempfile
import threading
import time
from array import array
from collections.abc import Callable, Iterable, Sequence
from dataclasses import dataclass, field
from datetime import UTC, datetime, timedelta
from pathlib import Path
from typing import Any

import numpy as np
from numpy.typing import NDArray

from assistant.memory.bm25 import BM25_B, BM25_K1, idf, query_terms
from assistant.memory.ports import (
    DocFilter,
    FeedHead,
    FeedRow,
    HistoryDoc,
    HistoryFeed,
    HistoryIndex,
    ScoredDoc,
)

__all__ = ["HotHistory", "HotStatus"]

log = logging.getLogger(__name__)

_EPOCH = datetime(1970, 1, 1, tzinfo=UTC)
_MICRO = timedelta(microseconds=1)
_NONE = -1  # an id that is not there (no chat, no project)
_FETCH = 1000  # vectors read from the vector store per call
_RETRY_FIRST, _RETRY_MAX = 2.0, 120.0  # seconds between asking again for missing vectors


_GEMV_ROWS = 1024
_ALL: NDArray[np.bool_] = np.ones(0, dtype=bool)  # marks a span taken whole (no mask)


def _freeze() -> None:
    """Move what the copy holds out of the garbage collector's sight: at 100k passages its
    million objects made every collection a full scan (search p50 7.6 ms, 1.9 ms frozen).
    The app freezes what it built at start-up the same way; this is for what came after."""
    gc.collect()
    gc.freeze()


def _similarities(rows: NDArray[np.float32], query: NDArray[np.float32]) -> NDArray[np.float32]:
    """``rows @ query`` in slices small enough that BLAS keeps them on this thread: a
    multithreaded gemv waits for its second thread, and on a busy machine that wait was
    the whole tail (p50 0.05 ms, p90 30 ms for 5,000 × 384)."""
    out = np.empty(rows.shape[0], dtype=np.float32)
    for start in range(0, rows.shape[0], _GEMV_ROWS):
        np.dot(rows[start : start + _GEMV_ROWS], query, out=out[start : start + _GEMV_ROWS])
    return out


def _among(values: NDArray[np.int64], wanted: tuple[int, ...]) -> NDArray[np.bool_]:
    """``np.isin`` without its set-up for the usual one id (a tenth of the time)."""
    if len(wanted) == 1:
        same: NDArray[np.bool_] = values == wanted[0]
        return same
    return np.isin(values, wanted)


def _micros(value: datetime) -> int:
    if value.tzinfo is None:
        value = value.replace(tzinfo=UTC)
    return (value - _EPOCH) // _MICRO


class _Grow:
    """A numpy column that grows by doubling."""

    def __init__(self, dtype: Any, fill: Any = 0) -> None:
        self.data: NDArray[Any] = np.full(1024, fill, dtype=dtype)
        self.fill = fill

    def ensure(self, n: int) -> None:
        if n > len(self.data):
            grown = np.full(max(n, 2 * len(self.data)), self.fill, dtype=self.data.dtype)
            grown[: len(self.data)] = self.data
            self.data = grown


class _Block:
    """The vectors of one project's passages, in the order they arrived."""

    def __init__(self, dimensions: int) -> None:
        self.vectors: NDArray[np.float32] = np.zeros((256, dimensions), dtype=np.float32)
        self.slots: NDArray[np.int64] = np.zeros(256, dtype=np.int64)
        self.live: NDArray[np.bool_] = np.zeros(256, dtype=bool)
        self.n = 0
        self.dead = 0

    def add(self, slot: int, vector: NDArray[np.float32]) -> int:
        if self.n == len(self.slots):
            size = max(2 * self.n, 256)
            vectors = np.zeros((size, self.vectors.shape[1]), dtype=np.float32)
            vectors[: self.n] = self.vectors[: self.n]
            self.vectors = vectors
            self.slots = np.resize(self.slots, size)
            live = np.zeros(size, dtype=bool)
            live[: self.n] = self.live[: self.n]
            self.live = live
        row = self.n
        self.vectors[row] = vector
        self.slots[row] = slot
        self.live[row] = True
        self.n += 1
        return row

    def trim(self) -> None:
        """Give back the room grown for rows that never came (after a full load)."""
        if len(self.slots) > self.n:
            self.vectors = self.vectors[: self.n].copy()
            self.slots = self.slots[: self.n].copy()
            self.live = self.live[: self.n].copy()

    def remove(self, row: int) -> None:
        if self.live[row]:
            self.live[row] = False
            self.dead += 1


class _VectorFile:
    """The vectors a full load attached, kept on disk for the next load: reading 100k rows
    from one file takes a fraction of a second, from the vector store's pages ~15 s.

    One set per vector store name (its embedder) and rebuild epoch, ``<name>-e<epoch>``: the
    list ``.ids`` (first line: the name of its matrix file; then one passage id a line, in
    row order) and the matrix ``.<token>.npy`` (float32 rows as attached, normalised). A
    passage id names one content and version, so its vector never changes within one
    embedder and epoch; a passage the file lacks is asked of the store. A new matrix gets a
    new name and the list is renamed into place after it, so a reader sees a whole old pair
    or a whole new one; a pair that does not read is ignored (and replaced after the load)."""

    def __init__(self, folder: Path, name: str, epoch: int) -> None:
        safe = "".join(c if c.isalnum() or c in "-_" else "_" for c in name)
        self.stem = f"{safe}-e{epoch}"
        self.folder = folder
        self.ids_path = folder / f"{self.stem}.ids"
        self.rows: dict[str, int] = {}
        self.matrix: NDArray[np.float32] | None = None
        self.used = 0

    def open(self, dimensions: int | None = None) -> None:
        try:
            lines = self.ids_path.read_text(encoding="utf-8").split("\n")
            matrix_name, ids = lines[0], lines[1:]
            if Path(matrix_name).name != matrix_name or not matrix_name.endswith(".npy"):
                raise ValueError(f"not a matrix file name: {matrix_name[:80]!r}")
            matrix = np.load(self.folder / matrix_name, mmap_mode="r")
        except (OSError, ValueError) as exc:
            if not isinstance(exc, FileNotFoundError):
                log.warning("hot history index: vector file unreadable (%s); not used", exc)
            return
        if ids and ids[-1] == "":
            ids.pop()
        if (
            matrix.dtype != np.float32
            or matrix.ndim != 2
            or matrix.shape[0] != len(ids)
            or (dimensions is not None and matrix.shape[1] != dimensions)
        ):
            log.warning("hot history index: vector file %s does not fit; not used", self.stem)
            return
        self.matrix = np.asarray(matrix)  # a plain view of the mapping: rows read faster
        self.rows = {doc_id: i for i, doc_id in enumerate(ids) if doc_id}

    def take(self, doc_id: str) -> NDArray[np.float32] | None:
        row = self.rows.get(doc_id)
        if row is None or self.matrix is None:
            return None
        self.used += 1
        return np.array(self.matrix[row], dtype=np.float32)

    def close(self) -> None:
        self.matrix = None
        self.rows = {}

    def write(self, blocks: Iterable[_Block], ids: Callable[[int], str | None]) -> None:
        """Every live row of ``blocks`` (``ids`` names a slot's passage)."""
        kept = [(b, np.flatnonzero(b.live[: b.n])) for b in blocks]
        total = sum(len(rows) for _, rows in kept)
        if not total:
            return
        dimensions = next(b.vectors.shape[1] for b, rows in kept if len(rows))
        self.folder.mkdir(parents=True, exist_ok=True)
        fd, tmp = tempfile.mkstemp(dir=self.folder, prefix=self.stem + ".", suffix=".npy")
        os.close(fd)
        matrix_name = Path(tmp).name
        tmp_ids = Path(tmp).with_suffix(".ids-new")
        done = False
        try:
            out = np.lib.format.open_memmap(
                tmp, mode="w+", dtype=np.float32, shape=(total, dimensions)
            )
            names: list[str] = [matrix_name]
            at = 0
            for block, rows in kept:
                out[at : at + len(rows)] = block.vectors[rows]
                at += len(rows)
                names.extend(ids(int(s)) or "" for s in block.slots[rows])
            out.flush()
            del out
            tmp_ids.write_text("\n".join(names) + "\n", encoding="utf-8")
            os.replace(tmp_ids, self.ids_path)
            done = True
        finally:
            tmp_ids.unlink(missing_ok=True)
            if not done:
                Path(tmp).unlink(missing_ok=True)
        for old in self.folder.iterdir():  # older matrices, other epochs' and embedders' sets
            if old.name != matrix_name and old.name != self.ids_path.name:
                if old.suffix in (".npy", ".ids", ".ids-new"):
                    old.unlink(missing_ok=True)


@dataclass(slots=True)
class HotStatus:
    """What the bench and ``qunmi index status`` show about the copy."""

    ready: bool
    docs: int
    vectors: int
    seq: int
    bytes: int
    load_seconds: float
    last_refresh_ms: float
    refreshes: int
    refreshed_docs: int
    missing_vectors: int
    refresh_ms: list[float] = field(default_factory=list)


class HotHistory:
    """The in-memory index (see the module docstring). Thread-safe: one lock around reads
    and refreshes (a search holds it for about a millisecond)."""

    def __init__(
        self,
        *,
        feed: HistoryFeed,
        index: Callable[[], HistoryIndex] | None,
        max_lag: float = 0.0,
        brute_max: int = 20000,
        background: bool = True,
        freeze: bool = True,
        vector_dir: Path | None = None,
    ) -> None:
        """``vector_dir``: where a full load keeps the vectors it read for the next one
        (none: always from the vector store)."""
        self._feed = feed
        self._index = index
        self.max_lag = max_lag
        self.brute_max = brute_max
        self.freeze = freeze
        self.vector_dir = vector_dir
        self._background = background
        self._lock = threading.RLock()
        self._loading: threading.Thread | None = None
        self.ready = False
        self._head = FeedHead(seq=0, epoch=0, floor=0, docs=0, length=0)
        self._checked = 0.0
        self._load_seconds = 0.0
        self._refresh_ms: list[float] = []
        self._refreshed_docs = 0
        self._reset()

    # -- structure ------------------------------------------------------------------------
    def _reset(self) -> None:
        self._n = 0
        self._live = 0
        self._slot_of: dict[str, int] = {}
        self._docs: list[HistoryDoc | None] = []
        self._terms: list[tuple[str, ...]] = []
        self._pk = _Grow(np.int64)
        self._time = _Grow(np.int64)
        self._kind = _Grow(np.int16, -1)
        self._chat = _Grow(np.int64, _NONE)
        self._project = _Grow(np.int64, _NONE)
        self._sender = _Grow(np.int64, _NONE)
        self._length = _Grow(np.float64)
        self._alive = _Grow(np.bool_, False)
        self._where = _Grow(np.int64, -1)  # row in its project's block, -1 without a vector
        self._kinds: dict[str, int] = {}
        self._postings: dict[str, tuple[array[int], array[int]]] = {}
        self._names: dict[str, str] = {}  # one string object per term (rows bring copies)
        self._df: dict[str, int] = {}
        self._blocks: dict[int, _Block] = {}
        self._dimensions: int | None = None
        self._missing: set[str] = set()
        self._retry_at = 0.0  # when vectors the store did not give are asked for again
        self._retry_pause = _RETRY_FIRST
        self._latest: int | None = None  # slot of the newest passage, None when unknown
        self._file: _VectorFile | None = None  # during a full load: the last load's vectors
        self.vectors_from_file = 0

    def _columns(self) -> tuple[_Grow, ...]:
        return (
            self._pk,
            self._time,
            self._kind,
            self._chat,
            self._project,
            self._sender,
            self._length,
            self._alive,
            self._where,
        )

    def _put(self, row: FeedRow) -> int:
        doc = row.doc
        old = self._slot_of.get(doc.doc_id)
        if old is not None:
            self._drop(old)
        slot = self._n
        self._n += 1
        if self._n > len(self._pk.data):  # the columns grow together
            for column in self._columns():
                column.ensure(self._n)
        self._slot_of[doc.doc_id] = slot
        self._docs.append(doc)
        names = self._names
        terms = tuple(names.setdefault(t, t) for t in row.terms)
        self._terms.append(terms)
        self._pk.data[slot] = row.pk
        self._time.data[slot] = _micros(doc.time)
        self._kind.data[slot] = self._kinds.setdefault(doc.kind, len(self._kinds))
        self._chat.data[slot] = doc.chat_id if doc.chat_id is not None else _NONE
        self._project.data[slot] = doc.project_id if doc.project_id is not None else _NONE
        self._sender.data[slot] = doc.sender_id if doc.sender_id is not None else _NONE
        self._length.data[slot] = row.length
        self._alive.data[slot] = True
        self._where.data[slot] = -1
        for term, tf in row.terms.items():
            found = self._postings.get(term)
            if found is None:
                found = self._postings[term] = (array("i"), array("i"))
            found[0].append(slot)
            found[1].append(tf)
            self._df[term] = self._df.get(term, 0) + 1
        self._live += 1
        if self._latest is not None and self._time.data[slot] >= self._time.data[self._latest]:
            self._latest = slot
        return slot

    def _drop(self, slot: int) -> None:
        if not self._alive.data[slot]:
            return
        self._alive.data[slot] = False
        self._detach(slot)
        for term in self._terms[slot]:
            left = self._df.get(term, 0) - 1
            if left > 0:
                self._df[term] = left
            else:
                self._df.pop(term, None)
        doc = self._docs[slot]
        if doc is not None:
            self._slot_of.pop(doc.doc_id, None)
        self._docs[slot] = None
        self._live -= 1
        if self._latest == slot:
            self._latest = None

    def _attach(self, slot: int, vector: NDArray[np.float32], *, unit: bool = False) -> None:
        """``unit``: the row is already normalised here (from the vector file)."""
        if self._where.data[slot] >= 0:
            return
        if self._dimensions is None:
            self._dimensions = int(vector.shape[0])
        if vector.shape[0] != self._dimensions:
            return  # another embedder's vector: the log will bring the new ones
        key = int(self._project.data[slot])
        block = self._blocks.get(key)
        if block is None:
            block = self._blocks[key] = _Block(self._dimensions)
        if unit:
            self._where.data[slot] = block.add(slot, vector)
            return
        norm = float(np.linalg.norm(vector))
        self._where.data[slot] = block.add(slot, vector / norm if norm > 0 else vector)

    def _detach(self, slot: int) -> None:
        row = int(self._where.data[slot])
        if row >= 0:
            self._blocks[int(self._project.data[slot])].remove(row)
            self._where.data[slot] = -1

    def _compact(self) -> None:
        """Slots of removed passages are only marked; past half of them, start afresh from
        what is alive (in memory, no store is read)."""
        counts: dict[int, dict[str, int]] = {}
        for term, (slots, tfs) in self._postings.items():
            for slot, tf in zip(slots, tfs, strict=True):
                if self._alive.data[slot]:
                    counts.setdefault(slot, {})[term] = tf
        kept: list[tuple[FeedRow, NDArray[np.float32] | None]] = []
        for slot in range(self._n):
            doc = self._docs[slot]
            if doc is None or not self._alive.data[slot]:
                continue
            where = int(self._where.data[slot])
            vector = (
                self._blocks[int(self._project.data[slot])].vectors[where].copy()
                if where >= 0
                else None
            )
            row = FeedRow(
                pk=int(self._pk.data[slot]),
                doc=doc,
                terms=counts.get(slot, {}),
                length=int(self._length.data[slot]),
                has_vector=vector is not None,
            )
            kept.append((row, vector))
        missing = self._missing
        self._reset()
        self._missing = missing
        for row, vector in kept:
            slot = self._put(row)
            if vector is not None:
                self._attach(slot, vector)
        if self.freeze:
            _freeze()

    # -- loading and following the log ----------------------------------------------------
    def load(self) -> None:
        """Read everything (SQL rows and postings, the vector store's vectors) and swap it
        in; then follow the log from the head read before."""
        # A million new objects, none in a cycle: the collector would walk them again and
        # again as they pile up (a third of the load at 100k); it runs once, at the freeze.
        paused = gc.isenabled()
        gc.disable()
        try:
            self._load()
        finally:
            if paused:
                gc.enable()

    def _load(self) -> None:
        started = time.perf_counter()
        head, batches = self._feed.snapshot()
        fresh = HotHistory(
            feed=self._feed, index=self._index, brute_max=self.brute_max, freeze=False
        )
        file = self._vector_file(head.epoch)
        if file is not None:
            file.open(self._dimensions)
            fresh._file = file
        try:
            for batch in batches:
                fresh._apply(batch)
        finally:
            fresh._file = None
            if file is not None:
                file.close()
        for block in fresh._blocks.values():
            block.trim()
        if file is not None:
            fresh.vectors_from_file = file.used
            if fresh._vector_count() > file.used:  # the store gave some: keep them all
                try:
                    file.write(fresh._blocks.values(), fresh._doc_id)
                except OSError as exc:
                    log.warning("hot history index: cannot keep the vectors (%s)", exc)
        if self.freeze:
            _freeze()
        with self._lock:
            self.__dict__.update(
                {k: v for k, v in fresh.__dict__.items() if k not in _KEEP and k != "_lock"}
            )
            self._head = head
            self._checked = 0.0
            self.ready = True
            self._load_seconds = time.perf_counter() - started
        self.refresh(force=True)
        log.info(
            "hot history index loaded: %d passages, %d vectors in %.1f s",
            self._live,
            self._vector_count(),
            self._load_seconds,
        )

    def _vector_file(self, epoch: int) -> _VectorFile | None:
        if self.vector_dir is None or self._index is None:
            return None
        try:
            name = self._index().name
        except Exception as exc:  # noqa: BLE001 - the store is down: the load will say so
            log.warning("hot history index: no vector store name (%s)", exc)
            return None
        return _VectorFile(self.vector_dir, name, epoch)

    def _doc_id(self, slot: int) -> str | None:
        doc = self._docs[slot]
        return doc.doc_id if doc is not None else None

    def start(self) -> None:
        """Load in a background thread (once); searches go to the stores meanwhile."""
        with self._lock:
            if self._loading is not None and self._loading.is_alive():
                return
            self._loading = threading.Thread(target=self._load_logged, daemon=True)
            self._loading.start()

    def _load_logged(self) -> None:
        try:
            self.load()
        except Exception:  # noqa: BLE001 - a failed load leaves search on the stores
            log.exception("hot history index: load failed")

    def wait(self, timeout: float | None = None) -> bool:
        thread = self._loading
        if thread is not None:
            thread.join(timeout)
        return self.ready

    def fresh(self) -> bool:
        """Bring the copy up to the log's head (at most every ``max_lag`` seconds). False
        when it is not loaded yet (then the caller asks the stores)."""
        if not self.ready:
            if self._background:
                self.start()
            return False
        if self.max_lag > 0 and time.monotonic() - self._checked < self.max_lag:
            return True
        return self.refresh()

    def refresh(self, *, force: bool = False) -> bool:
        with self._lock:
            try:
                head = self._feed.head()
            except Exception as exc:  # noqa: BLE001 - the database is down: say so, not ready
                log.warning("hot history index: head unreadable: %s", exc)
                return False
            self._checked = time.monotonic()
            if head.epoch != self._head.epoch or self._head.seq < head.floor:
                self.ready = False  # everything changed: reload, the stores answer meanwhile
                if self._background:
                    self.start()
                    return False
                self._lock.release()
                try:
                    self.load()
                finally:
                    self._lock.acquire()
                return self.ready
            if head.seq != self._head.seq or force:
                started = time.perf_counter()
                changes = (
                    self._feed.changes(self._head.seq, head) if head.seq > self._head.seq else []
                )
                self._apply(changes)
                self._head = head
                self._refresh_ms.append((time.perf_counter() - started) * 1000)
                del self._refresh_ms[:-1000]
                self._refreshed_docs += len(changes)
            else:
                self._head = head
            if self._missing and time.monotonic() >= self._retry_at:
                self._fetch_missing()
            return True

    def _apply(self, changes: Iterable[FeedRow | str]) -> None:
        wanted: list[tuple[int, str]] = []
        for change in changes:
            if isinstance(change, str):
                slot = self._slot_of.get(change)
                if slot is not None:
                    self._drop(slot)
                self._missing.discard(change)
                continue
            doc_id = change.doc.doc_id
            slot = self._slot_of.get(doc_id)
            if slot is not None and self._docs[slot] != change.doc:
                slot = None  # removed and made again between two looks, with other details
            if slot is None:
                slot = self._put(change)
            # The same id is the same content; only whether its vector is there changes.
            if change.has_vector and self._where.data[slot] < 0:
                wanted.append((slot, doc_id))
            elif not change.has_vector:
                self._detach(slot)
                self._missing.discard(doc_id)
        if wanted:
            self._fetch(wanted)
        if self._n > 4096 and self._live < self._n // 2:
            self._compact()

    def _fetch(self, wanted: Sequence[tuple[int, str]]) -> None:
        if self._index is None:
            return
        if self._file is not None and self._file.rows:
            rest: list[tuple[int, str]] = []
            for slot, doc_id in wanted:
                row = self._file.take(doc_id)
                if row is None:
                    rest.append((slot, doc_id))
                else:
                    self._attach(slot, row, unit=True)
            wanted = rest
            if not wanted:
                return
        try:
            index = self._index()
            for start in range(0, len(wanted), _FETCH):
                chunk = wanted[start : start + _FETCH]
                ids = [doc_id for _, doc_id in chunk]
                try:
                    found = index.vectors(ids)
                except Exception:  # noqa: BLE001 - once more: the adapter reconnects after a
                    found = index.vectors(ids)  # failure (a collection another app re-made)
                for slot, doc_id in chunk:
                    vector = found.get(doc_id)
                    if vector is None:
                        self._missing.add(doc_id)
                    else:
                        self._attach(slot, np.asarray(vector, dtype=np.float32).reshape(-1))
                        self._missing.discard(doc_id)
        except Exception as exc:  # noqa: BLE001 - the vector store is down: fetch them later
            log.warning("hot history index: vectors unavailable: %s", exc)
            self._missing.update(doc_id for _, doc_id in wanted)
        if self._missing:
            # Not on every search: wait, longer each time, while the store lacks them.
            self._retry_at = time.monotonic() + self._retry_pause
            self._retry_pause = min(self._retry_pause * 2, _RETRY_MAX)
        else:
            self._retry_pause = _RETRY_FIRST

    def _fetch_missing(self) -> None:
        wanted = [(self._slot_of[d], d) for d in list(self._missing) if d in self._slot_of]
        self._missing = {d for d in self._missing if d in self._slot_of}
        if wanted:
            self._fetch(wanted)

    # -- reading ------------------------------------------------------------------------
    def _allowed(self, slots: NDArray[np.integer[Any]], filters: DocFilter) -> NDArray[np.bool_]:
        ok: NDArray[np.bool_] = self._alive.data[slots]
        if filters.kinds:
            codes = [self._kinds[k] for k in filters.kinds if k in self._kinds]
            ok &= np.isin(self._kind.data[slots], codes)
        if filters.chat_ids:
            ok &= _among(self._chat.data[slots], filters.chat_ids)
        if filters.project_ids:
            ok &= _among(self._project.data[slots], filters.project_ids)
        if filters.sender_ids:
            ok &= _among(self._sender.data[slots], filters.sender_ids)
        if filters.since is not None:
            ok &= self._time.data[slots] >= _micros(filters.since)
        if filters.until is not None:
            ok &= self._time.data[slots] <= _micros(filters.until)
        return ok

    def latest_time(self) -> datetime | None:
        with self._lock:
            if self._latest is None and self._live:
                times = np.where(self._alive.data[: self._n], self._time.data[: self._n], -(2**62))
                self._latest = int(np.argmax(times))
            doc = self._docs[self._latest] if self._latest is not None else None
            return doc.time if doc is not None else None

    def term_weights(self, terms: Sequence[str]) -> dict[str, float]:
        """As ``HistoryRepository.term_weights``."""
        with self._lock:
            terms = list(dict.fromkeys(t for t in terms if t))
            total = self._head.docs
            if not terms:
                return {}
            df = self._df if total > 0 else {}
            return {t: idf(total, df.get(t, 0)) for t in terms}

    def keyword_search(
        self, terms: Sequence[str], *, filters: DocFilter, limit: int
    ) -> list[ScoredDoc]:
        """As ``HistoryRepository.keyword_search`` (BM25 on the same totals, the same choice
                of terms). SQL leaves the order of equal scores to the plan (the same words said
        twice score the same); here the older passage goes first, as SQLite's filtered plan and
        Chroma leave them (the development sets score the same either way but one question, whose
        later copy of a repeated line is lifted by "latest wins")."""
        with self._lock:
            terms = list(dict.fromkeys(t for t in terms if t))
            total, total_length = self._head.docs, self._head.length
            if not terms or total <= 0:
                return []
            frequencies = {t: self._df[t] for t in terms if self._df.get(t)}
            weights, chosen = query_terms(frequencies, total)
            if not weights:
                return []
            avgdl = max(total_length / total, 1.0)
            all_slots: list[NDArray[np.int64]] = []
            all_scores: list[NDArray[np.float64]] = []
            for term in chosen:
                slots_raw, tfs_raw = self._postings[term]
                posted = np.frombuffer(slots_raw, dtype=np.int32)
                keep = self._allowed(posted, filters)  # filter first: score only what is kept
                slots = posted[keep].astype(np.int64)
                if not slots.size:
                    continue
                tf = np.frombuffer(tfs_raw, dtype=np.int32)[keep].astype(np.float64)
                norm = (
                    BM25_K1 * (1.0 - BM25_B) + (BM25_K1 * BM25_B / avgdl) * self._length.data[slots]
                )
                all_slots.append(slots)
                all_scores.append(weights[term] * tf * (BM25_K1 + 1.0) / (tf + norm))
            if not all_slots:
                return []
            # Summed per passage over the candidates only (not over every slot held), in the
            # same order of addition as before, so the same sums.
            unique, inverse = np.unique(np.concatenate(all_slots), return_inverse=True)
            sums = np.bincount(inverse, weights=np.concatenate(all_scores))
            positive = sums > 0
            found = unique[positive]
            sums = sums[positive]
            order = np.lexsort((self._pk.data[found], self._time.data[found], -sums))[:limit]
            out: list[ScoredDoc] = []
            for i in order:
                doc = self._docs[int(found[i])]
                if doc is not None:
                    out.append(ScoredDoc(doc=doc, score=float(sums[i])))
            return out

    def doc_terms(
        self, doc_ids: Sequence[str], terms: Sequence[str] | None = None
    ) -> dict[str, set[str]]:
        """As ``HistoryRepository.doc_terms``."""
        with self._lock:
            if terms is not None and not terms:
                return {}
            wanted = set(terms) if terms is not None else None
            out: dict[str, set[str]] = {}
            for doc_id in doc_ids:
                slot = self._slot_of.get(doc_id)
                if slot is None:
                    continue
                held = set(self._terms[slot])
                if wanted is not None:
                    held &= wanted
                if held:
                    out[doc_id] = held
            return out

    def filtered_doc_ids(self, filters: DocFilter, *, limit: int) -> list[str]:
        with self._lock:
            slots = np.arange(self._n, dtype=np.int64)
            found = np.flatnonzero(self._allowed(slots, filters))[:limit]
            return [d.doc_id for i in found if (d := self._docs[int(i)]) is not None]

    def vector_search(
        self,
        vector: Any,
        *,
        filters: DocFilter,
        limit: int,
        with_vectors: bool = False,
    ) -> list[ScoredDoc] | None:
        """Exact cosine ranking of the passages ``filters`` lets through; None when they
        span more than ``brute_max`` rows (the vector store's HNSW is faster there) or no
        vector is held yet. Once vectors are held, a vector store that goes down later does
        not stop this ranking (passages waiting for their vectors are missing from it, as
        they are from the store)."""
        with self._lock:
            query = np.asarray(vector, dtype=np.float32).reshape(-1)
            if limit <= 0:
                return []
            if self._dimensions is None or query.shape[0] != self._dimensions:
                return None  # no vector held yet: the store answers (or says it is down)
            keys = list(filters.project_ids) if filters.project_ids else list(self._blocks)
            blocks = [b for k in keys if (b := self._blocks.get(k)) is not None and b.n]
            rest = DocFilter(
                kinds=filters.kinds,
                chat_ids=filters.chat_ids,
                sender_ids=filters.sender_ids,
                since=filters.since,
                until=filters.until,
            )
            if rest.empty and sum(b.n - b.dead for b in blocks) > self.brute_max:
                return None
            spans: list[tuple[_Block, int, int, NDArray[np.bool_]]] = []
            rows = 0
            for block in blocks:
                if rest.empty:  # a live row of a block is an alive passage
                    if not block.dead:
                        spans.append((block, 0, block.n, _ALL))
                        rows += block.n
                        continue
                    ok = block.live[: block.n]
                else:
                    ok = block.live[: block.n] & self._allowed(block.slots[: block.n], rest)
                where = np.flatnonzero(ok)
                if not where.size:
                    continue
                lo, hi = int(where[0]), int(where[-1]) + 1
                spans.append((block, lo, hi, ok[lo:hi]))
                rows += hi - lo
            if rows > self.brute_max:
                return None
            if not spans:
                return []
            scores: list[NDArray[np.float32]] = []
            slots: list[NDArray[np.int64]] = []
            for block, lo, hi, ok in spans:
                sims = _similarities(block.vectors[lo:hi], query)
                if ok is _ALL:  # every row of the block: no gathers
                    scores.append(sims)
                    slots.append(block.slots[lo:hi])
                    continue
                picked = np.flatnonzero(ok)
                scores.append(sims[picked])
                slots.append(block.slots[lo:hi][picked])
            score = scores[0] if len(scores) == 1 else np.concatenate(scores)
            slot = slots[0] if len(slots) == 1 else np.concatenate(slots)
            if score.size > limit:
                top = np.argpartition(-score, limit - 1)[:limit]
            else:
                top = np.arange(score.size)
            chosen = slot[top]
            order = top[np.lexsort((self._pk.data[chosen], self._time.data[chosen], -score[top]))]
            out: list[ScoredDoc] = []
            for i in order:
                s = int(slot[i])
                doc = self._docs[s]
                if doc is None:
                    continue
                stored: tuple[float, ...] | None = None
                if with_vectors:
                    block = self._blocks[int(self._project.data[s])]
                    stored = tuple(float(x) for x in block.vectors[int(self._where.data[s])])
                out.append(ScoredDoc(doc=doc, score=float(score[i]), vector=stored))
            return out

    # -- status -------------------------------------------------------------------------
    def _vector_count(self) -> int:
        return sum(b.n - b.dead for b in self._blocks.values())

    def status(self) -> HotStatus:
        with self._lock:
            arrays = sum(c.data.nbytes for c in self._columns())
            blocks = sum(
                b.vectors.nbytes + b.slots.nbytes + b.live.nbytes for b in self._blocks.values()
            )
            postings = sum(a.itemsize * len(a) * 2 for a, _ in self._postings.values())
            recent = list(self._refresh_ms)
            return HotStatus(
                ready=self.ready,
                docs=self._live,
                vectors=self._vector_count(),
                seq=self._head.seq,
                bytes=arrays + blocks + postings,
                load_seconds=self._load_seconds,
                last_refresh_ms=recent[-1] if recent else 0.0,
                refreshes=len(recent),
                refreshed_docs=self._refreshed_docs,
                missing_vectors=len(self._missing),
                refresh_ms=recent,
            )


# What a fresh load does not replace: the configuration, the lock, the background thread.
_KEEP = frozenset(
    {
        "_feed",
        "_index",
        "max_lag",
        "brute_max",
        "freeze",
        "vector_dir",
        "_background",
        "_loading",
        "_refresh_ms",
    }
)
