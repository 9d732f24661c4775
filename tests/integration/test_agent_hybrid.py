"""Hybrid routing, the agent as an ``Engine`` (dry run for the eval), and the agent behind the
real entry points: ``POST /messages``, ``qunmi say`` and ``qunmi eval parse``."""

from __future__ import annotations

import json
from collections.abc import Iterator
from datetime import datetime
from pathlib import Path

import pytest
from fastapi.testclient import TestClient
from typer.testing import CliRunner

from api.app import create_app
from assistant.bootstrap import Qunmi, build_engine
from assistant.clock import FixedClock
from assistant.domain import ChatContext, IncomingMessage
from assistant.engines.agent import AgentEngine
from assistant.engines.hybrid import HybridEngine
from assistant.settings import Settings
from tests.conftest import NOW
from tests.doubles import RecordingNotifier
from tests.integration.agent_harness import (
    TOMORROW_3PM,
    execute,
    llm_settings,
    make_app,
    open_tasks,
    say,
    stored_result,
)
from tests.openai_server import (
    Fault,
    ScriptedOpenAIServer,
    call,
    scripted_server,
    text_reply,
    tool_reply,
)


@pytest.fixture
def server() -> Iterator[ScriptedOpenAIServer]:
    with scripted_server(default=text_reply("（无需操作）")) as s:
        yield s


@pytest.fixture
def hybrid(
    settings: Settings, clock: FixedClock, server: ScriptedOpenAIServer
) -> Iterator[tuple[Qunmi, RecordingNotifier]]:
    q, notifier = make_app(settings, clock, server, "hybrid")
    yield q, notifier
    q.close()


def test_sure_rules_never_call_the_model(
    hybrid: tuple[Qunmi, RecordingNotifier], server: ScriptedOpenAIServer
) -> None:
    q, _ = hybrid
    for text in ("@小王 周五前把登录页设计稿出了", "谢谢大家"):
        outcome = say(q, "张三", text)
        assert outcome.engine == "rules", text
        route = stored_result(q, outcome.message_id)["route"]
        assert route["engine"] == "rules" and route["confidence"] >= 0.8
    assert server.requests == []
    assert [t.title for t in open_tasks(q)] == ["出登录页设计稿"]


def test_reference_to_earlier_meeting_goes_to_the_agent(
    hybrid: tuple[Qunmi, RecordingNotifier], server: ScriptedOpenAIServer
) -> None:
    q, _ = hybrid
    meeting = execute(
        q, "张三", "create_meeting", title="首页改版讨论", start=TOMORROW_3PM, attendees="all"
    )
    new_start = datetime.fromisoformat(TOMORROW_3PM).replace(hour=16).isoformat()
    server.push(
        tool_reply(call("reschedule_meeting", {"meeting": meeting["id"], "start": new_start})),
        text_reply("首页改版讨论改到明天 16:00。"),
    )
    outcome = say(q, "张三", "把刚才那个会挪到明天四点")
    assert outcome.engine == "llm"
    assert stored_result(q, outcome.message_id)["route"]["reason"] == "消息引用了之前的内容"
    assert f"#{meeting['id']} 首页改版讨论" in server.requests[0]["messages"][0]["content"]
    with q.uow_factory() as uow:
        assert uow.meetings.get(meeting["id"]).start == datetime.fromisoformat(new_start)  # type: ignore[union-attr]


_LONG_OPINION = "我觉得首页那块要重新想想，要不 @小王 先出个方案，下周一之前吧，然后大家再一起过一下，具体时间再定，另外老李那边的接口文档也得尽快补齐，不然联调的时候又要返工，上次就是这样拖了一周，这次争取别再出现了，大家有什么想法也可以直接在群里说，我们周会上再统一过一遍优先级"


def test_unsure_rules_go_to_the_agent_and_fall_back_when_it_fails(
    settings: Settings, clock: FixedClock, server: ScriptedOpenAIServer
) -> None:
    # The rules' own reading is what falls back here (the learned gate would veto it: below).
    settings.understanding.learned = False
    q, _ = make_app(settings, clock, server, "hybrid")
    server.default = Fault(502)
    text = _LONG_OPINION
    assert len(text) > 120
    outcome = say(q, "张三", text)
    assert outcome.engine == "rules-fallback"
    result = stored_result(q, outcome.message_id)
    assert result["route"]["engine"] == "llm" and result["retry_llm"] is True
    assert len(server.requests) == 2
    assert [t.title for t in open_tasks(q)] == ["出个方案"]  # what the rules read, applied once
    q.close()


def test_a_vetoed_message_waits_for_the_agent_when_it_fails(
    hybrid: tuple[Qunmi, RecordingNotifier], server: ScriptedOpenAIServer
) -> None:
    # With the learned gate an opinion gives no fallback calls: nothing is applied, and the
    # message waits for the model instead of becoming a task the classifier doubts.
    q, _ = hybrid
    server.default = Fault(502)
    outcome = say(q, "张三", _LONG_OPINION)
    assert outcome.actions == [] and open_tasks(q) == []
    assert len(server.requests) == 2


def test_post_messages_goes_through_the_agent(
    hybrid: tuple[Qunmi, RecordingNotifier], server: ScriptedOpenAIServer
) -> None:
    q, notifier = hybrid
    server.push(
        tool_reply(
            call("create_task", {"title": "整理需求文档", "assignee": "李四", "priority": "high"})
        ),
        text_reply("已交给李四，高优先级。"),
    )
    with TestClient(create_app(q, start_worker=False)) as client:
        r = client.post(
            "/messages",
            json={"chat": "官网群", "sender": "张三", "text": "刚才讨论的需求文档老李抓紧整理一下"},
        )
        assert r.status_code == 200, r.text
        body = r.json()
        assert body["engine"] == "llm" and body["state"] == "done"
        assert body["actions"] == [
            {
                "tool": "create_task",
                "args": {"title": "整理需求文档", "assignee": "李四", "priority": "high"},
            }
        ]
        stored = client.get(f"/messages/{body['message_id']}").json()
        assert stored["result"]["llm"]["total_tokens"] == 150 + 162
        tasks = client.get("/tasks", params={"assignee": "老李"}).json()["items"]
    assert [(t["title"], t["priority"]) for t in tasks] == [("整理需求文档", "high")]
    assert notifier.sent[-1].text == "已交给李四，高优先级。"


def test_understand_is_a_dry_run(settings: Settings, server: ScriptedOpenAIServer) -> None:
    engine = build_engine(llm_settings(settings, server), "llm")
    assert isinstance(engine, AgentEngine)
    server.push(
        tool_reply(call("create_task", {"title": "出设计稿", "due": "周五"})),
        tool_reply(
            call(
                "create_task",
                {"title": "出设计稿", "assignee": "王磊", "due": "2026-11-27T18:00:00+08:00"},
            )
        ),
        text_reply("好"),
    )
    context = ChatContext(now=NOW, sender="张三", members={"王磊": ["小王"]})
    calls = engine.understand(IncomingMessage(text="小王周五前出设计稿", sender="张三"), context)
    assert [c.to_dict() for c in calls] == [
        {
            "tool": "create_task",
            "args": {"title": "出设计稿", "assignee": "王磊", "due": "2026-11-27T18:00:00+08:00"},
        }
    ]
    fed_back = json.loads(server.requests[1]["messages"][-1]["content"])
    assert fed_back["ok"] is False and "截止时间" in fed_back["error"]["reason"]
    assert json.loads(server.requests[2]["messages"][-1]["content"])["note"].startswith("参数有效")
    assert engine.last_route == "llm" and engine.last_usage is not None
    assert engine.last_usage["turns"] == 3 and engine.last_usage["total_tokens"] == 150 * 2 + 162


def test_hybrid_understand_and_default_engine_choice(
    settings: Settings, server: ScriptedOpenAIServer
) -> None:
    s = llm_settings(settings, server).model_copy(update={"engine": None})
    assert s.resolved_engine == "hybrid"
    engine = build_engine(s)
    assert isinstance(engine, HybridEngine)
    context = ChatContext(now=NOW, sender="张三", members={"王磊": ["小王"]})
    calls = engine.understand(
        IncomingMessage(text="@小王 周五前把登录页设计稿出了", sender="张三"), context
    )
    assert [c.tool for c in calls] == ["create_task"] and engine.last_route == "rules"
    assert server.requests == []


@pytest.fixture
def cli_env(tmp_path: Path, monkeypatch: pytest.MonkeyPatch, server: ScriptedOpenAIServer) -> None:
    monkeypatch.chdir(tmp_path)
    monkeypatch.setenv("QUNMI_DATA_DIR", str(tmp_path / "data"))
    monkeypatch.delenv("QUNMI_DATABASE_URL", raising=False)
    monkeypatch.setenv("QUNMI_ENGINE", "llm")
    monkeypatch.setenv("QUNMI_LLM__BASE_URL", server.base_url)
    monkeypatch.setenv("QUNMI_LLM__MODEL", "scripted-1")
    monkeypatch.setenv("QUNMI_LLM__TIMEOUT_SECONDS", "2")


@pytest.mark.usefixtures("cli_env")
def test_qunmi_say_goes_through_the_agent(server: ScriptedOpenAIServer) -> None:
    from assistant.cli import app

    server.push(
        tool_reply(call("create_task", {"title": "写周报", "assignee": "我"})),
        text_reply("周报任务建好了。"),
    )
    result = CliRunner().invoke(app, ["say", "周报这周我来写", "--sender", "李四", "--json"])
    assert result.exit_code == 0, result.output
    outcome = json.loads(result.output)
    assert outcome["engine"] == "llm" and outcome["results"][0]["record"]["assignee"] == "李四"
    assert outcome["cards"][-1]["text"] == "周报任务建好了。"
    assert (
        server.headers[0]["authorization"] == "Bearer not-needed"
    )  # no key configured: none leaks


@pytest.mark.usefixtures("cli_env")
def test_qunmi_eval_parse_runs_against_the_endpoint(
    server: ScriptedOpenAIServer, tmp_path: Path
) -> None:
    from assistant.cli import app
    from evals.parse_eval import DEFAULT_CASES

    cases = tmp_path / "cases.jsonl"
    cases.write_text(
        "".join(DEFAULT_CASES.read_text(encoding="utf-8").splitlines(keepends=True)[:20]),
        encoding="utf-8",
    )
    result = CliRunner().invoke(app, ["eval", "parse", "--engine", "llm", "--cases", str(cases)])
    assert result.exit_code == 0, result.output
    assert "解析评测" in result.output and "延迟" in result.output
    assert len(server.requests) == 20  # every gold case went to the model, once
    assert all(r["tools"] and r["messages"][0]["role"] == "system" for r in server.requests)
