"""Festivals whose dates follow a calendar rule rather than a fixed day: the Easter cycle
(Western and Orthodox), the Hebrew and the (tabular) Islamic calendar, and "n-th weekday of a
month" days such as 母亲节.

Only calendar arithmetic lives here; which names map to which rule is the table ``RULES``.
Dates are Gregorian. A rule gives, for a Gregorian year, the spans ``(first day, day after the
last day)`` on which the festival falls in that year (an Islamic festival may fall twice).
"""

from __future__ import annotations

from collections.abc import Callable
from datetime import date, timedelta
from functools import lru_cache

from .lunar import SOLAR_TERMS, lunar_to_solar, solar_term

__all__ = ["RULE_ALIASES", "RULES", "spans_in_year"]

Span = tuple[date, date]
_DAY = timedelta(days=1)


# --- the Easter cycle -----------------------------------------------------------------------


def western_easter(year: int) -> date:
    """Easter Sunday by the Gregorian computus."""
    golden = year % 19
    century, yy = divmod(year, 100)
    leap_c, rem_c = divmod(century, 4)
    f = (century + 8) // 25
    g = (century - f + 1) // 3
    epact = (19 * golden + century - leap_c - g + 15) % 30
    leap_y, rem_y = divmod(yy, 4)
    weekday = (32 + 2 * rem_c + 2 * leap_y - epact - rem_y) % 7
    shift = (golden + 11 * epact + 22 * weekday) // 451
    n = epact + weekday - 7 * shift + 114
    return date(year, n // 31, n % 31 + 1)


def orthodox_easter(year: int) -> date:
    """Easter Sunday by the Julian computus, given as a Gregorian date."""
    d = (19 * (year % 19) + 15) % 30
    e = (2 * (year % 4) + 4 * (year % 7) - d + 34) % 7
    n = d + e + 114
    julian = date(year, n // 31, n % 31 + 1)
    # Days between the Julian and Gregorian calendars in that century.
    return julian + timedelta(days=year // 100 - year // 400 - 2)


# --- the Hebrew calendar --------------------------------------------------------------------
# A Hebrew day begins at sunset; a festival is dated by the evening it begins (its eve).

_HEBREW_EPOCH = -1373427  # proleptic Gregorian ordinal of 1 Tishrei AM 1


def _elapsed_days(hyear: int) -> int:
    months = (235 * hyear - 234) // 19
    parts = 12084 + 13753 * months
    days = 29 * months + parts // 25920
    return days + 1 if (3 * (days + 1)) % 7 < 3 else days


@lru_cache(maxsize=256)
def _rosh_hashanah(hyear: int) -> date:
    """1 Tishrei of Hebrew year ``hyear``."""
    ny0, ny1, ny2 = _elapsed_days(hyear - 1), _elapsed_days(hyear), _elapsed_days(hyear + 1)
    correction = 2 if ny2 - ny1 == 356 else (1 if ny1 - ny0 == 382 else 0)
    return date.fromordinal(_HEBREW_EPOCH + ny1 + correction)


def _hebrew_year_length(hyear: int) -> int:
    return (_rosh_hashanah(hyear + 1) - _rosh_hashanah(hyear)).days


def _kislev_1(hyear: int) -> date:
    cheshvan = 30 if _hebrew_year_length(hyear) % 10 == 5 else 29
    return _rosh_hashanah(hyear) + timedelta(days=30 + cheshvan)


def _kislev_length(hyear: int) -> int:
    return 29 if _hebrew_year_length(hyear) % 10 == 3 else 30


def _from_eve(first: date, length: int) -> Span:
    """A one-day festival is the day of its eve; a longer one runs from the eve to its end."""
    eve = first - _DAY
    return (eve, first) if length == 1 else (eve, first + timedelta(days=length))


def _tishrei(day: int, length: int = 1) -> Callable[[int], list[Span]]:
    def rule(year: int) -> list[Span]:
        first = _rosh_hashanah(year + 3761) + timedelta(days=day - 1)
        return [_from_eve(first, length)]

    return rule


def _nisan(
    offset: int, length: int = 1, *, independence: bool = False
) -> Callable[[int], list[Span]]:
    """A day counted from 1 Nisan (Nisan 30, Iyar 29, Sivan 30, Tammuz 29, Av 30, Elul 29)."""

    def rule(year: int) -> list[Span]:
        nisan_1 = _rosh_hashanah(year + 3761) - timedelta(days=177)
        first = nisan_1 + timedelta(days=offset)
        if independence:
            # Israel's Independence Day moves off Friday/Saturday (to Thursday) and Monday.
            wd = first.weekday()
            first -= timedelta(days={4: 1, 5: 2}.get(wd, 0))
            first += timedelta(days=1 if wd == 0 else 0)
        elif offset == 126 and first.weekday() == 5:
            # Tisha B'Av does not fall on the Sabbath: it moves to Sunday.
            first += _DAY
        return [_from_eve(first, length)]

    return rule


def _hanukkah(year: int) -> list[Span]:
    first = _kislev_1(year + 3761) + timedelta(days=24)
    return [_from_eve(first, 8)]


def _tu_bishvat(year: int) -> list[Span]:
    hyear = year + 3760
    shevat_1 = _kislev_1(hyear) + timedelta(days=_kislev_length(hyear) + 29)
    first = shevat_1 + timedelta(days=14)
    return [_from_eve(first, 1)]


# --- the Islamic calendar (arithmetic, civil epoch) -------------------------------------------
# Observed dates depend on moon sighting and may differ from these by a day.

_ISLAMIC_EPOCH = 227015  # proleptic Gregorian ordinal of 1 Muharram AH 1 (civil epoch)


def _islamic_date(hyear: int, month: int, day: int) -> date:
    ordinal = (
        _ISLAMIC_EPOCH
        - 1
        + (hyear - 1) * 354
        + (3 + 11 * hyear) // 30
        + 29 * (month - 1)
        + month // 2
        + day
    )
    return date.fromordinal(ordinal)


def _islamic(month: int, day: int, *, whole_month: bool = False) -> Callable[[int], list[Span]]:
    def rule(year: int) -> list[Span]:
        approx = (year - 622) * 33 // 32
        out: list[Span] = []
        for hyear in range(approx - 1, approx + 3):
            first = _islamic_date(hyear, month, day)
            if first.year != year:
                continue
            if whole_month:
                nxt = (
                    _islamic_date(hyear, month + 1, 1)
                    if month < 12
                    else _islamic_date(hyear + 1, 1, 1)
                )
                out.append((first, nxt))
            else:
                out.append((first, first + _DAY))
        return out

    return rule


# --- other rules ------------------------------------------------------------------------------


def _easter_based(
    offset: int, *, orthodox: bool = False, length: int = 1
) -> Callable[[int], list[Span]]:
    def rule(year: int) -> list[Span]:
        easter = orthodox_easter(year) if orthodox else western_easter(year)
        first = easter + timedelta(days=offset)
        return [(first, first + timedelta(days=length))]

    return rule


def _nth_weekday(month: int, nth: int, weekday: int) -> Callable[[int], list[Span]]:
    def rule(year: int) -> list[Span]:
        first = date(year, month, 1)
        day = first + timedelta(days=(weekday - first.weekday()) % 7 + 7 * (nth - 1))
        return [(day, day + _DAY)]

    return rule


def _fixed(month: int, day: int) -> Callable[[int], list[Span]]:
    def rule(year: int) -> list[Span]:
        first = date(year, month, day)
        return [(first, first + _DAY)]

    return rule


# --- the Chinese lunisolar calendar and the solar terms (table in lunar.py) --------------------


def _lunar(month: int, day: int) -> Callable[[int], list[Span]]:
    """A lunar month and day; the lunar years y-1 and y both reach into Gregorian year y."""

    def rule(year: int) -> list[Span]:
        out: list[Span] = []
        for ly in (year - 1, year):
            d = lunar_to_solar(ly, month, day)
            if d is not None and d.year == year:
                out.append((d, d + _DAY))
        return out

    return rule


def _new_years_eve(year: int) -> list[Span]:
    """除夕: the last day of the lunar year, the day before 春节."""
    out: list[Span] = []
    for ly in (year, year + 1):
        first = lunar_to_solar(ly, 1, 1)
        if first is not None and (first - _DAY).year == year:
            out.append((first - _DAY, first))
    return out


def _term(name: str) -> Callable[[int], list[Span]]:
    def rule(year: int) -> list[Span]:
        d = solar_term(name, year)
        return [(d, d + _DAY)] if d is not None else []

    return rule


LUNAR_FESTIVALS: dict[str, tuple[int, int]] = {
    "春节": (1, 1),
    "元宵": (1, 15),
    "龙抬头": (2, 2),
    "上巳节": (3, 3),
    "端午": (5, 5),
    "七夕": (7, 7),
    "中元节": (7, 15),
    "中秋": (8, 15),
    "重阳": (9, 9),
    "寒衣节": (10, 1),
    "下元节": (10, 15),
    "腊八": (12, 8),
    "小年": (12, 23),
}

# canonical name → rule. Aliases (other names people use) are in RULE_ALIASES.
RULES: dict[str, Callable[[int], list[Span]]] = {
    # Western Christian, from Easter Sunday.
    "忏悔节": _easter_based(-47),
    "大斋首日": _easter_based(-46),
    "大斋期": _easter_based(-46, length=46),
    "棕枝主日": _easter_based(-7),
    "神圣星期四": _easter_based(-3),
    "耶稣受难日": _easter_based(-2),
    "圣周六": _easter_based(-1),
    "复活节": _easter_based(0),
    "复活节星期一": _easter_based(1),
    "耶稣升天节": _easter_based(39),
    "五旬节": _easter_based(49),
    "圣灵节庆日": _easter_based(50),
    "圣三一主日": _easter_based(56),
    "基督圣体节": _easter_based(60),
    # Orthodox, from the Julian Easter.
    "拉撒路圣周六": _easter_based(-8, orthodox=True),
    "东正教棕枝主日": _easter_based(-7, orthodox=True),
    "东正教耶稣受难日": _easter_based(-2, orthodox=True),
    "东正教圣周六": _easter_based(-1, orthodox=True),
    "东正教复活节": _easter_based(0, orthodox=True),
    "东正教复活节星期一": _easter_based(1, orthodox=True),
    # Jewish (from the eve).
    "犹太新年": _tishrei(1, 2),
    "赎罪日": _tishrei(10),
    "住棚节": _tishrei(15, 7),
    "圣会节": _tishrei(22),
    "西赫托拉节": _tishrei(23),
    "光明节": _hanukkah,
    "犹太植树节": _tu_bishvat,
    "逾越节": _nisan(14, 8),
    "以色列独立日": _nisan(34, independence=True),
    "篝火节": _nisan(47),
    "七七节": _nisan(64, 2),
    "圣殿被毁日": _nisan(126),
    # Islamic.
    "伊斯兰新年": _islamic(1, 1),
    "阿舒拉节": _islamic(1, 10),
    "圣纪节": _islamic(3, 12),
    "登霄节": _islamic(7, 27),
    "斋月": _islamic(9, 1, whole_month=True),
    "法令之夜": _islamic(9, 27),
    "开斋节": _islamic(10, 1),
    "古尔邦节": _islamic(12, 10),
    # Fixed days not in the holiday data file.
    "消费者权益日": _fixed(3, 15),
    "香港回归纪念日": _fixed(7, 1),
    "老板节": _fixed(10, 16),
    "澳门回归纪念日": _fixed(12, 20),
    # n-th weekday of a month.
    "母亲节": _nth_weekday(5, 2, 6),
    "父亲节": _nth_weekday(6, 3, 6),
    "感恩节": _nth_weekday(11, 4, 3),
    # Chinese lunar festivals and the solar terms (1900–2100).
    **{name: _lunar(m, d) for name, (m, d) in LUNAR_FESTIVALS.items()},
    "除夕": _new_years_eve,
    **{name: _term(name) for name in SOLAR_TERMS},
}

_EASTER_FAMILY_ALIASES = {
    "复活节": ("主复活日", "复活节主日", "复活节星期日"),
    "复活节星期一": ("复活节后星期一",),
    "耶稣受难日": ("主受难日", "主受难节", "受难节", "圣周五", "沉默周五", "沈默周五"),
    "圣周六": ("神圣周六", "复活节前夜", "耶稣受难日翌日", "主受难节翌日"),
    "棕枝主日": ("圣枝主日", "圣树主日", "基督苦难主日"),
}

RULE_ALIASES: dict[str, str] = {
    "正月初一": "春节",
    "正月朔日": "春节",
    "正月正时": "春节",
    "春节当天": "春节",
    "大年三十": "除夕",
    "年三十": "除夕",
    "大年夜": "除夕",
    "年三十晚上": "除夕",
    "元宵节": "元宵",
    "上元节": "元宵",
    "正月十五": "元宵",
    "二月二": "龙抬头",
    "端阳节": "端午",
    "七夕节": "七夕",
    "乞巧节": "七夕",
    "鬼节": "中元节",
    "重阳节": "重阳",
    "重九": "重阳",
    "腊八节": "腊八",
    "小年夜": "小年",
    "冬至节": "冬至",
    "国际消费者权益日": "消费者权益日",
    "澳门回归日": "澳门回归纪念日",
    "香港回归日": "香港回归纪念日",
    "忏悔星期二": "忏悔节",
    "煎饼星期二": "忏悔节",
    "圣灰星期三": "大斋首日",
    "圣灰日": "大斋首日",
    "圣灰礼仪日": "大斋首日",
    "大斋节": "大斋期",
    "四旬期": "大斋期",
    "四旬节": "大斋期",
    "濯足节": "神圣星期四",
    "圣周四": "神圣星期四",
    "圣周星期四": "神圣星期四",
    "设立圣餐日": "神圣星期四",
    "升天节": "耶稣升天节",
    "圣灵降临节": "五旬节",
    "圣灵降临日": "五旬节",
    "圣灵降临节星期一": "圣灵节庆日",
    "天主三一主日": "圣三一主日",
    "天主圣三节": "圣三一主日",
    "天主圣三一节": "圣三一主日",
    "圣三主日": "圣三一主日",
    "圣三节": "圣三一主日",
    "基督圣体圣血节": "基督圣体节",
    "基督圣体圣血瞻礼": "基督圣体节",
    "拉撒路周六": "拉撒路圣周六",
    "拉匝路周六": "拉撒路圣周六",
    "拉匝路圣周六": "拉撒路圣周六",
    "犹太教新年": "犹太新年",
    "西赫妥拉节": "西赫托拉节",
    "诵经节": "西赫托拉节",
    "转经节": "西赫托拉节",
    "律法节": "西赫托拉节",
    "欢庆圣法节": "西赫托拉节",
    "修殿节": "光明节",
    "献殿节": "光明节",
    "烛光节": "光明节",
    "哈努卡节": "光明节",
    "图比舍巴特节": "犹太植树节",
    "树木新年": "犹太植树节",
    "犹太教篝火节": "篝火节",
    "沙夫幼特节": "七七节",
    "以色列国庆节": "以色列独立日",
    "伊斯兰教新年": "伊斯兰新年",
    "伊斯兰历新年": "伊斯兰新年",
    "夜行登霄节": "登霄节",
    "权力之夜": "法令之夜",
    "穆斯林斋月": "斋月",
    "肉孜节": "开斋节",
    "尔代节": "开斋节",
    "宰牲节": "古尔邦节",
    "忠孝节": "古尔邦节",
}
for _canon, _names in _EASTER_FAMILY_ALIASES.items():
    for _name in _names:
        RULE_ALIASES[_name] = _canon
        if "东正教" + _canon in RULES:
            RULE_ALIASES["东正教" + _name] = "东正教" + _canon


@lru_cache(maxsize=1024)
def spans_in_year(name: str, year: int) -> tuple[Span, ...]:
    """The spans of festival ``name`` (canonical) that start in Gregorian ``year``."""
    rule = RULES.get(name)
    if rule is None or not 1 < year < 9999:
        return ()
    return tuple(rule(year))
