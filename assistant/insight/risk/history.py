"""A team's task history, indexed so that any task can be observed at any past moment.

``TeamHistory`` is built once from the store's timelines (``TeamRecords``) and answers, for a
task and a prediction point: the assignee's other open tasks then, the assignee's on-time record
from tasks finished before then, the project's deadline pressure then, and the similar tasks
finished before then (through the ``SimilarTasks`` port). Everything is computed from what had
happened by the prediction point, so training examples built here carry no future information.
"""

from __future__ import annotations

import math
from collections.abc import Callable, Iterable, Sequence
from dataclasses import dataclass, field
from datetime import datetime, timedelta
from typing import Any

import numpy as np

from assistant.insight.risk.observation import (
    DAY,
    Neighbour,
    ObserveContext,
    TaskObservation,
    TaskTimeline,
    observe,
    summarize_neighbours,
)
from assistant.insight.risk.similar import (
    KeywordSimilarTasks,
    SimilarQuery,
    SimilarTasks,
    similar_many,
)

__all__ = [
    "Example",
    "FinishedTask",
    "ProjectInfo",
    "TeamHistory",
    "TeamRecords",
    "closed_at",
]


@dataclass(frozen=True, slots=True)
class ProjectInfo:
    id: int
    name: str
    deadline: datetime | None = None
    milestones: tuple[tuple[datetime, bool], ...] = ()  # (due, done)


@dataclass(slots=True)
class TeamRecords:
    """What the store hands over: members (id → display name), projects, task timelines."""

    members: dict[int, str]
    projects: list[ProjectInfo]
    timelines: list[TaskTimeline]


@dataclass(frozen=True, slots=True)
class FinishedTask:
    """A finished task with a due date: the outcome similar-task search returns."""

    id: int
    title: str
    project_id: int | None
    assignee_id: int | None
    created_at: datetime
    due: datetime
    finished_at: datetime

    @property
    def slip_days(self) -> float:
        return (self.finished_at - self.due).total_seconds() / DAY

    def as_neighbour(self, similarity: float) -> Neighbour:
        return Neighbour(
            task_id=self.id,
            title=self.title,
            finished_at=self.finished_at,
            slip_days=self.slip_days,
            duration_days=(self.finished_at - self.created_at).total_seconds() / DAY,
            assignee_id=self.assignee_id,
            similarity=similarity,
        )


@dataclass(frozen=True, slots=True)
class Example:
    """A training example: a finished task observed at one prediction point, and its label."""

    observation: TaskObservation
    late: bool
    slip_days: float
    group: str  # the task; examples of one task stay on the same side of every split


def closed_at(timeline: TaskTimeline) -> datetime | None:
    """When the task stopped being open: completed, or cancelled (its last status event)."""
    if timeline.status == "done":
        return timeline.completed_at
    if timeline.status == "cancelled":
        for event in reversed(timeline.events):
            if event.kind in ("status", "undo") and event.new == "cancelled":
                return event.at
        return timeline.created_at
    return None


def _by_key(keys: list[int], values: list[float]) -> dict[int, np.ndarray]:
    """``values`` grouped by ``keys``, each group sorted: one sort for all of them."""
    if not keys:
        return {}
    k = np.asarray(keys, dtype=np.int64)
    v = np.asarray(values, dtype=float)
    order = np.lexsort((v, k))
    k, v = k[order], v[order]
    uniq, first = np.unique(k, return_index=True)
    bounds = [*first.tolist(), len(k)]
    return {int(key): v[bounds[j] : bounds[j + 1]] for j, key in enumerate(uniq.tolist())}


class _Intervals:
    """Open intervals [start, end) per key; ``count(key, at)`` in O(log n)."""

    def __init__(self) -> None:
        self._keys: list[int] = []
        self._start_ts: list[float] = []
        self._end_ts: list[float] = []
        self._starts: dict[int, np.ndarray] = {}
        self._ends: dict[int, np.ndarray] = {}

    def add(self, key: int, start: datetime, end: datetime | None) -> None:
        self.add_ts(key, start.timestamp(), end.timestamp() if end is not None else math.inf)

    def add_ts(self, key: int, start: float, end: float) -> None:
        self._keys.append(key)
        self._start_ts.append(start)
        self._end_ts.append(end)

    def freeze(self) -> None:
        self._starts = _by_key(self._keys, self._start_ts)
        self._ends = _by_key(self._keys, self._end_ts)

    def count(self, key: int, at: datetime) -> int:
        starts = self._starts.get(key)
        if starts is None:
            return 0
        t = at.timestamp()
        return int(
            np.searchsorted(starts, t, side="right")
            - np.searchsorted(self._ends[key], t, side="right")
        )

    def count_many(self, keys: np.ndarray, at: np.ndarray) -> np.ndarray:
        """``count`` for arrays of keys (``-1``: none, counted 0) and timestamps."""
        out = np.zeros(len(keys), dtype=float)
        for key in np.unique(keys).tolist():
            if key < 0 or key not in self._starts:
                continue
            sel = keys == key
            t = at[sel]
            out[sel] = np.searchsorted(self._starts[key], t, side="right") - np.searchsorted(
                self._ends[key], t, side="right"
            )
        return out


class _Outcomes:
    """Finished-task outcomes per key, by finishing time; the late rate before a moment."""

    def __init__(self) -> None:
        self._keys: list[int] = []
        self._at: list[float] = []
        self._is_late: list[bool] = []
        self._times: dict[int, np.ndarray] = {}
        self._late: dict[int, np.ndarray] = {}

    def add(self, key: int, finished: datetime, late: bool) -> None:
        self.add_ts(key, finished.timestamp(), late)

    def add_ts(self, key: int, finished: float, late: bool) -> None:
        self._keys.append(key)
        self._at.append(finished)
        self._is_late.append(late)

    def freeze(self) -> None:
        self._times, self._late = {}, {}
        if not self._keys:
            return
        k = np.asarray(self._keys, dtype=np.int64)
        t = np.asarray(self._at, dtype=float)
        late = np.asarray(self._is_late, dtype=np.int64)
        # By key, then time, late ones after on-time ones at the same moment (as tuples sort).
        order = np.lexsort((late, t, k))
        k, t, late = k[order], t[order], late[order]
        uniq, first = np.unique(k, return_index=True)
        bounds = [*first.tolist(), len(k)]
        for j, key in enumerate(uniq.tolist()):
            lo, hi = bounds[j], bounds[j + 1]
            self._times[int(key)] = t[lo:hi]
            self._late[int(key)] = np.concatenate([[0], np.cumsum(late[lo:hi])])

    def before_many(self, keys: np.ndarray, at: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
        """``before`` for arrays of keys (``-1``: none) and timestamps: (finished, late)."""
        finished = np.zeros(len(keys), dtype=float)
        late = np.zeros(len(keys), dtype=float)
        for key in np.unique(keys).tolist():
            times = self._times.get(key)
            if key < 0 or times is None or not len(times):
                continue
            sel = keys == key
            n = np.searchsorted(times, at[sel], side="left")
            finished[sel] = n
            late[sel] = self._late[key][n]
        return finished, late

    def recent_rate_many(self, key: int, at: np.ndarray, window: int) -> np.ndarray:
        """The late share of the last ``window`` outcomes of ``key`` before each moment."""
        times = self._times.get(key)
        if times is None or not len(times):
            return np.full(len(at), math.nan)
        n = np.searchsorted(times, at, side="left")
        first = np.maximum(0, n - window)
        cum = self._late[key].astype(float)
        with np.errstate(invalid="ignore", divide="ignore"):
            return np.where(n > first, (cum[n] - cum[first]) / (n - first), math.nan)

    def before(self, key: int, at: datetime) -> tuple[int, int]:
        """(finished, late) of ``key`` strictly before ``at``."""
        times = self._times.get(key)
        if times is None or not len(times):
            return 0, 0
        n = int(np.searchsorted(times, at.timestamp(), side="left"))
        return n, int(self._late[key][n])


@dataclass
class TeamHistory:
    """The indexes over one team's records. Build with ``TeamHistory.build``."""

    records: TeamRecords
    similar: SimilarTasks
    finished: list[FinishedTask]
    neighbours_k: int = 5
    _load: _Intervals = field(default_factory=_Intervals)
    _project_open: _Intervals = field(default_factory=_Intervals)
    _record: _Outcomes = field(default_factory=_Outcomes)
    _team: _Outcomes = field(default_factory=_Outcomes)
    team_window: int = 100  # the team's latest finished tasks, for its recent late rate
    _by_id: dict[int, TaskTimeline] = field(default_factory=dict)
    _projects: dict[int, ProjectInfo] = field(default_factory=dict)
    _events: Any = None

    @classmethod
    def build(
        cls,
        records: TeamRecords,
        *,
        similar: Callable[[Sequence[FinishedTask]], SimilarTasks] = KeywordSimilarTasks,
        neighbours_k: int = 5,
    ) -> TeamHistory:
        finished = [
            FinishedTask(
                id=t.id,
                title=t.title,
                project_id=t.project_id,
                assignee_id=t.assignee_id,
                created_at=t.created_at,
                due=t.due,
                finished_at=t.completed_at,
            )
            for t in records.timelines
            if t.finished and t.due is not None and t.completed_at is not None
        ]
        history = cls(
            records=records, similar=similar(finished), finished=finished, neighbours_k=neighbours_k
        )
        history._index()
        return history

    def _index(self) -> None:
        self._projects = {p.id: p for p in self.records.projects}
        inf = math.inf
        for t in self.records.timelines:
            self._by_id[t.id] = t
            closed = closed_at(t)
            end = closed.timestamp() if closed is not None else inf
            created = t.created_at.timestamp()
            if t.project_id is not None:
                self._project_open.add_ts(t.project_id, created, end)
            if not any(e.kind == "assignee" for e in t.events):
                if t.assignee_id is not None:
                    self._load.add_ts(t.assignee_id, created, end)
                continue
            # Walk the assignee changes to know who held the task when.
            start, holder = created, t.assignee_at(t.created_at)
            for event in t.events:
                if event.kind != "assignee":
                    continue
                at = event.at.timestamp()
                if holder is not None:
                    self._load.add_ts(holder, start, min(at, end))
                holder = int(event.new) if event.new and event.new.isdigit() else None
                start = at
            if holder is not None and start < end:
                self._load.add_ts(holder, start, end)
        for f in self.finished:
            done = f.finished_at.timestamp()
            late = done > f.due.timestamp()
            self._team.add_ts(0, done, late)
            if f.assignee_id is not None:
                self._record.add_ts(f.assignee_id, done, late)
        self._team.freeze()
        self._load.freeze()
        self._project_open.freeze()
        self._record.freeze()

    # -- queries ------------------------------------------------------------------------------
    @property
    def load_index(self) -> _Intervals:
        """Who held which open task when (for batch observation)."""
        return self._load

    @property
    def record_index(self) -> _Outcomes:
        return self._record

    @property
    def project_index(self) -> _Intervals:
        return self._project_open

    def team_late_rate_many(self, at: np.ndarray) -> np.ndarray:
        """The late share of the team's latest ``team_window`` tasks finished before each
        moment (``nan`` before the first)."""
        return self._team.recent_rate_many(0, at, self.team_window)

    def project(self, project_id: int | None) -> ProjectInfo | None:
        return self._projects.get(project_id or -1)

    def due_at(self, task_id: int, at: datetime) -> datetime | None:
        """The due date task ``task_id`` had at ``at``."""
        return self._by_id[task_id].due_at(at)

    def event_table(self) -> Any:
        """The timelines as flat arrays (``batch.EventTable``), built on first use."""
        if self._events is None:
            from assistant.insight.risk.batch import EventTable

            self._events = EventTable.build(self.records.timelines)
        return self._events

    def timeline(self, task_id: int) -> TaskTimeline | None:
        return self._by_id.get(task_id)

    @property
    def finished_count(self) -> int:
        return len(self.finished)

    def open_count(self, member_id: int, at: datetime) -> int:
        """Open tasks ``member_id`` held at ``at``."""
        return self._load.count(member_id, at)

    def record(self, member_id: int, at: datetime) -> tuple[int, int]:
        """(finished, late) of ``member_id``'s tasks finished before ``at``."""
        return self._record.before(member_id, at)

    def neighbours(
        self, timeline: TaskTimeline, before: datetime, k: int | None = None
    ) -> list[Neighbour]:
        return self.similar.similar(
            title=timeline.title,
            before=before,
            k=k or self.neighbours_k,
            exclude=timeline.id,
        )

    def neighbours_many(
        self, timelines: Sequence[TaskTimeline], before: Sequence[datetime], k: int | None = None
    ) -> list[list[Neighbour]]:
        """``neighbours`` of each timeline, one batch."""
        queries = [
            SimilarQuery(title=t.title, before=b, exclude=t.id)
            for t, b in zip(timelines, before, strict=True)
        ]
        return similar_many(self.similar, queries, k=k or self.neighbours_k)

    def context(
        self, timeline: TaskTimeline, at: datetime, neighbours: Iterable[Neighbour] | None = None
    ) -> ObserveContext:
        assignee = timeline.assignee_at(at)
        open_, finished, late = None, None, None
        if assignee is not None:
            closed = closed_at(timeline)
            held = 1 if closed is None or closed > at else 0
            open_ = max(0, self.open_count(assignee, at) - held)
            finished, late = self.record(assignee, at)
        project = self._projects.get(timeline.project_id or -1)
        days_left, project_open = None, None
        if project is not None:
            ahead = [d for d, done in project.milestones if not done and d > at]
            if project.deadline is not None and project.deadline > at:
                ahead.append(project.deadline)
            if ahead:
                days_left = (min(ahead) - at).total_seconds() / DAY
            project_open = self._project_open.count(project.id, at)
        found = list(neighbours) if neighbours is not None else self.neighbours(timeline, at)
        return ObserveContext(
            assignee_open=open_,
            assignee_late_rate=(late / finished) if finished and late is not None else None,
            assignee_finished=finished,
            project=project.name if project is not None else None,
            project_days_left=days_left,
            project_open=project_open,
            neighbours=summarize_neighbours(found),
            team_late_rate=_maybe(float(self.team_late_rate_many(np.array([at.timestamp()]))[0])),
        )

    def observe(
        self, timeline: TaskTimeline, at: datetime, neighbours: Iterable[Neighbour] | None = None
    ) -> TaskObservation:
        return observe(timeline, at, self.context(timeline, at, neighbours))

    def examples(self, points: Sequence[float] = (0.0, 1 / 3, 2 / 3, 0.9)) -> list[Example]:
        """Every finished task with a due date, observed at each fraction of its planned span
        (creation to the due date it was given) while it was still open.

        The points depend on the plan only, never on how the task went, so the examples see
        tasks exactly as scoring does: whatever is still open at that moment of its plan.
        """
        out: list[Example] = []
        plans: list[tuple[FinishedTask, TaskTimeline, list[datetime]]] = []
        for f in self.finished:
            timeline = self._by_id[f.id]
            planned_due = timeline.due_at(f.created_at) or f.due
            span = max(planned_due - f.created_at, timedelta(0))
            moments = sorted({f.created_at + span * p for p in points})
            moments = [m for m in moments if m < f.finished_at] or [f.created_at]
            plans.append((f, timeline, moments))
        # One search per task, among tasks finished before its last prediction point, all
        # tasks in one batch; each point keeps the neighbours finished before it.
        pools = self.neighbours_many(
            [t for _, t, _ in plans], [m[-1] for _, _, m in plans], k=self.neighbours_k * 2
        )
        for (f, timeline, moments), pool in zip(plans, pools, strict=True):
            for at in moments:
                near = [n for n in pool if n.finished_at < at][: self.neighbours_k]
                obs = self.observe(timeline, at, near)
                out.append(
                    Example(
                        observation=obs,
                        late=f.slip_days > 0,
                        slip_days=f.slip_days,
                        group=str(f.id),
                    )
                )
        return out


def _maybe(value: float) -> float | None:
    return None if math.isnan(value) else value
