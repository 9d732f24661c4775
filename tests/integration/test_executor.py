"""The executor against real databases: tool calls applied, resolved, audited, undone, once."""

from __future__ import annotations

from collections.abc import Iterator
from datetime import timedelta

import pytest

from assistant.bootstrap import Qunmi, bootstrap
from assistant.clock import FixedClock
from assistant.domain import Member, Role, TaskStatus, ToolCall
from assistant.settings import Settings
from tests.conftest import NOW
from tests.doubles import ScriptedEngine
from tools.executor import CallContext


@pytest.fixture
def app(settings: Settings, clock: FixedClock) -> Iterator[Qunmi]:
    q = bootstrap(settings, clock=clock, engine=ScriptedEngine())
    with q.uow_factory() as uow:
        uow.members.add(Member(display_name="张三", aliases=["老张"], role=Role.PM, created_at=NOW))
        uow.members.add(Member(display_name="王磊", aliases=["小王", "王工"], created_at=NOW))
        uow.members.add(Member(display_name="李四", aliases=["老李"], created_at=NOW))
        uow.commit()
    yield q
    q.close()


def call(
    app: Qunmi,
    tool: str,
    actor: str = "张三",
    message_id: int | None = None,
    key: str | None = None,
    **args: object,
):  # type: ignore[no-untyped-def]
    return app.executor.execute(
        ToolCall(tool, dict(args)),
        CallContext(actor=actor, message_id=message_id, idempotency_key=key),
    )


def test_create_task_resolves_alias_and_audits(app: Qunmi) -> None:
    due = (NOW + timedelta(days=2)).replace(hour=18).isoformat()
    result = call(
        app, "create_task", title="出登录页设计稿", assignee="@小王", due=due, priority="high"
    )
    assert result.ok, result.error
    assert result.record is not None
    assert result.record["assignee"] == "王磊"
    assert result.record["due"] == "2026-11-27T18:00:00+08:00"
    assert result.record["priority"] == "high"
    with app.uow_factory() as uow:
        entries = uow.audit.list().items
        assert [e.tool for e in entries] == ["create_task"]
        undo = dict(entries[0].undo or {})
        assert len(undo.pop("state")) == 16  # the record's fingerprint, checked on undo
        assert undo == {"op": "delete", "kind": "task", "id": result.record["id"]}
        events = uow.tasks.events(result.record["id"])
        assert [e.kind for e in events] == ["created"]


def test_self_word_means_the_actor(app: Qunmi) -> None:
    result = call(app, "create_task", actor="李四", title="跟进合同", assignee="我")
    assert result.ok and result.record and result.record["assignee"] == "李四"


def test_unknown_member_is_a_clear_error_and_changes_nothing(app: Qunmi) -> None:
    result = call(app, "create_task", title="写周报", assignee="赵六")
    assert not result.ok
    assert result.error and result.error["code"] == "not_found" and "赵六" in result.error["reason"]
    with app.uow_factory() as uow:
        assert uow.tasks.list().total == 0
        assert uow.audit.list().total == 0


@pytest.mark.parametrize(
    ("args", "needle"),
    [
        ({"title": "x", "due": "明天"}, "截止时间"),
        ({"title": "x", "due": "2026-11-26T10:00:00"}, "时区"),
        ({"title": ""}, "标题"),
        ({"title": "x" * 600}, "太长"),
        ({"title": 12}, "标题"),
        ({"title": "x", "priority": "critical"}, "优先级"),
        ({"title": "x", "colour": "red"}, "colour"),
    ],
)
def test_bad_arguments_get_a_reason(app: Qunmi, args: dict[str, object], needle: str) -> None:
    result = call(app, "create_task", **args)
    assert not result.ok and result.error is not None
    assert result.error["code"] == "invalid_input"
    assert needle in result.error["reason"]


def test_unknown_tool(app: Qunmi) -> None:
    result = call(app, "delete_everything")
    assert not result.ok and result.error and "delete_everything" in result.error["reason"]


def test_update_by_words_and_status_history(app: Qunmi, clock: FixedClock) -> None:
    created = call(app, "create_task", title="出登录页设计稿", assignee="王磊")
    call(app, "create_task", title="支付接口联调", assignee="李四")
    clock.advance(timedelta(hours=1))
    started = call(app, "update_task", actor="王磊", task="登录页", status="in_progress")
    assert started.ok, started.error
    clock.advance(timedelta(hours=3))
    done = call(app, "update_task", actor="王磊", task="登录页设计", status="done")
    assert done.ok and done.record
    assert done.record["status"] == "done"
    assert done.record["started_at"] == "2026-11-25T11:00:00+08:00"
    assert done.record["completed_at"] == "2026-11-25T14:00:00+08:00"
    with app.uow_factory() as uow:
        events = uow.tasks.events(created.record["id"])  # type: ignore[index]
        assert [(e.kind, e.old, e.new) for e in events] == [
            ("created", None, "todo"),
            ("status", "todo", "in_progress"),
            ("status", "in_progress", "done"),
        ]


def test_ambiguous_words_ask_back(app: Qunmi) -> None:
    call(app, "create_task", title="登录页设计稿", assignee="王磊")
    call(app, "create_task", title="登录页前端联调", assignee="李四")
    result = call(app, "update_task", task="登录页", status="done")
    assert not result.ok and result.error
    assert result.error["code"] == "ambiguous"
    assert len(result.error["details"]["candidates"]) == 2
    # The actor's own task breaks the tie.
    own = call(app, "update_task", actor="王磊", task="登录页", status="done")
    assert own.ok and own.record and own.record["title"] == "登录页设计稿"


def test_no_match_is_not_a_guess(app: Qunmi) -> None:
    call(app, "create_task", title="登录页设计稿", assignee="王磊")
    result = call(app, "update_task", task="年终奖方案", status="done")
    assert not result.ok and result.error and result.error["code"] == "not_found"


def test_member_cannot_change_someone_elses_task(app: Qunmi) -> None:
    created = call(app, "create_task", title="登录页设计稿", assignee="王磊")
    denied = call(app, "update_task", actor="李四", task=created.record["id"], status="done")  # type: ignore[index]
    assert not denied.ok and denied.error and denied.error["code"] == "permission_denied"
    allowed = call(app, "update_task", actor="张三", task=f"#{created.record['id']}", status="done")  # type: ignore[index]
    assert allowed.ok


def test_redelivered_call_applies_once(app: Qunmi) -> None:
    first = call(app, "create_task", key="client-1", title="写周报", assignee="李四")
    second = call(app, "create_task", key="client-1", title="写周报", assignee="李四")
    assert first.ok and second.ok
    assert second.replayed and second.record == first.record
    with app.uow_factory() as uow:
        assert uow.tasks.list().total == 1


def test_undo_create_and_update(app: Qunmi) -> None:
    created = call(app, "create_task", title="写周报", assignee="李四")
    updated = call(app, "update_task", actor="李四", task="周报", status="done")
    undo_update = app.executor.undo(updated.audit_id, actor="李四")  # type: ignore[arg-type]
    assert undo_update.ok, undo_update.error
    with app.uow_factory() as uow:
        task = uow.tasks.get(created.record["id"])  # type: ignore[index]
        assert task is not None and task.status == TaskStatus.TODO and task.completed_at is None
    again = app.executor.undo(updated.audit_id, actor="李四")  # type: ignore[arg-type]
    assert not again.ok and again.error and again.error["code"] == "conflict"
    denied = app.executor.undo(created.audit_id, actor="王磊")  # type: ignore[arg-type]
    assert not denied.ok and denied.error and denied.error["code"] == "permission_denied"
    assert app.executor.undo(created.audit_id, actor="张三").ok  # type: ignore[arg-type]
    with app.uow_factory() as uow:
        # Never deleted (its id is never handed out again): cancelled.
        assert uow.tasks.list(filters={"open": True}).total == 0
        task = uow.tasks.get(created.record["id"])  # type: ignore[index]
        assert task is not None and task.status == TaskStatus.CANCELLED
        assert [e.tool for e in uow.audit.list(order="id").items] == [
            "create_task",
            "update_task",
            "undo",
            "undo",
        ]


def test_meeting_life_cycle(app: Qunmi) -> None:
    start = NOW.replace(hour=15) + timedelta(days=1)
    created = call(
        app,
        "create_meeting",
        title="首页改版讨论",
        start=start.isoformat(),
        attendees=["小王", "老李"],
        agenda=["首页改版", "排期"],
        location="3号会议室",
    )
    assert created.ok, created.error
    rec = created.record
    assert rec is not None
    assert sorted(rec["attendees"]) == ["张三", "李四", "王磊"]
    assert rec["end"] == "2026-11-26T16:00:00+08:00"
    assert rec["remind_before_minutes"] == [15]
    moved = call(
        app, "reschedule_meeting", meeting="首页改版", start=(start + timedelta(days=1)).isoformat()
    )
    assert moved.ok and moved.record and moved.record["start"] == "2026-11-27T15:00:00+08:00"
    assert moved.record["end"] == "2026-11-27T16:00:00+08:00"
    denied = call(app, "cancel_meeting", actor="李四", meeting=rec["id"])
    assert not denied.ok and denied.error and denied.error["code"] == "permission_denied"
    cancelled = call(app, "cancel_meeting", meeting="改版", reason="需求变了")
    assert cancelled.ok and cancelled.record and cancelled.record["status"] == "cancelled"
    restored = app.executor.undo(cancelled.audit_id, actor="张三")  # type: ignore[arg-type]
    assert restored.ok


def test_meeting_in_the_past_or_without_start(app: Qunmi) -> None:
    past = call(app, "create_meeting", title="复盘", start=(NOW - timedelta(days=1)).isoformat())
    assert not past.ok and past.error and "过去" in past.error["reason"]
    missing = call(app, "create_meeting", title="复盘")
    assert not missing.ok and missing.error and "时间" in missing.error["reason"]


def test_project_and_queries(app: Qunmi, clock: FixedClock) -> None:
    project = call(
        app,
        "create_project",
        name="官网改版",
        owner="老张",
        deadline=(NOW + timedelta(days=7)).isoformat(),
        members=["小王", "李四"],
    )
    assert project.ok and project.record and project.record["owner"] == "张三"
    assert sorted(project.record["members"]) == ["张三", "李四", "王磊"]
    dup = call(app, "create_project", name="官网改版")
    assert not dup.ok and dup.error and dup.error["code"] == "conflict"
    call(
        app,
        "create_task",
        title="首页设计",
        assignee="王磊",
        project="官网改版",
        due=(NOW + timedelta(hours=2)).isoformat(),
    )
    call(app, "create_task", title="后端接口", assignee="王磊", project="官网改版")
    call(app, "update_task", actor="王磊", task="后端接口", status="done")
    clock.advance(timedelta(hours=3))
    mine = call(app, "query", actor="王磊", kind="my_tasks")
    assert (
        mine.ok and mine.records is not None and [t["title"] for t in mine.records] == ["首页设计"]
    )
    overdue = call(app, "query", kind="overdue")
    assert overdue.records is not None and [t["title"] for t in overdue.records] == ["首页设计"]
    progress = call(app, "query", kind="progress", project="官网改版")
    assert progress.summary is not None
    assert progress.summary["counts"]["done"] == 1 and progress.summary["total"] == 2
    assert progress.summary["days_left"] == 7 and progress.summary["overdue"] == 1
    with app.uow_factory() as uow:
        assert uow.audit.list(filters={"tool": "query"}).total == 0


def test_add_member_roles_need_a_manager(app: Qunmi) -> None:
    denied = call(app, "add_member", actor="李四", member="赵六", role="pm")
    assert not denied.ok and denied.error and denied.error["code"] == "permission_denied"
    added = call(app, "add_member", actor="张三", member="赵六")
    assert added.ok and added.record and added.record["display_name"] == "赵六"
    assert app.executor.undo(added.audit_id, actor="张三").ok  # type: ignore[arg-type]
    with app.uow_factory() as uow:
        zhao = uow.members.by_display_name("赵六")
        assert zhao is not None  # the record stays; the membership it was given is gone
        assert all(zhao.id not in p.member_ids for p in uow.projects.all())


def _task(app: Qunmi, task_id: int):  # type: ignore[no-untyped-def]
    with app.uow_factory() as uow:
        return uow.tasks.get(task_id)


def test_a_stale_undo_never_rewrites_another_record(app: Qunmi) -> None:
    """Issue 15: undoing a creation deleted the row, SQLite handed its id to the next task, and
    undoing an older update then changed that unrelated task."""
    first = call(app, "create_task", title="写周报", assignee="李四")
    reassigned = call(app, "update_task", task=first.record["id"], assignee="王磊")  # type: ignore[index]
    assert first.ok and reassigned.ok
    # The creation is not undone behind the later change's back...
    stale = app.executor.undo(first.audit_id, actor="张三")  # type: ignore[arg-type]
    assert not stale.ok and stale.error and stale.error["code"] == "conflict"
    assert "又被改过" in stale.error["reason"]
    # ...but in order it is, and the task is cancelled, not deleted.
    assert app.executor.undo(reassigned.audit_id, actor="张三").ok  # type: ignore[arg-type]
    assert app.executor.undo(first.audit_id, actor="张三").ok  # type: ignore[arg-type]
    cancelled = _task(app, first.record["id"])  # type: ignore[index]
    assert cancelled is not None and cancelled.status == TaskStatus.CANCELLED
    second = call(app, "create_task", title="出设计稿", assignee="王磊")
    assert second.ok and second.record["id"] != first.record["id"]  # type: ignore[index]
    # No undo of the first task's history touches the new one.
    for audit_id in (reassigned.audit_id, first.audit_id):
        assert not app.executor.undo(audit_id, actor="张三").ok  # type: ignore[arg-type]
    fresh = _task(app, second.record["id"])  # type: ignore[index]
    assert fresh is not None and fresh.title == "出设计稿" and fresh.status == TaskStatus.TODO


def test_undo_applies_only_to_the_state_the_call_left(app: Qunmi) -> None:
    created = call(app, "create_task", title="写周报", assignee="李四")
    task_id = created.record["id"]  # type: ignore[index]
    due = call(app, "update_task", task=task_id, due="2026-11-27T18:00:00+08:00")
    done = call(app, "update_task", actor="李四", task=task_id, status="done")
    refused = app.executor.undo(due.audit_id, actor="张三")  # type: ignore[arg-type]
    assert not refused.ok and refused.error and refused.error["details"]["stale_undo"]
    task = _task(app, task_id)
    assert task is not None and task.status == TaskStatus.DONE and task.due is not None
    assert app.executor.undo(done.audit_id, actor="李四").ok  # type: ignore[arg-type]
    assert app.executor.undo(due.audit_id, actor="张三").ok  # type: ignore[arg-type]
    task = _task(app, task_id)
    assert task is not None and task.status == TaskStatus.TODO and task.due is None
