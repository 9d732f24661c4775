"""QUNMI_QUEUE=redis: the API enqueues, RQ workers process; one chat at a time, in order."""

from __future__ import annotations

import os
import threading
import time
import uuid
from collections.abc import Iterator

import pytest
from fastapi.testclient import TestClient
from redis import Redis

from api.app import create_app
from assistant.adapters.queue import (
    RedisDispatcher,
    process_message,
    run_worker,
    set_worker_context,
)
from assistant.bootstrap import bootstrap
from assistant.clock import FixedClock
from assistant.domain import ChatContext, IncomingMessage, ToolCall
from assistant.engines.rules import RuleEngine
from assistant.services.inbox import Inbound
from assistant.settings import Settings
from tests.conftest import IN_CI

REDIS_URL = os.environ.get("QUNMI_TEST_REDIS_URL", "redis://127.0.0.1:6379/0")

pytestmark = pytest.mark.redis


@pytest.fixture
def redis_prefix() -> Iterator[tuple[Redis, str]]:
    conn = Redis.from_url(REDIS_URL, socket_connect_timeout=2)
    try:
        conn.ping()
    except Exception as exc:  # noqa: BLE001 - any failure means "no Redis here"
        if IN_CI:
            pytest.fail(f"Redis is required in CI but not reachable at {REDIS_URL}: {exc}")
        pytest.skip(f"no Redis at {REDIS_URL} ({type(exc).__name__}); set QUNMI_TEST_REDIS_URL")
    prefix = f"qunmi-test-{uuid.uuid4().hex[:8]}"
    yield conn, prefix
    keys = list(conn.scan_iter(f"*{prefix}*"))
    if keys:
        conn.delete(*keys)
    conn.close()


class SlowEngine:
    """The rule engine, slowed down, recording overlap per chat and the order messages came in."""

    name = "slow-rules"

    def __init__(self, delay: float = 0.03) -> None:
        self.inner = RuleEngine()
        self.delay = delay
        self.lock = threading.Lock()
        self.active: dict[str | None, int] = {}
        self.max_active = 0
        self.order: list[tuple[str | None, int | None]] = []

    def understand(self, message: IncomingMessage, context: ChatContext) -> list[ToolCall]:
        with self.lock:
            self.active[message.chat] = self.active.get(message.chat, 0) + 1
            self.max_active = max(self.max_active, self.active[message.chat])
            self.order.append((message.chat, message.message_id))
        time.sleep(self.delay)
        with self.lock:
            self.active[message.chat] -= 1
        return self.inner.understand(message, context)


def _redis_settings(settings: Settings, prefix: str) -> Settings:
    return settings.model_copy(
        update={"queue": "redis", "redis_url": REDIS_URL, "redis_prefix": prefix}
    )


def test_api_enqueues_and_a_worker_processes_each_message_once(
    settings: Settings, clock: FixedClock, redis_prefix: tuple[Redis, str]
) -> None:
    redis, prefix = redis_prefix
    q = bootstrap(_redis_settings(settings, prefix), clock=clock, engine=RuleEngine())
    texts = [f"@小王 周五前把第{i}版登录页设计稿出了" for i in range(6)]
    with TestClient(create_app(q, seed_demo=True)) as client:
        dispatcher: RedisDispatcher = q.extras["worker"]
        for i, text in enumerate(texts):
            for _ in range(3):  # redelivered
                r = client.post(
                    "/messages",
                    params={"wait": "false"},
                    json={
                        "channel": "console",
                        "chat": "官网改版群",
                        "sender": "张三",
                        "text": text,
                        "external_id": f"m{i}",
                    },
                )
                assert r.status_code == 202
        deadline = time.monotonic() + 10
        while dispatcher.enqueued < len(texts) and time.monotonic() < deadline:
            time.sleep(0.05)
        assert dispatcher.enqueued == len(texts)
        run_worker(q, redis, prefix=prefix, burst=True)
        states = [m["state"] for m in client.get("/messages").json()["items"]]
        assert states == ["done"] * len(texts)
        tasks = client.get("/tasks", params={"limit": 100}).json()
        assert tasks["total"] == len(texts)
    q.close()


def test_two_workers_never_work_on_one_chat_at_once_and_keep_its_order(
    settings: Settings, clock: FixedClock, redis_prefix: tuple[Redis, str]
) -> None:
    redis, prefix = redis_prefix
    engine = SlowEngine()
    q = bootstrap(_redis_settings(settings, prefix), clock=clock, engine=engine)
    ids: dict[str, list[int]] = {"A群": [], "B群": []}
    for i in range(6):
        for chat in ids:
            message, _ = q.inbox.receive(
                Inbound(
                    channel="console",
                    chat=chat,
                    sender="张三",
                    text=f"第{i}条：收到",
                    external_id=f"{chat}-{i}",
                )
            )
            assert message.id is not None
            ids[chat].append(message.id)
    set_worker_context(q, redis, prefix=prefix)
    # Jobs arrive out of order and are split across two workers.
    jobs = sorted(ids["A群"] + ids["B群"], reverse=True)
    errors: list[BaseException] = []

    def worker(mine: list[int]) -> None:
        try:
            for mid in mine:
                process_message(mid)
        except BaseException as exc:  # noqa: BLE001 - surfaced by the assertion below
            errors.append(exc)

    threads = [threading.Thread(target=worker, args=(jobs[k::2],)) for k in range(2)]
    for t in threads:
        t.start()
    for t in threads:
        t.join(30)
    assert not errors
    assert engine.max_active == 1
    for chat, chat_ids in ids.items():
        assert [mid for c, mid in engine.order if c == chat] == chat_ids
    q.close()
