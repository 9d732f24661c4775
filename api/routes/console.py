"""The web console: one page (plain HTML, a small script, vendored ECharts) over the REST API,
and the two read-only views it needs that the record routes do not offer: the kanban board
(tasks by column, overdue flagged by the server's clock) and the Gantt chart (a project's tasks
and milestones as time spans)."""

from __future__ import annotations

from datetime import datetime, timedelta
from pathlib import Path
from typing import Annotated, Any

from fastapi import APIRouter, Query
from fastapi.responses import FileResponse

from api.deps import QunmiDep
from api.schemas import IdFilter
from assistant.domain import MeetingStatus, Member, Task, TaskStatus
from assistant.errors import InvalidInput, NotFound
from assistant.services.scheduler.reminders import meeting_occurrences
from tools.records import (
    display_names,
    iso,
    meeting_record,
    milestone_record,
    project_record,
    task_record,
)
from tools.resolve import resolve_member_name

__all__ = ["BOARD_COLUMNS", "STATIC_DIR", "router", "views"]

STATIC_DIR = Path(__file__).resolve().parent.parent / "static"

BOARD_COLUMNS = ("todo", "in_progress", "blocked", "done")
"""The kanban columns, in order: 待办 / 进行中 / 受阻 / 已完成 (cancelled tasks are left out)."""

_PAGE = 500
_DUE_SOON = timedelta(hours=24)
_LONGEST_CALENDAR = timedelta(days=62)

router = APIRouter(tags=["console"], include_in_schema=False)
views = APIRouter(tags=["console"])

Now = Annotated[datetime | None, Query(description="评估时刻，ISO 8601 带时区；默认现在")]
Bound = Annotated[datetime, Query(description="ISO 8601 带时区")]


@router.get("/")
def console_page() -> FileResponse:
    """Pick who you are, type into a group chat, watch cards, tasks and meetings update."""
    return FileResponse(STATIC_DIR / "index.html", media_type="text/html; charset=utf-8")


def _now(q: QunmiDep, now: datetime | None) -> datetime:
    if now is None:
        return q.clock.now()
    if now.tzinfo is None:
        raise InvalidInput("now 需要带时区，例如 2026-11-25T10:00:00+08:00")
    return now


def _all_tasks(uow: Any, filters: dict[str, Any]) -> list[Task]:
    out: list[Task] = []
    while True:
        page = uow.tasks.list(filters=filters, limit=_PAGE, offset=len(out), order="id")
        out.extend(page.items)
        if not page.items or len(out) >= page.total:
            return out


def _flags(task: Task, now: datetime) -> dict[str, bool]:
    open_ = task.status.is_open
    overdue = open_ and task.due is not None and task.due < now
    due_soon = open_ and task.due is not None and now <= task.due < now + _DUE_SOON
    return {"overdue": overdue, "due_soon": due_soon}


@views.get("/board")
def board(
    q: QunmiDep,
    project_id: IdFilter = None,
    assignee: Annotated[str | None, Query(max_length=200, description="负责人名字或别名")] = None,
    now: Now = None,
) -> dict[str, Any]:
    """Tasks in the kanban columns 待办 / 进行中 / 受阻 / 已完成, each flagged ``overdue`` (open
    and past due) or ``due_soon`` (due within 24 hours). Moving a card is ``update_task``."""
    at = _now(q, now)
    with q.uow_factory() as uow:
        everyone = uow.members.all()
        filters: dict[str, Any] = {"project_id": project_id}
        if assignee:
            filters["assignee_id"] = resolve_member_name(
                assignee, actor=Member(display_name=""), members=everyone
            ).id
        tasks = _all_tasks(uow, filters)
    lookup = display_names(everyone)
    tz = q.settings.tz
    columns: dict[str, list[dict[str, Any]]] = {c: [] for c in BOARD_COLUMNS}
    for task in tasks:
        if task.status == TaskStatus.CANCELLED:
            continue
        columns[task.status.value].append({**task_record(task, lookup, tz), **_flags(task, at)})
    return {
        "now": iso(at, tz),
        "columns": [{"status": c, "tasks": columns[c]} for c in BOARD_COLUMNS],
        "overdue": sum(t["overdue"] for c in columns.values() for t in c),
    }


@views.get("/gantt")
def gantt(q: QunmiDep, project_id: IdFilter = None, now: Now = None) -> dict[str, Any]:
    """A project's tasks as spans (started or created → due, or completed when done) and its
    milestones as dated points; without ``project_id``, every task and milestone."""
    at = _now(q, now)
    tz = q.settings.tz
    with q.uow_factory() as uow:
        lookup = display_names(uow.members.all())
        project = None
        if project_id is not None:
            found = uow.projects.get(project_id)
            if found is None:
                raise NotFound(f"项目 {project_id} 不存在")
            project = project_record(found, lookup, tz, show_budget=False)
        tasks = _all_tasks(uow, {"project_id": project_id})
        milestones = uow.milestones.list(
            filters={"project_id": project_id}, limit=_PAGE, order="due"
        ).items
    spans = []
    for task in tasks:
        if task.status == TaskStatus.CANCELLED:
            continue
        start = task.started_at or task.created_at or at
        end = task.completed_at if task.status == TaskStatus.DONE else task.due
        end = end or start + timedelta(days=1)
        if end < start:
            start, end = end, start
        spans.append(
            {
                **task_record(task, lookup, tz),
                **_flags(task, at),
                "start": iso(start, tz),
                "end": iso(end, tz),
            }
        )
    points = [{**milestone_record(m, tz), "overdue": not m.done and m.due < at} for m in milestones]
    return {"now": iso(at, tz), "project": project, "tasks": spans, "milestones": points}


@views.get("/calendar")
def calendar(
    q: QunmiDep, since: Bound, until: Bound, project_id: IdFilter = None
) -> dict[str, Any]:
    """Scheduled meetings starting in [since, until) (at most 62 days), a recurring meeting once
    per occurrence (its skipped dates left out), earliest first. Cancelled meetings are not
    shown."""
    if since.tzinfo is None or until.tzinfo is None:
        raise InvalidInput("since 和 until 需要带时区，例如 2026-11-23T00:00:00+08:00")
    if not since < until <= since + _LONGEST_CALENDAR:
        raise InvalidInput("until 要晚于 since，且最多相隔 62 天")
    tz = q.settings.tz
    scheduled = MeetingStatus.SCHEDULED
    with q.uow_factory() as uow:
        single = uow.meetings.list(
            filters={"status": scheduled, "start_after": since, "start_before": until},
            limit=_PAGE,
            order="start",
        ).items
        series = uow.meetings.list(
            filters={"status": scheduled, "recurring": True}, limit=_PAGE, order="start"
        ).items
        lookup = display_names(uow.members.all())
    items: list[dict[str, Any]] = []
    seen: set[int] = set()
    for meeting in [*series, *single]:
        if meeting.id is None or meeting.id in seen:
            continue  # a series that also starts in the range is expanded once
        seen.add(meeting.id)
        if project_id is not None and meeting.project_id != project_id:
            continue
        length = meeting.end - meeting.start if meeting.end else None
        for start in meeting_occurrences(meeting, tz, since, until):
            record = meeting_record(meeting, lookup, tz)
            record["start"] = iso(start, tz)
            record["end"] = iso(start + length, tz) if length is not None else None
            items.append(record)
    items.sort(key=lambda m: (m["start"], m["id"]))
    return {"since": iso(since, tz), "until": iso(until, tz), "items": items}
