"""What one tool call works with: the unit of work, the acting member, the chat, the clock, and
the name and reference resolution every handler shares.

A handler is a plain function ``(scope, args) -> Applied``; the executor builds the scope inside
one unit of work, calls the handler and writes the audit entry. Handlers that need a service
beyond the task store (the team memory, summaries, reports…) are built by the composition root
around that service and registered with the executor.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass, field, replace
from datetime import datetime, timedelta, tzinfo
from typing import Any

from assistant.domain import Meeting, MeetingStatus, Member, Project, Task
from assistant.errors import NotFound, PermissionDenied
from assistant.unit_of_work import UnitOfWork
from tools.permissions import PermissionPolicy, Target
from tools.records import display_names
from tools.resolve import parse_ref_id, pick_by_words, resolve_member_name

__all__ = ["Applied", "ExecutorConfig", "Handler", "Scope"]


@dataclass(frozen=True, slots=True)
class ExecutorConfig:
    tz: tzinfo
    default_meeting_minutes: int = 60
    default_remind_before_minutes: int = 15
    meeting_past_tolerance: timedelta = timedelta(minutes=10)
    upcoming_window: timedelta = timedelta(days=7)
    # A new task like an open one for the same person created this recently is asked about.
    duplicate_window: timedelta = timedelta(days=3)


@dataclass(slots=True)
class Applied:
    """What a handler did: the kind of result, the record(s) to show, and how to undo it
    (``None`` for reads and for changes that cannot be undone)."""

    kind: str
    record: dict[str, Any] | None = None
    undo: dict[str, Any] | None = None
    records: list[dict[str, Any]] | None = None
    summary: dict[str, Any] | None = None


@dataclass(slots=True)
class Scope:
    """One call's world, valid inside its unit of work."""

    uow: UnitOfWork
    actor: Member
    members: list[Member]
    chat_id: int | None
    chat_member_ids: list[int]
    project_id: int | None
    message_id: int | None
    now: datetime
    config: ExecutorConfig
    policy: PermissionPolicy
    extra: dict[str, Any] = field(default_factory=dict)
    # The tools the policy judged during this call (the executor checks it is not empty).
    judged: set[str] = field(default_factory=set)
    # The chat's channel: a CLI room has no roster of its own (people only appear as they
    # speak), so "全员" there is every member of this Qunmi.
    chat_channel: str | None = None

    @property
    def tz(self) -> tzinfo:
        return self.config.tz

    @property
    def names(self) -> dict[int, str]:
        return display_names(self.members)

    def check(self, tool: str, target: Target | None = None) -> None:
        """Raise ``PermissionDenied`` unless the actor may make this call. The target is
        completed with its project (the task's or meeting's, else the chat's) and the actor's
        role in it; the executor refuses to commit a call whose tool was never checked."""
        target = self.complete(target or Target())
        self.judged.add(tool)
        self.policy.check(actor=self.actor, tool=tool, target=target)

    def complete(self, target: Target) -> Target:
        project = target.project
        if project is None:
            project_id = None
            if target.task is not None:
                project_id = target.task.project_id
            elif target.meeting is not None:
                project_id = target.meeting.project_id
            else:
                project_id = self.project_id
            if project_id is not None:
                project = self.uow.projects.get(project_id)
        role = target.project_role
        if project is not None and project.id is not None and self.actor.id is not None:
            role = self.uow.projects.role_of(project.id, self.actor.id)
        return replace(target, project=project, project_role=role)

    def sees_budget(self, project: Project | None = None) -> bool:
        """Whether the actor may see budgets and costs (of ``project``)."""
        try:
            self.check("see_budget", Target(project=project))
        except PermissionDenied:
            return False
        return True

    # -- resolution ---------------------------------------------------------------------
    def member(self, name: str) -> Member:
        return resolve_member_name(
            name, actor=self.actor, members=self.members, preferred_ids=self.chat_member_ids
        )

    def project(self, name: str | None) -> Project | None:
        """The project named, else the chat's project, else ``None``."""
        if name:
            project = self.uow.projects.by_name(name)
            if project is None:
                candidates = [
                    p for p in self.uow.projects.all() if name in p.name or p.name in name
                ]
                if len(candidates) == 1:
                    return candidates[0]
                raise NotFound(f"找不到项目“{name}”", details={"project": name})
            return project
        if self.project_id is not None:
            return self.uow.projects.get(self.project_id)
        return None

    def open_tasks(self) -> list[Task]:
        tasks = self.uow.tasks.list(filters={"open": True}, limit=500).items
        if self.project_id is not None:
            in_project = [t for t in tasks if t.project_id in (self.project_id, None)]
            tasks = in_project or tasks
        return tasks

    def task(self, ref: int | str) -> Task:
        """The task a number or "words that identify" refer to."""
        task_id = parse_ref_id(ref)
        if task_id is not None:
            task = self.uow.tasks.get(task_id)
            if task is None:
                raise NotFound(f"没有编号为 #{task_id} 的任务")
            return task
        actor_id = self.actor.id
        return pick_by_words(
            str(ref),
            self.open_tasks(),
            label=lambda t: t.title,
            kind="未完成任务",
            prefer=lambda t: t.assignee_id == actor_id,
        )

    def meeting(self, ref: int | str) -> Meeting:
        """The upcoming meeting a number or "words that identify" refer to."""
        meeting_id = parse_ref_id(ref)
        if meeting_id is not None:
            meeting = self.uow.meetings.get(meeting_id)
            if meeting is None:
                raise NotFound(f"没有编号为 #{meeting_id} 的会议")
            return meeting
        scheduled = MeetingStatus.SCHEDULED
        upcoming = self.uow.meetings.list(
            filters={"status": scheduled, "start_after": self.now - timedelta(hours=2)},
            limit=500,
        ).items
        # A recurring meeting's first occurrence may be long past; the series is still upcoming.
        seen = {m.id for m in upcoming}
        upcoming.extend(
            m
            for m in self.uow.meetings.list(
                filters={"status": scheduled, "recurring": True}, limit=200
            ).items
            if m.id not in seen
        )
        if self.chat_id is not None:
            in_chat = [m for m in upcoming if m.chat_id == self.chat_id]
            upcoming = in_chat or upcoming
        actor_id = self.actor.id
        return pick_by_words(
            str(ref),
            upcoming,
            label=lambda m: " ".join([m.title, *m.agenda]),
            kind="即将召开的会议",
            prefer=lambda m: m.organizer_id == actor_id,
        )


Handler = Callable[[Scope, Any], Applied]
"""Applies one validated call (``args`` is the tool's pydantic model) inside ``scope``."""
