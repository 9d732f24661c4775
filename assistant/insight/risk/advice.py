"""Recommendations that follow from a task's risk factors.

Each suggestion is an offer: a sentence, a chat command the person can send, and the tool calls
a button would make *as the person who presses it*. Nothing here is ever applied by Qunmi on its
own.

- reassign: when the assignee is overloaded or often late, to the least-loaded member who
  finished similar tasks on time (named), else the least-loaded reliable member;
- move the due date: when time is short, the date has moved before or similar tasks slipped,
  to a date drawn from how long similar tasks really took;
- split: a long task behind schedule, into a first deliverable due earlier and the rest;
- a short sync: a stale, blocked or much-discussed task, 15 minutes with the assignee.
"""

from __future__ import annotations

import math
import statistics
from collections.abc import Sequence
from dataclasses import dataclass, field
from datetime import datetime, time, timedelta, tzinfo
from typing import Any

from assistant.insight.risk.explain import Reason
from assistant.insight.risk.observation import DAY, Neighbour, TaskObservation

__all__ = ["Candidate", "Suggestion", "TaskRef", "suggest"]

_WEEKDAYS = "一二三四五六日"


@dataclass(frozen=True, slots=True)
class TaskRef:
    id: int
    title: str
    assignee: str | None
    assignee_id: int | None
    due: datetime | None


@dataclass(frozen=True, slots=True)
class Candidate:
    """A member who could take the task over."""

    member_id: int
    name: str
    open_tasks: int
    finished: int
    late: int

    @property
    def on_time_rate(self) -> float | None:
        return (self.finished - self.late) / self.finished if self.finished else None


@dataclass(frozen=True, slots=True)
class Suggestion:
    action: str  # reassign | move_due | split | sync
    text: str
    command: str
    calls: tuple[dict[str, Any], ...] = field(default_factory=tuple)

    def to_dict(self) -> dict[str, Any]:
        return {
            "action": self.action,
            "text": self.text,
            "command": self.command,
            "calls": [dict(c) for c in self.calls],
        }


def _day(value: datetime, tz: tzinfo) -> str:
    local = value.astimezone(tz)
    return f"{local.month}月{local.day}日(周{_WEEKDAYS[local.weekday()]})"


def _reassign(
    task: TaskRef, neighbours: Sequence[Neighbour], candidates: Sequence[Candidate]
) -> Suggestion | None:
    others = {c.member_id: c for c in candidates if c.member_id != task.assignee_id}
    if not others:
        return None
    on_time: dict[int, int] = {}
    for n in neighbours:
        if not n.late and n.assignee_id in others:
            on_time[n.assignee_id] = on_time.get(n.assignee_id, 0) + 1
    current = next((c for c in candidates if c.member_id == task.assignee_id), None)
    pool: list[Candidate] = [others[i] for i in on_time]
    why = ""
    if pool:
        best = min(pool, key=lambda c: (c.open_tasks, -on_time[c.member_id], c.name))
        why = f"相似任务里有{on_time[best.member_id]}个是他/她按时完成的"
    else:
        reliable = [c for c in others.values() if c.finished >= 3 and (c.on_time_rate or 0) >= 0.7]
        if not reliable:
            return None
        best = min(reliable, key=lambda c: (c.open_tasks, -(c.on_time_rate or 0), c.name))
        why = f"以往{best.finished}个任务按时完成{best.finished - best.late}个"
    if current is not None and best.open_tasks >= current.open_tasks:
        return None
    return Suggestion(
        action="reassign",
        text=f"改派给{best.name}：手上{best.open_tasks}个未完成任务，{why}",
        command=f"#{task.id} 改由{best.name}负责",
        calls=({"tool": "update_task", "args": {"task": task.id, "assignee": best.name}},),
    )


def _new_due(
    obs: TaskObservation,
    task: TaskRef,
    neighbours: Sequence[Neighbour],
    now: datetime,
    tz: tzinfo,
    workday_end_hour: int,
) -> tuple[datetime, str] | None:
    if task.due is None:
        return None
    durations = [n.duration_days for n in neighbours if n.duration_days is not None]
    slips = [n.slip_days for n in neighbours if n.late]
    basis = ""
    target: datetime | None = None
    if len(durations) >= 2:
        typical = statistics.median(durations)
        by_duration = obs.opened_at + timedelta(days=typical)
        if by_duration > task.due:
            target = by_duration
            basis = f"相似的{len(durations)}个任务实际用时中位数约{math.ceil(typical)}天"
    if target is None and slips:
        typical_slip = statistics.median(slips)
        target = task.due + timedelta(days=typical_slip)
        basis = f"相似任务延期的中位数约{math.ceil(typical_slip)}天"
    if target is None:
        span = obs.planned_span_days or 2.0
        target = max(task.due, now) + timedelta(days=max(1.0, 0.3 * span))
        basis = "按计划工期的三成留出余量"
    earliest = now + timedelta(days=1)
    target = max(target, earliest)
    local = target.astimezone(tz)
    at_end = datetime.combine(local.date(), time(workday_end_hour), tzinfo=local.tzinfo)
    if at_end < local:
        at_end += timedelta(days=1)
    while at_end.weekday() >= 5:  # a proposed deadline falls on a workday
        at_end += timedelta(days=1)
    if task.due is not None and (at_end - task.due).total_seconds() < DAY / 2:
        return None
    return at_end, basis


def suggest(
    obs: TaskObservation,
    reasons: Sequence[Reason],
    *,
    task: TaskRef,
    neighbours: Sequence[Neighbour],
    candidates: Sequence[Candidate],
    now: datetime,
    tz: tzinfo,
    workday_end_hour: int = 18,
    limit: int = 3,
) -> list[Suggestion]:
    """What could be done about ``task``, from the factors that drive its risk."""
    factors = [r.factor for r in reasons]
    out: list[Suggestion] = []
    for factor in factors:
        if factor in ("load", "record", "reassigned") and not any(
            s.action == "reassign" for s in out
        ):
            found = _reassign(task, neighbours, candidates)
            if found is not None:
                out.append(found)
        elif factor in ("time", "moved", "similar", "progress", "project") and not any(
            s.action in ("move_due", "split") for s in out
        ):
            span = obs.planned_span_days or 0
            behind = obs.progress is not None and factor == "progress"
            if behind and span >= 4 and (obs.days_left or 0) > 1:
                out.append(_split(task, obs, now, tz, workday_end_hour))
                continue
            moved = _new_due(obs, task, neighbours, now, tz, workday_end_hour)
            if moved is not None:
                when, basis = moved
                out.append(
                    Suggestion(
                        action="move_due",
                        text=f"把截止时间调整到{_day(when, tz)} {when.astimezone(tz):%H:%M}（{basis}）",
                        command=f"#{task.id} 截止时间改到{_day(when, tz)}",
                        calls=(
                            {
                                "tool": "update_task",
                                "args": {"task": task.id, "due": when.isoformat()},
                            },
                        ),
                    )
                )
        elif factor in ("stale", "blocked", "discussed") and not any(
            s.action == "sync" for s in out
        ):
            out.append(_sync(task, now, tz))
        if len(out) >= limit:
            break
    return out[:limit]


def _split(
    task: TaskRef, obs: TaskObservation, now: datetime, tz: tzinfo, workday_end_hour: int
) -> Suggestion:
    assert task.due is not None
    middle = now + (task.due - now) / 2
    local = middle.astimezone(tz)
    first_due = datetime.combine(local.date(), time(workday_end_hour), tzinfo=local.tzinfo)
    first = f"{task.title}（第一部分）"
    calls: list[dict[str, Any]] = [
        {
            "tool": "create_task",
            "args": {
                "title": first,
                "assignee": task.assignee,
                "due": first_due.isoformat(),
            },
        }
    ]
    return Suggestion(
        action="split",
        text=f"拆分任务：先在{_day(first_due, tz)}交付可用的第一部分，其余部分按原截止时间",
        command=f"新建任务「{first}」{_day(first_due, tz)}前完成"
        + (f"，负责人{task.assignee}" if task.assignee else ""),
        calls=tuple(
            {**c, "args": {k: v for k, v in c["args"].items() if v is not None}} for c in calls
        ),
    )


def _sync(task: TaskRef, now: datetime, tz: tzinfo) -> Suggestion:
    local = now.astimezone(tz)
    start_day = local.date() + timedelta(days=1)
    while start_day.weekday() >= 5:
        start_day += timedelta(days=1)
    start = datetime.combine(start_day, time(10), tzinfo=local.tzinfo)
    who = task.assignee or "负责人"
    attendees = [task.assignee] if task.assignee else None
    args: dict[str, Any] = {
        "title": f"同步「{task.title}」进展",
        "start": start.isoformat(),
        "duration_minutes": 15,
    }
    if attendees:
        args["attendees"] = attendees
    return Suggestion(
        action="sync",
        text=f"和{who}约一个15分钟的短会，对一下卡点和剩下的工作",
        command=f"{_day(start, tz)}上午10点和{who}开15分钟的会同步「{task.title}」进展",
        calls=({"tool": "create_meeting", "args": args},),
    )
