"""The chat grammar for a minutes card: "确认", "确认1、3", "去掉2", "2改到周四", "2给老李".

Pure: a reply in, a ``CardReply`` out (or ``None`` when the message is not about the card).
"""

from __future__ import annotations

import re
from dataclasses import dataclass, field
from datetime import datetime, timedelta
from typing import Any

__all__ = ["CardReply", "Edit", "read_reply", "read_summary_request"]

_CN = {
    "一": 1,
    "二": 2,
    "两": 2,
    "三": 3,
    "四": 4,
    "五": 5,
    "六": 6,
    "七": 7,
    "八": 8,
    "九": 9,
    "十": 10,
}
_NUM = r"(?:\d{1,2}|十[一二三四五六七八九]?|[一二两三四五六七八九]十?[一二三四五六七八九]?)"
_ITEM = rf"(?:第\s*)?{_NUM}\s*(?:条|项|个)?"
_LIST = rf"{_ITEM}(?:\s*(?:、|,|，|和|跟|及|与|\s)\s*{_ITEM})*"

_ALL = re.compile(
    r"^(?:好的?|可以|没问题|ok|OK)?[，,\s]*(?:全部|都|全都)?确认(?:全部|一下|无误)?(?:吧|了)?[。!！\s]*$"
)
_CONFIRM = re.compile(
    rf"^(?:确认|保留|要)\s*(?P<list>{_LIST})[。!！\s]*$|^(?P<list2>{_LIST})\s*确认[。!！\s]*$"
)
_DROP = re.compile(
    rf"^(?:去掉|删掉|删除|不要|去除|划掉|取消)\s*(?P<list>{_LIST})[。!！\s]*$|^(?P<list2>{_LIST})\s*(?:去掉|删掉|不要|不用|取消)了?[。!！\s]*$"
)
_EDIT = re.compile(
    rf"^(?:把)?(?P<n>{_ITEM})\s*(?:的)?\s*(?P<what>截止(?:时间|日期)?|时间|负责人|标题)?\s*"
    r"(?P<verb>改成|改为|改到|换成|延到|推到|提前到|给|交给|由)\s*(?P<value>.+?)[。!！\s]*$"
)
_MIXED = re.compile(rf"确认\s*(?P<keep>{_LIST})[，,；;\s]*(?:去掉|删掉|不要)\s*(?P<drop>{_LIST})")


def _number(token: str) -> int | None:
    token = token.strip().lstrip("第").rstrip("条项个").strip()
    if token.isdigit():
        return int(token)
    if not token:
        return None
    if token == "十":
        return 10
    total = 0
    if "十" in token:
        head, _, tail = token.partition("十")
        total = (_CN.get(head, 1) if head else 1) * 10 + (_CN.get(tail, 0) if tail else 0)
        return total
    return _CN.get(token)


def _numbers(text: str) -> list[int]:
    found = re.findall(_NUM, text)
    return [n for n in (_number(t) for t in found) if n is not None]


@dataclass(frozen=True, slots=True)
class Edit:
    n: int
    field: str  # due | owner | title
    value: str


@dataclass(frozen=True, slots=True)
class CardReply:
    """What a reply asks of the card: confirm all or some items, drop some, change one."""

    confirm_all: bool = False
    confirm: tuple[int, ...] = ()
    drop: tuple[int, ...] = ()
    edits: tuple[Edit, ...] = field(default_factory=tuple)


def read_reply(text: str) -> CardReply | None:
    """The card action a chat reply asks for, or ``None`` when it asks for none."""
    stripped = re.sub(r"^@\S+\s*", "", text.strip())
    if not stripped or len(stripped) > 60:
        return None
    if _ALL.match(stripped):
        return CardReply(confirm_all=True)
    m = _MIXED.search(stripped)
    if m:
        return CardReply(confirm=tuple(_numbers(m["keep"])), drop=tuple(_numbers(m["drop"])))
    m = _CONFIRM.match(stripped)
    if m:
        return CardReply(confirm=tuple(_numbers(m["list"] or m["list2"])))
    m = _DROP.match(stripped)
    if m:
        return CardReply(drop=tuple(_numbers(m["list"] or m["list2"])))
    m = _EDIT.match(stripped)
    if m:
        n = _number(m["n"])
        if n is None:
            return None
        what = m["what"] or ""
        verb = m["verb"]
        if "负责人" in what or verb in ("给", "交给", "由"):
            kind = "owner"
        elif "标题" in what:
            kind = "title"
        else:
            kind = "due"
        return CardReply(edits=(Edit(n, kind, m["value"].strip()),))
    return None


_SUMMARY_ASK = re.compile(
    r"(?:总结|汇总|整理|出|发|生成|来)(?:一下|个|份|下)?.{0,12}?(?:纪要|摘要|总结|聊了什么|说了什么|讨论了什么|聊了啥|讨论了啥)"
    r"|(?:聊了|讨论了|说了)(?:些)?(?:什么|啥)|总结一下|会议?的?纪要[吧呢？?]*$"
)
_MEETING_WORDS = re.compile(
    r"#(?P<id>\d+)|(?P<words>[\u4e00-\u9fffA-Za-z0-9]{0,8}?(?:会议|会))(?:的)?(?:纪要|总结|摘要)"
)
_WEEK = re.compile(r"这周|本周|这个星期|这星期|本星期|这礼拜")


def read_summary_request(text: str, now: datetime) -> dict[str, Any] | None:
    """The ``summarize`` arguments a chat message asks for ("总结一下今天群里聊了什么",
    "这周讨论了什么", "出一下刚才周会的纪要", "#3会议的纪要"), or ``None``."""
    stripped = re.sub(r"^@\S+\s*", "", text.strip())
    if len(stripped) > 40 or _SUMMARY_ASK.search(stripped) is None:
        return None
    m = _MEETING_WORDS.search(stripped)
    if m is not None and "群" not in stripped:
        if m["id"]:
            return {"meeting": int(m["id"])}
        words = re.sub(r"^(?:出|发|生成|总结|一下|刚才|刚刚|今天|那个|的)+", "", m["words"] or "")
        return {"meeting": words or "会"}
    day = now.replace(hour=0, minute=0, second=0, microsecond=0)
    if _WEEK.search(stripped):
        since = day - timedelta(days=day.weekday())
    elif re.search(r"昨天", stripped):
        since = day - timedelta(days=1)
        return {"since": since.isoformat(), "until": day.isoformat()}
    else:
        since = day
    # No end: up to now, including what was said this second.
    return {"since": since.isoformat()}
