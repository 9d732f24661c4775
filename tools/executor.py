"""The executor: the one place where tool calls touch the task store.

For every call it validates the arguments against the vocabulary, resolves names and "words
that identify" to records, checks the permission hook as the sender, applies the change in one
unit of work, writes the audit log (with how to undo it) and returns a structured result.
A call is idempotent per (source message, action): a redelivered message changes nothing twice.
Within a message's processing run (``CallContext.run``) an action is recognised by what it acts
on, not by its wording (``tools.replay``): a model that words its retry differently after a
crash gets the stored result back instead of a second task.
"""

from __future__ import annotations

import hashlib
import json
import logging
from collections.abc import Callable, Iterable, Mapping, Sequence
from dataclasses import dataclass, field, replace
from datetime import datetime
from typing import Any

from assistant.domain import AuditEntry, Member, Project, Role, ToolCall
from assistant.errors import Conflict, InvalidInput, NotFound, PermissionDenied, QunmiError
from assistant.ports import Clock
from assistant.unit_of_work import UnitOfWork, UnitOfWorkFactory
from tools.handlers import CORE_HANDLERS
from tools.pending import BULK_THRESHOLD, PendingActions, is_bulk_change, needs_confirmation
from tools.permissions import PermissionPolicy, RolePolicy, Target
from tools.replay import ActionRun, same_action
from tools.resolve import resolve_member_name
from tools.scope import ExecutorConfig, Handler, Scope
from tools.undo import apply_undo, record_state
from tools.validation import validate_call
from tools.vocabulary import TOOLS, ToolArgs

__all__ = [
    "ActionRun",
    "AppliedObserver",
    "CallContext",
    "ChangeObserver",
    "Executor",
    "ExecutorConfig",
    "MessageCalls",
    "ToolResult",
]

log = logging.getLogger(__name__)


@dataclass(frozen=True, slots=True)
class CallContext:
    """Who makes the call and where it comes from.

    ``actor`` is a member id, display name or WeCom userid. ``message_id`` (the inbox entry the
    call came from) or ``idempotency_key`` (supplied by an API client) make the call idempotent;
    ``run`` (one processing run of the message) matches calls to the actions already applied
    for it by identity rather than by wording.
    """

    actor: int | str
    chat_id: int | None = None
    message_id: int | None = None
    idempotency_key: str | None = None
    run: ActionRun | None = None
    # A confirmed pending action (``tools.pending``): risky calls from the chat run at once.
    confirmed: bool = False
    # The message asks for a bulk change (``tools.pending.BULK_THRESHOLD``): its moves and
    # handovers wait for “确认” too.
    hold_bulk: bool = False


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


ChangeObserver = Callable[[UnitOfWork, list[str]], object]
"""Told, inside the unit of work of a change, which records it touched (``task:5``,
``meeting:12``, ``chat:3``…), so that what depends on them (reminders) commits with it."""

AppliedObserver = Callable[[UnitOfWork, CallContext, Member, ToolResult, datetime], object]
"""Told, inside the unit of work of an applied change (not a query), the call's context, its
actor, its result and the time, so that what remembers changes (the dialogue state) commits
with it."""

_CHANGED_KINDS = {"task", "meeting", "milestone", "project"}


def _changed(kind: str | None, record: dict[str, Any] | None) -> list[str]:
    if record is None:
        return []
    if kind in _CHANGED_KINDS and record.get("id") is not None:
        return [f"{kind}:{record['id']}"]
    if kind == "reminders" and record.get("chat_id") is not None:
        return [f"chat:{record['chat_id']}"]
    return []


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
        handlers: Mapping[str, Handler] | None = None,
        observers: Sequence[ChangeObserver] = (),
        pending: PendingActions | None = None,
    ) -> None:
        self._uow_factory = uow_factory
        self._clock = clock
        self._config = config
        self._policy: PermissionPolicy = policy or RolePolicy()
        self._handlers: dict[str, Handler] = {**CORE_HANDLERS, **(handlers or {})}
        self._observers: list[ChangeObserver] = list(observers)
        self._applied_observers: list[AppliedObserver] = []
        self.pending = pending
        if pending is not None:
            pending.bind(self)

    @property
    def policy(self) -> PermissionPolicy:
        """The permission policy every call is checked against (for reads outside a call)."""
        return self._policy

    def observe(self, observer: ChangeObserver) -> None:
        """Add an observer of applied changes (set up by the composition root)."""
        self._observers.append(observer)

    def observe_applied(self, observer: AppliedObserver) -> None:
        """Add an observer of applied calls with their actor and result (composition root)."""
        self._applied_observers.append(observer)

    def _tell(self, uow: UnitOfWork, changed: list[str]) -> None:
        if changed:
            for observer in self._observers:
                observer(uow, changed)

    def register(self, tool: str, handler: Handler) -> None:
        """Add the handler of a tool backed by a service (set up by the composition root)."""
        if tool not in TOOLS:
            raise InvalidInput(f"没有名为“{tool}”的工具")
        self._handlers[tool] = handler

    # -- entry points ---------------------------------------------------------------------
    def execute_all(self, calls: Iterable[ToolCall], ctx: CallContext) -> list[ToolResult]:
        """Apply the calls of one message in order; a bulk change from the chat (several moves
        or handovers at once) is held for confirmation as one pending action."""
        calls = list(calls)
        if (
            self.pending is not None
            and ctx.message_id is not None
            and not ctx.confirmed
            and sum(
                is_bulk_change(c.tool, c.args if isinstance(c.args, dict) else {}) for c in calls
            )
            >= BULK_THRESHOLD
        ):
            ctx = replace(ctx, hold_bulk=True)
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
        if (
            self.pending is not None
            and ctx.message_id is not None
            and not ctx.confirmed
            and (
                needs_confirmation(call.tool, args)
                or (ctx.hold_bulk and is_bulk_change(call.tool, args))
            )
        ):
            try:
                return self._hold(call, parsed, args, ctx)
            except QunmiError as exc:
                return ToolResult.failure(call.tool, args, exc)
        key = self._idempotency_key(call, ctx)
        try:
            return self._apply(call.tool, parsed, args, ctx, key)
        except Conflict as exc:
            # A concurrent delivery of the same call may have won the race: report its result.
            if self._by_identity(call.tool, ctx) and exc.details.get("integrity"):
                try:
                    return self._apply(call.tool, parsed, args, ctx, None)
                except QunmiError as again:
                    return ToolResult.failure(call.tool, args, again)
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
        try:
            with self._uow_factory() as uow:
                actor_member = self._find_actor(uow, actor)
                result = self._undo_in(uow, actor_member, audit_id)
                uow.commit()
                return result
        except QunmiError as exc:
            return ToolResult.failure("undo", {"audit_id": audit_id}, exc)

    def _undo_in(self, uow: UnitOfWork, actor_member: Member, audit_id: int) -> ToolResult:
        """Reverse an applied call inside ``uow`` (not committed)."""
        args = {"audit_id": audit_id}
        entry = uow.audit.get(audit_id)
        if entry is None:
            raise NotFound(f"没有编号为 {audit_id} 的操作记录")
        if entry.undone_at is not None:
            raise Conflict("这个操作已经撤销过了")
        if entry.undo is None:
            raise InvalidInput("这个操作不能撤销")
        self._check_undo(uow, actor_member, entry)
        now = self._clock.now()
        described = apply_undo(uow, entry.undo, actor_member, now)
        self._tell(uow, _changed(entry.undo.get("kind"), entry.undo))
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
        return ToolResult(
            tool="undo",
            ok=True,
            args=args,
            kind="undo",
            summary={"undone_tool": entry.tool, "what": described, "undone_audit_id": audit_id},
            audit_id=log_entry.id,
        )

    def retract_and_hold(
        self, applied: Sequence[tuple[ToolCall, int]], call: ToolCall, ctx: CallContext
    ) -> ToolResult:
        """A bulk change noticed late (the LLM agent asks for its calls one at a time): the
        calls already applied for the message (``applied``: call and audit id) are undone and
        held, with ``call``, as the message's one pending action — in one unit of work, so
        either all of it happens or none. The result is ``call``'s, a ``pending`` one whose
        summary also lists the retracted calls (``retracted``: their ids)."""
        assert self.pending is not None
        args = dict(call.args) if isinstance(call.args, dict) else {}
        try:
            parsed = self.validate(call)
            dry_ctx = CallContext(actor=ctx.actor, chat_id=ctx.chat_id, message_id=ctx.message_id)
            self._apply(call.tool, parsed, args, dry_ctx, None, dry=True)
            with self._uow_factory() as uow:
                actor = self._find_actor(uow, ctx.actor)
                for _, audit_id in reversed(applied):  # the latest first: each undo sees its state
                    self._undo_in(uow, actor, audit_id)
                for earlier, _ in applied:
                    self.pending.hold(uow, ToolCall(earlier.tool, dict(earlier.args)), ctx, actor)
                pending_id = self.pending.hold(uow, ToolCall(call.tool, args), ctx, actor)
                uow.commit()
        except QunmiError as exc:
            return ToolResult.failure(call.tool, args, exc)
        return self._pending_result(
            call,
            args,
            pending_id,
            retracted=[c.call_id for c, _ in applied if c.call_id],
            note=(
                f"这条消息要改动多项（批量修改）：之前已执行的 {len(applied)} 项已经撤回，"
                "和这一项以及之后的改动一起等待有权限的人回复“确认”"
                if applied
                else "这条消息要改动多项（批量修改）：这些改动都等待有权限的人回复“确认”"
            ),
        )

    def dry_run(self, call: ToolCall, ctx: CallContext) -> ToolResult:
        """Judge and run a call, then roll it back: would it succeed for ``ctx.actor``?"""
        args = dict(call.args) if isinstance(call.args, dict) else {}
        try:
            parsed = self.validate(call)
            plain = CallContext(actor=ctx.actor, chat_id=ctx.chat_id)
            return self._apply(call.tool, parsed, args, plain, None, dry=True)
        except QunmiError as exc:
            return ToolResult.failure(call.tool, args, exc)

    def _hold(
        self, call: ToolCall, parsed: ToolArgs, args: dict[str, Any], ctx: CallContext
    ) -> ToolResult:
        """A risky call from the chat: judged now (a dry run, rolled back), applied later when
        someone allowed replies “确认”."""
        assert self.pending is not None
        dry_ctx = CallContext(actor=ctx.actor, chat_id=ctx.chat_id, message_id=ctx.message_id)
        self._apply(call.tool, parsed, args, dry_ctx, None, dry=True)
        with self._uow_factory() as uow:
            actor = self._find_actor(uow, ctx.actor)
            pending_id = self.pending.hold(uow, ToolCall(call.tool, args), ctx, actor)
            uow.commit()
        return self._pending_result(call, args, pending_id)

    def _pending_result(
        self, call: ToolCall, args: dict[str, Any], pending_id: int, **extra: Any
    ) -> ToolResult:
        """What a held call answers: the card text asking for “确认”, and any extra notes."""
        assert self.pending is not None
        held = self.pending.get(pending_id)
        assert held is not None
        return ToolResult(
            tool=call.tool,
            ok=True,
            args=args,
            kind="pending",
            summary={
                "pending_id": pending_id,
                "text": held.prompt(),
                "lines": held.lines,
                **extra,
            },
        )

    # -- plumbing -------------------------------------------------------------------------
    def _check_undo(self, uow: UnitOfWork, actor: Member, entry: AuditEntry) -> None:
        """Undo is judged like the call it reverses: by the matrix's ``undo`` row (the one
        who made it, the project's PM, an admin), and, when it puts a role back, by the rules
        of role changes."""
        assert entry.undo is not None
        undo = entry.undo
        project = None
        kind, record_id = undo.get("kind"), undo.get("id")
        if kind == "task" and record_id is not None:
            task = uow.tasks.get(int(record_id))
            project_id = task.project_id if task else None
        elif kind == "meeting" and record_id is not None:
            meeting = uow.meetings.get(int(record_id))
            project_id = meeting.project_id if meeting else None
        elif kind == "project" and record_id is not None:
            project_id = int(record_id)
        else:
            project_id = undo.get("role_project_id") or undo.get("project_id")
        if project_id is not None:
            project = uow.projects.get(int(project_id))
        role = None
        if project is not None and project.id is not None and actor.id is not None:
            role = uow.projects.role_of(project.id, actor.id)
        self._policy.check(
            actor=actor,
            tool="undo",
            target=Target(project=project, project_role=role, owner_id=entry.actor_id),
        )
        handed = (undo.get("fields") or {}).get("owner_role") if kind == "project" else None
        if handed is not None and project is not None and project.id is not None:
            # Undoing a handover takes the PM role back from the new owner: a role change.
            subject = uow.members.get(int(handed["member_id"]))
            if subject is not None and subject.id is not None:
                self._policy.check(
                    actor=actor,
                    tool="add_member",
                    target=Target(
                        project=project,
                        project_role=role,
                        new_role=str(handed.get("role") or "member"),
                        subject=subject,
                        subject_project_role=uow.projects.role_of(project.id, subject.id),
                    ),
                )
        if undo.get("op") == "member" and record_id is not None:
            subject = uow.members.get(int(record_id))
            old_project_role = undo.get("old_project_role")
            if (
                subject is not None
                and subject.id is not None
                and project is not None
                and project.id is not None
                and old_project_role
                and uow.projects.role_of(project.id, subject.id) != old_project_role
            ):
                self._policy.check(
                    actor=actor,
                    tool="add_member",
                    target=Target(
                        project=project,
                        project_role=role,
                        new_role=str(old_project_role),
                        subject=subject,
                        subject_project_role=uow.projects.role_of(project.id, subject.id),
                    ),
                )
            if subject is not None and subject.role.value != undo.get("old_role"):
                self._policy.check(
                    actor=actor,
                    tool="add_member",
                    target=Target(
                        project=project,
                        project_role=role,
                        new_role=str(undo.get("old_role")),
                        subject=subject,
                        team_wide=True,
                        admins=sum(1 for m in uow.members.all() if m.role == Role.ADMIN),
                    ),
                )

    @staticmethod
    def _by_identity(tool: str, ctx: CallContext) -> bool:
        return tool != "query" and ctx.message_id is not None and ctx.run is not None

    def _idempotency_key(self, call: ToolCall, ctx: CallContext) -> str | None:
        if call.tool == "query" or self._by_identity(call.tool, ctx):
            return None  # by identity: keyed inside the unit of work (``_match_applied``)
        digest = hashlib.sha256(f"{call.tool}\n{_canonical(call.args)}".encode()).hexdigest()[:24]
        if ctx.message_id is not None:
            return f"m{ctx.message_id}:{call.tool}:{digest}"
        if ctx.idempotency_key:
            return f"k{ctx.idempotency_key[:100]}:{call.tool}:{digest}"
        return None

    def _match_applied(
        self, uow: UnitOfWork, tool: str, parsed: ToolArgs, ctx: CallContext, scope: Scope
    ) -> tuple[ToolResult | None, str]:
        """The stored result when this call is an action already applied for the message (and
        not yet answered for in this run); else the key a new entry is stored under."""
        assert ctx.message_id is not None and ctx.run is not None
        earlier = uow.audit.list(
            filters={"message_id": ctx.message_id, "tool": tool}, limit=500, order="id"
        ).items
        for entry in earlier:
            if entry.id is None or entry.id in ctx.run.claimed or entry.undone_at is not None:
                continue
            if same_action(scope, tool, parsed, entry):
                ctx.run.claimed.add(entry.id)
                return self._replay(entry), ""
        # The n-th entry of this tool for this message: two processes racing on the same
        # message collide on the unique key, and the loser replays the winner's entry.
        return None, f"m{ctx.message_id}:{tool}:{len(earlier) + 1}"

    def _replay(self, entry: AuditEntry) -> ToolResult:
        result = ToolResult.from_dict(entry.result)
        result.replayed = True
        result.audit_id = entry.id
        return result

    @staticmethod
    def _named_project(scope: Scope, parsed: ToolArgs) -> Project | None:
        name = getattr(parsed, "project", None)
        try:
            return scope.project(name) if isinstance(name, str) else None
        except NotFound:
            return None

    def find_actor(self, uow: UnitOfWork, actor: int | str) -> Member:
        """The member making a call (by id, display name or WeCom userid)."""
        return self._find_actor(uow, actor)

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
        *,
        dry: bool = False,
    ) -> ToolResult:
        """Apply one call in one unit of work; ``dry`` judges and runs it, then rolls back."""
        with self._uow_factory() as uow:
            if key is not None:
                existing = uow.audit.by_key(key)
                if existing is not None:
                    return self._replay(existing)
            actor = self._find_actor(uow, ctx.actor)
            chat = uow.chats.get(ctx.chat_id) if ctx.chat_id is not None else None
            if ctx.chat_id is not None and chat is None:
                raise NotFound(f"群 {ctx.chat_id} 不存在")
            handler = self._handlers.get(tool)
            if handler is None:
                raise InvalidInput(f"这个实例没有启用“{tool}”（缺少它需要的服务）")
            scope = Scope(
                uow=uow,
                actor=actor,
                members=uow.members.all(),
                chat_id=ctx.chat_id,
                chat_member_ids=list(chat.member_ids) if chat else [],
                chat_channel=chat.channel if chat else None,
                project_id=chat.project_id if chat else None,
                message_id=ctx.message_id,
                now=self._clock.now(),
                config=self._config,
                policy=self._policy,
            )
            if self._by_identity(tool, ctx) and not dry:
                replayed, key = self._match_applied(uow, tool, parsed, ctx, scope)
                if replayed is not None:
                    return replayed
            if tool in _JUDGED_BEFORE:
                scope.check(tool, Target(project=self._named_project(scope, parsed)))
            applied = handler(scope, parsed)
            if not scope.judged:
                # Every call is judged by the matrix: a handler that forgot to ask is refused
                # (and nothing it did is committed).
                log.error("tool %s applied without a permission check", tool)
                raise PermissionDenied(f"“{tool}”没有经过权限检查，已拒绝")
            if dry:
                return ToolResult(tool=tool, ok=True, args=args, kind=applied.kind)
            self._tell(uow, _changed(applied.kind, applied.record))
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
                if applied.undo is not None:
                    # How the record looks now: an undo later applies only to this state.
                    applied.undo["state"] = record_state(uow, applied.undo)
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
                for observer in self._applied_observers:
                    observer(uow, ctx, actor, result, scope.now)
                uow.commit()
                if ctx.run is not None and entry.id is not None:
                    ctx.run.claimed.add(entry.id)
            return result


class MessageCalls:
    """The calls of one message applied as they come, one at a time — the LLM agent's
    ``apply``, bound to the sender and the message — under the rule path's confirmation rules.

    Role changes and cancellations wait for “确认” (``Executor.execute`` holds them). Moves and
    handovers are applied while there are fewer than ``BULK_THRESHOLD`` of them; the one that
    makes the message a bulk change retracts those already applied (``retract_and_hold``) and
    all of them, with every later one, wait for one “确认”, as ``execute_all`` holds a bulk
    request read by the rules. ``calls`` and ``results`` are what the message did, a retracted
    result replaced by its pending one.
    """

    def __init__(self, executor: Executor, ctx: CallContext) -> None:
        self._executor = executor
        self._ctx = ctx
        self.calls: list[ToolCall] = []
        self.results: list[ToolResult] = []
        self._bulk: list[tuple[int, ToolCall, int]] = []  # (index in results, call, audit id)
        self._expect_bulk = False

    def expect(self, calls: Sequence[ToolCall]) -> None:
        """The calls a model turn is about to apply: when they (with the moves already
        applied) make a bulk change, it is held from its first call on, as the rule path
        holds a bulk request it reads whole."""
        coming = sum(is_bulk_change(c.tool, c.args) for c in calls if isinstance(c.args, dict))
        if coming and len(self._bulk) + coming >= BULK_THRESHOLD:
            self._expect_bulk = True

    def __call__(self, call: ToolCall) -> ToolResult:
        result = self._apply(call)
        self.calls.append(call)
        self.results.append(result)
        return result

    def _apply(self, call: ToolCall) -> ToolResult:
        executor, ctx = self._executor, self._ctx
        args = call.args if isinstance(call.args, dict) else {}
        if (
            executor.pending is None
            or ctx.message_id is None
            or ctx.confirmed
            or ctx.hold_bulk
            or not is_bulk_change(call.tool, args)
        ):
            return executor.execute(call, ctx)
        if not self._expect_bulk and len(self._bulk) + 1 < BULK_THRESHOLD:
            result = executor.execute(call, ctx)
            if result.ok and result.kind != "pending" and result.audit_id is not None:
                self._bulk.append((len(self.results), call, result.audit_id))
            return result
        if not executor.dry_run(call, ctx).ok:
            return executor.execute(call, ctx)  # refused or invalid: not a change, not counted
        self._ctx = replace(ctx, hold_bulk=True)
        result = executor.retract_and_hold([(c, a) for _, c, a in self._bulk], call, ctx)
        if not result.ok:
            # The earlier changes could not be taken back (changed since): they stay, and
            # this one and every later one wait for “确认”.
            log.warning("retracting a bulk change failed: %s", result.error)
            return executor.execute(call, self._ctx)
        summary = result.summary or {}
        for index, earlier, _ in self._bulk:
            self.results[index] = ToolResult(
                tool=earlier.tool,
                ok=True,
                args=dict(earlier.args),
                kind="pending",
                summary={k: summary[k] for k in ("pending_id", "text", "lines")},
            )
        self._bulk = []
        return result


_JUDGED_BEFORE = frozenset({"query", "ask", "summarize", "report"})
"""Reads the executor judges before their handler (some are built around other services)."""


def describe_calls(calls: Sequence[ToolCall]) -> list[dict[str, Any]]:
    return [c.to_dict() for c in calls]
