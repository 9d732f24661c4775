"""The outbox on SQLite and PostgreSQL with the real group-robot sender against the faked WeCom
API: stored first, sent once, 20 a minute per robot (counted from the store, so across
processes), cut at 4096 bytes, coalesced per chat, retried with backoff, never dropped."""

from __future__ import annotations

import threading
from collections.abc import Iterator
from datetime import timedelta
from typing import Any

import pytest

from assistant.adapters.wecom.robot import WeComRobotNotifier
from assistant.clock import FixedClock
from assistant.domain import Chat, Member, OutboxState
from assistant.ports import OutgoingCard
from assistant.services.outbox import Outbox, OutboxConfig
from assistant.unit_of_work import UnitOfWorkFactory
from storage.migrate import upgrade
from storage.unit_of_work import make_engine, make_uow_factory
from tests.conftest import NOW
from tests.doubles import RecordingNotifier
from tests.wecom_fakes import ROBOT_KEY, FakeWeComAPI

BASE = "http://wecom.test"


@pytest.fixture
def store(database_url: str) -> Iterator[UnitOfWorkFactory]:
    engine = make_engine(database_url)
    upgrade(engine)
    factory: UnitOfWorkFactory = make_uow_factory(engine)
    with factory() as uow:
        uow.members.add(Member(display_name="王磊", wecom_userid="wanglei", created_at=NOW))
        uow.members.add(Member(display_name="李四", created_at=NOW))
        uow.chats.add(Chat(name="官网群", channel="console", external_id="g1", created_at=NOW))
        uow.commit()
    yield factory
    engine.dispose()


def _put(
    store: UnitOfWorkFactory, outbox: Outbox, cards: list[OutgoingCard], **kw: Any
) -> list[int]:
    ids: list[int] = []
    with store() as uow:
        for i, card in enumerate(cards):
            row = outbox.put(
                uow,
                card,
                now=outbox_now(outbox),
                key=kw.get("key", "t") + str(i),
                coalescible=kw.get("coalescible", False),
            )
            assert row.id is not None
            ids.append(row.id)
        uow.commit()
    return ids


def outbox_now(outbox: Outbox) -> Any:
    return outbox._clock.now()  # noqa: SLF001 - the test shares the clock


def _robot(api: FakeWeComAPI) -> WeComRobotNotifier:
    return WeComRobotNotifier(keys=[ROBOT_KEY], api_base=BASE, transport=api.transport())


def _states(store: UnitOfWorkFactory) -> list[str]:
    with store() as uow:
        return [m.state.value for m in uow.outbox.list(limit=500).items]


def test_twenty_a_minute_per_robot_in_order_and_counted_across_processes(
    store: UnitOfWorkFactory,
) -> None:
    api = FakeWeComAPI()
    clock = FixedClock(NOW)
    first = Outbox(uow_factory=store, clock=clock, notifier=_robot(api))
    cards = [OutgoingCard(text=f"提醒 {i}", chat="官网群", kind="reminder") for i in range(45)]
    _put(store, first, cards)
    assert len(first.deliver()) == 20
    # Another process (another Outbox on the same store) sees the same minute used up.
    second = Outbox(uow_factory=store, clock=clock, notifier=_robot(api))
    assert second.deliver() == []
    clock.advance(timedelta(seconds=30))
    assert second.deliver() == []  # still inside the same minute
    clock.advance(timedelta(seconds=31))
    assert len(second.deliver()) == 20
    clock.advance(timedelta(seconds=61))
    assert len(first.deliver()) == 5
    assert [m["markdown"]["content"] for m in api.robot] == [f"提醒 {i}" for i in range(45)]
    assert _states(store) == ["sent"] * 45


def test_reminders_for_one_chat_share_messages_up_to_4096_bytes(
    store: UnitOfWorkFactory,
) -> None:
    api = FakeWeComAPI()
    outbox = Outbox(uow_factory=store, clock=FixedClock(NOW), notifier=_robot(api))
    cards = [
        OutgoingCard(
            text=f"⏰ 任务快到期了：#{i}「第{i}号页面的设计稿」截止 11月27日 18:00",
            chat="官网群",
            kind="reminder",
            mentions=("wanglei",),
        )
        for i in range(80)
    ]
    _put(store, outbox, cards, coalescible=True)
    sent = outbox.deliver()
    assert len(sent) == 80 and _states(store) == ["sent"] * 80
    assert 2 <= len(api.robot) <= 4  # 80 reminders in a few messages, not 80 (or 4 minutes)
    texts = [m["markdown"]["content"] for m in api.robot]
    assert all(len(t.encode()) <= 4096 for t in texts)
    joined = "\n".join(texts)
    assert all(f"#{i}「" in joined for i in range(80))
    assert all(t.endswith("<@wanglei>") and t.count("<@wanglei>") == 1 for t in texts)


def test_a_long_card_is_cut_and_a_retry_sends_only_the_rest(store: UnitOfWorkFactory) -> None:
    api = FakeWeComAPI()
    clock = FixedClock(NOW)
    outbox = Outbox(
        uow_factory=store, clock=clock, notifier=_robot(api), config=OutboxConfig(max_attempts=3)
    )
    lines = [f"第{i}行：登录页设计稿需要在周五前完成，负责人王磊。" for i in range(200)]
    (message_id,) = _put(store, outbox, [OutgoingCard(text="\n".join(lines), chat="官网群")])
    parts_total = len("\n".join(lines).encode()) // 4096 + 1
    failing = _FailOnce(_robot(api), fail_at=2)
    outbox.notifier = failing
    assert outbox.deliver()[0].state == OutboxState.PENDING
    with store() as uow:
        stored = uow.outbox.get(message_id)
        assert stored is not None and stored.parts_sent == 2 and stored.error
    clock.advance(timedelta(seconds=6))
    assert outbox.deliver()[0].state == OutboxState.SENT
    pieces = [m["markdown"]["content"] for m in api.robot]
    assert len(pieces) == parts_total == failing.calls - 1
    assert "\n".join(pieces) == "\n".join(lines)


class _FailOnce:
    """The real robot, with one send in the middle failing as if the network dropped."""

    def __init__(self, robot: WeComRobotNotifier, *, fail_at: int) -> None:
        self.robot = robot
        self.calls = 0
        self.fail_at = fail_at

    def delivery(self, card: OutgoingCard) -> Any:
        return self.robot.delivery(card)

    def send(self, card: OutgoingCard) -> None:
        self.calls += 1
        if self.calls == self.fail_at + 1:
            from assistant.errors import ChannelError

            raise ChannelError("网络断了")
        self.robot.send(card)


def test_refused_sends_back_off_survive_a_restart_and_go_out_once(
    store: UnitOfWorkFactory,
) -> None:
    api = FakeWeComAPI(robot_errors=[45009])
    clock = FixedClock(NOW)
    outbox = Outbox(uow_factory=store, clock=clock, notifier=_robot(api))
    _put(store, outbox, [OutgoingCard(text="会议 10 分钟后开始", kind="reminder")])
    _put(store, outbox, [OutgoingCard(text="任务逾期", kind="alert")], key="u")
    outbox.deliver()
    assert _states(store) == ["pending", "pending"] and api.robot == []
    with store() as uow:
        waiting = uow.outbox.list(limit=10).items
    assert all(m.next_attempt_at is not None for m in waiting)
    assert waiting[0].next_attempt_at is not None
    assert waiting[0].next_attempt_at - NOW >= timedelta(seconds=60)  # WeCom said wait
    # The process dies; a new one finds both stored and sends each once.
    again = Outbox(uow_factory=store, clock=clock, notifier=_robot(api))
    assert again.deliver() == []  # still waiting
    clock.advance(timedelta(seconds=61))
    assert len(again.deliver()) == 2 and again.deliver() == []
    assert [m["markdown"]["content"] for m in api.robot] == ["会议 10 分钟后开始", "任务逾期"]


def test_dead_after_its_retries_kept_and_retryable(store: UnitOfWorkFactory) -> None:
    api = FakeWeComAPI(robot_errors=[93000] * 3)
    clock = FixedClock(NOW)
    outbox = Outbox(
        uow_factory=store, clock=clock, notifier=_robot(api), config=OutboxConfig(max_attempts=3)
    )
    (message_id,) = _put(store, outbox, [OutgoingCard(text="周报", kind="report")])
    for _ in range(3):
        outbox.deliver()
        clock.advance(timedelta(minutes=31))
    assert _states(store) == ["dead"]
    assert outbox.retry(message_id).state == OutboxState.SENT
    assert [m["markdown"]["content"] for m in api.robot] == ["周报"]


def test_a_stored_key_is_stored_once(store: UnitOfWorkFactory) -> None:
    outbox = Outbox(uow_factory=store, clock=FixedClock(NOW))
    first = _put(store, outbox, [OutgoingCard(text="a")], key="same")
    second = _put(store, outbox, [OutgoingCard(text="a")], key="same")
    assert first == second and _states(store) == ["pending"]


def test_people_are_addressed_by_userid_where_known_else_by_name(
    store: UnitOfWorkFactory,
) -> None:
    recorder = RecordingNotifier()
    outbox = Outbox(uow_factory=store, clock=FixedClock(NOW), notifier=recorder)
    _put(store, outbox, [OutgoingCard(text="开会了", mentions=("王磊", "李四", "老陈"))])
    outbox.deliver()
    (card,) = recorder.sent
    assert card.mentions == ("wanglei",) and card.text == "开会了\n@李四 @老陈"


def test_two_senders_at_once_send_each_message_once(store: UnitOfWorkFactory) -> None:
    recorder = _SlowRecorder()
    clock = FixedClock(NOW)
    outboxes = [Outbox(uow_factory=store, clock=clock, notifier=recorder) for _ in range(3)]
    _put(store, outboxes[0], [OutgoingCard(text=f"第{i}条") for i in range(40)])
    threads = [threading.Thread(target=o.deliver) for o in outboxes]
    for t in threads:
        t.start()
    for t in threads:
        t.join(60)
    sorted_texts = sorted(recorder.texts, key=lambda t: int(t[1:-1]))
    assert sorted_texts == [f"第{i}条" for i in range(40)]
    assert _states(store) == ["sent"] * 40


class _SlowRecorder:
    def __init__(self) -> None:
        self.texts: list[str] = []
        self._lock = threading.Lock()

    def send(self, card: OutgoingCard) -> None:
        threading.Event().wait(0.002)
        with self._lock:
            self.texts.append(card.text)


def test_a_sender_killed_mid_send_leaves_it_to_the_next_after_the_lease(
    store: UnitOfWorkFactory,
) -> None:
    """The in-doubt window: claimed, maybe sent, not recorded. After the lease the message is
    sent again (at least once, never lost) — the app channel asks WeCom to drop the repeat."""
    clock = FixedClock(NOW)
    recorder = RecordingNotifier()
    outbox = Outbox(uow_factory=store, clock=clock, notifier=recorder)
    (message_id,) = _put(store, outbox, [OutgoingCard(text="提醒")])
    with store() as uow:  # what a process that died right after claiming leaves behind
        assert uow.outbox.claim(message_id, NOW, NOW + timedelta(seconds=60))
        uow.commit()
    assert outbox.deliver() == []
    clock.advance(timedelta(seconds=61))
    (sent,) = outbox.deliver()
    assert sent.state == OutboxState.SENT and sent.attempts == 2 and len(recorder.sent) == 1
