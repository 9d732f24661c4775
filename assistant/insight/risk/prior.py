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

from assistant.insight.risk.observation import TaskObservation

__all__ = ["BIAS", "prior_terms", "prior_score"]

BIAS = -2.2


def prior_terms(obs: TaskObservation) -> dict[str, float]:
    """Each factor's term of the prior's logit (factors as in ``features.FEATURES``)."""
    terms: dict[str, float] = {}
    left = obs.days_left
    if left is not None:
        terms["time"] = 4.0 if left < 0 else 1.6 * math.exp(-left / 2)
    if obs.days_since_update is not None and obs.days_since_update >= 2:
        terms["stale"] = 0.3 * (min(obs.days_since_update, 8.0) - 1)
    if obs.due_changes:
        terms["moved"] = 0.6 * min(obs.due_changes, 3)
    blocked = (1.2 if obs.blocked_now else 0.0) + 0.15 * min(obs.blocked_days or 0.0, 7.0)
    if blocked:
        terms["blocked"] = blocked
    span = obs.planned_span_days
    if obs.progress is not None and left is not None and span and span > 0:
        used = 1.0 - max(0.0, min(1.0, left / span))
        gap = used - obs.progress
        if gap > 0:
            terms["progress"] = 2.0 * gap
    if obs.assignee_open is not None and obs.assignee_open > 3:
        terms["load"] = 0.25 * (min(obs.assignee_open, 10) - 3)
    if obs.assignee_finished and obs.assignee_finished >= 3 and obs.assignee_late_rate is not None:
        terms["record"] = 2.0 * (obs.assignee_late_rate - 0.3)
    nb = obs.neighbours
    if nb is not None and nb.count >= 3 and nb.late_share is not None:
        terms["similar"] = 2.0 * (nb.late_share - 0.3)
    if obs.assignee_changes:
        terms["reassigned"] = 0.3 * min(obs.assignee_changes, 3)
    return terms


def prior_score(obs: TaskObservation) -> float:
    logit = BIAS + sum(prior_terms(obs).values())
    return 1.0 / (1.0 + math.exp(-logit))
