"""Authentication: per-person tokens decide who acts; the shared QUNMI_API_TOKEN only bootstraps
tokens; with no token at all, only this machine may use the API (local mode)."""

from __future__ import annotations

from collections.abc import Iterator
from datetime import timedelta

import pytest
from fastapi.testclient import TestClient
from pydantic import SecretStr

from api.app import create_app
from assistant.bootstrap import Qunmi, bootstrap
from assistant.clock import FixedClock
from assistant.engines.rules import RuleEngine
from assistant.identity import hash_secret
from assistant.settings import Settings
from tests.conftest import NOW

TOKEN = "s3cret-token"


@pytest.fixture
def world(settings: Settings, clock: FixedClock) -> Iterator[tuple[TestClient, Qunmi]]:
    guarded = settings.model_copy(update={"api_token": SecretStr(TOKEN)})
    q = bootstrap(guarded, clock=clock, engine=RuleEngine())
    with TestClient(create_app(q, start_worker=False, seed_demo=True)) as c:
        yield c, q
    q.close()


def _bearer(secret: str) -> dict[str, str]:
    return {"Authorization": f"Bearer {secret}"}


def _token_for(client: TestClient, member: str, scopes: list[str] | None = None) -> str:
    body: dict[str, object] = {"member": member}
    if scopes is not None:
        body["scopes"] = scopes
    r = client.post("/tokens", json=body, headers=_bearer(TOKEN))
    assert r.status_code == 201, r.text
    secret = r.json()["token"]
    assert isinstance(secret, str) and secret.startswith("qm_")
    return secret


def test_rest_routes_need_a_credential(world: tuple[TestClient, Qunmi]) -> None:
    client, _ = world
    for method, path in (
        ("get", "/tasks"),
        ("get", "/members"),
        ("post", "/messages"),
        ("get", "/audit"),
        ("get", "/tokens"),
    ):
        r = client.request(method, path, json={"chat": "g", "sender": "a", "text": "hi"})
        assert r.status_code == 401 and "令牌" in r.json()["reason"], path
    assert client.get("/tasks", headers=_bearer("wrong")).status_code == 401


def test_shared_token_only_bootstraps_tokens(world: tuple[TestClient, Qunmi]) -> None:
    """Before: whoever held QUNMI_API_TOKEN acted as anyone. Now it manages tokens only."""
    client, _ = world
    for method, path, body in (
        ("post", "/messages", {"chat": "g", "sender": "陈静", "text": "hi"}),
        ("post", "/tasks", {"actor": "陈静", "title": "x"}),
        ("post", "/members", {"display_name": "新管理员", "role": "admin"}),
        ("get", "/tasks", None),
    ):
        r = client.request(method, path, json=body, headers=_bearer(TOKEN))
        assert r.status_code == 403 and "QUNMI_API_TOKEN" in r.json()["reason"], path
    assert client.get("/members", headers=_bearer(TOKEN)).status_code == 200
    assert client.get("/auth/me", headers=_bearer(TOKEN)).json()["kind"] == "bootstrap"


def test_token_decides_the_actor_and_a_spoofed_actor_is_refused(
    world: tuple[TestClient, Qunmi],
) -> None:
    """Regression: POST /tools/add_member with actor 陈静 from 李四's credential."""
    client, q = world
    lisi = _token_for(client, "李四")
    for path, body in (
        ("/tools/add_member", {"actor": "陈静", "args": {"member": "陈静", "role": "member"}}),
        ("/tasks", {"actor": "陈静", "title": "冒名任务"}),
        ("/messages", {"chat": "官网改版群", "sender": "陈静", "text": "@小王 今天交"}),
    ):
        r = client.post(path, json=body, headers=_bearer(lisi))
        assert r.status_code == 403, (path, r.text)
        assert "登录身份" in r.json()["reason"] and "李四" in r.json()["reason"]
    # Without an actor (or with their own name) the call runs as 李四.
    r = client.post("/tasks", json={"title": "整理需求"}, headers=_bearer(lisi))
    assert r.status_code == 201, r.text
    assert r.json()["creator"] == "李四"
    r = client.post("/tasks", json={"actor": "老李", "title": "约客户周会"}, headers=_bearer(lisi))
    assert r.status_code == 201 and r.json()["creator"] == "李四"
    with q.uow_factory() as uow:
        chenjing = uow.members.by_display_name("陈静")
        assert chenjing is not None and chenjing.role.value == "admin"
        assert all(t.title != "冒名任务" for t in uow.tasks.list(filters={}, limit=100).items)


def test_token_holder_cannot_create_an_admin(world: tuple[TestClient, Qunmi]) -> None:
    """Regression: POST /members with role admin was open to anyone holding the API token."""
    client, q = world
    lisi = _token_for(client, "李四")
    r = client.post(
        "/members", json={"display_name": "内鬼", "role": "admin"}, headers=_bearer(lisi)
    )
    assert r.status_code == 403 and "管理员" in r.json()["reason"]
    with q.uow_factory() as uow:
        lisi_id = uow.members.by_display_name("李四").id  # type: ignore[union-attr]
        assert uow.members.by_display_name("内鬼") is None
    r = client.patch(f"/members/{lisi_id}", json={"role": "admin"}, headers=_bearer(lisi))
    assert r.status_code == 403
    # Nor can a member hand themselves an admin token.
    r = client.post("/tokens", json={"member": "李四", "scopes": ["admin"]}, headers=_bearer(lisi))
    assert r.status_code == 403
    chen = _token_for(client, "陈静", ["read", "write", "admin"])
    r = client.post(
        "/members", json={"display_name": "新人", "role": "member"}, headers=_bearer(chen)
    )
    assert r.status_code == 201
    r = client.post("/tokens", json={"member": "李四", "scopes": ["admin"]}, headers=_bearer(chen))
    assert r.status_code == 403 and "不是管理员" in r.json()["reason"]


def test_scopes_revocation_and_expiry(world: tuple[TestClient, Qunmi], clock: FixedClock) -> None:
    client, q = world
    reader = _token_for(client, "王磊", ["read"])
    assert client.get("/tasks", headers=_bearer(reader)).status_code == 200
    r = client.post("/tasks", json={"title": "x"}, headers=_bearer(reader))
    assert r.status_code == 403 and "write" in r.json()["reason"]
    writer = _token_for(client, "王磊")
    assert client.get("/tokens", headers=_bearer(writer)).status_code == 403
    listed = client.get("/tokens", headers=_bearer(TOKEN)).json()
    assert {t["member"] for t in listed} == {"王磊"} and all("token" not in t for t in listed)
    # Only the hash is stored.
    with q.uow_factory() as uow:
        stored = uow.identities.tokens()
    assert all(t.token_hash != writer and len(t.token_hash) == 64 for t in stored)
    assert any(t.token_hash == hash_secret(writer) for t in stored)
    writer_id = next(t["id"] for t in listed if t["scopes"] == ["read", "write"])
    r = client.post(f"/tokens/{writer_id}/revoke", headers=_bearer(TOKEN))
    assert r.status_code == 200 and r.json()["active"] is False
    assert client.get("/tasks", headers=_bearer(writer)).status_code == 401
    expiring = client.post(
        "/tokens",
        json={"member": "王磊", "expires_at": (NOW + timedelta(hours=1)).isoformat()},
        headers=_bearer(TOKEN),
    ).json()["token"]
    assert client.get("/tasks", headers=_bearer(expiring)).status_code == 200
    clock.advance(timedelta(hours=2))
    assert client.get("/tasks", headers=_bearer(expiring)).status_code == 401


def test_open_paths_stay_open(world: tuple[TestClient, Qunmi]) -> None:
    client, _ = world
    for path in ("/", "/health", "/openapi.json", "/static/app.js", "/auth/me"):
        assert client.get(path).status_code == 200, path
    r = client.get("/wecom/app", params={"echostr": "x"})
    assert r.status_code != 401


def test_local_mode_only_for_this_machine(settings: Settings, clock: FixedClock) -> None:
    """No tokens at all: the local operator may act; another address may not; the first token
    ends local mode."""
    q = bootstrap(settings, clock=clock, engine=RuleEngine())
    try:
        app = create_app(q, start_worker=False, seed_demo=True)
        with TestClient(app) as local:
            assert local.get("/auth/me").json()["kind"] == "local"
            r = local.post("/tasks", json={"title": "本机任务"})
            assert r.status_code == 201 and r.json()["creator"] == "陈静"  # the first admin
            with TestClient(app, client=("203.0.113.9", 4000)) as remote:
                r = remote.get("/tasks")
                assert r.status_code == 401 and "本机" in r.json()["reason"]
            r = local.post("/tokens", json={"member": "张三"})
            assert r.status_code == 201
            assert local.get("/tasks").status_code == 401
            assert local.get("/tasks", headers=_bearer(r.json()["token"])).status_code == 200
    finally:
        q.close()


def test_console_session_cookie(world: tuple[TestClient, Qunmi]) -> None:
    client, _ = world
    secret = _token_for(client, "张三")
    assert client.post("/auth/session", json={"token": "wrong"}).status_code == 403
    r = client.post("/auth/session", json={"token": secret})
    assert r.status_code == 200 and r.json()["display_name"] == "张三"
    cookie = r.headers["set-cookie"]
    assert (
        "qunmi_session=" in cookie and "HttpOnly" in cookie and "samesite=strict" in cookie.lower()
    )
    me = client.get("/auth/me").json()
    assert me["display_name"] == "张三" and me["kind"] == "session"
    r = client.post("/tasks", json={"title": "会话里建的"})
    assert r.status_code == 201 and r.json()["creator"] == "张三"
    assert client.delete("/auth/session").status_code == 200
    client.cookies.clear()
    assert client.get("/tasks").status_code == 401


def test_project_budgets_over_rest_follow_the_authenticated_reader(
    world: tuple[TestClient, Qunmi],
) -> None:
    """GET /projects shows budget and spent to admins and the project's PM (by project role),
    never to a plain member."""
    client, q = world
    with q.uow_factory() as uow:
        project = uow.projects.all()[0]
        project.budget, project.spent = 200000.0, 50000.0
        project.owner_id = None
        uow.projects.update(project)
        wang = uow.members.by_display_name("王磊")
        assert wang is not None and wang.id is not None and project.id is not None
        uow.projects.set_role(project.id, wang.id, "pm")  # PM of this project only
        uow.commit()

    def budget_seen(headers: dict[str, str]) -> bool:
        r = client.get("/projects", headers=headers)
        assert r.status_code == 200, r.text
        one = next(p for p in r.json()["items"] if p["id"] == project.id)
        r2 = client.get(f"/projects/{project.id}", headers=headers)
        assert r2.status_code == 200 and (r2.json().get("budget") is not None) == (
            one.get("budget") is not None
        )
        return one.get("budget") == 200000.0

    assert budget_seen(_bearer(_token_for(client, "陈静")))  # admin
    assert budget_seen(_bearer(_token_for(client, "王磊")))  # PM of this project
    assert not budget_seen(_bearer(_token_for(client, "李四")))  # member
    # The bootstrap credential is nobody: it reads no records at all.
    assert client.get("/projects", headers=_bearer(TOKEN)).status_code == 403
