"""Reversing an applied call from the inverse its handler stored in the audit log."""

from __future__ import annotations

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
from assistant.errors import InvalidInput, NotFound
from assistant.unit_of_work import Repository, UnitOfWork

__all__ = ["apply_undo"]


def apply_undo(uow: UnitOfWork, undo: dict[str, Any], actor: Member, now: datetime) -> str:
    """Apply the inverse ``undo`` and say in Chinese what was reversed."""
    op, kind, record_id = undo.get("op"), undo.get("kind"), int(undo.get("id") or 0)
    removable: dict[str, tuple[Repository[Any], str]] = {
        "task": (uow.tasks, "任务"),
        "meeting": (uow.meetings, "会议"),
        "milestone": (uow.milestones, "里程碑"),
    }
    if op == "delete" and kind in removable:
        repo, label = removable[kind]
        created = repo.get(record_id)
        if created is None:
            raise NotFound(f"要撤销的{label}已经不存在")
        repo.delete(record_id)
        return f"删除了{label} #{record_id}「{created.title}」"
    if op == "delete" and kind == "project":
        project = uow.projects.get(record_id)
        if project is None:
            raise NotFound("要撤销的项目已经不存在")
        if undo.get("unlink_chat"):
            chat = uow.chats.get(undo["unlink_chat"])
            if chat is not None:
                chat.project_id = None
                uow.chats.update(chat)
        uow.projects.delete(record_id)
        return f"删除了项目「{project.name}」"
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
        uow.projects.update(project)
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
            uow.members.delete(record_id)
            return f"移除了新加的成员 {member.display_name}"
        member.role = Role(undo["old_role"])
        uow.members.update(member)
        return f"恢复了成员 {member.display_name} 之前的设置"
    raise InvalidInput("这个操作不能撤销")
