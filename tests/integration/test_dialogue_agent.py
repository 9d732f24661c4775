"""The dialogue state and the LLM paths: the agent gets the state in its context (prompts/
dialogue_context) so it can resolve answers itself; the hybrid router keeps what the rules
resolved with the state and never asks the model for it. Real stack, scripted model server."""

from __future__ import annotations

from collections.abc import Iterator

import pytest

from assistant.bootstrap import Qunmi
from assistant.clock import FixedClock
from assistant.domain import Member
from assistant.settings import Settings
from tests.conftest import NOW
from tests.integration.agent_harness import execute, make_app, say
from tests.openai_server import ScriptedOpenAIServer, call, scripted_server, text_reply, tool_reply


@pytest.fixture
def server() -> Iterator[ScriptedOpenAIServer]:
    with scripted_server(default=text_reply("好的。")) as s:
        yield s


def _two_tasks(q: Qunmi) -> tuple[int, int]:
    a = execute(q, "张三", "create_task", title="出登录页设计稿", assignee="王磊")
    b = execute(q, "张三", "create_task", title="登录页联调", assignee="李四")
    return int(a["id"]), int(b["id"])


def _user_text(request: dict[str, object]) -> str:
    messages = request["messages"]
    assert isinstance(messages, list)
    return "\n".join(str(m.get("content") or "") for m in messages if m.get("role") == "user")


def test_the_agent_sees_the_open_question_and_answers_it(
    settings: Settings, clock: FixedClock, server: ScriptedOpenAIServer
) -> None:
    q, _ = make_app(settings, clock, server, "llm")
    try:
        a, b = _two_tasks(q)
        server.push(
            tool_reply(call("update_task", {"task": "登录页", "status": "done"})),
            text_reply("有两个登录页任务，是哪一个？"),
        )
        asked = say(q, "张三", "登录页搞定了")
        assert asked.results[0]["error"]["code"] == "ambiguous"
        before = len(server.requests)
        server.push(
            tool_reply(call("update_task", {"task": b, "status": "done"})), text_reply("好")
        )
        out = say(q, "张三", "第二个")
        context = _user_text(server.requests[before])
        assert "对话状态" in context and "候选（按顺序）" in context
        assert f"#{a} 出登录页设计稿" in context and f"#{b} 登录页联调" in context
        assert [r["ok"] for r in out.results] == [True]
        with q.uow_factory() as uow:
            done = uow.tasks.get(b)
        assert done is not None and done.status.value == "done"
        # Answered: the next turn carries no open question, only the record just touched.
        before = len(server.requests)
        say(q, "张三", "谢谢")
        later = _user_text(server.requests[before])
        assert "没有在等回答的问题" in later and f"任务 #{b}「登录页联调」" in later
    finally:
        q.close()


def test_the_agent_gets_no_state_block_in_a_quiet_chat(
    settings: Settings, clock: FixedClock, server: ScriptedOpenAIServer
) -> None:
    q, _ = make_app(settings, clock, server, "llm")
    try:
        say(q, "张三", "大家好")
        assert "对话状态" not in _user_text(server.requests[-1])
    finally:
        q.close()


def test_hybrid_keeps_what_the_state_resolves_with_the_rules(
    settings: Settings, clock: FixedClock, server: ScriptedOpenAIServer
) -> None:
    q, _ = make_app(settings, clock, server, "hybrid")
    try:
        made = say(q, "张三", "明天上午10点开会讨论首页改版")
        meeting_id = made.results[0]["record"]["id"]
        before = len(server.requests)
        out = say(q, "张三", "把刚才那个会挪到下午")  # a reference: before, always the model's
        assert len(server.requests) == before  # the rules resolved it with the state
        assert out.engine == "rules" and out.results[0]["ok"], out.results
        assert out.results[0]["record"]["id"] == meeting_id
        assert out.results[0]["record"]["start"] == "2026-11-26T14:00:00+08:00"
    finally:
        q.close()


def test_a_question_about_a_person_from_the_model_is_answered_through_the_rules(
    settings: Settings, clock: FixedClock, server: ScriptedOpenAIServer
) -> None:
    q, _ = make_app(settings, clock, server, "hybrid")
    try:
        with q.uow_factory() as uow:
            for name in ("王小明", "李小明"):
                uow.members.add(Member(display_name=name, aliases=["小明"], created_at=NOW))
            uow.commit()
        due = "2026-11-27T18:00:00+08:00"
        server.push(
            tool_reply(call("create_task", {"title": "写周报", "assignee": "小明", "due": due})),
            text_reply("“小明”是哪一位？"),
        )
        asked = say(q, "张三", "刚才说的那个周报，让小明周五前写了")  # a reference: the model's
        assert asked.results[0]["error"]["code"] == "ambiguous"
        assert "回复名字" in asked.cards[0]["text"]
        before = len(server.requests)
        out = say(q, "张三", "李小明")
        assert len(server.requests) == before and out.engine == "rules"
        record = out.results[0]["record"]
        assert (record["title"], record["assignee"], record["due"]) == ("写周报", "李小明", due)
    finally:
        q.close()
