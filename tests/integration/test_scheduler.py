"""The scheduler end to end on SQLite and PostgreSQL, time driven by a fixed clock: meeting
reminders (moved, cancelled, recurring), deadlines, the daily overdue summary, countdowns,
per-chat switches, working days, several schedulers at once, and the leader lease."""

from __future__ import annotations

import threading
import uuid
from collections.abc import Iterator
from datetime import datetime, timedelta
from typing import Any

import pytest
from redis import Redis

from assistant.bootstrap import Qunmi, bootstrap, build_scheduler
from assistant.clock import FixedClock
from assistant.domain import (
    Chat,
    Meeting,
    Member,
    OutboxMessage,
    Project,
    Role,
    ScheduledJob,
    ToolCall,
)
from assistant.services.outbox import Outbox
from assistant.services.scheduler import SqlLease
from assistant.settings import Settings
from tests.conftest import IN_CI, NOW, TZ
from tests.doubles import RecordingNotifier, ScriptedEngine
from tests.integration.test_queue_redis import REDIS_URL
from tools.executor import CallContext, ToolResult


@pytest.fixture
def app(settings: Settings, clock: FixedClock) -> Iterator[Qunmi]:
    q = bootstrap(settings, clock=clock, engine=ScriptedEngine(), notifier=RecordingNotifier())
    with q.uow_factory() as uow:
        pm = uow.members.add(
            Member(display_name="张三", role=Role.PM, wecom_userid="zhangsan", created_at=NOW)
        )
        wang = uow.members.add(
            Member(display_name="王磊", aliases=["小王"], wecom_userid="wanglei", created_at=NOW)
        )
        li = uow.members.add(Member(display_name="李四", created_at=NOW))
        ids = [m.id for m in (pm, wang, li) if m.id]
        project = uow.projects.add(
            Project(name="官网改版", owner_id=pm.id, member_ids=ids, created_at=NOW)
        )
        uow.chats.add(Chat(name="官网群", project_id=project.id, member_ids=ids, created_at=NOW))
        uow.commit()
    yield q
    q.close()


def call(q: Qunmi, tool: str, actor: str = "张三", **args: Any) -> ToolResult:
    result = q.executor.execute(ToolCall(tool, dict(args)), CallContext(actor=actor, chat_id=1))
    assert result.ok, result.error
    return result


def at(day: int, hour: int, minute: int = 0, month: int = 11) -> datetime:
    return datetime(2026, month, day, hour, minute, tzinfo=TZ)


def tick(q: Qunmi, clock: FixedClock, when: datetime) -> list[OutboxMessage]:
    clock.at = when
    return q.scheduler.tick().sent


def texts(sent: list[OutboxMessage]) -> list[str]:
    return [m.text for m in sent]


def test_a_meeting_is_reminded_once_at_its_time_and_a_moved_one_at_its_new_time(
    app: Qunmi, clock: FixedClock
) -> None:
    first = call(app, "create_meeting", title="首页改版讨论", start=at(26, 15).isoformat())
    call(app, "create_meeting", title="需求评审", start=at(27, 10).isoformat())
    call(app, "create_meeting", title="周五聚餐", start=at(27, 18).isoformat())
    call(app, "reschedule_meeting", meeting="需求评审", start=at(27, 16).isoformat())
    call(app, "cancel_meeting", meeting="周五聚餐")
    assert first.record is not None
    assert [m for m in tick(app, clock, at(26, 14, 44)) if m.kind == "reminder"] == []
    (reminder,) = tick(app, clock, at(26, 14, 45))
    assert reminder.text.startswith("⏰ 会议提醒：「首页改版讨论」15 分钟后开始")
    assert reminder.chat_name == "官网群" and reminder.state.value == "sent"
    assert {p["userid"] for p in reminder.mentions} == {"zhangsan", "wanglei", None}
    assert tick(app, clock, at(26, 14, 50)) == []  # once
    assert tick(app, clock, at(27, 9, 45)) == []  # moved away from 10:00
    (moved,) = tick(app, clock, at(27, 15, 45))
    assert "「需求评审」15 分钟后开始" in moved.text
    assert tick(app, clock, at(27, 17, 45)) == []  # cancelled
    with app.uow_factory() as uow:
        states = {
            (j.source, j.state.value)
            for j in uow.schedule.list(filters={"kind": "meeting_reminder"}, limit=50).items
        }
    assert ("meeting:2", "cancelled") in states and not any(s == "meeting:3" for s, _ in states)


def test_every_occurrence_of_a_recurring_meeting_but_the_cancelled_one(
    app: Qunmi, clock: FixedClock
) -> None:
    call(
        app,
        "create_meeting",
        title="周会",
        start=at(30, 10).isoformat(),
        recurrence="FREQ=WEEKLY;BYDAY=MO",
        remind_before_minutes=30,
    )
    call(app, "cancel_meeting", meeting="周会", occurrence="2026-12-07")
    assert texts(tick(app, clock, at(30, 9, 30))) == [
        "⏰ 会议提醒：「周会」30 分钟后开始\n时间：11月30日(周一) 10:00"
    ]
    # (The Monday weekly report, which counts last week's 周会, may go out; no reminder does.)
    skipped = tick(app, clock, datetime(2026, 12, 7, 9, 30, tzinfo=TZ))
    assert [m for m in skipped if m.kind != "report"] == []
    sent = tick(app, clock, datetime(2026, 12, 14, 9, 30, tzinfo=TZ))
    sent = [m for m in sent if m.kind != "report"]
    assert [m.kind for m in sent] == ["reminder"] and "12月14日(周一) 10:00" in sent[0].text


def test_deadlines_go_to_the_assignee_and_the_overdue_summary_to_the_group(
    app: Qunmi, clock: FixedClock
) -> None:
    call(
        app,
        "create_task",
        title="出登录页设计稿",
        assignee="小王",
        due=at(27, 18).isoformat(),
        priority="urgent",
    )
    call(app, "create_task", title="写接口文档", assignee="李四", due=at(26, 12).isoformat())
    call(app, "create_task", title="买咖啡", assignee="李四", due=at(26, 11).isoformat())
    call(app, "update_task", actor="李四", task="买咖啡", status="done")
    soon = tick(app, clock, at(26, 10))
    assert texts(soon) == [
        "⏰ 任务快到期了：#2「写接口文档」\n截止 11月26日(周四) 12:00（还剩 2 小时）\n完成了请回复“搞定了”，需要延期请说新的时间"
    ]
    assert [p["name"] for p in soon[0].mentions] == ["李四"]
    overdue = tick(app, clock, at(26, 12))
    assert [m.kind for m in overdue] == ["alert"] and "任务已逾期：#2「写接口文档」" in overdue[
        0
    ].text
    day_before = tick(app, clock, at(26, 18))
    assert "#1「出登录页设计稿」" in day_before[0].text and "还剩 1 天" in day_before[0].text
    assert [p["userid"] for p in day_before[0].mentions] == ["wanglei"]
    summary_27 = [m for m in tick(app, clock, at(27, 9, 30)) if "日报" in m.text]
    assert len(summary_27) == 1 and "#2「写接口文档」" in summary_27[0].text
    assert "#1" not in summary_27[0].text and not summary_27[0].mention_all
    tick(app, clock, at(27, 16))
    alert = tick(app, clock, at(27, 18))
    assert "任务已逾期：#1「出登录页设计稿」" in alert[0].text and "🔴紧急" in alert[0].text
    assert tick(app, clock, at(28, 9, 30)) == []  # Saturday: no summary
    (summary,) = [m for m in tick(app, clock, at(30, 9, 30)) if "日报" in m.text]
    assert summary.text.startswith("📋 逾期任务日报（2 个）")
    assert "❗ #1「出登录页设计稿」 · 王磊" in summary.text and "买咖啡" not in summary.text
    assert summary.mention_all  # something urgent is overdue: @所有人
    with app.uow_factory() as uow:
        outbox = uow.outbox.list(filters={"scheduled": True}, limit=50).items
    assert outbox and all(m.message_id is None and m.state.value == "sent" for m in outbox)


def test_a_task_done_or_moved_cancels_its_reminders(app: Qunmi, clock: FixedClock) -> None:
    call(app, "create_task", title="出登录页设计稿", assignee="小王", due=at(26, 18).isoformat())
    call(app, "create_task", title="写接口文档", assignee="小王", due=at(26, 18).isoformat())
    call(app, "update_task", actor="王磊", task="出登录页设计稿", status="done")
    call(app, "update_task", actor="王磊", task="写接口文档", due=at(30, 18).isoformat())
    assert [m.text for m in tick(app, clock, at(26, 16)) if "到期" in m.text] == []
    assert [m for m in tick(app, clock, at(26, 18)) if m.kind == "alert"] == []
    sent = tick(app, clock, at(27, 18))
    assert ["#2「写接口文档」" in m.text and "还剩 3 天" in m.text for m in sent] == [True]


def test_deadline_reminders_keep_to_working_days(app: Qunmi, clock: FixedClock) -> None:
    """Due the morning after National Day: both "the day before" and "two hours before" fall on
    days off, so one reminder goes out at the end of the last workday before."""
    clock.at = datetime(2026, 9, 29, 10, 0, tzinfo=TZ)
    call(app, "create_task", title="国庆后上线", assignee="小王", due="2026-10-08T09:00:00+08:00")
    with app.uow_factory() as uow:
        jobs = uow.schedule.list(filters={"kind": "task_deadline"}, limit=10).items
    app.scheduler.reconcile(datetime(2026, 10, 6, 10, 0, tzinfo=TZ))
    with app.uow_factory() as uow:
        jobs = uow.schedule.list(filters={"kind": "task_deadline"}, limit=10).items
    assert [(j.key.rsplit(":", 1)[-1], j.due_at.astimezone(TZ)) for j in jobs] == [
        ("1440", datetime(2026, 9, 30, 18, 0, tzinfo=TZ)),
        ("overdue", datetime(2026, 10, 8, 9, 0, tzinfo=TZ)),
    ]


def test_countdowns_to_a_milestone_on_workdays(app: Qunmi, clock: FixedClock) -> None:
    call(app, "create_milestone", title="上线", due=at(2, 18, month=12).isoformat())
    assert "距离「上线」还剩7天" in tick(app, clock, at(25, 10))[0].text
    assert tick(app, clock, at(29, 9, 30)) == []  # Sunday: the 3-day point moves to Monday
    (monday,) = tick(app, clock, at(30, 9, 30))
    assert monday.text.startswith("⏳ 距离「上线」还剩2天") and "未完成任务" in monday.text
    assert "还剩1天" in tick(app, clock, at(1, 9, 30, month=12))[0].text
    assert tick(app, clock, at(2, 9, 30, month=12))[0].text.startswith("🏁 今天就是「上线」")


def test_a_chat_that_switched_a_kind_off_gets_none_of_it(app: Qunmi, clock: FixedClock) -> None:
    call(app, "create_meeting", title="首页改版讨论", start=at(26, 15).isoformat())
    call(app, "set_reminders", what="meeting", enabled=False)
    assert tick(app, clock, at(26, 14, 45)) == []
    with app.uow_factory() as uow:
        (job,) = uow.schedule.list(filters={"kind": "meeting_reminder"}, limit=5).items
    assert job.state.value == "cancelled" and "关闭" in (job.result or {}).get("note", "")


def test_a_kind_not_registered_here_waits_untouched(app: Qunmi, clock: FixedClock) -> None:
    with app.uow_factory() as uow:
        uow.schedule.plan(
            [
                ScheduledJob(
                    kind="monthly_digest",
                    key="monthly_digest:1:2026-11",
                    due_at=NOW,
                    created_at=NOW,
                )
            ]
        )
        uow.commit()
    tick(app, clock, at(26, 10))
    with app.uow_factory() as uow:
        (job,) = uow.schedule.list(filters={"kind": "monthly_digest"}, limit=5).items
    assert job.state.value == "pending"


def test_several_schedulers_at_once_send_each_reminder_once(app: Qunmi, clock: FixedClock) -> None:
    with app.uow_factory() as uow:
        for i in range(24):
            uow.meetings.add(
                Meeting(
                    title=f"评审{i}",
                    start=at(25, 11),
                    remind_before_minutes=[15],
                    chat_id=1,
                    created_at=NOW - timedelta(days=1),
                )
            )
        uow.commit()
    clock.at = at(25, 10, 45)
    schedulers = [
        build_scheduler(
            app.settings,
            uow_factory=app.uow_factory,
            clock=clock,
            outbox=Outbox(uow_factory=app.uow_factory, clock=clock),
        )
        for _ in range(2)
    ]
    errors: list[BaseException] = []

    def run(s: Any) -> None:
        try:
            s.tick()
        except BaseException as exc:  # noqa: BLE001 - reported below
            errors.append(exc)

    threads = [threading.Thread(target=run, args=(s,)) for s in schedulers]
    for t in threads:
        t.start()
    for t in threads:
        t.join(120)
    assert errors == []
    with app.uow_factory() as uow:
        sent = uow.outbox.list(filters={"kind": "reminder"}, limit=500).items
    titles = sorted(m.text.split("「")[1].split("」")[0] for m in sent)
    assert titles == sorted(f"评审{i}" for i in range(24))
    assert {m.state.value for m in sent} == {"sent"}


def test_one_leader_at_a_time_in_the_database(app: Qunmi) -> None:
    clock = FixedClock(NOW)
    lease = SqlLease(uow_factory=app.uow_factory, clock=clock, name="scheduler")
    assert lease.acquire("a", 30) and lease.acquire("a", 30)
    assert not lease.acquire("b", 30)
    clock.advance(timedelta(seconds=31))
    assert lease.acquire("b", 30) and not lease.acquire("a", 30)
    lease.release("b")
    assert lease.acquire("a", 30)


@pytest.mark.redis
def test_one_leader_at_a_time_among_redis_workers() -> None:
    from assistant.adapters.queue.redis_lease import RedisLease

    conn = Redis.from_url(REDIS_URL, socket_connect_timeout=2)
    try:
        conn.ping()
    except Exception as exc:  # noqa: BLE001 - any failure means "not here"
        if IN_CI:
            pytest.fail(f"Redis is required in CI but not reachable at {REDIS_URL}: {exc}")
        pytest.skip(f"no Redis at {REDIS_URL}")
    name = f"qunmi-test-{uuid.uuid4().hex[:8]}:lease"
    try:
        first, second = RedisLease(conn, name=name), RedisLease(conn, name=name)
        assert first.acquire("a", 0.3) and first.acquire("a", 0.3)
        assert not second.acquire("b", 0.3)
        second.release("b")  # not b's to release
        assert not second.acquire("b", 0.3)
        threading.Event().wait(0.4)
        assert second.acquire("b", 5) and not first.acquire("a", 5)
        second.release("b")
        assert first.acquire("a", 5)
    finally:
        conn.delete(name)
        conn.close()


def test_risk_alerts_once_per_change_of_level(app: Qunmi, clock: FixedClock) -> None:
    """With a risk model plugged in (its levels scripted here, at the port): a task that turns
    high risk is flagged @ its assignee once, again only after it went down and up; a milestone
    of its project due soon is flagged @所有人 once."""
    from assistant.services.scheduler import RiskAlerts

    levels: dict[int, str] = {}
    app.scheduler.register(RiskAlerts(lambda now: dict(levels)))  # in place of the model's
    call(app, "create_task", title="出登录页设计稿", assignee="小王", due=at(27, 18).isoformat())
    call(app, "create_milestone", title="上线", due=at(2, 18, month=12).isoformat())

    def risk_cards(when: datetime) -> list[OutboxMessage]:
        return [m for m in tick(app, clock, when) if "风险" in m.text]

    assert risk_cards(at(25, 10, 30)) == []
    levels[1] = "high"
    first = risk_cards(at(25, 11))
    assert [m.text.splitlines()[0] for m in first] == [
        "🚨 延期风险高：#1「出登录页设计稿」 · 截止 11月27日(周五) 18:00",
        "🚨 里程碑「上线」（12月2日(周三) 18:00）有延期风险：#1「出登录页设计稿」",
    ]
    assert [p["userid"] for p in first[0].mentions] == ["wanglei"] and first[1].mention_all
    assert risk_cards(at(25, 11, 30)) == []  # still high: nothing new
    levels[1] = "medium"
    assert risk_cards(at(25, 12)) == []
    levels[1] = "high"
    again = risk_cards(at(25, 12, 30))  # down and up again: a change, flagged again
    assert [m.text[:8] for m in again] == ["🚨 延期风险高：", "🚨 里程碑「上线"]
    assert risk_cards(at(25, 20)) == []  # outside working hours: no check
