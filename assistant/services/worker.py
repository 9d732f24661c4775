"""The in-process worker: drains the inbox in order, retries failures with backoff, and picks up
whatever a previous process left unfinished (restart recovery)."""

from __future__ import annotations

import logging
import threading

from assistant.services.inbox import MessageProcessor

__all__ = ["InProcessWorker"]

log = logging.getLogger(__name__)


class InProcessWorker:
    def __init__(self, processor: MessageProcessor, *, interval: float = 1.0) -> None:
        self._processor = processor
        self._interval = interval
        self._wake = threading.Event()
        self._stop = threading.Event()
        self._thread: threading.Thread | None = None
        self.processed = 0

    def start(self) -> None:
        if self._thread is None:
            self._thread = threading.Thread(target=self._loop, name="qunmi-worker", daemon=True)
            self._thread.start()

    def notify(self) -> None:
        """A new message is waiting: look now rather than at the next tick."""
        self._wake.set()

    def stop(self, timeout: float = 10.0) -> None:
        self._stop.set()
        self._wake.set()
        if self._thread is not None:
            self._thread.join(timeout)
            self._thread = None

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
