"""What a crash leaves behind, picked up again: a model that words its retry differently does not
create a second task and is told what was applied; a dead process's lease is taken over at once;
a caller waiting on a message another worker holds gets that worker's outcome."""

from __future__ import annotations

import subprocess
import sys
import threading
import time
from collections.abc import Iterator
from datetime import timedelta

import pytest

from assistant.bootstrap import Qunmi, bootstrap
from assistant.clock import FixedClock
from assistant.domain import ChatContext, IncomingMessage, MessageState, ToolCall, Worker
from assistant.engines.rules import RuleEngine
from assistant.services.inbox import Inbound
from assistant.settings import Settings
from tests.conftest import NOW
from tests.doubles import RecordingNotifier
from tests.integration.agent_harness import CHAT, FRIDAY_6PM, make_app, open_tasks
from tests.openai_server import ScriptedOpenAIServer, call, text_reply, tool_reply
from tools.executor import ActionRun, CallContext

TEXT = "登录页那个稿子辛苦小王周五前弄出来"


@pytest.fixture
def server() -> Iterator[ScriptedOpenAIServer]:
    s = ScriptedOpenAIServer().start()
    yield s
    s.stop()


def _interrupted_message(q: Qunmi, *, owner: str) -> int:
    """A message whose first run applied one task and then died holding the lease."""
    message, _ = q.inbox.receive(Inbound(channel="console", chat=CHAT, sender="张三", text=TEXT))
    assert message.id is not None
    with q.uow_factory() as uow:
        assert uow.messages.claim(message.id, NOW, NOW + timedelta(hours=1), owner=owner)
        uow.commit()
    first = q.executor.execute(
        ToolCall("create_task", {"title": "出登录页设计稿", "assignee": "小王", "due": FRIDAY_6PM}),
        CallContext(actor="张三", message_id=message.id, run=ActionRun()),
    )
    assert first.ok, first.error
    return message.id


def test_a_reworded_retry_after_a_crash_creates_nothing_twice(
    settings: Settings, clock: FixedClock, server: ScriptedOpenAIServer
) -> None:
    q, _ = make_app(settings, clock, server)
    try:
        message_id = _interrupted_message(q, owner="gone-host/1/dead0000")
        # The process that held it is gone (never seen again): taken over now, not in an hour.
        assert q.processor.recover(force=True) == 1
        assert q.processor.pending() == [message_id]
        server.push(
            tool_reply(
                call(
                    "create_task",
                    {"title": "完成登录页设计稿", "assignee": "王磊", "due": FRIDAY_6PM},
                )
            ),
            tool_reply(call("create_task", {"title": "登录页交互说明", "assignee": "王磊"})),
            text_reply("好的。"),
        )
        outcome = q.processor.process(message_id)
        assert outcome.state == MessageState.DONE, outcome
        titles = sorted(t.title for t in open_tasks(q))
        # The reworded call got the stored task back; a genuinely new one was still made.
        assert titles == ["出登录页设计稿", "登录页交互说明"]
        assert outcome.results[0].get("replayed") is True
        user = server.requests[0]["messages"][1]["content"]
        assert "已经生效" in user and "出登录页设计稿" in user
    finally:
        q.close()


def test_a_dead_local_process_is_recognised_by_its_pid(
    settings: Settings, clock: FixedClock
) -> None:
    q = bootstrap(settings, clock=clock, engine=RuleEngine(), notifier=RecordingNotifier())
    try:
        child = subprocess.Popen([sys.executable, "-c", "pass"])
        child.wait(10)
        me = q.processor.identity
        dead = f"{me.host}/{child.pid}/deadbeef"
        alive_elsewhere = "other-host/7/cafe0001"
        with q.uow_factory() as uow:
            uow.workers.beat(Worker(dead, me.host, child.pid, NOW, NOW))
            uow.workers.beat(Worker(alive_elsewhere, "other-host", 7, NOW, NOW))
            uow.commit()
        ids = []
        for owner in (dead, alive_elsewhere):
            message, _ = q.inbox.receive(
                Inbound(channel="console", chat="群", sender="张三", text=f"收到 {owner}")
            )
            assert message.id is not None
            with q.uow_factory() as uow:
                assert uow.messages.claim(message.id, NOW, NOW + timedelta(hours=1), owner=owner)
                uow.commit()
            ids.append(message.id)
        assert q.processor.recover(force=True) == 1
        assert q.processor.pending() == [ids[0]]  # the other host's process is still beating
        # Silent past the heartbeat timeout: dead too.
        with q.uow_factory() as uow:
            silent = Worker(alive_elsewhere, "other-host", 7, NOW, NOW - timedelta(minutes=5))
            uow.workers.beat(silent)
            uow.commit()
        assert q.processor.recover(force=True) == 1
        assert q.processor.pending() == ids
    finally:
        q.close()


class SlowRules:
    name = "slow-rules"

    def __init__(self, delay: float) -> None:
        self.delay = delay
        self.inner = RuleEngine()
        self.started = threading.Event()

    def understand(self, message: IncomingMessage, context: ChatContext) -> list[ToolCall]:
        self.started.set()
        time.sleep(self.delay)
        return self.inner.understand(message, context)


def test_waiting_for_a_message_another_worker_holds_gives_its_outcome(
    settings: Settings, clock: FixedClock
) -> None:
    engine = SlowRules(0.5)
    q = bootstrap(settings, clock=clock, engine=engine, notifier=RecordingNotifier())
    try:
        message, _ = q.inbox.receive(
            Inbound(
                channel="console", chat="群", sender="张三", text="@小王 周五前把登录页设计稿出了"
            )
        )
        assert message.id is not None
        worker = threading.Thread(target=q.processor.process, args=(message.id,))
        worker.start()
        assert engine.started.wait(10)
        # Before: "duplicate, no actions" while the worker was still at it.
        outcome = q.processor.process(message.id, wait_seconds=10)
        worker.join(10)
        assert outcome.state == MessageState.DONE
        assert [a["tool"] for a in outcome.actions] == ["create_task"]
    finally:
        q.close()
