"""The in-process worker: drains the inbox in order, retries failures with backoff, and picks up
whatever a previous process left unfinished (restart recovery)."""

from __future__ import annotations

import logging
import threading

from assistant.services.background import BackgroundLoop
from assistant.services.inbox import MessageProcessor

__all__ = ["InProcessWorker", "IntakeGate"]

log = logging.getLogger(__name__)


class IntakeGate:
    """Counts acknowledgements in flight, so that processing can step aside for them.

    Storing and acknowledging a message must stay fast whatever the engine is doing; in one
    process the worker and the intake share the interpreter, so the worker waits (a bounded
    time) while messages are being received, and catches up as soon as they are stored.
    """

    def __init__(self, *, max_wait: float = 0.25) -> None:
        self.max_wait = max_wait
        self._in_flight = 0
        self._lock = threading.Lock()
        self._idle = threading.Condition(self._lock)

    def enter(self) -> None:
        with self._lock:
            self._in_flight += 1

    def leave(self) -> None:
        with self._lock:
            self._in_flight -= 1
            if self._in_flight <= 0:
                self._in_flight = 0
                self._idle.notify_all()

    @property
    def in_flight(self) -> int:
        return self._in_flight

    def wait_idle(self) -> None:
        """Return when no acknowledgement is in flight, or after ``max_wait`` at the latest."""
        with self._lock:
            if self._in_flight:
                self._idle.wait_for(lambda: self._in_flight == 0, timeout=self.max_wait)


class InProcessWorker(BackgroundLoop):
    def __init__(
        self,
        processor: MessageProcessor,
        *,
        interval: float = 1.0,
        gate: IntakeGate | None = None,
    ) -> None:
        super().__init__(name="qunmi-worker", stop_timeout=10.0)
        self._processor = processor
        self._interval = interval
        self._gate = gate
        self.processed = 0

    def drain(self) -> int:
        """Process everything due now; returns how many messages were handled."""
        handled = 0
        while not self._stop.is_set():
            ids = self._processor.pending()
            if not ids:
                break
            for message_id in ids:
                if self._stop.is_set():
                    break
                if self._gate is not None:
                    self._gate.wait_idle()
                self._processor.process(message_id)
                handled += 1
            if len(ids) < 50:
                break
        self.processed += handled
        return handled

    def _loop(self) -> None:
        while not self._stop.is_set():
            try:
                self.drain()
            except Exception:  # noqa: BLE001 - the worker must outlive a bad database moment
                log.exception("inbox worker iteration failed")
            self._wake.wait(self._interval)
            self._wake.clear()
