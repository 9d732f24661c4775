"""Pending actions: risky calls asked for in the chat wait for an explicit confirmation.

Role changes, cancellations (tasks, meetings) and every call of a message that asks for more than
one of them are not applied when the message is read. The executor judges them at once (a dry run:
permission, names, records — then rolled back) and stores a ``PendingAction``; the chat is asked
to reply “确认” or “取消”. The reply (or the console, through ``PendingActions.resolve``) resolves
it; confirming runs the calls as the *confirmer*, so the policy judges that person again.

A pending action is stored (the ``jobs`` table, kind ``pending_action``: it survives a restart
without a schema change), belongs to one chat, expires (``ttl``) and is resolved once.
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass
from datetime import datetime, timedelta
from typing import TYPE_CHECKING, Any

from assistant.domain import Job, JobState, Member, ToolCall
from assistant.errors import Conflict, NotFound, PermissionDenied
from assistant.ports import Clock
from assistant.unit_of_work import UnitOfWork, UnitOfWorkFactory
from tools.permissions import PermissionPolicy, Target

if TYPE_CHECKING:
    from tools.executor import CallContext, Executor, ToolResult

__all__ = [
    "BULK_THRESHOLD",
    "KIND",
    "PendingAction",
    "PendingActions",
    "is_bulk_change",
    "needs_confirmation",
]

KIND = "pending_action"
DEFAULT_TTL = timedelta(minutes=30)
CONFIRM_WORDS = frozenset(
    {"确认", "确定", "确认执行", "确认一下", "是的", "对，确认", "好的，确认"}
)
DECLINE_WORDS = frozenset({"取消", "算了", "不用了", "不要了", "先不", "放弃"})
_TRIM = " \t\r\n。.!！~～,，"


def needs_confirmation(tool: str, args: Mapping[str, Any]) -> bool:
    """Calls from the chat that wait for “确认”: role changes (a project handed over makes
    its new owner the PM) and cancellations."""
    if tool == "add_member":
        return bool(args.get("role"))
    if tool == "update_project" and args.get("owner"):
        return True
    if tool == "cancel_meeting":
        return True
    return tool == "update_task" and args.get("status") == "cancelled"


# A message that moves or hands over this many records at once is a bulk change: its changes
# wait for “确认” together (a slip of the model or of one sentence must not rewrite a plan).
BULK_THRESHOLD = 3


def is_bulk_change(tool: str, args: Mapping[str, Any]) -> bool:
    """Changes that move or hand over work (counted for a bulk request). Progress reports on
    one's tasks (status alone) are not: a member listing what they finished is routine."""
    if tool == "update_task":
        return any(
            args.get(k) is not None for k in ("assignee", "due", "shift_minutes", "priority")
        )
    return tool in ("reschedule_meeting", "update_meeting", "update_project")


@dataclass(frozen=True, slots=True)
class PendingAction:
    id: int
    chat_id: int | None
    message_id: int | None
    requested_by: int | None
    calls: list[dict[str, Any]]
    lines: list[str]
    expires_at: datetime
    state: str  # pending / confirmed / declined / expired

    @classmethod
    def from_job(cls, job: Job) -> PendingAction:
        p = job.params
        result = job.result or {}
        return cls(
            id=int(job.id or 0),
            chat_id=p.get("chat_id"),
            message_id=p.get("message_id"),
            requested_by=p.get("requested_by"),
            calls=list(p.get("calls", [])),
            lines=list(p.get("lines", [])),
            expires_at=datetime.fromisoformat(p["expires_at"]),
            state="pending" if job.state == JobState.QUEUED else str(result.get("outcome")),
        )

    def prompt(self) -> str:
        body = "\n".join(f"· {line}" for line in self.lines)
        return (
            f"⚠️ 这些操作需要确认后才会执行：\n{body}\n"
            f"请有权限的人回复“确认”执行，或回复“取消”放弃（{self.expires_at:%H:%M} 前有效）。"
        )


def describe(tool: str, args: Mapping[str, Any]) -> str:
    if tool == "add_member":
        where = f"（项目：{args['project']}）" if args.get("project") else ""
        return f"把 {args.get('member')} 的角色设为 {args.get('role')}{where}"
    if tool == "cancel_meeting":
        return f"取消会议「{args.get('meeting')}」"
    if tool == "update_task" and args.get("status") == "cancelled":
        return f"取消任务「{args.get('task')}」"
    if tool == "update_task":
        parts = []
        if args.get("assignee"):
            parts.append(f"改派给 {args['assignee']}")
        if args.get("due"):
            parts.append(f"截止改为 {args['due']}")
        if args.get("shift_minutes"):
            parts.append(f"截止挪动 {args['shift_minutes']} 分钟")
        if args.get("priority"):
            parts.append(f"优先级改为 {args['priority']}")
        if args.get("title"):
            parts.append(f"标题改为「{args['title']}」")
        return f"修改任务「{args.get('task')}」：{'，'.join(parts) or '更新'}"
    if tool == "reschedule_meeting":
        when = args.get("start") or f"挪动 {args.get('shift_minutes')} 分钟"
        return f"会议「{args.get('meeting')}」改到 {when}"
    if tool == "update_meeting":
        return f"修改会议「{args.get('meeting')}」"
    if tool == "update_project" and args.get("owner"):
        return (
            f"把项目「{args.get('project') or '本群项目'}」的负责人改为 {args['owner']}"
            f"（{args['owner']} 成为项目经理）"
        )
    if tool == "update_project":
        return f"修改项目「{args.get('project') or '本群项目'}」"
    return f"{tool} {args}"


class PendingActions:
    """Stores, finds and resolves pending actions; ``reply`` is the chat's “确认/取消” hook."""

    def __init__(
        self,
        *,
        uow_factory: UnitOfWorkFactory,
        clock: Clock,
        policy: PermissionPolicy,
        ttl: timedelta = DEFAULT_TTL,
    ) -> None:
        self._uow_factory = uow_factory
        self._clock = clock
        self._policy = policy
        self.ttl = ttl
        self._executor: Executor | None = None

    def bind(self, executor: Executor) -> None:
        self._executor = executor

    # -- holding ----------------------------------------------------------------------------
    def hold(self, uow: UnitOfWork, call: ToolCall, ctx: CallContext, actor: Member) -> int:
        """Add the call to the message's pending action (one per message: a bulk request is
        confirmed at once); the id. A redelivered message adds nothing twice."""
        now = self._clock.now()
        entry = {"tool": call.tool, "args": dict(call.args)}
        job = self._for_message(uow, ctx.message_id)
        if job is None:
            job = uow.jobs.add(
                Job(
                    kind=KIND,
                    created_at=now,
                    updated_at=now,
                    params={
                        "chat_id": ctx.chat_id,
                        "message_id": ctx.message_id,
                        "requested_by": actor.id,
                        "calls": [entry],
                        "lines": [describe(call.tool, call.args)],
                        "expires_at": (now + self.ttl).isoformat(),
                    },
                )
            )
        elif entry not in job.params.get("calls", []):
            params = dict(job.params)
            params["calls"] = [*params.get("calls", []), entry]
            params["lines"] = [*params.get("lines", []), describe(call.tool, call.args)]
            job.params, job.updated_at = params, now
            job = uow.jobs.update(job)
        assert job.id is not None
        return job.id

    def get(self, pending_id: int) -> PendingAction | None:
        with self._uow_factory() as uow:
            job = uow.jobs.get(pending_id)
        return PendingAction.from_job(job) if job is not None and job.kind == KIND else None

    def open_for_chat(self, chat_id: int | None) -> PendingAction | None:
        """The newest unresolved pending action of the chat (expired ones included)."""
        with self._uow_factory() as uow:
            jobs = uow.jobs.list(
                filters={"kind": KIND, "state": JobState.QUEUED}, limit=500, order="-id"
            ).items
        for job in jobs:
            if job.params.get("chat_id") == chat_id:
                return PendingAction.from_job(job)
        return None

    @staticmethod
    def _for_message(uow: UnitOfWork, message_id: int | None) -> Job | None:
        if message_id is None:
            return None
        jobs = uow.jobs.list(filters={"kind": KIND}, limit=500, order="-id").items
        return next((j for j in jobs if j.params.get("message_id") == message_id), None)

    # -- resolving ----------------------------------------------------------------------------
    def resolve(
        self, pending_id: int, *, actor: int | str, confirm: bool, message_id: int | None = None
    ) -> tuple[list[ToolResult], str]:
        """Confirm (run the calls as ``actor``) or decline; the results and a note."""
        from tools.executor import CallContext

        assert self._executor is not None, "PendingActions.bind(executor) first"
        now = self._clock.now()
        with self._uow_factory() as uow:
            job = uow.jobs.get(pending_id)
            if job is None or job.kind != KIND:
                raise NotFound(f"没有编号为 {pending_id} 的待确认操作")
            if job.state != JobState.QUEUED:
                raise Conflict("这个待确认的操作已经处理过了")
            pending = PendingAction.from_job(job)
            member = self._executor.find_actor(uow, actor)
            if now >= pending.expires_at:
                self._finish(uow, job, "expired", member, now)
                uow.commit()
                return [], "⌛ 待确认的操作已经过期，没有执行；需要的话请重新说一遍。"
            if not confirm:
                chat = uow.chats.get(pending.chat_id) if pending.chat_id is not None else None
                project = uow.projects.get(chat.project_id) if chat and chat.project_id else None
                role = None
                if project is not None and project.id is not None and member.id is not None:
                    role = uow.projects.role_of(project.id, member.id)
                self._policy.check(
                    actor=member,
                    tool="undo",
                    target=Target(
                        project=project, project_role=role, owner_id=pending.requested_by
                    ),
                )
                self._finish(uow, job, "declined", member, now)
                uow.commit()
                return [], "好的，已放弃，没有执行。"
            # The confirmer is judged before the action is claimed: someone without the right
            # to make these calls cannot use it up.
            probe = CallContext(actor=member.id or actor, chat_id=pending.chat_id)
            for c in pending.calls:
                tried = self._executor.dry_run(ToolCall(c["tool"], dict(c["args"])), probe)
                if not tried.ok and (tried.error or {}).get("code") == "permission_denied":
                    reason = (tried.error or {}).get("reason", "")
                    raise PermissionDenied(f"{member.display_name} 不能确认这个操作：{reason}")
            # Claimed before running: a second “确认” finds it resolved.
            self._finish(uow, job, "confirmed", member, now)
            uow.commit()
        ctx = CallContext(
            actor=member.id if member.id is not None else actor,
            chat_id=pending.chat_id,
            message_id=message_id,
            idempotency_key=None if message_id is not None else f"pending:{pending_id}",
            confirmed=True,
        )
        results = [
            self._executor.execute(ToolCall(c["tool"], dict(c["args"])), ctx) for c in pending.calls
        ]
        done = sum(r.ok for r in results)
        return results, f"已确认，执行了 {done}/{len(results)} 个操作。"

    @staticmethod
    def _finish(uow: UnitOfWork, job: Job, outcome: str, by: Member, now: datetime) -> None:
        job.state = JobState.DONE
        job.result = {"outcome": outcome, "by": by.id, "at": now.isoformat()}
        job.updated_at = now
        uow.jobs.update(job)

    def reply(
        self, text: str, chat_id: int | None, sender: Member, message_id: int | None
    ) -> tuple[list[ToolResult], str] | None:
        """The chat's “确认” / “取消” to its open pending action; ``None`` for any other text."""
        word = text.strip(_TRIM)
        if word not in CONFIRM_WORDS and word not in DECLINE_WORDS:
            return None
        pending = self.open_for_chat(chat_id)
        if pending is None:
            return None
        actor: int | str = sender.id if sender.id is not None else sender.display_name
        return self.resolve(
            pending.id, actor=actor, confirm=word in CONFIRM_WORDS, message_id=message_id
        )
