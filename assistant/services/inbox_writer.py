"""Group commit for the inbox: many messages arriving at once share one transaction.

Every channel request hands its message to ``InboxWriter.submit`` and waits for the future; one
writer thread takes whatever has queued up (at most ``max_batch``, waiting at most ``max_wait``
for more once the first one is there), stores it with ``Inbox.receive_many`` in one commit and
then answers every future. A request is therefore acknowledged only after its message is
durable, and SQLite's single writer spends one commit on a burst instead of one per message.
"""

from __future__ import annotations

import logging
import queue
import threading
import time
from concurrent.futures import Future

from assistant.domain import Message
from assistant.errors import QunmiError
from assistant.services.inbox import Inbound, Inbox

__all__ = ["InboxWriter"]

log = logging.getLogger(__name__)

_Item = tuple[Inbound, "Future[tuple[Message, bool]]"]


class InboxWriter:
    def __init__(self, inbox: Inbox, *, max_batch: int = 256, max_wait: float = 0.002) -> None:
        self._inbox = inbox
        self.max_batch = max_batch
        self.max_wait = max_wait
        self._queue: queue.SimpleQueue[_Item | None] = queue.SimpleQueue()
        self._thread: threading.Thread | None = None
        self._lock = threading.Lock()
        self.batches = 0
        self.stored = 0

    def submit(self, inbound: Inbound) -> Future[tuple[Message, bool]]:
        """Queue ``inbound``; the future resolves once it is committed (or fails with the
        reason it was not stored)."""
        future: Future[tuple[Message, bool]] = Future()
        self._ensure_running()
        self._queue.put((inbound, future))
        return future

    def receive(self, inbound: Inbound) -> tuple[Message, bool]:
        """``Inbox.receive`` through the group commit (blocking)."""
        return self.submit(inbound).result()

    def close(self) -> None:
        with self._lock:
            thread, self._thread = self._thread, None
        if thread is not None:
            self._queue.put(None)
            thread.join(10)

    def _ensure_running(self) -> None:
        if self._thread is not None:
            return
        with self._lock:
            if self._thread is None:
                self._thread = threading.Thread(
                    target=self._loop, name="qunmi-inbox-writer", daemon=True
                )
                self._thread.start()

    def _loop(self) -> None:
        while True:
            first = self._queue.get()
            if first is None:
                self._drain_and_fail()
                return
            batch = [first]
            deadline = time.monotonic() + self.max_wait
            stop = False
            while len(batch) < self.max_batch:
                try:
                    item = self._queue.get(timeout=max(0.0, deadline - time.monotonic()))
                except queue.Empty:
                    break
                if item is None:
                    stop = True
                    break
                batch.append(item)
            self._write(batch)
            if stop:
                self._drain_and_fail()
                return

    def _write(self, batch: list[_Item]) -> None:
        try:
            results = self._inbox.receive_many([inbound for inbound, _ in batch])
        except Exception as exc:  # noqa: BLE001 - every waiting request must hear back
            log.exception("storing %d inbox message(s) failed", len(batch))
            for _, future in batch:
                future.set_exception(exc)
            return
        self.batches += 1
        for (_, future), result in zip(batch, results, strict=True):
            if isinstance(result, QunmiError):
                future.set_exception(result)
            else:
                self.stored += 1
                future.set_result(result)

    def _drain_and_fail(self) -> None:
        while True:
            try:
                item = self._queue.get_nowait()
            except queue.Empty:
                return
            if item is not None:
                self._write([item])
