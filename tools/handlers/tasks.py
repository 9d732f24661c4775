"""Tasks: creating them and changing their status, due date, assignee or progress."""

from __future__ import annotations

import re
from datetime import timedelta
from difflib import SequenceMatcher

from assistant.domain import Priority, Task, TaskEvent, TaskStatus
from assistant.errors import InvalidInput, LikelyDuplicate
from tools.permissions import Target
from tools.records import task_record
from tools.resolve import normalize_words
from tools.scope import Applied, Scope
from tools.vocabulary import CreateTask, UpdateTask

__all__ = ["create_task", "update_task"]


_DIGITS = re.compile(r"\d+")
_FILLER = re.compile(r"[的了个一下把]")
_SAME_TITLE = 0.85


def _title_key(title: str) -> str:
    return _FILLER.sub("", normalize_words(title))


def likely_duplicate(scope: Scope, title: str, assignee_id: int | None) -> Task | None:
    """An open task for the same person with nearly the same title, created recently — the
    same task sent twice. Titles that differ in a number (第1版 / 第2版) are different tasks."""
    since = scope.now - scope.config.duplicate_window
    wanted = _title_key(title)
    numbers = _DIGITS.findall(wanted)
    for task_id, their_title in scope.uow.tasks.recent_open(assignee_id=assignee_id, since=since):
        theirs = _title_key(their_title)
        if _DIGITS.findall(theirs) != numbers:
            continue
        if theirs == wanted or SequenceMatcher(None, wanted, theirs).ratio() >= _SAME_TITLE:
            return scope.uow.tasks.get(task_id)
    return None


def create_task(scope: Scope, args: CreateTask) -> Applied:
    uow = scope.uow
    assignee = scope.member(args.assignee) if args.assignee else None
    project = scope.project(args.project)
    scope.check(
        "create_task",
        Target(project=project, changes=frozenset({"cost"} if args.cost is not None else ())),
    )
    existing = likely_duplicate(scope, args.title, assignee.id if assignee else None)
    if existing is not None:
        who = scope.names.get(existing.assignee_id or 0, "没人负责")
        when = existing.created_at.astimezone(scope.tz) if existing.created_at else scope.now
        raise LikelyDuplicate(
            f"已经有一个很像的任务 #{existing.id}「{existing.title}」（{who}，"
            f"{when:%m月%d日 %H:%M} 建的，还没完成），是同一件事吗？"
            "如果确实要再建一个，请在标题里说明区别。",
            details={"existing": task_record(existing, scope.names, scope.tz)},
        )
    task = uow.tasks.add(
        Task(
            title=args.title,
            description=args.description,
            assignee_id=assignee.id if assignee else None,
            creator_id=scope.actor.id,
            project_id=project.id if project else None,
            due=args.due,
            priority=Priority(args.priority or "normal"),
            cost=args.cost,
            created_at=scope.now,
            source_message_id=scope.message_id,
        )
    )
    assert task.id is not None
    uow.tasks.add_event(
        TaskEvent(
            task_id=task.id,
            kind="created",
            at=scope.now,
            actor_id=scope.actor.id,
            new=task.status.value,
        )
    )
    return Applied(
        kind="task",
        record=task_record(task, scope.names, scope.tz, show_cost=task.cost is not None),
        undo={"op": "delete", "kind": "task", "id": task.id},
    )


def update_task(scope: Scope, args: UpdateTask) -> Applied:
    uow = scope.uow
    changes = {
        k
        for k in ("status", "due", "assignee", "progress_note", "priority", "cost", "title")
        if getattr(args, k) is not None
    }
    if args.shift_minutes is not None:
        changes.add("due")
    if not changes:
        raise InvalidInput("没有要修改的内容：请说明状态、截止时间、负责人、优先级、标题或进展。")
    task = scope.task(args.task)
    scope.check(
        "update_task", Target(task=task, changes=frozenset(changes), new_status=args.status)
    )
    new_due = args.due
    if args.shift_minutes is not None:
        if task.due is None:
            raise InvalidInput(
                f"任务 #{task.id}「{task.title}」还没有截止时间，没法顺延；请直接说新的截止时间。"
            )
        new_due = task.due + timedelta(minutes=args.shift_minutes)
    before = {
        "title": task.title,
        "priority": task.priority.value,
        "cost": task.cost,
        "status": task.status.value,
        "due": task.due.isoformat() if task.due else None,
        "assignee_id": task.assignee_id,
        "started_at": task.started_at.isoformat() if task.started_at else None,
        "completed_at": task.completed_at.isoformat() if task.completed_at else None,
    }
    assert task.id is not None
    events: list[TaskEvent] = []

    def change(
        kind: str, old: str | None = None, new: str | None = None, note: str | None = None
    ) -> None:
        assert task.id is not None
        events.append(
            TaskEvent(
                task_id=task.id,
                kind=kind,
                at=scope.now,
                actor_id=scope.actor.id,
                old=old,
                new=new,
                note=note,
            )
        )

    if args.status is not None and TaskStatus(args.status) != task.status:
        new_status = TaskStatus(args.status)
        change("status", task.status.value, new_status.value, args.progress_note)
        task.status = new_status
        if new_status == TaskStatus.IN_PROGRESS and task.started_at is None:
            task.started_at = scope.now
        if new_status == TaskStatus.DONE:
            task.completed_at = scope.now
            task.started_at = task.started_at or scope.now
        elif task.completed_at is not None:
            task.completed_at = None
    if new_due is not None and new_due != task.due:
        change("due", str(before["due"]) if before["due"] else None, new_due.isoformat())
        task.due = new_due
    if args.priority is not None and Priority(args.priority) != task.priority:
        change("priority", task.priority.value, args.priority)
        task.priority = Priority(args.priority)
    if args.cost is not None:
        task.cost = args.cost
    if args.assignee is not None:
        assignee = scope.member(args.assignee)
        if assignee.id != task.assignee_id:
            change(
                "assignee", str(task.assignee_id) if task.assignee_id else None, str(assignee.id)
            )
            task.assignee_id = assignee.id
    if args.title is not None and args.title != task.title:
        # A corrected name ("不对，标题是X"): told in the history as a note.
        change("note", note=f"标题由「{task.title}」改为「{args.title}」")
        task.title = args.title
    if args.progress_note is not None and not any(e.kind == "status" for e in events):
        change("note", note=args.progress_note)
    task = uow.tasks.update(task)
    for event in events:
        uow.tasks.add_event(event)
    record = task_record(task, scope.names, scope.tz, show_cost=args.cost is not None)
    record["changes"] = sorted(changes)
    if args.progress_note:
        record["progress_note"] = args.progress_note
    return Applied(
        kind="task",
        record=record,
        undo={"op": "restore", "kind": "task", "id": task.id, "fields": before},
    )
