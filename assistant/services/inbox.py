"""The inbox: every incoming message is stored before it is acknowledged, then processed
(engine → executor → reply cards) until it is done or, after its retries, dead."""

from __future__ import annotations

import hashlib
import logging
import os
import re
import socket
import threading
import time
import uuid
from collections.abc import Callable, Sequence
from dataclasses import dataclass, field
from datetime import datetime, timedelta, tzinfo
from typing import Any

from assistant.domain import (
    Chat,
    ChatContext,
    IncomingMessage,
    Member,
    Message,
    MessageKind,
    MessageState,
    ToolCall,
    Worker,
)
from assistant.errors import (
    Conflict,
    InvalidInput,
    ModelError,
    NotFound,
    QunmiError,
    TranscriptionError,
)
from assistant.identity import FIRST_PARTY_CHANNELS, clean_label, normalise_name
from assistant.ports import (
    ActingEngine,
    AgentOutcome,
    Clock,
    Engine,
    OutgoingCard,
)
from assistant.services.cards import render_results
from assistant.services.dialogue import DialogueMemory
from assistant.services.group_cards import (
    carries_budget,
    everyone_sees_budget,
    is_private_chat,
    private_chat,
    strip_text,
    without_budget,
)
from assistant.services.outbox import Outbox
from assistant.unit_of_work import UnitOfWork, UnitOfWorkFactory
from tools.executor import ActionRun, CallContext, Executor, MessageCalls, ToolResult

__all__ = [
    "Inbound",
    "Inbox",
    "MessageProcessor",
    "Outcome",
    "ProcessIdentity",
    "ProcessorConfig",
    "ensure_chat",
    "ensure_member",
    "follow_chat",
    "free_label",
    "identity_channel",
]

log = logging.getLogger(__name__)

_UNDO = re.compile(
    r"^\s*(?:@\S+\s*)?(撤销|撤回|撤销上一条|取消刚才的操作|undo)[。！!.\s]*$", re.IGNORECASE
)


def _uncorrected(results: list[ToolResult]) -> list[ToolResult]:
    """Results worth a card: a failed call the agent put right later (the same tool succeeded
    afterwards) was the model's slip, not news for the chat; it stays in the stored results."""
    return [
        r
        for i, r in enumerate(results)
        if r.ok or not any(later.ok and later.tool == r.tool for later in results[i + 1 :])
    ]


CardReplies = Callable[[str, int | None, Member, int | None], tuple[list[ToolResult], str] | None]
"""A reply to a card Qunmi posted (a minutes card's "确认1、3"): given the text, the chat, the
sender and the message, the results of what it did and a note for the chat — or ``None``
when the message is no such reply and the engine should read it."""


@dataclass(frozen=True, slots=True)
class Inbound:
    """A message as a channel hands it over, before it is stored."""

    channel: str
    chat: str
    sender: str
    text: str
    external_id: str | None = None
    kind: MessageKind = MessageKind.TEXT
    sender_name: str | None = None
    chat_name: str | None = None
    received_at: datetime | None = None
    payload: dict[str, Any] = field(default_factory=dict)
    sender_id: int | None = None
    """The member the channel authenticated (a token, a console session): used as it is."""


@dataclass(slots=True)
class Outcome:
    """What processing a message did: the actions the engine chose, their results, the cards."""

    message_id: int
    state: MessageState
    actions: list[dict[str, Any]] = field(default_factory=list)
    results: list[dict[str, Any]] = field(default_factory=list)
    cards: list[dict[str, Any]] = field(default_factory=list)
    engine: str | None = None
    error: str | None = None
    duplicate: bool = False

    def to_dict(self) -> dict[str, Any]:
        return {
            "message_id": self.message_id,
            "state": self.state.value,
            "engine": self.engine,
            "actions": self.actions,
            "results": self.results,
            "cards": self.cards,
            "error": self.error,
            "duplicate": self.duplicate,
        }


def identity_channel(channel: str) -> str:
    """The namespace a channel's sender ids live in: WeCom's app and bot share userids."""
    return "wecom" if channel.startswith("wecom") else channel


def free_label(uow: UnitOfWork, wanted: str, fallback: str) -> str:
    """``wanted`` as a display name, or with ``fallback`` added when another member's name or
    alias looks the same after normalisation (a label never takes over someone's name)."""
    label = clean_label(wanted)[:200] or fallback[:200]
    taken = {normalise_name(n) for m in uow.members.all() for n in m.names}
    if normalise_name(label) not in taken:
        return label
    for n in range(1, 100):
        candidate = f"{label[:150]}（{fallback[:40]}{'' if n == 1 else n}）"
        if normalise_name(candidate) not in taken:
            return candidate
    raise Conflict(f"无法为发送人“{fallback}”取一个不重复的名字")


def ensure_member(
    uow: UnitOfWork,
    sender: str,
    *,
    display_name: str | None,
    now: datetime,
    channel: str = "api",
    sender_id: int | None = None,
) -> Member:
    """The member behind a sender; a sender never seen before becomes a member.

    First-party channels (console, API, CLI, import: Qunmi authenticated the sender, or the
    local operator typed it) name members as they are known. Every other channel's sender is its
    (channel, verified id) pair in ``member_identities``: never matched by display name, so a
    bridge sender called "陈静" is a new member (labelled apart), not the admin 陈静."""
    if sender_id is not None:
        known = uow.members.get(sender_id)
        if known is None:
            raise NotFound(f"成员 {sender_id} 不存在")
        return known
    if channel in FIRST_PARTY_CHANNELS:
        member = uow.members.by_wecom_userid(sender) or uow.members.by_display_name(sender)
        if member is None:
            for candidate in uow.members.all():
                if sender in candidate.aliases:
                    return candidate
        if member is not None:
            return member
        name = free_label(uow, display_name or sender, sender)
        return uow.members.add(Member(display_name=name, created_at=now))
    namespace = identity_channel(channel)
    linked = uow.identities.member_for(namespace, sender)
    if linked is not None and (member := uow.members.get(linked)) is not None:
        return member
    member = uow.members.by_wecom_userid(sender) if namespace == "wecom" else None
    if member is None:
        member = uow.members.add(
            Member(
                display_name=free_label(uow, display_name or sender, sender),
                wecom_userid=sender if namespace == "wecom" else None,
                created_at=now,
            )
        )
    assert member.id is not None
    uow.identities.link(member.id, namespace, sender, now)
    return member


def follow_chat(uow: UnitOfWork, chat: Chat, member_id: int) -> None:
    """A project's members follow its WeCom group: whoever speaks in the group (WeCom verified
    they are in it) joins the chat and, when the chat is a project's, that project."""
    if member_id not in chat.member_ids:
        chat.member_ids.append(member_id)
        uow.chats.update(chat)
    if chat.project_id is None or not chat.channel.startswith("wecom"):
        return
    project = uow.projects.get(chat.project_id)
    if project is None or member_id in project.member_ids or member_id == project.owner_id:
        return
    project.member_ids.append(member_id)
    uow.projects.update(project)


def ensure_chat(
    uow: UnitOfWork, channel: str, chat: str, *, name: str | None, now: datetime
) -> Chat:
    """The chat ``chat`` names in ``channel``'s own namespace. Only first-party channels may
    name a first-party chat by its id ("12"): webhook chat "1" is never console chat 1."""
    found = uow.chats.by_external(channel, chat)
    if (
        found is None
        and channel in FIRST_PARTY_CHANNELS
        and chat.isascii()
        and chat.isdigit()
        and len(chat) <= 18
    ):
        # A bare number names a chat by id ("12"); "²" or a 20-digit number is just a name.
        by_id = uow.chats.get(int(chat))
        if by_id is not None and by_id.channel in FIRST_PARTY_CHANNELS:
            found = by_id
    if found is not None:
        return found
    return uow.chats.add(
        Chat(name=(name or chat)[:200], channel=channel, external_id=chat, created_at=now)
    )


class Inbox:
    """Stores messages, deduplicated by (channel, external id)."""

    def __init__(self, *, uow_factory: UnitOfWorkFactory, clock: Clock, max_chars: int) -> None:
        self._uow_factory = uow_factory
        self._clock = clock
        self._max_chars = max_chars
        self._chat_ids: dict[tuple[str, str], int] = {}
        self._sender_ids: dict[tuple[str, str, str | None, int | None], int] = {}
        self._joined: set[tuple[int, int]] = set()
        self._pending_cache: list[
            tuple[tuple[str, str], int, tuple[str, str, str | None, int | None], int]
        ] = []

    def check(self, inbound: Inbound) -> None:
        """``InvalidInput`` when the message cannot be stored (no chat or sender, too long)."""
        if not inbound.chat.strip() or not inbound.sender.strip():
            raise InvalidInput("消息必须带上群（chat）和发送人（sender）")
        if len(inbound.text) > self._max_chars:
            raise InvalidInput(f"消息太长：{len(inbound.text)} 个字符，最多 {self._max_chars} 个")
        if "\x00" in inbound.text:
            raise InvalidInput("消息里有非法字符（NUL）")

    def receive_many(self, inbounds: list[Inbound]) -> list[tuple[Message, bool] | QunmiError]:
        """Store several messages in one transaction (group commit): for each, the message and
        whether it was new, or the error that kept it out. Nothing is returned before the commit,
        so whatever is acknowledged on these results is durable. Called from one thread at a
        time (``InboxWriter``): it keeps a cache of chat and sender ids."""
        results: list[tuple[Message, bool] | QunmiError | None] = [None] * len(inbounds)
        now = self._clock.now()
        todo: list[int] = []
        for i, inbound in enumerate(inbounds):
            try:
                self.check(inbound)
                todo.append(i)
            except QunmiError as exc:
                results[i] = exc
        self._pending_cache.clear()
        try:
            stored = self._store_batch([inbounds[i] for i in todo], now) if todo else []
        except Conflict:
            self._pending_cache.clear()
            # Another process wrote one of these at the same moment: one by one, each retrying.
            stored = []
            for i in todo:
                try:
                    results[i] = self.receive(inbounds[i])
                except QunmiError as exc:
                    results[i] = exc
        except BaseException:
            self._pending_cache.clear()
            raise
        else:
            for chat_key, chat_id, sender_key, sender_id in self._pending_cache:
                self._chat_ids[chat_key] = chat_id
                self._sender_ids[sender_key] = sender_id
                self._joined.add((chat_id, sender_id))
            self._pending_cache.clear()
            for i, outcome in zip(todo, stored, strict=True):
                results[i] = outcome
        return [r if r is not None else InvalidInput("消息没有保存") for r in results]

    def _store_batch(self, inbounds: list[Inbound], now: datetime) -> list[tuple[Message, bool]]:
        """One transaction: one query for redeliveries, chats and senders from the cache of this
        process (they are never deleted) or set up once, one multi-row insert."""
        keyed = []
        for inbound in inbounds:
            received_at = inbound.received_at or now
            external_id = inbound.external_id or self._content_id(inbound, received_at)
            keyed.append((inbound, (inbound.channel, external_id), received_at))
        out: list[tuple[Message, bool] | None] = [None] * len(keyed)
        with self._uow_factory() as uow:
            found = uow.messages.existing([key for _, key, _ in keyed])
            fresh: list[tuple[int, Message]] = []
            first_of: dict[tuple[str, str], int] = {}
            for i, (inbound, key, received_at) in enumerate(keyed):
                if key in found:
                    out[i] = (found[key], False)
                    continue
                if key in first_of:  # the same message twice in one burst
                    continue
                chat_id, sender_id = self._place(uow, inbound, now)
                first_of[key] = i
                fresh.append(
                    (
                        i,
                        Message(
                            channel=inbound.channel,
                            external_id=key[1],
                            chat_id=chat_id,
                            sender_id=sender_id,
                            kind=inbound.kind,
                            text=inbound.text,
                            payload=dict(inbound.payload),
                            received_at=received_at,
                        ),
                    )
                )
            added = uow.messages.add_many([m for _, m in fresh])
            uow.commit()
        for (i, _), message in zip(fresh, added, strict=True):
            out[i] = (message, True)
        for i, (_, key, _) in enumerate(keyed):
            if out[i] is None:
                winner = out[first_of[key]]
                assert winner is not None
                out[i] = (winner[0], False)
        return [o for o in out if o is not None]

    def _place(self, uow: UnitOfWork, inbound: Inbound, now: datetime) -> tuple[int, int]:
        """The chat and sender ids of ``inbound``; a new chat, sender or membership is set up
        in ``uow`` and remembered."""
        chat_key = (inbound.channel, inbound.chat)
        sender_key = (inbound.channel, inbound.sender, inbound.sender_name, inbound.sender_id)
        chat_id = self._chat_ids.get(chat_key)
        sender_id = self._sender_ids.get(sender_key)
        if chat_id is not None and sender_id is not None and (chat_id, sender_id) in self._joined:
            return chat_id, sender_id
        chat = ensure_chat(uow, inbound.channel, inbound.chat, name=inbound.chat_name, now=now)
        sender = ensure_member(
            uow,
            inbound.sender,
            display_name=inbound.sender_name,
            now=now,
            channel=inbound.channel,
            sender_id=inbound.sender_id,
        )
        assert chat.id is not None and sender.id is not None
        follow_chat(uow, chat, sender.id)
        # Remembered only for ids that existed before this transaction: a rolled-back batch
        # must not leave ids behind that were never committed.
        self._pending_cache.append((chat_key, chat.id, sender_key, sender.id))
        return chat.id, sender.id

    def receive(self, inbound: Inbound) -> tuple[Message, bool]:
        """Store the message and commit. Returns it and whether it was new (False: a redelivery)."""
        self.check(inbound)
        now = self._clock.now()
        received_at = inbound.received_at or now
        external_id = inbound.external_id or self._content_id(inbound, received_at)
        # Concurrent first messages may race to create the same chat or member, or the same
        # message may arrive twice at once: the loser of such a race retries and then sees
        # the winner's records.
        for _attempt in range(3):
            try:
                return self._store(inbound, external_id, received_at, now)
            except Conflict:
                with self._uow_factory() as uow:
                    winner = uow.messages.by_external(inbound.channel, external_id)
                if winner is not None:
                    return winner, False
        raise Conflict("消息保存时与并发请求冲突，请重试")

    def _store(
        self, inbound: Inbound, external_id: str, received_at: datetime, now: datetime
    ) -> tuple[Message, bool]:
        with self._uow_factory() as uow:
            existing = uow.messages.by_external(inbound.channel, external_id)
            if existing is not None:
                return existing, False
            chat = ensure_chat(uow, inbound.channel, inbound.chat, name=inbound.chat_name, now=now)
            sender = ensure_member(
                uow,
                inbound.sender,
                display_name=inbound.sender_name,
                now=now,
                channel=inbound.channel,
                sender_id=inbound.sender_id,
            )
            assert sender.id is not None
            follow_chat(uow, chat, sender.id)
            message = uow.messages.add(
                Message(
                    channel=inbound.channel,
                    external_id=external_id,
                    chat_id=chat.id,
                    sender_id=sender.id,
                    kind=inbound.kind,
                    text=inbound.text,
                    payload=dict(inbound.payload),
                    received_at=received_at,
                )
            )
            uow.commit()
            return message, True

    @staticmethod
    def _content_id(inbound: Inbound, received_at: datetime) -> str:
        """Messages without an id of their own are identified by content and second."""
        raw = f"{inbound.chat}\n{inbound.sender}\n{received_at.isoformat(timespec='seconds')}\n{inbound.text}"
        return "h" + hashlib.sha256(raw.encode()).hexdigest()[:32]


def _pid_alive(pid: int) -> bool:
    try:
        os.kill(pid, 0)
    except ProcessLookupError:
        return False
    except PermissionError:
        return True  # someone else's process: alive
    return True


@dataclass(frozen=True, slots=True)
class ProcessIdentity:
    """Who holds a lease: this host, this process id, and a token for this very start (a pid
    can come back after a restart, PID 1 in a container always does)."""

    id: str
    host: str
    pid: int

    @classmethod
    def current(cls) -> ProcessIdentity:
        host, pid = socket.gethostname()[:100], os.getpid()
        return cls(id=f"{host}/{pid}/{uuid.uuid4().hex[:8]}", host=host, pid=pid)

    def sees_dead(self, other: Worker | None, *, now: datetime, timeout: timedelta) -> bool:
        """Whether the process ``other`` is certainly gone: unknown, silent for ``timeout``, or
        on this host with its pid gone or taken by this very process."""
        if other is None:
            return True
        if other.id == self.id:
            return False
        if other.host == self.host and (other.pid == self.pid or not _pid_alive(other.pid)):
            return True
        return now - other.heartbeat_at > timeout


@dataclass(frozen=True, slots=True)
class ProcessorConfig:
    tz: tzinfo
    max_attempts: int = 5
    base_backoff: timedelta = timedelta(seconds=5)
    lease: timedelta = timedelta(minutes=5)
    heartbeat_every: float = 5.0  # seconds between heartbeats of this process
    heartbeat_timeout: timedelta = timedelta(seconds=30)  # silent this long: dead
    recover_every: float = 2.0  # seconds between looks for leases held by dead processes
    console_url: str = ""
    workday_end_hour: int = 18
    default_remind_before_minutes: int = 15


class MessageProcessor:
    """Processes one stored message: engine → executor → cards → outbox.

    Safe to call more than once for the same message (a retry, a redelivery, two workers):
    a claimed message is processed by one caller, a finished one returns its stored outcome,
    and the executor applies each action at most once per message.
    """

    def __init__(
        self,
        *,
        uow_factory: UnitOfWorkFactory,
        engine: Engine,
        executor: Executor,
        clock: Clock,
        config: ProcessorConfig,
        outbox: Outbox | None = None,
        transcribe: Callable[[Message], str] | None = None,
        replies: Sequence[CardReplies] = (),
        files: Callable[[Message], str | None] | None = None,
        dialogue: DialogueMemory | None = None,
    ) -> None:
        self._uow_factory = uow_factory
        self._dialogue = dialogue or DialogueMemory()
        self.engine = engine
        self._executor = executor
        self._clock = clock
        self._config = config
        self._outbox = outbox
        self._transcribe = transcribe
        self._files = files  # a file message's file into the project folder; returns a reply
        self._replies = list(replies)
        self.identity = ProcessIdentity.current()
        self._started = clock.now()
        self._last_beat = float("-inf")
        self._beat_lock = threading.Lock()
        self._last_recover = float("-inf")

    # -- leases -----------------------------------------------------------------------------
    def heartbeat(self, *, force: bool = False) -> None:
        """Say that this process is alive (at most every ``heartbeat_every`` seconds)."""
        if not force and time.monotonic() - self._last_beat < self._config.heartbeat_every:
            return
        me = self.identity
        with self._beat_lock:  # threads of this process share one identity: one writer
            if not force and time.monotonic() - self._last_beat < self._config.heartbeat_every:
                return
            with self._uow_factory() as uow:
                uow.workers.beat(
                    Worker(
                        id=me.id,
                        host=me.host,
                        pid=me.pid,
                        started_at=self._started,
                        heartbeat_at=self._clock.now(),
                    )
                )
                uow.commit()
            self._last_beat = time.monotonic()

    def recover(self, *, force: bool = False) -> int:
        """Make the messages whose lease holder died claimable now, instead of when the lease
        runs out (a restart picks up what the crashed process was working on at once).
        Returns how many messages were released."""
        if not force and time.monotonic() - self._last_recover < self._config.recover_every:
            return 0
        self._last_recover = time.monotonic()
        now = self._clock.now()
        with self._uow_factory() as uow:
            holders = uow.messages.holders(excluding=self.identity.id)
            dead = {
                owner
                for owner in holders
                if self.identity.sees_dead(
                    uow.workers.get(owner), now=now, timeout=self._config.heartbeat_timeout
                )
            }
            if not dead:
                return 0
            released = uow.messages.release(dead, now)
            uow.workers.forget(dead)
            uow.commit()
        log.warning("took over %d message(s) from %d dead process(es)", released, len(dead))
        return released

    def pending(self, limit: int = 50) -> list[int]:
        self.heartbeat()
        self.recover()
        with self._uow_factory() as uow:
            return [
                m.id
                for m in uow.messages.due_for_processing(self._clock.now(), limit)
                if m.id is not None
            ]

    def process(self, message_id: int, *, wait_seconds: float = 0.0) -> Outcome:
        """Process the message now. When another worker holds it, return its stored state at
        once, or (``wait_seconds``) wait that long for that worker's outcome."""
        self.heartbeat()
        now = self._clock.now()
        with self._uow_factory() as uow:
            message = uow.messages.get(message_id)
            if message is None:
                raise NotFound(f"消息 {message_id} 不存在")
            if message.state in (MessageState.DONE, MessageState.DEAD):
                return self._stored_outcome(message, duplicate=True)
            claimed = uow.messages.claim(
                message_id, now, now + self._config.lease, owner=self.identity.id
            )
            if claimed:
                uow.commit()
        if not claimed:
            return self._await(message_id, wait_seconds)
        try:
            outcome = self._run(message_id)
        except Exception as exc:  # noqa: BLE001 - any failure must leave a visible, retryable state
            log.exception("processing message %s failed", message_id)
            return self._fail(message_id, exc)
        return outcome

    def _await(self, message_id: int, wait_seconds: float) -> Outcome:
        """The outcome of a message another worker is processing, once it is finished (or its
        state when ``wait_seconds`` run out)."""
        deadline = time.monotonic() + wait_seconds
        delay = 0.02
        while True:
            with self._uow_factory() as uow:
                message = uow.messages.get(message_id)
            assert message is not None
            finished = message.state in (MessageState.DONE, MessageState.DEAD, MessageState.FAILED)
            if finished or time.monotonic() >= deadline:
                return self._stored_outcome(message, duplicate=True)
            time.sleep(delay)
            delay = min(delay * 1.5, 0.25)

    def _stored_outcome(self, message: Message, *, duplicate: bool) -> Outcome:
        result = message.result or {}
        return Outcome(
            message_id=message.id or 0,
            state=message.state,
            actions=result.get("actions", []),
            results=result.get("results", []),
            cards=result.get("cards", []),
            engine=result.get("engine"),
            error=message.error,
            duplicate=duplicate,
        )

    def _context(
        self, uow: UnitOfWork, message: Message
    ) -> tuple[IncomingMessage, ChatContext, Member]:
        sender = uow.members.get(message.sender_id) if message.sender_id else None
        if sender is None:
            raise NotFound("消息的发送人不存在")
        chat = uow.chats.get(message.chat_id) if message.chat_id else None
        member_ids = list(chat.member_ids) if chat else []
        project_name = None
        if chat and chat.project_id:
            project = uow.projects.get(chat.project_id)
            if project is not None:
                project_name = project.name
                member_ids.extend(project.member_ids)
        everyone = {m.id: m for m in uow.members.all()}
        in_chat = [everyone[i] for i in dict.fromkeys(member_ids) if i in everyone]
        if sender not in in_chat:
            in_chat.append(sender)
        # The rest of the team, after the chat's own members: people name colleagues who have
        # not spoken in this chat yet ("李四，下周一前把报告写完").
        in_chat.extend(m for m in everyone.values() if m not in in_chat)
        tz = self._config.tz
        open_tasks = uow.tasks.open_titles(limit=50)
        meetings = uow.meetings.upcoming_titles(after=message.received_at, limit=20)
        context = ChatContext(
            now=message.received_at.astimezone(self._config.tz),
            sender=sender.display_name,
            members={m.display_name: list(m.aliases) for m in in_chat},
            roles={m.display_name: m.role.value for m in in_chat},
            project=project_name,
            open_tasks=[f"#{task_id} {title}" for task_id, title in open_tasks],
            upcoming_meetings=[
                f"#{meeting_id} {title}（{start.astimezone(tz):%m-%d %H:%M}）"
                for meeting_id, title, start in meetings
            ],
            workday_end_hour=self._config.workday_end_hour,
            default_remind_before_minutes=self._config.default_remind_before_minutes,
            already_applied=self._already_applied(uow, message),
            dialogue=self._dialogue.load(uow, message.chat_id, sender, message.received_at),
        )
        incoming = IncomingMessage(
            text=message.text,
            sender=sender.display_name,
            chat=chat.name if chat else None,
            source="voice" if message.kind == MessageKind.VOICE else "text",
            message_id=message.id,
        )
        return incoming, context, sender

    @staticmethod
    def _already_applied(uow: UnitOfWork, message: Message) -> list[str]:
        """What an interrupted earlier run applied for this message, one line each."""
        if message.id is None or message.attempts <= 1:
            return []
        entries = uow.audit.list(filters={"message_id": message.id}, limit=50, order="id").items
        lines = []
        for entry in entries:
            if entry.undone_at is not None or entry.tool == "undo":
                continue
            record = entry.result.get("record") or {}
            label = record.get("title") or record.get("name") or record.get("display_name") or ""
            ident = f" #{record['id']}" if isinstance(record.get("id"), int) else ""
            lines.append(f"{entry.tool}{ident}「{label}」" if label else f"{entry.tool}{ident}")
        return lines

    @staticmethod
    def _voice_terms(uow: UnitOfWork, message: Message) -> dict[str, list[str]]:
        """Names and project words to bias the transcriber towards."""
        chat = uow.chats.get(message.chat_id) if message.chat_id else None
        in_chat = set(chat.member_ids) if chat is not None else set()
        names: list[str] = []
        terms: list[str] = []
        for member in sorted(uow.members.all(), key=lambda m: m.id not in in_chat):
            names.extend([member.display_name, *member.aliases])
        if chat is not None:
            project = uow.projects.get(chat.project_id) if chat.project_id else None
            if project is not None:
                terms.append(project.name)
            terms.extend(
                t.title
                for t in uow.tasks.list(
                    filters={"open": True, "project_id": chat.project_id}, limit=10, order="-id"
                ).items
            )
        return {"members": names[:30], "terms": terms[:10]}

    def _run(self, message_id: int) -> Outcome:
        with self._uow_factory() as uow:
            message = uow.messages.get(message_id)
            assert message is not None
            if message.kind == MessageKind.VOICE and not message.text:
                if self._transcribe is None:
                    raise TranscriptionError("这个实例没有配置语音转写")
                message.payload["prompt_terms"] = self._voice_terms(uow, message)
                message.text = self._transcribe(message)
                message = uow.messages.update(message)
                uow.commit()
            if (
                (
                    message.kind == MessageKind.FILE
                    or message.payload.get("file_urls")  # pictures in a 图文混排 message
                    or message.payload.get("file_refused")
                )
                and self._files is not None
                and "document_id" not in message.payload
            ):
                note = self._files(message)
                if note:
                    message.payload["file_note"] = note
                message = uow.messages.update(message)
                uow.commit()
            incoming, context, sender = self._context(uow, message)
        ctx = CallContext(
            actor=sender.id or 0, chat_id=message.chat_id, message_id=message.id, run=ActionRun()
        )
        agent: AgentOutcome | None = None
        note = ""
        replied = (
            None if _UNDO.match(incoming.text) else self._card_reply(incoming, message, sender)
        )
        if _UNDO.match(incoming.text):
            calls: list[ToolCall] = []
            results = self._undo_last(message, sender)
            engine_name = "command"
        elif replied is not None:
            calls = []
            results, note = replied
            engine_name = "card"
        elif isinstance(self.engine, ActingEngine):
            calls, results, agent = self._act(self.engine, incoming, context, ctx)
            engine_name = agent.route
            if agent.requeue:
                self._keep_record(message_id, agent)
                raise ModelError(agent.error or "模型暂时不可用，稍后重试")
        else:
            calls = self.engine.understand(incoming, context)
            results = self._executor.execute_all(calls, ctx)
            engine_name = getattr(self.engine, "last_route", None) or self.engine.name
        shown = results if agent is None else _uncorrected(results)
        texts = ([agent.reply] if agent is not None and agent.reply else []) + (
            [note] if note else []
        )
        private = self._private_part(message, shown, texts)
        if private:
            # The group sees what all its members may see; the requester gets it all alone.
            shown = [without_budget(r) for r in shown if not (r.ok and r.kind == "budget")]
        cards = render_results(
            shown, tz=self._config.tz, now=context.now, console_url=self._config.console_url
        )
        if agent is not None and agent.reply:
            kind = "error" if agent.retry_llm else "answer"
            text = strip_text(agent.reply) if private else agent.reply
            if text:
                cards.append(OutgoingCard(text=text, kind=kind))
        if note:
            cards.append(OutgoingCard(text=strip_text(note) if private else note, kind="answer"))
        if private:
            cards.append(
                OutgoingCard(
                    text=(
                        f"🔒 预算和费用只给项目经理和管理员看：完整内容已单独发给 "
                        f"{sender.display_name}。"
                    ),
                    kind="answer",
                )
            )
            private_cards = render_results(
                [r for r in results if carries_budget(r)],
                tz=self._config.tz,
                now=context.now,
                console_url=self._config.console_url,
            ) + [OutgoingCard(text=t, kind="answer") for t in texts if carries_budget(t)]
        else:
            private_cards = []
        if message.payload.get("file_note"):
            cards.insert(0, OutgoingCard(text=str(message.payload["file_note"]), kind="answer"))
        if message.kind == MessageKind.VOICE and incoming.text and (calls or results):
            cards.insert(0, OutgoingCard(text=f"🎙️ 听到：{incoming.text}", kind="answer"))
        outcome = Outcome(
            message_id=message_id,
            state=MessageState.DONE,
            actions=[c.to_dict() for c in calls],
            results=[r.to_dict() for r in results],
            cards=[{"text": c.text, "kind": c.kind, "mentions": list(c.mentions)} for c in cards],
            engine=engine_name,
        )
        queued: list[int] = []
        with self._uow_factory() as uow:
            stored = uow.messages.get(message_id)
            assert stored is not None
            stored.state = MessageState.DONE
            stored.error = None
            stored.result = {
                k: v
                for k, v in outcome.to_dict().items()
                if k in ("actions", "results", "cards", "engine")
            }
            if agent is not None:
                stored.result.update(self._agent_result(agent))
            stored.processed_at = self._clock.now()
            stored.next_attempt_at = None
            uow.messages.update(stored)
            if engine_name != "command":
                # The dialogue state moves with the outcome, in the same transaction.
                self._dialogue.record(
                    uow,
                    chat_id=message.chat_id,
                    member=sender,
                    message_id=message_id,
                    calls=calls,
                    results=results,
                    now=message.received_at,
                )
            if self._outbox is not None:
                # The replies are stored with the message's outcome, in one transaction:
                # a message done is a message whose replies will be sent.
                for i, card in enumerate(cards):
                    queued_card = OutgoingCard(
                        text=card.text,
                        chat=incoming.chat,
                        mentions=card.mentions,
                        kind=card.kind,
                        chat_id=message.chat_id,
                        message_id=message_id,
                        images=card.images,  # a report's charts go out after its text
                    )
                    row = self._outbox.put(
                        uow, queued_card, now=stored.processed_at, key=f"reply:{message_id}:{i}"
                    )
                    if row.id is not None:
                        queued.append(row.id)
                if private_cards:
                    own = private_chat(uow, sender, stored.processed_at)
                    for i, card in enumerate(private_cards):
                        row = self._outbox.put(
                            uow,
                            OutgoingCard(
                                text=card.text,
                                chat=own.name,
                                kind=card.kind,
                                chat_id=own.id,
                                images=card.images,
                            ),
                            now=stored.processed_at,
                            key=f"private:{message_id}:{i}",
                        )
                        if row.id is not None:
                            queued.append(row.id)
            uow.commit()
        if self._outbox is not None and queued:
            try:
                self._outbox.deliver(queued)
            except Exception:  # noqa: BLE001 - a failed send stays in the outbox for a retry
                log.exception("sending the replies to message %s failed", message_id)
            self._outbox.wake()
        return outcome

    def _private_part(self, message: Message, results: list[ToolResult], texts: list[str]) -> bool:
        """Whether the replies carry budget figures that someone in the chat may not see."""
        if not any(carries_budget(r) for r in results) and not any(
            carries_budget(t) for t in texts
        ):
            return False
        with self._uow_factory() as uow:
            chat = uow.chats.get(message.chat_id) if message.chat_id is not None else None
            if chat is not None and is_private_chat(chat):
                return False
            return not everyone_sees_budget(uow, chat, self._executor.policy)

    def _card_reply(
        self, incoming: IncomingMessage, message: Message, sender: Member
    ) -> tuple[list[ToolResult], str] | None:
        for handler in self._replies:
            try:
                handled = handler(incoming.text, message.chat_id, sender, message.id)
            except QunmiError as exc:
                return [], f"⚠️ {exc.reason}"
            if handled is not None:
                return handled
        return None

    def _act(
        self,
        engine: ActingEngine,
        incoming: IncomingMessage,
        context: ChatContext,
        ctx: CallContext,
    ) -> tuple[list[ToolCall], list[ToolResult], AgentOutcome]:
        """Let an acting engine apply its calls itself, through this executor, as the sender."""
        apply = MessageCalls(self._executor, ctx)
        outcome = engine.run(incoming, context, apply)
        return apply.calls, apply.results, outcome

    @staticmethod
    def _agent_result(agent: AgentOutcome) -> dict[str, Any]:
        extra = dict(agent.record)
        if agent.retry_llm:
            extra["retry_llm"] = True
            extra["llm_error"] = agent.error
        return extra

    def _keep_record(self, message_id: int, agent: AgentOutcome) -> None:
        """Store what the model exchange left before the message goes back to the queue."""
        with self._uow_factory() as uow:
            stored = uow.messages.get(message_id)
            assert stored is not None
            stored.result = {"engine": agent.route, **self._agent_result(agent)}
            uow.messages.update(stored)
            uow.commit()

    def _undo_last(self, message: Message, sender: Member) -> list[ToolResult]:
        """Undo the calls applied for the sender's latest message in this chat that has any."""
        with self._uow_factory() as uow:
            recent = uow.messages.list(
                filters={
                    "chat_id": message.chat_id,
                    "sender_id": sender.id,
                    "state": MessageState.DONE,
                },
                limit=20,
                order="-id",
            ).items
            target_ids: list[int] = []
            for earlier in recent:
                entries = uow.audit.list(filters={"message_id": earlier.id}, limit=50).items
                live = [
                    e.id
                    for e in entries
                    if e.undone_at is None and e.undo is not None and e.id is not None
                ]
                if live:
                    target_ids = live
                    break
        if not target_ids:
            return [ToolResult.failure("undo", {}, NotFound("没有找到你最近可以撤销的操作。"))]
        return [
            self._executor.undo(audit_id, actor=sender.id or 0) for audit_id in reversed(target_ids)
        ]

    def _fail(self, message_id: int, exc: Exception) -> Outcome:
        reason = exc.reason if isinstance(exc, QunmiError) else f"{type(exc).__name__}: {exc}"
        with self._uow_factory() as uow:
            stored = uow.messages.get(message_id)
            assert stored is not None
            if stored.attempts >= self._config.max_attempts:
                stored.state = MessageState.DEAD
                stored.next_attempt_at = None
            else:
                stored.state = MessageState.FAILED
                delay = self._config.base_backoff * (2 ** max(stored.attempts - 1, 0))
                stored.next_attempt_at = self._clock.now() + delay
            stored.error = reason[:2000]
            uow.messages.update(stored)
            uow.commit()
            return Outcome(message_id=message_id, state=stored.state, error=stored.error)

    def replay(self, message_id: int) -> Outcome:
        """Put a failed or dead message back in the queue and process it now."""
        with self._uow_factory() as uow:
            stored = uow.messages.get(message_id)
            if stored is None:
                raise NotFound(f"消息 {message_id} 不存在")
            if stored.state not in (MessageState.DEAD, MessageState.FAILED):
                raise InvalidInput(
                    f"消息 {message_id} 的状态是 {stored.state.value}，只有失败或死信消息可以重放"
                )
            stored.state = MessageState.RECEIVED
            stored.attempts = 0
            stored.next_attempt_at = None
            uow.messages.update(stored)
            uow.commit()
        return self.process(message_id)
