"""The neutral task-history representation every source maps into.

A ``TaskObservation`` is what a chat secretary can know about one task at one moment (the
*prediction point*): how much time is left, how often the due date and the assignee changed,
when it was last talked about, how loaded and how reliable its assignee is, and how similar
finished tasks went. Nothing in it may be known only later. The SQL store maps into it through
``TaskTimeline`` + ``observe`` (replaying the task's events up to the prediction point), the
external JIRA data of the evaluation maps its per-point columns into it directly, and the
feature code (``features.py``) reads only this type, so training, scoring and the evaluation
share one definition of every feature.

``None`` means "not observed" (the source has no such signal); the model treats it as missing.
"""

from __future__ import annotations

import re
from bisect import bisect_right
from dataclasses import dataclass, field
from datetime import datetime
from functools import lru_cache

__all__ = [
    "DAY",
    "Neighbour",
    "NeighbourSummary",
    "ObserveContext",
    "TaskObservation",
    "TaskTimeline",
    "TimelineEvent",
    "kind_from_title",
    "observe",
    "progress_from_note",
    "summarize_neighbours",
]

DAY = 86400.0

PRIORITY_RANK = {"low": 0, "normal": 1, "high": 2, "urgent": 3}
KINDS = ("task", "bug", "feature", "doc", "test", "other")


@dataclass(frozen=True, slots=True)
class Neighbour:
    """A similar task that was finished before the prediction point, and how it went."""

    task_id: int | str
    title: str
    finished_at: datetime
    slip_days: float  # completion minus due, in days; ≤ 0 is on time
    duration_days: float | None = None  # creation to completion
    assignee_id: int | None = None
    similarity: float = 0.0

    @property
    def late(self) -> bool:
        return self.slip_days > 0


@dataclass(frozen=True, slots=True)
class NeighbourSummary:
    count: int = 0
    late: int = 0
    mean_slip_days: float | None = None  # over the late ones

    @property
    def late_share(self) -> float | None:
        return self.late / self.count if self.count else None


def summarize_neighbours(neighbours: tuple[Neighbour, ...] | list[Neighbour]) -> NeighbourSummary:
    late = [n.slip_days for n in neighbours if n.late]
    return NeighbourSummary(
        count=len(neighbours),
        late=len(late),
        mean_slip_days=sum(late) / len(late) if late else None,
    )


@dataclass(frozen=True, slots=True)
class TaskObservation:
    """One task as known at ``at``. Durations are in days."""

    key: str
    at: datetime
    opened_at: datetime
    due: datetime | None
    title: str = ""
    project: str | None = None
    status: str = "todo"
    priority: int | None = None  # 0 low … 3 urgent
    kind: str | None = None  # one of KINDS
    due_changes: int | None = 0
    due_pushed_days: float | None = 0.0
    assignee_changes: int | None = 0
    priority_changes: int | None = 0
    updates: int | None = 0  # status changes, notes, reassignments (due moves apart)
    days_since_update: float | None = None
    active_days: float | None = None  # first to last update
    blocked_days: float | None = 0.0
    blocked_now: bool | None = False
    progress: float | None = None  # 0–1, from the latest progress note
    assignee_id: int | None = None
    assignee_open: int | None = None  # the assignee's other open tasks
    assignee_late_rate: float | None = None  # from the assignee's finished tasks only
    assignee_finished: int | None = None
    project_days_left: float | None = None  # to the project deadline or next milestone
    project_open: int | None = None  # open tasks of the project due before that
    neighbours: NeighbourSummary | None = None
    team_late_rate: float | None = None  # the team's latest finished tasks, share late

    @property
    def elapsed_days(self) -> float:
        return max(0.0, (self.at - self.opened_at).total_seconds() / DAY)

    @property
    def days_left(self) -> float | None:
        return None if self.due is None else (self.due - self.at).total_seconds() / DAY

    @property
    def planned_span_days(self) -> float | None:
        return None if self.due is None else (self.due - self.opened_at).total_seconds() / DAY


@dataclass(frozen=True, slots=True)
class TimelineEvent:
    """A task event as the store keeps it (``kind``: created, status, due, assignee, priority,
    note, undo)."""

    at: datetime
    kind: str
    old: str | None = None
    new: str | None = None
    note: str | None = None


@dataclass(slots=True)
class TaskTimeline:
    """A task with its events, oldest first; the store's view before it becomes observations."""

    id: int
    title: str
    created_at: datetime
    status: str
    due: datetime | None
    priority: str = "normal"
    assignee_id: int | None = None
    project_id: int | None = None
    completed_at: datetime | None = None
    events: list[TimelineEvent] = field(default_factory=list)

    @property
    def finished(self) -> bool:
        return self.status == "done" and self.completed_at is not None

    def slip_days(self) -> float | None:
        """Completion minus due in days (the label); ``None`` for open or undated tasks."""
        if not self.finished or self.due is None or self.completed_at is None:
            return None
        return (self.completed_at - self.due).total_seconds() / DAY

    def due_at(self, at: datetime) -> datetime | None:
        """The due date as it stood at ``at`` (undoing later moves)."""
        due = self.due
        for event in reversed(self.events):
            if event.at <= at:
                break
            if event.kind == "due":
                due = _parse_dt(event.old)
        return due

    def assignee_at(self, at: datetime) -> int | None:
        assignee = self.assignee_id
        for event in reversed(self.events):
            if event.at <= at:
                break
            if event.kind == "assignee":
                assignee = _parse_int(event.old)
        return assignee

    def priority_at(self, at: datetime) -> str:
        priority = self.priority
        for event in reversed(self.events):
            if event.at <= at:
                break
            if event.kind == "priority" and event.old:
                priority = event.old
        return priority


def _parse_dt(value: str | None) -> datetime | None:
    if not value:
        return None
    try:
        return datetime.fromisoformat(value)
    except ValueError:
        return None


def _parse_int(value: str | None) -> int | None:
    try:
        return int(value) if value else None
    except ValueError:
        return None


_PERCENT = re.compile(r"(\d{1,3})\s*[%％]")
# Checked in this order, so that "快好了" is not read as "好了" and "还没开始" not as "开始".
_CUES: tuple[tuple[float, tuple[str, ...]], ...] = (
    (0.0, ("还没开始", "没开始", "还没动", "没动", "还没做")),
    (0.1, ("刚开始", "刚起步", "开了个头")),
    (0.9, ("差不多", "快好了", "快完了", "收尾", "就差", "只剩")),
    (0.75, ("大部分", "三分之二", "七八成", "八成")),
    (0.5, ("一半", "过半", "五成")),
    (0.3, ("三分之一", "小部分", "一部分")),
    (1.0, ("搞定", "完成了", "做完了", "写完了", "弄完了", "好了")),
)


def progress_from_note(note: str | None) -> float | None:
    """How far along a progress note says the task is ("写了一半" → 0.5, "80%" → 0.8)."""
    if not note:
        return None
    match = _PERCENT.search(note)
    if match:
        return min(100, int(match.group(1))) / 100
    for share, cues in _CUES:
        if any(cue in note for cue in cues):
            return share
    return None


_KIND_WORDS: tuple[tuple[str, tuple[str, ...]], ...] = (
    ("bug", ("bug", "修复", "修一下", "故障", "报错", "崩溃", "问题", "缺陷", "fix")),
    ("test", ("测试", "test", "验收", "回归")),
    ("doc", ("文档", "说明", "手册", "doc", "周报", "报告")),
    ("feature", ("新功能", "功能", "需求", "开发", "实现", "接入", "对接", "改版", "feature")),
)


@lru_cache(maxsize=200_000)
def kind_from_title(title: str) -> str:
    """A coarse kind of work read from the title's words (the JIRA data has it as a field)."""
    lowered = title.lower()
    for kind, words in _KIND_WORDS:
        if any(w in lowered for w in words):
            return kind
    return "task"


@dataclass(frozen=True, slots=True)
class ObserveContext:
    """What ``observe`` needs beyond the task itself, already computed as of ``at``."""

    assignee_open: int | None = None
    assignee_late_rate: float | None = None
    assignee_finished: int | None = None
    project: str | None = None
    project_days_left: float | None = None
    project_open: int | None = None
    neighbours: NeighbourSummary | None = None
    team_late_rate: float | None = None


def observe(timeline: TaskTimeline, at: datetime, context: ObserveContext) -> TaskObservation:
    """What was observable about ``timeline`` at ``at``: its events up to then, replayed."""
    cut = bisect_right([e.at for e in timeline.events], at)
    seen = timeline.events[:cut]
    due_changes = assignee_changes = priority_changes = updates = 0
    pushed = 0.0
    blocked_days = 0.0
    blocked_since: datetime | None = None
    progress: float | None = None
    first_update: datetime | None = None
    last_update: datetime | None = None
    status = "todo"
    for event in seen:
        if event.kind == "created":
            status = event.new or status
            continue
        first_update = first_update or event.at
        last_update = event.at
        if event.kind != "due":
            # Due moves are their own feature; counting them here too would split their weight.
            updates += 1
        if event.kind == "due":
            due_changes += 1
            old, new = _parse_dt(event.old), _parse_dt(event.new)
            if old is not None and new is not None and new > old:
                pushed += (new - old).total_seconds() / DAY
        elif event.kind == "assignee":
            assignee_changes += 1
        elif event.kind == "priority":
            priority_changes += 1
        elif event.kind in ("status", "undo") and event.new:
            if event.new == "blocked" and blocked_since is None:
                blocked_since = event.at
            elif event.new != "blocked" and blocked_since is not None:
                blocked_days += (event.at - blocked_since).total_seconds() / DAY
                blocked_since = None
            status = event.new
        found = progress_from_note(event.note)
        if found is not None:
            progress = found
    if blocked_since is not None:
        blocked_days += (at - blocked_since).total_seconds() / DAY
    since = last_update or timeline.created_at
    return TaskObservation(
        key=str(timeline.id),
        at=at,
        opened_at=timeline.created_at,
        due=timeline.due_at(at),
        title=timeline.title,
        project=context.project,
        status=status,
        priority=PRIORITY_RANK.get(timeline.priority_at(at), 1),
        kind=kind_from_title(timeline.title),
        due_changes=due_changes,
        due_pushed_days=pushed,
        assignee_changes=assignee_changes,
        priority_changes=priority_changes,
        updates=updates,
        days_since_update=max(0.0, (at - since).total_seconds() / DAY),
        active_days=(
            (last_update - first_update).total_seconds() / DAY
            if first_update and last_update
            else 0.0
        ),
        blocked_days=blocked_days,
        blocked_now=blocked_since is not None,
        progress=progress,
        assignee_id=timeline.assignee_at(at),
        assignee_open=context.assignee_open,
        assignee_late_rate=context.assignee_late_rate,
        assignee_finished=context.assignee_finished,
        project_days_left=context.project_days_left,
        project_open=context.project_open,
        neighbours=context.neighbours,
        team_late_rate=context.team_late_rate,
    )
