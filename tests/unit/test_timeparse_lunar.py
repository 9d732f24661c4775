"""The lunar calendar table (1900–2100) and the lunar readings of the normalizer.

The table is checked month by month against borax, a second library independent of the one
that generated it (lunar-python); both are dev dependencies, neither is used at run time.
"""

from __future__ import annotations

from datetime import date, datetime, timedelta
from zoneinfo import ZoneInfo

import pytest

from assistant.timeparse import parse_times
from assistant.timeparse.holidays import calendar
from assistant.timeparse.lunar import (
    FIRST_YEAR,
    LAST_YEAR,
    SOLAR_TERMS,
    lunar_to_solar,
    month_length,
    solar_term,
    solar_to_lunar,
)

TZ = ZoneInfo("Asia/Shanghai")
NOW = datetime(2026, 12, 1, 10, 0, tzinfo=TZ)  # a Tuesday; lunar 2026 十月廿三


# The two libraries differ by one day on the first day of these two months only (the new moon
# falls close to midnight); the table follows lunar-python, which computes them.
KNOWN_DISAGREEMENTS = {(2089, 8, False), (2097, 7, False)}


def test_every_month_matches_borax() -> None:
    from borax.calendars.lunardate import LunarDate

    checked = 0
    differ = set()
    for y in range(FIRST_YEAR, LAST_YEAR + 1):
        for m in range(1, 13):
            for leap in (False, True):
                n = month_length(y, m, leap)
                if n is None:
                    continue
                first = lunar_to_solar(y, m, 1, leap)
                if first != LunarDate(y, m, 1, int(leap)).to_solar_date():
                    differ.add((y, m, leap))
                last = lunar_to_solar(y, m, n, leap)
                assert last is not None
                # The day after the month's last day is the next month's first.
                nxt = solar_to_lunar(last + timedelta(days=1))
                assert nxt is not None and nxt.day == 1 or (y, m) == (LAST_YEAR, 12)
                checked += 1
    assert differ == KNOWN_DISAGREEMENTS
    assert checked == (LAST_YEAR - FIRST_YEAR + 1) * 12 + sum(
        1
        for y in range(FIRST_YEAR, LAST_YEAR + 1)
        for m in range(1, 13)
        if month_length(y, m, True)
    )


def test_solar_terms_match_lunar_python() -> None:
    from lunar_python import Solar

    for y in (1900, 1949, 2000, 2026, 2057, 2100):
        for name in SOLAR_TERMS:
            d = solar_term(name, y)
            assert d is not None
            assert Solar.fromYmd(d.year, d.month, d.day).getLunar().getJieQi() == name, (y, name)


def test_round_trip_and_edges() -> None:
    day = date(1900, 1, 31)
    while day < date(2101, 1, 1):
        lunar = solar_to_lunar(day)
        assert lunar is not None
        assert lunar_to_solar(lunar.year, lunar.month, lunar.day, lunar.leap) == day
        day += timedelta(days=17)
    assert solar_to_lunar(date(1900, 1, 30)) is None
    assert lunar_to_solar(2101, 1, 1) is None
    assert lunar_to_solar(2026, 4, 1, leap=True) is None  # 2026 has no leap month
    assert lunar_to_solar(2023, 2, 1, leap=True) == date(2023, 3, 22)


def test_festivals_come_from_the_table() -> None:
    assert calendar.span_in_year("春节", 2100) is not None
    assert calendar.span_in_year("中秋", 1950) == (date(1950, 9, 26), date(1950, 9, 27))
    # 除夕 is the day before 春节, whatever the length of 腊月.
    for y in range(1901, 2101):
        eve = calendar.span_in_year("除夕", y - 1) or calendar.span_in_year("除夕", y)
        assert eve is not None
    new_year = lunar_to_solar(2027, 1, 1)
    assert new_year is not None
    assert calendar.next_span("除夕", date(2026, 12, 1)) == (new_year - timedelta(days=1), new_year)


def one(text: str, now: datetime = NOW) -> tuple[str, str]:
    found = parse_times(text, now)
    assert len(found) == 1, (text, found)
    m = found[0]
    if m.type == "point":
        assert m.value is not None
        return m.text, m.value.isoformat()[:16]
    assert m.from_ is not None and m.to is not None
    return m.text, f"{m.from_.isoformat()[:10]}/{m.to.isoformat()[:10]}"


def lunar_iso(y: int, m: int, d: int, leap: bool = False) -> str:
    day = lunar_to_solar(y, m, d, leap)
    assert day is not None
    return day.isoformat() + "T00:00"


@pytest.mark.parametrize(
    ("text", "span", "lunar"),
    [
        # The next occurrence on or after today (lunar 2026 三月初八 is past on Dec 1, 2026).
        ("农历三月初八", "农历三月初八", (2027, 3, 8)),
        ("阴历十月二十八", "阴历十月二十八", (2026, 10, 28)),
        ("阴历十月十五", "阴历十月十五", (2027, 10, 15)),
        ("正月十五", "正月十五", (2027, 1, 15)),
        ("腊月二十三", "腊月二十三", (2026, 12, 23)),
        ("冬月初九", "冬月初九", (2026, 11, 9)),
        ("十月初一", "十月初一", (2027, 10, 1)),
        ("大年初三", "大年初三", (2027, 1, 3)),
        ("农历2015年十月初一", "农历2015年十月初一", (2015, 10, 1)),
        ("2030年正月初八", "2030年正月初八", (2030, 1, 8)),
        ("明年腊月廿八", "明年腊月廿八", (2027, 12, 28)),
        ("闰五月初一", "闰五月初一", (2028, 5, 1, True)),
    ],
)
def test_lunar_dates(text: str, span: str, lunar: tuple[int, ...]) -> None:
    leap = len(lunar) == 4
    assert one(f"{text}开会") == (span, lunar_iso(lunar[0], lunar[1], lunar[2], leap))


def test_a_leap_month_is_looked_for_ahead() -> None:
    # No leap 4th month in 2026 or 2027: the next year that has one.
    text, value = one("闰四月初八")
    year = int(value[:4])
    assert lunar_to_solar(year, 4, 8, leap=True) is not None
    assert all(lunar_to_solar(y, 4, 8, leap=True) is None for y in range(2026, year))


def test_day_thirty_of_a_short_month_is_its_last_day() -> None:
    # Whether 腊月 has 29 or 30 days, 腊月三十 / 大年三十 is 除夕.
    eve = calendar.next_span("除夕", NOW.date())
    assert eve is not None
    assert one("腊月三十")[1] == eve[0].isoformat() + "T00:00"
    assert one("大年三十")[1] == eve[0].isoformat() + "T00:00"


def test_a_lunar_month_and_times_of_day() -> None:
    first = lunar_to_solar(2027, 3, 1)
    n = month_length(2027, 3)
    assert first is not None and n is not None
    assert one("农历三月") == ("农历三月", f"{first}/{first + timedelta(days=n)}")
    m = parse_times("正月初八上午9点开工", NOW)[0]
    assert m.value == datetime.combine(
        lunar_to_solar(2027, 1, 8) or date.min, datetime.min.time(), TZ
    ) + timedelta(hours=9)
    due = parse_times("腊月二十三前交", NOW)[0]
    assert due.deadline and due.value is not None and due.value.hour == 18


@pytest.mark.parametrize(
    ("text", "lunar"),
    [
        ("元宵节", (2027, 1, 15)),
        ("端午节", (2027, 5, 5)),
        ("七夕", (2027, 7, 7)),
        ("中秋节", (2027, 8, 15)),
        ("重阳节", (2027, 9, 9)),
        ("腊八", (2026, 12, 8)),
        ("小年", (2026, 12, 23)),
    ],
)
def test_lunar_festivals(text: str, lunar: tuple[int, int, int]) -> None:
    assert one(text) == (text, lunar_iso(*lunar))


def test_gregorian_readings_stay() -> None:
    # Without a lunar mark the month is Gregorian: 三月初 is the start of March.
    assert one("三月初") == ("三月初", "2027-03-01T00:00")
    assert one("2027年中秋")[1] == lunar_iso(2027, 8, 15)
    assert one("清明") == ("清明", "2027-04-05T00:00")
    assert one("冬至") == ("冬至", "2026-12-22T00:00")
    # Not lunar dates.
    assert parse_times("这个小年轻挺能干", NOW) == []


def test_a_bare_chu_day_is_the_next_in_lunar_months() -> None:
    # Lunar 2026 十月廿三 today: 初八 is 冬月初八; in late 腊月 it is 正月初八.
    assert one("初八开工") == ("初八", lunar_iso(2026, 11, 8))
    late = datetime(2027, 2, 1, 10, 0, tzinfo=TZ)  # 腊月廿五
    assert one("初八开工", late) == ("初八", lunar_iso(2027, 1, 8))
    # 初一 to 初三 are also school grades and are read only with a month or 大年.
    assert parse_times("我儿子初三了", NOW) == []
