"""Identities are namespaced by the channel that verified them; display names are labels."""

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
from assistant.identity import normalise_name
from assistant.services.identity import IdentityService
from assistant.services.inbox import Inbound
from assistant.settings import Settings
from tests.conftest import NOW

SECRET = "bridge-secret"


@pytest.fixture
def world(settings: Settings, clock: FixedClock) -> Iterator[tuple[TestClient, Qunmi]]:
    q = bootstrap(
        settings.model_copy(update={"webhook_secret": SecretStr(SECRET)}),
        clock=clock,
        engine=RuleEngine(),
    )
    with TestClient(create_app(q, start_worker=False, seed_demo=True)) as client:
        yield client, q
    q.close()


def _webhook(client: TestClient, body: dict[str, object]) -> int:
    data = json.dumps(body, ensure_ascii=False).encode()
    stamp = str(int(NOW.timestamp()))
    headers = {
        "X-Qunmi-Timestamp": stamp,
        "X-Qunmi-Signature": sign_webhook(SECRET, stamp, data),
        "Content-Type": "application/json",
    }
    return client.post("/webhook", content=data, headers=headers).status_code


def test_rest_cannot_write_wecom_or_webhook_messages(world: tuple[TestClient, Qunmi]) -> None:
    """Regression: POST /messages with channel wecom and external_id app:X pre-claimed the
    genuine WeCom message, which was then dropped as a duplicate."""
    client, q = world
    for channel in ("wecom", "wecom-bot", "webhook:slack", "robot"):
        r = client.post(
            "/messages",
            json={
                "channel": channel,
                "external_id": "app:X",
                "chat": "官网改版群",
                "sender": "张三",
                "text": "hi",
            },
        )
        assert r.status_code == 403, (channel, r.text)
        assert channel in r.json()["reason"] and "回调" in r.json()["reason"]
    with q.uow_factory() as uow:
        assert uow.messages.by_external("wecom", "app:X") is None
    # The genuine WeCom message with that id is therefore stored as new.
    message, is_new = q.inbox.receive(
        Inbound(channel="wecom", chat="chat:G1", sender="zhangsan", text="hi", external_id="app:X")
    )
    assert is_new and message.channel == "wecom"


def test_webhook_chat_one_is_not_console_chat_one(world: tuple[TestClient, Qunmi]) -> None:
    """Regression: a bridge message for chat "1" landed in console chat 1 and its sender
    joined that chat."""
    client, q = world
    with q.uow_factory() as uow:
        console_chat = uow.chats.get(1)
        assert console_chat is not None and console_chat.channel == "console"
        before = list(console_chat.member_ids)
    assert _webhook(client, {"id": "m1", "chat": "1", "sender": "u-77", "text": "你好"}) == 202
    with q.uow_factory() as uow:
        msg = uow.messages.by_external("webhook:bridge", "m1")
        assert msg is not None and msg.chat_id != 1
        chat = uow.chats.get(msg.chat_id)  # type: ignore[arg-type]
        assert chat is not None and chat.channel == "webhook:bridge" and chat.external_id == "1"
        assert uow.chats.get(1).member_ids == before  # type: ignore[union-attr]
    # A first-party client may still name its chat by id.
    r = client.post("/messages", json={"chat": "1", "sender": "张三", "text": "收到"})
    assert r.status_code == 200
    with q.uow_factory() as uow:
        latest = uow.messages.list(filters={}, limit=1, order="-id").items[0]
    assert latest.chat_id == 1


def test_webhook_sender_named_like_the_admin_is_not_the_admin(
    world: tuple[TestClient, Qunmi],
) -> None:
    """Regression: a webhook sender named "陈静" was matched to the admin 陈静 by name."""
    client, q = world
    for n, sender in enumerate(("陈静", "陈\u200b静", "\u202e陈静")):
        body: dict[str, object] = {
            "id": f"imp-{n}",
            "chat": "外部群",
            "sender": sender,
            "text": "把李四设为管理员",
        }
        assert _webhook(client, body) == 202
    with q.uow_factory() as uow:
        admin = uow.members.by_display_name("陈静")
        assert admin is not None and admin.role.value == "admin"
        senders = {
            uow.messages.by_external("webhook:bridge", f"imp-{n}").sender_id  # type: ignore[union-attr]
            for n in range(3)
        }
        assert admin.id not in senders
        people = [uow.members.get(s) for s in senders if s is not None]
        # Each bridge sender id is its own identity; none took the admin's name.
        assert len(senders) == 3
        assert all(p is not None and p.role.value == "member" for p in people)
        assert all(normalise_name(p.display_name) != "陈静" for p in people if p)
        # The same bridge sender id again is the same member (identity, not name).
    assert (
        _webhook(client, {"id": "imp-again", "chat": "外部群", "sender": "陈静", "text": "在吗"})
        == 202
    )
    with q.uow_factory() as uow:
        again = uow.messages.by_external("webhook:bridge", "imp-again")
        first = uow.messages.by_external("webhook:bridge", "imp-0")
        assert again is not None and first is not None and again.sender_id == first.sender_id
        assert uow.identities.member_for("webhook:bridge", "陈静") == first.sender_id
    # Another bridge source is another namespace.
    assert (
        _webhook(
            client,
            {"id": "s-1", "chat": "外部群", "sender": "陈静", "text": "hi", "source": "slack"},
        )
        == 202
    )
    with q.uow_factory() as uow:
        other = uow.messages.by_external("webhook:slack", "s-1")
        assert other is not None and other.sender_id not in (first.sender_id, admin.id)


def test_lookalike_member_names_are_refused(world: tuple[TestClient, Qunmi]) -> None:
    client, q = world
    for name in ("陈\u200b静", "\u202e陈静", "陈静\u2060", "ｃｈｅｎ", "Chen"):
        r = client.post("/members", json={"display_name": name})
        if name == "ｃｈｅｎ":
            assert r.status_code == 201, r.text  # NFKC: stored as "chen"
            assert r.json()["display_name"] == "chen"
            continue
        assert r.status_code == 409, (name, r.text)
        assert "看起来一样" in r.json()["reason"]
    r = client.post("/members", json={"display_name": "\u200b\u200f"})
    assert r.status_code == 422 and "不可见" in r.json()["reason"]
    with q.uow_factory() as uow:
        wang = uow.members.by_display_name("王磊")
    assert wang is not None
    r = client.patch(f"/members/{wang.id}", json={"aliases": ["陈\ufeff经理"]})
    assert r.status_code == 409


def test_wecom_sender_is_resolved_by_userid_not_by_name(world: tuple[TestClient, Qunmi]) -> None:
    """A WeCom userid equal to a member's display name is not that member."""
    _, q = world
    message, _ = q.inbox.receive(
        Inbound(channel="wecom", chat="chat:G2", sender="陈静", text="hi", external_id="app:1")
    )
    with q.uow_factory() as uow:
        admin = uow.members.by_display_name("陈静")
        sender = uow.members.get(message.sender_id)  # type: ignore[arg-type]
        assert admin is not None and sender is not None and sender.id != admin.id
        assert sender.wecom_userid == "陈静"
        assert uow.identities.member_for("wecom", "陈静") == sender.id


def test_same_external_id_from_another_member_is_a_conflict(
    settings: Settings, clock: FixedClock
) -> None:
    """Two authenticated clients cannot make each other's messages duplicates."""
    q = bootstrap(settings, clock=clock, engine=RuleEngine())
    try:
        with TestClient(create_app(q, start_worker=False, seed_demo=True)) as client:
            service = IdentityService(uow_factory=q.uow_factory, clock=q.clock)
            secrets = {name: service.create_token(member=name)[0] for name in ("张三", "李四")}
            body = {"chat": "1", "text": "hi", "external_id": "c-1"}
            r = client.post(
                "/messages",
                json={**body, "sender": "张三"},
                headers={"Authorization": f"Bearer {secrets['张三']}"},
            )
            assert r.status_code == 200
            r = client.post(
                "/messages",
                json={**body, "sender": "李四"},
                headers={"Authorization": f"Bearer {secrets['李四']}"},
            )
            assert r.status_code == 409 and "另一位成员" in r.json()["reason"]
    finally:
        q.close()


def test_login_link_goes_through_the_outbox_and_works_once(
    world: tuple[TestClient, Qunmi],
) -> None:
    client, q = world
    with q.uow_factory() as uow:
        zhang = uow.members.by_display_name("张三")
        assert zhang is not None
        zhang.wecom_userid = "zhangsan"
        uow.members.update(zhang)
        uow.commit()
    for who in ("张三", "无名氏", "李四"):  # unknown / unbound: the same answer
        r = client.post("/auth/link", json={"member": who})
        assert r.status_code == 202 and r.json()["queued"] is True
    with q.uow_factory() as uow:
        queued = [m for m in uow.outbox.list(filters={}, limit=50).items if m.kind == "login_link"]
        assert len(queued) == 1
        chat = uow.chats.get(queued[0].chat_id)  # type: ignore[arg-type]
        assert chat is not None and (chat.channel, chat.external_id) == ("wecom", "user:zhangsan")
        links = uow.identities.tokens()
    assert links == []  # no session yet
    secret = queued[0].text.rsplit("/auth/link/", 1)[1].strip()
    r = client.get(f"/auth/link/{secret}", follow_redirects=False)
    assert r.status_code == 303 and "qunmi_session=" in r.headers["set-cookie"]
    assert client.get("/auth/me").json()["display_name"] == "张三"
    client.cookies.clear()
    r = client.get(f"/auth/link/{secret}", follow_redirects=False)
    assert r.status_code == 403 and "用过" in r.json()["reason"]
    # The open link route cannot be used to flood someone's WeCom: 3 links an hour.
    for _ in range(5):
        assert client.post("/auth/link", json={"member": "张三"}).status_code == 202
    with q.uow_factory() as uow:
        sent = [m for m in uow.outbox.list(filters={}, limit=50).items if m.kind == "login_link"]
    assert len(sent) == 3
