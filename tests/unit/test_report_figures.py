"""The weekly figures' edge cases on plain records (no database): each expected value is worked
out by hand in the comment beside it."""

from __future__ import annotations

from datetime import datetime, timedelta
from zoneinfo import ZoneInfo

from assistant.domain import Meeting, MeetingStatus, Task, TaskEvent, TaskStatus
from assistant.insight.reports import ReportRecords, meeting_occurrences, weekly_figures

TZ = ZoneInfo("Asia/Shanghai")
NOW = datetime(2026, 11, 30, 9, 0, tzinfo=TZ)
START = NOW - timedelta(days=7)


def records(tasks: list[Task], **kw: object) -> ReportRecords:
    base: dict[str, object] = {
        "project": None,
        "names": {1: "王磊"},
        "member_ids": [1],
        "tasks": tasks,
        "due_events": [],
        "messages_by_sender": {},
        "meetings": [],
        "milestones": [],
    }
    base.update(kw)
    return ReportRecords(**base)  # type: ignore[arg-type]


def test_nothing_at_all_gives_no_rates_rather_than_zero() -> None:
    fig = weekly_figures(records([]), now=NOW, tz=TZ).to_dict()
    assert fig["tasks"]["completion_rate"] is None
    assert fig["tasks"]["on_time_rate"] is None
    assert [p["remaining"] for p in fig["burndown"]][-1] == 0


def test_a_task_finished_after_now_is_still_open_then() -> None:
    task = Task(
        id=1,
        title="接口联调",
        assignee_id=1,
        status=TaskStatus.DONE,
        created_at=NOW - timedelta(days=10),
        due=NOW - timedelta(days=1),
        completed_at=NOW + timedelta(hours=3),
    )
    t = weekly_figures(records([task]), now=NOW, tz=TZ).to_dict()["tasks"]
    # Not done at NOW: 0 of 1; overdue (due yesterday); its due fell in the period: a delay.
    assert (t["done"], t["finished"], t["overdue"], t["delays"]) == (0, 0, 1, 1)
    assert t["status_counts"]["in_progress"] == 1


def test_finished_exactly_on_the_due_time_is_on_time_and_at_the_period_start_is_not_in_it() -> None:
    due = NOW - timedelta(days=2)
    on_edge = Task(
        id=1,
        title="a",
        status=TaskStatus.DONE,
        created_at=NOW - timedelta(days=9),
        due=due,
        completed_at=due,
    )
    at_start = Task(
        id=2,
        title="b",
        status=TaskStatus.DONE,
        created_at=NOW - timedelta(days=9),
        due=START,
        completed_at=START,  # the period is (START, NOW]: not in it
    )
    t = weekly_figures(records([on_edge, at_start]), now=NOW, tz=TZ).to_dict()["tasks"]
    assert (t["finished"], t["finished_on_time"], t["on_time_rate"]) == (1, 1, 1.0)
    assert t["delays"] == 0


def test_slips_count_later_moves_in_the_period_only() -> None:
    task = Task(id=1, title="a", created_at=NOW - timedelta(days=20), due=NOW + timedelta(days=9))
    day = timedelta(days=1)
    events = [
        # later by 2 days, in the period: a slip
        TaskEvent(1, "due", NOW - 2 * day, old=(NOW).isoformat(), new=(NOW + 2 * day).isoformat()),
        # later by 1.5 days, in the period: a slip
        TaskEvent(
            1,
            "due",
            NOW - day,
            old=(NOW + 2 * day).isoformat(),
            new=(NOW + 3.5 * day).isoformat(),
        ),
        # earlier: not a slip
        TaskEvent(1, "due", NOW - day, old=(NOW + 9 * day).isoformat(), new=NOW.isoformat()),
        # before the period: not counted
        TaskEvent(1, "due", START - day, old=NOW.isoformat(), new=(NOW + 9 * day).isoformat()),
        # first due set (no old): not a slip
        TaskEvent(1, "due", NOW - day, old=None, new=NOW.isoformat()),
    ]
    t = weekly_figures(records([task], due_events=events), now=NOW, tz=TZ).to_dict()["tasks"]
    assert (t["slips"], t["slipped_tasks"], t["slip_days"]) == (2, 1, 3.5)


def test_recurring_meeting_occurrences_skip_cancelled_dates() -> None:
    weekly = Meeting(
        title="站会",
        start=datetime(2026, 11, 2, 9, 30, tzinfo=TZ),
        recurrence="FREQ=DAILY;BYDAY=MO,TU,WE,TH,FR",
        skipped_dates=["2026-11-25"],
    )
    # (11-23 09:00, 11-30 09:00]: Mon 23 … Fri 27 at 09:30 = 5, less Wed 25 = 4; Mon 30 09:30
    # is after NOW.
    got = meeting_occurrences(weekly, START, NOW, TZ)
    assert [d.day for d in got] == [23, 24, 26, 27]
    cancelled = Meeting(title="x", start=NOW - timedelta(days=1), status=MeetingStatus.CANCELLED)
    assert meeting_occurrences(cancelled, START, NOW, TZ) == []
