"""Similar finished tasks: the port, and the keyword implementation over titles.

Scoring asks for the neighbours of thousands of tasks at once; ``similar_many`` answers a whole
batch, through ``BatchSimilarTasks.similar_many`` when the implementation offers it (the keyword
one does, in numpy) and one ``similar`` call per query otherwise.

The team memory (Chroma, on its own branch) will offer a semantic search over everything the
team wrote; wiring it here is one class implementing ``SimilarTasks`` (search the memory for
the title among finished tasks, then attach each hit's outcome from ``FinishedTask``). Until
then ``KeywordSimilarTasks`` ranks finished tasks by shared title words (Chinese character
bigrams and Latin words, weighted by rarity).
"""

from __future__ import annotations

import heapq
import math
import re
from bisect import bisect_left
from collections import defaultdict
from collections.abc import Callable, Sequence
from dataclasses import dataclass
from datetime import datetime
from functools import lru_cache
from typing import TYPE_CHECKING, NamedTuple, Protocol, runtime_checkable

import numpy as np
from scipy.sparse import coo_matrix

from assistant.insight.risk.observation import Neighbour

if TYPE_CHECKING:
    from assistant.insight.risk.history import FinishedTask

__all__ = [
    "BatchSimilarTasks",
    "KeywordSimilarTasks",
    "NeighbourHits",
    "SimilarQuery",
    "SimilarTasks",
    "hits_many",
    "similar_many",
    "title_tokens",
]


class SimilarTasks(Protocol):
    """Neighbours of a task among the team's finished tasks, with how each went."""

    def similar(
        self, *, title: str, before: datetime, k: int = 5, exclude: int | str | None = None
    ) -> list[Neighbour]:
        """Up to ``k`` finished tasks most like ``title`` that were finished before ``before``,
        most similar first."""
        ...


class SimilarQuery(NamedTuple):
    """One search (a named tuple: scoring makes ten thousand of them per call)."""

    title: str
    before: datetime
    exclude: int | str | None = None


@runtime_checkable
class BatchSimilarTasks(SimilarTasks, Protocol):
    """A ``SimilarTasks`` that answers many queries in one call."""

    def similar_many(self, queries: Sequence[SimilarQuery], *, k: int = 5) -> list[list[Neighbour]]:
        """``similar`` for each query, in order."""
        ...


def similar_many(
    similar: SimilarTasks, queries: Sequence[SimilarQuery], *, k: int = 5
) -> list[list[Neighbour]]:
    """The neighbours of every query, batched when ``similar`` can batch."""
    return hits_many(similar, queries, k=k).lists()


@dataclass(frozen=True)
class NeighbourHits:
    """The neighbours of a batch of queries as flat arrays, grouped by query and best first
    within each: what the batch feature code summarises without making ``Neighbour`` objects.
    ``lists`` makes them, for the few tasks whose advice needs them."""

    size: int  # the number of queries
    query: np.ndarray  # int, nondecreasing
    finished_at: np.ndarray  # timestamps
    slip_days: np.ndarray
    _lists: Callable[[], list[list[Neighbour]]]

    def lists(self) -> list[list[Neighbour]]:
        return self._lists()

    @classmethod
    def of(cls, lists: list[list[Neighbour]]) -> NeighbourHits:
        flat = [(q, n) for q, found in enumerate(lists) for n in found]
        return cls(
            size=len(lists),
            query=np.array([q for q, _ in flat], dtype=np.int64),
            finished_at=np.array([n.finished_at.timestamp() for _, n in flat], dtype=float),
            slip_days=np.array([n.slip_days for _, n in flat], dtype=float),
            _lists=lambda: lists,
        )


def hits_many(
    similar: SimilarTasks, queries: Sequence[SimilarQuery], *, k: int = 5
) -> NeighbourHits:
    """The neighbours of every query as ``NeighbourHits``; in arrays throughout when
    ``similar`` is the keyword search, through ``similar_many`` or ``similar`` otherwise."""
    if isinstance(similar, KeywordSimilarTasks):
        return similar.hits_many(queries, k=k)
    if isinstance(similar, BatchSimilarTasks):
        return NeighbourHits.of(similar.similar_many(queries, k=k))
    return NeighbourHits.of(
        [similar.similar(title=q.title, before=q.before, k=k, exclude=q.exclude) for q in queries]
    )


_LATIN = re.compile(r"[a-z0-9]+")
_HAN = re.compile(r"[\u4e00-\u9fff]+")
# Words that say what kind of action a title is, not what it is about.
_STOP = frozenset(
    {"完成", "一下", "一个", "进行", "处理", "相关", "任务", "问题", "工作", "这个", "整理", "准备"}
)


@lru_cache(maxsize=200_000)
def title_tokens(title: str) -> frozenset[str]:
    """Character bigrams of the Chinese runs (single characters for one-character runs) and
    the Latin words and numbers of ``title``. Cached: a team's finished titles are read again
    at every scoring."""
    lowered = title.lower()
    tokens = {w for w in _LATIN.findall(lowered) if len(w) > 1}
    for run in _HAN.findall(lowered):
        if len(run) == 1:
            tokens.add(run)
        tokens.update(run[i : i + 2] for i in range(len(run) - 1))
    return frozenset(tokens - _STOP)


_HIT_CACHE = 50_000  # cached hits_many answers per index (about 0.5 kB each)


class KeywordSimilarTasks:
    """Ranks finished tasks by the rarity-weighted share of title tokens they share.

    Postings are kept in finishing order, and only the ``recent`` latest finished tasks of each
    token before the cut-off are looked at: recent similar work says most about the team now,
    and the search stays fast on long histories. ``similar_many`` runs the same search for a
    whole batch as array operations over one flat posting list.
    """

    def __init__(
        self, finished: Sequence[FinishedTask], *, recent: int = 30, min_similarity: float = 0.25
    ) -> None:
        self._tasks = sorted(finished, key=lambda f: f.finished_at)
        self._recent = recent
        self._min = min_similarity
        postings: dict[str, list[int]] = defaultdict(list)
        self._tokens: list[frozenset[str]] = []
        for i, f in enumerate(self._tasks):
            tokens = title_tokens(f.title)
            self._tokens.append(tokens)
            for token in tokens:
                postings[token].append(i)
        n = max(1, len(self._tasks))
        self._idf = {t: math.log(1 + n / len(p)) for t, p in postings.items()}
        self._postings = dict(postings)
        self._times = [f.finished_at.timestamp() for f in self._tasks]
        self._weight = [sum(self._idf[t] for t in tokens) for tokens in self._tokens]
        # Scoring asks about many tasks at one moment; equal titles get equal answers.
        self._cache: dict[tuple[str, float, int], list[tuple[float, int]]] = {}
        self._flat: tuple[dict[str, int], np.ndarray, np.ndarray, np.ndarray] | None = None
        self._times_array = np.asarray(self._times, dtype=float)
        self._ids: dict[str, int] | None = None
        self._slips: np.ndarray | None = None
        # (title, cut-off, k) → (task indexes, scores) of ``hits_many``, best first.
        self._hit_cache: dict[tuple[str, int, int], tuple[np.ndarray, np.ndarray]] = {}

    def _arrays(self) -> tuple[dict[str, int], np.ndarray, np.ndarray, np.ndarray]:
        """Token ids, their idf, the postings concatenated by token (ascending task index
        within a token) and each token's offset into them; built on the first batch."""
        if self._flat is None:
            vocab = {t: j for j, t in enumerate(self._postings)}
            idf = np.array([self._idf[t] for t in self._postings], dtype=float)
            lengths = np.array([len(p) for p in self._postings.values()], dtype=np.int64)
            offsets = np.zeros(len(lengths) + 1, dtype=np.int64)
            np.cumsum(lengths, out=offsets[1:])
            flat = np.fromiter(
                (i for p in self._postings.values() for i in p),
                dtype=np.int64,
                count=int(offsets[-1]),
            )
            self._flat = (vocab, idf, flat, offsets)
        return self._flat

    def similar(
        self, *, title: str, before: datetime, k: int = 5, exclude: int | str | None = None
    ) -> list[Neighbour]:
        key = (title, before.timestamp(), k)
        ranked = self._cache.get(key)
        if ranked is None:
            ranked = self._rank(title, before, k + 1)
            if len(self._cache) < 50_000:
                self._cache[key] = ranked
        out = [
            self._tasks[i].as_neighbour(round(score, 3))
            for score, i in ranked
            if exclude is None or str(self._tasks[i].id) != str(exclude)
        ]
        return out[:k]

    def similar_many(self, queries: Sequence[SimilarQuery], *, k: int = 5) -> list[list[Neighbour]]:
        """``similar`` for each query, computed together: the same ranking (Dice on weighted
        tokens, ties to the later-finished task), with the excluded task left out before the
        top ``k`` is taken."""
        return self.hits_many(queries, k=k).lists()

    def hits_many(self, queries: Sequence[SimilarQuery], *, k: int = 5) -> NeighbourHits:
        """The neighbours of every query. A query whose title and cut-off (the number of tasks
        finished before it) were asked before is answered from the cache: scoring the same open
        tasks again, while nothing new has finished, searches nothing."""
        q_all, t_all, s_all = self._cached_rank(queries, k)
        finished, slips = self._outcomes()
        tasks = self._tasks
        size = len(queries)

        def lists() -> list[list[Neighbour]]:
            out: list[list[Neighbour]] = [[] for _ in range(size)]
            for q, i, score in zip(q_all.tolist(), t_all.tolist(), s_all.tolist(), strict=True):
                out[q].append(tasks[i].as_neighbour(round(score, 3)))
            return out

        return NeighbourHits(
            size=size,
            query=q_all,
            finished_at=finished[t_all],
            slip_days=slips[t_all],
            _lists=lists,
        )

    def _cached_rank(
        self, queries: Sequence[SimilarQuery], k: int
    ) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
        """``_rank_many`` over the queries not in the hit cache, merged with the cached ones."""
        empty = (np.zeros(0, dtype=np.int64), np.zeros(0, dtype=np.int64), np.zeros(0))
        if not self._tasks or not queries:
            return empty
        cuts = np.searchsorted(
            self._times_array, np.array([q.before.timestamp() for q in queries]), side="left"
        ).tolist()
        by_id = self._by_id()
        found: list[tuple[np.ndarray, np.ndarray] | None] = [None] * len(queries)
        keys: list[tuple[str, int, int] | None] = []
        todo: list[int] = []
        for qi, q in enumerate(queries):
            # A query that excludes one of the finished tasks (training) is not cached.
            key = (
                None
                if q.exclude is not None and str(q.exclude) in by_id
                else (q.title, cuts[qi], k)
            )
            keys.append(key)
            hit = self._hit_cache.get(key) if key is not None else None
            if hit is None:
                todo.append(qi)
            else:
                found[qi] = hit
        chunk = 20_000
        for lo in range(0, len(todo), chunk):
            part = todo[lo : lo + chunk]
            q_idx, t_idx, scores = self._rank_many([queries[i] for i in part], k)
            bounds = np.searchsorted(q_idx, np.arange(len(part) + 1), side="left").tolist()
            for j, qi in enumerate(part):
                hit = (t_idx[bounds[j] : bounds[j + 1]], scores[bounds[j] : bounds[j + 1]])
                found[qi] = hit
                key = keys[qi]
                if key is not None and len(self._hit_cache) < _HIT_CACHE:
                    self._hit_cache[key] = hit
        done = [f for f in found if f is not None]
        lengths = np.array([len(f[0]) for f in done], dtype=np.int64)
        if not int(lengths.sum()):
            return empty
        return (
            np.repeat(np.arange(len(queries), dtype=np.int64), lengths),
            np.concatenate([f[0] for f in done]).astype(np.int64),
            np.concatenate([f[1] for f in done]).astype(float),
        )

    def _by_id(self) -> dict[str, int]:
        if self._ids is None:
            self._ids = {str(t.id): i for i, t in enumerate(self._tasks)}
        return self._ids

    def _outcomes(self) -> tuple[np.ndarray, np.ndarray]:
        if self._slips is None:
            due = np.array([f.due.timestamp() for f in self._tasks], dtype=float)
            self._slips = (self._times_array - due) / 86400.0
        return self._times_array, self._slips

    def _rank_many(
        self, queries: Sequence[SimilarQuery], k: int
    ) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
        """(query, task index, score) of every kept neighbour, best first within each query."""
        vocab, idf, flat, offsets = self._arrays()
        n = len(self._tasks)
        default_idf = math.log(1 + max(1, n))
        cuts = np.searchsorted(
            self._times_array, np.array([q.before.timestamp() for q in queries]), side="left"
        )
        by_id = self._by_id()
        exclude = np.array(
            [by_id.get(str(q.exclude), -1) if q.exclude is not None else -1 for q in queries],
            dtype=np.int64,
        )
        pair_q: list[int] = []
        pair_t: list[int] = []
        query_weight = np.zeros(len(queries))
        for qi, q in enumerate(queries):
            weight = 0.0
            for token in title_tokens(q.title):
                j = vocab.get(token)
                if j is None:
                    weight += default_idf
                else:
                    weight += float(idf[j])
                    pair_q.append(qi)
                    pair_t.append(j)
            query_weight[qi] = weight
        empty = (np.zeros(0, dtype=np.int64), np.zeros(0, dtype=np.int64), np.zeros(0))
        if not pair_q:
            return empty
        pq = np.array(pair_q, dtype=np.int64)
        pt = np.array(pair_t, dtype=np.int64)
        # Each (query, token) pair reads the token's postings finished before the query's
        # cut-off, the latest ``recent`` of them: a range of the flat array.
        seg_lo, seg_hi = offsets[pt], offsets[pt + 1]
        # (token, task) keys are ascending along the flat array, so one search finds them all.
        token_of = np.repeat(np.arange(len(offsets) - 1, dtype=np.int64), np.diff(offsets))
        keys_flat = token_of * (n + 1) + flat
        end = np.searchsorted(keys_flat, pt * (n + 1) + cuts[pq], side="left")
        end = np.clip(end, seg_lo, seg_hi)
        start = np.maximum(seg_lo, end - self._recent)
        lengths = end - start
        total = int(lengths.sum())
        if total == 0:
            return empty
        first = np.cumsum(lengths) - lengths
        pos = np.repeat(start - first, lengths) + np.arange(total, dtype=np.int64)
        hit_task = flat[pos]
        hit_query = np.repeat(pq, lengths)
        hit_idf = np.repeat(idf[pt], lengths)
        # Sum the idf of shared tokens per (query, task): a sparse matrix sums duplicates.
        summed = coo_matrix((hit_idf, (hit_query, hit_task)), shape=(len(queries), n)).tocsr()
        summed.sum_duplicates()
        kq = np.repeat(np.arange(len(queries), dtype=np.int64), np.diff(summed.indptr))
        kt = summed.indices.astype(np.int64)
        shared = summed.data
        weights = np.asarray(self._weight)
        score = 2 * shared / (query_weight[kq] + weights[kt])
        keep = (score >= self._min) & (kt != exclude[kq])
        kq, kt, score = kq[keep], kt[keep], score[keep]
        # Equal sums added in another order differ in the last bits: ties go by recency.
        order = np.lexsort((-kt, -np.round(score, 9), kq))
        kq, kt, score = kq[order], kt[order], score[order]
        starts = np.searchsorted(kq, kq, side="left")
        top = (np.arange(len(kq)) - starts) < k
        return kq[top], kt[top], score[top]

    def _rank(self, title: str, before: datetime, k: int) -> list[tuple[float, int]]:
        tokens = title_tokens(title)
        if not tokens or not self._tasks:
            return []
        cut = bisect_left(self._times, before.timestamp())
        default_idf = math.log(1 + max(1, len(self._tasks)))
        query_weight = sum(self._idf.get(t, default_idf) for t in tokens)
        shared: dict[int, float] = defaultdict(float)
        for token in tokens:
            posting = self._postings.get(token)
            if not posting:
                continue
            end = bisect_left(posting, cut)
            idf = self._idf[token]
            for i in posting[max(0, end - self._recent) : end]:
                shared[i] += idf
        weights = self._weight
        # Dice coefficient on weighted token sets.
        # Rounded: equal sums added in another order differ in the last bits; ties go to the
        # later-finished task, as in ``similar_many``.
        scored = [
            (round(score, 9), i)
            for i, w in shared.items()
            if (score := 2 * w / (query_weight + weights[i])) >= self._min
        ]
        return heapq.nlargest(k, scored)
