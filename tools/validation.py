"""Checking a tool call against the vocabulary, with one short Chinese reason when it fails."""

from __future__ import annotations

from typing import Any

from pydantic import ValidationError

from assistant.domain import ToolCall
from assistant.errors import InvalidInput
from tools.vocabulary import TOOLS, ToolArgs

__all__ = ["explain", "validate_call"]

_FIELD_NAMES = {
    "title": "标题",
    "name": "名称",
    "assignee": "负责人",
    "due": "截止时间",
    "priority": "优先级",
    "status": "状态",
    "start": "开始时间",
    "end": "结束时间",
    "duration_minutes": "时长",
    "attendees": "参会人",
    "agenda": "议题",
    "location": "地点",
    "remind_before_minutes": "提醒时间",
    "task": "任务",
    "meeting": "会议",
    "member": "成员",
    "project": "项目",
    "owner": "负责人",
    "deadline": "截止时间",
    "members": "成员",
    "role": "角色",
    "kind": "查询类型",
}


def _field(loc: tuple[Any, ...]) -> str:
    if not loc:
        return "参数"
    head = str(loc[0])
    return f"{_FIELD_NAMES.get(head, head)}（{head}）"


def explain(exc: ValidationError) -> tuple[str, list[dict[str, Any]]]:
    """A reason in Chinese for the user or the model, and the raw error list for details."""
    parts: list[str] = []
    for err in exc.errors():
        kind = err.get("type", "")
        field = _field(tuple(err.get("loc", ())))
        if kind == "missing":
            parts.append(f"缺少{field}")
        elif kind == "extra_forbidden":
            parts.append(f"不认识的参数 {err.get('loc', ('?',))[0]}")
        elif kind.startswith("datetime") or kind.startswith("date"):
            parts.append(
                f"{field}不是合法的时间，需要 ISO 8601 带时区，例如 2026-11-26T15:00:00+08:00"
            )
        elif kind == "literal_error":
            expected = (err.get("ctx") or {}).get("expected", "")
            parts.append(f"{field}只能是 {expected}")
        elif kind == "string_too_long":
            limit = (err.get("ctx") or {}).get("max_length", "")
            parts.append(f"{field}太长（最多 {limit} 个字符）")
        elif kind == "string_too_short":
            parts.append(f"{field}不能为空")
        elif kind == "value_error":
            msg = str(err.get("msg", "")).removeprefix("Value error, ")
            parts.append(f"{field}：{msg}")
        elif kind in ("greater_than_equal", "less_than_equal", "greater_than", "less_than"):
            parts.append(f"{field}超出范围")
        else:
            parts.append(f"{field}的类型或取值不对")
    unique = list(dict.fromkeys(parts))
    details = [
        {"loc": [str(x) for x in e.get("loc", ())], "type": e.get("type"), "msg": e.get("msg")}
        for e in exc.errors()
    ]
    return "；".join(unique) + "。", details


def validate_call(call: ToolCall) -> ToolArgs:
    """The call's arguments, parsed; ``InvalidInput`` with a reason the user or the model can act
    on when the tool is unknown or the arguments do not fit. Needs no database."""
    cls = TOOLS.get(call.tool)
    if cls is None:
        raise InvalidInput(
            f"没有名为“{call.tool}”的工具。可用的工具：{'、'.join(TOOLS)}",
            details={"tool": call.tool},
        )
    if not isinstance(call.args, dict):
        raise InvalidInput("工具参数必须是一个 JSON 对象")
    try:
        return cls.model_validate(call.args)
    except ValidationError as exc:
        reason, details = explain(exc)
        if call.tool == "create_meeting" and any(
            d["type"] == "missing" and d["loc"] == ["start"] for d in details
        ):
            reason = "还不知道会议什么时候开，请补充时间，例如“明天下午3点”。"
        raise InvalidInput(reason, details={"errors": details}) from exc
