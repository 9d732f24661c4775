"""Durations as written: 半小时, 一个半小时, 1.5小时, 45分钟, 两天, 一周, 两年零三个月."""

from __future__ import annotations

import re

from .normalize import normalize
from .numbers import count_number, to_number
from .types import DurationMatch

__all__ = ["parse_durations"]

_CN = "零一二两三四五六七八九十廿卅百俩仨"
# 几 alone ("几天", about three) or after 十 / 二十 ("十几分钟", ten and more).
_NUM = rf"(?:[0-9]{{1,4}}(?:\.[0-9]{{1,2}})?|[{_CN}]{{1,5}}(?:点[{_CN}]{{1,2}})?|几)"
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
    r"|(?<=[个半多来])\s?(?:钟(?!头)|月)|刻钟|分钟|分(?!之)|秒钟|秒"
    # Written in English after digits, as in PM chat: 2h, 1.5 hrs, 30min.
    r"|(?<=[0-9])\s?(?:hours|hour|hrs|hr|h|minutes|mins|min)(?![A-Za-z]))"
)
_PART = re.compile(
    rf"(?P<num>{_NUM})?\s?(?P<more1>多|来|几)?\s?(?P<ge>个)?\s?(?P<more2>多)?\s?(?P<half1>半)?\s?{_UNIT}\s?(?P<half2>半(?!载))?"
)
# 时 as an hour count only after a larger unit ("8天20时"); alone "20时" is a clock time.
_LATER_HOURS = re.compile(rf"(?P<num>{_NUM})\s?时(?![0-9{_CN}分间候期])")
_HALF_ALONE = re.compile(
    r"(?<![0-9一二两三四五六七八九十])半\s?(?P<unit>个\s?(?:小时|钟头|钟|月|星期)|小时|钟头|天|日|年)"
)
_START = re.compile(rf"[0-9{_CN}半个分几]")
_JOIN = re.compile(r"\s?(?P<w>零|又|多|余)?\s?")
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
    "hours": "hour",
    "hour": "hour",
    "hrs": "hour",
    "hr": "hour",
    "h": "hour",
    "minutes": "minute",
    "mins": "minute",
    "min": "minute",
}
# A duration directly followed by these is a point in time ("三天后"), not a length.
_POINT_AFTER = re.compile(r"\s?(?:之后|以后|过后|后|之前|以前|前(?!端|台))")
_POINT_BEFORE = frozenset("上下这过月明第")
_UNIT_DISPLAY = {"quarter": "minute"}
# 超过两天 / 经过三天: 过 belongs to another word, and what follows is a length.
_NOT_WAIT_BEFORE = frozenset("超经不度错跳越通穿略闯渡难好太")


def _point_before(text: str, at: int) -> bool:
    """上两天 / 这两天 / 过两天 / 最后一个星期一 name days, not a length."""
    if text[max(0, at - 2) : at] == "最后":
        return True
    if at > 0 and text[at - 1] == "前":
        # 前两天 / 前几天 are days ago; 提前两天 / 往前半小时 are lengths.
        return at < 2 or text[at - 2] not in "提往向"
    if at == 0 or text[at - 1] not in _POINT_BEFORE:
        return False
    return not (text[at - 1] == "过" and at > 1 and text[at - 2] in _NOT_WAIT_BEFORE)


def _one(text: str, pos: int, later: bool = False) -> tuple[int, float, str, bool] | None:
    """One number+unit at ``pos``: (end, value in the unit, unit, approximate)."""
    if later:
        h = _LATER_HOURS.match(text, pos)
        if h is not None:
            v = to_number(h["num"])
            if v is not None and v < 24:
                return h.end(), v, "hour", False
    got = _one_part(text, pos)
    return got


def _one_part(text: str, pos: int) -> tuple[int, float, str, bool] | None:
    m = _PART.match(text, pos)
    if m is None:
        h = _HALF_ALONE.match(text, pos)
        if h is None:
            return None
        unit = _UNIT_NAMES[re.sub(r"[个\s]", "", h["unit"])]
        return h.end(), 0.5, unit, False
    raw_num = m["num"]
    approx = bool(m["more1"] or m["more2"])
    if approx and raw_num is None:
        return None
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
            counted = count_number(raw_num)
            if counted is None:
                return None
            value, estimate = counted
            approx = approx or estimate
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
        return m.end(), value * 15, "minute", approx
    return m.end(), value, unit, approx


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
        end, value, unit, approx = first
        seconds = value * _UNIT_SECONDS[unit]
        parts = 1
        # Further parts: "一个小时三十分钟", "五分三十秒" in falling units; any order when joined
        # by 又 / 零 / 余 ("两天又一个月"). The seconds add up (a month 30 days, a year 365).
        while True:
            j = _JOIN.match(norm, end)
            nxt_pos = j.end() if j else end
            joined = j is not None and j["w"] in ("又", "零", "余")
            nxt = _one(norm, nxt_pos, later=True)
            if nxt is None or (not joined and _UNIT_SECONDS[nxt[2]] >= _UNIT_SECONDS[unit]):
                break
            if j is not None and j["w"] == "多":
                approx = True
            end, v2, new_unit, more = nxt
            approx = approx or more
            seconds += v2 * _UNIT_SECONDS[new_unit]
            small = min(unit, new_unit, key=lambda u: _UNIT_SECONDS[u])
            factor = (
                12.0
                if (unit, small) == ("year", "month")
                else (_UNIT_SECONDS[unit] / _UNIT_SECONDS[small])
            )
            value = value * factor + v2 * _UNIT_SECONDS[new_unit] / _UNIT_SECONDS[small]
            unit = small
            parts += 1
        if norm[end : end + 1] == "多" and _one(norm, end + 1) is None:
            # 一年多 / 三天多: more than that; the length written is the lower bound.
            end += 1
            approx = True
        if parts == 1 and unit == "minute" and norm[end : end + 1] == "半":
            # 五分半 = five and a half minutes.
            end += 1
            seconds += 30
            value += 0.5
        if _POINT_AFTER.match(norm, end) or _point_before(norm, at):
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
                approx=approx,
            )
        )
        pos = end
    return out
