"""“新建项目【XX】” in WeCom creates the project, its WeCom group (appchat/create against the
local fake of the WeCom API), invites the people and links the group; members follow the group."""

from __future__ import annotations

from collections.abc import Iterator
from dataclasses import dataclass

import pytest
from fastapi.testclient import TestClient

from api.app import create_app
from assistant.bootstrap import Qunmi, bootstrap
from assistant.clock import FixedClock
from assistant.engines.rules import RuleEngine
from assistant.services.worker import InProcessWorker
from assistant.settings import Settings
from tests.conftest import NOW
from tests.doubles import RecordingNotifier
from tests.integration.test_wecom_callbacks import wecom_settings
from tests.wecom_fakes import FakeWeComAPI, ScriptedWeCom, app_xml


@dataclass
class World:
    client: TestClient
    q: Qunmi
    api: FakeWeComAPI
    wecom: ScriptedWeCom

    def say(self, sender: str, text: str, msg_id: str, chat_id: str = "") -> None:
        fields = {"Content": text}
        if chat_id:
            fields["ChatId"] = chat_id
        xml = app_xml(
            sender=sender, msg_type="text", create_time=self.wecom.now, msg_id=msg_id, **fields
        )
        url, body = self.wecom.app_post(xml)
        assert self.client.post(url, content=body).status_code == 200
        InProcessWorker(self.q.processor).drain()


@pytest.fixture
def world(settings: Settings, clock: FixedClock) -> Iterator[World]:
    api = FakeWeComAPI()
    q = bootstrap(
        wecom_settings(settings),
        clock=clock,
        engine=RuleEngine(),
        notifier=RecordingNotifier(),
        wecom_transport=api.transport(),
    )
    with TestClient(create_app(q, start_worker=False)) as client:
        for body in (
            {"display_name": "陈静", "role": "admin", "wecom_userid": "chenjing"},
            {"display_name": "张三", "role": "pm", "wecom_userid": "zhangsan"},
            {"display_name": "王磊", "wecom_userid": "wanglei"},
        ):
            assert client.post("/members", json=body).status_code == 201
        yield World(client, q, api, ScriptedWeCom(now=int(NOW.timestamp())))
    q.close()


def test_new_project_in_wecom_creates_and_links_its_group(world: World) -> None:
    world.say("chenjing", "新建项目【小程序上线】，负责人张三，截止12月31日", "9001")
    with world.q.uow_factory() as uow:
        project = uow.projects.by_name("小程序上线")
        assert project is not None and project.id is not None
        zhang = uow.members.by_display_name("张三")
        assert zhang is not None and project.owner_id == zhang.id
        assert project.deadline is not None and project.deadline.month == 12
        planned = [
            c
            for c in uow.chats.list(filters={"project_id": project.id}, limit=10).items
            if c.channel == "wecom" and (c.external_id or "").startswith("chat:")
        ]
    assert len(planned) == 1 and planned[0].settings["wecom_create"] == "pending"
    assert world.api.appchats == {}  # nothing was sent from inside the transaction

    chats = world.q.extras["project_chats"]
    assert chats.sync() == 1
    assert chats.sync() == 0  # created once
    (chat_id, made), *_ = world.api.appchats.items()
    assert len(world.api.appchats) == 1
    assert made["name"] == "小程序上线" and made["owner"] == "zhangsan"
    assert set(made["userlist"]) == {"zhangsan", "chenjing"}  # the owner and who asked
    with world.q.uow_factory() as uow:
        linked = uow.chats.by_external("wecom", f"chat:{chat_id}")
        assert linked is not None and linked.project_id == project.id
        assert linked.settings["wecom_create"] == "created"

    # A person speaking in the group (WeCom verified they are in it) joins the project.
    world.say("wanglei", "收到，我来做登录页", "9002", chat_id=chat_id)
    with world.q.uow_factory() as uow:
        wang = uow.members.by_display_name("王磊")
        project = uow.projects.by_name("小程序上线")
        assert wang is not None and project is not None and wang.id in project.member_ids
        linked = uow.chats.by_external("wecom", f"chat:{chat_id}")
        assert linked is not None and wang.id in linked.member_ids


def test_group_roster_is_read_back_into_the_project(world: World) -> None:
    world.say("chenjing", "新建项目【数据看板】，负责人张三，截止12月20日", "9101")
    chats = world.q.extras["project_chats"]
    assert chats.sync() == 1
    chat_id = next(iter(world.api.appchats))
    world.api.appchats[chat_id]["userlist"].append("wanglei")  # added in WeCom itself
    with world.q.uow_factory() as uow:
        chat = uow.chats.by_external("wecom", f"chat:{chat_id}")
        assert chat is not None and chat.id is not None
    assert chats.follow_roster(chat.id) >= 1
    with world.q.uow_factory() as uow:
        project = uow.projects.by_name("数据看板")
        wang = uow.members.by_display_name("王磊")
        assert project is not None and wang is not None and wang.id in project.member_ids


def test_a_project_with_one_wecom_user_waits_for_a_second(world: World) -> None:
    r = world.client.post("/projects", json={"name": "单人项目", "owner": "王磊"})
    assert r.status_code == 201, r.text
    chats = world.q.extras["project_chats"]
    # Created from the console by the local operator (first admin 陈静 acts): two people.
    assert chats.sync() == 1
    made = next(iter(world.api.appchats.values()))
    assert made["owner"] == "wanglei" and set(made["userlist"]) == {"wanglei", "chenjing"}
