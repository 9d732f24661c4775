"""The weekly report's figures: pure arithmetic over a project's records (docs/reports.md).

Nothing here reads the database or the clock: ``ReportRecords`` carries what the loader read,
``weekly_figures`` turns it into ``WeeklyFigures`` for a period ending at ``now``.
"""

from __future__ import annotations

from collections import Counter
from collections.abc import Mapping, Sequence
from dataclasses import dataclass, field
from datetime import date, datetime, timedelta, tzinfo
from typing import Any

from dateutil.rrule import rrulestr

from assistant.domain import (
    Meeting,
    MeetingStatus,
    Milestone,
    Project,
    Task,
    TaskEvent,
    TaskStatus,
)

__all__ = [
    "MemberActivity",
    "ReportRecords",
    "RiskDigest",
    "WeeklyFigures",
    "meeting_occurrences",
    "weekly_figures",
]

STATUS_ORDER = ("todo", "in_progress", "blocked", "done")


@dataclass(frozen=True, slots=True)
class RiskDigest:
    """The riskiest open tasks as the risk service scored them, and which scorer spoke."""

    model: str  # "lightgbm" | "prior" | "none"
    note: str
    tasks: Sequence[Mapping[str, Any]] = ()


@dataclass(slots=True)
class ReportRecords:
    """What the figures are computed from: the project's tasks (all of them, any status),
    the due-date changes in the period, messages per sender in the project's chats, meetings,
    milestones and member names."""

    project: Project | None
    names: Mapping[int, str]
    member_ids: Sequence[int]
    tasks: Sequence[Task]
    due_events: Sequence[TaskEvent]
    messages_by_sender: Mapping[int, int]
    meetings: Sequence[Meeting]
    milestones: Sequence[Milestone]
    risks: RiskDigest | None = None


@dataclass(slots=True)
class MemberActivity:
    member_id: int
    name: str
    messages: int = 0
    tasks_done: int = 0
    done_with_due: int = 0
    done_on_time: int = 0
    open_tasks: int = 0
    overdue: int = 0

    @property
    def on_time_rate(self) -> float | None:
        return _rate(self.done_on_time, self.done_with_due)

    def to_dict(self) -> dict[str, Any]:
        return {
            "member_id": self.member_id,
            "name": self.name,
            "messages": self.messages,
            "tasks_done": self.tasks_done,
            "done_with_due": self.done_with_due,
            "done_on_time": self.done_on_time,
            "on_time_rate": self.on_time_rate,
            "open_tasks": self.open_tasks,
            "overdue": self.overdue,
        }


@dataclass(slots=True)
class WeeklyFigures:
    """Every figure of the report; ``to_dict`` is the JSON contract (times in ``tz``)."""

    project: str | None
    project_id: int | None
    start: datetime
    end: datetime
    tz: tzinfo
    total: int = 0
    done: int = 0
    cancelled: int = 0
    created: int = 0
    finished: int = 0
    finished_with_due: int = 0
    finished_on_time: int = 0
    delays: int = 0
    delayed_tasks: list[dict[str, Any]] = field(default_factory=list)
    slips: int = 0
    slipped_tasks: int = 0
    slip_days: float = 0.0
    overdue: int = 0
    overdue_tasks: list[dict[str, Any]] = field(default_factory=list)
    status_counts: dict[str, int] = field(default_factory=dict)
    members: list[MemberActivity] = field(default_factory=list)
    meetings_held: int = 0
    meetings: list[dict[str, Any]] = field(default_factory=list)
    milestones: list[dict[str, Any]] = field(default_factory=list)
    burndown: list[dict[str, Any]] = field(default_factory=list)
    gantt: list[dict[str, Any]] = field(default_factory=list)
    gantt_total: int = 0
    risks: RiskDigest | None = None
    budget: dict[str, Any] | None = None
    deadline: datetime | None = None

    @property
    def completion_rate(self) -> float | None:
        return _rate(self.done, self.total)

    @property
    def on_time_rate(self) -> float | None:
        return _rate(self.finished_on_time, self.finished_with_due)

    def to_dict(self) -> dict[str, Any]:
        iso = self._iso
        return {
            "kind": "weekly",
            "project": self.project,
            "project_id": self.project_id,
            "period": {"start": iso(self.start), "end": iso(self.end)},
            "deadline": iso(self.deadline) if self.deadline else None,
            "tasks": {
                "total": self.total,
                "done": self.done,
                "cancelled": self.cancelled,
                "completion_rate": self.completion_rate,
                "created": self.created,
                "finished": self.finished,
                "finished_with_due": self.finished_with_due,
                "finished_on_time": self.finished_on_time,
                "on_time_rate": self.on_time_rate,
                "delays": self.delays,
                "slips": self.slips,
                "slipped_tasks": self.slipped_tasks,
                "slip_days": round(self.slip_days, 2),
                "overdue": self.overdue,
                "status_counts": dict(self.status_counts),
            },
            "delayed_tasks": self.delayed_tasks,
            "overdue_tasks": self.overdue_tasks,
            "members": [m.to_dict() for m in self.members],
            "meetings_held": self.meetings_held,
            "meetings": self.meetings,
            "milestones": self.milestones,
            "burndown": self.burndown,
            "gantt": self.gantt,
            "gantt_total": self.gantt_total,
            "risks": None
            if self.risks is None
            else {
                "model": self.risks.model,
                "note": self.risks.note,
                "tasks": [dict(t) for t in self.risks.tasks],
            },
            "budget": self.budget,
        }

    def _iso(self, value: datetime) -> str:
        return value.astimezone(self.tz).isoformat()


def _rate(part: int, whole: int) -> float | None:
    return None if whole == 0 else round(part / whole, 4)


def _done_by(task: Task, moment: datetime) -> bool:
    """Finished at or before ``moment`` (a task finished later was still open then)."""
    return (
        task.status == TaskStatus.DONE
        and task.completed_at is not None
        and task.completed_at <= moment
    )


def _status_at(task: Task, moment: datetime) -> str:
    if _done_by(task, moment):
        return "done"
    if task.status == TaskStatus.DONE:
        return "in_progress"  # finished after ``moment``: still being worked on then
    return task.status.value


def _parse(value: str | None) -> datetime | None:
    if not value:
        return None
    try:
        parsed = datetime.fromisoformat(value)
    except ValueError:
        return None
    return parsed if parsed.tzinfo is not None else None


def meeting_occurrences(
    meeting: Meeting, since: datetime, until: datetime, tz: tzinfo
) -> list[datetime]:
    """Starts of ``meeting`` in (since, until]: one for a single meeting, each RRULE occurrence
    less the cancelled dates for a recurring one."""
    if meeting.status == MeetingStatus.CANCELLED:
        return []
    if not meeting.recurrence:
        return [meeting.start] if since < meeting.start <= until else []
    first = meeting.start.astimezone(tz)
    try:
        rule = rrulestr(meeting.recurrence, dtstart=first)
    except (ValueError, TypeError):
        return [meeting.start] if since < meeting.start <= until else []
    skipped = set(meeting.skipped_dates)
    out: list[datetime] = []
    for when in rule.between(since.astimezone(tz), until.astimezone(tz), inc=True):
        if when <= since or when.date().isoformat() in skipped:
            continue
        out.append(when)
    return out


def weekly_figures(
    records: ReportRecords,
    *,
    now: datetime,
    tz: tzinfo,
    days: int = 7,
    gantt_limit: int = 30,
    show_budget: bool = False,
) -> WeeklyFigures:
    """The figures for the ``days`` before ``now`` (the period is (now − days, now])."""
    start = now - timedelta(days=days)
    project = records.project
    fig = WeeklyFigures(
        project=project.name if project else None,
        project_id=project.id if project else None,
        start=start,
        end=now,
        tz=tz,
        deadline=project.deadline if project else None,
    )
    names = records.names

    def in_period(value: datetime | None) -> bool:
        return value is not None and start < value <= now

    def name_of(member_id: int | None) -> str | None:
        return names.get(member_id) if member_id is not None else None

    def brief(task: Task) -> dict[str, Any]:
        return {
            "id": task.id,
            "title": task.title,
            "assignee": name_of(task.assignee_id),
            "due": task.due.astimezone(tz).isoformat() if task.due else None,
            "status": _status_at(task, now),
            "priority": task.priority.value,
        }

    activity: dict[int, MemberActivity] = {
        mid: MemberActivity(member_id=mid, name=names.get(mid, f"#{mid}"))
        for mid in records.member_ids
    }

    def member(mid: int) -> MemberActivity:
        if mid not in activity:
            activity[mid] = MemberActivity(member_id=mid, name=names.get(mid, f"#{mid}"))
        return activity[mid]

    status_counts: Counter[str] = Counter(dict.fromkeys(STATUS_ORDER, 0))
    existing = [t for t in records.tasks if t.created_at is None or t.created_at <= now]
    overdue: list[Task] = []
    delayed: list[Task] = []
    for task in existing:
        if in_period(task.created_at):
            fig.created += 1
        if task.status == TaskStatus.CANCELLED:
            fig.cancelled += 1
            continue
        fig.total += 1
        status_counts[_status_at(task, now)] += 1
        done = _done_by(task, now)
        if done:
            fig.done += 1
        if done and in_period(task.completed_at):
            fig.finished += 1
            on_time = task.due is not None and task.completed_at <= task.due  # type: ignore[operator]
            if task.due is not None:
                fig.finished_with_due += 1
                fig.finished_on_time += int(on_time)
            if task.assignee_id is not None:
                m = member(task.assignee_id)
                m.tasks_done += 1
                if task.due is not None:
                    m.done_with_due += 1
                    m.done_on_time += int(on_time)
        if in_period(task.due):
            assert task.due is not None
            if not _done_by(task, task.due):
                delayed.append(task)
        if not done:
            if task.assignee_id is not None:
                member(task.assignee_id).open_tasks += 1
            if task.due is not None and task.due < now:
                overdue.append(task)
                if task.assignee_id is not None:
                    member(task.assignee_id).overdue += 1
    fig.status_counts = dict(status_counts)
    fig.delays = len(delayed)
    delayed.sort(key=lambda t: (t.due or now, t.id or 0))
    fig.delayed_tasks = [brief(t) for t in delayed]
    fig.overdue = len(overdue)
    overdue.sort(key=lambda t: (t.due or now, t.id or 0))
    fig.overdue_tasks = [brief(t) for t in overdue]

    task_ids = {t.id for t in existing if t.status != TaskStatus.CANCELLED}
    slipped: set[int] = set()
    for event in records.due_events:
        if event.kind != "due" or event.task_id not in task_ids or not in_period(event.at):
            continue
        old, new = _parse(event.old), _parse(event.new)
        if old is None or new is None or new <= old:
            continue
        fig.slips += 1
        fig.slip_days += (new - old).total_seconds() / 86400
        slipped.add(event.task_id)
    fig.slipped_tasks = len(slipped)

    for mid, count in records.messages_by_sender.items():
        if count:
            member(mid).messages += count
    fig.members = sorted(
        activity.values(), key=lambda m: (-m.tasks_done, -m.messages, -m.open_tasks, m.name)
    )

    held: list[tuple[datetime, Meeting]] = []
    for meeting in records.meetings:
        held.extend((when, meeting) for when in meeting_occurrences(meeting, start, now, tz))
    held.sort(key=lambda x: x[0])
    fig.meetings_held = len(held)
    fig.meetings = [
        {"id": m.id, "title": m.title, "start": when.astimezone(tz).isoformat()} for when, m in held
    ]

    fig.milestones = [
        {
            "id": ms.id,
            "title": ms.title,
            "due": ms.due.astimezone(tz).isoformat(),
            "done": ms.done,
            "days_left": _days_left(ms.due, now, tz),
        }
        for ms in sorted(records.milestones, key=lambda ms: ms.due)
        if ms.cancelled_at is None
    ]

    fig.burndown = _burndown(existing, start, now, tz, days)
    fig.gantt, fig.gantt_total = _gantt(existing, now, start, tz, gantt_limit, brief)
    fig.risks = records.risks
    if show_budget and project is not None and project.budget is not None:
        spent = project.spent or 0.0
        fig.budget = {
            "budget": project.budget,
            "spent": spent,
            "spent_rate": _rate_f(spent, project.budget),
        }
    return fig


def _rate_f(part: float, whole: float) -> float | None:
    return None if whole == 0 else round(part / whole, 4)


def _days_left(due: datetime, now: datetime, tz: tzinfo) -> int:
    return (due.astimezone(tz).date() - now.astimezone(tz).date()).days


def _burndown(
    tasks: Sequence[Task], start: datetime, now: datetime, tz: tzinfo, days: int
) -> list[dict[str, Any]]:
    """Open (not cancelled) tasks at the start of the period, then at each local midnight in
    it, and now."""
    points: list[dict[str, Any]] = []
    live = [t for t in tasks if t.status != TaskStatus.CANCELLED]
    first_day: date = start.astimezone(tz).date()
    moments = [start]
    for i in range(1, days + 1):
        day = first_day + timedelta(days=i)
        midnight = datetime(day.year, day.month, day.day, tzinfo=tz)
        if start < midnight < now:
            moments.append(midnight)
    moments.append(now)
    for moment in moments:
        remaining = sum(
            1
            for t in live
            if (t.created_at is None or t.created_at <= moment) and not _done_by(t, moment)
        )
        done = sum(1 for t in live if _done_by(t, moment))
        points.append(
            {"at": moment.astimezone(tz).isoformat(), "remaining": remaining, "done": done}
        )
    return points


def _gantt(
    tasks: Sequence[Task],
    now: datetime,
    start: datetime,
    tz: tzinfo,
    limit: int,
    brief: Any,
) -> tuple[list[dict[str, Any]], int]:
    """Tasks due from the start of the period on that are open now or were finished in the
    period, soonest due first, at most ``limit`` of them (the total is returned too). Tasks
    overdue from before the period are in ``overdue_tasks``, not here."""
    wanted = [
        t
        for t in tasks
        if t.status != TaskStatus.CANCELLED
        and t.due is not None
        and t.due > start
        and (not _done_by(t, now) or (t.completed_at is not None and t.completed_at > start))
    ]
    wanted.sort(key=lambda t: (t.due, t.id or 0))
    out: list[dict[str, Any]] = []
    for t in wanted[:limit]:
        began = t.started_at or t.created_at or now
        row = brief(t)
        row["start"] = began.astimezone(tz).isoformat()
        finished = t.completed_at if _done_by(t, now) else None
        row["finished"] = finished.astimezone(tz).isoformat() if finished else None
        row["overdue"] = finished is None and t.due is not None and t.due < now
        out.append(row)
    return out, len(wanted)
