"""Similar finished tasks: the port, and the keyword implementation over titles.

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
from collections.abc import Sequence
from datetime import datetime
from typing import TYPE_CHECKING, Protocol

from assistant.insight.risk.observation import Neighbour

if TYPE_CHECKING:
    from assistant.insight.risk.history import FinishedTask

__all__ = ["KeywordSimilarTasks", "SimilarTasks", "title_tokens"]


class SimilarTasks(Protocol):
    """Neighbours of a task among the team's finished tasks, with how each went."""

    def similar(
        self, *, title: str, before: datetime, k: int = 5, exclude: int | str | None = None
    ) -> list[Neighbour]:
        """Up to ``k`` finished tasks most like ``title`` that were finished before ``before``,
        most similar first."""
        ...


_LATIN = re.compile(r"[a-z0-9]+")
_HAN = re.compile(r"[\u4e00-\u9fff]+")
# Words that say what kind of action a title is, not what it is about.
_STOP = frozenset(
    {"完成", "一下", "一个", "进行", "处理", "相关", "任务", "问题", "工作", "这个", "整理", "准备"}
)


def title_tokens(title: str) -> set[str]:
    """Character bigrams of the Chinese runs (single characters for one-character runs) and
    the Latin words and numbers of ``title``."""
    lowered = title.lower()
    tokens = {w for w in _LATIN.findall(lowered) if len(w) > 1}
    for run in _HAN.findall(lowered):
        if len(run) == 1:
            tokens.add(run)
        tokens.update(run[i : i + 2] for i in range(len(run) - 1))
    return tokens - _STOP


class KeywordSimilarTasks:
    """Ranks finished tasks by the rarity-weighted share of title tokens they share.

    Postings are kept in finishing order, and only the ``recent`` latest finished tasks of each
    token before the cut-off are looked at: recent similar work says most about the team now,
    and the search stays fast on long histories.
    """

    def __init__(
        self, finished: Sequence[FinishedTask], *, recent: int = 30, min_similarity: float = 0.25
    ) -> None:
        self._tasks = sorted(finished, key=lambda f: f.finished_at)
        self._recent = recent
        self._min = min_similarity
        postings: dict[str, list[int]] = defaultdict(list)
        self._tokens: list[set[str]] = []
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
        scored = [
            (score, i)
            for i, w in shared.items()
            if (score := 2 * w / (query_weight + weights[i])) >= self._min
        ]
        return heapq.nlargest(k, scored)
