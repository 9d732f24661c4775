"""Quantities the vocabulary-2 readers need: money amounts, signed shifts and query periods.

- money: "50万" / "50w" → 500000, "1.5k" → 1500, "3千" → 3000, "12,000元" → 12000 (conventions,
  "Money");
- shifts: "推迟半小时" → +30, "提前15分钟" → −15, "往后推一周" → +10080 minutes;
- periods: a day, week or month named in a query → (since, until) in the team's time.
"""

from __future__ import annotations

import re
from dataclasses import dataclass
from datetime import datetime, timedelta
from typing import TYPE_CHECKING

from assistant.timeparse.numbers import to_number

if TYPE_CHECKING:
    from assistant.timeparse.types import DurationMatch, TimeMatch

__all__ = ["Shift", "english_durations", "find_money", "find_shift", "period_of"]

_NUM = r"(?:\d+(?:,\d{3})*(?:\.\d+)?|[零一二两三四五六七八九十百千万亿点半]+)"
_MONEY = re.compile(
    rf"(?P<num>{_NUM})\s*(?P<unit>万元|万块|万|[wW](?![a-zA-Z])|[kK](?![a-zA-Z])|千块|千元|千|百万|元|块钱|块|rmb|RMB|CNY|¥)?"
)
_SPOKEN_LAST = re.compile(r"[0-9一二三四五六七八九](?![0-9.百千万亿元块kKwW%个])")
_THOUSANDS_AFTER = re.compile(r"([0-9])千(?![0-9])")
_MONEY_PREFIX = re.compile(r"[¥￥]\s*$")
_UNIT_FACTOR = {
    "万元": 10_000,
    "万块": 10_000,
    "万": 10_000,
    "w": 10_000,
    "W": 10_000,
    "k": 1_000,
    "K": 1_000,
    "千块": 1_000,
    "千元": 1_000,
    "千": 1_000,
    "百万": 1_000_000,
}


_CN_DIGIT = "零一二两三四五六七八九"
_CN_UNIT = {"十": 10, "百": 100, "千": 1_000, "万": 10_000, "亿": 100_000_000}
_CN_AMOUNT = re.compile(r"[零一二两三四五六七八九十百千万亿]+")


def chinese_amount(raw: str) -> float | None:
    """A Chinese numeral as an amount, with the spoken shortcut of a last digit that takes the
    unit below the one before it: 三千二 = 3200, 一万二 = 12000, 三十二万六千 = 326000,
    一百五十万 = 1500000. Returns ``None`` for anything that is not such a numeral."""
    if not raw or not _CN_AMOUNT.fullmatch(raw):
        return None
    total = 0.0
    section = 0.0
    digit = -1
    last_unit = 0
    big = 0
    for ch in raw:
        if ch in _CN_DIGIT:
            d = 2 if ch == "两" else "零一二三四五六七八九".index(ch)
            digit = d if digit < 0 else digit * 10 + d
            continue
        unit = _CN_UNIT[ch]
        if unit >= 10_000:
            value = (section + max(digit, 0)) or 1
            if big and unit > big:
                total = (total + value) * unit
            else:
                total += value * unit
            big = unit
            section = 0
        else:
            section += (1 if digit < 0 else digit) * unit
        digit = -1
        last_unit = unit
    if digit >= 0:
        # 三千二: a last digit right after a unit takes the next unit down; after 零 it is ones.
        section += digit * (last_unit // 10 if last_unit >= 100 and raw[-2] != "零" else 1)
    return total + section


def _number(raw: str) -> float | None:
    raw = raw.replace(",", "")
    try:
        return float(raw)
    except ValueError:
        pass
    spoken = chinese_amount(raw)
    if spoken is not None:
        return spoken
    value = to_number(raw)
    return float(value) if value is not None else None


def find_money(text: str, after: int = 0) -> float | None:
    """The first money amount in ``text`` at or after ``after``; a bare number counts only with
    a unit, a ¥ sign or as a Chinese numeral with a unit of its own (八十万, 三千二: a count of
    pages is no amount)."""
    for m in _MONEY.finditer(text, after):
        unit = m.group("unit")
        num = m.group("num")
        if num.endswith(("点", "半")) and not unit:
            continue
        if (
            not unit
            and not _MONEY_PREFIX.search(text[: m.start()])
            and not re.search(r"[百千万亿]", num)
        ):
            continue
        value = _number(num)
        if value is None:
            continue
        factor = _UNIT_FACTOR.get(unit or "", 1)
        spoken = _SPOKEN_LAST.match(text, m.end()) if unit in ("万", "千") else None
        if spoken is not None and "." not in num:
            # "6万8" = 68000, "3千5" = 3500: a last digit takes the unit below.
            digit = spoken.group(0)
            extra = int(digit) if digit.isdigit() else "零一二三四五六七八九".index(digit)
            return round(value * factor + extra * factor / 10, 2)
        thousands = _THOUSANDS_AFTER.match(text, m.end()) if unit == "万" else None
        if thousands is not None and "." not in num:
            return round(value * factor + int(thousands.group(1)) * 1_000, 2)  # 6万8千
        return round(value * factor, 2)
    return None


@dataclass(frozen=True, slots=True)
class Shift:
    """A relative move: ``minutes`` later (positive) or earlier (negative), and its span."""

    minutes: int
    start: int
    end: int


# Later: 推迟 / 延后 / 往后推 / 推后 / 顺延 / 晚; earlier: 提前 / 提早 / 早 / 往前挪.
_LATER = r"推迟|延后|延迟|往后推|往后挪|往后延|向后推|推后|后推|顺延|延|推|晚|postpone|push(?:ed)?(?: back)?|delay(?:ed)?"
_EARLIER = r"提前|提早|往前挪|往前提|往前推|向前|早|pull(?:ed)? in|bring forward|earlier by"
_SHIFT = re.compile(
    rf"(?P<dir>{_LATER}|{_EARLIER})",
    re.IGNORECASE,
)
_EARLIER_WORDS = re.compile(rf"^(?:{_EARLIER})", re.IGNORECASE)


_EN_DURATION = re.compile(
    r"(?P<n>\d+(?:\.\d+)?|an?|one|two|three|half an?)\s*(?P<u>minutes?|mins?|hours?|hrs?|h|days?|weeks?)\b",
    re.IGNORECASE,
)
_EN_UNIT = {"m": 1, "h": 60, "d": 1440, "w": 10080}
_EN_COUNT = {"a": 1, "an": 1, "one": 1, "two": 2, "three": 3, "half a": 0.5, "half an": 0.5}


def english_durations(text: str) -> list[tuple[int, int, int]]:
    """(start, end, seconds) of English spans of time: "30 minutes", "an hour", "2 days"."""
    out: list[tuple[int, int, int]] = []
    for m in _EN_DURATION.finditer(text):
        raw = m.group("n").lower()
        count = _EN_COUNT.get(raw)
        value = float(raw) if count is None else count
        unit = m.group("u").lower()
        minutes = value * _EN_UNIT["h" if unit.startswith(("h", "hr")) else unit[0]]
        out.append((m.start(), m.end(), int(minutes * 60)))
    return out


def find_shift(text: str, durations: list[DurationMatch], offset: int = 0) -> Shift | None:
    """A shift cue followed by a duration ("推迟半小时", "提前一天", "晚半小时开始").

    ``durations`` are those of the whole message; ``offset`` is where ``text`` starts in it.
    """
    spans = [(d.start - offset, d.end - offset, d.seconds) for d in durations]
    spans += english_durations(text)
    for m in _SHIFT.finditer(text):
        for d_start, d_end, seconds in spans:
            start = d_start
            between = text[m.end() : start]
            english = between.isascii() and len(between) <= 24
            if start < m.end() or (start - m.end() > 3 and not english):
                continue
            if between.strip(" 了个一下") and not english:
                continue
            minutes = round(seconds / 60)
            if minutes <= 0:
                continue
            sign = -1 if _EARLIER_WORDS.match(m.group("dir")) else 1
            return Shift(sign * minutes, m.start(), d_end)
    return None


def period_of(t: TimeMatch) -> tuple[datetime, datetime] | None:
    """The (since, until) of a day, week or month named in a query: 今天 → today 00:00 to
    tomorrow 00:00; 这周 → Monday to next Monday; 这个月 → the 1st to the next 1st."""
    if t.type == "interval" and t.from_ is not None and t.to is not None and not t.has_clock:
        if t.grain in ("day", "week", "month", "year") or t.part_of_day is None:
            return t.from_, t.to
    anchor = t.value if t.value is not None else t.from_
    if anchor is None or t.has_clock:
        return None
    day = anchor.replace(hour=0, minute=0, second=0, microsecond=0)
    if t.grain == "day":
        return day, day + timedelta(days=1)
    if t.grain == "week":
        monday = day - timedelta(days=day.weekday())
        return monday, monday + timedelta(days=7)
    if t.grain == "month":
        first = day.replace(day=1)
        nxt = (first + timedelta(days=32)).replace(day=1)
        return first, nxt
    return None
