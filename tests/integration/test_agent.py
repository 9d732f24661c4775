"""The LLM agent end to end: the real LangChain/openai client talks HTTP to a scripted
OpenAI-compatible server; tool calls land in a real database through the real executor."""

from __future__ import annotations

from collections.abc import Iterator
from datetime import datetime

import pytest

from assistant.bootstrap import Qunmi
from assistant.clock import FixedClock
from assistant.domain import MessageState, TaskStatus
from assistant.settings import Settings
from tests.conftest import NOW
from tests.doubles import RecordingNotifier
from tests.integration.agent_harness import (
    FRIDAY_6PM,
    KEY,
    TOMORROW_3PM,
    make_app,
    open_tasks,
    say,
    stored_result,
    tool_messages,
)
from tests.openai_server import (
    Fault,
    ScriptedOpenAIServer,
    call,
    scripted_server,
    text_reply,
    tool_reply,
)
from tools.vocabulary import tool_schemas


@pytest.fixture
def server() -> Iterator[ScriptedOpenAIServer]:
    with scripted_server() as s:
        yield s


@pytest.fixture
def app(
    settings: Settings, clock: FixedClock, server: ScriptedOpenAIServer
) -> Iterator[tuple[Qunmi, RecordingNotifier]]:
    q, notifier = make_app(settings, clock, server, "llm")
    yield q, notifier
    q.close()


def test_request_carries_vocabulary_prompt_and_key(
    app: tuple[Qunmi, RecordingNotifier], server: ScriptedOpenAIServer
) -> None:
    q, _ = app
    server.push(text_reply("（无需操作）"))
    outcome = say(q, "张三", "辛苦大家了")
    assert outcome.state == MessageState.DONE and outcome.engine == "llm"
    assert outcome.actions == [] and outcome.cards == []  # no tool call: the bot stays quiet
    (request,) = server.requests
    assert server.paths == ["/v1/chat/completions"]
    assert request["tools"] == tool_schemas()  # generated from the vocabulary, nothing hand-copied
    assert request["model"] == "scripted-1" and request["stream"] is False
    assert "stream_options" not in request and "parallel_tool_calls" not in request
    assert server.headers[0]["authorization"] == f"Bearer {KEY}"
    system, user = request["messages"]
    assert system["role"] == "system" and user["role"] == "user"
    for needle in (
        "2026-11-25T10:00+08:00",
        "星期三",
        "Asia/Shanghai",
        "王磊：小王、王工",
        "李四：老李",
        "张三（项目经理）：老张",  # roles, so the model knows who arranges work
        "发这条消息的人（“我”）：张三",
    ):
        assert needle in system["content"], needle
    assert user["content"].endswith('"辛苦大家了"')  # the text travels as a JSON string


def test_task_from_tool_call_is_applied_and_recorded(
    app: tuple[Qunmi, RecordingNotifier], server: ScriptedOpenAIServer
) -> None:
    q, notifier = app
    server.push(
        tool_reply(
            call("create_task", {"title": "出登录页设计稿", "assignee": "小王", "due": FRIDAY_6PM})
        ),
        text_reply("已给王磊建了任务，周五 18:00 截止。"),
    )
    outcome = say(q, "张三", "登录页那个稿子辛苦小王周五前弄出来，别拖")
    assert outcome.engine == "llm"
    (task,) = open_tasks(q)
    assert task.title == "出登录页设计稿" and task.due == datetime.fromisoformat(FRIDAY_6PM)
    with q.uow_factory() as uow:
        assert uow.members.get(task.assignee_id).display_name == "王磊"  # type: ignore[union-attr]
        audit = uow.audit.list(filters={"message_id": outcome.message_id}, limit=10).items
    assert [a.tool for a in audit] == ["create_task"] and audit[0].actor_id is not None
    # the result went back to the model, as a tool message answering the call's id
    second = server.requests[1]
    assert second["messages"][2]["tool_calls"][0]["function"]["name"] == "create_task"
    (fed_back,) = tool_messages(second)
    assert fed_back["ok"] is True and fed_back["record"]["assignee"] == "王磊"
    texts = [c["text"] for c in outcome.cards]
    assert "出登录页设计稿" in texts[0] and texts[-1] == "已给王磊建了任务，周五 18:00 截止。"
    # What went out is what the chat shows, the assignee (no WeCom userid) @-ed by name.
    assert [c.text for c in notifier.sent] == [texts[0] + "\n@王磊", *texts[1:]]
    llm = stored_result(q, outcome.message_id)["llm"]
    assert llm["turns"] == 2 and llm["model"] == "scripted-1" and llm["prompt"] == "agent_system"
    assert llm["prompt_tokens"] == 120 + 150 and llm["completion_tokens"] == 30 + 12
    assert all(e["latency_ms"] >= 0 and e["attempts"] == 1 for e in llm["exchanges"])
    assert llm["exchanges"][0]["tool_calls"] == ["create_task"]


def test_model_corrects_itself_after_validation_error(
    app: tuple[Qunmi, RecordingNotifier], server: ScriptedOpenAIServer
) -> None:
    q, _ = app
    server.push(
        tool_reply(call("create_meeting", {"title": "首页改版讨论", "start": "明天下午3点"})),
        tool_reply(
            call(
                "create_meeting",
                {"title": "首页改版讨论", "start": TOMORROW_3PM, "attendees": "all"},
            )
        ),
        text_reply("会议已安排在明天 15:00。"),
    )
    outcome = say(q, "张三", "明天下午三点大家碰一下首页改版")
    (error,) = tool_messages(server.requests[1])
    assert error["ok"] is False and "ISO 8601" in error["error"]["reason"]
    with q.uow_factory() as uow:
        meetings = uow.meetings.list(filters={}, limit=10).items
    assert len(meetings) == 1 and meetings[0].start == datetime.fromisoformat(TOMORROW_3PM)
    assert [r["ok"] for r in outcome.results] == [False, True]
    # the corrected mistake is the model's, not the user's: no error card for it
    assert [c["kind"] for c in outcome.cards] == ["confirm", "answer"]


def test_parallel_tool_calls(
    app: tuple[Qunmi, RecordingNotifier], server: ScriptedOpenAIServer
) -> None:
    q, _ = app
    server.push(
        tool_reply(
            call("create_task", {"title": "出设计稿", "assignee": "王磊"}, "call_a"),
            call("create_task", {"title": "补接口文档", "assignee": "老李"}, "call_b"),
        ),
        text_reply("已分别给王磊和李四建了任务。"),
    )
    outcome = say(q, "张三", "小王出设计稿，老李把接口文档补上")
    assert sorted(t.title for t in open_tasks(q)) == ["出设计稿", "补接口文档"]
    tools_back = [m for m in server.requests[1]["messages"] if m["role"] == "tool"]
    assert [m["tool_call_id"] for m in tools_back] == ["call_a", "call_b"]
    assert len(outcome.results) == 2 and all(r["ok"] for r in outcome.results)


def test_429_and_500_are_retried(
    app: tuple[Qunmi, RecordingNotifier], server: ScriptedOpenAIServer
) -> None:
    q, _ = app
    server.push(
        Fault(429, headers={"retry-after": "0"}),
        tool_reply(call("create_task", {"title": "写周报", "assignee": "我"})),
        Fault(500),
        text_reply("好的，周报任务建好了。"),
    )
    outcome = say(q, "李四", "周报我来写")
    assert outcome.engine == "llm" and [t.title for t in open_tasks(q)] == ["写周报"]
    assert len(server.requests) == 4
    llm = stored_result(q, outcome.message_id)["llm"]
    assert [e["attempts"] for e in llm["exchanges"]] == [2, 2]


def test_malformed_arguments_and_unknown_tool_are_fed_back(
    app: tuple[Qunmi, RecordingNotifier], server: ScriptedOpenAIServer
) -> None:
    q, _ = app
    server.push(
        tool_reply(
            call("create_task", '{"title": "出设计稿", "assignee": ', "bad_json"),
            call("create_todo", {"title": "出设计稿"}, "bad_name"),
        ),
        tool_reply(call("create_task", {"title": "出设计稿", "assignee": "王磊"})),
        text_reply("已给王磊建了任务。"),
    )
    outcome = say(q, "张三", "小王出一下设计稿")
    answers = {
        m["tool_call_id"]: m["content"]
        for m in server.requests[1]["messages"]
        if m["role"] == "tool"
    }
    assert "不是合法的 JSON" in answers["bad_json"]
    assert "没有名为“create_todo”的工具" in answers["bad_name"]
    assert [t.title for t in open_tasks(q)] == ["出设计稿"]
    # refused calls never reach the executor
    assert [r["tool"] for r in outcome.results] == ["create_task"]
    rejected = stored_result(q, outcome.message_id)["llm"]["rejected"]
    assert sorted(r["tool"] for r in rejected) == ["create_task", "create_todo"]


def test_hallucinated_member_ends_in_a_clear_reply(
    app: tuple[Qunmi, RecordingNotifier], server: ScriptedOpenAIServer
) -> None:
    q, _ = app
    server.push(
        tool_reply(call("create_task", {"title": "做竞品分析", "assignee": "赵六"})),
        text_reply("群里没有找到赵六，请确认是谁来做竞品分析。"),
    )
    outcome = say(q, "张三", "竞品分析让赵六做")
    (fed_back,) = tool_messages(server.requests[1])
    assert fed_back["ok"] is False and "赵六" in fed_back["error"]["reason"]
    assert open_tasks(q) == []
    kinds = [c["kind"] for c in outcome.cards]
    assert kinds[-1] == "answer" and "赵六" in outcome.cards[-1]["text"]
    assert any(
        "赵六" in c["text"] for c in outcome.cards[:-1]
    )  # the executor's own reason is shown too


def test_turns_are_bounded(
    app: tuple[Qunmi, RecordingNotifier], server: ScriptedOpenAIServer
) -> None:
    q, _ = app
    server.default = tool_reply(call("query", {"kind": "my_tasks"}))
    outcome = say(q, "张三", "我还有啥")
    assert len(server.requests) == 4  # max_turns
    assert outcome.state == MessageState.DONE and len(outcome.results) == 4


def test_model_down_falls_back_to_rules_and_marks_retry(
    app: tuple[Qunmi, RecordingNotifier], server: ScriptedOpenAIServer
) -> None:
    q, _ = app
    server.default = Fault(500)
    outcome = say(q, "张三", "@小王 周五前把登录页设计稿出了")
    assert outcome.state == MessageState.DONE and outcome.engine == "rules-fallback"
    assert len(server.requests) == 2  # one try, one retry
    (task,) = open_tasks(q)
    assert task.title == "出登录页设计稿"
    result = stored_result(q, outcome.message_id)
    assert result["retry_llm"] is True and "HTTP 500" in result["llm_error"]
    assert result["llm"]["exchanges"][0]["kind"] == "http"


def test_timeout_falls_back_to_rules(
    app: tuple[Qunmi, RecordingNotifier], server: ScriptedOpenAIServer
) -> None:
    q, _ = app
    server.default = Fault(delay=2.3, status=200, body="{}")
    outcome = say(q, "张三", "明天下午3点开会讨论首页改版")
    assert outcome.engine == "rules-fallback"
    result = stored_result(q, outcome.message_id)
    assert result["retry_llm"] is True and "超时" in result["llm_error"]
    with q.uow_factory() as uow:
        assert len(uow.meetings.list(filters={}, limit=10).items) == 1


def test_garbage_body_falls_back(
    app: tuple[Qunmi, RecordingNotifier], server: ScriptedOpenAIServer
) -> None:
    q, _ = app
    server.default = Fault(status=200, body="<html>gateway says hi</html>")
    outcome = say(q, "张三", "我还有哪些任务")
    assert outcome.engine == "rules-fallback" and outcome.results[0]["tool"] == "query"
    assert len(server.requests) == 1  # garbage is not retried


def test_nothing_understood_is_requeued_then_done(
    app: tuple[Qunmi, RecordingNotifier], server: ScriptedOpenAIServer, clock: FixedClock
) -> None:
    q, notifier = app
    server.default = Fault(503)
    first = say(q, "张三", "那个事你跟进下，别忘了跟老李对齐")
    assert first.state == MessageState.FAILED and "HTTP 503" in (first.error or "")
    with q.uow_factory() as uow:
        stored = uow.messages.get(first.message_id)
    assert stored is not None and stored.next_attempt_at is not None and stored.result is not None
    assert stored.result["retry_llm"] is True and stored.result["engine"] == "rules-fallback"
    assert notifier.sent == [] and open_tasks(q) == []
    # the model is back: the worker's retry goes through the agent
    server.default = text_reply("（无需操作）")
    server.push(
        tool_reply(call("create_task", {"title": "跟老李对齐", "assignee": "我"})),
        text_reply("好的，记下了。"),
    )
    clock.advance(stored.next_attempt_at - NOW)
    assert q.processor.pending() == [first.message_id]
    again = q.processor.process(first.message_id)
    assert again.state == MessageState.DONE and again.engine == "llm"
    assert [t.title for t in open_tasks(q)] == ["跟老李对齐"]
    assert "retry_llm" not in stored_result(q, first.message_id)


def test_failure_mid_loop_keeps_applied_calls_and_replay_does_not_repeat(
    app: tuple[Qunmi, RecordingNotifier], server: ScriptedOpenAIServer
) -> None:
    q, _ = app
    first_call = call("create_task", {"title": "出设计稿", "assignee": "王磊"})
    server.push(tool_reply(first_call))
    server.default = Fault(500)
    outcome = say(q, "张三", "小王出设计稿，老李补文档")
    assert outcome.state == MessageState.DONE and outcome.engine == "llm-partial"
    assert [t.title for t in open_tasks(q)] == [
        "出设计稿"
    ]  # applied, and the rules did not add theirs
    assert "模型中途出错" in outcome.cards[-1]["text"]
    result = stored_result(q, outcome.message_id)
    assert result["retry_llm"] is True
    # an operator sends the message through again: the applied call is replayed, not repeated
    with q.uow_factory() as uow:
        stored = uow.messages.get(outcome.message_id)
        assert stored is not None
        stored.state = MessageState.FAILED
        uow.messages.update(stored)
        uow.commit()
    server.default = text_reply("（无需操作）")
    server.push(
        tool_reply(first_call, call("create_task", {"title": "补文档", "assignee": "李四"})),
        text_reply("已给王磊和李四建了任务。"),
    )
    again = q.processor.replay(outcome.message_id)
    assert again.engine == "llm"
    assert [r.get("replayed", False) for r in again.results] == [True, False]
    assert sorted(t.title for t in open_tasks(q)) == ["出设计稿", "补文档"]


def test_undo_reverses_agent_calls(
    app: tuple[Qunmi, RecordingNotifier], server: ScriptedOpenAIServer
) -> None:
    q, _ = app
    server.push(
        tool_reply(call("create_task", {"title": "写周报", "assignee": "我"})), text_reply("好的。")
    )
    say(q, "李四", "周报我来")
    assert len(open_tasks(q)) == 1
    undone = say(q, "李四", "撤销")
    assert undone.engine == "command" and open_tasks(q) == []
    assert len(server.requests) == 2  # the undo command never reached the model


def test_status_update_marks_done(
    app: tuple[Qunmi, RecordingNotifier], server: ScriptedOpenAIServer
) -> None:
    q, _ = app
    server.push(
        tool_reply(call("create_task", {"title": "出登录页设计稿", "assignee": "我"})),
        text_reply("好。"),
    )
    say(q, "王磊", "登录页设计稿我来出")
    (task,) = open_tasks(q)
    server.push(
        tool_reply(call("update_task", {"task": task.id, "status": "done"})),
        text_reply("已标记完成。"),
    )
    say(q, "王磊", "上午说的那个稿子好了")
    with q.uow_factory() as uow:
        assert uow.tasks.get(task.id).status == TaskStatus.DONE  # type: ignore[union-attr]
    assert f"#{task.id} 出登录页设计稿" in server.requests[-2]["messages"][0]["content"]
