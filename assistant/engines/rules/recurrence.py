"""Recurring slots: "每周一上午10点" → ``FREQ=WEEKLY;BYDAY=MO`` and its first occurrence.

The rule is an RFC 5545 RRULE without DTSTART (conventions, "create_meeting, recurring"): every
day, every weekday (工作日), weekends, every N weeks on given days, a day of the month, or the
first / last such weekday of the month; "到X为止" adds UNTIL, "一共N次" COUNT. The first
occurrence is the first slot at or after now (today counts only if its time is still ahead),
or after the start named by "从X开始".
"""

from __future__ import annotations

import calendar
import re
from dataclasses import dataclass
from datetime import date, datetime, timedelta

from assistant.engines.rules.timeslots import MEETING_DEFAULT_HOUR, MEETING_HOURS, find_times
from assistant.timeparse.numbers import to_number

__all__ = ["Recurrence", "find_recurrence"]

_DAYS = "MO TU WE TH FR SA SU".split()
_WD = {"一": 0, "二": 1, "三": 2, "四": 3, "五": 4, "六": 5, "日": 6, "天": 6, "末": -1}
_WD.update({str(i + 1): i for i in range(7)})
_EN_WD = {
    "monday": 0, "tuesday": 1, "wednesday": 2, "thursday": 3, "friday": 4, "saturday": 5,
    "sunday": 6, "mon": 0, "tue": 1, "wed": 2, "thu": 3, "fri": 4, "sat": 5, "sun": 6,
}  # fmt: skip
_WEEKDAY = r"(?:周|星期|礼拜)(?P<{n}>[一二三四五六日天1-7])"
_NUM = r"[0-9一二两三四五六七八九十]{1,3}"

_PATTERNS: list[tuple[re.Pattern[str], str]] = [
    (
        re.compile(r"每(?:个)?月(?:的)?(?:最后一个|最后一|倒数第一个)" + _WEEKDAY.format(n="w")),
        "last",
    ),
    (re.compile(rf"每(?:个)?月(?:的)?第(?P<k>{_NUM})个?" + _WEEKDAY.format(n="w")), "nth"),
    (re.compile(rf"每(?:个)?月(?:的)?(?P<d>{_NUM})(?:号|日)"), "monthday"),
    (
        re.compile(
            r"每(?:个)?工作日(?:的)?|工作日(?:每天|每日)?|(?:每)?周一(?:到|至)周五(?:每天)?"
        ),
        "workdays",
    ),
    (re.compile(r"每(?:个)?周末"), "weekend"),
    (
        re.compile(
            r"(?:每(?:两|2|隔一)(?:个)?(?:周|星期|礼拜)|隔周|双周)(?:的)?"
            + _WEEKDAY.format(n="w")
            + r"(?:(?:和|、|跟|及)"
            + _WEEKDAY.format(n="w2")
            + ")?"
        ),
        "biweekly",
    ),
    (
        re.compile(
            r"每(?:个)?(?:周|星期|礼拜)(?P<w>[一二三四五六日天1-7])(?:(?:和|、|跟|及|,|，)(?:周|星期|礼拜)?(?P<w2>[一二三四五六日天1-7]))?"
        ),
        "weekly",
    ),
    (re.compile(r"每天|每日|天天|每(?:个)?(?:早上|早晨|晚上)"), "daily"),
    (
        re.compile(
            r"\bevery\s+(?P<e>monday|tuesday|wednesday|thursday|friday|saturday|sunday|mon|tue|wed|thu|fri)\b",
            re.I,
        ),
        "en_weekly",
    ),
    (re.compile(r"\b(?:every\s*day|daily)\b", re.I), "daily"),
    (re.compile(r"\b(?:every\s+weekday|weekdays)\b", re.I), "workdays"),
]
_UNTIL = re.compile(
    r"(?:到|持续到|一直到|截止到|截至)(?P<x>[^,，。;；]{2,12}?)(?:为止|结束|截止)|until\s+(?P<e>[^,，.]{2,20})",
    re.I,
)
_COUNT = re.compile(
    rf"(?:一共|总共|共)(?:要|得)?(?:开|办|上|搞|进行|举行)?(?P<n>{_NUM})(?:次|场|期|节|轮)"
    rf"|(?P<m>{_NUM})(?:次|场|期|节|轮)(?:为止|就结束)"
)
_FROM = re.compile(r"(?:从|自)(?P<x>[^,，。;；]{2,10}?)(?:开始|起)")


@dataclass(frozen=True, slots=True)
class Recurrence:
    rule: str
    first: datetime
    span: tuple[int, int]  # the recurring phrase in the text, with its clock time


def _n(raw: str) -> int | None:
    value = to_number(raw)
    return int(value) if value is not None else None


def _matches(day: date, kind: str, days: list[int], k: int) -> bool:
    if kind in ("daily",):
        return True
    if kind in ("weekly", "biweekly", "workdays", "weekend", "en_weekly"):
        return day.weekday() in days
    if kind == "monthday":
        return day.day == k
    if kind in ("last", "nth"):
        if day.weekday() != days[0]:
            return False
        if kind == "nth":
            return (day.day - 1) // 7 + 1 == k
        return day.day + 7 > calendar.monthrange(day.year, day.month)[1]
    return False


def _clock(text: str, now: datetime) -> tuple[int, int] | None:
    for t in find_times(text, now)[0]:
        if t.has_clock:
            value = t.from_ if t.type == "interval" and t.from_ is not None else t.value
            if value is not None:
                return value.hour, value.minute
        if t.part_of_day and t.part_of_day in MEETING_HOURS:
            return MEETING_HOURS[t.part_of_day], 0
    return None


def find_recurrence(text: str, now: datetime) -> Recurrence | None:
    """The recurring slot said in ``text`` (a clause), or None."""
    for pattern, kind in _PATTERNS:
        m = pattern.search(text)
        if m is None:
            continue
        days: list[int] = []
        k = 0
        parts: list[str]
        if kind == "daily":
            parts = ["FREQ=DAILY"]
        elif kind == "workdays":
            days = [0, 1, 2, 3, 4]
            parts = ["FREQ=WEEKLY", "BYDAY=MO,TU,WE,TH,FR"]
        elif kind == "weekend":
            days = [5, 6]
            parts = ["FREQ=WEEKLY", "BYDAY=SA,SU"]
        elif kind == "en_weekly":
            days = [_EN_WD[m.group("e").lower()]]
            parts = ["FREQ=WEEKLY", f"BYDAY={_DAYS[days[0]]}"]
        elif kind in ("weekly", "biweekly"):
            days = [_WD[m.group("w")]]
            if m.group("w2"):
                days.append(_WD[m.group("w2")])
            if -1 in days:
                continue
            parts = ["FREQ=WEEKLY"] + (["INTERVAL=2"] if kind == "biweekly" else [])
            parts.append("BYDAY=" + ",".join(_DAYS[d] for d in days))
        elif kind == "monthday":
            k = _n(m.group("d")) or 0
            if not 1 <= k <= 31:
                continue
            parts = ["FREQ=MONTHLY", f"BYMONTHDAY={k}"]
        else:
            wd = _WD[m.group("w")]
            if wd < 0:
                continue
            days = [wd]
            if kind == "nth":
                k = _n(m.group("k")) or 0
                if not 1 <= k <= 4:
                    continue
                parts = ["FREQ=MONTHLY", f"BYDAY={k}{_DAYS[wd]}"]
            else:
                parts = ["FREQ=MONTHLY", f"BYDAY=-1{_DAYS[wd]}"]
        rest = text[: m.start()] + " " * (m.end() - m.start()) + text[m.end() :]
        until = _UNTIL.search(rest)
        count = _COUNT.search(rest)
        start_from = _FROM.search(rest)
        clock_text = rest
        for extra in (until, count, start_from):
            if extra is not None:
                clock_text = (
                    clock_text[: extra.start()]
                    + " " * (extra.end() - extra.start())
                    + clock_text[extra.end() :]
                )
        clock = _clock(clock_text, now) or (MEETING_DEFAULT_HOUR, 0)
        earliest = now
        if start_from is not None:
            found = find_times(start_from.group("x"), now)[0]
            if found:
                anchor = found[0].from_ or found[0].value
                if anchor is not None and anchor > now:
                    earliest = anchor.replace(hour=0, minute=0, second=0, microsecond=0)
        if until is not None:
            found = find_times(until.group("x") or until.group("e") or "", now)[0]
            anchor = (found[0].value or found[0].from_) if found else None
            if anchor is not None:
                parts.append(f"UNTIL={anchor:%Y%m%d}")
        elif count is not None:
            n = _n(count.group("n") or count.group("m") or "")
            if n:
                parts.append(f"COUNT={n}")
        day = earliest.date()
        first: datetime | None = None
        for _ in range(400):
            if _matches(day, kind, days, k):
                slot = datetime(day.year, day.month, day.day, clock[0], clock[1], tzinfo=now.tzinfo)
                if slot > now:
                    first = slot
                    break
            day += timedelta(days=1)
        if first is None:
            return None
        return Recurrence(";".join(parts), first, (m.start(), m.end()))
    return None
