"""Read-only questions about tasks, meetings and progress."""

from __future__ import annotations

from datetime import timedelta
from typing import Any

from assistant.domain import MeetingStatus, Member, Project, TaskStatus
from assistant.errors import InvalidInput, PermissionDenied
from tools.records import meeting_record, task_record
from tools.scope import Applied, Scope
from tools.vocabulary import Query

__all__ = ["DUE_SOON", "progress", "query"]


DUE_SOON = timedelta(hours=48)


def query(scope: Scope, args: Query) -> Applied:
    project = scope.project(args.project)
    member = scope.member(args.member) if args.member else None
    if args.since is not None and args.until is not None and args.until <= args.since:
        raise InvalidInput("查询时间段的结束必须晚于开始")
    if args.kind in ("my_tasks", "tasks", "overdue", "due_soon"):
        return _tasks(scope, args, project, member)
    if args.kind == "meetings":
        return _meetings(scope, args, project, member)
    if args.kind == "budget":
        return _budget(scope, project)
    if args.kind == "risk":
        raise InvalidInput("延期风险预测还没有在这个实例上启用")
    return progress(scope, project)


def _tasks(scope: Scope, args: Query, project: Project | None, member: Member | None) -> Applied:
    filters: dict[str, Any] = {"open": True}
    summary: dict[str, Any] = {}
    who = member or (scope.actor if args.kind == "my_tasks" else None)
    if who is not None:
        filters["assignee_id"] = who.id
        summary["member"] = who.display_name
    if project is not None and args.kind != "my_tasks":
        filters["project_id"] = project.id
        summary["project"] = project.name
    if args.status:
        filters["status_in"] = list(args.status)
        filters.pop("open")
        summary["status"] = list(args.status)
    if args.kind == "overdue":
        filters["due_before"] = scope.now
        summary["overdue"] = True
    elif args.kind == "due_soon":
        filters["due_after"] = scope.now
        filters["due_before"] = scope.now + DUE_SOON
        summary["due_soon_hours"] = int(DUE_SOON.total_seconds() // 3600)
    if args.since is not None:
        filters["due_after"] = max(args.since, filters.get("due_after", args.since))
    if args.until is not None:
        filters["due_before"] = min(args.until, filters.get("due_before", args.until))
    _period(summary, args, scope)
    tasks = scope.uow.tasks.list(filters=filters, limit=200, order="due").items
    tasks.sort(key=lambda t: (t.due is None, t.due or scope.now, t.id or 0))
    summary["count"] = len(tasks)
    summary["kind"] = args.kind
    return Applied(
        kind="tasks",
        records=[task_record(t, scope.names, scope.tz) for t in tasks],
        summary=summary,
    )


def _meetings(scope: Scope, args: Query, project: Project | None, member: Member | None) -> Applied:
    since = args.since or scope.now - timedelta(hours=1)
    until = args.until or (
        since + scope.config.upcoming_window
        if args.since
        else scope.now + scope.config.upcoming_window
    )
    filters: dict[str, Any] = {
        "status": MeetingStatus.SCHEDULED,
        "start_after": since,
        "start_before": until,
    }
    if member is not None:
        filters["attendee_id"] = member.id
    meetings = scope.uow.meetings.list(filters=filters, limit=200, order="start").items
    seen = {m.id for m in meetings}
    recurring = scope.uow.meetings.list(
        filters={"status": MeetingStatus.SCHEDULED, "recurring": True}, limit=200
    ).items
    meetings.extend(
        m
        for m in recurring
        if m.id not in seen and (member is None or member.id in m.attendee_ids) and m.start < until
    )
    if project is not None:
        meetings = [m for m in meetings if m.project_id in (project.id, None)]
    summary: dict[str, Any] = {
        "count": len(meetings),
        "days": max(1, round((until - since).total_seconds() / 86400)),
    }
    _period(summary, args, scope)
    return Applied(
        kind="meetings",
        records=[meeting_record(m, scope.names, scope.tz) for m in meetings],
        summary=summary,
    )


def _budget(scope: Scope, project: Project | None) -> Applied:
    if project is None:
        raise InvalidInput("请说明是哪个项目的预算，或在项目群里问。")
    if not scope.sees_budget(project):
        raise PermissionDenied("只有项目经理和管理员可以查看预算和费用")
    tasks = scope.uow.tasks.list(filters={"project_id": project.id}, limit=500).items
    costs = [t.cost for t in tasks if t.cost is not None]
    summary: dict[str, Any] = {
        "project": project.name,
        "budget": project.budget,
        "spent": project.spent,
        "task_costs": round(sum(costs), 2) if costs else None,
    }
    if project.budget is not None and project.spent is not None:
        summary["remaining"] = round(project.budget - project.spent, 2)
    return Applied(
        kind="budget",
        summary=summary,
        records=[
            task_record(t, scope.names, scope.tz, show_cost=True)
            for t in tasks
            if t.cost is not None
        ][:20],
    )


def _period(summary: dict[str, Any], args: Query, scope: Scope) -> None:
    if args.since is not None:
        summary["since"] = args.since.astimezone(scope.tz).isoformat()
    if args.until is not None:
        summary["until"] = args.until.astimezone(scope.tz).isoformat()


def progress(scope: Scope, project: Project | None) -> Applied:
    filters: dict[str, Any] = {}
    if project is not None:
        filters["project_id"] = project.id
    tasks = scope.uow.tasks.list(filters=filters, limit=500).items
    counts = {s.value: 0 for s in TaskStatus}
    for t in tasks:
        counts[t.status.value] += 1
    active = len(tasks) - counts["cancelled"]
    overdue = [t for t in tasks if t.status.is_open and t.due is not None and t.due < scope.now]
    summary: dict[str, Any] = {
        "project": project.name if project else None,
        "total": active,
        "counts": counts,
        "done_ratio": round(counts["done"] / active, 3) if active else 0.0,
        "overdue": len(overdue),
    }
    if project is not None and project.deadline is not None:
        summary["deadline"] = project.deadline.astimezone(scope.tz).isoformat()
        summary["days_left"] = (
            project.deadline.astimezone(scope.tz).date() - scope.now.astimezone(scope.tz).date()
        ).days
    blocked = [t for t in tasks if t.status == TaskStatus.BLOCKED]
    return Applied(
        kind="progress",
        summary=summary,
        records=[task_record(t, scope.names, scope.tz) for t in (overdue + blocked)[:20]],
    )
