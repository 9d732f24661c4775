"""From time expressions (``assistant.timeparse``) to the instants a tool call needs.

The time normalizer says what a phrase means ("下午" is 13:00–18:00); this module decides what a
meeting start or a task due made of it is, per docs/conventions.md.
"""

from __future__ import annotations

import calendar
import re
from datetime import datetime, timedelta
from typing import TYPE_CHECKING

if TYPE_CHECKING:
    from assistant.timeparse.types import DurationMatch, TimeMatch

__all__ = [
    "MEETING_HOURS",
    "due_instant",
    "keep_part_of_day",
    "stored_start",
    "find_durations",
    "find_times",
    "iso",
    "meeting_slot",
]

# When a meeting needs one start time and only a part of the day is named.
MEETING_HOURS: dict[str, int] = {
    "凌晨": 6,
    "早上": 9,
    "早晨": 9,
    "清早": 9,
    "早": 9,
    "上午": 10,
    "中午": 12,
    "午后": 14,
    "下午": 14,
    "傍晚": 17,
    "晚上": 19,
    "晚": 19,
    "夜里": 20,
}
MEETING_DEFAULT_HOUR = 10
# When a due names only a part of the day.
_DUE_HOURS: dict[str, int] = {
    "早上": 9,
    "早晨": 9,
    "早": 9,
    "上午": 12,
    "中午": 13,
    "下午": 18,
    "傍晚": 19,
    "晚上": 22,
    "晚": 22,
    "夜里": 22,
    "凌晨": 6,
}


def find_times(text: str, now: datetime) -> tuple[list[TimeMatch], list[TimeMatch]]:
    """(one-off times, recurring times) in ``text`` read against ``now``.

    A recurring phrase ("每周四上午十点") is matched whole so that its clock time is never taken
    for a one-off time; the engine treats it as "no one-off time".
    """
    try:
        from assistant.timeparse import parse_times

        # "汇总一下 月底前": the 下 of 一下 is no 下 of 下个月 across the pause (same length).
        found = parse_times(_YIXIA_PAUSE.sub("  ", text), now, include_sets=True)
    except Exception:  # noqa: BLE001 - a time phrase we cannot read is no reason to fail
        return [], []
    one_off = [t for t in found if t.type != "set" and not _inside_noun(text, t)]
    return one_off, [t for t in found if t.type == "set"]


_YIXIA_PAUSE = re.compile(r"(?<![周期拜])一下(?=\s)")
_DAY_WORD = re.compile(r"[0-9今明后昨前天周星期礼拜号日点时分早晚上下午]|月底|月初|年底")
_VERB_BEFORE = re.compile(
    r"(?:整理|统计|汇总|核对|准备|复盘|总结|检查|梳理|更新|收集|导出|出|做|写|查|排|对)$"
)


_NUMBERED_THING = re.compile(r"[0-9一二两三四五六七八九十]+号$")
_THING_AFTER2 = re.compile(r"冷柜|冰柜|货架|机位|展位|摊位|包厢|工位|窗口|病床|车间|展台|档口|电梯")
_THING_AFTER = re.compile(r"[棚楼床线门仓库厅室房机车位窗台柜桌摊店馆场区栋院口码箱槽坑井塔罐炉池]")


def _inside_noun(text: str, t: TimeMatch) -> bool:
    """ "整理国庆期间的预约记录" / "五一期间的客诉记录": a holiday inside a noun phrase names
    what the thing is about, not a time of the sentence."""
    if _NUMBERED_THING.fullmatch(t.text) and (
        _THING_AFTER.match(text[t.end : t.end + 1]) or _THING_AFTER2.match(text[t.end : t.end + 2])
    ):
        return True  # "二号棚", "3号楼", "2号冷柜": a numbered thing, not a day of the month
    if t.start > 0 and text[t.start - 1] == "一" and re.match(r"下(?:年|个?月|周)", t.text):
        return True  # "讲一下年度计划", "看一下周报": 一下 then a noun, not next year or week
    if _DAY_WORD.search(t.text) and not re.fullmatch(
        r"(?:端午|中秋|春节|国庆|五一|元旦)节?", t.text
    ):
        return False
    after = text[t.end : t.end + 4]
    if after.startswith(("期间的", "假期的", "假期里的", "前后的", "档期的")):
        return True
    return after.startswith("的") and _VERB_BEFORE.search(text[: t.start].rstrip()) is not None


def find_durations(text: str) -> list[DurationMatch]:
    try:
        from assistant.timeparse import parse_durations

        return list(parse_durations(text))
    except Exception:  # noqa: BLE001
        return []


def iso(value: datetime) -> str:
    return value.isoformat()


def _at(day: datetime, hour: int, minute: int = 0) -> datetime:
    return day.replace(hour=hour, minute=minute, second=0, microsecond=0)


def _anchor(m: TimeMatch) -> datetime | None:
    return m.value if m.value is not None else m.from_


def _has_day(m: TimeMatch) -> bool:
    return m.grain in ("day", "hour", "minute", "second")


def meeting_slot(m: TimeMatch) -> tuple[datetime | None, datetime | None]:
    """A meeting's (start, end) from a time expression; start is None when no day is known."""
    anchor = _anchor(m)
    if anchor is None:
        return None, None
    if m.type == "interval" and m.from_ is not None and m.has_clock:
        end = m.to if m.to is not None and m.to > m.from_ else None
        return m.from_, end
    if m.has_clock:
        return anchor, None
    if m.part_of_day:
        hour = MEETING_HOURS.get(m.part_of_day)
        if hour is None:
            return anchor, None
        return _at(anchor, hour), None
    if _has_day(m):
        return _at(anchor, MEETING_DEFAULT_HOUR), None
    return None, None


_BARE_CLOCK = re.compile(
    r"(?:[0-9]{1,2}|[一二两三四五六七八九十]{1,3})\s?(?:点钟?|时)(?:半|整|一刻|三刻|[0-9]{1,2}分?|[零一二三四五六七八九十]{1,3}分?)?"
)
_NOT_BARE = re.compile(r"[:：]|[AaPp]\.?[Mm]|早|晚|午|凌晨|夜")
_PM_PARTS = frozenset(("下午", "傍晚", "晚上", "深夜"))


def keep_part_of_day(
    new: TimeMatch,
    start: datetime,
    old_start: datetime | None,
    old_part: str | None,
    old_has_clock: bool,
) -> datetime:
    """A moved meeting keeps its part of the day when the new time does not name one
    (docs/conventions.md, "Moving a meeting"): a bare clock ("改到8点") is read in the half of
    the day the meeting was in (an evening meeting → 20:00); a new day with no time at all
    ("周三下午的培训改到周四") keeps the old clock time, or the old part of the day's meeting
    hour. ``old_*`` describe the meeting before the move (from the message or its record)."""
    if new.part_of_day is not None or (old_start is None and old_part is None):
        return start
    pm = old_part in _PM_PARTS if old_part is not None else bool(old_start and old_start.hour >= 13)
    if new.has_clock:
        if new.type != "point" or not _BARE_CLOCK.search(new.text) or _NOT_BARE.search(new.text):
            return start
        # For a morning meeting the bare-N点 rule stands ("改到3点" = 15:00, "改到9点" = 09:00).
        return start + timedelta(hours=12) if pm and start.hour < 12 else start
    if new.grain != "day" or new.type != "point":
        return start
    if old_has_clock and old_start is not None:
        return start.replace(hour=old_start.hour, minute=old_start.minute)
    if old_part is not None and old_part in MEETING_HOURS:
        return start.replace(hour=MEETING_HOURS[old_part], minute=0)
    return start


_STORED = re.compile(
    r"#\d+\s+(?P<title>.+?)（(?P<m>\d{2})-(?P<d>\d{2}) (?P<h>\d{2}):(?P<mi>\d{2})）$"
)


def stored_start(ref: str, upcoming: list[str], now: datetime) -> datetime | None:
    """The current start of the one upcoming meeting whose title contains ``ref`` (lines as
    the chat context gives them: "#12 评审会（12-03 15:00）"); None when none or several match."""
    if not ref:
        return None
    found: list[datetime] = []
    for line in upcoming:
        m = _STORED.match(line.strip())
        if m is None or (ref not in m["title"] and m["title"] not in ref):
            continue
        year = now.year + (1 if int(m["m"]) < now.month - 6 else 0)
        found.append(
            now.replace(
                year=year,
                month=int(m["m"]),
                day=int(m["d"]),
                hour=int(m["h"]),
                minute=int(m["mi"]),
                second=0,
                microsecond=0,
            )
        )
    return found[0] if len(found) == 1 else None


def due_instant(m: TimeMatch, *, workday_end_hour: int = 18) -> datetime | None:
    """A task's due from a time expression: the end of what it names, per the conventions."""
    if m.deadline and m.value is not None and m.type == "point":
        return m.value
    anchor = _anchor(m)
    if anchor is None:
        return None
    if m.has_clock:
        if m.type == "interval" and m.to is not None:
            return m.to
        return anchor
    if m.part_of_day:
        hour = _DUE_HOURS.get(m.part_of_day)
        if hour is not None:
            return _at(anchor, hour)
        if m.type == "interval" and m.to is not None and m.to.hour:
            return m.to
        return _at(anchor, workday_end_hour)
    if m.grain == "week":
        monday = anchor - timedelta(days=anchor.weekday())
        return _at(monday + timedelta(days=4), workday_end_hour)
    if m.grain == "month":
        last = calendar.monthrange(anchor.year, anchor.month)[1]
        return _at(anchor.replace(day=last), workday_end_hour)
    if m.grain == "year":
        return _at(anchor.replace(month=12, day=31), workday_end_hour)
    if m.type == "interval" and m.to is not None and m.from_ is not None:
        last_day = m.to - timedelta(microseconds=1)
        if (last_day.date() - m.from_.date()).days >= 1:
            return _at(last_day, workday_end_hour)
    return _at(anchor, workday_end_hour)
