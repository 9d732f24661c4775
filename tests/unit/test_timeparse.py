"""The time normalizer against docs/conventions.md (Time). Expected values are written from the
conventions page by hand, not from the parser's output."""

from __future__ import annotations

import time as _time
from datetime import datetime, timedelta, timezone
from zoneinfo import ZoneInfo

import pytest

from assistant.timeparse import TimeMatch, parse_durations, parse_times

SH = ZoneInfo("Asia/Shanghai")
# Wednesday 2026-11-25 10:00 in Shanghai.
WED = datetime(2026, 11, 25, 10, 0, tzinfo=SH)
# Thursday 2026-12-31 15:00: the last day of the year.
NYE = datetime(2026, 12, 31, 15, 0, tzinfo=SH)
# Saturday 2026-01-31 09:00: the end of a long month.
JAN31 = datetime(2026, 1, 31, 9, 0, tzinfo=SH)


def d(s: str) -> datetime:
    """A wall-clock time in Shanghai, 'YYYY-MM-DD HH:MM' or 'YYYY-MM-DD'."""
    fmt = "%Y-%m-%d %H:%M" if " " in s else "%Y-%m-%d"
    return datetime.strptime(s, fmt).replace(tzinfo=SH)


def one(text: str, now: datetime = WED) -> TimeMatch:
    found = parse_times(text, now)
    assert len(found) == 1, f"{text!r}: {found}"
    return found[0]


# (text, now, expected start instant). The match must be a point.
POINTS: list[tuple[str, datetime, str]] = [
    # relative days
    ("今天", WED, "2026-11-25"),
    ("明天", WED, "2026-11-26"),
    ("后天", WED, "2026-11-27"),
    ("大后天", WED, "2026-11-28"),
    ("昨天", WED, "2026-11-24"),
    ("前天", WED, "2026-11-23"),
    ("3天后", WED, "2026-11-28"),
    ("两天之后", WED, "2026-11-27"),
    ("2周后", WED, "2026-12-09"),
    ("1个月后", WED, "2026-12-25"),
    ("明天", NYE, "2027-01-01"),
    ("两天后", NYE, "2027-01-02"),
    ("1个月后", NYE, "2027-01-31"),
    ("1个月后", JAN31, "2026-02-28"),
    # bare weekdays: the next such day on or after today
    ("周五", WED, "2026-11-27"),
    ("星期五", WED, "2026-11-27"),
    ("礼拜五", WED, "2026-11-27"),
    ("周一", WED, "2026-11-30"),
    ("周二", WED, "2026-12-01"),
    ("周三", WED, "2026-11-25"),
    ("周日", WED, "2026-11-29"),
    ("星期天", WED, "2026-11-29"),
    ("周三下午3点", WED, "2026-11-25 15:00"),
    ("周三上午9点", WED, "2026-12-02 09:00"),
    ("周四", NYE, "2026-12-31"),
    ("周四下午2点", NYE, "2027-01-07 14:00"),
    ("周四下午4点", NYE, "2026-12-31 16:00"),
    # week-relative weekdays
    ("本周一", WED, "2026-11-23"),
    ("这周五", WED, "2026-11-27"),
    ("下周三", WED, "2026-12-02"),
    ("下个星期二", WED, "2026-12-01"),
    ("下下周一", WED, "2026-12-07"),
    ("上周五", WED, "2026-11-20"),
    ("下周一", NYE, "2027-01-04"),
    # dates
    ("28号", WED, "2026-11-28"),
    ("25号", WED, "2026-11-25"),
    ("20号", WED, "2026-12-20"),
    ("5号", NYE, "2027-01-05"),
    ("31号", NYE, "2026-12-31"),
    ("12月1号", WED, "2026-12-01"),
    ("11月25日", WED, "2026-11-25"),
    ("3月5日", WED, "2027-03-05"),
    ("1月3号", NYE, "2027-01-03"),
    ("下个月5号", WED, "2026-12-05"),
    ("下个月5号", NYE, "2027-01-05"),
    ("2026年3月5日", WED, "2026-03-05"),
    ("2026-03-05", WED, "2026-03-05"),
    ("3/5", WED, "2027-03-05"),
    ("二零二七年一月八号", WED, "2027-01-08"),
    # month / week / year ends
    ("月底", WED, "2026-11-30"),
    ("月底", NYE, "2026-12-31"),
    ("下个月底", WED, "2026-12-31"),
    ("下个月底", NYE, "2027-01-31"),
    ("下个月底", JAN31, "2026-02-28"),
    ("年底", WED, "2026-12-31"),
    ("周末", WED, "2026-11-28"),
    ("下周末", WED, "2026-12-05"),
    # clock times
    ("上午10点", WED, "2026-11-25 10:00"),
    ("早上8点", WED, "2026-11-25 08:00"),
    ("下午3点", WED, "2026-11-25 15:00"),
    ("晚上8点", WED, "2026-11-25 20:00"),
    ("傍晚6点", WED, "2026-11-25 18:00"),
    ("中午12点", WED, "2026-11-25 12:00"),
    ("中午1点", WED, "2026-11-25 13:00"),
    ("凌晨2点", WED, "2026-11-25 02:00"),
    ("3点半", WED, "2026-11-25 15:30"),
    ("9点一刻", WED, "2026-11-25 09:15"),
    ("10点三刻", WED, "2026-11-25 10:45"),
    ("10点20分", WED, "2026-11-25 10:20"),
    ("15:30", WED, "2026-11-25 15:30"),
    ("9:05", WED, "2026-11-25 09:05"),
    ("3:30", WED, "2026-11-25 03:30"),
    ("下午3:30", WED, "2026-11-25 15:30"),
    ("3pm", WED, "2026-11-25 15:00"),
    ("10am", WED, "2026-11-25 10:00"),
    ("15点", WED, "2026-11-25 15:00"),
    # the bare N点 rule
    ("1点", WED, "2026-11-25 13:00"),
    ("3点", WED, "2026-11-25 15:00"),
    ("6点", WED, "2026-11-25 18:00"),
    ("7点", WED, "2026-11-25 07:00"),
    ("11点", WED, "2026-11-25 11:00"),
    ("12点", WED, "2026-11-25 12:00"),
    ("明天下午3点", WED, "2026-11-26 15:00"),
    ("下周三上午10点半", WED, "2026-12-02 10:30"),
    ("今晚8点", WED, "2026-11-25 20:00"),
    ("明早9点", WED, "2026-11-26 09:00"),
    # numerals, full width, traditional
    ("十点半", WED, "2026-11-25 10:30"),
    ("三点", WED, "2026-11-25 15:00"),
    ("两点", WED, "2026-11-25 14:00"),
    ("３点", WED, "2026-11-25 15:00"),
    ("１５：３０", WED, "2026-11-25 15:30"),
    ("後天", WED, "2026-11-27"),
    ("下午三點", WED, "2026-11-25 15:00"),
    ("下週三", WED, "2026-12-02"),
    # holidays: the next occurrence
    ("国庆", WED, "2027-10-01"),
    ("元旦", WED, "2027-01-01"),
    ("元旦", NYE, "2027-01-01"),
    ("春节", WED, "2027-02-06"),
    ("中秋节", WED, "2027-09-15"),
    ("五一", WED, "2027-05-01"),
    ("端午", JAN31, "2026-06-19"),
    ("国庆节", JAN31, "2026-10-01"),
    # workdays skip weekends and holidays, and count 调休 Saturdays
    ("3个工作日后", WED, "2026-11-30"),
    ("3个工作日后", datetime(2026, 9, 30, 10, 0, tzinfo=SH), "2026-10-10"),
    ("1个工作日后", datetime(2026, 2, 13, 10, 0, tzinfo=SH), "2026-02-14"),
]


@pytest.mark.parametrize(("text", "now", "expected"), POINTS, ids=[p[0] for p in POINTS])
def test_points(text: str, now: datetime, expected: str) -> None:
    m = one(text, now)
    assert m.type == "point"
    assert m.value == d(expected)
    assert m.text == text


# (text, now, from, to): intervals, end exclusive.
INTERVALS: list[tuple[str, datetime, str, str]] = [
    ("下午", WED, "2026-11-25 13:00", "2026-11-25 18:00"),
    ("早上", WED, "2026-11-25 06:00", "2026-11-25 09:00"),
    ("上午", WED, "2026-11-25 09:00", "2026-11-25 12:00"),
    ("中午", WED, "2026-11-25 12:00", "2026-11-25 13:00"),
    ("傍晚", WED, "2026-11-25 17:00", "2026-11-25 19:00"),
    ("晚上", WED, "2026-11-25 18:00", "2026-11-25 23:00"),
    ("凌晨", WED, "2026-11-25 00:00", "2026-11-25 06:00"),
    ("明天下午", WED, "2026-11-26 13:00", "2026-11-26 18:00"),
    ("明晚", WED, "2026-11-26 18:00", "2026-11-26 23:00"),
    ("3点到4点", WED, "2026-11-25 15:00", "2026-11-25 16:00"),
    ("下午2点-4点", WED, "2026-11-25 14:00", "2026-11-25 16:00"),
    ("明天上午10点到11点半", WED, "2026-11-26 10:00", "2026-11-26 11:30"),
    ("周一到周三", WED, "2026-11-30", "2026-12-03"),
    ("下周一到下周三", WED, "2026-11-30", "2026-12-03"),
    ("这周", WED, "2026-11-23", "2026-11-30"),
    ("下周", WED, "2026-11-30", "2026-12-07"),
    ("下下周", WED, "2026-12-07", "2026-12-14"),
    ("本月", WED, "2026-11-01", "2026-12-01"),
    ("下个月", WED, "2026-12-01", "2027-01-01"),
    ("下个月", NYE, "2027-01-01", "2027-02-01"),
    ("今年", WED, "2026-01-01", "2027-01-01"),
    ("明年", WED, "2027-01-01", "2028-01-01"),
    ("明年", NYE, "2027-01-01", "2028-01-01"),
]


@pytest.mark.parametrize(("text", "now", "start", "end"), INTERVALS, ids=[i[0] for i in INTERVALS])
def test_intervals(text: str, now: datetime, start: str, end: str) -> None:
    m = one(text, now)
    assert m.type == "interval"
    assert (m.from_, m.to) == (d(start), d(end))


# Due dates: (text, now, due instant, the matched text).
DEADLINES: list[tuple[str, datetime, str, str]] = [
    ("周五前把登录页设计稿出了", WED, "2026-11-27 18:00", "周五前"),
    ("周五之前", WED, "2026-11-27 18:00", "周五之前"),
    ("周五以前", WED, "2026-11-27 18:00", "周五以前"),
    ("不晚于周五", WED, "2026-11-27 18:00", "不晚于周五"),
    ("周五截止", WED, "2026-11-27 18:00", "周五截止"),
    ("截止周五", WED, "2026-11-27 18:00", "截止周五"),
    ("周三前", WED, "2026-11-25 18:00", "周三前"),
    ("明天下午3点前", WED, "2026-11-26 15:00", "明天下午3点前"),
    ("今天下班前", WED, "2026-11-25 18:00", "今天下班前"),
    ("下班前", WED, "2026-11-25 18:00", "下班前"),
    ("今天之前", WED, "2026-11-25 18:00", "今天之前"),
    ("今晚前", WED, "2026-11-25 22:00", "今晚前"),
    ("这周内", WED, "2026-11-27 18:00", "这周内"),
    ("本周内", WED, "2026-11-27 18:00", "本周内"),
    ("下周前", WED, "2026-12-04 18:00", "下周前"),
    ("月底前", WED, "2026-11-30 18:00", "月底前"),
    ("这个月之前", WED, "2026-11-30 18:00", "这个月之前"),
    ("年底前", WED, "2026-12-31 18:00", "年底前"),
    ("12月20号前", WED, "2026-12-20 18:00", "12月20号前"),
]


@pytest.mark.parametrize(("text", "now", "due", "span"), DEADLINES, ids=[x[0] for x in DEADLINES])
def test_deadlines(text: str, now: datetime, due: str, span: str) -> None:
    m = parse_times(text, now)[0]
    assert m.deadline
    assert m.type == "point"
    assert m.value == d(due)
    assert m.text == span


def test_due_verbs_mark_a_deadline_without_taking_the_verb() -> None:
    m = one("周五交")
    assert m.deadline and m.text == "周五" and m.value == d("2026-11-27 18:00")


def test_part_of_day_and_clock_flags() -> None:
    m = one("明天下午")
    assert m.part_of_day == "下午" and not m.has_clock
    m = one("明天下午3点")
    assert m.has_clock and m.grain == "hour"
    assert one("10点20分").grain == "minute"
    assert one("明天").grain == "day"
    assert one("下周").grain == "week"


def test_now_words() -> None:
    assert one("现在").value == WED
    assert one("現在").value == WED


def test_several_expressions_in_text_order() -> None:
    text = "@小王 明天下午3点开会，周五前把登录页设计稿出了"
    found = parse_times(text, WED)
    assert [m.text for m in found] == ["明天下午3点", "周五前"]
    for m in found:
        assert text[m.start : m.end] == m.text


@pytest.mark.parametrize(
    "text",
    [
        "快一点",
        "有两点建议",
        "第一点",
        "3号会议室",
        "我们一周一次例会",
        "你好",
        "这个需求很急",
        "下午茶到了",
    ],
)
def test_not_times(text: str) -> None:
    assert [m.text for m in parse_times(text, WED) if "周" not in m.text] == []


def test_timezones_follow_now() -> None:
    ny = ZoneInfo("America/New_York")
    now = datetime(2026, 3, 7, 10, 0, tzinfo=ny)  # the day before DST starts
    m = one("明天下午3点", now)
    assert m.value == datetime(2026, 3, 8, 15, 0, tzinfo=ny)
    assert m.value is not None and m.value.utcoffset() == timedelta(hours=-4)
    fixed = timezone(timedelta(hours=-2))
    now2 = datetime(2013, 2, 12, 4, 30, tzinfo=fixed)
    m2 = one("明天", now2)
    assert m2.value == datetime(2013, 2, 13, tzinfo=fixed)
    assert m2.to_json()["value"] == "2013-02-13T00:00:00-02:00"


def test_naive_now_is_rejected() -> None:
    with pytest.raises(ValueError):
        parse_times("明天", datetime(2026, 1, 1))  # noqa: DTZ001


def test_to_json_shape() -> None:
    p = one("明天下午3点").to_json()
    assert p == {
        "text": "明天下午3点",
        "start": 0,
        "end": 6,
        "type": "point",
        "value": "2026-11-26T15:00:00+08:00",
        "grain": "hour",
    }
    i = one("下午").to_json()
    assert i["from"] == "2026-11-25T13:00:00+08:00" and i["to"] == "2026-11-25T18:00:00+08:00"
    assert "value" not in i


DURATIONS = [
    ("半小时", 1800, 0.5, "hour"),
    ("一个半小时", 5400, 1.5, "hour"),
    ("1.5小时", 5400, 1.5, "hour"),
    ("45分钟", 2700, 45, "minute"),
    ("两天", 172800, 2, "day"),
    ("一周", 604800, 1, "week"),
    ("一个小时", 3600, 1, "hour"),
    ("两个星期", 1209600, 2, "week"),
]


@pytest.mark.parametrize(
    ("text", "seconds", "value", "unit"), DURATIONS, ids=[x[0] for x in DURATIONS]
)
def test_durations(text: str, seconds: int, value: float, unit: str) -> None:
    found = parse_durations(f"会议大概{text}左右")
    assert len(found) == 1
    assert (found[0].text, found[0].seconds, found[0].value, found[0].unit) == (
        text,
        seconds,
        value,
        unit,
    )


def test_points_in_time_are_not_durations() -> None:
    assert parse_durations("三天后再说") == []
    assert [x.seconds for x in parse_durations("提前半小时提醒")] == [1800]


# --- robustness ----------------------------------------------------------------------------


def test_one_megabyte_is_linear_and_safe() -> None:
    chunk = "大家好，明天下午3点开会讨论首页改版，周五前交设计稿。😀 \x00\x07\u200b 1234567890-/:."
    text = (chunk * (1_000_000 // len(chunk) + 1))[:1_000_000]
    t0 = _time.process_time()
    found = parse_times(text, WED)
    elapsed = _time.process_time() - t0
    assert found and elapsed < 8.0
    assert all(a.end <= b.start for a, b in zip(found, found[1:], strict=False))


@pytest.mark.parametrize(
    "text",
    [
        "😀" * 10_000,
        "\x00\x01\x02\x1b[31m\r\n\t" * 1000,
        "点" * 50_000,
        "1" * 50_000,
        "周" * 50_000,
        "前" * 50_000,
        "-" * 50_000,
        "３" * 50_000,
        "",
    ],
)
def test_pathological_inputs(text: str) -> None:
    t0 = _time.process_time()
    parse_times(text, WED)
    parse_durations(text)
    assert _time.process_time() - t0 < 3.0


def test_random_text_never_crashes() -> None:
    hypothesis = pytest.importorskip("hypothesis")
    st = hypothesis.strategies
    alphabet = st.sampled_from(
        list(
            "今明后天周一二三四五六日下上午点半号月年前到-:0123456789两十个小时分钟之内截止😀\x00 "
        )
    )

    @hypothesis.settings(max_examples=300, deadline=None)
    @hypothesis.given(st.lists(alphabet, max_size=40).map("".join))
    def check(text: str) -> None:
        found = parse_times(text, WED)
        for m in found:
            assert text[m.start : m.end] == m.text
        assert all(a.end <= b.start for a, b in zip(found, found[1:], strict=False))
        for dm in parse_durations(text):
            assert text[dm.start : dm.end] == dm.text

    check()
