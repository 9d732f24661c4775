"""Records a team's chat turns into, and the values that travel between the layers.

These are plain dataclasses: the storage layer maps them to tables, the API turns them into
JSON, and the engines never see the database. All datetimes are timezone-aware.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from datetime import datetime
from enum import StrEnum
from typing import Any

from assistant.domain.dialogue import DialogueState


class Role(StrEnum):
    ADMIN = "admin"
    PM = "pm"
    MEMBER = "member"


class ProjectStatus(StrEnum):
    ACTIVE = "active"
    PAUSED = "paused"
    DONE = "done"
    ARCHIVED = "archived"


class TaskStatus(StrEnum):
    TODO = "todo"
    IN_PROGRESS = "in_progress"
    BLOCKED = "blocked"
    DONE = "done"
    CANCELLED = "cancelled"

    @property
    def is_open(self) -> bool:
        return self not in (TaskStatus.DONE, TaskStatus.CANCELLED)


class Priority(StrEnum):
    LOW = "low"
    NORMAL = "normal"
    HIGH = "high"
    URGENT = "urgent"


class MeetingStatus(StrEnum):
    SCHEDULED = "scheduled"
    CANCELLED = "cancelled"
    DONE = "done"


class MessageKind(StrEnum):
    TEXT = "text"
    VOICE = "voice"
    FILE = "file"
    EVENT = "event"


class MessageState(StrEnum):
    """The inbox life cycle: received → processing → done, or → failed (retried) → dead."""

    RECEIVED = "received"
    PROCESSING = "processing"
    DONE = "done"
    FAILED = "failed"
    DEAD = "dead"


@dataclass(slots=True)
class Member:
    display_name: str
    id: int | None = None
    wecom_userid: str | None = None
    aliases: list[str] = field(default_factory=list)
    role: Role = Role.MEMBER
    created_at: datetime | None = None

    @property
    def names(self) -> list[str]:
        """Every name this member answers to, display name first."""
        out = [self.display_name, *self.aliases]
        if self.wecom_userid:
            out.append(self.wecom_userid)
        return out


@dataclass(slots=True)
class Project:
    name: str
    id: int | None = None
    owner_id: int | None = None
    deadline: datetime | None = None
    budget: float | None = None
    spent: float | None = None
    status: ProjectStatus = ProjectStatus.ACTIVE
    member_ids: list[int] = field(default_factory=list)
    created_at: datetime | None = None


# The WeCom channel's name, and the external id prefix of a member's own console chat with
# Qunmi (a WeCom app chat with one person is ``user:<userid>``).
WECOM_CHANNEL = "wecom"
PRIVATE_CHAT_PREFIX = "private:"


@dataclass(slots=True)
class Chat:
    """A group chat (or a console room), optionally linked to a project."""

    name: str
    id: int | None = None
    channel: str = "console"
    external_id: str | None = None
    project_id: int | None = None
    member_ids: list[int] = field(default_factory=list)
    settings: dict[str, Any] = field(default_factory=dict)  # per-chat switches, e.g. reminders
    created_at: datetime | None = None

    @property
    def private(self) -> bool:
        """A chat of one person with Qunmi (their WeCom app chat, their console chat)."""
        external = self.external_id or ""
        return (self.channel == WECOM_CHANNEL and external.startswith("user:")) or (
            self.channel == "console" and external.startswith(PRIVATE_CHAT_PREFIX)
        )


@dataclass(slots=True)
class Milestone:
    """A dated point of a project (提测, 上线, 验收…) that countdowns are sent for."""

    title: str
    due: datetime
    id: int | None = None
    project_id: int | None = None
    creator_id: int | None = None
    done: bool = False
    created_at: datetime | None = None
    cancelled_at: datetime | None = None  # set when its creation was undone


@dataclass(slots=True)
class Task:
    title: str
    id: int | None = None
    description: str | None = None
    assignee_id: int | None = None
    creator_id: int | None = None
    project_id: int | None = None
    due: datetime | None = None
    priority: Priority = Priority.NORMAL
    status: TaskStatus = TaskStatus.TODO
    estimate_hours: float | None = None
    cost: float | None = None
    created_at: datetime | None = None
    started_at: datetime | None = None
    completed_at: datetime | None = None
    source_message_id: int | None = None


@dataclass(slots=True)
class TaskEvent:
    """One change to a task: the history delay prediction learns from."""

    task_id: int
    kind: str  # created | status | due | assignee | note
    at: datetime
    id: int | None = None
    actor_id: int | None = None
    old: str | None = None
    new: str | None = None
    note: str | None = None


@dataclass(slots=True)
class Meeting:
    title: str
    start: datetime
    id: int | None = None
    end: datetime | None = None
    location: str | None = None
    attendee_ids: list[int] = field(default_factory=list)
    agenda: list[str] = field(default_factory=list)
    remind_before_minutes: list[int] = field(default_factory=list)
    status: MeetingStatus = MeetingStatus.SCHEDULED
    organizer_id: int | None = None
    project_id: int | None = None
    chat_id: int | None = None
    source_message_id: int | None = None
    transcript: str | None = None
    recurrence: str | None = None  # RFC 5545 RRULE; ``start`` is the first occurrence
    skipped_dates: list[str] = field(default_factory=list)  # ISO dates of cancelled occurrences
    created_at: datetime | None = None


@dataclass(slots=True)
class Message:
    """An inbox entry: stored before it is acknowledged, processed until done or dead."""

    channel: str
    external_id: str
    text: str
    received_at: datetime
    id: int | None = None
    chat_id: int | None = None
    sender_id: int | None = None
    kind: MessageKind = MessageKind.TEXT
    state: MessageState = MessageState.RECEIVED
    attempts: int = 0
    error: str | None = None
    payload: dict[str, Any] = field(default_factory=dict)
    result: dict[str, Any] | None = None
    next_attempt_at: datetime | None = None
    processed_at: datetime | None = None


@dataclass(slots=True)
class AuditEntry:
    """One applied tool call: who, what, with which arguments, the result, and how to undo it."""

    tool: str
    arguments: dict[str, Any]
    at: datetime
    id: int | None = None
    actor_id: int | None = None
    message_id: int | None = None
    idempotency_key: str | None = None
    result: dict[str, Any] = field(default_factory=dict)
    undo: dict[str, Any] | None = None
    undone_at: datetime | None = None
    undone_by_id: int | None = None


@dataclass(slots=True)
class Worker:
    """A process that claims inbox messages: who it is and when it was last seen alive."""

    id: str
    host: str
    pid: int
    started_at: datetime
    heartbeat_at: datetime


class JobState(StrEnum):
    QUEUED = "queued"
    RUNNING = "running"
    DONE = "done"
    FAILED = "failed"


@dataclass(slots=True)
class Job:
    """A background job, e.g. transcribing a meeting recording."""

    kind: str
    created_at: datetime
    updated_at: datetime
    id: int | None = None
    state: JobState = JobState.QUEUED
    progress: float = 0.0
    input_path: str | None = None
    params: dict[str, Any] = field(default_factory=dict)
    result: dict[str, Any] | None = None
    error: str | None = None
    meeting_id: int | None = None


class ScheduleState(StrEnum):
    """A scheduled job's life: pending → done, or cancelled (its cause went away), or, after its
    retries, failed; ``expired`` when it came too late to make sense (a reminder for a meeting
    that is over)."""

    PENDING = "pending"
    DONE = "done"
    CANCELLED = "cancelled"
    EXPIRED = "expired"
    FAILED = "failed"


@dataclass(slots=True)
class ScheduledJob:
    """One piece of scheduled work: what (``kind``), when (``due_at``), for whom (``chat_id``,
    ``member_id``), because of what (``source``, e.g. ``meeting:12``), under a unique ``key`` so
    that planning it twice stores it once."""

    kind: str
    key: str
    due_at: datetime
    created_at: datetime
    id: int | None = None
    source: str | None = None
    chat_id: int | None = None
    member_id: int | None = None
    payload: dict[str, Any] = field(default_factory=dict)
    state: ScheduleState = ScheduleState.PENDING
    attempts: int = 0
    error: str | None = None
    updated_at: datetime | None = None
    done_at: datetime | None = None
    result: dict[str, Any] | None = None


class OutboxState(StrEnum):
    """An outgoing message: pending → sending (claimed, with a lease) → sent; a failed send goes
    back to pending with a backoff; after its retries it is ``dead`` (kept, visible, retryable)."""

    PENDING = "pending"
    SENDING = "sending"
    SENT = "sent"
    DEAD = "dead"


@dataclass(slots=True)
class Recipient:
    """Someone a message addresses: by WeCom userid where known, by name otherwise."""

    name: str
    member_id: int | None = None
    userid: str | None = None

    def to_dict(self) -> dict[str, Any]:
        return {"name": self.name, "member_id": self.member_id, "userid": self.userid}


@dataclass(slots=True)
class OutboxMessage:
    """A message Qunmi sends, stored before it is sent and marked sent once."""

    kind: str
    text: str
    created_at: datetime
    id: int | None = None
    key: str | None = None  # unique when set: the same cause never stores two messages
    chat_id: int | None = None
    chat_name: str | None = None
    message_id: int | None = None  # the inbox message this answers
    job_id: int | None = None  # the scheduled job that produced it
    mentions: list[dict[str, Any]] = field(default_factory=list)  # Recipient dicts
    mention_all: bool = False
    images: list[str] = field(default_factory=list)  # PNG files sent after the text
    coalescible: bool = False  # may share one channel message with others for the same chat
    state: OutboxState = OutboxState.PENDING
    attempts: int = 0
    parts_sent: int = 0
    next_attempt_at: datetime | None = None
    channel: str | None = None
    bucket: str | None = None
    error: str | None = None
    sent_at: datetime | None = None


@dataclass(slots=True)
class Minutes:
    """Stored minutes of a meeting (or of a stretch of chat), linked to the meeting.

    ``action_items`` are proposals until confirmed: each is a dict with its number ``n``, a
    stable ``key`` (re-running the minutes keeps the state of an item with the same key),
    ``owner``, ``title``, ``due`` (ISO), ``source`` and ``line`` (the line it was said in),
    ``state`` (proposed, confirmed, dropped) and, once confirmed, ``task_id``.
    """

    created_at: datetime
    updated_at: datetime
    id: int | None = None
    meeting_id: int | None = None
    chat_id: int | None = None
    source: str = "transcript"  # recording | transcript | messages
    engine: str = "offline"
    title: str | None = None
    started_at: datetime | None = None
    summary: str = ""
    topics: list[dict[str, Any]] = field(default_factory=list)
    decisions: list[dict[str, Any]] = field(default_factory=list)
    action_items: list[dict[str, Any]] = field(default_factory=list)
    open_questions: list[dict[str, Any]] = field(default_factory=list)
    lines: list[dict[str, Any]] = field(default_factory=list)  # {"speaker", "text"} as heard
    created_by_id: int | None = None


@dataclass(frozen=True, slots=True)
class ToolCall:
    """A request to run one tool of the vocabulary, as an engine emits it."""

    tool: str
    args: dict[str, Any]
    call_id: str | None = None

    def to_dict(self) -> dict[str, Any]:
        return {"tool": self.tool, "args": dict(self.args)}


@dataclass(frozen=True, slots=True)
class IncomingMessage:
    """A chat message as an engine reads it."""

    text: str
    sender: str
    chat: str | None = None
    source: str = "text"  # text | voice
    message_id: int | None = None


@dataclass(frozen=True, slots=True)
class ChatContext:
    """What an engine knows besides the text: the time now, who is in the chat, the project.

    ``members`` maps each display name to the aliases it answers to, ``roles`` to its role.
    """

    now: datetime
    sender: str
    members: dict[str, list[str]] = field(default_factory=dict)
    roles: dict[str, str] = field(default_factory=dict)  # display name → admin / pm / member
    project: str | None = None
    open_tasks: list[str] = field(default_factory=list)
    upcoming_meetings: list[str] = field(default_factory=list)
    workday_end_hour: int = 18
    default_remind_before_minutes: int = 15
    # Actions an earlier, interrupted run already applied for this very message (a restart
    # after a crash): an engine that talks to a model tells it, so that nothing is done twice.
    already_applied: list[str] = field(default_factory=list)
    # The chat's dialogue state for the sender (``assistant.domain.dialogue``): the question
    # Qunmi is waiting on and the records it just touched, loaded by the service layer.
    dialogue: DialogueState = field(default_factory=DialogueState)
