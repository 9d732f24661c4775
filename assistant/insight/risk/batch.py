"""Observing many tasks at once: ``observe`` over arrays, for scoring and training at scale.

``observation.observe`` replays one task's events up to one moment; this module computes the
same quantities for a batch of (task, moment) pairs with numpy: every task's events are laid out
once in flat arrays, each pair reads the events of its task that had happened by its moment,
and counts, sums, firsts and lasts are grouped by pair. The output is the raw columns that
``features.matrix`` turns into features (one definition of every derived feature), and
``TaskObservation`` objects for the tasks whose explanation or prior score needs them. The unit
tests check that both ways give the same observation for every task of a simulated history.
"""

from __future__ import annotations

import math
from collections.abc import Sequence
from dataclasses import dataclass
from datetime import UTC, datetime

import numpy as np

from assistant.insight.risk.history import TeamHistory, closed_at
from assistant.insight.risk.observation import (
    DAY,
    KINDS,
    PRIORITY_RANK,
    NeighbourSummary,
    TaskObservation,
    TaskTimeline,
    kind_from_title,
    progress_from_note,
)
from assistant.insight.risk.similar import NeighbourHits

__all__ = ["Batch", "EventTable", "observe_batch"]

NAN = math.nan
_KIND_CODES = {"created": 0, "status": 1, "undo": 2, "due": 3, "assignee": 4, "priority": 5}
_STATUS_OF_EVENT = (1, 2)


def _ts(value: datetime | None) -> float:
    return NAN if value is None else value.timestamp()


def _dt_ts(text: str | None) -> float:
    if not text:
        return NAN
    try:
        return datetime.fromisoformat(text).timestamp()
    except ValueError:
        return NAN


def _int_or_nan(text: str | None) -> float:
    try:
        return float(int(text)) if text else NAN
    except ValueError:
        return NAN


@dataclass
class EventTable:
    """The timelines of a team and all their events as flat arrays, built once per history."""

    timelines: list[TaskTimeline]
    position: dict[int, int]  # task id → row
    created: np.ndarray
    due: np.ndarray
    closed: np.ndarray  # inf while open
    priority: np.ndarray  # rank
    assignee: np.ndarray  # nan: nobody
    project: np.ndarray  # -1: none
    kind: np.ndarray  # index into KINDS
    first_event: np.ndarray
    event_count: np.ndarray
    ev_at: np.ndarray
    ev_kind: np.ndarray  # _KIND_CODES, -1 for others (note)
    ev_due_old: np.ndarray
    ev_due_new: np.ndarray
    ev_assignee_old: np.ndarray
    ev_priority_old: np.ndarray  # rank, nan when the old value is empty
    ev_status: np.ndarray  # index into statuses, -1 when the event sets none
    ev_progress: np.ndarray
    statuses: list[str]

    @classmethod
    def build(cls, timelines: Sequence[TaskTimeline]) -> EventTable:
        statuses: dict[str, int] = {"todo": 0, "blocked": 1}
        rows = list(timelines)
        counts = [len(t.events) for t in rows]
        total = sum(counts)
        ev_at = np.empty(total)
        ev_kind = np.empty(total, dtype=np.int64)
        ev_due_old = np.full(total, NAN)
        ev_due_new = np.full(total, NAN)
        ev_assignee_old = np.full(total, NAN)
        ev_priority_old = np.full(total, NAN)
        ev_status = np.full(total, -1, dtype=np.int64)
        ev_progress = np.full(total, NAN)
        j = 0
        for t in rows:
            for e in t.events:
                code = _KIND_CODES.get(e.kind, -1)
                ev_at[j] = e.at.timestamp()
                ev_kind[j] = code
                if code == 3:
                    ev_due_old[j] = _dt_ts(e.old)
                    ev_due_new[j] = _dt_ts(e.new)
                elif code == 4:
                    ev_assignee_old[j] = _int_or_nan(e.old)
                elif code == 5 and e.old:
                    ev_priority_old[j] = PRIORITY_RANK.get(e.old, 1)
                if code in (0, 1, 2) and e.new:
                    ev_status[j] = statuses.setdefault(e.new, len(statuses))
                if e.note:
                    found = progress_from_note(e.note)
                    if found is not None:
                        ev_progress[j] = found
                j += 1
        first = np.zeros(len(rows), dtype=np.int64)
        if rows:
            first[1:] = np.cumsum(counts)[:-1]
        closed = [closed_at(t) for t in rows]
        return cls(
            timelines=rows,
            position={t.id: i for i, t in enumerate(rows)},
            created=np.array([t.created_at.timestamp() for t in rows], dtype=float),
            due=np.array([_ts(t.due) for t in rows], dtype=float),
            closed=np.array([c.timestamp() if c else math.inf for c in closed], dtype=float),
            priority=np.array([PRIORITY_RANK.get(t.priority, 1) for t in rows], dtype=float),
            assignee=np.array(
                [NAN if t.assignee_id is None else t.assignee_id for t in rows], dtype=float
            ),
            project=np.array(
                [-1 if t.project_id is None else t.project_id for t in rows], dtype=np.int64
            ),
            kind=np.array([KINDS.index(kind_from_title(t.title)) for t in rows], dtype=float),
            first_event=first,
            event_count=np.array(counts, dtype=np.int64),
            ev_at=ev_at,
            ev_kind=ev_kind,
            ev_due_old=ev_due_old,
            ev_due_new=ev_due_new,
            ev_assignee_old=ev_assignee_old,
            ev_priority_old=ev_priority_old,
            ev_status=ev_status,
            ev_progress=ev_progress,
            statuses=list(statuses),
        )


@dataclass
class Batch:
    """(task, moment) pairs observed: raw columns (``features.RAW``) and what the
    observations carry besides."""

    history: TeamHistory
    table: EventTable
    rows: np.ndarray  # timeline row of each pair
    at: np.ndarray  # timestamps
    columns: dict[str, np.ndarray]
    due: np.ndarray
    status: np.ndarray
    assignee: np.ndarray
    similar_late: np.ndarray

    def __len__(self) -> int:
        return len(self.rows)

    def observation(self, i: int, at: datetime | None = None) -> TaskObservation:
        """Pair ``i`` as a ``TaskObservation`` (what the explanations and the prior read)."""
        c = self.columns
        t = self.table.timelines[int(self.rows[i])]
        when = at or datetime.fromtimestamp(float(self.at[i]), UTC)

        def num(name: str) -> float | None:
            v = float(c[name][i])
            return None if math.isnan(v) else v

        def whole(name: str) -> int | None:
            v = num(name)
            return None if v is None else int(v)

        due = float(self.due[i])
        assignee = float(self.assignee[i])
        count = int(c["similar_count"][i])
        project = self.history.project(t.project_id)
        return TaskObservation(
            key=str(t.id),
            at=when,
            opened_at=t.created_at,
            due=None if math.isnan(due) else datetime.fromtimestamp(due, when.tzinfo or UTC),
            title=t.title,
            project=project.name if project is not None else None,
            status=self.table.statuses[int(self.status[i])],
            priority=whole("priority"),
            kind=KINDS[int(c["kind"][i])],
            due_changes=whole("due_changes"),
            due_pushed_days=num("due_pushed_days"),
            assignee_changes=whole("assignee_changes"),
            priority_changes=whole("priority_changes"),
            updates=whole("updates"),
            days_since_update=num("days_since_update"),
            active_days=num("active_days"),
            blocked_days=num("blocked_days"),
            blocked_now=bool(c["blocked_now"][i]),
            progress=num("progress"),
            assignee_id=None if math.isnan(assignee) else int(assignee),
            assignee_open=whole("assignee_open"),
            assignee_late_rate=num("assignee_late_rate"),
            assignee_finished=whole("assignee_finished"),
            project_days_left=num("project_days_left"),
            project_open=whole("project_open"),
            neighbours=NeighbourSummary(
                count=count,
                late=int(self.similar_late[i]),
                mean_slip_days=num("similar_mean_slip_days"),
            ),
            team_late_rate=num("team_late_rate"),
        )


def _first(groups: np.ndarray, size: int, values: np.ndarray, fill: float) -> np.ndarray:
    """The first value of each group (``groups`` nondecreasing), ``fill`` for empty ones."""
    out = np.full(size, fill, dtype=float)
    if len(groups):
        keys, idx = np.unique(groups, return_index=True)
        out[keys] = values[idx]
    return out


def _last(groups: np.ndarray, size: int, values: np.ndarray, fill: float) -> np.ndarray:
    out = np.full(size, fill, dtype=float)
    if len(groups):
        keys, idx = np.unique(groups[::-1], return_index=True)
        out[keys] = values[::-1][idx]
    return out


def _expand(first: np.ndarray, count: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
    """For groups given by (first, count) ranges: the group of every element and its index."""
    total = int(count.sum())
    group = np.repeat(np.arange(len(count), dtype=np.int64), count)
    starts = np.cumsum(count) - count
    index = np.repeat(first - starts, count) + np.arange(total, dtype=np.int64)
    return group, index


def observe_batch(
    history: TeamHistory,
    table: EventTable,
    rows: np.ndarray,
    at: np.ndarray,
    hits: NeighbourHits,
    hit_query: np.ndarray,
    k: int,
) -> Batch:
    """Observe timeline ``rows[i]`` at timestamp ``at[i]``; its similar tasks are the hits of
    query ``hit_query[i]`` finished before ``at[i]``, the first ``k`` of them."""
    n = len(rows)
    pair, ev = _expand(table.first_event[rows], table.event_count[rows])
    ev_at = table.ev_at[ev]
    kind = table.ev_kind[ev]
    seen = ev_at <= at[pair]
    created = kind == 0
    update = seen & ~created
    cols: dict[str, np.ndarray] = {}

    def count(mask: np.ndarray, weights: np.ndarray | None = None) -> np.ndarray:
        w = None if weights is None else weights[mask]
        return np.bincount(pair[mask], weights=w, minlength=n).astype(float)

    is_due = kind == 3
    cols["due_changes"] = count(update & is_due)
    old, new = table.ev_due_old[ev], table.ev_due_new[ev]
    with np.errstate(invalid="ignore"):
        pushed = np.where(new > old, (new - old) / DAY, 0.0)
    cols["due_pushed_days"] = count(update & is_due & (new > old), pushed)
    cols["assignee_changes"] = count(update & (kind == 4))
    cols["priority_changes"] = count(update & (kind == 5))
    cols["updates"] = count(update & ~is_due)
    first_update = _first(pair[update], n, ev_at[update], NAN)
    last_update = _last(pair[update], n, ev_at[update], NAN)
    created_at = table.created[rows]
    since = np.where(np.isnan(last_update), created_at, last_update)
    cols["days_since_update"] = np.maximum(0.0, (at - since) / DAY)
    cols["active_days"] = np.where(np.isnan(first_update), 0.0, (last_update - first_update) / DAY)
    # Status: the last seen event that set one; blocked time runs from each status event that
    # set "blocked" to the next status event (or to the moment).
    status_code = table.ev_status[ev]
    sets_status = seen & (status_code >= 0)
    status = _last(pair[sets_status], n, status_code[sets_status].astype(float), 0.0)
    changes = np.flatnonzero(update & np.isin(kind, _STATUS_OF_EVENT) & (status_code >= 0))
    ch_pair, ch_at, ch_code = pair[changes], ev_at[changes], status_code[changes]
    nxt = np.empty(len(changes))
    if len(changes):
        nxt[:-1] = ch_at[1:]
        same = np.zeros(len(changes), dtype=bool)
        same[:-1] = ch_pair[1:] == ch_pair[:-1]
        nxt = np.where(same, nxt, at[ch_pair])
    blocked = ch_code == 1
    cols["blocked_days"] = np.bincount(
        ch_pair[blocked], weights=(nxt - ch_at)[blocked] / DAY, minlength=n
    ).astype(float)
    cols["blocked_now"] = _last(ch_pair, n, (ch_code == 1).astype(float), 0.0)
    progress = table.ev_progress[ev]
    noted = update & ~np.isnan(progress)
    cols["progress"] = _last(pair[noted], n, progress[noted], NAN)
    # The due date, the assignee and the priority as they stood: the earliest later change's
    # old value, or the current one.
    unseen = ~seen
    due_then = _first(pair[unseen & is_due], n, old[unseen & is_due], NAN)
    moved_later = np.zeros(n, dtype=bool)
    moved_later[np.unique(pair[unseen & is_due])] = True
    due = np.where(moved_later, due_then, table.due[rows])
    reassigned = unseen & (kind == 4)
    holder = np.where(
        np.isin(np.arange(n), pair[reassigned]),
        _first(pair[reassigned], n, table.ev_assignee_old[ev][reassigned], NAN),
        table.assignee[rows],
    )
    old_priority = table.ev_priority_old[ev]
    reprioritised = unseen & (kind == 5) & ~np.isnan(old_priority)
    cols["priority"] = np.where(
        np.isin(np.arange(n), pair[reprioritised]),
        _first(pair[reprioritised], n, old_priority[reprioritised], NAN),
        table.priority[rows],
    )
    cols["days_left"] = (due - at) / DAY
    cols["planned_span_days"] = (due - created_at) / DAY
    cols["elapsed_days"] = np.maximum(0.0, (at - created_at) / DAY)
    cols["kind"] = table.kind[rows]
    # The assignee's load and record, the project's pressure: from the history's indexes.
    who = np.where(np.isnan(holder), -1, holder).astype(np.int64)
    held = (table.closed[rows] > at).astype(float)
    has = who >= 0
    load = history.load_index.count_many(who, at)
    finished, late = history.record_index.before_many(who, at)
    cols["assignee_open"] = np.where(has, np.maximum(0.0, load - held), NAN)
    cols["assignee_finished"] = np.where(has, finished, NAN)
    with np.errstate(divide="ignore", invalid="ignore"):
        cols["assignee_late_rate"] = np.where(has & (finished > 0), late / finished, NAN)
    project = table.project[rows]
    days_left = np.full(n, NAN)
    project_open = np.full(n, NAN)
    for pid in np.unique(project).tolist():
        info = history.project(pid) if pid >= 0 else None
        if info is None:
            continue
        sel = project == pid
        t = at[sel]
        ahead = sorted(d.timestamp() for d, done in info.milestones if not done)
        if info.deadline is not None:
            ahead = sorted([*ahead, info.deadline.timestamp()])
        if ahead:
            marks = np.asarray(ahead)
            j = np.searchsorted(marks, t, side="right")
            nearest = np.where(j < len(marks), marks[np.minimum(j, len(marks) - 1)], NAN)
            days_left[sel] = (nearest - t) / DAY
        project_open[sel] = history.project_index.count_many(np.full(int(sel.sum()), pid), t)
    cols["team_late_rate"] = history.team_late_rate_many(at)
    cols["project_days_left"] = days_left
    cols["project_open"] = project_open
    # Similar finished tasks: the hits of each pair's query finished before its moment.
    starts = np.searchsorted(hits.query, np.arange(hits.size), side="left")
    ends = np.searchsorted(hits.query, np.arange(hits.size), side="right")
    h_pair, h = _expand(starts[hit_query], (ends - starts)[hit_query])
    before = hits.finished_at[h] < at[h_pair]
    h_pair, h = h_pair[before], h[before]
    if len(h_pair):
        rank = np.arange(len(h_pair)) - np.searchsorted(h_pair, h_pair, side="left")
        keep = rank < k
        h_pair, h = h_pair[keep], h[keep]
    slip = hits.slip_days[h]
    is_late = slip > 0
    similar_count = np.bincount(h_pair, minlength=n).astype(float)
    similar_late = np.bincount(h_pair[is_late], minlength=n).astype(float)
    slip_sum = np.bincount(h_pair[is_late], weights=slip[is_late], minlength=n)
    with np.errstate(divide="ignore", invalid="ignore"):
        cols["similar_count"] = similar_count
        cols["similar_late_share"] = np.where(similar_count > 0, similar_late / similar_count, NAN)
        cols["similar_mean_slip_days"] = np.where(similar_late > 0, slip_sum / similar_late, NAN)
    return Batch(
        history=history,
        table=table,
        rows=rows,
        at=at,
        columns=cols,
        due=due,
        status=status.astype(np.int64),
        assignee=holder,
        similar_late=similar_late,
    )


def observe_open(
    history: TeamHistory, timelines: Sequence[TaskTimeline], now: datetime
) -> tuple[Batch, NeighbourHits]:
    """``timelines`` (open tasks) observed at ``now``, with their similar finished tasks."""
    from assistant.insight.risk.similar import SimilarQuery, hits_many

    # Only the scored tasks' events are read: a table of just them, rows in their order.
    table = EventTable.build(timelines)
    rows = np.arange(len(timelines), dtype=np.int64)
    hits = hits_many(
        history.similar,
        [SimilarQuery(title=t.title, before=now, exclude=t.id) for t in timelines],
        k=history.neighbours_k,
    )
    at = np.full(len(rows), now.timestamp())
    batch = observe_batch(
        history, table, rows, at, hits, np.arange(len(rows)), history.neighbours_k
    )
    return batch, hits


@dataclass
class ExampleBatch:
    """Training examples in arrays: the batch, each pair's label, slip and task (its group)."""

    batch: Batch
    late: np.ndarray
    slip_days: np.ndarray
    groups: list[str]


def examples_batch(
    history: TeamHistory, points: Sequence[float] = (0.0, 1 / 3, 2 / 3, 0.9)
) -> ExampleBatch:
    """``TeamHistory.examples`` in arrays: every finished task with a due date, observed at
    each fraction of its planned span while it was still open (the same moments)."""
    from assistant.insight.risk.similar import SimilarQuery, hits_many

    table = history.event_table()
    finished = history.finished
    rows = np.array([table.position[f.id] for f in finished], dtype=np.int64)
    created = np.array([f.created_at.timestamp() for f in finished], dtype=float)
    done = np.array([f.finished_at.timestamp() for f in finished], dtype=float)
    # The due date as first planned: the old value of the first due move, or the final one.
    planned = np.array(
        [_ts(history.due_at(f.id, f.created_at) or f.due) for f in finished], dtype=float
    )
    span = np.maximum(planned - created, 0.0)
    pair_task: list[int] = []
    pair_at: list[float] = []
    last_at = np.empty(len(finished))
    fractions = sorted(set(points))
    for i in range(len(finished)):
        moments = sorted({created[i] + span[i] * p for p in fractions})
        kept = [m for m in moments if m < done[i]] or [created[i]]
        pair_task.extend([i] * len(kept))
        pair_at.extend(kept)
        last_at[i] = kept[-1]
    hits = hits_many(
        history.similar,
        [
            SimilarQuery(
                title=f.title, before=datetime.fromtimestamp(last_at[i], UTC), exclude=f.id
            )
            for i, f in enumerate(finished)
        ],
        k=history.neighbours_k * 2,
    )
    task = np.array(pair_task, dtype=np.int64)
    batch = observe_batch(
        history, table, rows[task], np.array(pair_at), hits, task, history.neighbours_k
    )
    slip = (done - np.array([f.due.timestamp() for f in finished])) / DAY
    return ExampleBatch(
        batch=batch,
        late=slip[task] > 0,
        slip_days=slip[task],
        groups=[str(finished[i].id) for i in pair_task],
    )
