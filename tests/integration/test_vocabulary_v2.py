"""Vocabulary 2 through the executor, on SQLite and PostgreSQL: relative moves, priority and
reassignment, meeting changes, recurring meetings and one-off cancellations, filtered queries,
budgets, milestones and per-chat reminder switches — each undoable."""

from __future__ import annotations

from collections.abc import Iterator
from datetime import timedelta
from typing import Any

import pytest

from assistant.bootstrap import Qunmi, bootstrap
from assistant.clock import FixedClock
from assistant.domain import Chat, Member, Project, Role, ToolCall
from assistant.services.cards import describe_recurrence, render_result
from assistant.settings import Settings
from tests.conftest import NOW, TZ
from tests.doubles import ScriptedEngine
from tools.executor import CallContext, ToolResult


@pytest.fixture
def app(settings: Settings, clock: FixedClock) -> Iterator[Qunmi]:
    q = bootstrap(settings, clock=clock, engine=ScriptedEngine())
    with q.uow_factory() as uow:
        pm = uow.members.add(
            Member(display_name="张三", aliases=["老张"], role=Role.PM, created_at=NOW)
        )
        wang = uow.members.add(Member(display_name="王磊", aliases=["小王"], created_at=NOW))
        li = uow.members.add(Member(display_name="李四", aliases=["老李"], created_at=NOW))
        project = uow.projects.add(
            Project(
                name="官网改版",
                owner_id=pm.id,
                member_ids=[m.id for m in (pm, wang, li) if m.id],
                created_at=NOW,
            )
        )
        uow.chats.add(
            Chat(
                name="官网群",
                project_id=project.id,
                member_ids=[m.id for m in (pm, wang, li) if m.id],
                created_at=NOW,
            )
        )
        uow.commit()
    yield q
    q.close()


def call(app: Qunmi, tool: str, actor: str = "张三", **args: Any) -> ToolResult:
    return app.executor.execute(ToolCall(tool, dict(args)), CallContext(actor=actor, chat_id=1))


def iso(days: float = 0, hour: int | None = None) -> str:
    at = NOW + timedelta(days=days)
    return (at.replace(hour=hour, minute=0) if hour is not None else at).isoformat()


def test_task_shift_priority_reassign_and_undo(app: Qunmi) -> None:
    made = call(app, "create_task", title="登录页联调", assignee="王磊", due=iso(2, 18))
    assert made.ok, made.error
    moved = call(app, "update_task", task="登录页", shift_minutes=2 * 1440, priority="high")
    assert moved.ok, moved.error
    assert moved.record and moved.record["due"] == "2026-11-29T18:00:00+08:00"
    assert moved.record["priority"] == "high"
    handed = call(app, "update_task", task="登录页", assignee="老李")
    assert handed.ok and handed.record and handed.record["assignee"] == "李四"
    assert app.executor.undo(handed.audit_id or 0, actor="张三").ok
    assert app.executor.undo(moved.audit_id or 0, actor="张三").ok
    with app.uow_factory() as uow:
        task = uow.tasks.get(made.record["id"] if made.record else 0)
        assert task is not None
        assert task.due and task.due.astimezone(TZ).day == 27
        assert task.priority.value == "normal" and task.assignee_id == 2
        kinds = [e.kind for e in uow.tasks.events(task.id or 0)]
    assert {"due", "priority", "assignee", "undo"} <= set(kinds)


def test_shift_without_a_due_asks_for_one(app: Qunmi) -> None:
    call(app, "create_task", title="写周报", assignee="王磊")
    result = call(app, "update_task", task="周报", shift_minutes=60)
    assert not result.ok and result.error and "没有截止时间" in result.error["reason"]


def test_reopen_clears_completion(app: Qunmi) -> None:
    call(app, "create_task", title="埋点上报", assignee="王磊")
    done = call(app, "update_task", actor="王磊", task="埋点", status="done")
    assert done.ok and done.record and done.record["completed_at"]
    reopened = call(app, "update_task", actor="王磊", task=done.record["id"], status="todo")
    assert reopened.ok and reopened.record
    assert reopened.record["status"] == "todo" and reopened.record["completed_at"] is None


def test_meeting_shift_place_and_attendees(app: Qunmi) -> None:
    made = call(app, "create_meeting", title="需求评审", start=iso(1, 15), attendees=["王磊"])
    assert made.ok, made.error
    later = call(app, "reschedule_meeting", meeting="评审", shift_minutes=30)
    assert later.ok and later.record
    assert later.record["start"] == "2026-11-26T15:30:00+08:00"
    assert later.record["end"] == "2026-11-26T16:30:00+08:00"
    changed = call(
        app, "update_meeting", meeting="会", location="3楼大会议室", add_attendees=["老李"]
    )
    assert changed.ok, changed.error
    assert changed.record and changed.record["location"] == "3楼大会议室"
    assert set(changed.record["attendees"]) == {"张三", "王磊", "李四"}
    card = render_result(changed, tz=TZ, now=NOW)
    assert "3楼大会议室" in card.text and "李四" in card.text
    assert app.executor.undo(changed.audit_id or 0, actor="张三").ok
    with app.uow_factory() as uow:
        meeting = uow.meetings.get(made.record["id"] if made.record else 0)
        assert meeting is not None and meeting.location is None and len(meeting.attendee_ids) == 2


def test_reschedule_needs_one_way_to_move(app: Qunmi) -> None:
    call(app, "create_meeting", title="周会", start=iso(1, 10))
    both = call(app, "reschedule_meeting", meeting="周会", start=iso(2, 10), shift_minutes=30)
    assert not both.ok and both.error and "只给一个" in both.error["reason"]


def test_recurring_meeting_and_one_cancelled_occurrence(app: Qunmi) -> None:
    monday = "2026-11-30T10:00:00+08:00"
    made = call(
        app,
        "create_meeting",
        title="例会",
        start=monday,
        recurrence="freq=weekly;byday=mo",
        remind_before_minutes=15,
    )
    assert made.ok, made.error
    assert made.record and made.record["recurrence"] == "FREQ=WEEKLY;BYDAY=MO"
    assert "每周一" in render_result(made, tz=TZ, now=NOW).text
    skipped = call(app, "cancel_meeting", meeting="例会", occurrence="2026-12-07")
    assert skipped.ok, skipped.error
    assert skipped.record and skipped.record["status"] == "scheduled"
    assert skipped.record["skipped_dates"] == ["2026-12-07"]
    assert "12月7日" in render_result(skipped, tz=TZ, now=NOW).text
    again = call(app, "cancel_meeting", meeting="例会", occurrence="2026-12-07")
    assert not again.ok and again.error and again.error["code"] == "conflict"
    before_start = call(app, "cancel_meeting", meeting="例会", occurrence="2026-11-23")
    assert not before_start.ok
    assert app.executor.undo(skipped.audit_id or 0, actor="张三").ok
    whole = call(app, "cancel_meeting", meeting="例会")
    assert whole.ok and whole.record and whole.record["status"] == "cancelled"


def test_a_recurring_series_is_found_after_its_first_occurrence(app: Qunmi) -> None:
    with app.uow_factory() as uow:
        from assistant.domain import Meeting

        uow.meetings.add(
            Meeting(
                title="站会",
                start=NOW - timedelta(days=14),
                recurrence="FREQ=DAILY",
                chat_id=1,
                created_at=NOW - timedelta(days=15),
            )
        )
        uow.commit()
    moved = call(app, "update_meeting", meeting="站会", location="线上")
    assert moved.ok, moved.error


def test_invalid_recurrence_is_refused_in_chinese(app: Qunmi) -> None:
    result = call(app, "create_meeting", title="例会", start=iso(5, 10), recurrence="每周一")
    assert not result.ok and result.error and "重复规则" in result.error["reason"]


@pytest.mark.parametrize(
    ("rule", "words"),
    [
        ("FREQ=DAILY", "每天"),
        ("FREQ=WEEKLY;BYDAY=MO,TU,WE,TH,FR", "工作日每天"),
        ("FREQ=WEEKLY;INTERVAL=2;BYDAY=WE", "每两周三"),
        ("FREQ=MONTHLY;BYMONTHDAY=15", "每月15号"),
        ("FREQ=MONTHLY;BYDAY=-1FR", "每月最后一个周五"),
        ("FREQ=WEEKLY;BYDAY=TH;COUNT=4", "每周四，共4次"),
    ],
)
def test_recurrence_is_described_in_chinese(rule: str, words: str) -> None:
    assert describe_recurrence(rule) == words


def test_filtered_task_queries(app: Qunmi) -> None:
    call(app, "create_task", title="首页banner", assignee="王磊", due=iso(1, 18))
    call(app, "create_task", title="后台接口", assignee="李四", due=iso(9, 18))
    call(app, "create_task", title="压测报告", assignee="王磊", due=iso(-1, 18))
    blocked = call(app, "create_task", title="支付对接", assignee="李四")
    assert blocked.record
    call(app, "update_task", task=blocked.record["id"], status="blocked")
    this_week = call(
        app,
        "query",
        kind="my_tasks",
        member="小王",
        since="2026-11-23T00:00:00+08:00",
        until="2026-11-30T00:00:00+08:00",
    )
    assert this_week.ok and this_week.records is not None
    assert [r["title"] for r in this_week.records] == ["压测报告", "首页banner"]
    assert "11月23日至29日" in render_result(this_week, tz=TZ, now=NOW).text
    soon = call(app, "query", kind="due_soon")
    assert soon.records is not None and [r["title"] for r in soon.records] == ["首页banner"]
    stuck = call(app, "query", kind="tasks", status=["blocked"])
    assert stuck.records is not None and [r["title"] for r in stuck.records] == ["支付对接"]
    assert "受阻" in render_result(stuck, tz=TZ, now=NOW).text
    everyone = call(app, "query", kind="tasks")
    assert everyone.records is not None and len(everyone.records) == 4


def test_meetings_in_a_period_include_recurring_series(app: Qunmi) -> None:
    call(app, "create_meeting", title="评审会", start=iso(1, 15))
    call(app, "create_meeting", title="复盘会", start=iso(12, 15))
    call(app, "create_meeting", title="例会", start=iso(5, 10), recurrence="FREQ=WEEKLY;BYDAY=MO")
    week = call(
        app,
        "query",
        kind="meetings",
        since="2026-11-23T00:00:00+08:00",
        until="2026-11-30T00:00:00+08:00",
    )
    assert week.records is not None
    assert [r["title"] for r in week.records] == ["评审会"]
    following = call(
        app,
        "query",
        kind="meetings",
        since="2026-11-30T00:00:00+08:00",
        until="2026-12-07T00:00:00+08:00",
    )
    assert following.records is not None and [r["title"] for r in following.records] == ["例会"]


def test_budget_only_for_managers(app: Qunmi) -> None:
    set_budget = call(app, "update_project", budget=500000, spent=120000)
    assert set_budget.ok, set_budget.error
    assert set_budget.record and set_budget.record["budget"] == 500000
    shown = call(app, "query", kind="budget")
    assert shown.ok and shown.summary and shown.summary["remaining"] == 380000
    assert "50万元" in render_result(shown, tz=TZ, now=NOW).text
    fished = call(app, "query", actor="王磊", kind="budget")
    assert not fished.ok and fished.error and fished.error["code"] == "permission_denied"
    member_sets = call(app, "update_project", actor="王磊", budget=1)
    assert not member_sets.ok
    cost = call(app, "create_task", actor="王磊", title="外包设计", cost=30000)
    assert not cost.ok and cost.error and cost.error["code"] == "permission_denied"
    plain = call(app, "create_task", actor="王磊", title="外包设计")
    assert plain.ok and plain.record and "cost" not in plain.record


def test_project_changes_and_milestones(app: Qunmi) -> None:
    paused = call(app, "update_project", status="paused", owner="老李")
    assert paused.ok and paused.record
    assert paused.record["status"] == "paused" and paused.record["owner"] == "李四"
    assert "budget" not in paused.record
    assert app.executor.undo(paused.audit_id or 0, actor="张三").ok
    milestone = call(app, "create_milestone", title="提测", due="2026-12-02T18:00:00+08:00")
    assert milestone.ok, milestone.error
    assert milestone.record and milestone.record["days_left"] == 7
    assert "还剩 7 天" in render_result(milestone, tz=TZ, now=NOW).text
    not_owner = call(app, "create_milestone", actor="王磊", title="上线", due=iso(20, 18))
    assert not not_owner.ok
    assert app.executor.undo(milestone.audit_id or 0, actor="张三").ok
    with app.uow_factory() as uow:
        assert uow.milestones.list().total == 0


def test_reminder_switches_per_chat(app: Qunmi) -> None:
    off = call(app, "set_reminders", actor="王磊", what="daily", enabled=False)
    assert off.ok and off.record
    assert off.record["reminders"]["daily"] is False and off.record["reminders"]["meeting"]
    assert "关闭每日提醒" in render_result(off, tz=TZ, now=NOW).text
    all_off = call(app, "set_reminders", what="all", enabled=False)
    assert all_off.record and not any(all_off.record["reminders"].values())
    assert app.executor.undo(all_off.audit_id or 0, actor="张三").ok
    with app.uow_factory() as uow:
        chat = uow.chats.get(1)
        assert chat is not None and chat.settings["reminders"] == {"daily": False}
    outside = app.executor.execute(
        ToolCall("set_reminders", {"what": "meeting", "enabled": False}), CallContext(actor="张三")
    )
    assert not outside.ok and outside.error and "按群" in outside.error["reason"]


def test_risk_query_is_answered_by_the_risk_service(app: Qunmi) -> None:
    result = call(app, "query", kind="risk")
    assert result.ok and result.kind == "risk" and result.summary is not None
    assert result.summary["model"]["kind"] == "prior"  # no finished tasks yet
