"""Reversing an applied call from the inverse its handler stored in the audit log.

Undo never deletes a row: a created task or meeting is cancelled, a created milestone is marked
cancelled, a created project archived (and renamed, so that its name can be used again), a
member added just now is taken out of the project and the chat again. Ids are therefore never
handed out twice.

Every inverse carries the fingerprint of the record as the call left it (``state``, written by
the executor). An undo applies only while the record is still in that state: once something
else changed it, undoing the older call would overwrite the newer change, so it is refused
with a reason (undo the later calls first, which restores the state the older one left).
"""

from __future__ import annotations

import hashlib
import json
from dataclasses import asdict
from datetime import datetime
from typing import Any

from assistant.domain import (
    MeetingStatus,
    Member,
    Priority,
    ProjectStatus,
    Role,
    TaskEvent,
    TaskStatus,
)
from assistant.errors import Conflict, InvalidInput, NotFound
from assistant.unit_of_work import Repository, UnitOfWork

__all__ = ["apply_undo", "fingerprint", "record_state"]

# The fields each kind of record is compared on: everything an undo could write back, plus
# ``created_at`` so that a different record under the same id never passes for this one.
_STATE_FIELDS: dict[str, tuple[str, ...]] = {
    "task": (
        "title",
        "status",
        "due",
        "assignee_id",
        "started_at",
        "completed_at",
        "priority",
        "cost",
        "created_at",
    ),
    "meeting": (
        "title",
        "start",
        "end",
        "location",
        "agenda",
        "attendee_ids",
        "remind_before_minutes",
        "status",
        "skipped_dates",
        "created_at",
    ),
    "project": ("name", "deadline", "budget", "spent", "owner_id", "status", "created_at"),
    "milestone": ("title", "due", "done", "cancelled_at", "created_at"),
    "chat": ("settings", "created_at"),
    "member": ("display_name", "role", "created_at"),
}
_LABELS = {
    "task": "任务",
    "meeting": "会议",
    "project": "项目",
    "milestone": "里程碑",
    "chat": "群",
    "member": "成员",
}


def _repo(uow: UnitOfWork, kind: str) -> Repository[Any] | None:
    repos: dict[str, Repository[Any]] = {
        "task": uow.tasks,
        "meeting": uow.meetings,
        "project": uow.projects,
        "milestone": uow.milestones,
        "chat": uow.chats,
        "member": uow.members,
    }
    return repos.get(kind)


def fingerprint(kind: str, record: Any) -> str:
    """A short digest of the fields of ``record`` that undo compares (see ``_STATE_FIELDS``)."""
    values = asdict(record)
    picked = {name: values.get(name) for name in _STATE_FIELDS.get(kind, ())}
    raw = json.dumps(picked, sort_keys=True, ensure_ascii=False, default=str)
    return hashlib.sha256(raw.encode()).hexdigest()[:16]


def _undo_kind(undo: dict[str, Any]) -> str | None:
    kind = undo.get("kind")
    return "member" if undo.get("op") == "member" else kind if isinstance(kind, str) else None


def record_state(uow: UnitOfWork, undo: dict[str, Any]) -> str | None:
    """The fingerprint of the record ``undo`` would change, as it is now (None: no record)."""
    kind = _undo_kind(undo)
    repo = _repo(uow, kind) if kind else None
    if repo is None or kind is None:
        return None
    record = repo.get(int(undo.get("id") or 0))
    return None if record is None else fingerprint(kind, record)


def _check_still_applies(uow: UnitOfWork, undo: dict[str, Any]) -> None:
    expected = undo.get("state")
    if expected is None:
        return  # written before fingerprints existed: nothing to compare with
    current = record_state(uow, undo)
    kind = _undo_kind(undo) or ""
    label = _LABELS.get(kind, "记录")
    if current is None:
        raise NotFound(f"要撤销的{label}已经不存在")
    if current != expected:
        raise Conflict(
            f"{label} #{undo.get('id')} 在这之后又被改过，撤销这一步会覆盖后来的修改；"
            "请先撤销后面的操作，或者直接修改。",
            details={"stale_undo": True, "kind": kind, "id": undo.get("id")},
        )


def apply_undo(uow: UnitOfWork, undo: dict[str, Any], actor: Member, now: datetime) -> str:
    """Apply the inverse ``undo`` and say in Chinese what was reversed; ``Conflict`` when the
    record changed since the call (the undo would overwrite that change)."""
    _check_still_applies(uow, undo)
    op, kind, record_id = undo.get("op"), undo.get("kind"), int(undo.get("id") or 0)
    if op == "delete" and kind == "task":
        task = uow.tasks.get(record_id)
        if task is None:
            raise NotFound("要撤销的任务已经不存在")
        old_status = task.status
        task.status = TaskStatus.CANCELLED
        uow.tasks.update(task)
        uow.tasks.add_event(
            TaskEvent(
                task_id=record_id,
                kind="undo",
                at=now,
                actor_id=actor.id,
                old=old_status.value,
                new=task.status.value,
                note="撤销创建",
            )
        )
        return f"撤销了任务 #{record_id}「{task.title}」（已取消）"
    if op == "delete" and kind == "meeting":
        meeting = uow.meetings.get(record_id)
        if meeting is None:
            raise NotFound("要撤销的会议已经不存在")
        meeting.status = MeetingStatus.CANCELLED
        uow.meetings.update(meeting)
        return f"撤销了会议 #{record_id}「{meeting.title}」（已取消）"
    if op == "delete" and kind == "milestone":
        milestone = uow.milestones.get(record_id)
        if milestone is None:
            raise NotFound("要撤销的里程碑已经不存在")
        milestone.cancelled_at = now
        uow.milestones.update(milestone)
        return f"撤销了里程碑 #{record_id}「{milestone.title}」"
    if op == "delete" and kind == "project":
        project = uow.projects.get(record_id)
        if project is None:
            raise NotFound("要撤销的项目已经不存在")
        if undo.get("unlink_chat"):
            chat = uow.chats.get(undo["unlink_chat"])
            if chat is not None and chat.project_id == record_id:
                chat.project_id = None
                uow.chats.update(chat)
        name = project.name
        # Archived under another name: the name is free for the project created next.
        project.name = f"{name}（已撤销 #{record_id}）"[:200]
        project.status = ProjectStatus.ARCHIVED
        uow.projects.update(project)
        return f"撤销了项目「{name}」（已归档）"
    if op == "restore" and kind == "task":
        task = uow.tasks.get(record_id)
        if task is None:
            raise NotFound("要撤销的任务已经不存在")
        fields = undo["fields"]
        old_status = task.status
        task.status = TaskStatus(fields["status"])
        task.due = datetime.fromisoformat(fields["due"]) if fields["due"] else None
        task.assignee_id = fields["assignee_id"]
        task.started_at = (
            datetime.fromisoformat(fields["started_at"]) if fields["started_at"] else None
        )
        task.completed_at = (
            datetime.fromisoformat(fields["completed_at"]) if fields["completed_at"] else None
        )
        if "priority" in fields:
            task.priority = Priority(fields["priority"])
            task.cost = fields.get("cost")
        if fields.get("title"):
            task.title = fields["title"]
        uow.tasks.update(task)
        uow.tasks.add_event(
            TaskEvent(
                task_id=record_id,
                kind="undo",
                at=now,
                actor_id=actor.id,
                old=old_status.value,
                new=task.status.value,
            )
        )
        return f"恢复了任务 #{record_id}「{task.title}」之前的状态"
    if op == "restore" and kind == "meeting":
        meeting = uow.meetings.get(record_id)
        if meeting is None:
            raise NotFound("要撤销的会议已经不存在")
        fields = undo["fields"]
        if "status" in fields:
            meeting.status = MeetingStatus(fields["status"])
        if "start" in fields:
            meeting.start = datetime.fromisoformat(fields["start"])
            meeting.end = datetime.fromisoformat(fields["end"]) if fields.get("end") else None
        for name in (
            "title",
            "location",
            "agenda",
            "attendee_ids",
            "remind_before_minutes",
            "skipped_dates",
        ):
            if name in fields:
                setattr(meeting, name, fields[name])
        uow.meetings.update(meeting)
        return f"恢复了会议 #{record_id}「{meeting.title}」"
    if op == "restore" and kind == "project":
        project = uow.projects.get(record_id)
        if project is None:
            raise NotFound("要撤销的项目已经不存在")
        fields = undo["fields"]
        project.deadline = (
            datetime.fromisoformat(fields["deadline"]) if fields["deadline"] else None
        )
        project.budget, project.spent = fields["budget"], fields["spent"]
        project.owner_id = fields["owner_id"]
        project.status = ProjectStatus(fields["status"])
        handed = fields.get("owner_role")  # a handover: the new owner's role before it
        if handed is not None and handed.get("role") is None:
            project.member_ids = [i for i in project.member_ids if i != handed["member_id"]]
        uow.projects.update(project)
        if handed is not None and handed.get("role") is not None and project.id is not None:
            uow.projects.set_role(project.id, int(handed["member_id"]), str(handed["role"]))
        return f"恢复了项目「{project.name}」之前的设置"
    if op == "restore" and kind == "chat":
        chat = uow.chats.get(record_id)
        if chat is None:
            raise NotFound("要撤销的群已经不存在")
        chat.settings = dict(undo["fields"]["settings"])
        uow.chats.update(chat)
        return f"恢复了群「{chat.name}」之前的提醒设置"
    if op == "member":
        member = uow.members.get(record_id)
        if member is None:
            raise NotFound("要撤销的成员已经不存在")
        project = uow.projects.get(undo["project_id"]) if undo.get("project_id") else None
        if project is not None and member.id in project.member_ids:
            project.member_ids.remove(member.id)
            uow.projects.update(project)
        chat = uow.chats.get(undo["chat_id"]) if undo.get("chat_id") else None
        if chat is not None and member.id in chat.member_ids:
            chat.member_ids.remove(member.id)
            uow.chats.update(chat)
        if undo.get("created"):
            # The member record stays (its id may be named in messages and the audit log).
            return f"把新加的成员 {member.display_name} 移出了项目和群"
        member.role = Role(undo["old_role"])
        uow.members.update(member)
        role_project, old_project_role = undo.get("role_project_id"), undo.get("old_project_role")
        if role_project and old_project_role and role_project != undo.get("project_id"):
            assert member.id is not None
            uow.projects.set_role(int(role_project), member.id, str(old_project_role))
        return f"恢复了成员 {member.display_name} 之前的设置"
    raise InvalidInput("这个操作不能撤销")
