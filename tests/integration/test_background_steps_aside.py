"""The API process's own background loops (the scheduler's tick, the outbox sender) step aside
while callbacks are being acknowledged: each iteration waits for a gap in the intake, at most
``step_aside_seconds``, so a reminder or a reply is late by a bounded time and never starved."""

from __future__ import annotations

import time
from collections.abc import Callable, Iterator

import pytest
from fastapi.testclient import TestClient

from api.app import create_app
from assistant.bootstrap import Qunmi, bootstrap
from assistant.clock import FixedClock
from assistant.domain import Chat, OutboxState
from assistant.ports import OutgoingCard
from assistant.services.outbox import OutboxSender
from assistant.services.scheduler.core import SchedulerLoop
from assistant.services.worker import IntakeGate
from assistant.settings import Settings
from tests.conftest import NOW
from tests.doubles import RecordingNotifier


@pytest.fixture
def served(settings: Settings, clock: FixedClock) -> Iterator[tuple[Qunmi, RecordingNotifier]]:
    notifier = RecordingNotifier()
    q = bootstrap(settings, clock=clock, notifier=notifier)
    with q.uow_factory() as uow:
        uow.chats.add(Chat(name="官网群", channel="console", external_id="g1", created_at=NOW))
        uow.commit()
    yield q, notifier
    q.close()


def _queue(q: Qunmi, text: str) -> int:
    """A card in the outbox, as a reminder or a retried reply would be (not sent inline)."""
    with q.uow_factory() as uow:
        row = q.outbox.put(uow, OutgoingCard(text=text, chat="官网群"), now=q.clock.now(), key=text)
        uow.commit()
    assert row.id is not None
    return row.id


def _sent(q: Qunmi, outbox_id: int) -> bool:
    with q.uow_factory() as uow:
        row = uow.outbox.get(outbox_id)
    return row is not None and row.state == OutboxState.SENT


def _within(seconds: float, done: Callable[[], bool]) -> float | None:
    """Seconds until ``done()`` held, or None if it did not within ``seconds``."""
    started = time.monotonic()
    while time.monotonic() - started < seconds:
        if done():
            return time.monotonic() - started
        time.sleep(0.02)
    return None


def test_the_served_loops_wait_for_a_gap_in_intake_bounded_and_run_at_once_when_quiet(
    served: tuple[Qunmi, RecordingNotifier],
) -> None:
    q, notifier = served
    app = create_app(q)  # with its background loops, as served
    with TestClient(app):
        gate: IntakeGate = app.state.intake_gate
        loops = q.extras["background"]
        sender = next(loop for loop in loops if isinstance(loop, OutboxSender))
        scheduler = next(loop for loop in loops if isinstance(loop, SchedulerLoop))
        assert sender.step_aside_seconds <= 1.0 and scheduler.step_aside_seconds <= 1.0

        # Quiet intake: a queued card goes out at the wake-up, with no waiting.
        quiet = _queue(q, "安静时的提醒")
        q.outbox.wake()
        assert _within(5.0, lambda: _sent(q, quiet)) is not None
        waited_quiet = sender.stepped_aside
        assert waited_quiet < 0.1

        # A callback in flight (what IntakeTracking does around every intake request).
        gate.enter()
        try:
            busy = _queue(q, "收消息时的提醒")
            q.outbox.wake()
            # Not at once: the sender leaves the interpreter and the write lock to intake...
            assert _within(0.3, lambda: _sent(q, busy)) is None
            # ...but never starves: out within its bound although intake never paused.
            assert _within(6.0, lambda: _sent(q, busy)) is not None
            assert sender.stepped_aside - waited_quiet >= 0.3
            # The scheduler steps aside too, and keeps ticking all the same (its lease, its
            # reminders), a bounded step late.
            assert _within(6.0, lambda: scheduler.stepped_aside >= 0.3) is not None
            ticks = scheduler.ticks
            assert _within(6.0, lambda: scheduler.ticks > ticks) is not None
        finally:
            gate.leave()
        assert [c.text for c in notifier.sent] == ["安静时的提醒", "收消息时的提醒"]


def test_a_gate_returns_at_once_when_intake_pauses_and_at_the_bound_otherwise() -> None:
    gate = IntakeGate(max_wait=0.25)
    started = time.monotonic()
    gate.wait_idle(5.0)  # nothing in flight
    assert time.monotonic() - started < 0.2
    gate.enter()
    started = time.monotonic()
    gate.wait_idle(0.6)  # the caller's bound, not the gate's own
    assert 0.55 <= time.monotonic() - started < 3
    gate.leave()
