"""Inbox dispatch through Redis: the API stores a message and enqueues its id; any number of
``qunmi worker`` processes run the jobs (RQ), one chat at a time and in order."""

from __future__ import annotations

from assistant.adapters.queue.redis_queue import (
    RedisDispatcher,
    process_message,
    run_worker,
    set_worker_context,
)

__all__ = ["RedisDispatcher", "process_message", "run_worker", "set_worker_context"]
