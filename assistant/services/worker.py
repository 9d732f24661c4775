"""The in-process worker: drains the inbox in order, retries failures with backoff, and picks up
whatever a previous process left unfinished (restart recovery)."""

from __future__ import annotations

import logging
import os
import threading
import time
from pathlib import Path

from assistant.services.background import BackgroundLoop, StepsAside
from assistant.services.inbox import MessageProcessor

__all__ = ["InProcessWorker", "IntakeGate", "IntakeSignal", "StepsAside", "intake_marker"]

log = logging.getLogger(__name__)


class IntakeGate:
    """Counts acknowledgements in flight, so that processing can step aside for them.

    Storing and acknowledging a message must stay fast whatever the engine is doing; in one
    process the worker and the intake share the interpreter, so the worker waits (a bounded
    time) while messages are being received, and catches up as soon as they are stored.
    """

    def __init__(self, *, max_wait: float = 0.25, marker: Path | None = None) -> None:
        self.max_wait = max_wait
        self._in_flight = 0
        self._lock = threading.Lock()
        self._idle = threading.Condition(self._lock)
        self._marker = marker
        self._touched = 0.0

    def enter(self) -> None:
        with self._lock:
            self._in_flight += 1
        if self._marker is not None:
            self._publish(self._marker)

    def _publish(self, marker: Path) -> None:
        """Tell workers in other processes (``IntakeSignal``) that messages are arriving: the
        marker file's modification time, refreshed at most every 10 ms."""
        now = time.monotonic()
        if now - self._touched < 0.01:
            return
        self._touched = now
        try:
            os.utime(marker)
        except FileNotFoundError:
            try:
                marker.parent.mkdir(parents=True, exist_ok=True)
                marker.touch()
            except OSError:
                self._marker = None  # no shared signal then; the in-process gate still works
        except OSError:
            self._marker = None

    def leave(self) -> None:
        with self._lock:
            self._in_flight -= 1
            if self._in_flight <= 0:
                self._in_flight = 0
                self._idle.notify_all()

    @property
    def in_flight(self) -> int:
        return self._in_flight

    def wait_idle(self, max_wait: float | None = None) -> None:
        """Return when no acknowledgement is in flight, or after ``max_wait`` (default: the
        gate's) at the latest."""
        with self._lock:
            if self._in_flight:
                self._idle.wait_for(
                    lambda: self._in_flight == 0,
                    timeout=self.max_wait if max_wait is None else max_wait,
                )


class IntakeSignal:
    """``IntakeGate`` seen from another process: a worker that is not in the acknowledging
    process steps aside while the marker that the API's gate refreshes is fresh (messages are
    arriving), at most ``max_wait`` per message. Each write of the worker holds SQLite's one
    write lock, and the API's group commit would wait for it (on a busy machine, for as long as
    the worker is descheduled while holding it); between bursts it runs at full speed, and a
    steady trickle of messages leaves it the gaps in between."""

    def __init__(self, marker: Path, *, quiet: float = 0.05, max_wait: float = 1.0) -> None:
        self.marker = marker
        self.quiet = quiet
        self.max_wait = max_wait

    def busy(self) -> bool:
        try:
            touched = os.stat(self.marker).st_mtime
        except OSError:
            return False
        return 0 <= time.time() - touched < self.quiet

    def wait_idle(self, max_wait: float | None = None) -> None:
        """Return once intake has been quiet for ``quiet`` seconds, or after ``max_wait``
        (default: the signal's)."""
        limit = time.monotonic() + (self.max_wait if max_wait is None else max_wait)
        while self.busy() and time.monotonic() < limit:
            time.sleep(min(0.01, self.quiet))


def intake_marker(data_dir: Path) -> Path:
    """Where the API process signals arriving messages to worker processes."""
    return data_dir / "intake.active"


class InProcessWorker(BackgroundLoop):
    def __init__(
        self,
        processor: MessageProcessor,
        *,
        interval: float = 1.0,
        gate: StepsAside | None = None,
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
