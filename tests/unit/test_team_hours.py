"""The team's week from the holiday calendar: workdays, 调休 workdays, working and quiet hours."""

from __future__ import annotations

from datetime import date, datetime, time

from assistant.domain import Meeting
from assistant.services.scheduler import TeamHours
from assistant.services.scheduler.reminders import meeting_occurrences
from tests.conftest import TZ

HOURS = TeamHours(tz=TZ)


def at(y: int, m: int, d: int, h: int = 0, mi: int = 0) -> datetime:
    return datetime(y, m, d, h, mi, tzinfo=TZ)


def test_weekends_public_holidays_and_make_up_workdays() -> None:
    assert HOURS.is_workday(date(2026, 11, 25))  # a Wednesday
    assert not HOURS.is_workday(date(2026, 11, 28))  # a Saturday
    assert not HOURS.is_workday(date(2026, 10, 5))  # National Day, a Monday
    assert HOURS.is_workday(date(2026, 10, 10))  # 调休: a Saturday that is a workday
    assert HOURS.next_workday(date(2026, 10, 1)) == date(2026, 10, 8)
    plain = TeamHours(tz=TZ, public_holidays=False)
    assert plain.is_workday(date(2026, 10, 5)) and not plain.is_workday(date(2026, 10, 10))


def test_moving_into_working_hours_forwards_and_back() -> None:
    assert HOURS.next_working(at(2026, 11, 25, 10)) == at(2026, 11, 25, 10)
    assert HOURS.next_working(at(2026, 11, 25, 7)) == at(2026, 11, 25, 9)
    assert HOURS.next_working(at(2026, 11, 27, 19)) == at(2026, 11, 30, 9)  # Fri night → Mon
    assert HOURS.next_working(at(2026, 9, 30, 19)) == at(2026, 10, 8, 9)  # over National Day
    assert HOURS.last_working_before(at(2026, 11, 30, 7)) == at(2026, 11, 27, 18)
    assert HOURS.last_working_before(at(2026, 11, 25, 20)) == at(2026, 11, 25, 18)
    assert HOURS.last_working_before(at(2026, 10, 11, 8)) == at(2026, 10, 10, 18)  # 调休 Saturday


def test_quiet_hours_wrap_midnight() -> None:
    assert HOURS.is_quiet(at(2026, 11, 25, 23)) and HOURS.is_quiet(at(2026, 11, 26, 7, 59))
    assert not HOURS.is_quiet(at(2026, 11, 26, 8))
    assert HOURS.not_quiet(at(2026, 11, 25, 23)) == at(2026, 11, 26, 8)
    day = TeamHours(tz=TZ, quiet_start=time(12, 0), quiet_end=time(13, 0))
    assert day.is_quiet(at(2026, 11, 25, 12, 30)) and not day.is_quiet(at(2026, 11, 25, 13))


def test_recurring_meeting_occurrences_with_until_and_skipped_dates() -> None:
    weekly = Meeting(
        title="周会",
        start=at(2026, 11, 30, 10),
        recurrence="FREQ=WEEKLY;BYDAY=MO,TH;UNTIL=20261214",
        skipped_dates=["2026-12-07"],
    )
    starts = meeting_occurrences(weekly, TZ, at(2026, 11, 1), at(2027, 1, 1))
    assert starts == [
        at(2026, 11, 30, 10),
        at(2026, 12, 3, 10),
        at(2026, 12, 10, 10),
        at(2026, 12, 14, 10),
    ]
    utc_until = Meeting(
        title="站会", start=at(2026, 11, 30, 9), recurrence="FREQ=DAILY;UNTIL=20261201T010000Z"
    )
    assert meeting_occurrences(utc_until, TZ, at(2026, 11, 1), at(2027, 1, 1)) == [
        at(2026, 11, 30, 9),
        at(2026, 12, 1, 9),
    ]
    once = Meeting(title="评审", start=at(2026, 11, 30, 9))
    assert meeting_occurrences(once, TZ, at(2026, 11, 30, 9), at(2026, 11, 30, 10)) == [once.start]
    assert meeting_occurrences(once, TZ, at(2026, 11, 30, 10), at(2026, 12, 1)) == []
