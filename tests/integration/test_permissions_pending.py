"""Pending actions: role changes and cancellations asked for in the chat wait for “确认” from
someone allowed to make them; stored (a restart keeps them), expiring, resolved once."""

from __future__ import annotations

import json
from collections.abc import Iterator
from datetime import timedelta

import pytest

from assistant.bootstrap import Qunmi, bootstrap
from assistant.clock import FixedClock
from assistant.domain import Member, Role
from assistant.settings import Settings
from tests.conftest import NOW
from tests.integration.agent_harness import (
    TOMORROW_3PM,
    execute,
    llm_settings,
    make_app,
    open_tasks,
    say,
)
from tests.openai_server import ScriptedOpenAIServer, call, scripted_server, text_reply, tool_reply


@pytest.fixture
def server() -> Iterator[ScriptedOpenAIServer]:
    with scripted_server(default=text_reply("好的。")) as s:
        yield s


@pytest.fixture
def app(settings: Settings, clock: FixedClock, server: ScriptedOpenAIServer) -> Iterator[Qunmi]:
    q, _ = make_app(settings, clock, server, "llm")
    with q.uow_factory() as uow:
        uow.members.add(Member(display_name="陈静", role=Role.ADMIN, created_at=NOW))
        uow.commit()
    yield q
    q.close()


def _role(q: Qunmi, name: str) -> Role:
    with q.uow_factory() as uow:
        member = uow.members.by_display_name(name)
    assert member is not None
    return member.role


def _cards(outcome: object) -> str:
    return json.dumps(getattr(outcome, "cards", []), ensure_ascii=False)


def test_a_role_change_from_the_chat_waits_and_survives_a_restart(
    app: Qunmi, settings: Settings, clock: FixedClock, server: ScriptedOpenAIServer
) -> None:
    server.push(tool_reply(call("add_member", {"member": "王磊", "role": "admin"})))
    asked = say(app, "陈静", "把王磊设为管理员")
    assert asked.results[0]["kind"] == "pending"
    assert "确认" in _cards(asked) and _role(app, "王磊") == Role.MEMBER
    app.close()
    again = bootstrap(llm_settings(settings, server), clock=clock)  # a restart: same database
    try:
        confirmed = say(again, "陈静", "确认")
        assert [r["ok"] for r in confirmed.results] == [True]
        assert _role(again, "王磊") == Role.ADMIN
        with again.uow_factory() as uow:
            entry = uow.audit.list(filters={"tool": "add_member"}, limit=5).items[-1]
            chen = uow.members.by_display_name("陈静")
        assert chen is not None and entry.actor_id == chen.id  # the confirmer, judged as such
    finally:
        again.close()


def test_a_refused_call_is_refused_at_once_not_held(
    app: Qunmi, server: ScriptedOpenAIServer
) -> None:
    server.push(tool_reply(call("add_member", {"member": "陈静", "role": "member"})))
    outcome = say(app, "李四", "把陈静改成普通成员")
    assert outcome.results[0]["ok"] is False
    assert outcome.results[0]["error"]["code"] == "permission_denied"
    assert app.executor.pending is not None
    with app.uow_factory() as uow:
        chat = uow.chats.list(filters={}, limit=1).items[0]
    assert app.executor.pending.open_for_chat(chat.id) is None


def test_a_pending_action_expires(
    app: Qunmi, clock: FixedClock, server: ScriptedOpenAIServer
) -> None:
    execute(app, "张三", "create_meeting", title="周会", start=TOMORROW_3PM, attendees="all")
    server.push(tool_reply(call("cancel_meeting", {"meeting": "周会"})))
    say(app, "张三", "周会取消")
    clock.advance(timedelta(hours=1))
    late = say(app, "张三", "确认")
    assert not late.results and "过期" in _cards(late)
    with app.uow_factory() as uow:
        assert [m.status.value for m in uow.meetings.list(filters={}, limit=5).items] == [
            "scheduled"
        ]


def test_decline_by_the_requester_not_by_a_bystander(
    app: Qunmi, server: ScriptedOpenAIServer
) -> None:
    execute(app, "张三", "create_task", title="写周报", assignee="张三")
    server.push(tool_reply(call("update_task", {"task": 1, "status": "cancelled"})))
    say(app, "张三", "周报不写了")
    bystander = say(app, "李四", "取消")
    assert "只有操作人本人" in _cards(bystander)
    declined = say(app, "张三", "取消")
    assert "已放弃" in _cards(declined)
    with app.uow_factory() as uow:
        assert [t.status.value for t in uow.tasks.list(filters={}, limit=5).items] == ["todo"]


def test_a_bulk_change_from_one_message_waits_for_confirmation(app: Qunmi) -> None:
    """Three handovers asked for in one message wait together; progress reports do not."""
    from assistant.domain import ToolCall
    from assistant.services.inbox import Inbound
    from tools.executor import CallContext

    titles = ["登录页设计稿", "接口联调方案", "测试用例评审"]
    for title in titles:
        execute(app, "张三", "create_task", title=title, assignee="王磊")
    message, _ = app.inbox.receive(
        Inbound(channel="console", chat="官网改版群", sender="张三", text="这三件都转给李四")
    )
    assert message.id is not None
    ctx = CallContext(actor="张三", chat_id=message.chat_id, message_id=message.id)
    calls = [ToolCall("update_task", {"task": t, "assignee": "李四"}) for t in titles]
    held = app.executor.execute_all(calls, ctx)
    assert [r.kind for r in held] == ["pending"] * 3
    assert len({(r.summary or {})["pending_id"] for r in held}) == 1  # one confirmation for all
    assert {t.assignee_id for t in open_tasks(app)} == {_member_id(app, "王磊")}

    pending = app.executor.pending
    assert pending is not None
    results, _ = pending.resolve((held[0].summary or {})["pending_id"], actor="张三", confirm=True)
    assert [r.ok for r in results] == [True, True, True]
    assert {t.assignee_id for t in open_tasks(app)} == {_member_id(app, "李四")}

    # Status reports on several tasks are routine: applied at once.
    other, _ = app.inbox.receive(
        Inbound(channel="console", chat="官网改版群", sender="李四", text="三件都开始做了")
    )
    ctx = CallContext(actor="李四", chat_id=other.chat_id, message_id=other.id)
    done = app.executor.execute_all(
        [ToolCall("update_task", {"task": t, "status": "in_progress"}) for t in titles], ctx
    )
    assert [r.kind for r in done] != ["pending"] * 3 and all(r.ok for r in done)


def _member_id(q: Qunmi, name: str) -> int | None:
    with q.uow_factory() as uow:
        member = uow.members.by_display_name(name)
    return member.id if member is not None else None
