"""Fuzzy words, public-holiday edges, durations with 多, numbered things and ranges
(docs/conventions.md, "Time beyond the everyday words")."""

from __future__ import annotations

from datetime import date, datetime
from zoneinfo import ZoneInfo

import pytest

from assistant.timeparse import parse_durations, parse_times
from assistant.timeparse.holidays import calendar

TZ = ZoneInfo("Asia/Shanghai")
TUE = datetime(2026, 12, 1, 10, 0, tzinfo=TZ)  # a Tuesday, a month before 元旦 2027
DEC28 = datetime(2026, 12, 28, 10, 0, tzinfo=TZ)  # a Monday, four days before 元旦
JAN4 = datetime(2027, 1, 4, 10, 0, tzinfo=TZ)  # the first workday after 元旦 2027
SEP20 = datetime(2026, 9, 20, 10, 0, tzinfo=TZ)  # ten days before 国庆 2026 (data year)


def one(text: str, now: datetime = TUE) -> tuple[str, str]:
    found = parse_times(text, now)
    assert len(found) == 1, (text, found)
    m = found[0]
    if m.type == "point":
        assert m.value is not None
        return m.text, m.value.isoformat()[:16] + (" due" if m.deadline else "")
    assert m.from_ is not None and m.to is not None
    return m.text, f"{m.from_.isoformat()[:10]}/{m.to.isoformat()[:10]}"


@pytest.mark.parametrize(
    ("text", "span", "value"),
    [
        # 这两天 = today and tomorrow, 这几天 three days from today, 近期 the coming two weeks.
        ("这两天把报告弄完", "这两天", "2026-12-01/2026-12-03"),
        ("这几天都在外地", "这几天", "2026-12-01/2026-12-04"),
        ("近期安排一次复盘", "近期", "2026-12-01/2026-12-15"),
        # 过N天 / 过几天 (几 = 3) are N days from today, like N天后.
        ("过两天再说", "过两天", "2026-12-03T00:00"),
        ("过几天再答复", "过几天", "2026-12-04T00:00"),
        ("过一周再看", "过一周", "2026-12-08T00:00"),
        # 上旬 / 中旬 / 下旬 without a month are this month's (the 1st, 15th, 21st).
        ("下旬上线", "下旬", "2026-12-21T00:00"),
        ("下个月中旬", "下个月中旬", "2027-01-15T00:00"),
        ("月中", "月中", "2026-12-15T00:00"),
        # 上半周 = Monday to Wednesday, 下半周 = Thursday to Sunday.
        ("我下半周都不在", "下半周", "2026-12-03/2026-12-07"),
        ("上半周", "上半周", "2026-11-30/2026-12-03"),
        # A due over a window is its last day at 18:00.
        ("这两天之内交", "这两天之内", "2026-12-02T18:00 due"),
    ],
)
def test_fuzzy_words(text: str, span: str, value: str) -> None:
    assert one(text) == (span, value)


@pytest.mark.parametrize(
    "text", ["超过两天没回复", "经过三天的讨论", "不过两天而已", "最近在忙什么"]
)
def test_not_times(text: str) -> None:
    assert parse_times(text, TUE) == []


def test_public_holiday_edges_in_a_data_year() -> None:
    # 2026 国庆: days off Oct 1-7 (State Council), so 国庆前 is due Sep 30 18:00 and 国庆后
    # is Oct 8, the first workday after them.
    off = calendar.next_block("国庆", SEP20.date())
    assert off == (date(2026, 10, 1), date(2026, 10, 8))
    assert one("国庆前把方案定了", SEP20) == ("国庆前", "2026-09-30T18:00 due")
    assert one("国庆后再说", SEP20) == ("国庆后", "2026-10-08T00:00")
    assert one("国庆期间谁值班", SEP20) == ("国庆期间", "2026-10-01/2026-10-08")
    # Bare 节前 / 节后: the nearest public holiday within three weeks, here 中秋 (Sep 25-27).
    assert one("节前发货", SEP20) == ("节前", "2026-09-24T18:00 due")
    assert one("节后再排", SEP20) == ("节后", "2026-09-28T00:00")


def test_spring_festival_words() -> None:
    block = calendar.next_block("春节", TUE.date())
    assert block is not None
    first, end = block
    # Beyond the data years: the statutory 除夕 to 初三, with the weekend next to them.
    assert first == date(2027, 2, 5) and end == date(2027, 2, 9)
    assert one("年前把款结了") == ("年前", "2027-02-04T18:00 due")
    assert one("春节前") == ("春节前", "2027-02-04T18:00 due")
    assert one("年后再说") == ("年后", "2027-02-09T00:00")
    assert one("过年后开工") == ("过年后", "2027-02-09T00:00")
    assert one("春节假期") == ("春节假期", "2027-02-05/2027-02-09")
    # Not the festival: 三年前, 明年后, 环节, 细节.
    assert one("三年前")[0] == "三年前"
    assert parse_times("这个环节前面要加检查", TUE) == []
    assert parse_times("细节后面再聊", TUE) == []


def test_bare_holiday_words_need_a_holiday_nearby() -> None:
    # A month before 元旦: "节后" names no particular holiday and is not read.
    assert parse_times("节后把报告交了", TUE) == []
    assert one("节后把报告交了", DEC28) == ("节后", "2027-01-04T00:00")
    # Said on the first workday back, 节后 is from today.
    assert one("节后几件事", JAN4) == ("节后", "2027-01-04T00:00")
    # A festival that is no public holiday keeps the plain reading: due on its day.
    assert one("感恩节前寄出")[1] == "2027-11-25T18:00 due"
    # The period qualifying a noun is the festival alone (the engine keeps it in the title).
    assert [m.text for m in parse_times("汇总春节期间的退货单", TUE)] == ["春节"]


@pytest.mark.parametrize(
    ("text", "span", "seconds", "approx"),
    [
        ("两个半小时", "两个半小时", 9000, False),
        ("一周半", "一周半", 907200, False),
        ("一个多月", "一个多月", 30 * 86400, True),
        ("十多天", "十多天", 10 * 86400, True),
        ("两个多小时", "两个多小时", 7200, True),
        ("一年多", "一年多", 365 * 86400, True),
        ("三天多", "三天多", 3 * 86400, True),
        # Parts add up, in any order when joined by 又 / 零 / 余; 时 counts hours after 天.
        ("两天又一个月", "两天又一个月", 32 * 86400, False),
        ("一年又一个月21天", "一年又一个月21天", (365 + 30 + 21) * 86400, False),
        ("还剩8天20时", "8天20时", 8 * 86400 + 20 * 3600, False),
        ("8小时余50分钟", "8小时余50分钟", 8 * 3600 + 50 * 60, False),
        ("超过两天", "两天", 172800, False),
    ],
)
def test_durations(text: str, span: str, seconds: int, approx: bool) -> None:
    found = parse_durations(text)
    assert [(d.text, d.seconds, d.approx) for d in found] == [(span, seconds, approx)]


@pytest.mark.parametrize("text", ["这两天", "过两天", "最后一个星期", "十月一日", "20时开会"])
def test_named_days_are_no_durations(text: str) -> None:
    assert parse_durations(text) == []


@pytest.mark.parametrize(
    "text", ["二号棚的番茄", "3号线停运", "5号楼201", "8号床病人", "3号仓库盘点", "10号码头"]
)
def test_a_numbered_thing_is_no_date(text: str) -> None:
    assert parse_times(text, TUE) == []


def test_numbered_thing_next_to_a_real_date() -> None:
    assert one("二号棚的番茄5号前摘完") == ("5号前", "2026-12-05T18:00 due")
    assert one("5号开会") == ("5号", "2026-12-05T00:00")


@pytest.mark.parametrize(
    ("text", "span", "value"),
    [
        ("从周三到下周一", "从周三到下周一", "2026-12-02/2026-12-08"),
        ("2018/1/10-2018/7/10", "2018/1/10-2018/7/10", "2018-01-10/2018-07-11"),
        ("5月最后一个周五", "5月最后一个周五", "2027-05-28T00:00"),
        ("这个月最后一周", "这个月最后一周", "2026-12-28/2027-01-04"),
    ],
)
def test_ranges_and_last_weekdays(text: str, span: str, value: str) -> None:
    assert one(text) == (span, value)


def test_clock_range_with_half() -> None:
    m = parse_times("三点到五点半", TUE)[0]
    assert m.from_ == datetime(2026, 12, 1, 15, 0, tzinfo=TZ)
    assert m.to == datetime(2026, 12, 1, 17, 30, tzinfo=TZ)


@pytest.mark.parametrize(
    ("text", "span", "value"),
    [
        # Two neighbouring numerals are an estimate, read as the larger: never 23 or 35 days.
        ("两三天后", "两三天后", "2026-12-04T00:00"),
        ("过三五天", "过三五天", "2026-12-06T00:00"),
        # 今明两天 / 明后天: those two days.
        ("今明两天", "今明两天", "2026-12-01/2026-12-03"),
        ("明后天有空", "明后天", "2026-12-02/2026-12-04"),
        # 周初 = Monday, 周中 = Wednesday (of the week named, else this one).
        ("下周初", "下周初", "2026-12-07T00:00"),
        ("周中碰一下", "周中", "2026-12-02T00:00"),
        ("下周中", "下周中", "2026-12-09T00:00"),
        # 月内 / 年内: due within this month / year.
        ("月内完成", "月内", "2026-12-31T18:00 due"),
        ("年内上线", "年内", "2026-12-31T18:00 due"),
    ],
)
def test_estimates_and_week_parts(text: str, span: str, value: str) -> None:
    assert one(text) == (span, value)


def test_estimated_durations() -> None:
    assert [(d.text, d.seconds, d.approx) for d in parse_durations("大概一两天")] == [
        ("一两天", 2 * 86400, True)
    ]
    assert [(d.seconds, d.approx) for d in parse_durations("三五天")] == [(5 * 86400, True)]
    # Real numbers stay: 十二天, 二十三天.
    assert [d.seconds for d in parse_durations("十二天")] == [12 * 86400]
    assert [d.seconds for d in parse_durations("二十三天")] == [23 * 86400]
    assert parse_durations("两周中") == [parse_durations("两周")[0]]
    assert parse_times("两周中", TUE) == []


@pytest.mark.parametrize(
    ("text", "span", "value"),
    [
        # 周三四 = Wednesday and Thursday; 周三四点 is still a clock time.
        ("周三四有空吗", "周三四", "2026-12-02/2026-12-04"),
        ("下周五六", "下周五六", "2026-12-11/2026-12-13"),
        ("从现在到周五", "从现在到周五", "2026-12-01/2026-12-05"),
        ("从下周一开始到月底", "从下周一开始到月底", "2026-12-07/2027-01-01"),
    ],
)
def test_more_ranges(text: str, span: str, value: str) -> None:
    assert one(text) == (span, value)


def test_weekday_then_clock_is_not_two_days() -> None:
    assert one("周三四点") == ("周三四点", "2026-12-02T16:00")
    assert one("周三五") == ("周三", "2026-12-02T00:00")


@pytest.mark.parametrize(
    ("text", "span", "seconds", "approx"),
    [
        ("十来分钟", "十来分钟", 600, True),
        ("十几分钟", "十几分钟", 600, True),
        ("几天", "几天", 3 * 86400, True),
        ("几个小时", "几个小时", 3 * 3600, True),
        ("三两天", "三两天", 3 * 86400, True),
        ("俩小时", "俩小时", 7200, False),
        ("预计2h", "2h", 7200, False),
        ("1.5 hrs", "1.5 hrs", 5400, False),
        ("30min", "30min", 1800, False),
        ("提前两天提醒", "两天", 172800, False),
    ],
)
def test_chat_durations(text: str, span: str, seconds: int, approx: bool) -> None:
    assert [(d.text, d.seconds, d.approx) for d in parse_durations(text)] == [
        (span, seconds, approx)
    ]


@pytest.mark.parametrize("text", ["前几天我说过", "这几年", "第几天", "几点开会", "H5页面"])
def test_no_chat_durations(text: str) -> None:
    assert parse_durations(text) == []


@pytest.mark.parametrize(
    ("text", "span", "value"),
    [
        # Seasons: 春 Mar-May, 夏 Jun-Aug, 秋 Sep-Nov, 冬 Dec-Feb; the one running or next.
        ("冬天", "冬天", "2026-12-01/2027-03-01"),
        ("夏天", "夏天", "2027-06-01/2027-09-01"),
        ("今年夏天", "今年夏天", "2026-06-01/2026-09-01"),
        ("明年春天上线", "明年春天", "2027-03-01/2027-06-01"),
        # X前 for a season: the day before it begins (the next one if it has begun).
        ("明年夏天之前上线", "明年夏天之前", "2027-05-31T18:00 due"),
        ("冬季前完成", "冬季前", "2027-11-30T18:00 due"),
    ],
)
def test_seasons(text: str, span: str, value: str) -> None:
    assert one(text) == (span, value)


@pytest.mark.parametrize("text", ["春装上新", "战队春季赛备战", "秋季招聘", "天猫冬季大促"])
def test_season_words_inside_names(text: str) -> None:
    assert parse_times(text, TUE) == []
