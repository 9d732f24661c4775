"""Readings added in the second round: minutes after N点, recurring phrases, English day words."""

from __future__ import annotations

from datetime import datetime
from zoneinfo import ZoneInfo

import pytest

from assistant.timeparse import parse_times

TZ = ZoneInfo("Asia/Shanghai")
WED = datetime(2026, 11, 25, 10, 0, tzinfo=TZ)  # a Wednesday


def d(text: str) -> datetime:
    return datetime.fromisoformat(text).replace(tzinfo=TZ)


def single(text: str, **kw: bool) -> tuple[str, datetime | None]:
    found = parse_times(text, WED, **kw)
    assert len(found) == 1, f"{text!r}: {found}"
    return found[0].text, found[0].value


@pytest.mark.parametrize(
    ("text", "span", "value"),
    [
        # A number after N点 that counts or places something is not minutes.
        ("后天上午九点二楼大厅集合", "后天上午九点", "2026-11-27 09:00"),
        ("明天下午4点 5楼", "明天下午4点", "2026-11-26 16:00"),
        ("周五下午2点6号门见", "周五下午2点", "2026-11-27 14:00"),
        ("明早8点3个人到场", "明早8点", "2026-11-26 08:00"),
        # A single digit without 分 is no minute count either.
        ("明天下午4点5", "明天下午4点", "2026-11-26 16:00"),
        # Two digits right after 点, or a number followed by 分, are minutes.
        ("明天下午4点25", "明天下午4点25", "2026-11-26 16:25"),
        ("明天上午9点05", "明天上午9点05", "2026-11-26 09:05"),
        ("明天下午4点5分", "明天下午4点5分", "2026-11-26 16:05"),
        ("明天下午四点二十", "明天下午四点二十", "2026-11-26 16:20"),
        ("明天上午九点零五", "明天上午九点零五", "2026-11-26 09:05"),
        ("周一早上7点40年级组晨会", "周一早上7点40", "2026-11-30 07:40"),
    ],
)
def test_minutes_only_when_written_as_minutes(text: str, span: str, value: str) -> None:
    assert single(text) == (span, d(value))


def test_minutes_never_across_a_space() -> None:
    assert single("明天下午4点 25号楼") == ("明天下午4点", d("2026-11-26 16:00"))


@pytest.mark.parametrize(
    "text",
    ["例会改成每周二下午三点", "每天早上8点半打卡", "每月10号上午交报表", "每个工作日9点站会"],
)
def test_recurring_phrase_gives_no_one_off_time(text: str) -> None:
    assert parse_times(text, WED) == []
    found = parse_times(text, WED, include_sets=True)
    assert [m.type for m in found] == ["set"]


def test_recurring_phrase_matched_whole_with_sets() -> None:
    (m,) = parse_times("例会改成每周二下午三点", WED, include_sets=True)
    assert (m.text, m.recurrence, m.value) == (
        "每周二下午三点",
        "XXXX-WXX-2T15",
        d("2026-12-01 15:00"),
    )


def test_one_off_time_next_to_a_recurring_one_is_kept() -> None:
    found = parse_times("每天早上9点打卡，后天下午2点培训", WED)
    assert [(m.text, m.value) for m in found] == [("后天下午2点", d("2026-11-27 14:00"))]


@pytest.mark.parametrize(
    ("text", "value"),
    [
        ("tomorrow 9am", "2026-11-26 09:00"),
        ("Tomorrow at 4:15pm", "2026-11-26 16:15"),
        ("today 5pm", "2026-11-25 17:00"),
        ("tonight 9pm", "2026-11-25 21:00"),
        ("next Tuesday 2pm", "2026-12-01 14:00"),
        ("this Friday 11am", "2026-11-27 11:00"),
        ("day after tomorrow 10am", "2026-11-27 10:00"),
    ],
)
def test_english_day_words_with_clock(text: str, value: str) -> None:
    assert single(text) == (text, d(value))


def test_english_day_words_in_chinese() -> None:
    (m,) = parse_times("review会定在tomorrow 3pm", WED)
    assert (m.text, m.value) == ("tomorrow 3pm", d("2026-11-26 15:00"))


def test_english_deadlines() -> None:
    (m,) = parse_times("PRD by tomorrow", WED)
    assert m.deadline and m.value == d("2026-11-26 18:00")
    (w,) = parse_times("next week交", WED)
    assert w.deadline and w.value == d("2026-12-04 18:00")


def test_tonight_is_an_evening_interval() -> None:
    (m,) = parse_times("tonight", WED)
    assert (m.type, m.from_, m.to) == ("interval", d("2026-11-25 18:00"), d("2026-11-25 23:00"))


@pytest.mark.parametrize("text", ["I was sad on Sat", "monitor the wedding", "sunny today-ish"])
def test_english_words_that_are_not_days(text: str) -> None:
    assert [m.text for m in parse_times(text, WED) if m.text.lower() != "today"] == []
