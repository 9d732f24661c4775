"""Grammar and resolution: atoms → expressions → aware datetimes.

An expression is a run of atoms whose slots rise (year → month → day → part of day → clock),
optionally joined to a second run by a range word (到/至/-/~) and wrapped in deadline words
(X前 / 截止X ...). Each expression is resolved against ``now`` by the rules of
docs/conventions.md (Time).
"""

from __future__ import annotations

import calendar as _cal
import re
from dataclasses import dataclass
from datetime import date, datetime, time, timedelta, timezone, tzinfo
from typing import Any, Literal

from .holidays import PUBLIC_HOLIDAYS
from .holidays import calendar as holidays
from .lexer import Tok, tokenize, zone_after
from .lunar import lunar_to_solar, month_length, solar_to_lunar
from .normalize import normalize
from .types import Grain, TimeMatch

__all__ = ["parse_times"]

# Parts of the day as intervals [start hour, end hour), per the conventions.
POD_HOURS: dict[str, tuple[int, int]] = {
    "早上": (6, 9),
    "上午": (9, 12),
    "中午": (12, 13),
    "下午": (13, 18),
    "傍晚": (17, 19),
    "晚上": (18, 23),
    "凌晨": (0, 6),
    "深夜": (22, 24),
}
# A part of the day used as a due time ("明天上午前"): the end of that part; 晚上 is 22:00.
POD_DUE_HOUR = {
    "早上": 9,
    "上午": 12,
    "中午": 13,
    "下午": 18,
    "傍晚": 19,
    "晚上": 22,
    "凌晨": 6,
    "深夜": 23,
}
_GRAIN_ORDER: dict[Grain, int] = {
    "year": 0,
    "month": 1,
    "week": 2,
    "day": 3,
    "hour": 4,
    "minute": 5,
    "second": 6,
}

_GAP_OK = re.compile(r"[\s的]{0,3}|\s?(?i:at|by|on)\s")
_GAP_COMMA = re.compile(r"\s?[,，、]?\s?")
_RANGE_SEP = re.compile(r"\s?(?:开始)?\s?(?:到|至|-|~)\s?")
_DEADLINE_SUFFIX = re.compile(
    r"\s?(?:(?:或|及)(?=之前|以前))?(?:之前|以前|前(?![端台后天面线期置景辈任段缀夕进往沿列者身妻科奏])|截止|为止|之内|以内|内(?![容部存测网]))"
)
_DEADLINE_PREFIX = re.compile(
    r"(?:(?:截止到|截止至|截至到|截至|截止|不晚于|不迟于|最晚|最迟)(?:在|到|于)?|(?<![A-Za-z])(?i:by|before|due))\s?$"
)
_DUE_VERB_AFTER = frozenset("交给")
# Open ranges (only with ``open_ranges=True``): "X以后" starts after X, "自X起 / X开始 / X或之后"
# at X. A bare "后" counts only after a clock time ("3点后"); "年后" is also "after New Year".
_OPEN_SUFFIX = re.compile(
    r"\s?(?P<incl>或|及|和)?\s?(?P<w>之后|以后|往后|以来|开始|起(?![床来飞草身码诉])|后(?![天日面台端续期来]))"
)
_OPEN_PREFIX = re.compile(r"(?:自从|自打|自|从)\s?$")
_BETWEEN_SEP = re.compile(r"\s?(?:和|与|跟)\s?")
_BETWEEN_END = re.compile(r"\s?(?:之间|中间|间)")


@dataclass(slots=True)
class _Res:
    type: Literal["point", "interval"]
    grain: Grain
    value: datetime | None = None
    from_: datetime | None = None
    to: datetime | None = None
    has_clock: bool = False
    pod: str | None = None
    # For deadlines: what the expression names ("week", "month", "year", "day", "pod").
    scope: str = "day"


def _finer(a: Grain, b: Grain) -> Grain:
    return a if _GRAIN_ORDER[a] >= _GRAIN_ORDER[b] else b


def _add_months(d: date, n: int) -> date:
    y, m = divmod(d.month - 1 + n, 12)
    year = d.year + y
    month = m + 1
    last = _cal.monthrange(year, month)[1]
    return date(year, month, min(d.day, last))


def _month_start(year: int, month: int, n: int = 0) -> date:
    y, m = divmod(month - 1 + n, 12)
    return date(year + y, m + 1, 1)


def _safe_date(y: int, m: int, d: int) -> date | None:
    if not (1 <= m <= 12 and 1 <= y <= 9999):
        return None
    if not 1 <= d <= _cal.monthrange(y, m)[1]:
        return None
    return date(y, m, d)


def _at(d: date, hour: int, minute: int, second: int, tz: tzinfo | None) -> datetime:
    extra = 0
    if hour >= 24:
        extra, hour = divmod(hour, 24)
    return datetime.combine(d + timedelta(days=extra), time(hour, minute, second), tzinfo=tz)


def _hour_24(h: int, pod: str | None, ap: str | None, as_written: bool = False) -> int:
    """The 24-hour hour of an hour as written, by the conventions' rules."""
    if ap == "am":
        return 0 if h == 12 else h
    if ap == "pm":
        return h if h == 12 else h + 12
    if h > 12 or h == 0:
        return h
    if pod in ("早上", "上午"):
        return h
    if pod == "凌晨":
        return 0 if h == 12 else h
    if pod == "中午":
        return h + 12 if h in (1, 2) else h
    if pod in ("下午", "傍晚"):
        return h if h == 12 else h + 12
    if pod == "晚上":
        return 24 if h == 12 else h + 12
    if pod == "深夜":
        return 24 if h == 12 else (h if h <= 5 else h + 12)
    # Bare N点: 1-6 afternoon, 7-11 morning, 12 noon. N:MM stays as written.
    if 1 <= h <= 6 and not as_written:
        return h + 12
    return h


def _monday(d: date) -> date:
    return d - timedelta(days=d.weekday())


def _month_part_day(year: int, month: int, part: str) -> date:
    if part == "end":
        return date(year, month, _cal.monthrange(year, month)[1])
    if part == "mid":
        return date(year, month, 15)
    if part == "late":
        return date(year, month, 21)
    return date(year, month, 1)


def _year_part_day(year: int, part: str) -> date:
    if part == "end":
        return date(year, 12, 31)
    if part == "mid":
        return date(year, 6, 30)
    return date(year, 1, 1)


def _resolve(
    toks: list[Tok],
    now: datetime,
    ref: date,
    deadline: bool,
    workday_end: int,
) -> _Res | None:
    tz = now.tzinfo
    today = now.date()
    year: int | None = None
    year_rel: int | None = None
    year_part: str | None = None
    month: int | None = None
    month_rel: int | None = None
    month_part: str | None = None
    day: int | None = None
    base: date | None = None
    weekday: tuple[int | None, int] | None = None
    week_rel: int | None = None
    holiday: str | None = None
    ordinal: tuple[int, int | None] | None = None
    pod: str | None = None
    clock: dict[str, Any] | None = None
    range_clock: tuple[int, int] | None = None
    offwork = False
    half: dict[str, Any] | None = None
    quarter: dict[str, Any] | None = None
    decade: dict[str, Any] | None = None
    edge: dict[str, Any] | None = None
    ordinal_month = False
    lunar: dict[str, Any] | None = None
    weekday_days = 1
    window: int | None = None
    window_from = 0
    season: int | None = None

    for t in toks:
        k, d = t.kind, t.data
        if k == "now":
            return _Res("point", "second", value=now.replace(microsecond=0), has_clock=True)
        if k == "span":
            return _span(d["n"], d["unit"], d["dir"], now)
        if k == "offset":
            unit = d["unit"]
            n = d["n"] * d["dir"]
            if unit in ("hour", "minute", "second"):
                secs = n * {"hour": 3600, "minute": 60, "second": 1}[unit]
                value = (now + timedelta(seconds=secs)).replace(microsecond=0)
                grain: Grain = "second" if unit == "second" else "minute"
                return _Res("point", grain, value=value, has_clock=True)
            if unit == "day":
                base = today + timedelta(days=round(n))
            elif unit == "week":
                base = today + timedelta(days=round(n * 7))
            elif unit == "month":
                base = _add_months(today, round(n))
            elif unit == "year":
                base = _add_months(today, round(n) * 12)
            elif unit == "workday":
                base = holidays.add_workdays(today, round(n))
        elif k == "date":
            year = d.get("year", year)
            month, day = d["month"], d["day"]
        elif k == "year":
            year, year_part = d["year"], d["part"]
        elif k == "year_rel":
            year_rel, year_part = d["rel"], d.get("part")
        elif k == "month":
            month, month_part = d["month"], d["part"]
        elif k == "month_rel":
            month_rel, month_part = d["rel"], d.get("part")
        elif k == "day":
            day = d["day"]
        elif k == "relday":
            base = today + timedelta(days=d["rel"])
            pod = d.get("pod", pod)
        elif k == "weekday":
            weekday = (d["rel"], d["wd"])
            weekday_days = int(d.get("days", 1))
        elif k == "weekend":
            base = _monday(today) + timedelta(days=7 * d["rel"] + 5)
        elif k == "week":
            week_rel = d["rel"]
        elif k == "holiday":
            holiday = d["name"]
        elif k == "season":
            season = int(d["month"])
        elif k == "window":
            window = int(d["days"])
            window_from = int(d.get("from", 0))
        elif k == "lunar":
            lunar = d
            year = d["year"] if d["year"] is not None else year
        elif k == "ordinal_week":
            ordinal = (d["n"], d["wd"])
        elif k == "pod":
            pod = d["pod"]
        elif k == "clock":
            clock = d
        elif k == "range_clock":
            range_clock = (d["h1"], d["h2"])
        elif k == "offwork":
            offwork = True
        elif k == "half":
            half = d
        elif k == "quarter":
            quarter = d
        elif k == "decade":
            decade = d
        elif k == "year_edge":
            edge = d
        elif k == "ordinal_month":
            month, ordinal_month = d["n"], True
        elif k in ("every", "holiday_rel"):
            return None
        elif k == "year_span":
            a, b = date(d["y1"], 1, 1), date(d["y2"] + 1, 1, 1)
            return _Res(
                "interval", "year", from_=_at(a, 0, 0, 0, tz), to=_at(b, 0, 0, 0, tz), scope="year"
            )

    if year is None and year_rel is not None:
        year = today.year + year_rel
    explicit_year = year is not None
    if (ordinal_month or edge is not None) and not explicit_year:
        return None

    # --- the date --------------------------------------------------------------------------
    date_grain: Grain = "day"
    interval: tuple[date, date] | None = None
    scope = "day"
    if base is not None:
        pass
    elif season is not None:
        # The season of the year named (冬 runs into the next year), else the next one not over.
        y = year if year is not None else today.year
        first = date(y, season, 1)
        if year is None:
            for back in (-1, 0, 1):
                season_first = date(today.year + back, season, 1)
                if _add_months(season_first, 3) > today:
                    first = season_first
                    break
        interval = (first, _add_months(first, 3))
        date_grain, scope = "month", "month"
    elif window is not None:
        first_day = today + timedelta(days=window_from)
        interval = (first_day, first_day + timedelta(days=window))
    elif lunar is not None:
        lspan = _lunar_span(lunar, year, ref)
        if lspan is None:
            return None
        if lunar["day"] is not None:
            base = lspan[0]
        else:
            interval, date_grain, scope = lspan, "month", "month"
    elif holiday is not None:
        span = (
            holidays.span_in_year(holiday, year)
            if year is not None
            else holidays.next_span(holiday, ref)
        )
        if span is None:
            return None
        if (span[1] - span[0]).days == 1:
            base = span[0]
        else:
            interval, date_grain = span, "day"
    elif weekday is not None:
        rel, wd = weekday
        if rel is None:
            base = ref + timedelta(days=(wd - ref.weekday()) % 7)
            if base == today and not deadline and _already_past(base, pod, clock, now):
                base += timedelta(days=7)
        else:
            base = _monday(today) + timedelta(days=7 * rel + wd)
        if weekday_days > 1:
            interval, base = (base, base + timedelta(days=weekday_days)), None
    elif week_rel is not None:
        start = _monday(today) + timedelta(days=7 * week_rel)
        interval, date_grain, scope = (start, start + timedelta(days=7)), "week", "week"
    elif decade is not None:
        if decade["century"] is not None:
            first_year = (decade["century"] - 1) * 100 + decade["decade"]
        else:
            first_year = today.year // 100 * 100 + decade["decade"]
            if first_year > today.year:
                first_year -= 100
        interval = (date(first_year, 1, 1), date(first_year + 10, 1, 1))
        date_grain, scope = "year", "year"
    elif half is not None or quarter is not None or edge is not None:
        interval, date_grain = _period(half, quarter, edge, year, month, month_rel, today, week_rel)
    elif ordinal is not None and month is None and month_rel is None and year is not None:
        first = date(year, 1, 1)
        nth, ord_wd = ordinal
        wk = first + timedelta(days=(7 - first.weekday()) % 7 + 7 * (nth - 1))
        if ord_wd is None:
            interval, date_grain, scope = (wk, wk + timedelta(days=7)), "week", "week"
        else:
            base = wk + timedelta(days=ord_wd)
    elif ordinal is not None:
        if month is None and month_rel is None:
            return None
        y = year if year is not None else today.year
        if month_rel is not None:
            first = _month_start(today.year, today.month, month_rel)
        else:
            assert month is not None
            first = date(y, month, 1)
            if not explicit_year and _add_months(first, 1) <= ref:
                first = date(y + 1, month, 1)
        nth, ord_wd = ordinal
        if nth < 0:
            # 最后一个星期一: the month's last such weekday; 最后一周: the week of its last day.
            following = _month_start(first.year, first.month, 1)
            last_day = following - timedelta(days=1)
            if ord_wd is None:
                wk = _monday(last_day)
                interval, date_grain, scope = (wk, wk + timedelta(days=7)), "week", "week"
            else:
                base = last_day - timedelta(days=(last_day.weekday() - ord_wd) % 7)
        elif ord_wd is None:
            wk = first + timedelta(days=(7 - first.weekday()) % 7 + 7 * (nth - 1))
            interval, date_grain, scope = (wk, wk + timedelta(days=7)), "week", "week"
        else:
            base = first + timedelta(days=(ord_wd - first.weekday()) % 7 + 7 * (nth - 1))
            if base.month != first.month:
                return None
    elif day is not None:
        if month_rel is not None:
            first = _month_start(today.year, today.month, month_rel)
            base = _safe_date(first.year, first.month, day)
        elif month is not None:
            y = year if year is not None else ref.year
            base = _safe_date(y, month, day)
            if not explicit_year and (base is None or base < ref):
                nxt = _safe_date(y + 1, month, day)
                base = nxt if base is None or base < ref else base
                # 2月29日 in a common year: the next leap year's.
                if base is None:
                    for extra in range(2, 9):
                        base = _safe_date(y + extra, month, day)
                        if base is not None:
                            break
        elif year is not None:
            return None
        else:
            base = None
            for ahead in range(0, 4):
                first = _month_start(ref.year, ref.month, ahead)
                cand = _safe_date(first.year, first.month, day)
                if cand is not None and cand >= ref:
                    base = cand
                    break
        if base is None:
            return None
    elif month is not None or month_rel is not None:
        if month_rel is not None:
            first = _month_start(today.year, today.month, month_rel)
        else:
            assert month is not None
            y = year if year is not None else ref.year
            first = date(y, month, 1)
            if not explicit_year and (month < ref.month and first.year == ref.year):
                first = date(y + 1, month, 1)
        if month_part is not None:
            base = _month_part_day(first.year, first.month, month_part)
            if month is not None and not explicit_year and base < ref and first.year == ref.year:
                base = _month_part_day(first.year + 1, first.month, month_part)
        else:
            interval, date_grain, scope = (
                (first, _month_start(first.year, first.month, 1)),
                "month",
                "month",
            )
    elif year is not None:
        if year_part is not None:
            base = _year_part_day(year, year_part)
            scope = "year" if year_part == "end" else "day"
        else:
            interval, date_grain, scope = (date(year, 1, 1), date(year + 1, 1, 1)), "year", "year"

    # --- the time of day -------------------------------------------------------------------
    if interval is not None:
        if base is None and (clock is None and pod is None and range_clock is None):
            a, b = interval
            return _Res(
                "interval",
                date_grain,
                from_=_at(a, 0, 0, 0, tz),
                to=_at(b, 0, 0, 0, tz),
                scope=scope,
            )
        base = interval[0]
    has_date = base is not None
    if base is None:
        base = today
    if offwork:
        return _Res(
            "point", "hour", value=_at(base, workday_end, 0, 0, tz), has_clock=True, scope="clock"
        )
    if range_clock is not None:
        h1 = _hour_24(range_clock[0], pod, None)
        h2 = _hour_24(range_clock[1], pod, None)
        if h2 <= h1 and h2 < 12:
            h2 += 12 if pod is None and h2 + 12 > h1 else 24
        return _Res(
            "interval",
            "hour",
            from_=_at(base, h1, 0, 0, tz),
            to=_at(base, h2, 0, 0, tz),
            has_clock=True,
            pod=None,
        )
    if clock is not None:
        h = _hour_24(int(clock["h"]), pod, clock["ap"], bool(clock.get("as_written")))
        mi = int(clock["mi"])
        s = clock["s"]
        value = _at(base, h, mi, int(s) if s is not None else 0, tz)
        grain = "second" if s is not None else ("minute" if clock["minute_given"] else "hour")
        return _Res("point", grain, value=value, has_clock=True, scope="clock")
    if pod is not None:
        pod_from, pod_to = POD_HOURS[pod]
        return _Res(
            "interval",
            "hour",
            from_=_at(base, pod_from, 0, 0, tz),
            to=_at(base, pod_to, 0, 0, tz),
            pod=pod,
            scope="pod",
        )
    if not has_date:
        return None
    return _Res("point", "day", value=_at(base, 0, 0, 0, tz), scope=scope)


def _period(
    half: dict[str, Any] | None,
    quarter: dict[str, Any] | None,
    edge: dict[str, Any] | None,
    year: int | None,
    month: int | None,
    month_rel: int | None,
    today: date,
    week_rel: int | None = None,
) -> tuple[tuple[date, date], Grain]:
    """Halves (上半年, 下半月), quarters (第一季度, 上季度) and the first or last N units of a
    year (2021年的前两周, 今年最后3个月). Without a year they are the current year's."""
    y = year if year is not None else today.year
    if edge is not None:
        n, unit, last = edge["n"], edge["unit"], edge["side"] == "last"
        jan1, next_jan1 = date(y, 1, 1), date(y + 1, 1, 1)
        if unit == "day":
            span = (
                (next_jan1 - timedelta(days=n), next_jan1)
                if last
                else (jan1, jan1 + timedelta(days=n))
            )
            return span, "day"
        if unit == "month":
            span = (_month_start(y, 13 - n), next_jan1) if last else (jan1, _month_start(y, 1, n))
            return span, "month"
        # Whole Monday-to-Sunday weeks inside the year.
        if last:
            end = next_jan1 - timedelta(days=next_jan1.weekday())
            return (end - timedelta(days=7 * n), end), "week"
        mon = jan1 + timedelta(days=(7 - jan1.weekday()) % 7)
        return (mon, mon + timedelta(days=7 * n)), "week"
    if quarter is not None:
        if "rel" in quarter:
            y, qi = divmod(today.year * 4 + (today.month - 1) // 3 + quarter["rel"], 4)
        else:
            qi = quarter["n"] - 1
        return (date(y, 3 * qi + 1, 1), _month_start(y, 3 * qi + 1, 3)), "month"
    assert half is not None
    if half["unit"] == "week":
        # 上半周 = Monday to Wednesday, 下半周 = Thursday to Sunday (of the week named).
        mon = _monday(today) + timedelta(days=7 * (week_rel or 0))
        return (
            (mon, mon + timedelta(days=3))
            if half["half"] == 1
            else (mon + timedelta(days=3), mon + timedelta(days=7))
        ), "day"
    if half["unit"] == "year":
        if "rel" in half:
            y, hi = divmod(today.year * 2 + (today.month - 1) // 6 + half["rel"], 2)
        else:
            hi = half["half"] - 1
        start = date(y, 1 + 6 * hi, 1)
        return (start, _month_start(y, start.month, 6)), "month"
    if month_rel is not None:
        first = _month_start(today.year, today.month, month_rel)
    elif month is not None:
        first = date(y, month, 1)
    else:
        first = date(today.year, today.month, 1)
    mid = first + timedelta(days=15)
    span = (first, mid) if half["half"] == 1 else (mid, _month_start(first.year, first.month, 1))
    return span, "day"


def _lunar_span(lunar: dict[str, Any], year: int | None, ref: date) -> tuple[date, date] | None:
    """A lunar date (or a whole lunar month) as Gregorian days: in the lunar year named, else the
    next on or after ``ref`` (a month still running counts). 三十 of a 29-day month is its last
    day (大年三十 = 除夕); a leap month is looked for in the years ahead."""
    if lunar["month"] is None:
        return _lunar_bare_day(int(lunar["day"]), ref)
    month, day, leap = int(lunar["month"]), lunar["day"], bool(lunar["leap"])

    def one(ly: int) -> tuple[date, date] | None:
        if day is None:
            first = lunar_to_solar(ly, month, 1, leap)
            n = month_length(ly, month, leap)
            if first is None or n is None:
                return None
            return first, first + timedelta(days=n)
        d = lunar_to_solar(ly, month, int(day), leap)
        if d is None and day == 30:
            d = lunar_to_solar(ly, month, 29, leap)
        return (d, d + timedelta(days=1)) if d is not None else None

    if year is not None:
        return one(year)
    cur = solar_to_lunar(ref)
    if cur is None:
        return None
    for ly in range(cur.year, cur.year + (40 if leap else 2)):
        span = one(ly)
        if span is not None and (span[0] >= ref if day is not None else span[1] > ref):
            return span
    return None


def _lunar_bare_day(day: int, ref: date) -> tuple[date, date] | None:
    """初N with no month: that day of the current lunar month, else of the next one."""
    cur = solar_to_lunar(ref)
    if cur is None:
        return None
    y, m, leap = cur.year, cur.month, cur.leap
    for _ in range(2):
        d = lunar_to_solar(y, m, day, leap)
        if d is not None and d >= ref:
            return d, d + timedelta(days=1)
        n = month_length(y, m, leap)
        first = lunar_to_solar(y, m, 1, leap)
        if n is None or first is None:
            return None
        nxt = solar_to_lunar(first + timedelta(days=n))
        if nxt is None:
            return None
        y, m, leap = nxt.year, nxt.month, nxt.leap
    return None


def _already_past(day: date, pod: str | None, clock: dict[str, Any] | None, now: datetime) -> bool:
    """Whether the time named on ``day`` (today) is no longer ahead."""
    if clock is not None:
        h = _hour_24(int(clock["h"]), pod, clock["ap"], bool(clock.get("as_written")))
        mi = int(clock["mi"])
        return _at(day, h, mi, 0, now.tzinfo) <= now
    if pod is not None:
        return _at(day, POD_HOURS[pod][1], 0, 0, now.tzinfo) <= now
    return False


def _span(n: int, unit: str, direction: int, now: datetime) -> _Res:
    """上两天 / 下三周 / 过去十年: the n whole units before (or after) the current one."""
    tz = now.tzinfo
    today = now.date()
    if unit in ("hour", "minute", "second"):
        step = {
            "hour": timedelta(hours=1),
            "minute": timedelta(minutes=1),
            "second": timedelta(seconds=1),
        }[unit]
        if unit == "hour":
            cur = now.replace(minute=0, second=0, microsecond=0)
        elif unit == "minute":
            cur = now.replace(second=0, microsecond=0)
        else:
            cur = now.replace(microsecond=0)
        if direction < 0:
            a, b = cur - n * step, cur
        else:
            a, b = cur + step, cur + (n + 1) * step
        grain: Grain = unit  # type: ignore[assignment]
        return _Res("interval", grain, from_=a, to=b, has_clock=True)
    if unit == "day":
        if direction < 0:
            da, db = today - timedelta(days=n), today
        else:
            da, db = today + timedelta(days=1), today + timedelta(days=n + 1)
        g: Grain = "day"
    elif unit == "week":
        mon = _monday(today)
        if direction < 0:
            da, db = mon - timedelta(days=7 * n), mon
        else:
            da, db = mon + timedelta(days=7), mon + timedelta(days=7 * (n + 1))
        g = "week"
    elif unit == "month":
        if direction < 0:
            da, db = (
                _month_start(today.year, today.month, -n),
                _month_start(today.year, today.month),
            )
        else:
            da, db = (
                _month_start(today.year, today.month, 1),
                _month_start(today.year, today.month, n + 1),
            )
        g = "month"
    else:
        if direction < 0:
            da, db = date(today.year - n, 1, 1), date(today.year, 1, 1)
        else:
            da, db = date(today.year + 1, 1, 1), date(today.year + n + 1, 1, 1)
        g = "year"
    return _Res("interval", g, from_=_at(da, 0, 0, 0, tz), to=_at(db, 0, 0, 0, tz))


def _to_deadline(res: _Res, workday_end: int) -> _Res:
    """A due bound: the instant by which it is due (inclusive of the day named)."""
    if res.type == "point":
        assert res.value is not None
        if res.has_clock:
            return res
        d = res.value.date()
        if res.scope == "year":
            d = date(d.year, 12, 31)
        return _Res(
            "point", res.grain, value=_at(d, workday_end, 0, 0, res.value.tzinfo), scope=res.scope
        )
    assert res.from_ is not None and res.to is not None
    tz = res.from_.tzinfo
    start = res.from_.date()
    if res.scope == "pod" and res.pod is not None:
        return _Res(
            "point",
            res.grain,
            value=_at(start, POD_DUE_HOUR[res.pod], 0, 0, tz),
            pod=res.pod,
            scope="pod",
        )
    if res.scope == "week":
        return _Res(
            "point",
            "week",
            value=_at(start + timedelta(days=4), workday_end, 0, 0, tz),
            scope="week",
        )
    if res.scope in ("month", "year"):
        last = res.to.date() - timedelta(days=1)
        return _Res("point", res.grain, value=_at(last, workday_end, 0, 0, tz), scope=res.scope)
    if res.has_clock:
        return _Res("point", res.grain, value=res.to, has_clock=True)
    last = res.to.date() - timedelta(days=1)
    return _Res("point", res.grain, value=_at(last, workday_end, 0, 0, tz))


@dataclass(slots=True)
class _Expr:
    toks: list[Tok]
    start: int
    end: int
    lo: int
    hi: int


def _group(tokens: list[Tok], text: str) -> list[_Expr]:
    exprs: list[_Expr] = []
    for t in tokens:
        if exprs:
            cur = exprs[-1]
            gap_ok = _GAP_OK.fullmatch(text, cur.end, t.start) is not None
            standalone = cur.toks[-1].kind in ("now", "span") or (
                cur.toks[-1].kind == "offset" and cur.hi >= 4
            )
            if (
                gap_ok
                and not standalone
                and t.kind not in ("now", "span", "offset")
                and t.lo > cur.hi
            ):
                cur.toks.append(t)
                cur.end, cur.hi = t.end, t.hi
                continue
            comma_ok = _GAP_COMMA.fullmatch(text, cur.end, t.start) is not None
            # "周日, 二月十号" / "10月12号，星期一": the weekday repeats the date.
            if (
                comma_ok
                and cur.hi == 2
                and t.kind == "weekday"
                and any(x.kind in ("day", "date") for x in cur.toks)
            ):
                cur.end = t.end
                continue
            if (
                comma_ok
                and len(cur.toks) == 1
                and cur.toks[0].kind == "weekday"
                and t.kind
                in (
                    "date",
                    "month",
                    "year",
                )
            ):
                exprs[-1] = _Expr([t], cur.start, t.end, t.lo, t.hi)
                continue
        exprs.append(_Expr([t], t.start, t.end, t.lo, t.hi))
    return exprs


def _is_range_capable(e: _Expr, *, left: bool = False) -> bool:
    """Whether an expression can be one side of a range; 现在 only on the left ("从现在到周五")."""
    if left and len(e.toks) == 1 and e.toks[0].kind == "now":
        return True
    return all(t.kind not in ("now", "span", "offset", "offwork", "range_clock") for t in e.toks)


def _finish(
    res: _Res,
    text: str,
    original: str,
    start: int,
    end: int,
    workday_end: int,
    forced_deadline: bool,
) -> tuple[TimeMatch, int]:
    deadline = forced_deadline
    m = _DEADLINE_SUFFIX.match(text, end)
    if m is not None and res.type in ("point", "interval"):
        end = m.end()
        deadline = True
    pm = _DEADLINE_PREFIX.search(text, max(0, start - 8), start)
    if pm is not None:
        start = pm.start()
        deadline = True
    if end < len(text) and text[end] in _DUE_VERB_AFTER:
        deadline = True
    if deadline:
        res = _to_deadline(res, workday_end)
    match = TimeMatch(
        text=original[start:end],
        start=start,
        end=end,
        type=res.type,
        grain=res.grain,
        value=res.value,
        from_=res.from_,
        to=res.to,
        deadline=deadline,
        has_clock=res.has_clock,
        part_of_day=res.pod if not res.has_clock else None,
    )
    return match, end


def _end_of(res: _Res) -> datetime:
    """The exclusive end of a resolved expression used as the right side of a range."""
    if res.type == "interval":
        assert res.to is not None
        return res.to
    assert res.value is not None
    if res.has_clock:
        return res.value
    return res.value + timedelta(days=1)


def _start_of(res: _Res) -> datetime:
    if res.type == "interval":
        assert res.from_ is not None
        return res.from_
    assert res.value is not None
    return res.value


def parse_times(
    text: str,
    now: datetime,
    *,
    workday_end_hour: int = 18,
    include_sets: bool = False,
    open_ranges: bool = False,
) -> list[TimeMatch]:
    """Find and resolve the time expressions of ``text`` against ``now`` (tz-aware).

    Returns non-overlapping matches in text order; datetimes carry ``now``'s tzinfo.
    With ``include_sets`` recurring times ("每周一", "每天早上9点") come back as matches of type
    ``set``; without it they are left out (the time after 每X is still read as before). With
    ``open_ranges`` "X以后 / 自X起 / X开始" give intervals with ``to=None``; without it X alone
    is read, as before.
    """
    if now.tzinfo is None:
        raise ValueError("now must be timezone-aware")
    norm = normalize(text)
    tokens = list(tokenize(norm))
    if not tokens:
        return []
    exprs = _group(tokens, norm)
    today = now.date()
    out: list[TimeMatch] = []
    last_end = 0
    i = 0
    while i < len(exprs):
        e = exprs[i]
        if e.toks[0].kind == "every":
            if not include_sets:
                # "每周四上午十点" is no one-off time: without the flag the whole set is skipped.
                last_end = max(last_end, e.end)
            elif e.start >= last_end:
                match = _set_match(e, norm, text, now, workday_end_hour)
                out.append(match)
                last_end = match.end
            i += 1
            continue
        forced = any(t.kind == "offwork" or t.data.get("within") for t in e.toks)
        nxt = exprs[i + 1] if i + 1 < len(exprs) else None
        between_end: re.Match[str] | None = None
        if nxt is not None and _BETWEEN_SEP.fullmatch(norm, e.end, nxt.start) is not None:
            between_end = _BETWEEN_END.match(norm, nxt.end)
        if (
            nxt is not None
            and (
                _RANGE_SEP.fullmatch(norm, e.end, nxt.start) is not None or between_end is not None
            )
            and _is_range_capable(e, left=True)
            and _is_range_capable(nxt)
            and nxt.toks[0].kind != "every"
        ):
            left = _resolve(e.toks, now, today, False, workday_end_hour)
            if left is not None:
                inherited = [t for t in e.toks if t.hi < nxt.lo]
                right_toks = inherited + nxt.toks
                anchor = _start_of(left).date()
                right = _resolve(right_toks, now, anchor, False, workday_end_hour)
                if right is not None:
                    a = _start_of(left)
                    b = _end_of(right)
                    if b <= a and right.has_clock:
                        b += timedelta(days=1)
                    if b > a:
                        start = e.start
                        if start > 0 and norm[start - 1] in "从自":
                            start -= 1
                        grain = _finer(left.grain, right.grain)
                        res = _Res(
                            "interval",
                            grain,
                            from_=a,
                            to=b,
                            has_clock=left.has_clock or right.has_clock,
                        )
                        end = between_end.end() if between_end is not None else nxt.end
                        if start >= last_end:
                            match, last_end = _finish(
                                res, norm, text, start, end, workday_end_hour, False
                            )
                            out.append(match)
                        i += 2
                        continue
        edge = _holiday_edge(e, norm, text, now, workday_end_hour)
        if edge is not None:
            if e.start >= last_end:
                out.append(edge)
                last_end = edge.end
            i += 1
            continue
        single = _resolve(
            e.toks, now, today, forced or _looks_deadline(norm, e.start, e.end), workday_end_hour
        )
        end = e.end
        if single is not None:
            end = _apply_zone(single, norm, end, now)
        if single is not None and e.start >= last_end:
            opened = (
                _open_range(single, norm, text, e.start, end)
                if open_ranges and not forced
                else None
            )
            if opened is not None:
                match = opened
                last_end = match.end
            else:
                match, last_end = _finish(
                    single, norm, text, e.start, end, workday_end_hour, forced
                )
            out.append(match)
        i += 1
    return out


_HOLIDAY_SUFFIX = re.compile(
    r"\s?(?:(?P<before>之前|以前|前(?![端台后天面线期置景辈任段缀夕进往沿列者身妻科奏]))"
    r"|(?P<after>之后|以后|过后|后(?![天日面台端续期来]))|(?P<during>放假期间|小长假|长假|假期|期间))"
)


def _season_before(
    e: _Expr, text: str, original: str, now: datetime, workday_end: int
) -> TimeMatch | None:
    """入冬前 / 夏天之前: due the day before the season begins (not at its end)."""
    m = _HOLIDAY_SUFFIX.match(text, e.end)
    if m is None or not m["before"]:
        return None
    res = _resolve(e.toks, now, now.date(), False, workday_end)
    if res is None or res.from_ is None:
        return None
    first = res.from_.date()
    if first <= now.date() and not any(t.kind in ("year", "year_rel") for t in e.toks):
        first = _add_months(first, 12)  # the season has begun: before the next one
    day = first - timedelta(days=1)
    point = _Res("point", "day", value=_at(day, 0, 0, 0, now.tzinfo))
    return _finish(point, text, original, e.start, m.end(), workday_end, True)[0]


def _holiday_edge(
    e: _Expr, text: str, original: str, now: datetime, workday_end: int
) -> TimeMatch | None:
    """A public holiday's days off as a whole: 国庆前 / 年前 / 节前 (due the last workday before
    them, 18:00), 春节后 / 年后 / 节后 (the first workday after them), 国庆期间 / 春节假期 (the
    days off). Other festivals, and a holiday without such a word, read as their day."""
    toks = e.toks
    year: int | None = None
    if len(toks) == 2 and toks[0].kind in ("year", "year_rel") and toks[0].hi == 0:
        d0 = toks[0].data
        year = d0["year"] if toks[0].kind == "year" else now.year + int(d0["rel"])
        toks = toks[1:]
    if len(toks) == 1 and toks[0].kind == "season":
        return _season_before(e, text, original, now, workday_end)
    if len(toks) != 1 or toks[0].kind not in ("holiday", "holiday_rel"):
        return None
    tok = toks[0]
    end = e.end
    if tok.kind == "holiday_rel":
        name: str | None = tok.data["name"]
        rel = str(tok.data["rel"])
    else:
        name = holidays.canonical(tok.data["name"])
        if name not in PUBLIC_HOLIDAYS:
            return None
        m = _HOLIDAY_SUFFIX.match(text, end)
        if m is None:
            return None
        rel = "before" if m["before"] else ("after" if m["after"] else "during")
        if rel == "during" and text[m.end() : m.end() + 1] == "的":
            # "春节期间的退货单": the period qualifies a noun; read the festival alone.
            return None
        end = m.end()
    if name is None:
        block = holidays.nearby_block(now.date(), rel)
    else:
        block = holidays.next_block(name, now.date(), year)
    if block is None:
        return None
    tz = now.tzinfo
    start = e.start
    if rel == "during":
        res = _Res(
            "interval", "day", from_=_at(block[0], 0, 0, 0, tz), to=_at(block[1], 0, 0, 0, tz)
        )
        return _finish(res, text, original, start, end, workday_end, False)[0]
    if rel == "before":
        day = holidays.workday_before(block[0])
        res = _Res("point", "day", value=_at(day, 0, 0, 0, tz))
        return _finish(res, text, original, start, end, workday_end, True)[0]
    # After days off that are already over (节后 said on the first days back): from today.
    day = holidays.workday_from(max(block[1], now.date()))
    res = _Res("point", "day", value=_at(day, 0, 0, 0, tz))
    return _finish(res, text, original, start, end, workday_end, False)[0]


def _apply_zone(res: _Res, text: str, end: int, now: datetime) -> int:
    """ "4pm CET": a clock time followed by a zone is that zone's time, shown in ours."""
    if res.type != "point" or not res.has_clock or res.value is None:
        return end
    zone = zone_after(text, end)
    if zone is None:
        return end
    zone_end, hours = zone
    there = res.value.replace(tzinfo=timezone(timedelta(hours=hours)))
    res.value = there.astimezone(now.tzinfo)
    return zone_end


def _open_range(res: _Res, text: str, original: str, start: int, end: int) -> TimeMatch | None:
    """X以后 / X之后 (after X), 自X起 / 从X开始 / X以来 / X或之后 (since X): ``to`` is None."""
    m = _OPEN_SUFFIX.match(text, end)
    prefix = _OPEN_PREFIX.search(text, max(0, start - 3), start)
    if m is not None and m["w"] == "后" and not res.has_clock:
        m = None
    if m is None and prefix is None:
        return None
    if m is not None and m["w"] in ("之后", "以后", "往后", "后") and not m["incl"]:
        from_ = _end_of(res)
    else:
        from_ = _start_of(res)
    if prefix is not None:
        start = prefix.start()
    if m is not None:
        end = m.end()
    return TimeMatch(
        text=original[start:end],
        start=start,
        end=end,
        type="interval",
        grain=res.grain,
        from_=from_,
        to=None,
        has_clock=res.has_clock,
    )


def _set_match(e: _Expr, text: str, original: str, now: datetime, workday_end: int) -> TimeMatch:
    """每天 / 每周一下午8点 / 每个月15号: a recurrence and its next occurrence."""
    every = e.toks[0].data
    rest = e.toks[1:]
    wd = every.get("wd")
    if wd is not None:
        pattern = f"XXXX-WXX-{wd + 1}"
        rest = [
            Tok("weekday", e.toks[0].start, e.toks[0].end, 2, 2, {"rel": None, "wd": wd})
        ] + rest
    else:
        pattern = str(every["unit"])
    res = _resolve(rest, now, now.date(), False, workday_end) if rest else None
    value: datetime | None = None
    grain: Grain = "day"
    pod: str | None = None
    has_clock = False
    if res is not None:
        value = _start_of(res)
        grain = res.grain
        has_clock = res.has_clock
        pod = res.pod
        if has_clock and wd is None and value < now and every.get("unit") == "P1D":
            value += timedelta(days=1)
        day_tok = next((t for t in rest if t.kind == "day"), None)
        if pattern == "P1M" and day_tok is not None:
            pattern = f"XXXX-XX-{day_tok.data['day']:02d}"
        if has_clock and value is not None:
            if pattern == "P1D":
                pattern = "XXXX-XX-XX"
            if not pattern.startswith("P"):
                pattern += f"T{value.hour:02d}" + (f":{value.minute:02d}" if value.minute else "")
    return TimeMatch(
        text=original[e.start : e.end],
        start=e.start,
        end=e.end,
        type="set",
        grain=grain,
        value=value,
        has_clock=has_clock,
        part_of_day=pod if not has_clock else None,
        recurrence=pattern,
    )


def _looks_deadline(text: str, start: int, end: int) -> bool:
    if _DEADLINE_SUFFIX.match(text, end) is not None:
        return True
    if _DEADLINE_PREFIX.search(text, max(0, start - 8), start) is not None:
        return True
    return end < len(text) and text[end] in _DUE_VERB_AFTER
