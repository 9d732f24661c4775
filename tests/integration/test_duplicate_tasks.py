"""The same task sent twice is asked about instead of silently created twice (issue 15)."""

from __future__ import annotations

from collections.abc import Iterator
from datetime import timedelta

import pytest

from assistant.bootstrap import Qunmi, bootstrap
from assistant.clock import FixedClock
from assistant.engines.rules import RuleEngine
from assistant.services.demo import DEMO_CHAT, seed_demo
from assistant.services.inbox import Inbound, Outcome
from assistant.settings import Settings


@pytest.fixture
def q(settings: Settings, clock: FixedClock) -> Iterator[Qunmi]:
    app = bootstrap(settings, clock=clock, engine=RuleEngine())
    seed_demo(uow_factory=app.uow_factory, clock=clock)
    yield app
    app.close()


def _say(q: Qunmi, text: str, ident: str, sender: str = "张三") -> Outcome:
    message, _ = q.inbox.receive(
        Inbound(channel="console", chat=DEMO_CHAT, sender=sender, text=text, external_id=ident)
    )
    assert message.id is not None
    return q.processor.process(message.id)


def _open_titles(q: Qunmi) -> list[str]:
    with q.uow_factory() as uow:
        return [t.title for t in uow.tasks.list(filters={"open": True}).items]


def test_the_same_task_twice_is_a_question(q: Qunmi, clock: FixedClock) -> None:
    first = _say(q, "@小王 周五前把登录页设计稿出了", "m1")
    assert first.results[0]["ok"], first.results
    clock.advance(timedelta(minutes=3))
    second = _say(q, "@小王 周五前把登录页的设计稿出了", "m2")
    (result,) = second.results
    assert not result["ok"] and result["error"]["code"] == "likely_duplicate"
    assert result["error"]["details"]["existing"]["title"] == first.results[0]["record"]["title"]
    assert second.cards[0]["kind"] == "question" and "是同一件事吗" in second.cards[0]["text"]
    assert len(_open_titles(q)) == 1


def test_different_people_numbers_or_old_tasks_are_not_duplicates(
    q: Qunmi, clock: FixedClock
) -> None:
    assert _say(q, "@小王 周五前把第1版登录页设计稿出了", "a")
    assert _say(q, "@小王 周五前把第2版登录页设计稿出了", "b").results[0]["ok"]
    assert _say(q, "@老李 周五前把第1版登录页设计稿出了", "c").results[0]["ok"]
    clock.advance(timedelta(days=4))
    assert _say(q, "@小王 下周五前把第1版登录页设计稿出了", "d").results[0]["ok"]
    assert len(_open_titles(q)) == 4
