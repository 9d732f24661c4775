"""The tool vocabulary, version 2: what every engine may ask the executor to do.

Each tool is a pydantic model; its docstring is the description the LLM reads, and its fields
are the arguments. The rule engine emits the same names. Times are ISO 8601 with an offset.
"""

from __future__ import annotations

import re
from datetime import UTC, date, datetime
from typing import Annotated, Any, ClassVar, Literal

from pydantic import (
    AfterValidator,
    BaseModel,
    ConfigDict,
    Field,
    StringConstraints,
    field_validator,
    model_validator,
)

__all__ = [
    "TOOLS",
    "ReminderKind",
    "VOCABULARY_VERSION",
    "AddMember",
    "Ask",
    "CancelMeeting",
    "CreateMeeting",
    "CreateMilestone",
    "CreateProject",
    "CreateTask",
    "Query",
    "Report",
    "RescheduleMeeting",
    "SetReminders",
    "Summarize",
    "ToolArgs",
    "UpdateMeeting",
    "UpdateProject",
    "UpdateTask",
    "parse_rrule",
    "tool_schemas",
]

VOCABULARY_VERSION = 2

Name = Annotated[str, StringConstraints(strip_whitespace=True, min_length=1, max_length=200)]
Title = Annotated[str, StringConstraints(strip_whitespace=True, min_length=1, max_length=500)]
Text = Annotated[str, StringConstraints(strip_whitespace=True, max_length=5000)]
Ref = (
    Annotated[int, Field(ge=0, le=2**63 - 1)]
    | Annotated[str, StringConstraints(strip_whitespace=True, min_length=1, max_length=500)]
)

PriorityName = Literal["low", "normal", "high", "urgent"]
StatusName = Literal["todo", "in_progress", "blocked", "done", "cancelled"]
RoleName = Literal["admin", "pm", "member"]
ProjectStatusName = Literal["active", "paused", "done", "archived"]
QueryKind = Literal[
    "my_tasks", "tasks", "progress", "overdue", "due_soon", "meetings", "risk", "budget"
]
MemoryKind = Literal["message", "transcript", "task", "meeting", "minutes", "file"]
ReminderKind = Literal["all", "daily", "meeting", "deadline", "countdown", "weekly_report", "risk"]
Money = Annotated[float, Field(ge=0, le=1e12)]
ShiftMinutes = Annotated[int, Field(ge=-366 * 24 * 60, le=366 * 24 * 60)]


EARLIEST = datetime(1970, 1, 2, tzinfo=UTC)
LATEST = datetime(2199, 12, 30, tzinfo=UTC)


def check_time(value: datetime) -> datetime:
    """An aware datetime between 1970 and 2199 (UTC); ``9999-12-31T23:59:59-23:59`` is refused
    here instead of overflowing when it is converted for storage."""
    if value.tzinfo is None or value.utcoffset() is None:
        raise ValueError("时间必须带时区偏移，例如 2026-11-25T15:00:00+08:00")
    # Compared on the wall clock, a day inside each end: no offset can then push the instant
    # out of what datetime (and the database) can hold.
    if not EARLIEST <= value.replace(tzinfo=UTC) <= LATEST:
        raise ValueError("时间超出范围：只能在 1970 年到 2199 年之间")
    return value


def _require_offset(value: datetime | None) -> datetime | None:
    return None if value is None else check_time(value)


AwareTime = Annotated[datetime, AfterValidator(check_time)]
"""A timezone-aware time in the range the task store keeps (for schemas outside the tools)."""


_RRULE_PARTS = {
    "FREQ": re.compile(r"^(DAILY|WEEKLY|MONTHLY|YEARLY)$"),
    "INTERVAL": re.compile(r"^[1-9]\d{0,2}$"),
    "BYDAY": re.compile(
        r"^([+-]?[1-5]?(MO|TU|WE|TH|FR|SA|SU))(,[+-]?[1-5]?(MO|TU|WE|TH|FR|SA|SU))*$"
    ),
    "BYMONTHDAY": re.compile(r"^-?([1-9]|[12]\d|3[01])(,-?([1-9]|[12]\d|3[01]))*$"),
    "BYMONTH": re.compile(r"^([1-9]|1[0-2])(,([1-9]|1[0-2]))*$"),
    "COUNT": re.compile(r"^[1-9]\d{0,3}$"),
    "UNTIL": re.compile(r"^\d{8}(T\d{6}Z?)?$"),
}


def parse_rrule(rule: str) -> dict[str, str]:
    """The parts of an RFC 5545 recurrence rule (the subset Qunmi uses), upper-cased, or
    ``ValueError`` with a Chinese reason. ``FREQ=WEEKLY;BYDAY=MO`` → {"FREQ": "WEEKLY", ...}."""
    parts: dict[str, str] = {}
    for chunk in rule.strip().removeprefix("RRULE:").split(";"):
        if not chunk.strip():
            continue
        key, sep, value = chunk.partition("=")
        key, value = key.strip().upper(), value.strip().upper()
        pattern = _RRULE_PARTS.get(key)
        if not sep or pattern is None or not pattern.match(value) or key in parts:
            raise ValueError(f"重复规则“{rule}”看不懂：{chunk.strip()}")
        parts[key] = value
    if "FREQ" not in parts:
        raise ValueError("重复规则必须有 FREQ，例如 FREQ=WEEKLY;BYDAY=MO")
    if "COUNT" in parts and "UNTIL" in parts:
        raise ValueError("重复规则里 COUNT 和 UNTIL 只能二选一")
    return parts


def _check_rrule(value: str | None) -> str | None:
    if value is None:
        return None
    parts = parse_rrule(value)
    return ";".join(f"{k}={v}" for k, v in parts.items())


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
    budget: Money | None = Field(
        default=None, description="项目预算（元）；只有项目经理和管理员可以设置和查看"
    )

    _check_deadline = field_validator("deadline")(_require_offset)


class UpdateProject(ToolArgs):
    """修改项目：截止/上线时间、预算、已花费用、负责人或状态（进行中、暂停、完成、归档）。project 不填则为当前群所属项目。预算只有项目经理和管理员可以改。"""

    tool_name: ClassVar[str] = "update_project"
    project: Name | None = Field(default=None, description="项目名；不填则为当前群所属项目")
    deadline: datetime | None = Field(default=None, description="新的截止或上线时间")
    budget: Money | None = Field(default=None, description="新的项目预算（元）")
    spent: Money | None = Field(default=None, description="到目前为止已花费用（元）")
    owner: Name | None = Field(default=None, description="新的负责人")
    status: ProjectStatusName | None = Field(
        default=None, description="active 进行中 / paused 暂停 / done 完成 / archived 归档"
    )

    _check_deadline = field_validator("deadline")(_require_offset)


class CreateMilestone(ToolArgs):
    """给项目加一个里程碑（提测、上线、交付、验收等节点），到期前会按设置倒计时提醒，例如“距离上线还剩7天”。"""

    tool_name: ClassVar[str] = "create_milestone"
    title: Title = Field(description="里程碑名称，例如“提测”“正式上线”")
    due: datetime = Field(description="节点日期时间，ISO 8601 带时区偏移")
    project: Name | None = Field(default=None, description="项目名；不填则为当前群所属项目")

    _check_due = field_validator("due")(_require_offset)


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
    cost: Money | None = Field(
        default=None, description="这项任务的费用（元），只在明确说了金额时填"
    )

    _check_due = field_validator("due")(_require_offset)


class UpdateTask(ToolArgs):
    """更新一个已有任务：状态（开始做、完成、卡住、取消、重新打开）、截止时间（或顺延多久）、负责人（转给别人）、优先级，或记一条进展。task 可以是任务编号，也可以是能认出这个任务的几个词，例如“登录页”。"""

    tool_name: ClassVar[str] = "update_task"
    task: Ref = Field(description="任务编号（如 12 或 #12），或能认出该任务的词语")
    status: StatusName | None = Field(
        default=None,
        description="新状态：todo（待办，也用于重新打开）/ in_progress / blocked / done / cancelled",
    )
    due: datetime | None = Field(default=None, description="新的截止时间，ISO 8601 带时区偏移")
    assignee: Name | None = Field(default=None, description="新的负责人")
    progress_note: Text | None = Field(default=None, description="进展说明，例如“等第三方接口”")
    priority: PriorityName | None = Field(default=None, description="新的优先级")
    shift_minutes: ShiftMinutes | None = Field(
        default=None,
        description="截止时间顺延（正数）或提前（负数）多少分钟，例如“延后两天”为 2880；和 due 二选一",
    )
    cost: Money | None = Field(default=None, description="这项任务的费用（元）")
    title: Title | None = Field(
        default=None, description="新的任务标题，只在更正任务名时填（“不对，标题是X”）"
    )

    _check_due = field_validator("due")(_require_offset)

    @model_validator(mode="after")
    def _one_way_to_move(self) -> UpdateTask:
        if self.due is not None and self.shift_minutes is not None:
            raise ValueError("due 和 shift_minutes 只能二选一")
        return self


class CreateMeeting(ToolArgs):
    """安排一个会议。start 是开始时间（重复的会是第一次的时间）；end 或 duration_minutes 二选一；attendees 是参会人名字列表，或字符串 "all" 表示群里所有人；agenda 是议题列表；remind_before_minutes 是提前多少分钟提醒；recurrence 是重复规则（例会、每天站会）。"""

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
    recurrence: str | None = Field(
        default=None,
        max_length=200,
        description="重复规则（RFC 5545 RRULE，不含 DTSTART），例如每周一 FREQ=WEEKLY;BYDAY=MO，工作日每天 FREQ=WEEKLY;BYDAY=MO,TU,WE,TH,FR，每两周周三 FREQ=WEEKLY;INTERVAL=2;BYDAY=WE，每月15号 FREQ=MONTHLY;BYMONTHDAY=15",
    )

    _check_times = field_validator("start", "end")(_require_offset)
    _check_recurrence = field_validator("recurrence")(_check_rrule)


class RescheduleMeeting(ToolArgs):
    """把已安排的会议改到新的时间，或整体提前/推后一段时间（“推迟半小时”）。meeting 可以是会议编号，或能认出这个会的词语（例如“周会”“首页改版”）。start 和 shift_minutes 二选一。"""

    tool_name: ClassVar[str] = "reschedule_meeting"
    meeting: Ref = Field(description="会议编号，或能认出该会议的词语")
    start: datetime | None = Field(default=None, description="新的开始时间，ISO 8601 带时区偏移")
    end: datetime | None = Field(default=None, description="新的结束时间")
    shift_minutes: ShiftMinutes | None = Field(
        default=None, description="整体推后（正数）或提前（负数）多少分钟，例如“推迟半小时”为 30"
    )

    _check_times = field_validator("start", "end")(_require_offset)

    @model_validator(mode="after")
    def _one_way_to_move(self) -> RescheduleMeeting:
        if (self.start is None) == (self.shift_minutes is None):
            raise ValueError("新的开始时间 start 和顺延 shift_minutes 必须给一个且只给一个")
        if self.end is not None and self.start is None:
            raise ValueError("给了结束时间 end 就要同时给开始时间 start")
        return self


class UpdateMeeting(ToolArgs):
    """修改已安排会议的地点、标题、议题、参会人或提醒时间（改时间用 reschedule_meeting）。meeting 是会议编号或能认出这个会的词语。"""

    tool_name: ClassVar[str] = "update_meeting"
    meeting: Ref = Field(description="会议编号，或能认出该会议的词语")
    title: Title | None = Field(default=None, description="新的会议标题")
    location: Name | None = Field(default=None, description="新的地点")
    agenda: (
        list[Annotated[str, StringConstraints(strip_whitespace=True, min_length=1, max_length=500)]]
        | None
    ) = Field(default=None, description="新的议题列表（替换原来的）")
    add_attendees: list[Name] | Literal["all"] | None = Field(
        default=None, description='加入的参会人名字列表，或 "all" 表示全员'
    )
    remove_attendees: list[Name] | None = Field(default=None, description="不再参会的人")
    remind_before_minutes: int | None = Field(
        default=None, ge=0, le=7 * 24 * 60, description="提前提醒的分钟数"
    )


class CancelMeeting(ToolArgs):
    """取消一个已安排的会议。只有组织者、项目经理或管理员可以取消。"""

    tool_name: ClassVar[str] = "cancel_meeting"
    destructive: ClassVar[bool] = True
    meeting: Ref = Field(description="会议编号，或能认出该会议的词语")
    reason: Text | None = Field(default=None, description="取消原因")
    occurrence: date | None = Field(
        default=None,
        description="重复的会只取消其中一次时，那一次的日期（YYYY-MM-DD）；不填则取消整个会（或整个系列）",
    )


class Query(ToolArgs):
    """查询（只读）：my_tasks 某人（默认发消息的人）未完成的任务；tasks 全部未完成任务（可按人、状态、时间段筛选）；progress 项目进度；overdue 逾期任务；due_soon 快到期（48 小时内）的任务；meetings 接下来的会议（默认 7 天，可给时间段）；risk 可能延期的任务（可指定某个任务）；budget 项目预算和花费（只有项目经理和管理员能看）。since/until 是时间段：任务按截止时间、会议按开始时间筛选。"""

    tool_name: ClassVar[str] = "query"
    kind: QueryKind = Field(description="查询类型")
    member: Name | None = Field(default=None, description="查询谁的；“我”表示发消息的人")
    project: Name | None = Field(default=None, description="项目名")
    task: Ref | None = Field(default=None, description="risk 查询时指定的任务编号或词语")
    status: list[StatusName] | None = Field(default=None, description="只看这些状态的任务")
    since: datetime | None = Field(default=None, description="时间段开始（含），ISO 8601 带时区")
    until: datetime | None = Field(default=None, description="时间段结束（不含），ISO 8601 带时区")

    _check_times = field_validator("since", "until")(_require_offset)


class Ask(ToolArgs):
    """在团队的历史记录（聊天、语音转写、任务、会议、纪要、文件）里查找并回答关于过去的问题，例如“首页改版之前怎么定的”“设计稿最新版在哪”“谁负责支付对接”“为什么延期了”“找一下登录页的设计稿”。找不到就如实说没找到。"""

    tool_name: ClassVar[str] = "ask"
    question: Annotated[
        str, StringConstraints(strip_whitespace=True, min_length=1, max_length=500)
    ] = Field(description="要查的问题，保留原话的关键词")
    kind: MemoryKind | None = Field(
        default=None,
        description="只查某一类：message / transcript / task / meeting / minutes / file",
    )
    project: Name | None = Field(default=None, description="只查某个项目")


class Summarize(ToolArgs):
    """总结群聊或会议：给 meeting 则生成该会议的纪要（决定、待办、遗留问题）；否则总结当前群在 since 到 until 之间的讨论（until 不填为现在）。"""

    tool_name: ClassVar[str] = "summarize"
    meeting: Ref | None = Field(default=None, description="会议编号或能认出该会议的词语")
    since: datetime | None = Field(default=None, description="从什么时候开始，ISO 8601 带时区")
    until: datetime | None = Field(default=None, description="到什么时候为止（不含）")

    _check_times = field_validator("since", "until")(_require_offset)


class Report(ToolArgs):
    """生成项目简报：weekly 周报（完成率、准时率、延期、新建/完成任务、成员活跃度、会议、主要风险，附图表）。project 不填则为当前群所属项目。"""

    tool_name: ClassVar[str] = "report"
    kind: Literal["weekly"] = Field(default="weekly", description="简报类型")
    project: Name | None = Field(default=None, description="项目名")


class SetReminders(ToolArgs):
    """打开或关闭当前群的某类自动提醒：daily 每日提醒（逾期汇总、每日摘要）、meeting 会前提醒、deadline 任务到期提醒、countdown 里程碑倒计时、weekly_report 每周简报、risk 延期风险预警、all 全部。"""

    tool_name: ClassVar[str] = "set_reminders"
    what: ReminderKind = Field(description="哪一类提醒")
    enabled: bool = Field(description="true 打开，false 关闭")


TOOLS: dict[str, type[ToolArgs]] = {
    cls.tool_name: cls
    for cls in (
        CreateProject,
        UpdateProject,
        CreateMilestone,
        AddMember,
        CreateTask,
        UpdateTask,
        CreateMeeting,
        RescheduleMeeting,
        UpdateMeeting,
        CancelMeeting,
        Query,
        Ask,
        Summarize,
        Report,
        SetReminders,
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
