"""The tool vocabulary, version 1: what every engine may ask the executor to do.

Each tool is a pydantic model; its docstring is the description the LLM reads, and its fields
are the arguments. The rule engine emits the same names. Times are ISO 8601 with an offset.
"""

from __future__ import annotations

from datetime import datetime
from typing import Annotated, Any, ClassVar, Literal

from pydantic import BaseModel, ConfigDict, Field, StringConstraints, field_validator

__all__ = [
    "TOOLS",
    "VOCABULARY_VERSION",
    "AddMember",
    "CancelMeeting",
    "CreateMeeting",
    "CreateProject",
    "CreateTask",
    "Query",
    "RescheduleMeeting",
    "ToolArgs",
    "UpdateTask",
    "tool_schemas",
]

VOCABULARY_VERSION = 1

Name = Annotated[str, StringConstraints(strip_whitespace=True, min_length=1, max_length=200)]
Title = Annotated[str, StringConstraints(strip_whitespace=True, min_length=1, max_length=500)]
Text = Annotated[str, StringConstraints(strip_whitespace=True, max_length=5000)]
Ref = int | Annotated[str, StringConstraints(strip_whitespace=True, min_length=1, max_length=500)]

PriorityName = Literal["low", "normal", "high", "urgent"]
StatusName = Literal["todo", "in_progress", "blocked", "done", "cancelled"]
RoleName = Literal["admin", "pm", "member"]


def _require_offset(value: datetime | None) -> datetime | None:
    if value is not None and value.tzinfo is None:
        raise ValueError("时间必须带时区偏移，例如 2026-11-25T15:00:00+08:00")
    return value


class ToolArgs(BaseModel):
    """Base of every tool's arguments."""

    model_config = ConfigDict(extra="forbid", str_strip_whitespace=True)
    tool_name: ClassVar[str]
    destructive: ClassVar[bool] = False


class CreateProject(ToolArgs):
    """新建一个项目。用户说“新建项目/立项/开个新项目”时使用。name 是项目名；owner 是负责人（成员名字或别名）；deadline 是上线或截止时间；members 是一开始就加入的成员名字。"""

    tool_name: ClassVar[str] = "create_project"
    name: Name = Field(description="项目名称，例如“官网改版”")
    owner: Name | None = Field(
        default=None, description="负责人的名字、昵称或 @ 的人；“我”表示发消息的人"
    )
    deadline: datetime | None = Field(
        default=None, description="截止或上线时间，ISO 8601 带时区偏移"
    )
    members: list[Name] | None = Field(default=None, description="加入项目的成员名字列表")

    _check_deadline = field_validator("deadline")(_require_offset)


class AddMember(ToolArgs):
    """把一个成员加入项目（成员不存在时会新建），可设置角色。角色：admin 管理员，pm 项目经理，member 普通成员。"""

    tool_name: ClassVar[str] = "add_member"
    member: Name = Field(description="成员的名字或别名")
    project: Name | None = Field(default=None, description="项目名；不填则为当前群所属项目")
    role: RoleName | None = Field(default=None, description="角色：admin / pm / member")


class CreateTask(ToolArgs):
    """创建一个任务（待办）。有人被安排做某件事、或有人认领某件事时使用。每个负责人一个任务：几个人分别做就调用几次。title 用简短的动宾短语，例如“出登录页设计稿”。"""

    tool_name: ClassVar[str] = "create_task"
    title: Title = Field(description="任务标题，简短，例如“出登录页设计稿”")
    assignee: Name | None = Field(
        default=None, description="负责人名字、昵称或 @ 的人；“我”表示发消息的人"
    )
    due: datetime | None = Field(
        default=None, description="截止时间，ISO 8601 带时区偏移；“周五前”即周五当天截止"
    )
    priority: PriorityName | None = Field(
        default=None,
        description="优先级：low / normal / high / urgent（紧急、加急为 urgent，尽快、高优先级为 high）",
    )
    project: Name | None = Field(default=None, description="项目名；不填则为当前群所属项目")
    description: Text | None = Field(default=None, description="补充说明")

    _check_due = field_validator("due")(_require_offset)


class UpdateTask(ToolArgs):
    """更新一个已有任务：状态（开始做、完成、卡住、取消）、截止时间、负责人，或记一条进展。task 可以是任务编号，也可以是能认出这个任务的几个词，例如“登录页”。"""

    tool_name: ClassVar[str] = "update_task"
    task: Ref = Field(description="任务编号（如 12 或 #12），或能认出该任务的词语")
    status: StatusName | None = Field(
        default=None, description="新状态：todo / in_progress / blocked / done / cancelled"
    )
    due: datetime | None = Field(default=None, description="新的截止时间，ISO 8601 带时区偏移")
    assignee: Name | None = Field(default=None, description="新的负责人")
    progress_note: Text | None = Field(default=None, description="进展说明，例如“等第三方接口”")

    _check_due = field_validator("due")(_require_offset)


class CreateMeeting(ToolArgs):
    """安排一个会议。start 是开始时间；end 或 duration_minutes 二选一；attendees 是参会人名字列表，或字符串 "all" 表示群里所有人；agenda 是议题列表；remind_before_minutes 是提前多少分钟提醒。"""

    tool_name: ClassVar[str] = "create_meeting"
    title: Title = Field(description="会议标题，例如“首页改版讨论”")
    start: datetime = Field(description="开始时间，ISO 8601 带时区偏移")
    end: datetime | None = Field(default=None, description="结束时间，ISO 8601 带时区偏移")
    duration_minutes: int | None = Field(default=None, ge=1, le=24 * 60, description="时长（分钟）")
    attendees: list[Name] | Literal["all"] | None = Field(
        default=None, description='参会人名字列表，或 "all" 表示全员'
    )
    agenda: (
        list[Annotated[str, StringConstraints(strip_whitespace=True, min_length=1, max_length=500)]]
        | None
    ) = Field(default=None, description="议题列表")
    location: Name | None = Field(default=None, description="地点，例如“3号会议室”“腾讯会议”")
    remind_before_minutes: int | None = Field(
        default=None, ge=0, le=7 * 24 * 60, description="提前提醒的分钟数"
    )

    _check_times = field_validator("start", "end")(_require_offset)


class RescheduleMeeting(ToolArgs):
    """把已安排的会议改到新的时间。meeting 可以是会议编号，或能认出这个会的词语（例如“周会”“首页改版”）。"""

    tool_name: ClassVar[str] = "reschedule_meeting"
    meeting: Ref = Field(description="会议编号，或能认出该会议的词语")
    start: datetime = Field(description="新的开始时间，ISO 8601 带时区偏移")
    end: datetime | None = Field(default=None, description="新的结束时间")

    _check_times = field_validator("start", "end")(_require_offset)


class CancelMeeting(ToolArgs):
    """取消一个已安排的会议。只有组织者、项目经理或管理员可以取消。"""

    tool_name: ClassVar[str] = "cancel_meeting"
    destructive: ClassVar[bool] = True
    meeting: Ref = Field(description="会议编号，或能认出该会议的词语")
    reason: Text | None = Field(default=None, description="取消原因")


class Query(ToolArgs):
    """查询：my_tasks 某人（默认发消息的人）未完成的任务；progress 项目进度；overdue 逾期任务；meetings 接下来的会议。"""

    tool_name: ClassVar[str] = "query"
    kind: Literal["my_tasks", "progress", "overdue", "meetings"] = Field(description="查询类型")
    member: Name | None = Field(default=None, description="查询谁的；“我”表示发消息的人")
    project: Name | None = Field(default=None, description="项目名")


TOOLS: dict[str, type[ToolArgs]] = {
    cls.tool_name: cls
    for cls in (
        CreateProject,
        AddMember,
        CreateTask,
        UpdateTask,
        CreateMeeting,
        RescheduleMeeting,
        CancelMeeting,
        Query,
    )
}


def tool_schemas() -> list[dict[str, Any]]:
    """The vocabulary as OpenAI-style function tools, generated from the models above."""
    out: list[dict[str, Any]] = []
    for name, cls in TOOLS.items():
        params = cls.model_json_schema()
        params.pop("title", None)
        params.pop("description", None)
        for prop in params.get("properties", {}).values():
            prop.pop("title", None)
        out.append(
            {
                "type": "function",
                "function": {
                    "name": name,
                    "description": (cls.__doc__ or "").strip(),
                    "parameters": params,
                },
            }
        )
    return out
