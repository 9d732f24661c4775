"""The generic JSON webhook: HMAC-signed, fresh, deduplicated; anything else stores nothing."""

from __future__ import annotations

import json
from collections.abc import Iterator

import pytest
from fastapi.testclient import TestClient
from pydantic import SecretStr

from api.app import create_app
from api.routes.webhook import sign_webhook
from assistant.bootstrap import Qunmi, bootstrap
from assistant.clock import FixedClock
from assistant.engines.rules import RuleEngine
from assistant.services.worker import InProcessWorker
from assistant.settings import Settings
from tests.conftest import NOW

SECRET = "bridge-secret"


@pytest.fixture
def app(settings: Settings, clock: FixedClock) -> Iterator[tuple[TestClient, Qunmi]]:
    q = bootstrap(
        settings.model_copy(update={"webhook_secret": SecretStr(SECRET)}),
        clock=clock,
        engine=RuleEngine(),
    )
    with TestClient(create_app(q, start_worker=False, seed_demo=True)) as client:
        yield client, q
    q.close()


def _post(
    client: TestClient,
    body: dict[str, object],
    *,
    ts: int | None = None,
    secret: str = SECRET,
    raw: bytes | None = None,
) -> int:
    data = raw if raw is not None else json.dumps(body, ensure_ascii=False).encode()
    stamp = str(int(NOW.timestamp()) if ts is None else ts)
    headers = {
        "X-Qunmi-Timestamp": stamp,
        "X-Qunmi-Signature": sign_webhook(secret, stamp, data),
        "Content-Type": "application/json",
    }
    return client.post("/webhook", content=data, headers=headers).status_code


def test_signed_message_is_stored_once_and_processed(app: tuple[TestClient, Qunmi]) -> None:
    client, q = app
    body = {
        "id": "slack-1",
        "chat": "官网改版群",
        "sender": "张三",
        "text": "@小王 周五前把登录页设计稿出了",
        "source": "slack",
    }
    assert [_post(client, body) for _ in range(3)] == [202, 202, 202]
    assert InProcessWorker(q.processor).drain() == 1
    tasks = client.get("/tasks").json()["items"]
    assert [(t["title"], t["assignee"]) for t in tasks] == [("出登录页设计稿", "王磊")]
    assert client.get("/messages").json()["items"][0]["channel"] == "webhook:slack"


@pytest.mark.parametrize(
    "attack", ["wrong-secret", "stale", "bad-json", "extra-field", "too-big", "no-headers"]
)
def test_rejections_store_nothing(app: tuple[TestClient, Qunmi], attack: str) -> None:
    client, _ = app
    body: dict[str, object] = {"id": "x-1", "chat": "官网改版群", "sender": "张三", "text": "hi"}
    if attack == "wrong-secret":
        status = _post(client, body, secret="guess")
    elif attack == "stale":
        status = _post(client, body, ts=int(NOW.timestamp()) - 3600)
    elif attack == "bad-json":
        status = _post(client, body, raw=b"{not json")
    elif attack == "extra-field":
        status = _post(client, {**body, "admin": True})
    elif attack == "too-big":
        status = _post(client, {**body, "text": "长" * 30_000})
    else:
        status = client.post("/webhook", json=body).status_code
    assert 400 <= status < 500
    assert client.get("/messages").json()["total"] == 0
