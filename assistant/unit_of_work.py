"""The storage port: repositories behind a unit of work.

Use cases open one unit of work per atomic change::

    with uow_factory() as uow:
        task = uow.tasks.add(Task(title="出设计稿"))
        uow.commit()

Leaving the block without ``commit()`` rolls everything back.
"""

from __future__ import annotations

from collections.abc import Callable, Sequence
from dataclasses import dataclass
from datetime import datetime
from types import TracebackType
from typing import TYPE_CHECKING, Any, Generic, Protocol, Self, TypeVar

from assistant.domain import (
    AuditEntry,
    Chat,
    DialogueEntry,
    Job,
    Meeting,
    Member,
    Message,
    Milestone,
    Minutes,
    OutboxMessage,
    Project,
    ScheduledJob,
    Task,
    TaskEvent,
    Worker,
)
from assistant.identity import ApiToken, LoginLink

if TYPE_CHECKING:
    from assistant.files import DocumentRepository
    from assistant.memory.ports import HistoryRepository

__all__ = [
    "AuditRepository",
    "ChatRepository",
    "DialogueRepository",
    "IdentityRepository",
    "JobRepository",
    "LeaseRepository",
    "MeetingRepository",
    "MemberRepository",
    "MessageRepository",
    "MilestoneRepository",
    "OutboxRepository",
    "MinutesRepository",
    "Page",
    "ProjectRepository",
    "Repository",
    "ScheduleRepository",
    "TaskRepository",
    "UnitOfWork",
    "UnitOfWorkFactory",
    "WorkerRepository",
]

T = TypeVar("T")


@dataclass(frozen=True, slots=True)
class Page(Generic[T]):
    items: list[T]
    total: int
    limit: int
    offset: int


class Repository(Protocol[T]):
    """Common operations. ``filters`` are equality filters on record fields, ``id_in`` (a list
    of ids), plus the special keys documented on each repository."""

    def get(self, record_id: int) -> T | None: ...

    def add(self, record: T) -> T: ...

    def update(self, record: T) -> T: ...

    def delete(self, record_id: int) -> None: ...

    def list(
        self,
        *,
        filters: dict[str, Any] | None = None,
        limit: int = 100,
        offset: int = 0,
        order: str | None = None,
    ) -> Page[T]: ...


class MemberRepository(Repository[Member], Protocol):
    def all(self) -> list[Member]: ...

    def by_display_name(self, name: str) -> Member | None: ...

    def by_wecom_userid(self, userid: str) -> Member | None: ...


class ProjectRepository(Repository[Project], Protocol):
    def by_name(self, name: str) -> Project | None: ...

    def all(self) -> list[Project]: ...

    def role_of(self, project_id: int, member_id: int) -> str | None:
        """The member's role in the project ("pm" / "member"); ``None`` when not a member."""
        ...

    def set_role(self, project_id: int, member_id: int, role: str) -> None:
        """Set a project member's role ("pm" / "member")."""
        ...

    def roles(self, project_id: int) -> dict[int, str]:
        """Member id → role in the project."""
        ...


class ChatRepository(Repository[Chat], Protocol):
    def by_external(self, channel: str, external_id: str) -> Chat | None: ...


class TaskRepository(Repository[Task], Protocol):
    """Filters: ``status_in`` (list), ``open`` (bool), ``due_before`` / ``due_after``
    (datetime), ``q`` (title contains)."""

    def add_event(self, event: TaskEvent) -> TaskEvent: ...

    def open_titles(self, limit: int = 50) -> list[tuple[int, str]]:
        """(id, title) of the newest open tasks, cheaply (no records built)."""
        ...

    def events(self, task_id: int) -> list[TaskEvent]: ...

    def events_between(
        self, since: datetime, until: datetime, *, kinds: Sequence[str] | None = None
    ) -> list[TaskEvent]:
        """Every task's events with ``since < at <= until`` (of ``kinds``), in one query."""
        ...

    def recent_open(
        self, *, assignee_id: int | None, since: datetime, limit: int = 100
    ) -> list[tuple[int, str]]:
        """(id, title) of open tasks of ``assignee_id`` (None: unassigned) created since
        ``since``, newest first, cheaply."""
        ...


class MeetingRepository(Repository[Meeting], Protocol):
    """Filters: ``start_after`` / ``start_before`` (datetime), ``attendee_id`` (int),
    ``recurring`` (bool), ``q`` (title contains)."""

    def upcoming_titles(
        self, *, after: datetime, limit: int = 20
    ) -> list[tuple[int, str, datetime]]:
        """(id, title, start) of scheduled meetings starting after ``after``, soonest first."""
        ...


class MessageRepository(Repository[Message], Protocol):
    def by_external(self, channel: str, external_id: str) -> Message | None: ...

    def count_by_sender(
        self, since: datetime, until: datetime, *, chat_ids: Sequence[int] | None = None
    ) -> dict[int, int]:
        """Messages (not events) per sender received in (since, until], in ``chat_ids`` when
        given, in one query."""
        ...

    def existing(self, keys: list[tuple[str, str]]) -> dict[tuple[str, str], Message]:
        """The stored messages among (channel, external id) ``keys``, in one query."""
        ...

    def add_many(self, messages: list[Message]) -> list[Message]:
        """Insert new messages in one statement; returns them with their ids."""
        ...

    def due_for_processing(self, now: datetime, limit: int = 50) -> list[Message]: ...

    def claim(
        self, message_id: int, now: datetime, lease_until: datetime, owner: str | None = None
    ) -> bool:
        """Take the message for processing (``owner`` holds the lease); False when it is not
        claimable (someone else holds it, or it is finished)."""
        ...

    def holders(self, *, excluding: str) -> set[str]:
        """The owners of the leases currently held by processes other than ``excluding``."""
        ...

    def release(self, owners: set[str], now: datetime) -> int:
        """Make the messages held by ``owners`` claimable now (their holders are dead)."""
        ...


class AuditRepository(Repository[AuditEntry], Protocol):
    def by_key(self, key: str) -> AuditEntry | None: ...


class WorkerRepository(Protocol):
    """The processes that claim messages, with their heartbeats."""

    def beat(self, worker: Worker) -> None:
        """Record that ``worker`` is alive (insert or update)."""
        ...

    def get(self, worker_id: str) -> Worker | None: ...

    def forget(self, worker_ids: set[str]) -> None: ...


class JobRepository(Repository[Job], Protocol):
    """Background jobs (transcriptions)."""


class MilestoneRepository(Repository[Milestone], Protocol):
    """Filters: ``due_after`` / ``due_before`` (datetime); ``cancelled`` (bool): milestones
    whose creation was undone are left out unless it is given."""


class ScheduleRepository(Repository[ScheduledJob], Protocol):
    """Scheduled work. Filters: ``state``, ``kind``, ``source``, ``chat_id``, ``due_before`` /
    ``due_after`` (datetime)."""

    def plan(self, jobs: Sequence[ScheduledJob]) -> int:
        """Store jobs by key: a new key is inserted, a pending or cancelled one takes the new due
        time (and a cancelled one is pending again); done ones are left alone. Safe against a
        concurrent planner of the same keys. Returns how many rows were inserted or changed."""
        ...

    def cancel_unplanned(
        self,
        *,
        sources: Sequence[str] | None,
        kinds: Sequence[str],
        keep: set[str],
        after: datetime,
    ) -> int:
        """Cancel pending jobs of ``kinds`` (of ``sources``, or of any source when None) due
        after ``after`` whose key is not in ``keep``. Returns how many."""
        ...

    def due(
        self, now: datetime, limit: int = 100, *, kinds: Sequence[str] | None = None
    ) -> list[ScheduledJob]:
        """Pending jobs (of ``kinds``) due at ``now``, soonest first."""
        ...

    def next_due_at(self) -> datetime | None: ...

    def finish(
        self, job_id: int, *, state: str, now: datetime, result: dict[str, Any] | None = None
    ) -> bool:
        """Move a pending job to ``state`` — only if it is still pending (False: someone else
        ran it)."""
        ...


class OutboxRepository(Repository[OutboxMessage], Protocol):
    """Outgoing messages. Filters: ``state``, ``kind``, ``chat_id``, ``message_id``."""

    def add_once(self, message: OutboxMessage) -> OutboxMessage:
        """Store a message; one with the key of a stored one returns the stored one instead."""
        ...

    def claimable(
        self, now: datetime, limit: int = 100, ids: Sequence[int] | None = None
    ) -> list[OutboxMessage]:
        """Messages to send now: pending and due, or sending with an expired lease."""
        ...

    def claim(self, message_id: int, now: datetime, lease_until: datetime) -> bool:
        """Take a message for sending; False when someone else holds it or it is sent."""
        ...

    def claim_many(
        self, message_ids: Sequence[int], now: datetime, lease_until: datetime
    ) -> set[int]:
        """``claim`` for several at once; returns the ids taken."""
        ...

    def mark(self, message_ids: Sequence[int], **values: Any) -> None:
        """Set columns of several messages at once (states after a send)."""
        ...

    def parts_sent_since(self, bucket: str, since: datetime) -> int:
        """Channel messages sent through ``bucket`` (a robot key…) since ``since``."""
        ...


class LeaseRepository(Protocol):
    """Named leases in the database: one holder at a time until the lease expires."""

    def acquire(self, name: str, holder: str, now: datetime, until: datetime) -> bool:
        """Take or renew ``name`` for ``holder`` until ``until``; False while another holds it."""
        ...

    def release(self, name: str, holder: str) -> None: ...

    def holder(self, name: str, now: datetime) -> str | None: ...


class MinutesRepository(Repository[Minutes], Protocol):
    """Filters: ``meeting_id``, ``chat_id`` (equality)."""

    def by_meeting(self, meeting_id: int) -> Minutes | None: ...


class IdentityRepository(Protocol):
    """Verified channel identities, API tokens, one-time sign-in links (``assistant.identity``)."""

    def member_for(self, channel: str, external_id: str) -> int | None: ...

    def link(self, member_id: int, channel: str, external_id: str, now: datetime) -> None: ...

    def identities_of(self, member_id: int) -> list[tuple[str, str]]: ...

    def add_token(self, token: ApiToken) -> ApiToken: ...

    def token_by_hash(self, token_hash: str) -> ApiToken | None: ...

    def token(self, token_id: int) -> ApiToken | None: ...

    def tokens(self, *, member_id: int | None = None) -> list[ApiToken]: ...

    def any_active_token(self, now: datetime) -> bool: ...

    def revoke_token(self, token_id: int, now: datetime) -> ApiToken | None: ...

    def touch_token(self, token_id: int, now: datetime) -> None: ...

    def add_link(self, link: LoginLink) -> LoginLink: ...

    def links_since(self, member_id: int, since: datetime) -> int: ...

    def use_link(self, token_hash: str, now: datetime) -> int | None: ...


class DialogueRepository(Protocol):
    """The chats' dialogue state (``assistant.services.dialogue``): appended, closed, pruned."""

    def add(self, entry: DialogueEntry) -> None: ...

    def live(
        self, chat_id: int, member_id: int, kinds: Sequence[str], now: datetime, *, limit: int = 50
    ) -> list[DialogueEntry]: ...

    def close(
        self, chat_id: int, member_id: int, kind: str, at: datetime, *, before_id: int | None
    ) -> int: ...

    def prune(self, before: datetime) -> int: ...


class UnitOfWork(Protocol):
    members: MemberRepository
    projects: ProjectRepository
    chats: ChatRepository
    tasks: TaskRepository
    meetings: MeetingRepository
    messages: MessageRepository
    audit: AuditRepository
    jobs: JobRepository
    history: HistoryRepository
    milestones: MilestoneRepository
    workers: WorkerRepository
    schedule: ScheduleRepository
    outbox: OutboxRepository
    leases: LeaseRepository
    minutes: MinutesRepository
    identities: IdentityRepository
    documents: DocumentRepository
    dialogue: DialogueRepository

    def __enter__(self) -> Self: ...

    def __exit__(
        self,
        exc_type: type[BaseException] | None,
        exc: BaseException | None,
        tb: TracebackType | None,
    ) -> None: ...

    def commit(self) -> None: ...

    def rollback(self) -> None: ...


UnitOfWorkFactory = Callable[[], UnitOfWork]
