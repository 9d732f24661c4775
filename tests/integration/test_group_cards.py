"""A card posted to the whole group for a PM's request carries only what every member of the
group may see; the PM gets the full version alone (their WeCom app chat, else their own console
chat), through the outbox. Real stack: rule engine or scripted LLM, real database, the WeCom
client against the local fake of the WeCom API."""

from __future__ import annotations

import json
from collections.abc import Iterator
from datetime import timedelta
from typing import Any

import pytest

from assistant.bootstrap import Qunmi, bootstrap
from assistant.clock import FixedClock
from assistant.domain import Chat, Member, Role, ToolCall
from assistant.services.inbox import Inbound, Outcome
from assistant.settings import Settings
from tests.conftest import NOW
from tests.integration.agent_harness import make_app
from tests.integration.test_identity_wecom_projects import World, world  # noqa: F401 - fixture
from tests.openai_server import ScriptedOpenAIServer, call, scripted_server, text_reply, tool_reply
from tools.executor import CallContext

CHAT = "官网改版群"
PROJECT = "官网改版"
BUDGET = 480000
FIGURES = ("48万", "48.0万", "480000", "480,000", "30万", "30.0万", "300000")


def _members(q: Qunmi, names: list[tuple[str, Role]]) -> list[int]:
    with q.uow_factory() as uow:
        ids = [uow.members.add(Member(display_name=n, role=r, created_at=NOW)).id for n, r in names]
        uow.commit()
    return [i for i in ids if i is not None]


def _chat(q: Qunmi, name: str, member_ids: list[int]) -> int:
    with q.uow_factory() as uow:
        chat = uow.chats.add(
            Chat(
                name=name,
                channel="console",
                external_id=name,
                member_ids=member_ids,
                created_at=NOW,
            )
        )
        uow.commit()
    assert chat.id is not None
    return chat.id


def _project(q: Qunmi, chat_id: int) -> None:
    """陈静 (admin) makes 官网改版 in the chat, owned by 张三 (so its PM), with a budget."""
    made = q.executor.execute(
        ToolCall(
            "create_project",
            {"name": PROJECT, "owner": "张三", "budget": BUDGET, "members": ["王磊"]},
        ),
        CallContext(actor="陈静", chat_id=chat_id),
    )
    assert made.ok, made.error
    spent = q.executor.execute(
        ToolCall("update_project", {"project": PROJECT, "spent": 300000}),
        CallContext(actor="陈静", chat_id=chat_id),
    )
    assert spent.ok, spent.error


@pytest.fixture
def rules(settings: Settings, clock: FixedClock) -> Iterator[Qunmi]:
    q = bootstrap(settings, clock=clock)
    ids = _members(q, [("陈静", Role.ADMIN), ("张三", Role.MEMBER), ("王磊", Role.MEMBER)])
    _project(q, _chat(q, CHAT, ids))
    yield q
    q.close()


def _say(q: Qunmi, sender: str, text: str, chat: str = CHAT) -> Outcome:
    message, _ = q.inbox.receive(Inbound(channel="console", chat=chat, sender=sender, text=text))
    assert message.id is not None
    return q.processor.process(message.id)


def _outbox(q: Qunmi) -> list[Any]:
    with q.uow_factory() as uow:
        return uow.outbox.list(filters={}, limit=200, order="id").items


def _group_texts(q: Qunmi, chat: str = CHAT) -> str:
    return "\n".join(m.text for m in _outbox(q) if m.chat_name == chat)


def _private_texts(q: Qunmi, name: str) -> str:
    return "\n".join(m.text for m in _outbox(q) if m.chat_name == f"私信·{name}")


def _no_figures(text: str) -> bool:
    return not any(f in text for f in FIGURES)


@pytest.mark.parametrize("text", ["出一下周报", "把预算发我看看"])
def test_a_pms_request_in_the_group_leaves_the_budget_to_the_pm_alone(
    rules: Qunmi, text: str
) -> None:
    outcome = _say(rules, "张三", text)
    assert outcome.results and outcome.results[0]["ok"], outcome.results
    group = _group_texts(rules)
    assert (
        group and _no_figures(group) and _no_figures(json.dumps(outcome.cards, ensure_ascii=False))
    )
    assert "完整内容已单独发给 张三" in group
    private = _private_texts(rules, "张三")
    assert not _no_figures(private)  # the PM's full version, in their own chat
    with rules.uow_factory() as uow:
        own = [c for c in uow.chats.list(filters={}, limit=50).items if c.name == "私信·张三"]
        zhang = uow.members.by_display_name("张三")
    assert len(own) == 1 and zhang is not None and own[0].member_ids == [zhang.id]


def test_a_digest_the_pm_asks_for_leaves_the_figures_out_of_the_group(
    rules: Qunmi, clock: FixedClock
) -> None:
    for sender, text in (
        ("张三", "登录页改版这周五上线"),
        ("陈静", "官网改版预算再追加20万元，总共68万元"),
        ("王磊", "收到，我周四前把接口联调做完"),
    ):
        _say(rules, sender, text)
        clock.advance(timedelta(minutes=5))
    asked = _say(rules, "张三", "总结一下今天聊了什么")
    assert asked.results and asked.results[0]["ok"], asked.results
    group = "\n".join(
        m.text for m in _outbox(rules) if m.message_id == asked.message_id and m.chat_name == CHAT
    )
    assert "登录页" in group  # the digest itself is there
    assert "20万" not in group and "68万" not in group and "单独发给 张三" in group
    private = _private_texts(rules, "张三")
    assert "68万" in private or "20万" in private
    # Nothing else in the group gave the figures away either (the admin's own message aside).
    replies = "\n".join(m.text for m in _outbox(rules) if m.chat_name == CHAT)
    assert "68万" not in replies and "20万" not in replies


def test_a_members_request_carries_no_budget_and_nothing_goes_privately(rules: Qunmi) -> None:
    _say(rules, "王磊", "出一下周报")
    assert _no_figures(_group_texts(rules)) and not _private_texts(rules, "王磊")
    assert "单独发给" not in _group_texts(rules)


def test_a_chat_of_managers_only_gets_the_full_card(rules: Qunmi) -> None:
    with rules.uow_factory() as uow:
        ids = [m.id for m in uow.members.all() if m.display_name in ("陈静", "张三")]
        project = uow.projects.by_name(PROJECT)
    assert project is not None
    chat_id = _chat(rules, "管理群", [i for i in ids if i is not None])
    with rules.uow_factory() as uow:
        chat = uow.chats.get(chat_id)
        assert chat is not None
        chat.project_id = project.id
        uow.chats.update(chat)
        uow.commit()
    _say(rules, "张三", "把预算发我看看", chat="管理群")
    assert not _no_figures(_group_texts(rules, "管理群")) and not _private_texts(rules, "张三")


def test_the_pms_own_chat_gets_everything(rules: Qunmi) -> None:
    with rules.uow_factory() as uow:
        zhang = uow.members.by_display_name("张三")
        project = uow.projects.by_name(PROJECT)
    assert zhang is not None and zhang.id is not None and project is not None
    chat_id = _chat(rules, "张三自己", [zhang.id])
    with rules.uow_factory() as uow:
        chat = uow.chats.get(chat_id)
        assert chat is not None
        chat.project_id = project.id
        uow.chats.update(chat)
        uow.commit()
    _say(rules, "张三", "把预算发我看看", chat="张三自己")
    assert not _no_figures(_group_texts(rules, "张三自己"))


# -- the LLM: its own words about the budget stay out of the group ---------------------------
@pytest.fixture
def server() -> Iterator[ScriptedOpenAIServer]:
    with scripted_server(default=text_reply("好的。")) as s:
        yield s


def test_the_models_reply_with_figures_goes_to_the_pm_alone(
    settings: Settings, clock: FixedClock, server: ScriptedOpenAIServer
) -> None:
    q, _ = make_app(settings, clock, server, "llm")  # 张三 (team-wide PM), 王磊, 李四 in 官网群
    try:
        _members(q, [("陈静", Role.ADMIN)])
        with q.uow_factory() as uow:
            chat = uow.chats.list(filters={}, limit=1).items[0]
        assert chat.id is not None
        _project(q, chat.id)
        server.push(
            tool_reply(call("query", {"kind": "budget"})),
            text_reply("官网改版预算48万元，已花费30万元。还剩18万元。其余进展正常。"),
        )
        message, _ = q.inbox.receive(
            Inbound(channel="console", chat=chat.name, sender="张三", text="预算还剩多少")
        )
        assert message.id is not None
        outcome = q.processor.process(message.id)
        group = _group_texts(q, chat.name)
        assert _no_figures(group) and "18万" not in group
        assert "其余进展正常" in group and "单独发给 张三" in group
        assert _no_figures(json.dumps(outcome.cards, ensure_ascii=False))
        private = _private_texts(q, "张三")
        assert "48万" in private and "已花费30万元" in private
    finally:
        q.close()


# -- WeCom: the group by appchat/send, the PM by message/send to their userid ----------------
def test_in_wecom_the_pm_gets_the_budget_as_an_app_message(world: World) -> None:  # noqa: F811
    r = world.client.post("/projects", json={"name": PROJECT, "owner": "张三", "budget": BUDGET})
    assert r.status_code == 201, r.text
    world.say("wanglei", "大家好", "8001", chat_id="grp1")
    world.say("zhangsan", "官网改版的预算还剩多少", "8002", chat_id="grp1")
    to_group = [m for m in world.api.sent if m.get("chatid") == "grp1"]
    to_pm = [m for m in world.api.sent if m.get("touser") == "zhangsan"]
    group = json.dumps(to_group, ensure_ascii=False)
    assert to_group and _no_figures(group) and "单独发给 张三" in group
    assert to_pm and not _no_figures(json.dumps(to_pm, ensure_ascii=False))


def test_the_outbox_api_shows_nobody_else_the_pms_own_chat(
    settings: Settings, clock: FixedClock
) -> None:
    """GET /outbox: the PM's full version is theirs alone; sign-in links never show."""
    from fastapi.testclient import TestClient

    from api.app import create_app

    q = bootstrap(settings, clock=clock)
    try:
        ids = _members(q, [("陈静", Role.ADMIN), ("张三", Role.MEMBER), ("王磊", Role.MEMBER)])
        _project(q, _chat(q, CHAT, ids))
        _say(q, "张三", "把预算发我看看")
        with TestClient(create_app(q, start_worker=False)) as client:
            admin = client.post("/tokens", json={"member": "陈静", "scopes": ["read", "admin"]})
            assert admin.status_code == 201, admin.text  # local mode ends with this one
            as_admin = {"Authorization": f"Bearer {admin.json()['token']}"}
            tokens = {
                name: client.post("/tokens", json={"member": name}, headers=as_admin).json()[
                    "token"
                ]
                for name in ("张三", "王磊")
            }

            def seen(name: str) -> str:
                r = client.get("/outbox", headers={"Authorization": f"Bearer {tokens[name]}"})
                assert r.status_code == 200, r.text
                return json.dumps(r.json()["items"], ensure_ascii=False)

            assert not _no_figures(seen("张三"))
            assert _no_figures(seen("王磊")) and "单独发给 张三" in seen("王磊")
            with q.uow_factory() as uow:
                own = next(
                    c for c in uow.chats.list(filters={}, limit=50).items if c.name == "私信·张三"
                )
            r = client.get(
                "/outbox",
                params={"chat_id": own.id},
                headers={"Authorization": f"Bearer {tokens['王磊']}"},
            )
            assert r.status_code == 403 and "私聊" in r.json()["reason"]

            def chats_of(name: str) -> set[str]:
                r = client.get("/chats", headers={"Authorization": f"Bearer {tokens[name]}"})
                assert r.status_code == 200, r.text
                return {c["name"] for c in r.json()["items"]}

            assert "私信·张三" in chats_of("张三") and "私信·张三" not in chats_of("王磊")
            assert CHAT in chats_of("王磊")

            # The stored outcome of the PM's message: the figures only for the PM.
            def outcome_of(name: str) -> str:
                r = client.get("/messages", headers={"Authorization": f"Bearer {tokens[name]}"})
                assert r.status_code == 200, r.text
                return json.dumps([m["result"] for m in r.json()["items"]], ensure_ascii=False)

            assert not _no_figures(outcome_of("张三")) and _no_figures(outcome_of("王磊"))
            assert str(BUDGET) not in outcome_of("王磊")
    finally:
        q.close()
