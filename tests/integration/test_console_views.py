"""GET /board and GET /gantt, the console's read-only views, over TestClient and real databases."""

from __future__ import annotations

from collections.abc import Iterator
from datetime import timedelta

import pytest
from fastapi.testclient import TestClient

from api.app import create_app
from assistant.bootstrap import bootstrap
from assistant.clock import FixedClock
from assistant.settings import Settings
from tests.conftest import NOW
from tests.doubles import RecordingNotifier, ScriptedEngine


@pytest.fixture
def client(settings: Settings, clock: FixedClock) -> Iterator[TestClient]:
    q = bootstrap(settings, clock=clock, engine=ScriptedEngine({}), notifier=RecordingNotifier())
    app = create_app(q, start_worker=False, seed_demo=True)
    with TestClient(app) as c:
        yield c
    q.close()


def _task(client: TestClient, title: str, who: str, due: timedelta | None) -> int:
    body = {"actor": "张三", "title": title, "assignee": who, "project": "官网改版"}
    if due is not None:
        body["due"] = (NOW + due).isoformat()
    response = client.post("/tasks", json=body)
    assert response.status_code == 201, response.text
    return int(response.json()["id"])


def test_board_columns_and_flags(client: TestClient) -> None:
    late = _task(client, "写接口文档", "李四", timedelta(days=-1))
    soon = _task(client, "联调支付", "王磊", timedelta(hours=3))
    later = _task(client, "等设计确认", "王磊", timedelta(days=5))
    dropped = _task(client, "旧方案", "王磊", None)
    client.patch(f"/tasks/{later}", json={"actor": "王磊", "status": "blocked"})
    client.patch(f"/tasks/{dropped}", json={"actor": "张三", "status": "cancelled"})

    board = client.get("/board").json()
    assert [c["status"] for c in board["columns"]] == ["todo", "in_progress", "blocked", "done"]
    by_id = {t["id"]: (c["status"], t) for c in board["columns"] for t in c["tasks"]}
    assert dropped not in by_id
    assert by_id[late][1]["overdue"] and not by_id[late][1]["due_soon"]
    assert by_id[soon][1]["due_soon"] and not by_id[soon][1]["overdue"]
    assert by_id[later][0] == "blocked"
    assert board["overdue"] == 1
    assert board["now"] == NOW.isoformat()

    # Evaluated at another moment, the flags follow.
    future = (NOW + timedelta(days=2)).isoformat()
    again = client.get("/board", params={"now": future}).json()
    assert again["overdue"] == 2

    mine = client.get("/board", params={"assignee": "小王"}).json()
    assert {t["id"] for c in mine["columns"] for t in c["tasks"]} == {soon, later}


def test_gantt_spans_and_milestones(client: TestClient) -> None:
    late = _task(client, "写接口文档", "李四", timedelta(days=-1))
    open_ = _task(client, "联调支付", "王磊", None)
    milestone = {"title": "提测", "due": (NOW + timedelta(days=7)).isoformat()}
    made = client.post(
        "/tools/create_milestone",
        json={"actor": "张三", "args": {**milestone, "project": "官网改版"}},
    )
    assert made.status_code == 200, made.text
    gantt = client.get("/gantt", params={"project_id": 1}).json()
    assert gantt["project"]["name"] == "官网改版" and "budget" not in gantt["project"]
    spans = {t["id"]: t for t in gantt["tasks"]}
    assert spans[late]["start"] <= spans[late]["end"] and spans[late]["overdue"]
    assert spans[open_]["end"] > spans[open_]["start"]  # no due date: one day wide
    assert [m["title"] for m in gantt["milestones"]] == ["提测"]
    assert gantt["milestones"][0]["overdue"] is False


@pytest.mark.parametrize(
    ("path", "params", "code", "words"),
    [
        ("/board", {"now": "2026-11-25T10:00:00"}, 422, "时区"),
        ("/gantt", {"now": "2026-11-25T10:00:00"}, 422, "时区"),
        ("/gantt", {"project_id": 999}, 404, "不存在"),
        ("/board", {"assignee": "没这个人"}, 404, "找不到成员"),
        ("/board", {"project_id": 0}, 422, ""),
    ],
)
def test_bad_input_is_a_clear_4xx(
    client: TestClient, path: str, params: dict[str, str | int], code: int, words: str
) -> None:
    response = client.get(path, params=params)
    assert response.status_code == code, response.text
    assert words in response.text


def test_calendar_lists_each_occurrence_and_leaves_cancelled_out(client: TestClient) -> None:
    def meeting(title: str, days: int, **extra: object) -> int:
        start = (NOW + timedelta(days=days)).replace(hour=15).isoformat()
        body = {"actor": "张三", "title": title, "start": start, "duration_minutes": 30, **extra}
        response = client.post("/meetings", json=body)
        assert response.status_code == 201, response.text
        return int(response.json()["id"])

    weekly = meeting("周会", 0, recurrence="FREQ=WEEKLY")
    once = meeting("评审", 2)
    dropped = meeting("旧会", 3)
    client.post(f"/meetings/{dropped}/cancel", json={"actor": "张三"})
    since = NOW.replace(hour=0).isoformat()
    until = (NOW.replace(hour=0) + timedelta(days=15)).isoformat()
    items = client.get("/calendar", params={"since": since, "until": until}).json()["items"]
    assert [(m["id"], m["start"][:10]) for m in items] == [
        (weekly, "2026-11-25"),
        (once, "2026-11-27"),
        (weekly, "2026-12-02"),
        (weekly, "2026-12-09"),
    ]
    assert items[2]["end"][11:16] == "15:30"


@pytest.mark.parametrize(
    "params",
    [
        {"since": "2026-11-25T00:00:00", "until": "2026-11-26T00:00:00+08:00"},
        {"since": "2026-11-26T00:00:00+08:00", "until": "2026-11-25T00:00:00+08:00"},
        {"since": "2026-11-01T00:00:00+08:00", "until": "2027-03-01T00:00:00+08:00"},
    ],
)
def test_calendar_refuses_a_bad_range(client: TestClient, params: dict[str, str]) -> None:
    response = client.get("/calendar", params=params)
    assert response.status_code == 422, response.text
    assert "since" in response.json()["reason"] or "until" in response.json()["reason"]
