"""One daemon thread with a stop flag and a wake-up call: the shape every background loop
(inbox worker, Redis dispatcher, transcription jobs, group-robot queue) shares."""

from __future__ import annotations

import threading

__all__ = ["BackgroundLoop"]


class BackgroundLoop:
    """Subclasses implement ``_loop`` (run until ``self._stop`` is set, sleeping on
    ``self._wake``) and call ``super().__init__(name=...)``."""

    def __init__(self, *, name: str, stop_timeout: float = 10.0) -> None:
        self._name = name
        self._stop_timeout = stop_timeout
        self._wake = threading.Event()
        self._stop = threading.Event()
        self._thread: threading.Thread | None = None

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
