"""The REST API over real HTTP semantics (TestClient) and real databases."""

from __future__ import annotations

from collections.abc import Iterator
from datetime import timedelta

import pytest
from fastapi.testclient import TestClient

from api.app import create_app
from assistant.bootstrap import bootstrap
from assistant.clock import FixedClock
from assistant.domain import ToolCall
from assistant.settings import Settings
from tests.conftest import NOW
from tests.doubles import RecordingNotifier, ScriptedEngine

TOMORROW_3PM = (NOW + timedelta(days=1)).replace(hour=15).isoformat()


@pytest.fixture
def engine() -> ScriptedEngine:
    return ScriptedEngine(
        {
            "@小王 周五前把登录页设计稿出了": [
                ToolCall(
                    "create_task",
                    {
                        "title": "出登录页设计稿",
                        "assignee": "王磊",
                        "due": "2026-11-27T18:00:00+08:00",
                    },
                )
            ],
            "明天下午3点开会讨论首页改版": [
                ToolCall(
                    "create_meeting",
                    {
                        "title": "首页改版讨论",
                        "start": TOMORROW_3PM,
                        "attendees": "all",
                        "agenda": ["首页改版"],
                    },
                )
            ],
            "登录页搞定了": [ToolCall("update_task", {"task": "登录页", "status": "done"})],
            "boom": RuntimeError("engine exploded"),
        }
    )


@pytest.fixture
def client(settings: Settings, clock: FixedClock, engine: ScriptedEngine) -> Iterator[TestClient]:
    q = bootstrap(settings, clock=clock, engine=engine, notifier=RecordingNotifier())
    app = create_app(q, start_worker=False)
    with TestClient(app) as c:
        yield c
    q.close()


def _team(client: TestClient) -> None:
    for body in (
        {"display_name": "张三", "aliases": ["老张"], "role": "pm"},
        {"display_name": "王磊", "aliases": ["小王"]},
        {"display_name": "李四", "aliases": ["老李"]},
    ):
        assert client.post("/members", json=body).status_code == 201


def test_team_setup_and_task_flow(client: TestClient) -> None:
    _team(client)
    assert (
        client.post("/members", json={"display_name": "王五", "aliases": ["小王"]}).status_code
        == 409
    )
    r = client.post(
        "/projects",
        json={"actor": "张三", "name": "官网改版", "owner": "老张", "members": ["小王", "老李"]},
    )
    assert r.status_code == 201, r.text
    r = client.post(
        "/tasks",
        json={
            "actor": "张三",
            "title": "出登录页设计稿",
            "assignee": "小王",
            "project": "官网改版",
            "due": "2026-11-27T18:00:00+08:00",
        },
    )
    assert r.status_code == 201, r.text
    task = r.json()
    assert task["assignee"] == "王磊" and task["status"] == "todo"
    r = client.patch(f"/tasks/{task['id']}", json={"actor": "王磊", "status": "in_progress"})
    assert r.status_code == 200 and r.json()["status"] == "in_progress"
    detail = client.get(f"/tasks/{task['id']}").json()
    assert [e["kind"] for e in detail["events"]] == ["created", "status"]
    listed = client.get("/tasks", params={"assignee": "小王", "open": True}).json()
    assert listed["total"] == 1 and listed["items"][0]["id"] == task["id"]
    audit = client.get("/audit").json()
    assert [a["tool"] for a in audit["items"]] == ["update_task", "create_task", "create_project"]
    undo = client.post(f"/audit/{audit['items'][0]['id']}/undo", json={"actor": "王磊"})
    assert undo.status_code == 200, undo.text
    assert client.get(f"/tasks/{task['id']}").json()["status"] == "todo"


def test_pagination_and_filters(client: TestClient) -> None:
    _team(client)
    for i in range(7):
        client.post("/tasks", json={"actor": "张三", "title": f"任务{i}", "assignee": "李四"})
    page = client.get("/tasks", params={"limit": 3, "offset": 3}).json()
    assert page["total"] == 7 and [t["title"] for t in page["items"]] == ["任务3", "任务4", "任务5"]
    assert client.get("/tasks", params={"limit": 0}).status_code == 422
    assert client.get("/tasks", params={"status": "weird"}).status_code == 422


@pytest.mark.parametrize(
    ("path", "body", "status", "needle"),
    [
        ("/tasks", {"actor": "张三", "title": "x", "assignee": "赵六"}, 404, "赵六"),
        ("/tasks", {"actor": "张三", "title": "x", "due": "next friday"}, 422, "due"),
        ("/tasks", {"actor": "张三", "title": 123}, 422, "title"),
        ("/tasks", {"actor": "无名氏", "title": "x"}, 404, "操作人"),
        ("/tasks", {"title": "x"}, 403, "actor"),  # local mode, no admin: name one
        ("/meetings", {"actor": "张三", "title": "复盘", "start": "2026-11-26 15:00"}, 422, "时区"),
        ("/tools/drop_all", {"actor": "张三", "args": {}}, 422, "drop_all"),
    ],
)
def test_bad_input_is_a_clear_4xx(
    client: TestClient, path: str, body: dict[str, object], status: int, needle: str
) -> None:
    _team(client)
    r = client.post(path, json=body)
    assert r.status_code == status, r.text
    payload = r.json()
    assert payload["code"] and needle in (payload["reason"] + str(payload.get("details", "")))
    assert client.get("/tasks").json()["total"] == 0


def test_ambiguous_reference_is_409_with_candidates(client: TestClient) -> None:
    _team(client)
    client.post("/tasks", json={"actor": "张三", "title": "登录页设计稿", "assignee": "王磊"})
    client.post("/tasks", json={"actor": "张三", "title": "登录页联调", "assignee": "李四"})
    r = client.post(
        "/tools/update_task", json={"actor": "张三", "args": {"task": "登录页", "status": "done"}}
    )
    assert r.status_code == 409
    assert len(r.json()["details"]["candidates"]) == 2


def test_malformed_and_oversized_bodies(client: TestClient) -> None:
    r = client.post("/tasks", content=b"{not json", headers={"content-type": "application/json"})
    assert r.status_code == 422 and "JSON" in r.json()["reason"]
    big = "字" * (1024 * 1024)
    r = client.post("/messages", json={"chat": "g", "sender": "张三", "text": big})
    assert r.status_code == 413
    r = client.post("/messages", json={"chat": "g", "sender": "张三", "text": "字" * 30_000})
    assert r.status_code == 422 and "太长" in r.json()["reason"]
    assert client.get("/messages").json()["total"] == 0


def test_messages_end_to_end_and_redelivery(client: TestClient) -> None:
    _team(client)
    body = {
        "chat": "官网群",
        "sender": "张三",
        "text": "@小王 周五前把登录页设计稿出了",
        "external_id": "m-1",
    }
    first = client.post("/messages", json=body)
    assert first.status_code == 200, first.text
    out = first.json()
    assert out["state"] == "done" and out["results"][0]["ok"]
    assert "出登录页设计稿" in out["cards"][0]["text"] and "王磊" in out["cards"][0]["text"]
    for _ in range(3):
        again = client.post("/messages", json=body).json()
        assert again["duplicate"] and again["state"] == "done"
    assert client.get("/tasks").json()["total"] == 1
    meeting = client.post(
        "/messages",
        json={"chat": "官网群", "sender": "张三", "text": "明天下午3点开会讨论首页改版"},
    ).json()
    assert meeting["results"][0]["record"]["start"] == "2026-11-26T15:00:00+08:00"
    done = client.post(
        "/messages", json={"chat": "官网群", "sender": "王磊", "text": "登录页搞定了"}
    ).json()
    assert done["results"][0]["record"]["status"] == "done"
    undo = client.post(
        "/messages", json={"chat": "官网群", "sender": "王磊", "text": "撤销"}
    ).json()
    assert undo["results"][0]["ok"] and "撤销" in undo["cards"][0]["text"]
    assert client.get("/tasks").json()["items"][0]["status"] == "todo"


def test_engine_failure_is_kept_and_replayable(client: TestClient, engine: ScriptedEngine) -> None:
    r = client.post("/messages", json={"chat": "g", "sender": "张三", "text": "boom"}).json()
    assert r["state"] == "failed" and "exploded" in r["error"]
    stored = client.get(f"/messages/{r['message_id']}").json()
    assert stored["state"] == "failed" and stored["attempts"] == 1
    engine.script["boom"] = []
    replayed = client.post(f"/messages/{r['message_id']}/replay").json()
    assert replayed["state"] == "done"


def test_openapi_and_tools_listing(client: TestClient) -> None:
    spec = client.get("/openapi.json").json()
    assert "/messages" in spec["paths"] and "/tasks/{task_id}" in spec["paths"]
    tools = client.get("/tools").json()["tools"]
    assert {t["function"]["name"] for t in tools} >= {"create_task", "create_meeting", "query"}
