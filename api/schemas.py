"""Request and response schemas of the REST API (``XCreate`` / ``XUpdate`` / ``XPublic``)."""

from __future__ import annotations

from typing import Any, Generic, Literal, TypeVar

from pydantic import AwareDatetime, BaseModel, ConfigDict, Field

from tools.vocabulary import (
    CreateMeeting,
    CreateProject,
    CreateTask,
)

T = TypeVar("T")

Actor = Field(description="谁在操作：成员名字、别名或 id（按此人的角色检查权限）")


class PagePublic(BaseModel, Generic[T]):
    items: list[T]
    total: int
    limit: int
    offset: int


class MemberPublic(BaseModel):
    id: int
    display_name: str
    aliases: list[str]
    wecom_userid: str | None
    role: str


class MemberCreate(BaseModel):
    model_config = ConfigDict(extra="forbid")
    display_name: str = Field(min_length=1, max_length=200)
    aliases: list[str] = Field(default_factory=list, max_length=50)
    wecom_userid: str | None = Field(default=None, max_length=200)
    role: Literal["admin", "pm", "member"] = "member"


class MemberUpdate(BaseModel):
    model_config = ConfigDict(extra="forbid")
    display_name: str | None = Field(default=None, min_length=1, max_length=200)
    aliases: list[str] | None = Field(default=None, max_length=50)
    role: Literal["admin", "pm", "member"] | None = None
    actor: str | int = Actor


class ProjectPublic(BaseModel):
    id: int
    name: str
    owner: str | None
    owner_id: int | None
    deadline: str | None
    status: str
    members: list[str]
    budget: float | None = None


class ChatPublic(BaseModel):
    id: int
    name: str
    channel: str
    external_id: str | None
    project_id: int | None
    members: list[str]


class ChatCreate(BaseModel):
    model_config = ConfigDict(extra="forbid")
    name: str = Field(min_length=1, max_length=200)
    project: str | None = None
    members: list[str] = Field(default_factory=list)


class ChatUpdate(BaseModel):
    model_config = ConfigDict(extra="forbid")
    name: str | None = Field(default=None, min_length=1, max_length=200)
    project: str | None = None
    members: list[str] | None = None


class TaskPublic(BaseModel):
    id: int
    title: str
    description: str | None
    assignee: str | None
    assignee_id: int | None
    creator: str | None
    project_id: int | None
    due: str | None
    priority: str
    status: str
    estimate_hours: float | None
    created_at: str | None
    started_at: str | None
    completed_at: str | None
    source_message_id: int | None


class TaskEventPublic(BaseModel):
    kind: str
    at: str
    actor_id: int | None
    old: str | None
    new: str | None
    note: str | None


class TaskDetail(TaskPublic):
    events: list[TaskEventPublic]


class MeetingPublic(BaseModel):
    id: int
    title: str
    start: str | None
    end: str | None
    location: str | None
    attendees: list[str]
    agenda: list[str]
    remind_before_minutes: list[int]
    status: str
    organizer: str | None
    project_id: int | None
    chat_id: int | None
    source_message_id: int | None


class _WithActor(BaseModel):
    actor: str | int = Actor
    idempotency_key: str | None = Field(
        default=None, max_length=100, description="客户端提供的幂等键：同一键的同一操作只执行一次"
    )
    chat_id: int | None = None


class ProjectCreate(CreateProject, _WithActor):
    pass


class TaskCreate(CreateTask, _WithActor):
    pass


class TaskUpdate(_WithActor):
    model_config = ConfigDict(extra="forbid")
    status: Literal["todo", "in_progress", "blocked", "done", "cancelled"] | None = None
    due: AwareDatetime | None = None
    assignee: str | None = None
    progress_note: str | None = Field(default=None, max_length=5000)


class MeetingCreate(CreateMeeting, _WithActor):
    pass


class MeetingReschedule(_WithActor):
    model_config = ConfigDict(extra="forbid")
    start: AwareDatetime
    end: AwareDatetime | None = None


class MeetingCancel(_WithActor):
    model_config = ConfigDict(extra="forbid")
    reason: str | None = Field(default=None, max_length=5000)


class ToolCallRequest(_WithActor):
    model_config = ConfigDict(extra="forbid")
    args: dict[str, Any] = Field(default_factory=dict)


class UndoRequest(BaseModel):
    model_config = ConfigDict(extra="forbid")
    actor: str | int = Actor


class MessageIn(BaseModel):
    """A chat message for Qunmi. ``chat`` names the group (created on first use)."""

    model_config = ConfigDict(extra="forbid")
    chat: str = Field(min_length=1, max_length=200, description="群名称或群 id")
    sender: str = Field(min_length=1, max_length=200, description="发送人名字或企业微信 userid")
    text: str = Field(description="消息文本")
    channel: str = Field(default="api", max_length=40)
    external_id: str | None = Field(
        default=None, max_length=200, description="渠道里的消息 id，用于去重"
    )
    sender_name: str | None = Field(default=None, max_length=200)


class MessagePublic(BaseModel):
    id: int
    channel: str
    external_id: str
    chat_id: int | None
    sender_id: int | None
    kind: str
    text: str
    received_at: str
    state: str
    attempts: int
    error: str | None
    result: dict[str, Any] | None


class OutcomePublic(BaseModel):
    message_id: int
    state: str
    engine: str | None
    actions: list[dict[str, Any]]
    results: list[dict[str, Any]]
    cards: list[dict[str, Any]]
    error: str | None
    duplicate: bool


class AuditPublic(BaseModel):
    id: int
    tool: str
    arguments: dict[str, Any]
    at: str
    actor_id: int | None
    message_id: int | None
    result: dict[str, Any]
    undoable: bool
    undone_at: str | None


class OutboxPublic(BaseModel):
    id: int
    kind: str
    text: str
    chat_id: int | None
    chat: str | None
    message_id: int | None
    job_id: int | None
    mentions: list[dict[str, Any]]
    mention_all: bool
    images: list[str]
    state: str
    attempts: int
    parts_sent: int
    channel: str | None
    error: str | None
    created_at: str | None
    next_attempt_at: str | None
    sent_at: str | None


class ScheduledJobPublic(BaseModel):
    id: int
    kind: str
    key: str
    source: str | None
    due_at: str
    chat_id: int | None
    member_id: int | None
    state: str
    attempts: int
    error: str | None
    result: dict[str, Any] | None
    done_at: str | None


class TickPublic(BaseModel):
    now: str
    planned: int
    cancelled: int
    runs: list[dict[str, Any]]
    sent: list[OutboxPublic]
