"""Lexer: finds time atoms (dates, weekdays, parts of day, clock times...) in normalized text.

One union regex locates the next position where any atom may start; there each atom pattern
is tried with ``match`` and the longest valid reading wins. Every pattern is bounded (no
nested unbounded repetition), so the scan is linear in the input.
"""

from __future__ import annotations

import re
from collections.abc import Callable, Iterator
from dataclasses import dataclass, field
from typing import Any

from .holidays import calendar
from .numbers import count_number, to_number

__all__ = ["ZONES", "Tok", "tokenize", "zone_after"]

# A numeral as written in a time: Arabic (already ASCII after normalization) or Chinese.
_CN = "零一二两三四五六七八九十廿卅"
N = rf"(?:[0-9]{{1,4}}|[{_CN}]{{1,4}})"
N2 = rf"(?:[0-9]{{1,2}}|[{_CN}]{{1,3}})"
NQ = rf"(?:[0-9]{{1,3}}(?:\.[0-9]{{1,2}})?|[{_CN}百]{{1,4}}|半|几)"

_REL_PREFIX = {
    "上上": -2,
    "上": -1,
    "下下": 2,
    "下": 1,
    "这": 0,
    "本": 0,
    "今": 0,
    "当": 0,
}
WEEKDAYS = {
    "一": 0,
    "二": 1,
    "三": 2,
    "四": 3,
    "五": 4,
    "六": 5,
    "日": 6,
    "天": 6,
    "七": 6,
    "1": 0,
    "2": 1,
    "3": 2,
    "4": 3,
    "5": 4,
    "6": 5,
    "7": 6,
}
RELDAYS = {
    "大大后天": 4,
    "大后天": 3,
    "大前天": -3,
    "今天": 0,
    "今日": 0,
    "今儿": 0,
    "当天": 0,
    "当日": 0,
    "明天": 1,
    "明日": 1,
    "明儿": 1,
    "听日": 1,
    "次日": 1,
    "翌日": 1,
    "隔天": 1,
    "后天": 2,
    "后日": 2,
    "大后日": 3,
    "大前日": -3,
    "昨天": -1,
    "昨日": -1,
    "寻日": -1,
    "前天": -2,
    "前日": -2,
}
RELDAY_POD = {
    "今早": (0, "早上"),
    "今晨": (0, "早上"),
    "今晚": (0, "晚上"),
    "今夜": (0, "晚上"),
    "明早": (1, "早上"),
    "明晨": (1, "早上"),
    "明晚": (1, "晚上"),
    "昨早": (-1, "早上"),
    "昨晚": (-1, "晚上"),
    "昨夜": (-1, "晚上"),
    "前晚": (-2, "晚上"),
    "后晚": (2, "晚上"),
}
POD = {
    "早上": "早上",
    "早晨": "早上",
    "清晨": "早上",
    "早间": "早上",
    "早": "早上",
    "上午": "上午",
    "中午": "中午",
    "正午": "中午",
    "晌午": "中午",
    "下午": "下午",
    "午后": "下午",
    "晏昼": "下午",
    "傍晚": "傍晚",
    "黄昏": "傍晚",
    "晚上": "晚上",
    "晚间": "晚上",
    "夜里": "晚上",
    "夜间": "晚上",
    "夜晚": "晚上",
    "晚": "晚上",
    "深夜": "深夜",
    "半夜": "深夜",
    "午夜": "深夜",
    "凌晨": "凌晨",
}
NOW_WORDS = ("现在", "此时", "此刻", "当前", "目前", "宜家", "而家", "依家")
UNITS = {
    "工作日": "workday",
    "天": "day",
    "日": "day",
    "周": "week",
    "星期": "week",
    "礼拜": "week",
    "月": "month",
    "年": "year",
    "小时": "hour",
    "钟头": "hour",
    "钟": "hour",
    "分钟": "minute",
    "分": "minute",
    "秒钟": "second",
    "秒": "second",
}


@dataclass(slots=True)
class Tok:
    """One atom. ``slots`` says which parts of a time it fills (0 year, 1 month, 2 day,
    3 part of day, 4 clock); an expression is a run of atoms with rising slots."""

    kind: str
    start: int
    end: int
    lo: int
    hi: int
    data: dict[str, Any] = field(default_factory=dict)


def _num(s: str | None) -> float | None:
    if s is None:
        return None
    if s == "半":
        return 0.5
    if s == "几":
        return 3.0
    return to_number(s)


def _count(s: str | None) -> float | None:
    """A count before a unit; "两三" is about three (numbers.count_number)."""
    if s is None or s in ("半", "几"):
        return _num(s)
    got = count_number(s)
    return got[0] if got is not None else None


def _int(s: str | None) -> int | None:
    v = _num(s)
    if v is None or v != int(v):
        return None
    return int(v)


# --- atom parsers ---------------------------------------------------------------------------
# Each returns a Tok (or None to reject). ``m`` is the atom's own match.

Parser = Callable[[re.Match[str], str], "Tok | None"]


def _p_now(m: re.Match[str], text: str) -> Tok | None:
    return Tok("now", m.start(), m.end(), 2, 4)


def _p_range_clock(m: re.Match[str], text: str) -> Tok | None:
    h1, h2 = _int(m["h1"]), _int(m["h2"])
    if h1 is None or h2 is None or h1 > 24 or h2 > 24:
        return None
    return Tok("range_clock", m.start(), m.end(), 4, 4, {"h1": h1, "h2": h2})


def _valid_md(mo: int | None, d: int | None) -> bool:
    return mo is not None and d is not None and 1 <= mo <= 12 and 1 <= d <= 31


def _p_date_ymd(m: re.Match[str], text: str) -> Tok | None:
    if m["s1"] != m["s2"]:
        return None
    y, mo, d = _int(m["y"]), _int(m["m"]), _int(m["d"])
    if y is None or not _valid_md(mo, d):
        return None
    return Tok("date", m.start(), m.end(), 0, 2, {"year": y, "month": mo, "day": d})


def _p_date_mdy(m: re.Match[str], text: str) -> Tok | None:
    y, mo, d = _int(m["y"]), _int(m["m"]), _int(m["d"])
    if y is None or not _valid_md(mo, d):
        return None
    if len(m["y"]) == 2:
        y += 2000 if y < 50 else 1900
    return Tok("date", m.start(), m.end(), 0, 2, {"year": y, "month": mo, "day": d})


def _p_date_md(m: re.Match[str], text: str) -> Tok | None:
    mo, d = _int(m["m"]), _int(m["d"])
    if not _valid_md(mo, d):
        return None
    return Tok("date", m.start(), m.end(), 1, 2, {"month": mo, "day": d})


def _ampm(s: str | None) -> str | None:
    if not s:
        return None
    return "am" if s[0] in "aA" else "pm"


def _p_clock_colon(m: re.Match[str], text: str) -> Tok | None:
    h, mi = _int(m["h"]), _int(m["mi"])
    s = _int(m["s"]) if m["s"] else None
    if h is None or mi is None or h > 24 or mi > 59 or (s is not None and s > 59):
        return None
    ap = _ampm(m["ap"])
    if ap and h > 12:
        return None
    # N:MM is taken as written (24-hour form); only a part of the day shifts it.
    data = {"h": h, "mi": mi, "s": s, "ap": ap, "minute_given": True, "as_written": True}
    return Tok("clock", m.start(), m.end(), 4, 4, data)


def _p_clock_ampm(m: re.Match[str], text: str) -> Tok | None:
    h = _int(m["h"])
    if h is None or not 1 <= h <= 12:
        return None
    data = {"h": h, "mi": 0, "s": None, "ap": _ampm(m["ap"]), "minute_given": False}
    return Tok("clock", m.start(), m.end(), 4, 4, data)


_NOT_A_CLOCK_AFTER = re.compile(r"建议|意见|要求|问题|原因|想法|看法|说明|注意|理由|好处|不足|儿")
_LITTLE_BEFORE = frozenset("快早晚多少有好大小慢高低差近远长短轻重强弱紧松稍再第几一这那上下")


# A bare number after N点 that counts or places something: 三楼, 3号, 2层, 5个人.
_NOT_MINUTES_AFTER = re.compile(
    r"\s?(?:楼|层|号|室|栋|幢|座|个|人|位|排|间|区|单元|台|张|份|页|条|次|遍|组|块|元|块钱|%|米)"
)


def _minutes_written(m: re.Match[str], text: str) -> bool:
    """ "N点M" reads M as minutes only when written as minutes: with 分, or two digits
    (N点15, N点05, 十点二十) right after 点; never across a space or before a counter word."""
    if m["fen"]:
        return True
    if m["sp"] or _NOT_MINUTES_AFTER.match(text, m.end("mi")):
        return False
    raw = m["mi"]
    if raw.isdigit():
        return len(raw) == 2
    return "十" in raw or raw.startswith("零")


def _p_clock(m: re.Match[str], text: str) -> Tok | None:
    raw_h = m["h"]
    h = _int(raw_h)
    if h is None or h > 24:
        return None
    rest = m["rest"]
    mi_raw = m["mi"]
    before = text[m.start() - 1] if m.start() > 0 else ""
    if before and (before == "第" or before in "0123456789."):
        return None
    if not rest and not mi_raw:
        # "快一点", "有两点建议": a numeral + 点 that is not a time.
        if raw_h in ("一", "两", "二", "几") and (before in _LITTLE_BEFORE):
            return None
        if _NOT_A_CLOCK_AFTER.match(text, m.end()):
            return None
        if (
            m["u"] == "时"
            and raw_h[0] in _CN
            and len(raw_h) == 1
            and before not in "午上晚晨间里天日号"
        ):
            return None
    mi = 0
    minute_given = False
    if rest in ("半",):
        mi, minute_given = 30, True
    elif rest == "一刻":
        mi, minute_given = 15, True
    elif rest == "三刻":
        mi, minute_given = 45, True
    elif mi_raw:
        if not _minutes_written(m, text):
            # "十点三楼", "3点 3楼": the number belongs to what follows, not to the clock.
            data = {"h": h, "mi": 0, "s": None, "ap": None, "minute_given": False}
            return Tok("clock", m.start(), m.end("u"), 4, 4, data)
        v = _int(mi_raw)
        if v is None or v > 59:
            return None
        mi, minute_given = v, True
    s = _int(m["s"]) if m["s"] else None
    if s is not None and s > 59:
        return None
    data = {"h": h, "mi": mi, "s": s, "ap": None, "minute_given": minute_given}
    return Tok("clock", m.start(), m.end(), 4, 4, data)


def _p_offset(m: re.Match[str], text: str) -> Tok | None:
    n = _count(m["n"])
    if n is None or n <= 0 or n > 1000:
        return None
    unit_raw = m["unit"].replace(" ", "")
    half = "半" in unit_raw or bool(m["half"])
    unit_key = unit_raw.replace("个", "").replace("半", "")
    unit = UNITS.get(unit_key)
    if unit is None:
        return None
    if unit_key == "日" and m.start() > 0 and text[m.start() - 1] == "月":
        # "12月1日之后" names a date, not "one day later".
        return None
    if half:
        n += 0.5
    d = m["dir"]
    direction = -1 if "前" in d else 1
    within = "内" in d
    return Tok(
        "offset",
        m.start(),
        m.end(),
        2,
        2 if unit in ("day", "week", "month", "year", "workday") else 4,
        {"n": n, "unit": unit, "dir": direction, "within": within},
    )


def _p_span(m: re.Match[str], text: str) -> Tok | None:
    before = text[m.start() - 1] if m.start() > 0 else ""
    if before and before in "提之以然最随往向":
        return None
    n = _count(m["n"])
    if n is None or n <= 0 or n != int(n) or n > 1000:
        return None
    unit = UNITS.get(m["unit"].replace(" ", "").replace("个", ""))
    if unit is None or unit == "workday":
        return None
    d = m["dir"]
    direction = -1 if d in ("上", "前", "过去", "最近", "近") else 1
    if d in ("上", "下") and n == 1 and unit in ("week", "month", "year"):
        # 上一周 / 下一个月: the previous / next calendar unit, not a span of one.
        kind = {"week": "week", "month": "month_rel", "year": "year_rel"}[unit]
        return Tok(
            kind,
            m.start(),
            m.end(),
            2 if unit == "week" else (1 if unit == "month" else 0),
            2 if unit == "week" else (1 if unit == "month" else 0),
            {"rel": direction},
        )
    return Tok("span", m.start(), m.end(), 2, 4, {"n": int(n), "unit": unit, "dir": direction})


# A festival name that starts a longer word: 小年轻, 七夕节 is fine but 腊八粥 is porridge.
_NOT_HOLIDAY_AFTER = {"小年": "轻", "腊八": "粥蒜", "重阳": "糕"}


def _p_holiday(m: re.Match[str], text: str) -> Tok | None:
    name = m.group(0)
    after = _NOT_HOLIDAY_AFTER.get(name)
    if after and text[m.end() : m.end() + 1] in tuple(after):
        return None
    if name[0] in _CN:
        before = text[m.start() - 1] if m.start() > 0 else ""
        if before and (before in _CN or before.isdigit() or before in "第每"):
            return None
    return Tok("holiday", m.start(), m.end(), 2, 2, {"name": name})


_LUNAR_MONTHS = {"正": 1, "冬": 11, "腊": 12}
_LUNAR_DAY_FIRST = {"初": 0, "廿": 20, "卅": 30}


def _lunar_day(raw: str | None) -> int | None:
    """初八 → 8, 十五 → 15, 廿三 → 23, 三十 → 30, 23 → 23."""
    if not raw:
        return None
    raw = raw.replace(" ", "")
    if raw[0] in _LUNAR_DAY_FIRST and len(raw) <= 2:
        rest = _int(raw[1:]) if len(raw) > 1 else 0
        if rest is None:
            return None
        return _LUNAR_DAY_FIRST[raw[0]] + rest
    return _int(raw)


def _p_lunar(m: re.Match[str], text: str) -> Tok | None:
    """农历三月初八 / 正月十五 / 腊月二十三 / 闰四月初八 / 十月初一 / 大年初三: a lunar date.
    Only a lunar month name (正/冬/腊月, 闰N月), the 农历 prefix, a 初N day or 大年 makes a date
    lunar; "八月十五" stays Gregorian."""
    gd = m.groupdict()
    raw_m = gd.get("m")
    if "bare" in gd:
        # 初八开工: day N of the current lunar month if still ahead, else of the next one.
        day = _lunar_day(gd.get("d"))
        data = {"month": None, "day": day, "leap": False, "year": None}
        return Tok("lunar", m.start(), m.end(), 2, 2, data)
    if raw_m is None:
        month = 1  # 大年初N
    else:
        month = _LUNAR_MONTHS.get(raw_m) or _int(raw_m) or 0
    if not 1 <= month <= 12:
        return None
    day = _lunar_day(gd.get("d"))
    if day is not None and not 1 <= day <= 30:
        return None
    if day is None and not gd.get("pre"):
        # A bare 正月 / 腊月 is the whole month only with 农历 or a lunar month name.
        if raw_m not in _LUNAR_MONTHS and not gd.get("leap"):
            return None
    year = _int(gd.get("y")) if gd.get("y") else None
    if year is not None and not 1900 <= year <= 2100:
        return None
    data = {"month": month, "day": day, "leap": bool(gd.get("leap")), "year": year}
    return Tok("lunar", m.start(), m.end(), 0 if year is not None else 1, 2, data)


def _p_relday(m: re.Match[str], text: str) -> Tok | None:
    word = m.group(0)
    if word in ("前天", "前日", "后天", "后日"):
        before = text[m.start() - 1] if m.start() > 0 else ""
        if before in ("提", "之", "以", "最", "向", "往", "然", "日", "天", "午"):
            return None
    return Tok("relday", m.start(), m.end(), 2, 2, {"rel": RELDAYS[word]})


def _p_relday_pod(m: re.Match[str], text: str) -> Tok | None:
    rel, pod = RELDAY_POD[m.group(0)]
    return Tok("relday", m.start(), m.end(), 2, 3, {"rel": rel, "pod": pod})


def _p_weekday(m: re.Match[str], text: str) -> Tok | None:
    pre = m["pre"]
    rel = _REL_PREFIX[pre] if pre else None
    wd = WEEKDAYS[m["wd"]]
    data: dict[str, Any] = {"rel": rel, "wd": wd}
    if m["wd2"]:
        # 周三四 / 下周五六: that day and the next one (an interval of two days).
        if WEEKDAYS[m["wd2"]] != wd + 1:
            return Tok("weekday", m.start(), m.end("wd"), 2, 2, data)
        data["days"] = 2
    return Tok("weekday", m.start(), m.end(), 2, 2, data)


_EN_REL = {"today": 0, "tomorrow": 1, "day after tomorrow": 2}
_EN_PRE = {"this": 0, "next": 1, "last": -1}
_EN_WEEKDAY = {
    "mon": 0,
    "tue": 1,
    "wed": 2,
    "thu": 3,
    "fri": 4,
    "sat": 5,
    "sun": 6,
}


def _p_en_day(m: re.Match[str], text: str) -> Tok | None:
    """tomorrow / today / tonight / (this|next|last) Monday / next week, as in mixed chat."""
    if m["rel"]:
        word = m["rel"].lower()
        if word == "tonight":
            return Tok("relday", m.start(), m.end(), 2, 3, {"rel": 0, "pod": "晚上"})
        return Tok("relday", m.start(), m.end(), 2, 2, {"rel": _EN_REL[word]})
    if m["wpre"]:
        rel = _EN_PRE[m["wpre"].lower()]
        return Tok("week", m.start(), m.end(), 2, 2, {"rel": rel, "within": False})
    wd_raw = m["wd"].lower()
    if len(wd_raw) <= 5 and not m["pre"]:
        # A bare short form ("sat", "sun", "wed") is an ordinary English word too often.
        return None
    pre = m["pre"].lower() if m["pre"] else None
    return Tok(
        "weekday",
        m.start(),
        m.end(),
        2,
        2,
        {"rel": _EN_PRE[pre] if pre else None, "wd": _EN_WEEKDAY[wd_raw[:3]]},
    )


def _p_weekend(m: re.Match[str], text: str) -> Tok | None:
    pre = m["pre"]
    return Tok("weekend", m.start(), m.end(), 2, 2, {"rel": _REL_PREFIX[pre] if pre else 0})


def _p_week(m: re.Match[str], text: str) -> Tok | None:
    if m["part"]:
        # 下周初 = that week's Monday, 周中 = its Wednesday (like 月初 / 月中).
        wd = 0 if m["part"] == "初" else 2
        return Tok("weekday", m.start(), m.end(), 2, 2, {"rel": _REL_PREFIX[m["pre"]], "wd": wd})
    return Tok(
        "week", m.start(), m.end(), 2, 2, {"rel": _REL_PREFIX[m["pre"]], "within": bool(m["in"])}
    )


_PART = {
    "底": "end",
    "末": "end",
    "初": "start",
    "中": "mid",
    "上旬": "start",
    "中旬": "mid",
    "下旬": "late",
}


def _p_month_rel(m: re.Match[str], text: str) -> Tok | None:
    part = _PART.get(m["part"] or "")
    return Tok(
        "month_rel",
        m.start(),
        m.end(),
        1,
        2 if part else 1,
        {"rel": _REL_PREFIX[m["pre"]], "part": part},
    )


_YEAR_REL = {
    "今年": 0,
    "本年": 0,
    "当年": 0,
    "这一年": 0,
    "明年": 1,
    "来年": 1,
    "下年": 1,
    "后年": 2,
    "大后年": 3,
    "去年": -1,
    "上年": -1,
    "前年": -2,
    "大前年": -3,
}


def _p_year_rel(m: re.Match[str], text: str) -> Tok | None:
    part = _PART.get(m["part"] or "")
    return Tok(
        "year_rel",
        m.start(),
        m.end(),
        0,
        2 if part else 0,
        {"rel": _YEAR_REL[m["w"]], "part": part},
    )


def _p_year(m: re.Match[str], text: str) -> Tok | None:
    raw = m["y"]
    y = _int(raw)
    if y is None:
        return None
    if len(raw) == 2:
        y += 2000 if y < 50 else 1900
    if not 1900 <= y <= 2200:
        return None
    part = _PART.get(m["part"] or "")
    return Tok("year", m.start(), m.end(), 0, 2 if part else 0, {"year": y, "part": part})


def _p_year_part(m: re.Match[str], text: str) -> Tok | None:
    return Tok("year_rel", m.start(), m.end(), 0, 2, {"rel": 0, "part": _PART[m["part"]]})


def _p_month_part(m: re.Match[str], text: str) -> Tok | None:
    return Tok("month_rel", m.start(), m.end(), 1, 2, {"rel": 0, "part": _PART[m["part"]]})


_DAY_AFTER = re.compile(r"\s?(?:[0-9]{1,2}|[一二三四五六七八九十廿卅]{1,3})\s?[号日]")


def _p_month(m: re.Match[str], text: str) -> Tok | None:
    mo = _int(m["m"])
    if mo is None or not 1 <= mo <= 12:
        return None
    before = text[m.start() - 1] if m.start() > 0 else ""
    if before and (before.isdigit() or before in "几每第十"):
        return None  # "十" before: the tail of a longer numeral ("一个十二月" is not 二月)
    if before == "个" and not _DAY_AFTER.match(text, m.end()):
        return None  # "三个月"-like counts; "定一个十二月五号" is a date
    part = _PART.get(m["part"] or "")
    return Tok("month", m.start(), m.end(), 1, 2 if part else 1, {"month": mo, "part": part})


def _p_day(m: re.Match[str], text: str) -> Tok | None:
    d = _int(m["d"])
    if d is None or not 1 <= d <= 31:
        return None
    before = text[m.start() - 1] if m.start() > 0 else ""
    if before and (before.isdigit() or before in "个几每第.:十廿卅"):
        return None
    return Tok("day", m.start(), m.end(), 2, 2, {"day": d})


def _p_pod(m: re.Match[str], text: str) -> Tok | None:
    return Tok("pod", m.start(), m.end(), 3, 3, {"pod": POD[m.group(0)]})


def _p_offwork(m: re.Match[str], text: str) -> Tok | None:
    return Tok("offwork", m.start(), m.end(), 3, 4)


def _p_ordinal_week(m: re.Match[str], text: str) -> Tok | None:
    n = -1 if m["last"] else _int(m["n"])
    if n is None or not (1 <= n <= 5 or n == -1):
        return None
    if n == -1 and not m["wd"] and not m["last_week"]:
        return None
    wd = WEEKDAYS[m["wd"]] if m["wd"] else None
    return Tok("ordinal_week", m.start(), m.end(), 2, 2, {"n": n, "wd": wd})


def _p_half(m: re.Match[str], text: str) -> Tok | None:
    """上半年 / 下半月 / 前半年 / 后半年: a half of the year or month; 上个半年: the previous one."""
    unit = {"年": "year", "月": "month"}.get(m["u"] or "", "week")
    if m["rel"]:
        return Tok("half", m.start(), m.end(), 1, 1, {"unit": "year", "rel": _REL_PREFIX[m["rel"]]})
    before = text[m.start() - 1] if m.start() > 0 else ""
    if before and (before in "个这那每" or before.isdigit() or before in _CN):
        return None
    half = 1 if m["h"] in "上前" else 2
    lo = 1 if unit == "year" else 2
    if unit == "week" and before and before in "周星":
        return None
    return Tok("half", m.start(), m.end(), lo, lo, {"unit": unit, "half": half})


def _p_year_span(m: re.Match[str], text: str) -> Tok | None:
    y1, y2 = int(m["y1"]), int(m["y2"])
    if not 1900 <= y1 < y2 <= 2200:
        return None
    return Tok("year_span", m.start(), m.end(), 0, 0, {"y1": y1, "y2": y2})


def _p_quarter(m: re.Match[str], text: str) -> Tok | None:
    if m["pre"] is not None:
        return Tok("quarter", m.start(), m.end(), 1, 1, {"rel": _REL_PREFIX[m["pre"]]})
    n = _int(m["n"] or m["q"])
    if n is None or not 1 <= n <= 4:
        return None
    return Tok("quarter", m.start(), m.end(), 1, 1, {"n": n})


def _p_decade(m: re.Match[str], text: str) -> Tok | None:
    d = _int(m["d"])
    if d is None or d % 10 or not 0 <= d <= 90:
        return None
    century = _int(m["c"]) if m["c"] else None
    if century is not None and not 16 <= century <= 22:
        return None
    return Tok("decade", m.start(), m.end(), 0, 0, {"decade": d, "century": century})


def _p_ordinal_month(m: re.Match[str], text: str) -> Tok | None:
    n = _int(m["n"])
    if n is None or not 1 <= n <= 12:
        return None
    return Tok("ordinal_month", m.start(), m.end(), 1, 1, {"n": n})


def _p_year_edge(m: re.Match[str], text: str) -> Tok | None:
    n = _int(m["n"])
    unit = {"天": "day", "日": "day", "周": "week", "星期": "week"}.get(m["unit"], "month")
    limit = {"day": 366, "week": 52, "month": 12}[unit]
    if n is None or not 1 <= n <= limit:
        return None
    side = "last" if m["w"] in ("最后", "后") else "first"
    return Tok("year_edge", m.start(), m.end(), 1, 2, {"n": n, "unit": unit, "side": side})


def _p_clock_five_k2(m: re.Match[str], text: str) -> Tok | None:
    k = m["k"] if m["k"] is not None else m["k2"]
    return _clock_five(m, text, k)


def _clock_five(m: re.Match[str], text: str, k_raw: str) -> Tok | None:
    """Cantonese five-minute clock: 三點踏三 / 三點搭三 / 三點三個字 = 3:15 (M × 5 minutes)."""
    h, k = _int(m["h"]), _int(k_raw)
    if h is None or h > 24:
        return None
    if k_raw == "半":
        mi = 30
    elif k is None or not 1 <= k <= 11:
        return None
    else:
        mi = 5 * k
    data = {"h": h, "mi": mi, "s": None, "ap": None, "minute_given": True}
    return Tok("clock", m.start(), m.end(), 4, 4, data)


# Time zones named after a clock time ("4pm CET", "北京时间3点" is handled by the default zone).
# Standard offsets in hours; summer names carry their summer offset.
ZONES = {
    "UTC": 0.0,
    "GMT": 0.0,
    "WET": 0.0,
    "BST": 1.0,
    "CET": 1.0,
    "CEST": 2.0,
    "EET": 2.0,
    "EEST": 3.0,
    "MSK": 3.0,
    "IST": 5.5,
    "SGT": 8.0,
    "HKT": 8.0,
    "CST": 8.0,
    "JST": 9.0,
    "KST": 9.0,
    "AEST": 10.0,
    "AEDT": 11.0,
    "EST": -5.0,
    "EDT": -4.0,
    "CDT": -5.0,
    "MST": -7.0,
    "MDT": -6.0,
    "PST": -8.0,
    "PDT": -7.0,
}
_ZONE_ALT = "|".join(sorted(ZONES, key=len, reverse=True))
_ZONE_RE = re.compile(
    rf"\s?(?:(?:UTC|GMT)(?P<sign>[+-])(?P<oh>[0-9]{{1,2}})(?::?(?P<om>[0-9]{{2}}))?|(?P<z>{_ZONE_ALT})(?![A-Za-z]))"
)


def zone_after(text: str, pos: int) -> tuple[int, float] | None:
    """A time zone written right after a clock time: (end, offset in hours) or None."""
    m = _ZONE_RE.match(text, pos)
    if m is None:
        return None
    if m["z"]:
        return m.end(), ZONES[m["z"]]
    hours = int(m["oh"]) + (int(m["om"]) / 60 if m["om"] else 0.0)
    if hours > 14:
        return None
    return m.end(), hours if m["sign"] == "+" else -hours


_SET_UNITS = {
    "天": "P1D",
    "日": "P1D",
    "周": "P1W",
    "星期": "P1W",
    "礼拜": "P1W",
    "月": "P1M",
    "年": "P1Y",
    "小时": "PT1H",
    "工作日": "WORKDAY",
}


# Words whose 年 / 节 is no festival: 三年前, 去年后, 环节前, 细节后...
_NOT_FESTIVAL_BEFORE = frozenset(
    "0123456789零一二两三四五六七八九十百千万几多半个整全每今明去前后当往近历周早青少老中童成学财"
    "末晚上下来隔跨同本该那这逐环细章关季音情礼调使枝时符脱卡拍贞气名小"
)


def _p_holiday_rel(m: re.Match[str], text: str) -> Tok | None:
    """年前 / 年后 (the Spring Festival's days off), 节前 / 节后 (the next public holiday's)."""
    before = text[m.start() - 1] if m.start() > 0 else ""
    if before in _NOT_FESTIVAL_BEFORE:
        return None
    name = "春节" if m["w"] == "年" else None
    rel = "before" if m["rel"] in ("前", "之前", "以前") else "after"
    return Tok("holiday_rel", m.start(), m.end(), 2, 2, {"name": name, "rel": rel})


def _p_these_days(m: re.Match[str], text: str) -> Tok | None:
    """这两天 / 这几天: today and the next day or two; 近期: the coming two weeks; 今明两天 /
    明后天: those two days."""
    if m["pair"]:
        first = 0 if m["pair"][0] == "今" else 1
        return Tok("window", m.start(), m.end(), 2, 2, {"days": 2, "from": first})
    if m["n"] is None:
        return Tok("window", m.start(), m.end(), 2, 2, {"days": 14})
    n = _int(m["n"])
    if n is None or not 1 <= n <= 7:
        return None
    return Tok("window", m.start(), m.end(), 2, 2, {"days": n})


# 超过两天 / 不过两天 / 经过三天 / 错过两天: 过 belongs to another word there.
_NOT_WAIT_BEFORE = frozenset("超经不度错跳越通穿略闯渡难好太")


def _p_wait(m: re.Match[str], text: str) -> Tok | None:
    """过两天 / 过几天 / 过一周 / 过两个月: that many units from today (like N天后)."""
    before = text[m.start() - 1] if m.start() > 0 else ""
    if before in _NOT_WAIT_BEFORE:
        return None
    n = _count(m["n"])
    unit = UNITS.get(m["unit"].replace(" ", "").replace("个", ""))
    if n is None or n <= 0 or n > 100 or n != int(n) or unit not in ("day", "week", "month"):
        return None
    return Tok(
        "offset", m.start(), m.end(), 2, 2, {"n": n, "unit": unit, "dir": 1, "within": False}
    )


def _p_week_part(m: re.Match[str], text: str) -> Tok | None:
    """周初 / 周中 alone: this week's Monday / Wednesday."""
    wd = 0 if m["part"] == "初" else 2
    return Tok("weekday", m.start(), m.end(), 2, 2, {"rel": 0, "wd": wd})


def _p_unit_within(m: re.Match[str], text: str) -> Tok | None:
    """月内 / 年内: within this month / year (a due, like 本月内)."""
    if m["u"] == "月":
        return Tok("month_rel", m.start(), m.end(), 1, 1, {"rel": 0, "part": None})
    return Tok("year_rel", m.start(), m.end(), 0, 0, {"rel": 0, "part": None})


_SEASONS = {"春": 3, "夏": 6, "秋": 9, "冬": 12}


def _p_season(m: re.Match[str], text: str) -> Tok | None:
    """春天 / 夏季 / 秋天 / 冬天: three months from March, June, September, December."""
    return Tok("season", m.start(), m.end(), 1, 1, {"month": _SEASONS[m["s"]]})


def _p_every(m: re.Match[str], text: str) -> Tok | None:
    """每天 / 每周一 / 每个月 / 每年: the start of a recurring time (a set)."""
    if m["wd"]:
        return Tok("every", m.start(), m.end(), 2, 2, {"wd": WEEKDAYS[m["wd"]]})
    unit = _SET_UNITS.get(m["unit"].replace("个", "").replace(" ", ""))
    if unit is None:
        return None
    lo = {"P1Y": 0, "P1M": 1, "PT1H": 3}.get(unit, 2)
    return Tok("every", m.start(), m.end(), lo, lo, {"unit": unit})


def _trie_pattern(words: list[str]) -> str:
    """One regex for many literal words, factored by common prefixes (fast to try)."""
    tree: dict[str, Any] = {}
    for w in words:
        node = tree
        for ch in w:
            node = node.setdefault(ch, {})
        node[""] = {}

    def emit(node: dict[str, Any]) -> str:
        ends = "" in node
        alts = [re.escape(ch) + emit(child) for ch, child in sorted(node.items()) if ch]
        if not alts:
            return ""
        body = alts[0] if len(alts) == 1 else "(?:" + "|".join(alts) + ")"
        return f"(?:{body})?" if ends else body

    return emit(tree)


_HOLIDAY_ALT = _trie_pattern(calendar.names)
# "二号棚", "3号线", "5号楼", "8号床": N号 + the noun it numbers is a thing, not a day of the month.
_NUMBERED_THING = (
    r"会议室|文件|选手|工位|车间|展位|泊位|货架|地块|病房|病床|通道|窗口|机位|机房|码头|仓库|库房"
    r"|[楼层线房门机位桌厅窗口床车场店馆柜仓库站元字球棚摊区栋院码箱槽坑井塔罐炉池舱包袋桩闸柱窑泵屏格段]"
)
_LUNAR_DAY = (
    r"初\s?(?:十|[一二三四五六七八九])|二十[一二三四五六七八九]?|廿[一二三四五六七八九]?|三十|卅"
    r"|十[一二三四五六七八九]?|[12][0-9]|30|[1-9](?![0-9])"
)
_DIGIT_AFTER = rf"(?![0-9{_CN}点时号日月个年天周:])"
_REL_WORDS = "|".join(sorted(_YEAR_REL, key=len, reverse=True))

# (kind, pattern, parser). The first character class of each pattern is what the union regex
# uses to find candidates, so keep patterns anchored on concrete characters.
_SPECS: list[tuple[str, str, Parser]] = [
    ("now", "|".join(NOW_WORDS), _p_now),
    ("half", r"(?P<h>上|下|前|后)半(?P<u>年|月|周|星期|礼拜)|(?P<rel>上|下)个半年", _p_half),
    (
        "year_span",
        r"(?<![0-9])(?P<y1>[0-9]{4})\s?(?:-|~|到|至)\s?(?P<y2>[0-9]{4})\s?年(?!代|级|纪|龄|度)",
        _p_year_span,
    ),
    (
        "quarter",
        r"(?:第?(?P<n>[一二三四1-4])\s?个?|(?P<pre>上上|下下|上|下|这|本|当)\s?个?\s?)季度|(?<![A-Za-z])[Qq](?P<q>[1-4])(?![0-9A-Za-z])",
        _p_quarter,
    ),
    (
        "decade",
        r"(?:(?P<c>十[六七八九]|二十[一二]?|1[6-9]|2[0-2])\s?世纪)?\s?(?P<d>[二三四五六七八九]十|[1-9]0|零零)\s?年代",
        _p_decade,
    ),
    (
        "ordinal_month",
        r"(?:(?<=年)的|(?<=年))?第(?P<n>[一二三四五六七八九十]{1,3}|[0-9]{1,2})\s?个\s?月",
        _p_ordinal_month,
    ),
    (
        "year_edge",
        rf"(?:(?<=年)的|(?<=年))\s?(?P<w>前|头|最后)\s?(?P<n>{N2})\s?(?P<unit>个\s?月|周|星期|天|日)",
        _p_year_edge,
    ),
    (
        "clock_five",
        r"(?P<h>[0-9]{1,2}|[一二两三四五六七八九十]{1,3})\s?点\s?(?:(?:踏|搭)\s?(?P<k>十一|十|[一二三四五六七八九半]|[0-9]{1,2})|(?P<k2>十一|十|[一二三四五六七八九]|[0-9]{1,2})\s?个字)",
        _p_clock_five_k2,
    ),
    (
        "every",
        r"每\s?(?:(?:周|星期|礼拜)(?P<wd>[一二三四五六日天1-7])|(?P<unit>个\s?(?:月|星期|礼拜|小时|工作日)|天|日|周|星期|礼拜|月|年|小时|工作日))",
        _p_every,
    ),
    ("offwork", r"下班(?:之前|以前|前)", _p_offwork),
    (
        "holiday_rel",
        r"(?P<w>年|节)(?P<rel>之前|以前|前|之后|以后|过后|后)(?![天日端台面后辈者景途提置夕哨])",
        _p_holiday_rel,
    ),
    (
        "range_clock",
        rf"(?P<h1>{N2})\s?(?:到|至|-|~)\s?(?P<h2>{N2})\s?(?:点钟|点|时)(?!半|[0-9{_CN}]|一刻|三刻)",
        _p_range_clock,
    ),
    (
        "date_ymd",
        r"(?<![0-9./])(?P<y>[0-9]{4})\s?(?P<s1>[-/.])\s?(?P<m>[0-9]{1,2})\s?(?P<s2>[-/.])\s?(?P<d>[0-9]{1,2})(?![0-9]|\.[0-9])",
        _p_date_ymd,
    ),
    (
        "date_mdy",
        r"(?<![0-9.\-/])(?P<m>[0-9]{1,2})/(?P<d>[0-9]{1,2})/(?P<y>[0-9]{4}|[0-9]{2})(?![0-9/])",
        _p_date_mdy,
    ),
    (
        "date_md",
        r"(?<![0-9.\-/:])(?P<m>[0-9]{1,2})/(?P<d>[0-9]{1,2})(?![0-9/%.])",
        _p_date_md,
    ),
    (
        "clock_colon",
        r"(?<![0-9:.])(?P<h>[0-9]{1,2}):(?P<mi>[0-9]{2})(?::(?P<s>[0-9]{2}))?(?:\s?(?P<ap>[aApP]\.?[mM]\.?|[aApP](?![a-zA-Z])))?(?![0-9])",
        _p_clock_colon,
    ),
    (
        "clock_ampm",
        r"(?<![0-9.:])(?P<h>[0-9]{1,2})\s?(?P<ap>[aApP]\.?[mM]\.?)(?![a-zA-Z])",
        _p_clock_ampm,
    ),
    (
        "offset",
        rf"(?<![0-9])(?P<n>{NQ})\s?(?P<unit>个\s?半\s?(?:月|小时|钟头|钟|星期|礼拜)|个\s?(?:月|小时|钟头|钟|星期|礼拜|工作日|周)"
        rf"|工作日|天|日(?=\s?(?:之后|以后|过后|后))|(?<![0-9{_CN}][{_CN}])(?<=[一二两三四五六七八九])日|周|星期|礼拜|年|小时|钟头|分钟|秒钟|秒)\s?(?P<half>半)?\s?"
        r"(?P<dir>之后|以后|过后|后|之前|以前|前|之内|以内|内)(?!天|日|端|台|面)",
        _p_offset,
    ),
    (
        "span",
        rf"(?P<dir>过去|未来|最近|接下来|上|下|前|后|近)\s?的?\s?(?P<n>{N2})\s?"
        r"(?P<unit>个\s?(?:月|小时|钟头|钟|星期|礼拜|周)|天|日|周|星期|礼拜|年|月|小时|钟头|分钟|秒钟|秒)(?!末|[一二三四五六日天1-7])",
        _p_span,
    ),
    ("holiday", rf"(?:{_HOLIDAY_ALT}){_DIGIT_AFTER}", _p_holiday),
    (
        "lunar",
        rf"(?P<pre>农历|阴历|旧历)\s?(?:(?P<y>[0-9]{{4}}|[零一二三四五六七八九]{{4}})\s?年)?\s?(?P<leap>闰)?\s?"
        rf"(?P<m>正|冬|腊|十[一二]|[一二三四五六七八九十]|1[0-2]|[1-9])\s?月份?\s?(?:(?P<d>{_LUNAR_DAY})\s?[日号]?)?",
        _p_lunar,
    ),
    (
        "lunar_named",
        rf"(?P<m>正|冬|腊)\s?月\s?(?:(?P<d>{_LUNAR_DAY})\s?[日号]?)?",
        _p_lunar,
    ),
    (
        "lunar_leap",
        rf"(?P<leap>闰)\s?(?P<m>正|冬|腊|十[一二]|[一二三四五六七八九十]|1[0-2]|[1-9])\s?月\s?(?:(?P<d>{_LUNAR_DAY})\s?[日号]?)?",
        _p_lunar,
    ),
    (
        "lunar_chu",
        r"(?<![0-9])(?P<m>十[一二]|[一二三四五六七八九十]|1[0-2]|[1-9])\s?月\s?(?P<d>初\s?(?:十|[一二三四五六七八九]))(?![0-9十])",
        _p_lunar,
    ),
    ("lunar_da", r"大年\s?(?P<d>初\s?(?:十|[一二三四五六七八九]))", _p_lunar),
    # A bare 初四…初十 (初一–初三 are also school grades: "初三学生").
    (
        "lunar_bare",
        r"(?<![月年0-9一二三四五六七八九十高])(?P<d>初\s?(?:十|[四五六七八九]))(?P<bare>)(?![0-9一二三四五六七八九十])",
        _p_lunar,
    ),
    (
        "en_day",
        r"(?<![A-Za-z])(?i:(?P<rel>today|tomorrow|tonight|day after tomorrow)"
        r"|(?:(?P<pre>this|next|last)\s)?(?P<wd>monday|tuesday|wednesday|thursday|friday|saturday|sunday"
        r"|mon|tue|tues|wed|thu|thur|thurs|fri|sat|sun)"
        r"|(?P<wpre>this|next|last)\sweek)(?![A-Za-z])",
        _p_en_day,
    ),
    ("relday_pod", "|".join(RELDAY_POD), _p_relday_pod),
    ("relday", "|".join(sorted(RELDAYS, key=len, reverse=True)), _p_relday),
    (
        "weekday",
        r"(?<![0-9一二两三四五六七八九十几每])(?:(?P<pre>上上|下下|上|下|这|本|今)\s?(?:个|一)?\s?)?(?:周|星期|礼拜)(?P<wd>[一二三四五六日天七1-7])(?P<wd2>[二三四五六日天](?![0-9一二三四五六七八九十点时号日月个天周年]))?",
        _p_weekday,
    ),
    ("weekend", r"(?:(?P<pre>上上|下下|上|下|这|本)\s?个?\s?)?周末", _p_weekend),
    (
        "week",
        r"(?P<pre>上上|下下|上|下|这|本|今)\s?(?:个|一)?\s?(?:周|星期|礼拜)(?![一二三四五六日天七1-7末])(?P<in>之内|以内|内)?(?P<part>初|中(?!心|间|旬|文|国))?",
        _p_week,
    ),
    (
        "month_rel",
        r"(?P<pre>上上|下下|上|下|这|本|今|当)\s?个?\s?月(?:份)?(?P<part>底|末|初|中旬|上旬|下旬|中)?",
        _p_month_rel,
    ),
    (
        "year_rel",
        rf"(?P<w>{_REL_WORDS})(?:年)?(?P<part>底|末|初|中(?!秋|元|旬))?",
        _p_year_rel,
    ),
    (
        "year",
        r"(?<![0-9])(?P<y>[0-9]{4}|[0-9]{2}|[零一二三四五六七八九]{2,4})\s?年(?!代|级|纪|龄|度)(?P<part>底|末|初(?![一二三四五六七八九十])|中(?!秋|元|旬))?",
        _p_year,
    ),
    ("year_part", r"年(?P<part>底|末|初)", _p_year_part),
    ("month_part", r"月(?P<part>底|末|初|中)", _p_month_part),
    ("month_third", r"(?<![月上中下])(?P<part>上旬|中旬|下旬)", _p_month_part),
    # 春天 / 夏天…, and 春季 / 秋季 only where they stand alone: "春季赛", "秋季招聘" are names.
    (
        "season",
        r"(?<![四立早初深晚])(?P<s>春|夏|秋|冬)(?:天(?!猫)|季(?=$|[\s,，。.!！?？、；;:：]|前|之前|以前|后|之后|以后|里|内|末|初|底))",
        _p_season,
    ),
    (
        "week_part",
        r"(?<![0-9一二两三四五六七八九十几上下这本今个每])(?:周|星期)(?P<part>初|中(?!心|间|旬|文|国))",
        _p_week_part,
    ),
    (
        "unit_within",
        r"(?<![0-9一二两三四五六七八九十几个每上下这本今当去明前后])(?P<u>月|年)(?=\s?(?:之内|以内|内))",
        _p_unit_within,
    ),
    (
        "these_days",
        r"这\s?(?P<n>两|几|三|2|3)\s?天(?![0-9一二三四五六七八九十])|近期"
        r"|(?P<pair>今明|明后)(?:两\s?天|天)",
        _p_these_days,
    ),
    (
        "wait",
        r"过\s?(?P<n>几|[一二两三四五六七八九十]{1,2}|[0-9]{1,2})\s?(?P<unit>天|日|周|星期|礼拜|个\s?星期|个\s?礼拜|个\s?月)(?![0-9一二三四五六七八九十])",
        _p_wait,
    ),
    (
        "month",
        r"(?P<m>[0-9]{1,2}|十[一二]?|[一二三四五六七八九])\s?月份?(?P<part>底|末|初|中旬|上旬|下旬|中)?(?!亮|饼|光)",
        _p_month,
    ),
    (
        "ordinal_week",
        r"的?(?:第(?P<n>[一二三四五1-5])|(?P<last>最后)\s?(?P<last_week>一)?)\s?个?\s?(?:周|星期|礼拜)(?P<wd>[一二三四五六日天1-7])?",
        _p_ordinal_week,
    ),
    (
        "day",
        r"(?P<d>[0-9]{1,2}|[一二三四五六七八九十廿卅]{1,3})\s?(?:号|日)"
        rf"(?!{_NUMBERED_THING})",
        _p_day,
    ),
    (
        "pod",
        rf"(?:早上|早晨|清晨|早间|上午|中午|正午|晌午|下午|午后|晏昼|傍晚|黄昏|晚上|晚间|夜里|夜间|夜晚|深夜|半夜|午夜|凌晨"
        rf"|早(?=\s?{N2}\s?[点时:])|晚(?=\s?{N2}\s?[点时:]))"
        r"(?!茶|饭|餐|班|自习|报)",
        _p_pod,
    ),
    (
        "clock",
        rf"(?P<h>{N2})\s?(?P<u>点钟|点|时)(?:\s?(?P<rest>半|一刻|三刻|整)|(?P<sp>\s?)(?P<mi>[0-9]{{1,2}}|[零一二三四五六七八九十]{{1,3}})(?!\s?(?:个|天|号|日|月|年(?!级)|周|小时|点))\s?(?P<fen>分钟|分)?(?:\s?(?P<s>[0-9]{{1,2}}|[零一二三四五六七八九十]{{1,3}})\s?秒)?)?",
        _p_clock,
    ),
]

_NAMED = re.compile(r"\(\?P<[a-z0-9_]+>")


def _strip_names(pattern: str) -> str:
    return _NAMED.sub("(?:", pattern)


_COMPILED: list[tuple[str, re.Pattern[str], Parser]] = [
    (kind, re.compile(p), fn) for kind, p, fn in _SPECS
]
_UNION = re.compile("|".join(f"(?:{_strip_names(p)})" for _, p, _ in _SPECS))
# Every atom starts with a digit or with one of the non-ASCII characters written in the
# patterns; a plain character class finds those fast, and the union is tried only there.
_FIRST_CHARS = sorted(
    {ch for _, p, _ in _SPECS for ch in p if ord(ch) > 127}
    | set("0123456789Qq")
    # The first letters of the English day words (today, tomorrow, this/next/last, weekdays).
    | set("tTnNlLdDmMwWfFsS")
)
_FIRST = re.compile("[" + "".join(re.escape(ch) for ch in _FIRST_CHARS) + "]")


def tokenize(text: str) -> Iterator[Tok]:
    """Yield the atoms of ``text`` (already normalized), left to right, non-overlapping."""
    pos = 0
    n = len(text)
    first = _FIRST.search
    union = _UNION.match
    while pos < n:
        found = first(text, pos)
        if found is None:
            return
        at = found.start()
        if union(text, at) is None:
            pos = at + 1
            continue
        best: Tok | None = None
        for _kind, pattern, fn in _COMPILED:
            m = pattern.match(text, at)
            if m is None or m.end() == at:
                continue
            if best is not None and m.end() <= best.end:
                continue
            tok = fn(m, text)
            if tok is not None:
                best = tok
        if best is None:
            pos = at + 1
            continue
        yield best
        pos = best.end
