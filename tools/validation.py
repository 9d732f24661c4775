"""Checking a tool call against the vocabulary, with one short Chinese reason when it fails."""

from __future__ import annotations

from collections.abc import Iterable, Mapping
from typing import Any

from pydantic import ValidationError

from assistant.domain import ToolCall
from assistant.errors import InvalidInput
from tools.vocabulary import TOOLS, ToolArgs

__all__ = ["describe", "describe_all", "explain", "validate_call"]

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


_KIND_WORDS = {
    "string_type": "文字",
    "int_type": "整数",
    "int_parsing": "整数",
    "int_from_float": "整数",
    "float_type": "数字",
    "float_parsing": "数字",
    "decimal_parsing": "数字",
    "bool_type": "true 或 false",
    "bool_parsing": "true 或 false",
    "list_type": "列表",
    "tuple_type": "列表",
    "set_type": "列表",
    "dict_type": "JSON 对象",
    "model_type": "JSON 对象",
    "model_attributes_type": "JSON 对象",
    "bytes_type": "文字",
}
_WHERE = {"body": "", "query": "查询参数 ", "path": "路径参数 ", "header": "请求头 ", "cookie": ""}


def _field(loc: tuple[Any, ...], names: dict[str, str] | None = None) -> str:
    """``截止时间（due）`` for a known tool field, ``查询参数 limit`` for an API parameter,
    ``请求体`` for the body itself."""
    names = _FIELD_NAMES if names is None else names
    where = ""
    if loc and str(loc[0]) in _WHERE:
        where, loc = _WHERE[str(loc[0])], loc[1:]
    if not loc:
        return where.strip() or "请求体"
    path = str(loc[0])
    for part in loc[1:]:
        path += f"[{part}]" if isinstance(part, int) else f".{part}"
    if len(loc) == 1 and path in names:
        return f"{where}{names[path]}（{path}）"
    return f"{where}{path}"


def _expected(ctx: dict[str, Any]) -> str:
    expected = str(ctx.get("expected", ""))
    return expected.replace(" or ", ", ").replace("'", "")


def describe(err: Mapping[str, Any], names: dict[str, str] | None = None) -> str:
    """One pydantic error in Chinese, whole (no English from the library)."""
    kind = str(err.get("type", ""))
    loc = tuple(err.get("loc", ()))
    field = _field(loc, names)
    ctx = err.get("ctx") or {}
    if kind == "missing":
        return f"缺少{field}"
    if kind == "extra_forbidden":
        return f"不认识的参数 {field}"
    if kind == "json_invalid":
        return "请求体不是合法的 JSON"
    if kind in _KIND_WORDS:
        return f"{field}应该是{_KIND_WORDS[kind]}"
    if kind.startswith(("datetime", "date", "time", "timezone")):
        return f"{field}不是合法的时间，需要 ISO 8601 带时区，例如 2026-11-26T15:00:00+08:00"
    if kind in ("literal_error", "enum"):
        return f"{field}只能是 {_expected(ctx)}"
    if kind == "string_too_long":
        return f"{field}太长（最多 {ctx.get('max_length', '')} 个字符）"
    if kind == "too_long":
        return f"{field}太多（最多 {ctx.get('max_length', '')} 项）"
    if kind == "string_too_short":
        return f"{field}不能为空"
    if kind == "too_short":
        return f"{field}至少要有 {ctx.get('min_length', '')} 项"
    if kind == "string_pattern_mismatch":
        return f"{field}的格式不对"
    if kind in ("greater_than_equal", "greater_than", "less_than_equal", "less_than"):
        sign = {"greater_than_equal": "≥", "greater_than": ">", "less_than_equal": "≤"}.get(
            kind, "<"
        )
        bound = next((ctx[k] for k in ("ge", "gt", "le", "lt") if k in ctx), "")
        return f"{field}超出范围（必须 {sign} {bound}）"
    if kind == "finite_number":
        return f"{field}必须是有限的数字"
    if kind.startswith("url"):
        return f"{field}不是合法的网址"
    if kind in ("value_error", "assertion_error"):
        msg = (
            str(err.get("msg", "")).removeprefix("Value error, ").removeprefix("Assertion failed, ")
        )
        if msg and not msg.isascii():
            return f"{field}：{msg}"
    return f"{field}的类型或取值不对"


def describe_all(errors: Iterable[Any], names: dict[str, str] | None = None) -> str:
    """Every error of a validation failure in Chinese, once each, joined."""
    parts = list(dict.fromkeys(describe(err, names) for err in errors))
    return "；".join(parts) + "。" if parts else "请求不合法。"


def explain(exc: ValidationError) -> tuple[str, list[dict[str, Any]]]:
    """A reason in Chinese for the user or the model, and the raw error list for details."""
    reason = describe_all(exc.errors())
    details = [
        {"loc": [str(x) for x in e.get("loc", ())], "type": e.get("type"), "msg": e.get("msg")}
        for e in exc.errors()
    ]
    return reason, details


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
