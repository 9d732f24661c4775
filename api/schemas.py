"""Request and response schemas of the REST API (``XCreate`` / ``XUpdate`` / ``XPublic``)."""

from __future__ import annotations

from typing import Annotated, Any, Generic, Literal, TypeVar

from fastapi import Path, Query
from pydantic import BaseModel, ConfigDict, Field, StringConstraints

from tools.vocabulary import (
    AwareTime,
    CreateMeeting,
    CreateProject,
    CreateTask,
)

T = TypeVar("T")

MAX_ID = 2**63 - 1
"""Record ids are 64-bit integers; a larger number is refused by the schema, not the driver."""
MAX_TEXT_CHARS = 20_000
"""The default of ``QUNMI_MAX_MESSAGE_CHARS``; the inbox enforces the configured value."""

StoredId = Annotated[int, Field(ge=1, le=MAX_ID)]
RecordId = Annotated[int, Path(ge=1, le=MAX_ID, description="记录编号")]
IdFilter = Annotated[int | None, Query(ge=1, le=MAX_ID)]
Limit = Annotated[int, Query(ge=1, le=500)]
Offset = Annotated[int, Query(ge=0, le=MAX_ID)]
ActorName = Annotated[str, StringConstraints(strip_whitespace=True, min_length=1, max_length=200)]
ActorRef = ActorName | StoredId

Actor = Field(
    default=None,
    description="可不填：操作人由登录身份（令牌或控制台会话）决定；填了且不是本人会被拒绝（403）",
)


class ErrorPublic(BaseModel):
    """Every refusal: a machine-readable code and a Chinese reason that can be shown as it is."""

    code: str = Field(description="错误类型，例如 invalid_input、not_found、conflict")
    reason: str = Field(description="中文原因，可以直接给用户看")
    details: dict[str, Any] | None = None


_REFUSALS = {
    400: "请求不合法（渠道签名、格式等）",
    401: "需要登录：个人令牌（Authorization: Bearer）或控制台会话；本机模式下不需要",
    403: "没有权限（角色、令牌权限、冒用他人身份、他人渠道），或签名、时间戳不对",
    404: "记录不存在，或渠道未配置",
    409: "冲突：记录已存在、状态不允许、指代不明，或与并发请求冲突",
    413: "请求体太大（一般 2 MB，/transcriptions 200 MB）",
    422: "参数不合法（中文原因见 reason）",
    502: "语言模型或外部接口出错",
}
ERROR_RESPONSES: dict[int | str, dict[str, Any]] = {
    status: {"model": ErrorPublic, "description": text} for status, text in _REFUSALS.items()
}
JSON_ERROR_RESPONSES: dict[int | str, dict[str, Any]] = {
    status: {
        "description": text,
        "content": {"application/json": {"schema": {"$ref": "#/components/schemas/ErrorPublic"}}},
    }
    for status, text in _REFUSALS.items()
}
"""The same refusals for routes whose success is not JSON (the WeCom callbacks answer text)."""


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
    actor: ActorRef | None = Actor


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
    actor: ActorRef | None = Actor
    idempotency_key: str | None = Field(
        default=None, max_length=100, description="客户端提供的幂等键：同一键的同一操作只执行一次"
    )
    chat_id: StoredId | None = None


class ProjectCreate(CreateProject, _WithActor):
    pass


class TaskCreate(CreateTask, _WithActor):
    pass


class TaskUpdate(_WithActor):
    model_config = ConfigDict(extra="forbid")
    status: Literal["todo", "in_progress", "blocked", "done", "cancelled"] | None = None
    due: AwareTime | None = None
    assignee: str | None = None
    progress_note: str | None = Field(default=None, max_length=5000)


class MeetingCreate(CreateMeeting, _WithActor):
    pass


class MeetingReschedule(_WithActor):
    model_config = ConfigDict(extra="forbid")
    start: AwareTime
    end: AwareTime | None = None


class MeetingCancel(_WithActor):
    model_config = ConfigDict(extra="forbid")
    reason: str | None = Field(default=None, max_length=5000)


class ToolCallRequest(_WithActor):
    model_config = ConfigDict(extra="forbid")
    args: dict[str, Any] = Field(default_factory=dict)


class UndoRequest(BaseModel):
    model_config = ConfigDict(extra="forbid")
    actor: ActorRef | None = Actor


class MessageIn(BaseModel):
    """A chat message for Qunmi. ``chat`` names the group (created on first use)."""

    model_config = ConfigDict(extra="forbid")
    chat: str = Field(min_length=1, max_length=200, description="群名称或群 id")
    sender: str = Field(min_length=1, max_length=200, description="发送人名字或企业微信 userid")
    text: str = Field(max_length=MAX_TEXT_CHARS, description="消息文本")
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


Scope = Literal["read", "write", "admin"]


def _default_scopes() -> list[Scope]:
    return ["read", "write"]


class TokenCreate(BaseModel):
    model_config = ConfigDict(extra="forbid")
    member: ActorRef = Field(description="令牌属于谁：成员名字、别名或 id")
    scopes: list[Scope] = Field(default_factory=_default_scopes, min_length=1, max_length=3)
    expires_at: AwareTime | None = None
    label: str = Field(default="", max_length=200)


class TokenPublic(BaseModel):
    id: int
    member_id: int
    member: str
    label: str
    prefix: str
    scopes: list[str]
    created_by_id: int | None
    created_at: str | None
    expires_at: str | None
    revoked_at: str | None
    last_used_at: str | None
    active: bool


class TokenCreated(TokenPublic):
    token: str = Field(description="令牌本身：只在这里出现一次，请妥善保存")


class SessionCreate(BaseModel):
    model_config = ConfigDict(extra="forbid")
    token: str = Field(min_length=1, max_length=200)


class LoginLinkRequest(BaseModel):
    model_config = ConfigDict(extra="forbid")
    member: ActorName
