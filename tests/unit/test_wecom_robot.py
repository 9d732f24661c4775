"""The group robot: markdown split at 4096 bytes on lines, 20 a minute per robot, never dropped."""

from __future__ import annotations

from datetime import timedelta
from pathlib import Path

from assistant.adapters.wecom.client import WeComClient
from assistant.adapters.wecom.robot import WeComRobotNotifier, split_markdown
from assistant.clock import FixedClock
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


def test_rate_limit_queues_and_sends_everything_in_order(tmp_path: Path) -> None:
    api = FakeWeComAPI()
    clock = FixedClock(NOW)
    robot = WeComRobotNotifier(
        keys=[ROBOT_KEY],
        clock=clock,
        api_base=BASE,
        transport=api.transport(),
        spool=tmp_path / "q.json",
    )
    for i in range(45):
        robot.send(OutgoingCard(text=f"提醒 {i}", kind="reminder"))
    assert robot.pump() == 20 and robot.pending() == 25
    clock.advance(timedelta(seconds=30))
    assert robot.pump() == 0  # still inside the same minute
    assert 29 < (robot.next_slot_in() or 0) <= 30
    clock.advance(timedelta(seconds=31))
    assert robot.pump() == 20
    clock.advance(timedelta(seconds=61))
    assert robot.pump() == 5 and robot.pending() == 0
    assert [m["markdown"]["content"] for m in api.robot] == [f"提醒 {i}" for i in range(45)]
    assert {m["key"] for m in api.robot} == {ROBOT_KEY}


def test_failures_stay_queued_and_the_queue_survives_a_restart(tmp_path: Path) -> None:
    api = FakeWeComAPI(robot_errors=[45009])
    clock = FixedClock(NOW)
    spool = tmp_path / "q.json"
    robot = WeComRobotNotifier(
        keys=[ROBOT_KEY], clock=clock, api_base=BASE, transport=api.transport(), spool=spool
    )
    robot.send(OutgoingCard(text="会议 10 分钟后开始", kind="reminder"))
    robot.send(OutgoingCard(text="任务逾期", kind="alert"))
    assert robot.pump() == 0 and robot.pending() == 2  # WeCom said "too many": kept
    # the process dies; a new one reads the queue back
    again = WeComRobotNotifier(
        keys=[ROBOT_KEY], clock=clock, api_base=BASE, transport=api.transport(), spool=spool
    )
    assert again.pending() == 2
    clock.advance(timedelta(seconds=61))
    assert again.pump() == 2
    assert [m["markdown"]["content"] for m in api.robot] == ["会议 10 分钟后开始", "任务逾期"]
    assert again.pending() == 0 and ROBOT_KEY not in repr(again)


def test_robot_bound_to_a_chat() -> None:
    api = FakeWeComAPI()
    robot = WeComRobotNotifier(
        keys=["default-key", "官网改版群=site-key"],
        clock=FixedClock(NOW),
        api_base=BASE,
        transport=api.transport(),
    )
    robot.send(OutgoingCard(text="a", chat="官网改版群"))
    robot.send(OutgoingCard(text="b", chat="别的群", mentions=["wanglei"]))
    robot.pump()
    assert [(m["key"], m["markdown"]["content"]) for m in api.robot] == [
        ("default-key", "b\n<@wanglei>"),
        ("site-key", "a"),
    ]


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
