"""Dialogue state through the real stack: the inbox worker, the rule engine, the executor and
a real database (SQLite and PostgreSQL). Answers to Qunmi's questions, corrections and
references to what it just did resolve; the state survives a restart and is shared by workers."""

from __future__ import annotations

import json
import uuid
from collections.abc import Iterator
from datetime import timedelta
from pathlib import Path
from typing import Any

import pytest
from fastapi.testclient import TestClient
from typer.testing import CliRunner

from api.app import create_app
from assistant.bootstrap import Qunmi, bootstrap
from assistant.cli import app as cli_app
from assistant.clock import FixedClock
from assistant.domain import Chat, Member, Role, ToolCall
from assistant.services.inbox import Inbound
from assistant.services.worker import InProcessWorker
from assistant.settings import Settings
from tests.conftest import NOW
from tools.executor import CallContext

CHAT = "官网改版群"


def _seed(q: Qunmi) -> None:
    with q.uow_factory() as uow:
        ids = [
            uow.members.add(m).id
            for m in (
                Member(display_name="张三", aliases=["老张"], role=Role.PM, created_at=NOW),
                Member(display_name="王磊", aliases=["小王"], created_at=NOW),
                Member(display_name="李四", aliases=["老李", "小李"], created_at=NOW),
                Member(display_name="陈静", role=Role.ADMIN, created_at=NOW),
            )
        ]
        uow.chats.add(
            Chat(
                name=CHAT,
                channel="console",
                external_id=CHAT,
                member_ids=[i for i in ids if i is not None],
                created_at=NOW,
            )
        )
        uow.commit()


class Group:
    """A chat whose messages are stored by the inbox and processed by an inbox worker."""

    def __init__(self, q: Qunmi) -> None:
        self.q = q
        self.worker = InProcessWorker(q.processor)

    def say(
        self, sender: str, text: str, *, worker: InProcessWorker | None = None
    ) -> dict[str, Any]:
        message, _ = self.q.inbox.receive(
            Inbound(
                channel="console", chat=CHAT, sender=sender, text=text, external_id=uuid.uuid4().hex
            )
        )
        assert (worker or self.worker).drain() >= 1
        with self.q.uow_factory() as uow:
            stored = uow.messages.get(message.id or 0)
        assert stored is not None and stored.result is not None, stored
        return stored.result

    def task(self, task_id: int) -> Any:
        with self.q.uow_factory() as uow:
            return uow.tasks.get(task_id)

    def meeting(self, meeting_id: int) -> Any:
        with self.q.uow_factory() as uow:
            return uow.meetings.get(meeting_id)

    def name(self, member_id: int | None) -> str | None:
        with self.q.uow_factory() as uow:
            member = uow.members.get(member_id) if member_id else None
        return member.display_name if member else None


@pytest.fixture
def app(settings: Settings, clock: FixedClock) -> Iterator[Qunmi]:
    q = bootstrap(settings, clock=clock)  # the default engine: rules
    _seed(q)
    yield q
    q.close()


@pytest.fixture
def group(app: Qunmi) -> Group:
    return Group(app)


def _two_login_tasks(group: Group) -> tuple[int, int]:
    a = group.say("张三", "@小王 周五前把登录页设计稿出了")["results"][0]["record"]["id"]
    b = group.say("张三", "@老李 下周一前把登录页联调做完")["results"][0]["record"]["id"]
    return a, b


def _asked(group: Group, text: str) -> dict[str, Any]:
    out = group.say("张三", text)
    assert out["results"] and not out["results"][0]["ok"], out
    assert out["results"][0]["error"]["code"] == "ambiguous"
    assert out["cards"][0]["kind"] == "question"
    return out


def test_an_id_answers_the_question(group: Group) -> None:
    a, b = _two_login_tasks(group)
    _asked(group, "登录页搞定了")
    out = group.say("张三", f"#{b}")
    assert [r["ok"] for r in out["results"]] == [True]
    assert group.task(b).status.value == "done" and group.task(a).status.value == "todo"


def test_an_ordinal_answers_the_question(group: Group) -> None:
    a, b = _two_login_tasks(group)
    asked = _asked(group, "登录页延到下周三")
    order = [c["id"] for c in asked["results"][0]["error"]["details"]["candidates"]]
    out = group.say("张三", "第二个")
    assert [r["ok"] for r in out["results"]] == [True]
    moved = group.task(order[1])
    assert moved.due.astimezone(NOW.tzinfo).isoformat() == "2026-12-02T18:00:00+08:00"
    kept = group.task(order[0])
    assert kept.due.astimezone(NOW.tzinfo).date().isoformat() in ("2026-11-27", "2026-11-30")
    assert {a, b} == set(order)


def test_both_with_a_new_change_applies_the_answer_to_each(group: Group) -> None:
    a, b = _two_login_tasks(group)
    _asked(group, "登录页延到下周三")
    out = group.say("张三", "两个都延期到下周五")
    assert [r["ok"] for r in out["results"]] == [True, True]
    for task_id in (a, b):
        due = group.task(task_id).due.astimezone(NOW.tzinfo)
        assert due.isoformat() == "2026-12-04T18:00:00+08:00"
    # The question is answered: "第二个" now means nothing.
    assert group.say("张三", "第二个")["actions"] == []


def test_a_question_is_for_the_person_asked_and_expires(group: Group, clock: FixedClock) -> None:
    _two_login_tasks(group)
    _asked(group, "登录页搞定了")
    assert group.say("李四", "第二个")["actions"] == []  # someone else's question
    clock.advance(timedelta(minutes=11))
    assert group.say("张三", "第二个")["actions"] == []  # expired after 10 minutes


def test_an_unrelated_request_drops_the_question(group: Group) -> None:
    _two_login_tasks(group)
    _asked(group, "登录页搞定了")
    made = group.say("张三", "明天下午3点开会讨论首页改版")
    assert made["results"][0]["ok"]
    out = group.say("张三", "第二个")
    assert out["actions"] == []


def test_the_time_a_meeting_lacked_is_the_answer(group: Group) -> None:
    asked = group.say("张三", "开个会讨论一下首页改版")
    assert asked["cards"][0]["kind"] == "question" and not asked["results"][0]["ok"]
    out = group.say("张三", "明天下午3点")
    assert out["results"][0]["ok"], out
    record = out["results"][0]["record"]
    assert (record["title"], record["start"]) == ("首页改版讨论", "2026-11-26T15:00:00+08:00")
    assert group.say("张三", "明天下午4点")["actions"] == []  # answered once


def test_correcting_the_time_of_the_meeting_just_created(group: Group) -> None:
    made = group.say("张三", "明天下午3点跟小王开会讨论首页改版")["results"][0]["record"]
    out = group.say("张三", "不对，是周五")
    assert [r["tool"] for r in out["results"]] == ["reschedule_meeting"], out
    start = group.meeting(made["id"]).start.astimezone(NOW.tzinfo)
    assert start.isoformat() == "2026-11-27T15:00:00+08:00"  # Friday, the clock time kept
    group.say("张三", "说错了，4点")
    start = group.meeting(made["id"]).start.astimezone(NOW.tzinfo)
    assert start.isoformat() == "2026-11-27T16:00:00+08:00"  # the corrected day kept


def test_correcting_the_assignee_and_the_place(group: Group) -> None:
    task = group.say("张三", "@小王 周五前把登录页设计稿出了")["results"][0]["record"]
    out = group.say("张三", "不对，是老李")
    assert out["results"][0]["ok"], out
    assert group.name(group.task(task["id"]).assignee_id) == "李四"
    meeting = group.say("张三", "周四上午10点开需求评审会")["results"][0]["record"]
    group.say("张三", "不对，地点在3楼大会议室")
    assert group.meeting(meeting["id"]).location == "3楼大会议室"
    group.say("张三", "不对，标题是首页需求评审")
    assert group.meeting(meeting["id"]).title == "首页需求评审"


def test_correcting_a_task_title_and_undoing_it(group: Group) -> None:
    task = group.say("张三", "@小王 周五前把登录页设计稿出了")["results"][0]["record"]
    out = group.say("张三", "不对，标题是出首页设计稿")
    assert out["results"][0]["ok"], out
    assert group.task(task["id"]).title == "出首页设计稿"
    group.say("张三", "撤销")
    assert group.task(task["id"]).title == task["title"]


def test_references_to_what_was_just_done(group: Group) -> None:
    meeting = group.say("张三", "明天上午10点开会讨论首页改版")["results"][0]["record"]
    out = group.say("张三", "把刚才那个会挪到下午")
    assert out["results"][0]["ok"], out
    start = group.meeting(meeting["id"]).start.astimezone(NOW.tzinfo)
    assert start.isoformat() == "2026-11-26T14:00:00+08:00"  # the meeting's day, not today
    group.say("张三", "它改到3点")
    start = group.meeting(meeting["id"]).start.astimezone(NOW.tzinfo)
    assert start.isoformat() == "2026-11-26T15:00:00+08:00"
    group.say("张三", "再加上小李")
    with group.q.uow_factory() as uow:
        li = uow.members.by_display_name("李四")
    assert li is not None and li.id in group.meeting(meeting["id"]).attendee_ids
    task = group.say("张三", "@小王 周五前把接口文档写完")["results"][0]["record"]
    out = group.say("张三", "那个任务转给老李")
    assert out["results"][0]["ok"], out
    assert group.name(group.task(task["id"]).assignee_id) == "李四"


def test_english_references_to_what_was_just_done(group: Group) -> None:
    meeting = group.say("张三", "明天上午10点开会讨论首页改版")["results"][0]["record"]
    out = group.say("张三", "move it to 3pm")
    assert out["results"][0]["ok"], out
    start = group.meeting(meeting["id"]).start.astimezone(NOW.tzinfo)
    assert start.isoformat() == "2026-11-26T15:00:00+08:00"  # the meeting's day, not today
    assert group.say("张三", "add 老李 to it")["results"][0]["ok"]
    with group.q.uow_factory() as uow:
        li = uow.members.by_display_name("李四")
    assert li is not None and li.id in group.meeting(meeting["id"]).attendee_ids
    task = group.say("张三", "@小王 周五前把接口文档写完")["results"][0]["record"]
    assert group.say("张三", "make it urgent")["results"][0]["ok"]
    assert group.task(task["id"]).priority.value == "urgent"
    assert group.say("张三", "push it to 3pm")["results"][0]["ok"]
    due = group.task(task["id"]).due.astimezone(NOW.tzinfo)
    assert due.isoformat() == "2026-11-27T15:00:00+08:00"  # Friday kept, the clock moved
    assert group.say("张三", "don't cancel it")["actions"] == []
    assert group.say("张三", "that task is done")["results"][0]["ok"]
    assert group.task(task["id"]).status.value == "done"
    # "that meeting" is the meeting even though the task was touched since.
    out = group.say("张三", "push that meeting to Friday")
    assert out["actions"][0]["args"]["meeting"] == meeting["id"], out
    start = group.meeting(meeting["id"]).start.astimezone(NOW.tzinfo)
    assert start.isoformat() == "2026-11-27T15:00:00+08:00"


def test_changes_made_outside_the_chat_are_just_touched_too(app: Qunmi, group: Group) -> None:
    """A REST /tools call and a CLI record command (the executor with no chat message) make
    their record the one "它" / "it" means for their actor."""
    task = group.say("张三", "@小王 周五前把接口文档写完")["results"][0]["record"]
    with app.uow_factory() as uow:
        chat = uow.chats.by_external("console", CHAT)
    assert chat is not None and chat.id is not None
    with TestClient(create_app(app, start_worker=False)) as client:
        r = client.post(
            "/tools/create_meeting",
            json={
                "actor": "张三",
                "args": {"title": "接口评审", "start": "2026-11-26T10:00:00+08:00"},
                "chat_id": chat.id,
            },
        )
    assert r.status_code == 200, r.text
    meeting = r.json()["record"]
    out = group.say("张三", "它改到3点")  # the meeting made through REST, the newest
    assert out["actions"][0]["args"]["meeting"] == meeting["id"], out
    start = group.meeting(meeting["id"]).start.astimezone(NOW.tzinfo)
    assert start.isoformat() == "2026-11-26T15:00:00+08:00"
    # What `qunmi tasks update` does: no chat is named; the task's own chat is the one.
    changed = app.executor.execute(
        ToolCall("update_task", {"task": task["id"], "status": "in_progress"}),
        CallContext(actor="张三"),
    )
    assert changed.ok, changed
    assert group.say("张三", "make it urgent")["results"][0]["ok"]
    assert group.task(task["id"]).priority.value == "urgent"
    assert group.meeting(meeting["id"]).status.value == "scheduled"


def test_the_record_is_just_touched_for_the_people_it_is_for(group: Group) -> None:
    task = group.say("张三", "@小王 周五前把接口文档写完")["results"][0]["record"]
    assert group.say("李四", "它延后两天")["actions"] == []  # not for 李四: no reference
    out = group.say("王磊", "这个任务搞定了")  # 王磊 is its assignee
    assert out["results"][0]["ok"], out
    assert group.task(task["id"]).status.value == "done"


def test_a_reference_is_still_judged_by_the_executor(group: Group) -> None:
    meeting = group.say("张三", "明天上午10点跟小王开会对一下排期")["results"][0]["record"]
    # 王磊 attends (the meeting is "for" him, so 它 is this meeting) but does not organise it.
    out = group.say("王磊", "把这个会挪到下午")
    assert out["actions"] and out["actions"][0]["args"]["meeting"] == meeting["id"]
    assert not out["results"][0]["ok"]
    assert out["results"][0]["error"]["code"] == "permission_denied"
    start = group.meeting(meeting["id"]).start.astimezone(NOW.tzinfo)
    assert start.isoformat() == "2026-11-26T10:00:00+08:00"


def test_the_state_survives_a_restart(settings: Settings, clock: FixedClock) -> None:
    first = bootstrap(settings, clock=clock)
    _seed(first)
    try:
        group = Group(first)
        a, b = _two_login_tasks(group)
        asked = _asked(group, "登录页搞定了")
        meeting = group.say("张三", "明天上午10点开会讨论首页改版")["results"][0]["record"]
        second_id = asked["results"][0]["error"]["details"]["candidates"][1]["id"]
    finally:
        first.close()
    again = bootstrap(settings, clock=clock)  # a restart: same database, nothing in memory
    try:
        group = Group(again)
        group.say("张三", "它改到下午3点")
        start = group.meeting(meeting["id"]).start.astimezone(NOW.tzinfo)
        assert start.isoformat() == "2026-11-26T15:00:00+08:00"
        # The meeting request overtook the question: a late answer does nothing.
        assert group.say("张三", "第二个")["actions"] == []
        _asked(group, "登录页搞定了")
    finally:
        again.close()
    third = bootstrap(settings, clock=clock)
    try:
        out = Group(third).say("张三", "第二个")
        assert [r["ok"] for r in out["results"]] == [True]
        assert {a, b} >= {second_id}
        with third.uow_factory() as uow:
            done = uow.tasks.get(second_id)
        assert done is not None and done.status.value == "done"
    finally:
        third.close()


def test_two_workers_share_the_state(settings: Settings, clock: FixedClock) -> None:
    one = bootstrap(settings, clock=clock)
    _seed(one)
    two = bootstrap(settings, clock=clock)
    try:
        group = Group(one)
        other = InProcessWorker(two.processor)
        meeting = group.say("张三", "明天上午10点开会讨论首页改版")["results"][0]["record"]
        group.say("张三", "这个会改到线上", worker=other)
        with two.uow_factory() as uow:
            stored = uow.meetings.get(meeting["id"])
        assert stored is not None and stored.location == "线上"
    finally:
        two.close()
        one.close()


def test_post_messages_resolves_an_answer(settings: Settings, clock: FixedClock) -> None:
    q = bootstrap(settings, clock=clock)
    _seed(q)
    try:
        with TestClient(create_app(q, start_worker=False)) as client:

            def say(text: str) -> dict[str, Any]:
                r = client.post("/messages", json={"chat": CHAT, "sender": "张三", "text": text})
                assert r.status_code == 200, r.text
                body: dict[str, Any] = r.json()
                return body

            say("@小王 周五前把登录页设计稿出了")
            say("@老李 下周一前把登录页联调做完")
            # The console's "是哪一个？" button answers the question: a late "第二个" does nothing.
            asked = say("登录页开始做了")
            assert asked["cards"][0]["kind"] == "question"
            picked = asked["results"][0]["error"]["details"]["candidates"][0]["id"]
            chat_id = client.get("/messages", params={"limit": 1}).json()["items"][0]["chat_id"]
            r = client.post(
                "/tools/update_task",
                json={
                    "actor": "张三",
                    "args": {"task": f"#{picked}", "status": "in_progress"},
                    "chat_id": chat_id,
                },
            )
            assert r.status_code == 200, r.text
            assert say("第二个")["actions"] == []
            # Asked again in the chat and answered in the chat.
            asked = say("登录页搞定了")
            assert asked["cards"][0]["kind"] == "question"
            out = say("第一个")
            assert [r["ok"] for r in out["results"]] == [True], json.dumps(out, ensure_ascii=False)
            assert out["results"][0]["record"]["status"] == "done"
    finally:
        q.close()


def test_qunmi_say_keeps_the_state_between_commands(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch, database_url: str
) -> None:
    """Each `qunmi say` is a process of its own: the state lives in the database."""
    monkeypatch.setenv("QUNMI_DATA_DIR", str(tmp_path / "data"))
    monkeypatch.setenv("QUNMI_DATABASE_URL", database_url)
    monkeypatch.setenv("QUNMI_ENGINE", "rules")
    monkeypatch.delenv("QUNMI_LLM__BASE_URL", raising=False)
    monkeypatch.delenv("QUNMI_LLM__API_KEY", raising=False)
    monkeypatch.chdir(tmp_path)
    runner = CliRunner()
    for name, alias in (("张三", "老张"), ("王磊", "小王"), ("李四", "老李")):
        assert runner.invoke(cli_app, ["members", "add", name, "--alias", alias]).exit_code == 0

    def say(text: str, minute: int) -> dict[str, Any]:
        now = NOW.replace(minute=minute).isoformat()
        args = ["say", "--chat", CHAT, "--sender", "张三", "--now", now, "--json", text]
        result = runner.invoke(cli_app, args)
        assert result.exit_code == 0, result.output
        out: dict[str, Any] = json.loads(result.output)
        return out

    say("@小王 周五前把登录页设计稿出了", 1)
    second = say("@老李 下周一前把登录页联调做完", 2)["results"][0]["record"]["id"]
    asked = say("登录页搞定了", 3)
    assert asked["cards"][0]["kind"] == "question"
    out = say("第二个", 4)
    order = [c["id"] for c in asked["results"][0]["error"]["details"]["candidates"]]
    assert out["actions"] == [{"tool": "update_task", "args": {"task": order[1], "status": "done"}}]
    assert out["results"][0]["ok"]
    fixed = say("不对，是周五", 5)  # the last record created by 张三: the 联调 task
    assert fixed["results"][0]["record"]["id"] == second
    assert fixed["results"][0]["record"]["due"] == "2026-11-27T18:00:00+08:00"
    late = say("它改到3点", 40)  # 35 minutes later: nothing is "just done" any more
    assert late["actions"] == []


def test_the_windows_are_settings(settings: Settings, clock: FixedClock) -> None:
    short = settings.model_copy(
        update={"dialogue_question_minutes": 2, "dialogue_recent_minutes": 5}
    )
    q = bootstrap(short, clock=clock)
    _seed(q)
    try:
        group = Group(q)
        _two_login_tasks(group)
        _asked(group, "登录页搞定了")
        clock.advance(timedelta(minutes=3))
        assert group.say("张三", "第二个")["actions"] == []
        meeting = group.say("张三", "明天上午10点开会讨论首页改版")["results"][0]["record"]
        clock.advance(timedelta(minutes=4))
        assert group.say("张三", "它改到3点")["actions"][0]["args"]["meeting"] == meeting["id"]
        clock.advance(timedelta(minutes=6))  # the move touched it again: 6 minutes since
        assert group.say("张三", "它改到4点")["actions"] == []
    finally:
        q.close()


def test_expired_entries_are_pruned(app: Qunmi, group: Group, clock: FixedClock) -> None:
    from sqlalchemy import func, select

    from storage.orm import DialogueEntryRow
    from storage.unit_of_work import make_engine

    def rows() -> int:
        engine = make_engine(app.settings.resolved_database_url)
        try:
            with engine.connect() as conn:
                count = conn.scalar(select(func.count()).select_from(DialogueEntryRow))
        finally:
            engine.dispose()
        return int(count or 0)

    group.say("张三", "明天上午10点开会讨论首页改版")
    assert rows() == 4  # one for each person the meeting is for (all four)
    clock.advance(timedelta(days=2))
    fresh = bootstrap(app.settings, clock=clock)  # a new process: its first save prunes
    try:
        Group(fresh).say("张三", "@小王 周五前把登录页设计稿出了")
    finally:
        fresh.close()
    assert rows() == 2  # the new task, for 张三 and for 王磊; the old meeting's row is gone
