"""The keyword ranking's shared arithmetic: BM25 term weights and which query terms are read.

Both keyword rankings — SQL (storage/history/repository.py) and the in-memory copy
(assistant/memory/hot.py) — use these, so that they rank alike.
"""

from __future__ import annotations

import math
from collections.abc import Mapping

__all__ = ["BM25_B", "BM25_K1", "MAX_POSTINGS", "MAX_QUERY_TERMS", "idf", "query_terms"]

BM25_K1 = 1.2
BM25_B = 0.75
MAX_QUERY_TERMS = 12
MAX_POSTINGS = 8000  # posting rows one keyword search reads, beyond its two rarest terms


def idf(total: int, df: int) -> float:
    """BM25's inverse document frequency of a term ``df`` of ``total`` passages hold."""
    return math.log(1.0 + (total - df + 0.5) / (df + 0.5))


def query_terms(frequencies: Mapping[str, int], total: int) -> tuple[dict[str, float], list[str]]:
    """(idf per term found in the index, the terms to rank by). The rarest terms go first; a
    very common one adds little to BM25 and costs a long posting list, so past a budget of
    rows read only the rarer ones are ranked."""
    weights = {term: idf(total, df) for term, df in frequencies.items() if df > 0}
    chosen: list[str] = []
    postings = 0
    for term in sorted(weights, key=lambda t: -weights[t])[:MAX_QUERY_TERMS]:
        if len(chosen) >= 2 and postings + frequencies[term] > MAX_POSTINGS:
            continue
        chosen.append(term)
        postings += frequencies[term]
    return weights, chosen
