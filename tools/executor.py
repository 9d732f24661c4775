"""The executor: the one place where tool calls touch the task store.

For every call it validates the arguments against the vocabulary, resolves names and "words
that identify" to records, checks the permission hook as the sender, applies the change in one
unit of work, writes the audit log (with how to undo it) and returns a structured result.
A call is idempotent per (source message, action): a redelivered message changes nothing twice.
"""

from __future__ import annotations

import hashlib
import json
import logging
from collections.abc import Callable, Iterable, Sequence
from dataclasses import dataclass, field
from datetime import datetime, timedelta, tzinfo
from typing import Any

from assistant.domain import (
    AuditEntry,
    Meeting,
    MeetingStatus,
    Member,
    Priority,
    Project,
    Role,
    Task,
    TaskEvent,
    TaskStatus,
    ToolCall,
)
from assistant.errors import Conflict, InvalidInput, NotFound, PermissionDenied, QunmiError
from assistant.ports import Clock
from assistant.unit_of_work import Repository, UnitOfWork, UnitOfWorkFactory
from tools.permissions import PermissionPolicy, RolePolicy, Target
from tools.records import display_names, meeting_record, member_record, project_record, task_record
from tools.resolve import parse_ref_id, pick_by_words, resolve_member_name
from tools.validation import validate_call
from tools.vocabulary import (
    AddMember,
    CancelMeeting,
    CreateMeeting,
    CreateProject,
    CreateTask,
    Query,
    RescheduleMeeting,
    ToolArgs,
    UpdateTask,
)

__all__ = ["CallContext", "Executor", "ExecutorConfig", "ToolResult"]

log = logging.getLogger(__name__)


@dataclass(frozen=True, slots=True)
class CallContext:
    """Who makes the call and where it comes from.

    ``actor`` is a member id, display name or WeCom userid. ``message_id`` (the inbox entry the
    call came from) or ``idempotency_key`` (supplied by an API client) make the call idempotent.
    """

    actor: int | str
    chat_id: int | None = None
    message_id: int | None = None
    idempotency_key: str | None = None


@dataclass(slots=True)
class ToolResult:
    tool: str
    ok: bool
    args: dict[str, Any] = field(default_factory=dict)
    kind: str | None = None
    record: dict[str, Any] | None = None
    records: list[dict[str, Any]] | None = None
    summary: dict[str, Any] | None = None
    error: dict[str, Any] | None = None
    audit_id: int | None = None
    replayed: bool = False

    def to_dict(self) -> dict[str, Any]:
        out: dict[str, Any] = {"tool": self.tool, "ok": self.ok, "args": self.args}
        for key in ("kind", "record", "records", "summary", "error", "audit_id"):
            value = getattr(self, key)
            if value is not None:
                out[key] = value
        if self.replayed:
            out["replayed"] = True
        return out

    @classmethod
    def from_dict(cls, data: dict[str, Any]) -> ToolResult:
        return cls(
            tool=data["tool"],
            ok=data["ok"],
            args=data.get("args", {}),
            kind=data.get("kind"),
            record=data.get("record"),
            records=data.get("records"),
            summary=data.get("summary"),
            error=data.get("error"),
            audit_id=data.get("audit_id"),
            replayed=data.get("replayed", False),
        )

    @classmethod
    def failure(cls, tool: str, args: dict[str, Any], exc: QunmiError) -> ToolResult:
        return cls(tool=tool, ok=False, args=args, error=exc.to_dict())


@dataclass(frozen=True, slots=True)
class ExecutorConfig:
    tz: tzinfo
    default_meeting_minutes: int = 60
    default_remind_before_minutes: int = 15
    meeting_past_tolerance: timedelta = timedelta(minutes=10)
    upcoming_window: timedelta = timedelta(days=7)


@dataclass(slots=True)
class _Applied:
    kind: str
    record: dict[str, Any] | None = None
    undo: dict[str, Any] | None = None
    records: list[dict[str, Any]] | None = None
    summary: dict[str, Any] | None = None


@dataclass(slots=True)
class _Scope:
    """What one call works with inside its unit of work."""

    uow: UnitOfWork
    actor: Member
    members: list[Member]
    chat_id: int | None
    chat_member_ids: list[int]
    project_id: int | None
    message_id: int | None
    now: datetime

    @property
    def names(self) -> dict[int, str]:
        return display_names(self.members)


def _canonical(args: dict[str, Any]) -> str:
    return json.dumps(args, sort_keys=True, ensure_ascii=False, default=str)


class Executor:
    """Applies tool calls. One instance serves the whole process; it holds no per-call state."""

    def __init__(
        self,
        *,
        uow_factory: UnitOfWorkFactory,
        clock: Clock,
        config: ExecutorConfig,
        policy: PermissionPolicy | None = None,
    ) -> None:
        self._uow_factory = uow_factory
        self._clock = clock
        self._config = config
        self._policy: PermissionPolicy = policy or RolePolicy()
        self._handlers: dict[str, Callable[[_Scope, Any], _Applied]] = {
            "create_project": self._create_project,
            "add_member": self._add_member,
            "create_task": self._create_task,
            "update_task": self._update_task,
            "create_meeting": self._create_meeting,
            "reschedule_meeting": self._reschedule_meeting,
            "cancel_meeting": self._cancel_meeting,
            "query": self._query,
        }

    # -- entry points ---------------------------------------------------------------------
    def execute_all(self, calls: Iterable[ToolCall], ctx: CallContext) -> list[ToolResult]:
        return [self.execute(call, ctx) for call in calls]

    def validate(self, call: ToolCall) -> ToolArgs:
        """Check a call against the vocabulary without applying it."""
        return validate_call(call)

    def execute(self, call: ToolCall, ctx: CallContext) -> ToolResult:
        args = dict(call.args) if isinstance(call.args, dict) else {}
        try:
            parsed = self.validate(call)
        except QunmiError as exc:
            return ToolResult.failure(call.tool, args, exc)
        key = self._idempotency_key(call, ctx)
        try:
            return self._apply(call.tool, parsed, args, ctx, key)
        except Conflict as exc:
            # A concurrent delivery of the same call may have won the race: report its result.
            if key is not None:
                with self._uow_factory() as uow:
                    existing = uow.audit.by_key(key)
                if existing is not None:
                    return self._replay(existing)
            return ToolResult.failure(call.tool, args, exc)
        except QunmiError as exc:
            return ToolResult.failure(call.tool, args, exc)

    def undo(self, audit_id: int, *, actor: int | str) -> ToolResult:
        """Reverse an applied call, as ``actor``. Undoing twice is refused."""
        args = {"audit_id": audit_id}
        try:
            with self._uow_factory() as uow:
                actor_member = self._find_actor(uow, actor)
                entry = uow.audit.get(audit_id)
                if entry is None:
                    raise NotFound(f"没有编号为 {audit_id} 的操作记录")
                if entry.undone_at is not None:
                    raise Conflict("这个操作已经撤销过了")
                if entry.undo is None:
                    raise InvalidInput("这个操作不能撤销")
                if actor_member.id != entry.actor_id and actor_member.role not in (
                    Role.ADMIN,
                    Role.PM,
                ):
                    raise PermissionDenied("只有操作人本人、项目经理或管理员可以撤销")
                now = self._clock.now()
                described = self._apply_undo(uow, entry.undo, actor_member, now)
                entry.undone_at = now
                entry.undone_by_id = actor_member.id
                uow.audit.update(entry)
                log_entry = uow.audit.add(
                    AuditEntry(
                        tool="undo",
                        arguments=args,
                        at=now,
                        actor_id=actor_member.id,
                        result={"undone": entry.tool, "what": described},
                    )
                )
                uow.commit()
                return ToolResult(
                    tool="undo",
                    ok=True,
                    args=args,
                    kind="undo",
                    summary={
                        "undone_tool": entry.tool,
                        "what": described,
                        "undone_audit_id": audit_id,
                    },
                    audit_id=log_entry.id,
                )
        except QunmiError as exc:
            return ToolResult.failure("undo", args, exc)

    # -- plumbing -------------------------------------------------------------------------
    def _idempotency_key(self, call: ToolCall, ctx: CallContext) -> str | None:
        if call.tool == "query":
            return None
        digest = hashlib.sha256(f"{call.tool}\n{_canonical(call.args)}".encode()).hexdigest()[:24]
        if ctx.message_id is not None:
            return f"m{ctx.message_id}:{call.tool}:{digest}"
        if ctx.idempotency_key:
            return f"k{ctx.idempotency_key[:100]}:{call.tool}:{digest}"
        return None

    def _replay(self, entry: AuditEntry) -> ToolResult:
        result = ToolResult.from_dict(entry.result)
        result.replayed = True
        result.audit_id = entry.id
        return result

    def _find_actor(self, uow: UnitOfWork, actor: int | str) -> Member:
        member: Member | None = None
        if isinstance(actor, int):
            member = uow.members.get(actor)
        else:
            member = uow.members.by_display_name(actor) or uow.members.by_wecom_userid(actor)
            if member is None:
                try:
                    member = resolve_member_name(
                        actor, actor=Member(display_name=actor), members=uow.members.all()
                    )
                except QunmiError:
                    member = None
        if member is None:
            raise NotFound(f"找不到操作人“{actor}”，请先添加这个成员。")
        return member

    def _apply(
        self,
        tool: str,
        parsed: ToolArgs,
        args: dict[str, Any],
        ctx: CallContext,
        key: str | None,
    ) -> ToolResult:
        with self._uow_factory() as uow:
            if key is not None:
                existing = uow.audit.by_key(key)
                if existing is not None:
                    return self._replay(existing)
            actor = self._find_actor(uow, ctx.actor)
            chat = uow.chats.get(ctx.chat_id) if ctx.chat_id is not None else None
            if ctx.chat_id is not None and chat is None:
                raise NotFound(f"群 {ctx.chat_id} 不存在")
            scope = _Scope(
                uow=uow,
                actor=actor,
                members=uow.members.all(),
                chat_id=ctx.chat_id,
                chat_member_ids=list(chat.member_ids) if chat else [],
                project_id=chat.project_id if chat else None,
                message_id=ctx.message_id,
                now=self._clock.now(),
            )
            applied = self._handlers[tool](scope, parsed)
            result = ToolResult(
                tool=tool,
                ok=True,
                args=args,
                kind=applied.kind,
                record=applied.record,
                records=applied.records,
                summary=applied.summary,
            )
            if tool != "query":
                entry = uow.audit.add(
                    AuditEntry(
                        tool=tool,
                        arguments=json.loads(_canonical(args)),
                        at=scope.now,
                        actor_id=actor.id,
                        message_id=ctx.message_id,
                        idempotency_key=key,
                        result=result.to_dict(),
                        undo=applied.undo,
                    )
                )
                result.audit_id = entry.id
                uow.commit()
            return result

    # -- resolution helpers ---------------------------------------------------------------
    def _member(self, scope: _Scope, name: str) -> Member:
        return resolve_member_name(
            name, actor=scope.actor, members=scope.members, preferred_ids=scope.chat_member_ids
        )

    def _project(self, scope: _Scope, name: str | None) -> Project | None:
        if name:
            project = scope.uow.projects.by_name(name)
            if project is None:
                candidates = [
                    p for p in scope.uow.projects.all() if name in p.name or p.name in name
                ]
                if len(candidates) == 1:
                    return candidates[0]
                raise NotFound(f"找不到项目“{name}”", details={"project": name})
            return project
        if scope.project_id is not None:
            return scope.uow.projects.get(scope.project_id)
        return None

    def _open_tasks(self, scope: _Scope) -> list[Task]:
        filters: dict[str, Any] = {"open": True}
        tasks = scope.uow.tasks.list(filters=filters, limit=500).items
        if scope.project_id is not None:
            in_project = [t for t in tasks if t.project_id in (scope.project_id, None)]
            tasks = in_project or tasks
        return tasks

    def _task(self, scope: _Scope, ref: int | str) -> Task:
        task_id = parse_ref_id(ref)
        if task_id is not None:
            task = scope.uow.tasks.get(task_id)
            if task is None:
                raise NotFound(f"没有编号为 #{task_id} 的任务")
            return task
        actor_id = scope.actor.id
        return pick_by_words(
            str(ref),
            self._open_tasks(scope),
            label=lambda t: t.title,
            kind="未完成任务",
            prefer=lambda t: t.assignee_id == actor_id,
        )

    def _meeting(self, scope: _Scope, ref: int | str) -> Meeting:
        meeting_id = parse_ref_id(ref)
        if meeting_id is not None:
            meeting = scope.uow.meetings.get(meeting_id)
            if meeting is None:
                raise NotFound(f"没有编号为 #{meeting_id} 的会议")
            return meeting
        upcoming = scope.uow.meetings.list(
            filters={
                "status": MeetingStatus.SCHEDULED,
                "start_after": scope.now - timedelta(hours=2),
            },
            limit=500,
        ).items
        if scope.chat_id is not None:
            in_chat = [m for m in upcoming if m.chat_id == scope.chat_id]
            upcoming = in_chat or upcoming
        actor_id = scope.actor.id
        return pick_by_words(
            str(ref),
            upcoming,
            label=lambda m: " ".join([m.title, *m.agenda]),
            kind="即将召开的会议",
            prefer=lambda m: m.organizer_id == actor_id,
        )

    # -- handlers -------------------------------------------------------------------------
    def _create_project(self, scope: _Scope, args: CreateProject) -> _Applied:
        uow = scope.uow
        if uow.projects.by_name(args.name) is not None:
            raise Conflict(f"项目“{args.name}”已经存在")
        self._policy.check(actor=scope.actor, tool="create_project", target=Target())
        owner = self._member(scope, args.owner) if args.owner else scope.actor
        member_ids = [owner.id, scope.actor.id]
        for name in args.members or []:
            member_ids.append(self._member(scope, name).id)
        project = uow.projects.add(
            Project(
                name=args.name,
                owner_id=owner.id,
                deadline=args.deadline,
                member_ids=[i for i in dict.fromkeys(member_ids) if i is not None],
                created_at=scope.now,
            )
        )
        linked_chat = None
        if scope.chat_id is not None and scope.project_id is None:
            chat = uow.chats.get(scope.chat_id)
            if chat is not None:
                chat.project_id = project.id
                uow.chats.update(chat)
                linked_chat = chat.id
        record = project_record(project, scope.names, self._config.tz, show_budget=False)
        return _Applied(
            kind="project",
            record=record,
            undo={"op": "delete", "kind": "project", "id": project.id, "unlink_chat": linked_chat},
        )

    def _add_member(self, scope: _Scope, args: AddMember) -> _Applied:
        uow = scope.uow
        self._policy.check(actor=scope.actor, tool="add_member", target=Target(new_role=args.role))
        created = False
        try:
            member = self._member(scope, args.member)
        except NotFound:
            member = uow.members.add(
                Member(
                    display_name=args.member.lstrip("@＠"),
                    role=Role(args.role or "member"),
                    created_at=scope.now,
                )
            )
            scope.members.append(member)
            created = True
        old_role = member.role
        if args.role and not created and member.role != Role(args.role):
            member.role = Role(args.role)
            member = uow.members.update(member)
        project = self._project(scope, args.project)
        added_to_project = None
        if project is not None and member.id not in project.member_ids:
            project.member_ids.append(member.id)  # type: ignore[arg-type]
            uow.projects.update(project)
            added_to_project = project.id
        added_to_chat = None
        if scope.chat_id is not None and member.id not in scope.chat_member_ids:
            chat = uow.chats.get(scope.chat_id)
            if chat is not None:
                chat.member_ids.append(member.id)  # type: ignore[arg-type]
                uow.chats.update(chat)
                added_to_chat = chat.id
        record = member_record(member)
        record["project"] = project.name if project else None
        return _Applied(
            kind="member",
            record=record,
            undo={
                "op": "member",
                "id": member.id,
                "created": created,
                "old_role": old_role.value,
                "project_id": added_to_project,
                "chat_id": added_to_chat,
            },
        )

    def _create_task(self, scope: _Scope, args: CreateTask) -> _Applied:
        uow = scope.uow
        assignee = self._member(scope, args.assignee) if args.assignee else None
        project = self._project(scope, args.project)
        self._policy.check(actor=scope.actor, tool="create_task", target=Target())
        task = uow.tasks.add(
            Task(
                title=args.title,
                description=args.description,
                assignee_id=assignee.id if assignee else None,
                creator_id=scope.actor.id,
                project_id=project.id if project else None,
                due=args.due,
                priority=Priority(args.priority or "normal"),
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
        return _Applied(
            kind="task",
            record=task_record(task, scope.names, self._config.tz),
            undo={"op": "delete", "kind": "task", "id": task.id},
        )

    def _update_task(self, scope: _Scope, args: UpdateTask) -> _Applied:
        uow = scope.uow
        changes = {
            k
            for k in ("status", "due", "assignee", "progress_note")
            if getattr(args, k) is not None
        }
        if not changes:
            raise InvalidInput("没有要修改的内容：请说明状态、截止时间、负责人或进展。")
        task = self._task(scope, args.task)
        self._policy.check(
            actor=scope.actor,
            tool="update_task",
            target=Target(task=task, changes=frozenset(changes)),
        )
        before = {
            "status": task.status.value,
            "due": task.due.isoformat() if task.due else None,
            "assignee_id": task.assignee_id,
            "started_at": task.started_at.isoformat() if task.started_at else None,
            "completed_at": task.completed_at.isoformat() if task.completed_at else None,
        }
        assert task.id is not None
        events: list[TaskEvent] = []
        actor_id = scope.actor.id
        if args.status is not None and TaskStatus(args.status) != task.status:
            new_status = TaskStatus(args.status)
            events.append(
                TaskEvent(
                    task_id=task.id,
                    kind="status",
                    at=scope.now,
                    actor_id=actor_id,
                    old=task.status.value,
                    new=new_status.value,
                    note=args.progress_note,
                )
            )
            task.status = new_status
            if new_status == TaskStatus.IN_PROGRESS and task.started_at is None:
                task.started_at = scope.now
            if new_status == TaskStatus.DONE:
                task.completed_at = scope.now
                task.started_at = task.started_at or scope.now
            elif task.completed_at is not None:
                task.completed_at = None
        if args.due is not None and args.due != task.due:
            events.append(
                TaskEvent(
                    task_id=task.id,
                    kind="due",
                    at=scope.now,
                    actor_id=actor_id,
                    old=str(before["due"]) if before["due"] else None,
                    new=args.due.isoformat(),
                )
            )
            task.due = args.due
        if args.assignee is not None:
            assignee = self._member(scope, args.assignee)
            if assignee.id != task.assignee_id:
                events.append(
                    TaskEvent(
                        task_id=task.id,
                        kind="assignee",
                        at=scope.now,
                        actor_id=actor_id,
                        old=str(task.assignee_id) if task.assignee_id else None,
                        new=str(assignee.id),
                    )
                )
                task.assignee_id = assignee.id
        if args.progress_note is not None and not any(e.kind == "status" for e in events):
            events.append(
                TaskEvent(
                    task_id=task.id,
                    kind="note",
                    at=scope.now,
                    actor_id=actor_id,
                    note=args.progress_note,
                )
            )
        task = uow.tasks.update(task)
        for event in events:
            uow.tasks.add_event(event)
        record = task_record(task, scope.names, self._config.tz)
        record["changes"] = sorted(changes)
        if args.progress_note:
            record["progress_note"] = args.progress_note
        return _Applied(
            kind="task",
            record=record,
            undo={"op": "restore", "kind": "task", "id": task.id, "fields": before},
        )

    def _attendees(self, scope: _Scope, attendees: list[str] | str | None) -> list[int]:
        ids: list[int | None] = [scope.actor.id]
        if attendees == "all" or attendees is None:
            ids.extend(scope.chat_member_ids)
            if scope.project_id is not None:
                project = scope.uow.projects.get(scope.project_id)
                if project is not None:
                    ids.extend(project.member_ids)
        else:
            ids.extend(self._member(scope, name).id for name in attendees)
        return [i for i in dict.fromkeys(ids) if i is not None]

    def _create_meeting(self, scope: _Scope, args: CreateMeeting) -> _Applied:
        uow = scope.uow
        if args.start < scope.now - self._config.meeting_past_tolerance:
            raise InvalidInput(
                f"会议开始时间 {args.start.astimezone(self._config.tz):%m月%d日 %H:%M} 已经过去了，请确认时间。"
            )
        end = args.end
        if end is None:
            minutes = args.duration_minutes or self._config.default_meeting_minutes
            end = args.start + timedelta(minutes=minutes)
        if end <= args.start:
            raise InvalidInput("会议结束时间必须晚于开始时间")
        remind = args.remind_before_minutes
        if remind is None:
            remind = self._config.default_remind_before_minutes
        self._policy.check(actor=scope.actor, tool="create_meeting", target=Target())
        meeting = uow.meetings.add(
            Meeting(
                title=args.title,
                start=args.start,
                end=end,
                location=args.location,
                attendee_ids=self._attendees(scope, args.attendees),
                agenda=list(args.agenda or []),
                remind_before_minutes=[remind],
                organizer_id=scope.actor.id,
                project_id=scope.project_id,
                chat_id=scope.chat_id,
                source_message_id=scope.message_id,
                created_at=scope.now,
            )
        )
        record = meeting_record(meeting, scope.names, self._config.tz)
        record["attendees_all"] = args.attendees in (None, "all")
        return _Applied(
            kind="meeting",
            record=record,
            undo={"op": "delete", "kind": "meeting", "id": meeting.id},
        )

    def _reschedule_meeting(self, scope: _Scope, args: RescheduleMeeting) -> _Applied:
        meeting = self._meeting(scope, args.meeting)
        if meeting.status != MeetingStatus.SCHEDULED:
            raise Conflict(
                f"会议 #{meeting.id}「{meeting.title}」已经{'取消' if meeting.status == MeetingStatus.CANCELLED else '结束'}，不能改期"
            )
        self._policy.check(
            actor=scope.actor, tool="reschedule_meeting", target=Target(meeting=meeting)
        )
        before_start = meeting.start
        before = {
            "start": meeting.start.isoformat(),
            "end": meeting.end.isoformat() if meeting.end else None,
        }
        duration = (
            (meeting.end - meeting.start)
            if meeting.end
            else timedelta(minutes=self._config.default_meeting_minutes)
        )
        end = args.end or args.start + duration
        if end <= args.start:
            raise InvalidInput("会议结束时间必须晚于开始时间")
        meeting.start, meeting.end = args.start, end
        meeting = scope.uow.meetings.update(meeting)
        record = meeting_record(meeting, scope.names, self._config.tz)
        record["previous_start"] = before_start.astimezone(self._config.tz).isoformat()
        return _Applied(
            kind="meeting",
            record=record,
            undo={"op": "restore", "kind": "meeting", "id": meeting.id, "fields": before},
        )

    def _cancel_meeting(self, scope: _Scope, args: CancelMeeting) -> _Applied:
        meeting = self._meeting(scope, args.meeting)
        if meeting.status == MeetingStatus.CANCELLED:
            raise Conflict(f"会议 #{meeting.id}「{meeting.title}」已经取消了")
        self._policy.check(actor=scope.actor, tool="cancel_meeting", target=Target(meeting=meeting))
        before = {"status": meeting.status.value}
        meeting.status = MeetingStatus.CANCELLED
        meeting = scope.uow.meetings.update(meeting)
        record = meeting_record(meeting, scope.names, self._config.tz)
        if args.reason:
            record["reason"] = args.reason
        return _Applied(
            kind="meeting",
            record=record,
            undo={"op": "restore", "kind": "meeting", "id": meeting.id, "fields": before},
        )

    def _query(self, scope: _Scope, args: Query) -> _Applied:
        uow, tz, names = scope.uow, self._config.tz, scope.names
        project = self._project(scope, args.project)
        member = self._member(scope, args.member) if args.member else None
        if args.kind == "my_tasks":
            who = member or scope.actor
            tasks = uow.tasks.list(
                filters={"open": True, "assignee_id": who.id}, limit=200, order="due"
            ).items
            tasks.sort(key=lambda t: (t.due is None, t.due or scope.now))
            return _Applied(
                kind="tasks",
                records=[task_record(t, names, tz) for t in tasks],
                summary={"member": who.display_name, "count": len(tasks)},
            )
        if args.kind == "overdue":
            filters: dict[str, Any] = {"open": True, "due_before": scope.now}
            if project is not None:
                filters["project_id"] = project.id
            if member is not None:
                filters["assignee_id"] = member.id
            tasks = uow.tasks.list(filters=filters, limit=200, order="due").items
            return _Applied(
                kind="tasks",
                records=[task_record(t, names, tz) for t in tasks],
                summary={"overdue": True, "count": len(tasks)},
            )
        if args.kind == "meetings":
            filters = {
                "status": MeetingStatus.SCHEDULED,
                "start_after": scope.now - timedelta(hours=1),
                "start_before": scope.now + self._config.upcoming_window,
            }
            if member is not None:
                filters["attendee_id"] = member.id
            meetings = uow.meetings.list(filters=filters, limit=200, order="start").items
            if project is not None:
                meetings = [m for m in meetings if m.project_id in (project.id, None)]
            return _Applied(
                kind="meetings",
                records=[meeting_record(m, names, tz) for m in meetings],
                summary={"count": len(meetings), "days": self._config.upcoming_window.days},
            )
        return self._progress(scope, project)

    def _progress(self, scope: _Scope, project: Project | None) -> _Applied:
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
            summary["deadline"] = project.deadline.astimezone(self._config.tz).isoformat()
            summary["days_left"] = (
                project.deadline.astimezone(self._config.tz).date()
                - scope.now.astimezone(self._config.tz).date()
            ).days
        blocked = [t for t in tasks if t.status == TaskStatus.BLOCKED]
        return _Applied(
            kind="progress",
            summary=summary,
            records=[
                task_record(t, scope.names, self._config.tz) for t in (overdue + blocked)[:20]
            ],
        )

    # -- undo -----------------------------------------------------------------------------
    def _apply_undo(
        self, uow: UnitOfWork, undo: dict[str, Any], actor: Member, now: datetime
    ) -> str:
        op, kind, record_id = undo.get("op"), undo.get("kind"), int(undo.get("id") or 0)
        removable: dict[str, tuple[Repository[Any], str]] = {
            "task": (uow.tasks, "任务"),
            "meeting": (uow.meetings, "会议"),
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
            uow.meetings.update(meeting)
            return f"恢复了会议 #{record_id}「{meeting.title}」"
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


def describe_calls(calls: Sequence[ToolCall]) -> list[dict[str, Any]]:
    return [c.to_dict() for c in calls]
