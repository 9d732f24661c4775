"""RQ-backed inbox dispatch.

Ordering and exclusivity per chat: a job holds a Redis lock named after the message's chat while
it runs, and processes every due message of that chat up to its own, oldest first. So two workers
never work on the same chat at once, and a later message never overtakes an earlier one that is
still waiting. ``MessageProcessor.process`` claims each message with a lease, so a duplicate job
is harmless.

A sweeper (in the API process and in each worker) enqueues whatever is due and not yet queued: new
messages, failed ones whose backoff has passed, and ones a killed process left with an expired
lease. A short-lived marker key per message keeps a message from being queued twice.
"""

from __future__ import annotations

import logging
from typing import TYPE_CHECKING, Any

from redis import Redis
from rq import Queue, SimpleWorker

from assistant.services.background import BackgroundLoop

if TYPE_CHECKING:
    from assistant.bootstrap import Qunmi

__all__ = ["RedisDispatcher", "process_message", "run_worker", "set_worker_context"]

log = logging.getLogger(__name__)

QUEUE_NAME = "qunmi-inbox"
_context: dict[str, Any] = {}


def set_worker_context(qunmi: Qunmi, redis: Redis[Any], *, prefix: str) -> None:
    """The wired app that jobs in this process run against (RQ jobs are found by import path)."""
    _context.update(qunmi=qunmi, redis=redis, prefix=prefix)


def _qunmi_and_redis() -> tuple[Qunmi, Redis[Any], str]:
    if "qunmi" not in _context:
        from assistant.bootstrap import bootstrap
        from assistant.settings import Settings

        settings = Settings()
        set_worker_context(
            bootstrap(settings), Redis.from_url(settings.redis_url), prefix=settings.redis_prefix
        )
    return _context["qunmi"], _context["redis"], _context["prefix"]


def _marker(prefix: str, message_id: int) -> str:
    return f"{prefix}:queued:{message_id}"


def process_message(message_id: int) -> list[int]:
    """The RQ job: process the message's chat up to and including this message, under the chat's
    lock. Returns the ids processed."""
    q, redis, prefix = _qunmi_and_redis()
    lease = q.settings.inbox_lease_seconds
    with q.uow_factory() as uow:
        message = uow.messages.get(message_id)
        if message is None:
            redis.delete(_marker(prefix, message_id))
            return []
        chat_id = message.chat_id
    lock = redis.lock(f"{prefix}:chat:{chat_id}", timeout=lease, blocking_timeout=lease)
    handled: list[int] = []
    if not lock.acquire(blocking=True):
        log.warning(
            "chat %s stayed locked for %ss; message %s is left to the sweeper",
            chat_id,
            lease,
            message_id,
        )
        redis.delete(_marker(prefix, message_id))
        return handled
    try:
        with q.uow_factory() as uow:
            due = uow.messages.due_for_processing(q.clock.now(), limit=500)
        ids = sorted(
            {m.id for m in due if m.chat_id == chat_id and m.id is not None and m.id <= message_id}
            | {message_id}
        )
        for mid in ids:
            q.processor.process(mid)
            redis.delete(_marker(prefix, mid))
            handled.append(mid)
    finally:
        try:
            lock.release()
        except Exception:  # noqa: BLE001 - the lock expired; the next holder has it
            log.warning("chat %s lock had expired before release", chat_id)
    return handled


class RedisDispatcher(BackgroundLoop):
    """Enqueues due inbox messages as RQ jobs. Same surface as ``InProcessWorker``
    (``start`` / ``notify`` / ``stop``) so the API can wake it after storing a message."""

    def __init__(
        self, qunmi: Qunmi, redis: Redis[Any], *, prefix: str = "qunmi", interval: float = 2.0
    ) -> None:
        super().__init__(name="qunmi-dispatch", stop_timeout=10.0)
        self._q = qunmi
        self._redis = redis
        self._prefix = prefix
        self.queue = Queue(f"{prefix}-{QUEUE_NAME}", connection=redis)
        self._interval = interval
        self.enqueued = 0

    def sweep(self) -> int:
        """Enqueue every message that is due and not already queued; returns how many."""
        added = 0
        marker_ttl = max(self._q.settings.inbox_lease_seconds, 30)
        for message_id in self._q.processor.pending(limit=500):
            if self._redis.set(_marker(self._prefix, message_id), 1, nx=True, ex=marker_ttl):
                self.queue.enqueue(
                    process_message,
                    message_id,
                    job_timeout=self._q.settings.inbox_lease_seconds * 2,
                    result_ttl=60,
                    failure_ttl=24 * 3600,
                )
                added += 1
        self.enqueued += added
        return added

    def _loop(self) -> None:
        while not self._stop.is_set():
            self._wake.wait(self._interval)
            # Coalesce a burst of arrivals into one sweep instead of one per message.
            self._stop.wait(0.1)
            self._wake.clear()
            try:
                self.sweep()
            except Exception:  # noqa: BLE001 - Redis or the database may blink; keep sweeping
                log.exception("inbox sweep failed")


def run_worker(
    qunmi: Qunmi,
    redis: Redis[Any],
    *,
    prefix: str = "qunmi",
    burst: bool = False,
    name: str | None = None,
) -> RedisDispatcher:
    """Run one RQ worker in this process (jobs in-process, no fork), with a sweeper thread.
    Returns the dispatcher (tests read its counters) once the worker stops."""
    set_worker_context(qunmi, redis, prefix=prefix)
    dispatcher = RedisDispatcher(qunmi, redis, prefix=prefix)
    dispatcher.sweep()
    if not burst:
        dispatcher.start()
    try:
        worker = SimpleWorker([dispatcher.queue], connection=redis, name=name)
        worker.work(burst=burst, logging_level="WARNING")
    finally:
        dispatcher.stop()
    return dispatcher


def job_count(redis: Redis[Any], prefix: str) -> int:
    """Jobs waiting in the queue (for status output)."""
    return len(Queue(f"{prefix}-{QUEUE_NAME}", connection=redis))
