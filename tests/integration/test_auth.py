"""The optional API token: REST routes need it, channels and the console page do not."""

from __future__ import annotations

from collections.abc import Iterator

import pytest
from fastapi.testclient import TestClient
from pydantic import SecretStr

from api.app import create_app
from assistant.bootstrap import bootstrap
from assistant.clock import FixedClock
from assistant.settings import Settings
from tests.doubles import ScriptedEngine

TOKEN = "s3cret-token"


@pytest.fixture
def client(settings: Settings, clock: FixedClock) -> Iterator[TestClient]:
    guarded = settings.model_copy(update={"api_token": SecretStr(TOKEN)})
    q = bootstrap(guarded, clock=clock, engine=ScriptedEngine())
    with TestClient(create_app(q, start_worker=False, seed_demo=False)) as c:
        yield c
    q.close()


def test_rest_routes_need_the_token(client: TestClient) -> None:
    for method, path in (
        ("get", "/tasks"),
        ("get", "/members"),
        ("post", "/messages"),
        ("get", "/audit"),
    ):
        r = client.request(method, path, json={"chat": "g", "sender": "a", "text": "hi"})
        assert r.status_code == 401 and "令牌" in r.json()["reason"], path
    assert client.get("/tasks", headers={"Authorization": "Bearer wrong"}).status_code == 401
    ok = client.post(
        "/messages",
        json={"chat": "g", "sender": "张三", "text": "hi"},
        headers={"Authorization": f"Bearer {TOKEN}"},
    )
    assert ok.status_code == 200
    assert (
        client.get("/messages", headers={"Authorization": f"Bearer {TOKEN}"}).json()["total"] == 1
    )


def test_open_paths_stay_open(client: TestClient) -> None:
    for path in ("/", "/health", "/openapi.json", "/static/app.js"):
        assert client.get(path).status_code == 200, path
    # A channel authenticates with its own signature: without one it is refused by that check.
    r = client.get("/wecom/app", params={"echostr": "x"})
    assert r.status_code != 401
