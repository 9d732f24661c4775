"""Records as plain JSON-ready dicts, for results, reply cards, the API and the LLM."""

from __future__ import annotations

from collections.abc import Iterable, Mapping
from datetime import datetime, tzinfo
from typing import Any

from assistant.domain import Chat, Meeting, Member, Milestone, Project, Task

__all__ = [
    "chat_record",
    "display_names",
    "iso",
    "meeting_record",
    "member_record",
    "milestone_record",
    "project_record",
    "task_record",
]


def iso(value: datetime | None, tz: tzinfo) -> str | None:
    return None if value is None else value.astimezone(tz).isoformat()


def display_names(members: Iterable[Member]) -> dict[int, str]:
    """Member id → display name, the lookup every record view takes."""
    return {m.id: m.display_name for m in members if m.id is not None}


def member_record(member: Member) -> dict[str, Any]:
    return {
        "id": member.id,
        "display_name": member.display_name,
        "aliases": list(member.aliases),
        "wecom_userid": member.wecom_userid,
        "role": member.role.value,
    }


def project_record(
    project: Project, names: Mapping[int, str], tz: tzinfo, *, show_budget: bool = False
) -> dict[str, Any]:
    """A project as JSON; budget and spent only with ``show_budget`` (for its PM and admins:
    ``tools.permissions.sees_budget``), so that no surface shows them by default."""
    out: dict[str, Any] = {
        "id": project.id,
        "name": project.name,
        "owner": names.get(project.owner_id) if project.owner_id else None,
        "owner_id": project.owner_id,
        "deadline": iso(project.deadline, tz),
        "status": project.status.value,
        "members": [names.get(i, str(i)) for i in project.member_ids],
    }
    if show_budget:
        out["budget"] = project.budget
        out["spent"] = project.spent
    return out


def chat_record(chat: Chat, names: Mapping[int, str]) -> dict[str, Any]:
    return {
        "id": chat.id,
        "name": chat.name,
        "channel": chat.channel,
        "external_id": chat.external_id,
        "project_id": chat.project_id,
        "members": [names.get(i, str(i)) for i in chat.member_ids],
    }


def task_record(
    task: Task, names: Mapping[int, str], tz: tzinfo, *, show_cost: bool = False
) -> dict[str, Any]:
    out = {
        "id": task.id,
        "title": task.title,
        "description": task.description,
        "assignee": names.get(task.assignee_id) if task.assignee_id else None,
        "assignee_id": task.assignee_id,
        "creator": names.get(task.creator_id) if task.creator_id else None,
        "project_id": task.project_id,
        "due": iso(task.due, tz),
        "priority": task.priority.value,
        "status": task.status.value,
        "estimate_hours": task.estimate_hours,
        "created_at": iso(task.created_at, tz),
        "started_at": iso(task.started_at, tz),
        "completed_at": iso(task.completed_at, tz),
        "source_message_id": task.source_message_id,
    }
    if show_cost:
        out["cost"] = task.cost
    return out


def milestone_record(milestone: Milestone, tz: tzinfo) -> dict[str, Any]:
    return {
        "id": milestone.id,
        "title": milestone.title,
        "due": iso(milestone.due, tz),
        "project_id": milestone.project_id,
        "done": milestone.done,
    }


def meeting_record(meeting: Meeting, names: Mapping[int, str], tz: tzinfo) -> dict[str, Any]:
    return {
        "id": meeting.id,
        "title": meeting.title,
        "start": iso(meeting.start, tz),
        "end": iso(meeting.end, tz),
        "location": meeting.location,
        "attendees": [names.get(i, str(i)) for i in meeting.attendee_ids],
        "agenda": list(meeting.agenda),
        "remind_before_minutes": list(meeting.remind_before_minutes),
        "status": meeting.status.value,
        "organizer": names.get(meeting.organizer_id) if meeting.organizer_id else None,
        "project_id": meeting.project_id,
        "chat_id": meeting.chat_id,
        "source_message_id": meeting.source_message_id,
        "recurrence": meeting.recurrence,
        "skipped_dates": list(meeting.skipped_dates),
    }


BUDGET_FIELDS = frozenset({"budget", "spent", "cost", "task_costs", "remaining"})
"""Keys that carry money figures: for the project's PM and admins only."""


def without_budget(data: Any) -> Any:
    """``data`` (a stored result or arguments) with every budget field left out, at any depth:
    for surfaces that cannot tell who is looking (the audit log over REST and the CLI)."""
    if isinstance(data, dict):
        return {k: without_budget(v) for k, v in data.items() if k not in BUDGET_FIELDS}
    if isinstance(data, list):
        return [without_budget(v) for v in data]
    return data
