"""SQLAlchemy 2.0 typed tables. Repositories translate rows to domain records and back."""

from __future__ import annotations

from datetime import UTC, datetime
from typing import Any

from sqlalchemy import (
    JSON,
    Boolean,
    Column,
    DateTime,
    Dialect,
    Float,
    ForeignKey,
    Index,
    Integer,
    MetaData,
    String,
    Table,
    Text,
    TypeDecorator,
    UniqueConstraint,
)
from sqlalchemy.orm import DeclarativeBase, Mapped, mapped_column, relationship

__all__ = [
    "ApiTokenRow",
    "AuditRow",
    "Base",
    "LoginLinkRow",
    "MemberIdentityRow",
    "JobRow",
    "LeaseRow",
    "OutboxRow",
    "ScheduledJobRow",
    "ChatRow",
    "DialogueEntryRow",
    "DocumentRow",
    "HistoryDocRow",
    "HistoryQueueRow",
    "HistoryStateRow",
    "HistoryTermRow",
    "MeetingRow",
    "MemberRow",
    "MessageRow",
    "MilestoneRow",
    "MinutesRow",
    "ProjectRow",
    "RiskModelRow",
    "TaskEventRow",
    "TaskRow",
    "TZDateTime",
    "WorkerRow",
]


class TZDateTime(TypeDecorator[datetime]):
    """Timezone-aware datetimes on every backend: stored as UTC, read back as aware UTC.

    SQLite has no timezone type, so naive values never reach the database and never leave it.
    """

    impl = DateTime(timezone=True)
    cache_ok = True

    def process_bind_param(self, value: datetime | None, dialect: Dialect) -> datetime | None:
        if value is None:
            return None
        if value.tzinfo is None:
            raise ValueError("naive datetime refused: store timezone-aware values only")
        value = value.astimezone(UTC)
        return value.replace(tzinfo=None) if dialect.name == "sqlite" else value

    def process_result_value(self, value: datetime | None, dialect: Dialect) -> datetime | None:
        if value is None:
            return None
        if value.tzinfo is None:
            return value.replace(tzinfo=UTC)
        return value.astimezone(UTC)


metadata = MetaData(
    naming_convention={
        "ix": "ix_%(column_0_label)s",
        "uq": "uq_%(table_name)s_%(column_0_name)s",
        "ck": "ck_%(table_name)s_%(constraint_name)s",
        "fk": "fk_%(table_name)s_%(column_0_name)s_%(referred_table_name)s",
        "pk": "pk_%(table_name)s",
    }
)


class Base(DeclarativeBase):
    metadata = metadata
    type_annotation_map = {datetime: TZDateTime(), dict[str, Any]: JSON(), list[Any]: JSON()}


project_members = Table(
    "project_members",
    metadata,
    Column("project_id", ForeignKey("projects.id", ondelete="CASCADE"), primary_key=True),
    Column("member_id", ForeignKey("members.id", ondelete="CASCADE"), primary_key=True),
    # The member's role in this project ("pm" or "member"); admins are team-wide (members.role).
    Column("role", String(20), nullable=False, server_default="member"),
)

chat_members = Table(
    "chat_members",
    metadata,
    Column("chat_id", ForeignKey("chats.id", ondelete="CASCADE"), primary_key=True),
    Column("member_id", ForeignKey("members.id", ondelete="CASCADE"), primary_key=True),
)

meeting_attendees = Table(
    "meeting_attendees",
    metadata,
    Column("meeting_id", ForeignKey("meetings.id", ondelete="CASCADE"), primary_key=True),
    Column("member_id", ForeignKey("members.id", ondelete="CASCADE"), primary_key=True),
)


class MemberRow(Base):
    __tablename__ = "members"

    id: Mapped[int] = mapped_column(primary_key=True)
    display_name: Mapped[str] = mapped_column(String(200), unique=True)
    wecom_userid: Mapped[str | None] = mapped_column(String(200), unique=True)
    aliases: Mapped[list[Any]] = mapped_column(default=list)
    role: Mapped[str] = mapped_column(String(20), default="member")
    created_at: Mapped[datetime]


class ProjectRow(Base):
    __tablename__ = "projects"

    id: Mapped[int] = mapped_column(primary_key=True)
    name: Mapped[str] = mapped_column(String(200), unique=True)
    owner_id: Mapped[int | None] = mapped_column(ForeignKey("members.id", ondelete="SET NULL"))
    deadline: Mapped[datetime | None]
    budget: Mapped[float | None] = mapped_column(Float)
    spent: Mapped[float | None] = mapped_column(Float)
    status: Mapped[str] = mapped_column(String(20), default="active")
    created_at: Mapped[datetime]
    members: Mapped[list[MemberRow]] = relationship(secondary=project_members, lazy="selectin")


class ChatRow(Base):
    __tablename__ = "chats"
    __table_args__ = (UniqueConstraint("channel", "external_id"),)

    id: Mapped[int] = mapped_column(primary_key=True)
    name: Mapped[str] = mapped_column(String(200))
    channel: Mapped[str] = mapped_column(String(40), default="console")
    external_id: Mapped[str | None] = mapped_column(String(200))
    project_id: Mapped[int | None] = mapped_column(ForeignKey("projects.id", ondelete="SET NULL"))
    settings: Mapped[dict[str, Any]] = mapped_column(default=dict)
    created_at: Mapped[datetime]
    members: Mapped[list[MemberRow]] = relationship(secondary=chat_members, lazy="selectin")


class MessageRow(Base):
    __tablename__ = "messages"
    __table_args__ = (
        UniqueConstraint("channel", "external_id"),
        Index("ix_messages_state_next", "state", "next_attempt_at"),
    )

    id: Mapped[int] = mapped_column(primary_key=True)
    channel: Mapped[str] = mapped_column(String(40))
    external_id: Mapped[str] = mapped_column(String(200))
    chat_id: Mapped[int | None] = mapped_column(ForeignKey("chats.id", ondelete="SET NULL"))
    sender_id: Mapped[int | None] = mapped_column(ForeignKey("members.id", ondelete="SET NULL"))
    kind: Mapped[str] = mapped_column(String(20), default="text")
    text: Mapped[str] = mapped_column(Text, default="")
    payload: Mapped[dict[str, Any]] = mapped_column(default=dict)
    received_at: Mapped[datetime]
    state: Mapped[str] = mapped_column(String(20), default="received")
    attempts: Mapped[int] = mapped_column(Integer, default=0)
    error: Mapped[str | None] = mapped_column(Text)
    result: Mapped[dict[str, Any] | None]
    next_attempt_at: Mapped[datetime | None]
    processed_at: Mapped[datetime | None]
    # The process holding the lease (see ``WorkerRow``): a dead holder's lease is taken over at
    # once instead of when it runs out.
    claimed_by: Mapped[str | None] = mapped_column(String(120))


class WorkerRow(Base):
    """A process that claims inbox messages, with its heartbeat."""

    __tablename__ = "workers"

    id: Mapped[str] = mapped_column(String(120), primary_key=True)
    host: Mapped[str] = mapped_column(String(200))
    pid: Mapped[int] = mapped_column(Integer)
    started_at: Mapped[datetime]
    heartbeat_at: Mapped[datetime]


class TaskRow(Base):
    __tablename__ = "tasks"

    id: Mapped[int] = mapped_column(primary_key=True)
    title: Mapped[str] = mapped_column(String(500))
    description: Mapped[str | None] = mapped_column(Text)
    assignee_id: Mapped[int | None] = mapped_column(
        ForeignKey("members.id", ondelete="SET NULL"), index=True
    )
    creator_id: Mapped[int | None] = mapped_column(ForeignKey("members.id", ondelete="SET NULL"))
    project_id: Mapped[int | None] = mapped_column(
        ForeignKey("projects.id", ondelete="SET NULL"), index=True
    )
    due: Mapped[datetime | None]
    priority: Mapped[str] = mapped_column(String(20), default="normal")
    status: Mapped[str] = mapped_column(String(20), default="todo", index=True)
    estimate_hours: Mapped[float | None] = mapped_column(Float)
    cost: Mapped[float | None] = mapped_column(Float)
    created_at: Mapped[datetime]
    started_at: Mapped[datetime | None]
    completed_at: Mapped[datetime | None]
    source_message_id: Mapped[int | None] = mapped_column(
        ForeignKey("messages.id", ondelete="SET NULL")
    )


class TaskEventRow(Base):
    __tablename__ = "task_events"

    id: Mapped[int] = mapped_column(primary_key=True)
    task_id: Mapped[int] = mapped_column(ForeignKey("tasks.id", ondelete="CASCADE"), index=True)
    kind: Mapped[str] = mapped_column(String(20))
    at: Mapped[datetime]
    actor_id: Mapped[int | None] = mapped_column(ForeignKey("members.id", ondelete="SET NULL"))
    old: Mapped[str | None] = mapped_column(Text)
    new: Mapped[str | None] = mapped_column(Text)
    note: Mapped[str | None] = mapped_column(Text)


class MeetingRow(Base):
    __tablename__ = "meetings"

    id: Mapped[int] = mapped_column(primary_key=True)
    title: Mapped[str] = mapped_column(String(500))
    start: Mapped[datetime] = mapped_column(index=True)
    end: Mapped[datetime | None]
    location: Mapped[str | None] = mapped_column(String(200))
    agenda: Mapped[list[Any]] = mapped_column(default=list)
    remind_before_minutes: Mapped[list[Any]] = mapped_column(default=list)
    status: Mapped[str] = mapped_column(String(20), default="scheduled")
    organizer_id: Mapped[int | None] = mapped_column(ForeignKey("members.id", ondelete="SET NULL"))
    project_id: Mapped[int | None] = mapped_column(ForeignKey("projects.id", ondelete="SET NULL"))
    chat_id: Mapped[int | None] = mapped_column(ForeignKey("chats.id", ondelete="SET NULL"))
    source_message_id: Mapped[int | None] = mapped_column(
        ForeignKey("messages.id", ondelete="SET NULL")
    )
    transcript: Mapped[str | None] = mapped_column(Text)
    recurrence: Mapped[str | None] = mapped_column(String(200))
    skipped_dates: Mapped[list[Any]] = mapped_column(default=list)
    created_at: Mapped[datetime]
    attendees: Mapped[list[MemberRow]] = relationship(secondary=meeting_attendees, lazy="selectin")


class MilestoneRow(Base):
    __tablename__ = "milestones"

    id: Mapped[int] = mapped_column(primary_key=True)
    title: Mapped[str] = mapped_column(String(500))
    due: Mapped[datetime] = mapped_column(index=True)
    project_id: Mapped[int | None] = mapped_column(
        ForeignKey("projects.id", ondelete="CASCADE"), index=True
    )
    creator_id: Mapped[int | None] = mapped_column(ForeignKey("members.id", ondelete="SET NULL"))
    done: Mapped[bool] = mapped_column(default=False)
    created_at: Mapped[datetime]
    cancelled_at: Mapped[datetime | None]


class AuditRow(Base):
    __tablename__ = "audit_log"

    id: Mapped[int] = mapped_column(primary_key=True)
    tool: Mapped[str] = mapped_column(String(60))
    arguments: Mapped[dict[str, Any]] = mapped_column(default=dict)
    at: Mapped[datetime] = mapped_column(index=True)
    actor_id: Mapped[int | None] = mapped_column(ForeignKey("members.id", ondelete="SET NULL"))
    message_id: Mapped[int | None] = mapped_column(ForeignKey("messages.id", ondelete="SET NULL"))
    idempotency_key: Mapped[str | None] = mapped_column(String(200), unique=True)
    result: Mapped[dict[str, Any]] = mapped_column(default=dict)
    undo: Mapped[dict[str, Any] | None]
    undone_at: Mapped[datetime | None]
    undone_by_id: Mapped[int | None] = mapped_column(ForeignKey("members.id", ondelete="SET NULL"))


class JobRow(Base):
    """A background job (a recording to transcribe), resumable after a restart."""

    __tablename__ = "jobs"

    id: Mapped[int] = mapped_column(primary_key=True)
    kind: Mapped[str] = mapped_column(String(40))
    state: Mapped[str] = mapped_column(String(20), default="queued", index=True)
    progress: Mapped[float] = mapped_column(Float, default=0.0)
    input_path: Mapped[str | None] = mapped_column(Text)
    params: Mapped[dict[str, Any]] = mapped_column(default=dict)
    result: Mapped[dict[str, Any] | None]
    error: Mapped[str | None] = mapped_column(Text)
    meeting_id: Mapped[int | None] = mapped_column(ForeignKey("meetings.id", ondelete="SET NULL"))
    created_at: Mapped[datetime]
    updated_at: Mapped[datetime]


class ScheduledJobRow(Base):
    """Scheduled work (reminders, summaries, reports): planned by key, run once when due."""

    __tablename__ = "scheduled_jobs"
    __table_args__ = (
        UniqueConstraint("key"),
        Index("ix_scheduled_jobs_state_due", "state", "due_at"),
        Index("ix_scheduled_jobs_source", "source"),
    )

    id: Mapped[int] = mapped_column(primary_key=True)
    kind: Mapped[str] = mapped_column(String(40))
    key: Mapped[str] = mapped_column(String(300))
    source: Mapped[str | None] = mapped_column(String(80))
    due_at: Mapped[datetime]
    chat_id: Mapped[int | None] = mapped_column(ForeignKey("chats.id", ondelete="SET NULL"))
    member_id: Mapped[int | None] = mapped_column(ForeignKey("members.id", ondelete="SET NULL"))
    payload: Mapped[dict[str, Any]] = mapped_column(default=dict)
    state: Mapped[str] = mapped_column(String(20), default="pending")
    attempts: Mapped[int] = mapped_column(Integer, default=0)
    error: Mapped[str | None] = mapped_column(Text)
    result: Mapped[dict[str, Any] | None]
    created_at: Mapped[datetime]
    updated_at: Mapped[datetime | None]
    done_at: Mapped[datetime | None]


class OutboxRow(Base):
    """A message Qunmi sends: stored first, claimed with a lease, marked sent once."""

    __tablename__ = "outbox"
    __table_args__ = (
        UniqueConstraint("key"),
        Index("ix_outbox_state_next", "state", "next_attempt_at"),
        Index("ix_outbox_bucket_sent", "bucket", "sent_at"),
        Index("ix_outbox_chat_id", "chat_id"),
    )

    id: Mapped[int] = mapped_column(primary_key=True)
    key: Mapped[str | None] = mapped_column(String(300))
    kind: Mapped[str] = mapped_column(String(20))
    text: Mapped[str] = mapped_column(Text, default="")
    chat_id: Mapped[int | None] = mapped_column(ForeignKey("chats.id", ondelete="SET NULL"))
    chat_name: Mapped[str | None] = mapped_column(String(200))
    message_id: Mapped[int | None] = mapped_column(
        ForeignKey("messages.id", ondelete="SET NULL"), index=True
    )
    job_id: Mapped[int | None] = mapped_column(ForeignKey("scheduled_jobs.id", ondelete="SET NULL"))
    mentions: Mapped[list[Any]] = mapped_column(default=list)
    mention_all: Mapped[bool] = mapped_column(Boolean, default=False)
    images: Mapped[list[Any]] = mapped_column(default=list)
    coalescible: Mapped[bool] = mapped_column(Boolean, default=False)
    state: Mapped[str] = mapped_column(String(20), default="pending")
    attempts: Mapped[int] = mapped_column(Integer, default=0)
    parts_sent: Mapped[int] = mapped_column(Integer, default=0)
    next_attempt_at: Mapped[datetime | None]
    channel: Mapped[str | None] = mapped_column(String(40))
    bucket: Mapped[str | None] = mapped_column(String(80))
    error: Mapped[str | None] = mapped_column(Text)
    created_at: Mapped[datetime]
    sent_at: Mapped[datetime | None]


class LeaseRow(Base):
    """A named lease (the scheduler's leadership): one holder until ``expires_at``."""

    __tablename__ = "leases"

    name: Mapped[str] = mapped_column(String(80), primary_key=True)
    holder: Mapped[str] = mapped_column(String(200))
    expires_at: Mapped[datetime]
    acquired_at: Mapped[datetime]


class HistoryQueueRow(Base):
    """A record that changed and waits to be turned into history passages. Written by the
    storage layer in the transaction that changed the record, so no change is ever missed."""

    __tablename__ = "history_queue"
    __table_args__ = (Index("ix_history_queue_due", "next_attempt_at", "id"),)

    id: Mapped[int] = mapped_column(primary_key=True)
    source: Mapped[str] = mapped_column(String(20))
    record_id: Mapped[int] = mapped_column(Integer)
    enqueued_at: Mapped[datetime]
    attempts: Mapped[int] = mapped_column(Integer, default=0)
    next_attempt_at: Mapped[datetime | None]
    error: Mapped[str | None] = mapped_column(Text)


class HistoryDocRow(Base):
    """One passage of the history: the text, what it can be filtered by, and whether its
    vector is in the vector store (``vector_state``: pending / done / delete)."""

    __tablename__ = "history_docs"
    __table_args__ = (
        Index("ix_history_docs_project_time", "project_id", "time"),
        Index("ix_history_docs_chat_time", "chat_id", "time"),
        Index("ix_history_docs_vector", "vector_state", "id"),
    )

    id: Mapped[int] = mapped_column(primary_key=True)
    doc_id: Mapped[str] = mapped_column(String(120), unique=True)
    record_key: Mapped[str] = mapped_column(String(60), index=True)
    source: Mapped[str] = mapped_column(String(20))
    record_id: Mapped[int] = mapped_column(Integer)
    part: Mapped[int] = mapped_column(Integer, default=0)
    version: Mapped[str] = mapped_column(String(40))
    kind: Mapped[str] = mapped_column(String(20), index=True)
    title: Mapped[str | None] = mapped_column(String(500))
    text: Mapped[str] = mapped_column(Text)
    context: Mapped[str | None] = mapped_column(Text)
    time: Mapped[datetime] = mapped_column(index=True)
    chat_id: Mapped[int | None] = mapped_column(Integer)
    chat: Mapped[str | None] = mapped_column(String(200))
    project_id: Mapped[int | None] = mapped_column(Integer)
    project: Mapped[str | None] = mapped_column(String(200))
    sender_id: Mapped[int | None] = mapped_column(Integer)
    sender: Mapped[str | None] = mapped_column(String(200))
    length: Mapped[int] = mapped_column(Integer, default=0)
    vector_state: Mapped[str] = mapped_column(String(10), default="pending")
    revision: Mapped[int] = mapped_column(Integer, default=0)
    changed_at: Mapped[datetime]
    lease_until: Mapped[datetime | None]


class HistoryTermRow(Base):
    """A keyword posting: a term, a passage that holds it, how often, and the passage's length
    (so that BM25 needs no join when nothing is filtered)."""

    __tablename__ = "history_terms"

    term: Mapped[str] = mapped_column(String(100), primary_key=True)
    doc_pk: Mapped[int] = mapped_column(
        ForeignKey("history_docs.id", ondelete="CASCADE"), primary_key=True, index=True
    )
    tf: Mapped[int] = mapped_column(Integer)
    length: Mapped[int] = mapped_column(Integer)


class HistoryStateRow(Base):
    """Small facts about the index: the embedder the vectors were made with, the keyword
    index's totals, the vector store's last failure."""

    __tablename__ = "history_state"

    key: Mapped[str] = mapped_column(String(40), primary_key=True)
    value: Mapped[str | None] = mapped_column(Text)
    number: Mapped[int] = mapped_column(Integer, default=0)
    at: Mapped[datetime | None]


class RiskModelRow(Base):
    """One trained delay-risk model version (``body`` is ``TrainedModel.to_dict()``)."""

    __tablename__ = "risk_models"

    id: Mapped[int] = mapped_column(primary_key=True)
    version: Mapped[int] = mapped_column(Integer, unique=True)
    trained_at: Mapped[datetime]
    finished_tasks: Mapped[int] = mapped_column(Integer)
    examples: Mapped[int] = mapped_column(Integer)
    cv_auc: Mapped[float | None] = mapped_column(Float)
    body: Mapped[dict[str, Any]]


class MinutesRow(Base):
    """Minutes of a meeting; one per meeting (re-running updates them in place)."""

    __tablename__ = "minutes"

    id: Mapped[int] = mapped_column(primary_key=True)
    meeting_id: Mapped[int | None] = mapped_column(
        ForeignKey("meetings.id", ondelete="CASCADE"), unique=True
    )
    chat_id: Mapped[int | None] = mapped_column(
        ForeignKey("chats.id", ondelete="SET NULL"), index=True
    )
    source: Mapped[str] = mapped_column(String(20), default="transcript")
    engine: Mapped[str] = mapped_column(String(40), default="offline")
    title: Mapped[str | None] = mapped_column(String(500))
    started_at: Mapped[datetime | None]
    summary: Mapped[str] = mapped_column(Text, default="")
    topics: Mapped[list[Any]] = mapped_column(default=list)
    decisions: Mapped[list[Any]] = mapped_column(default=list)
    action_items: Mapped[list[Any]] = mapped_column(default=list)
    open_questions: Mapped[list[Any]] = mapped_column(default=list)
    lines: Mapped[list[Any]] = mapped_column(default=list)
    created_by_id: Mapped[int | None] = mapped_column(ForeignKey("members.id", ondelete="SET NULL"))
    created_at: Mapped[datetime]
    updated_at: Mapped[datetime]


class MemberIdentityRow(Base):
    """Who a sender is on one channel: the (channel, external id) pair that the channel verified
    (a WeCom userid, a webhook bridge's sender id). Display names are labels, never identities."""

    __tablename__ = "member_identities"
    __table_args__ = (UniqueConstraint("channel", "external_id"),)

    id: Mapped[int] = mapped_column(primary_key=True)
    member_id: Mapped[int] = mapped_column(ForeignKey("members.id", ondelete="CASCADE"))
    channel: Mapped[str] = mapped_column(String(40))
    external_id: Mapped[str] = mapped_column(String(200))
    created_at: Mapped[datetime]


class ApiTokenRow(Base):
    """A per-person API token: only its SHA-256 is kept; ``prefix`` is shown to tell tokens apart."""

    __tablename__ = "api_tokens"

    id: Mapped[int] = mapped_column(primary_key=True)
    member_id: Mapped[int] = mapped_column(ForeignKey("members.id", ondelete="CASCADE"))
    label: Mapped[str] = mapped_column(String(200), default="")
    token_hash: Mapped[str] = mapped_column(String(64), unique=True)
    prefix: Mapped[str] = mapped_column(String(16))
    scopes: Mapped[list[Any]] = mapped_column(default=list)
    created_by_id: Mapped[int | None] = mapped_column(ForeignKey("members.id", ondelete="SET NULL"))
    created_at: Mapped[datetime]
    expires_at: Mapped[datetime | None]
    revoked_at: Mapped[datetime | None]
    last_used_at: Mapped[datetime | None]


class LoginLinkRow(Base):
    """A one-time console sign-in link sent to the person in WeCom; only its hash is kept."""

    __tablename__ = "login_links"

    id: Mapped[int] = mapped_column(primary_key=True)
    member_id: Mapped[int] = mapped_column(ForeignKey("members.id", ondelete="CASCADE"))
    token_hash: Mapped[str] = mapped_column(String(64), unique=True)
    created_at: Mapped[datetime]
    expires_at: Mapped[datetime]
    used_at: Mapped[datetime | None]


class DocumentRow(Base):
    """One version of a file kept in a project's document folder. ``doc_key`` is its name
    without version marks: the versions of one document share it, and ``is_latest`` marks the
    newest. The bytes live under ``QUNMI_DATA_DIR/files`` (``stored_path``, relative)."""

    __tablename__ = "documents"
    __table_args__ = (
        UniqueConstraint("project_id", "doc_key", "version", name="uq_documents_version"),
        Index("ix_documents_project_folder", "project_id", "folder"),
    )

    id: Mapped[int] = mapped_column(primary_key=True)
    project_id: Mapped[int | None] = mapped_column(
        ForeignKey("projects.id", ondelete="SET NULL"), index=True
    )
    chat_id: Mapped[int | None] = mapped_column(ForeignKey("chats.id", ondelete="SET NULL"))
    folder: Mapped[str] = mapped_column(String(40))
    name: Mapped[str] = mapped_column(String(300))
    doc_key: Mapped[str] = mapped_column(String(300), index=True)
    version: Mapped[int] = mapped_column(Integer)
    sha256: Mapped[str] = mapped_column(String(64))
    size: Mapped[int] = mapped_column(Integer)
    content_type: Mapped[str] = mapped_column(String(200))
    stored_path: Mapped[str] = mapped_column(String(500))
    text: Mapped[str | None] = mapped_column(Text)
    uploaded_by_id: Mapped[int | None] = mapped_column(
        ForeignKey("members.id", ondelete="SET NULL")
    )
    created_at: Mapped[datetime]
    is_latest: Mapped[bool] = mapped_column(Boolean, default=True)


class DialogueEntryRow(Base):
    """A question Qunmi asked a member in a chat, or a record it touched for or by them."""

    __tablename__ = "dialogue_entries"
    __table_args__ = (
        Index("ix_dialogue_entries_chat_member", "chat_id", "member_id", "kind", "expires_at"),
    )

    id: Mapped[int] = mapped_column(primary_key=True)
    chat_id: Mapped[int] = mapped_column(ForeignKey("chats.id", ondelete="CASCADE"))
    member_id: Mapped[int] = mapped_column(ForeignKey("members.id", ondelete="CASCADE"))
    kind: Mapped[str] = mapped_column(String(20))
    message_id: Mapped[int | None] = mapped_column(ForeignKey("messages.id", ondelete="SET NULL"))
    record_kind: Mapped[str | None] = mapped_column(String(20))
    record_id: Mapped[int | None] = mapped_column(Integer)
    payload: Mapped[dict[str, Any]] = mapped_column(default=dict)
    created_at: Mapped[datetime]
    expires_at: Mapped[datetime] = mapped_column(index=True)
    closed_at: Mapped[datetime | None]
