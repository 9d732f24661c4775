"""Readings added to the time normalizer: rule-based festivals, halves, quarters, decades,
edges of a year, "X和Y之间", year spans, the Cantonese five-minute clock, time zones, and the
opt-in sets and open ranges. Expected values come from docs/conventions.md (Time) and calendar
facts, written by hand."""

from __future__ import annotations

from datetime import datetime, timedelta
from zoneinfo import ZoneInfo

import pytest

from assistant.timeparse import TimeMatch, parse_times

SH = ZoneInfo("Asia/Shanghai")
# Wednesday 2026-11-25 10:00 in Shanghai.
WED = datetime(2026, 11, 25, 10, 0, tzinfo=SH)


def d(s: str) -> datetime:
    fmt = "%Y-%m-%d %H:%M" if " " in s else "%Y-%m-%d"
    return datetime.strptime(s, fmt).replace(tzinfo=SH)


def one(text: str, now: datetime = WED, **kw: bool) -> TimeMatch:
    found = parse_times(text, now, **kw)
    assert len(found) == 1, f"{text!r}: {found}"
    return found[0]


@pytest.mark.parametrize(
    ("text", "day"),
    [
        ("2026年复活节", "2026-04-05"),
        ("2026年耶稣受难日", "2026-04-03"),
        ("2026年復活節星期一", "2026-04-06"),
        ("2026年东正教复活节", "2026-04-12"),
        ("感恩节", "2026-11-26"),  # 4th Thursday of November, next on or after today
        ("母亲节", "2027-05-09"),  # 2nd Sunday of May 2027
        ("2026年父亲节", "2026-06-21"),
        ("2026年赎罪日", "2026-09-20"),  # 10 Tishrei = Sep 21; it begins on the evening of the 20th
        ("澳门回归纪念日", "2026-12-20"),
    ],
)
def test_rule_based_festivals(text: str, day: str) -> None:
    m = one(text)
    assert m.type == "point"
    assert m.value == d(day)


def test_multi_day_festival_is_an_interval_from_its_eve() -> None:
    # Passover 2026: 15 Nisan is April 2; eight days, beginning the evening of April 1.
    m = one("2026年逾越节")
    assert (m.type, m.from_, m.to) == ("interval", d("2026-04-01"), d("2026-04-10"))


def test_islamic_festival_from_the_arithmetic_calendar() -> None:
    m = one("2026年开斋节")
    assert m.value is not None
    assert abs(m.value - d("2026-03-20")) <= timedelta(days=1)


@pytest.mark.parametrize(
    ("text", "start", "end"),
    [
        ("上半年", "2026-01-01", "2026-07-01"),
        ("明年下半年", "2027-07-01", "2028-01-01"),
        ("上个半年", "2026-01-01", "2026-07-01"),
        ("下半月", "2026-11-16", "2026-12-01"),
        ("第三季度", "2026-07-01", "2026-10-01"),
        ("Q1规划", "2026-01-01", "2026-04-01"),
        ("上季度", "2026-07-01", "2026-10-01"),
        ("下个季度", "2027-01-01", "2027-04-01"),
        ("九十年代", "1990-01-01", "2000-01-01"),
        ("二十年代", "2020-01-01", "2030-01-01"),
        ("2027年的第一周", "2027-01-04", "2027-01-11"),
        ("明年第三个月", "2027-03-01", "2027-04-01"),
        ("今年最后两周", "2026-12-14", "2026-12-28"),
        ("去年的前10天", "2025-01-01", "2025-01-11"),
        ("2020-2022年", "2020-01-01", "2023-01-01"),
        ("3号和5号之间", "2026-12-03", "2026-12-06"),
    ],
)
def test_periods(text: str, start: str, end: str) -> None:
    m = one(text)
    assert (m.type, m.from_, m.to) == ("interval", d(start), d(end))


def test_ordinal_month_needs_a_year() -> None:
    assert parse_times("入职第三个月", WED) == []


@pytest.mark.parametrize(
    ("text", "value"),
    [
        ("三點踏三", "2026-11-25 15:15"),
        ("三点三个字", "2026-11-25 15:15"),
        ("4pm CET", "2026-11-25 23:00"),
        ("晚上8点 UTC+9", "2026-11-25 19:00"),
    ],
)
def test_clock_forms(text: str, value: str) -> None:
    assert one(text).value == d(value)


def test_or_before_is_a_due_date() -> None:
    m = one("周五或之前交")
    assert m.deadline and m.value == d("2026-11-27 18:00")


# --- opt-in readings -----------------------------------------------------------------------


def test_sets_are_left_out_by_default() -> None:
    # A recurring phrase is skipped as a whole: its clock time is no one-off time today.
    assert parse_times("每周一例会", WED) == []
    assert parse_times("每周一下午3点例会", WED) == []


@pytest.mark.parametrize(
    ("text", "recurrence", "next_"),
    [
        ("每周一例会", "XXXX-WXX-1", "2026-11-30"),
        ("每周一下午3点例会", "XXXX-WXX-1T15", "2026-11-30 15:00"),
        ("每天早上9点站会", "XXXX-XX-XXT09", "2026-11-26 09:00"),
        ("每月15号交报表", "XXXX-XX-15", "2026-12-15"),
        ("每天都要写日报", "P1D", None),
        ("每个月对一次账", "P1M", None),
    ],
)
def test_sets(text: str, recurrence: str, next_: str | None) -> None:
    m = one(text, include_sets=True)
    assert m.type == "set"
    assert m.recurrence == recurrence
    assert m.value == (d(next_) if next_ else None)


def test_open_ranges_are_off_by_default() -> None:
    m = one("2026年以后")
    assert (m.from_, m.to) == (d("2026-01-01"), d("2027-01-01"))


@pytest.mark.parametrize(
    ("text", "start"),
    [
        ("2026年以后", "2027-01-01"),  # after the year
        ("自2026年起", "2026-01-01"),  # since the year
        ("下周一开始休假", "2026-11-30"),
        ("12月1日或之后", "2026-12-01"),
        ("12月1日之后", "2026-12-02"),
        ("3点以后有空", "2026-11-25 15:00"),
    ],
)
def test_open_ranges(text: str, start: str) -> None:
    m = one(text, open_ranges=True)
    assert (m.type, m.from_, m.to) == ("interval", d(start), None)


def test_before_stays_a_due_date_with_open_ranges() -> None:
    m = one("周五之前", open_ranges=True)
    assert m.deadline and m.value == d("2026-11-27 18:00")
