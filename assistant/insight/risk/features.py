"""The feature vector: one definition, read from ``TaskObservation`` only.

Training on the team's finished tasks, scoring its open ones and the evaluation on external
data all call ``vector``; a feature a source does not observe is ``nan`` (missing), never a
guess. ``FEATURES`` names each column and the factor it belongs to; explanations group the
model's contributions by factor.
"""

from __future__ import annotations

import math
from dataclasses import dataclass

from assistant.insight.risk.observation import KINDS, TaskObservation

__all__ = ["FEATURES", "FEATURE_NAMES", "Feature", "vector"]

NAN = math.nan


@dataclass(frozen=True, slots=True)
class Feature:
    name: str
    factor: str  # time | moved | stale | blocked | progress | load | record | similar | priority | kind | project | reassigned | discussed
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
)
FEATURE_NAMES: tuple[str, ...] = tuple(f.name for f in FEATURES)


def _num(value: float | int | bool | None) -> float:
    return NAN if value is None else float(value)


def vector(obs: TaskObservation) -> list[float]:
    """The features of ``obs`` in ``FEATURES`` order."""
    span = obs.planned_span_days
    left = obs.days_left
    share_left = NAN
    if span is not None and left is not None and span > 0:
        share_left = left / span
    progress_gap = NAN
    if obs.progress is not None and not math.isnan(share_left):
        # Time used minus work done: > 0 means behind schedule.
        progress_gap = (1.0 - max(0.0, min(1.0, share_left))) - obs.progress
    nb = obs.neighbours
    return [
        _num(left),
        _num(span),
        share_left,
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
        progress_gap,
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
    ]
