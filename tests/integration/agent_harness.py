"""Shared wiring for the agent tests: the real stack (bootstrap, real database, the LangChain
adapter over HTTP) pointed at the scripted OpenAI-compatible server."""

from __future__ import annotations

import json
from datetime import datetime, timedelta
from typing import Any

from pydantic import SecretStr

from assistant.adapters.llm import LangChainChatModel
from assistant.bootstrap import Qunmi, bootstrap
from assistant.clock import FixedClock
from assistant.domain import Chat, Member, Role, ToolCall
from assistant.engines.factory import build_llm_engine
from assistant.services.inbox import Inbound, Outcome
from assistant.settings import LLMSettings, Settings
from tests.conftest import NOW
from tests.doubles import RecordingNotifier
from tests.openai_server import ScriptedOpenAIServer
from tools.executor import CallContext

KEY = "sk-test-secret-123"
CHAT = "官网群"
TOMORROW_3PM = (NOW + timedelta(days=1)).replace(hour=15).isoformat()
FRIDAY_6PM = datetime(2026, 11, 27, 18, 0, tzinfo=NOW.tzinfo).isoformat()


def llm_settings(settings: Settings, server: ScriptedOpenAIServer, engine: str = "llm") -> Settings:
    llm = LLMSettings(
        base_url=server.base_url,
        api_key=SecretStr(KEY),
        model="scripted-1",
        timeout_seconds=2.0,  # loopback, but the CI machine may be busy
        max_retries=1,
        max_turns=4,
    )
    return settings.model_copy(update={"engine": engine, "llm": llm})


def make_app(
    settings: Settings, clock: FixedClock, server: ScriptedOpenAIServer, engine: str = "llm"
) -> tuple[Qunmi, RecordingNotifier]:
    s = llm_settings(settings, server, engine)
    model = LangChainChatModel.from_settings(s.llm, backoff_seconds=0.01, max_backoff_seconds=0.05)
    notifier = RecordingNotifier()
    q = bootstrap(
        s, clock=clock, engine=build_llm_engine(s, engine, model=model), notifier=notifier
    )
    with q.uow_factory() as uow:
        ids = [
            uow.members.add(
                Member(display_name="张三", aliases=["老张"], role=Role.PM, created_at=NOW)
            ).id,
            uow.members.add(
                Member(display_name="王磊", aliases=["小王", "王工"], created_at=NOW)
            ).id,
            uow.members.add(Member(display_name="李四", aliases=["老李"], created_at=NOW)).id,
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
    return q, notifier


def say(q: Qunmi, sender: str, text: str) -> Outcome:
    message, _ = q.inbox.receive(Inbound(channel="console", chat=CHAT, sender=sender, text=text))
    assert message.id is not None
    return q.processor.process(message.id)


def stored_result(q: Qunmi, message_id: int) -> dict[str, Any]:
    with q.uow_factory() as uow:
        message = uow.messages.get(message_id)
    assert message is not None and message.result is not None
    return message.result


def execute(q: Qunmi, actor: str, tool: str, **args: Any) -> dict[str, Any]:
    result = q.executor.execute(ToolCall(tool, dict(args)), CallContext(actor=actor))
    assert result.ok, result.error
    assert result.record is not None
    return result.record


def tool_messages(request: dict[str, Any]) -> list[dict[str, Any]]:
    """The tool results a request carried back to the model, parsed."""
    return [json.loads(m["content"]) for m in request["messages"] if m["role"] == "tool"]


def open_tasks(q: Qunmi) -> list[Any]:
    with q.uow_factory() as uow:
        return uow.tasks.list(filters={"open": True}, limit=100).items
