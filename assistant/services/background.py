"""One daemon thread with a stop flag and a wake-up call: the shape every background loop
(inbox worker, Redis dispatcher, transcription jobs, group-robot queue) shares."""

from __future__ import annotations

import threading
import time
from typing import Protocol

__all__ = ["BackgroundLoop", "StepsAside"]


class StepsAside(Protocol):
    """Something that returns once messages stop arriving, or after ``max_wait`` seconds at
    the latest (``None``: its own default); see ``assistant.services.worker``."""

    def wait_idle(self, max_wait: float | None = None) -> None: ...


class BackgroundLoop:
    """Subclasses implement ``_loop`` (run until ``self._stop`` is set, sleeping on
    ``self._wake``) and call ``super().__init__(name=...)``."""

    step_aside_seconds = 1.0
    """The longest one iteration waits for intake to go quiet (``steps_aside_for``)."""

    def __init__(self, *, name: str, stop_timeout: float = 10.0) -> None:
        self._name = name
        self._stop_timeout = stop_timeout
        self._wake = threading.Event()
        self._stop = threading.Event()
        self._thread: threading.Thread | None = None
        self._gate: StepsAside | None = None
        self.stepped_aside = 0.0
        """Seconds this loop has waited for intake so far."""

    def steps_aside_for(self, gate: StepsAside | None) -> None:
        """While messages arrive (``gate``), each iteration first waits for a gap, at most
        ``step_aside_seconds``: the acknowledging path keeps the interpreter and SQLite's write
        lock, and the loop is late by at most that much per iteration, never starved."""
        self._gate = gate

    def _step_aside(self) -> None:
        if self._gate is None or self._stop.is_set():
            return
        started = time.monotonic()
        self._gate.wait_idle(self.step_aside_seconds)
        self.stepped_aside += time.monotonic() - started

    def start(self) -> None:
        if self._thread is None:
            self._stop.clear()
            self._thread = threading.Thread(target=self._loop, name=self._name, daemon=True)
            self._thread.start()

    def notify(self) -> None:
        """Something is waiting: look now rather than at the next tick."""
        self._wake.set()

    def stop(self, timeout: float | None = None) -> None:
        self._stop.set()
        self._wake.set()
        if self._thread is not None:
            self._thread.join(self._stop_timeout if timeout is None else timeout)
            self._thread = None

    def _loop(self) -> None:
        raise NotImplementedError
