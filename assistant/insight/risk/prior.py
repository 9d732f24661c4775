"""The transparent prior: a documented score that speaks while the team has little history.

A logistic score over the strongest observable signals, each term written out so that the
explanation is the score itself (docs/risk.md lists the same table)::

    logit = −2.2                                   a healthy task: about 10 %
          + 4.0                 if already overdue
          + 1.6·e^(−days_left/2)  the last days before the due date (1.6 on the day, 1.0 a day before)
          + 0.3·(min(d, 8) − 1)   d = days without an update, from 2 days on
          + 0.6·min(n, 3)         n = times the due date was moved
          + 1.2 if blocked now, + 0.15·min(days blocked, 7)
          + 2.0·gap               gap = share of time used − share of work done, when a note says
          + 0.25·(min(open, 10) − 3)  the assignee's other open tasks, from 4 on
          + 2.0·(late rate − 0.3) the assignee's finished tasks, when 3 or more
          + 2.0·(late share − 0.3) similar finished tasks, when 3 or more
          + 0.3·min(n, 3)         n = times the task changed hands

The weights were set by hand from the JIRA study (Choetkiertikul et al. 2017: time left, due
date changes, workload and the assignee's delay record are its strongest signals) and checked
on that data by ``qunmi eval risk``, which prints the prior's AUC next to the model's.
"""

from __future__ import annotations

import math
from collections.abc import Mapping

import numpy as np

from assistant.insight.risk.features import columns_of
from assistant.insight.risk.observation import TaskObservation

__all__ = ["BIAS", "prior_columns", "prior_logits", "prior_score", "prior_terms"]

BIAS = -2.2


def prior_columns(columns: Mapping[str, np.ndarray]) -> dict[str, np.ndarray]:
    """Each factor's term of the prior's logit for every row of raw columns
    (``features.columns_of`` or the batch observer); ``nan`` where the term does not apply."""
    nan = np.nan

    def col(name: str) -> np.ndarray:
        return np.asarray(columns[name], dtype=float)

    left, span = col("days_left"), col("planned_span_days")
    stale, moved = col("days_since_update"), col("due_changes")
    blocked_now, blocked_days = col("blocked_now"), col("blocked_days")
    progress, load = col("progress"), col("assignee_open")
    finished, late_rate = col("assignee_finished"), col("assignee_late_rate")
    similar_count, similar_late = col("similar_count"), col("similar_late_share")
    reassigned = col("assignee_changes")
    with np.errstate(invalid="ignore", over="ignore", divide="ignore"):
        terms = {
            "time": np.where(left < 0, 4.0, 1.6 * np.exp(-left / 2)),
            "stale": np.where(stale >= 2, 0.3 * (np.minimum(stale, 8.0) - 1), nan),
            "moved": np.where(moved > 0, 0.6 * np.minimum(moved, 3), nan),
        }
        blocked = np.where(blocked_now > 0, 1.2, 0.0) + 0.15 * np.minimum(
            np.nan_to_num(blocked_days), 7.0
        )
        terms["blocked"] = np.where(blocked > 0, blocked, nan)
        used = 1.0 - np.clip(left / np.where(span > 0, span, nan), 0.0, 1.0)
        gap = used - progress
        terms["progress"] = np.where(gap > 0, 2.0 * gap, nan)
        terms["load"] = np.where(load > 3, 0.25 * (np.minimum(load, 10) - 3), nan)
        terms["record"] = np.where(
            (finished >= 3) & ~np.isnan(late_rate), 2.0 * (late_rate - 0.3), nan
        )
        terms["similar"] = np.where(
            (similar_count >= 3) & ~np.isnan(similar_late), 2.0 * (similar_late - 0.3), nan
        )
        terms["reassigned"] = np.where(reassigned > 0, 0.3 * np.minimum(reassigned, 3), nan)
    # A nan time left (no due date) gives no time term.
    terms["time"] = np.where(np.isnan(left), nan, terms["time"])
    return terms


def prior_logits(columns: Mapping[str, np.ndarray]) -> np.ndarray:
    """``BIAS`` plus the terms that apply, for every row."""
    terms = prior_columns(columns)
    total = np.full(len(np.asarray(columns["days_left"])), BIAS)
    for values in terms.values():
        total += np.nan_to_num(values)
    return total


def prior_terms(obs: TaskObservation) -> dict[str, float]:
    """Each factor's term of the prior's logit (factors as in ``features.FEATURES``)."""
    return {
        factor: float(values[0])
        for factor, values in prior_columns(columns_of([obs])).items()
        if not math.isnan(float(values[0]))
    }


def prior_score(obs: TaskObservation) -> float:
    logit = BIAS + sum(prior_terms(obs).values())
    return 1.0 / (1.0 + math.exp(-logit))
