"""Scores for a binary "will it slip" prediction: AUC and the delayed class's P/R/F1."""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass

import numpy as np

__all__ = ["BinaryScores", "auc", "binary_scores"]


def auc(labels: Sequence[int] | np.ndarray, scores: Sequence[float] | np.ndarray) -> float:
    """Area under the ROC curve (Mann–Whitney, ties counted half); nan with one class only."""
    y = np.asarray(labels, dtype=bool)
    s = np.asarray(scores, dtype=float)
    n_pos = int(y.sum())
    n_neg = len(y) - n_pos
    if n_pos == 0 or n_neg == 0:
        return float("nan")
    order = np.argsort(s, kind="mergesort")
    ranks = np.empty(len(s), dtype=float)
    sorted_s = s[order]
    # Average ranks over ties.
    starts = np.r_[0, np.flatnonzero(np.diff(sorted_s)) + 1]
    ends = np.r_[starts[1:], len(s)]
    for a, b in zip(starts, ends, strict=True):
        ranks[order[a:b]] = (a + b + 1) / 2.0
    return float((ranks[y].sum() - n_pos * (n_pos + 1) / 2.0) / (n_pos * n_neg))


@dataclass(frozen=True, slots=True)
class BinaryScores:
    n: int
    positives: int
    auc: float
    precision: float
    recall: float
    f1: float
    threshold: float


def binary_scores(
    labels: Sequence[int] | np.ndarray, scores: Sequence[float] | np.ndarray, threshold: float
) -> BinaryScores:
    """AUC, and precision / recall / F1 of the positive (delayed) class at ``threshold``."""
    y = np.asarray(labels, dtype=bool)
    s = np.asarray(scores, dtype=float)
    predicted = s >= threshold
    tp = int((predicted & y).sum())
    precision = tp / int(predicted.sum()) if predicted.any() else 0.0
    recall = tp / int(y.sum()) if y.any() else 0.0
    f1 = 2 * precision * recall / (precision + recall) if precision + recall else 0.0
    return BinaryScores(
        n=len(y),
        positives=int(y.sum()),
        auc=auc(y, s),
        precision=precision,
        recall=recall,
        f1=f1,
        threshold=threshold,
    )
