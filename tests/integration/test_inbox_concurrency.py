"""Concurrent deliveries into a chat nobody has seen: everything stored once, nothing refused."""

from __future__ import annotations

import threading
from collections.abc import Iterator

import pytest

from assistant.bootstrap import Qunmi, bootstrap
from assistant.clock import FixedClock
from assistant.services.inbox import Inbound
from assistant.settings import Settings
from tests.doubles import ScriptedEngine


@pytest.fixture
def q(settings: Settings, clock: FixedClock) -> Iterator[Qunmi]:
    app = bootstrap(settings, clock=clock, engine=ScriptedEngine())
    yield app
    app.close()


def _race(q: Qunmi, inbounds: list[Inbound]) -> list[tuple[int, bool]]:
    barrier = threading.Barrier(len(inbounds))
    results: list[tuple[int, bool]] = []
    errors: list[BaseException] = []
    lock = threading.Lock()

    def deliver(inbound: Inbound) -> None:
        barrier.wait()
        try:
            message, new = q.inbox.receive(inbound)
        except BaseException as exc:  # noqa: BLE001 - collected and asserted below
            with lock:
                errors.append(exc)
            return
        with lock:
            results.append((message.id or 0, new))

    threads = [threading.Thread(target=deliver, args=(i,)) for i in inbounds]
    for t in threads:
        t.start()
    for t in threads:
        t.join(30)
    assert errors == []
    return results


def test_first_messages_of_a_new_chat_race_without_loss(q: Qunmi) -> None:
    inbounds = [
        Inbound(
            channel="wecom-app", chat="新群", sender="newbie", text=f"第{i}条", external_id=f"m{i}"
        )
        for i in range(8)
    ]
    results = _race(q, inbounds)
    assert len(results) == 8 and all(new for _, new in results)
    with q.uow_factory() as uow:
        assert uow.messages.list().total == 8
        assert uow.chats.list().total == 1
        assert [m.display_name for m in uow.members.all()] == ["newbie"]


def test_one_message_delivered_eight_times_at_once_is_stored_once(q: Qunmi) -> None:
    inbound = Inbound(channel="wecom-app", chat="群", sender="u1", text="hi", external_id="same")
    results = _race(q, [inbound] * 8)
    assert len({message_id for message_id, _ in results}) == 1
    assert sum(new for _, new in results) == 1
