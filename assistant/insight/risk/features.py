"""The feature vector: one definition, read from ``TaskObservation`` only.

Training on the team's finished tasks, scoring its open ones and the evaluation on external
data all call ``vector``; a feature a source does not observe is ``nan`` (missing), never a
guess. ``FEATURES`` names each column and the factor it belongs to; explanations group the
model's contributions by factor.
"""

from __future__ import annotations

import math
from collections.abc import Mapping, Sequence
from dataclasses import dataclass

import numpy as np

from assistant.insight.risk.observation import KINDS, TaskObservation

__all__ = [
    "FEATURES",
    "FEATURE_NAMES",
    "RAW",
    "Feature",
    "columns_of",
    "matrix",
    "matrix_of",
    "vector",
]

NAN = math.nan


@dataclass(frozen=True, slots=True)
class Feature:
    name: str
    factor: str  # team | time | moved | stale | blocked | progress | load | record | similar | priority | kind | project | reassigned | discussed
    categorical: bool = False


FEATURES: tuple[Feature, ...] = (
    Feature("days_left", "time"),
    Feature("planned_span_days", "time"),
    Feature("share_left", "time"),
    Feature("elapsed_days", "time"),
    Feature("due_changes", "moved"),
    Feature("due_pushed_days", "moved"),
    Feature("assignee_changes", "reassigned"),
    Feature("priority_changes", "priority"),
    Feature("updates", "discussed"),
    Feature("active_days", "discussed"),
    Feature("days_since_update", "stale"),
    Feature("blocked_days", "blocked"),
    Feature("blocked_now", "blocked"),
    Feature("progress", "progress"),
    Feature("progress_gap", "progress"),
    Feature("assignee_open", "load"),
    Feature("assignee_late_rate", "record"),
    Feature("assignee_finished", "record"),
    Feature("priority", "priority"),
    Feature("kind", "kind", categorical=True),
    Feature("project_days_left", "project"),
    Feature("project_open", "project"),
    Feature("similar_count", "similar"),
    Feature("similar_late_share", "similar"),
    Feature("similar_mean_slip_days", "similar"),
    Feature("team_late_rate", "team"),
)
FEATURE_NAMES: tuple[str, ...] = tuple(f.name for f in FEATURES)


# The observed quantities a feature row is made of; ``share_left`` and ``progress_gap`` are
# derived from them in ``matrix``, the one place that turns observations into features.
RAW: tuple[str, ...] = tuple(n for n in FEATURE_NAMES if n not in ("share_left", "progress_gap"))


def _num(value: float | int | bool | None) -> float:
    return NAN if value is None else float(value)


def _raw(obs: TaskObservation) -> tuple[float, ...]:
    nb = obs.neighbours
    return (
        _num(obs.days_left),
        _num(obs.planned_span_days),
        obs.elapsed_days,
        _num(obs.due_changes),
        _num(obs.due_pushed_days),
        _num(obs.assignee_changes),
        _num(obs.priority_changes),
        _num(obs.updates),
        _num(obs.active_days),
        _num(obs.days_since_update),
        _num(obs.blocked_days),
        _num(obs.blocked_now),
        _num(obs.progress),
        _num(obs.assignee_open),
        _num(obs.assignee_late_rate),
        _num(obs.assignee_finished),
        _num(obs.priority),
        float(KINDS.index(obs.kind)) if obs.kind in KINDS else NAN,
        _num(obs.project_days_left),
        _num(obs.project_open),
        _num(nb.count) if nb is not None else NAN,
        _num(nb.late_share) if nb is not None else NAN,
        _num(nb.mean_slip_days) if nb is not None else NAN,
        _num(obs.team_late_rate),
    )


_RAW_ORDER = (
    "days_left",
    "planned_span_days",
    "elapsed_days",
    "due_changes",
    "due_pushed_days",
    "assignee_changes",
    "priority_changes",
    "updates",
    "active_days",
    "days_since_update",
    "blocked_days",
    "blocked_now",
    "progress",
    "assignee_open",
    "assignee_late_rate",
    "assignee_finished",
    "priority",
    "kind",
    "project_days_left",
    "project_open",
    "similar_count",
    "similar_late_share",
    "similar_mean_slip_days",
    "team_late_rate",
)
assert set(_RAW_ORDER) == set(RAW)


def columns_of(observations: Sequence[TaskObservation]) -> dict[str, np.ndarray]:
    """The raw columns (``RAW``) of ``observations``, ``nan`` where not observed."""
    table = np.array([_raw(o) for o in observations], dtype=float).reshape(-1, len(_RAW_ORDER))
    return {name: table[:, j] for j, name in enumerate(_RAW_ORDER)}


def matrix(columns: Mapping[str, np.ndarray]) -> np.ndarray:
    """The feature matrix (``FEATURES`` order) of raw columns, from ``columns_of`` or from the
    batch observer, which computes them straight from the store's events."""
    left = np.asarray(columns["days_left"], dtype=float)
    span = np.asarray(columns["planned_span_days"], dtype=float)
    with np.errstate(divide="ignore", invalid="ignore"):
        share_left = np.where(span > 0, left / np.where(span > 0, span, 1.0), NAN)
    progress = np.asarray(columns["progress"], dtype=float)
    # Time used minus work done: > 0 means behind schedule (nan stays nan).
    progress_gap = (1.0 - np.clip(share_left, 0.0, 1.0)) - progress
    derived = {"share_left": share_left, "progress_gap": progress_gap}
    out = np.empty((len(left), len(FEATURE_NAMES)), dtype=float)
    for j, name in enumerate(FEATURE_NAMES):
        out[:, j] = derived[name] if name in derived else columns[name]
    return out


def matrix_of(observations: Sequence[TaskObservation]) -> np.ndarray:
    return matrix(columns_of(observations))


def vector(obs: TaskObservation) -> list[float]:
    """The features of ``obs`` in ``FEATURES`` order."""
    row: list[float] = matrix_of([obs])[0].tolist()
    return row
