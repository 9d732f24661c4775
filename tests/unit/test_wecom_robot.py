"""The group robot sender: markdown cut at 4096 bytes on lines, mentions, refusals; its rate
limit and retries live in the outbox (tests/integration/test_outbox.py)."""

from __future__ import annotations

from datetime import timedelta

import pytest

from assistant.adapters.wecom.client import WeComClient
from assistant.adapters.wecom.robot import WeComRobotNotifier, split_markdown
from assistant.clock import FixedClock
from assistant.errors import ChannelError
from assistant.ports import OutgoingCard
from tests.conftest import NOW
from tests.wecom_fakes import AGENT_ID, CORP_ID, ROBOT_KEY, SECRET, FakeWeComAPI

BASE = "http://wecom.test"


def test_split_on_line_boundaries_within_the_byte_limit() -> None:
    lines = [f"第{i}行：登录页设计稿需要在周五前完成，负责人王磊。" for i in range(400)]
    text = "\n".join(lines)
    pieces = split_markdown(text, 4096)
    assert len(pieces) > 1
    assert all(len(p.encode()) <= 4096 for p in pieces)
    assert "\n".join(pieces) == text  # nothing lost, every cut between lines
    assert split_markdown("短消息") == ["短消息"]
    long_line = "长" * 3000  # 9000 bytes on one line: cut at character boundaries
    pieces = split_markdown(long_line, 4096)
    assert "".join(pieces) == long_line and all(len(p.encode()) <= 4096 for p in pieces)


def test_robot_bound_to_a_chat_and_mentions() -> None:
    api = FakeWeComAPI()
    robot = WeComRobotNotifier(
        keys=["default-key", "官网改版群=site-key"], api_base=BASE, transport=api.transport()
    )
    robot.send(OutgoingCard(text="a", chat="官网改版群"))
    robot.send(OutgoingCard(text="b", chat="别的群", mentions=["wanglei"]))
    robot.send(OutgoingCard(text="c", chat="别的群", mentions=["wanglei"], mention_all=True))
    assert [(m["key"], m["msgtype"]) for m in api.robot] == [
        ("site-key", "markdown"),
        ("default-key", "markdown"),
        ("default-key", "text"),
    ]
    assert api.robot[1]["markdown"]["content"] == "b\n<@wanglei>"
    assert api.robot[2]["text"] == {"content": "c", "mentioned_list": ["wanglei", "@all"]}
    assert robot.delivery(OutgoingCard(text="x", mention_all=True)).max_bytes == 2048
    assert robot.delivery(OutgoingCard(text="x")).max_bytes == 4096
    assert "default-key" not in robot.delivery(OutgoingCard(text="x")).bucket  # type: ignore[operator]


def test_refusals_raise_with_the_wait_wecom_asks_for() -> None:
    api = FakeWeComAPI(robot_errors=[45009, 93000])
    robot = WeComRobotNotifier(keys=[ROBOT_KEY], api_base=BASE, transport=api.transport())
    with pytest.raises(ChannelError) as busy:
        robot.send(OutgoingCard(text="会议 10 分钟后开始", kind="reminder"))
    assert busy.value.details["retry_after"] == 60.0
    with pytest.raises(ChannelError) as other:
        robot.send(OutgoingCard(text="会议 10 分钟后开始", kind="reminder"))
    assert "retry_after" not in other.value.details and ROBOT_KEY not in other.value.reason
    robot.send(OutgoingCard(text="会议 10 分钟后开始", kind="reminder"))
    assert [m["markdown"]["content"] for m in api.robot] == ["会议 10 分钟后开始"]


def test_client_caches_the_token_and_refreshes_when_rejected() -> None:
    api = FakeWeComAPI(directory={"wanglei": "王磊"}, media={"m1": b"#!AMR\n..."})
    clock = FixedClock(NOW)
    client = WeComClient(
        api_base=BASE,
        corp_id=CORP_ID,
        secret=SECRET,
        agent_id=AGENT_ID,
        clock=clock,
        transport=api.transport(),
    )
    client.send_markdown("你好", touser="wanglei")
    client.send_markdown("大家好", chat_id="chat-1")
    assert client.user_name("wanglei") == "王磊"
    assert client.get_media("m1").content == b"#!AMR\n..."
    assert api.token_calls == 1
    api.expire_next = True  # WeCom revoked the token early
    client.send_markdown("再来", touser="wanglei")
    assert api.token_calls == 2
    clock.advance(timedelta(hours=2))  # past expires_in
    client.send_markdown("两小时后", touser="wanglei")
    assert api.token_calls == 3
    assert [s.get("touser") or s.get("chatid") for s in api.sent] == [
        "wanglei",
        "chat-1",
        "wanglei",
        "wanglei",
    ]
    assert api.sent[0]["agentid"] == int(AGENT_ID)
    assert SECRET not in repr(client)
