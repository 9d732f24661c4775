"""Durations as written: 半小时, 一个半小时, 1.5小时, 45分钟, 两天, 一周, 两年零三个月."""

from __future__ import annotations

import re

from .normalize import normalize
from .numbers import to_number
from .types import DurationMatch

__all__ = ["parse_durations"]

_CN = "零一二两三四五六七八九十廿卅百"
_NUM = rf"(?:[0-9]{{1,4}}(?:\.[0-9]{{1,2}})?|[{_CN}]{{1,5}}(?:点[{_CN}]{{1,2}})?)"
_UNIT_SECONDS = {
    "year": 365 * 86400,
    "month": 30 * 86400,
    "week": 7 * 86400,
    "day": 86400,
    "hour": 3600,
    "minute": 60,
    "second": 1,
}
# Unit words; 月 and 钟 need 个 ("三个月", "两个钟"); 日 only with a Chinese numeral.
_UNIT = (
    r"(?P<unit>年|个\s?月|月(?=\s?(?:零|又))|个?\s?(?:星期|礼拜)|周|个?\s?工作日|天|日|个?\s?小时|个?\s?钟头|个\s?钟"
    r"|(?<=[个半])\s?(?:钟(?!头)|月)|刻钟|分钟|分(?!之)|秒钟|秒)"
)
_PART = re.compile(rf"(?P<num>{_NUM})?\s?(?P<ge>个)?\s?(?P<half1>半)?\s?{_UNIT}\s?(?P<half2>半)?")
_HALF_ALONE = re.compile(
    r"(?<![0-9一二两三四五六七八九十])半\s?(?P<unit>个\s?(?:小时|钟头|钟|月|星期)|小时|钟头|天|日|年)"
)
_START = re.compile(rf"[0-9{_CN}半个分]")
_JOIN = re.compile(r"\s?(?:零|又|多)?\s?")
_UNIT_NAMES = {
    "年": "year",
    "月": "month",
    "星期": "week",
    "礼拜": "week",
    "周": "week",
    "工作日": "day",
    "天": "day",
    "日": "day",
    "小时": "hour",
    "钟头": "hour",
    "钟": "hour",
    "刻钟": "quarter",
    "分钟": "minute",
    "分": "minute",
    "秒钟": "second",
    "秒": "second",
}
# A duration directly followed by these is a point in time ("三天后"), not a length.
_POINT_AFTER = re.compile(r"\s?(?:之后|以后|过后|后|之前|以前|前(?!端|台))")
_POINT_BEFORE = frozenset("上下")
_UNIT_DISPLAY = {"quarter": "minute"}


def _one(text: str, pos: int) -> tuple[int, float, str] | None:
    """One number+unit at ``pos``: (end, value in the unit, unit)."""
    m = _PART.match(text, pos)
    if m is None:
        h = _HALF_ALONE.match(text, pos)
        if h is None:
            return None
        unit = _UNIT_NAMES[re.sub(r"[个\s]", "", h["unit"])]
        return h.end(), 0.5, unit
    raw_num = m["num"]
    unit = _UNIT_NAMES[re.sub(r"[个\s]", "", m["unit"])]
    if raw_num is None:
        # "个半小时" / "分半": an implicit one.
        if not (m["ge"] or m["half2"] or m["half1"]):
            return None
        # "半小时" is half of one; "个半小时" / "分半" are one and a half.
        value = 0.0 if (m["half1"] and not m["ge"]) else 1.0
    else:
        if "点" in raw_num:
            whole, frac = raw_num.split("点", 1)
            w, f = to_number(whole), to_number(frac)
            if w is None or f is None:
                return None
            value = float(f"{int(w)}.{int(f)}")
        else:
            v = to_number(raw_num)
            if v is None:
                return None
            value = v
        if raw_num.isdigit() and len(raw_num) == 4 and unit == "year":
            return None
    if m["half1"] or m["half2"]:
        value += 0.5
    unit_word = re.sub(r"[个\s]", "", m["unit"])
    if unit_word == "日" and raw_num is not None and raw_num[0].isdigit():
        return None
    if unit_word == "分" and raw_num is None and not m["half2"]:
        return None
    if unit == "quarter":
        return m.end(), value * 15, "minute"
    return m.end(), value, unit


def parse_durations(text: str) -> list[DurationMatch]:
    """Find lengths of time in ``text``. Compound forms ("两年零三个月", "一小时零十五秒")
    are one match, reported in their smallest unit."""
    norm = normalize(text)
    out: list[DurationMatch] = []
    pos = 0
    n = len(norm)
    while pos < n:
        s = _START.search(norm, pos)
        if s is None:
            break
        at = s.start()
        first = _one(norm, at)
        if first is None or (at > 0 and norm[at - 1].isdigit()):
            pos = at + 1
            continue
        end, value, unit = first
        seconds = value * _UNIT_SECONDS[unit]
        parts = 1
        # Further parts in falling units: "一个小时三十分钟", "五分三十秒".
        while True:
            j = _JOIN.match(norm, end)
            nxt_pos = j.end() if j else end
            nxt = _one(norm, nxt_pos)
            if nxt is None or _UNIT_SECONDS[nxt[2]] >= _UNIT_SECONDS[unit]:
                break
            end, v2, new_unit = nxt
            factor = (
                12.0
                if (unit, new_unit) == ("year", "month")
                else (_UNIT_SECONDS[unit] / _UNIT_SECONDS[new_unit])
            )
            value = value * factor + v2
            unit = new_unit
            seconds = value * _UNIT_SECONDS[unit]
            parts += 1
        if parts == 1 and unit == "minute" and norm[end : end + 1] == "半":
            # 五分半 = five and a half minutes.
            end += 1
            seconds += 30
            value += 0.5
        if _POINT_AFTER.match(norm, end) or (at > 0 and norm[at - 1] in _POINT_BEFORE):
            pos = end
            continue
        display_value = value
        out.append(
            DurationMatch(
                text=text[at:end],
                start=at,
                end=end,
                seconds=round(seconds),
                value=display_value,
                unit=_UNIT_DISPLAY.get(unit, unit),
            )
        )
        pos = end
    return out
