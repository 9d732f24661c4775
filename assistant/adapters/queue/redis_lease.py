"""A ``Lease`` in Redis, shared by every worker of a ``QUNMI_QUEUE=redis`` deployment."""

from __future__ import annotations

from typing import Any

from redis import Redis

__all__ = ["RedisLease"]

# Renew only one's own lease, release only one's own: check and act in one step.
_RENEW = """
if redis.call('get', KEYS[1]) == ARGV[1] then
  return redis.call('pexpire', KEYS[1], ARGV[2])
end
return 0
"""
_RELEASE = """
if redis.call('get', KEYS[1]) == ARGV[1] then
  return redis.call('del', KEYS[1])
end
return 0
"""


class RedisLease:
    def __init__(self, redis: Redis[Any], *, name: str) -> None:
        self._redis = redis
        self.name = name
        self._renew = redis.register_script(_RENEW)
        self._release = redis.register_script(_RELEASE)

    def acquire(self, holder: str, seconds: float) -> bool:
        ms = max(int(seconds * 1000), 1)
        if self._redis.set(self.name, holder, nx=True, px=ms):
            return True
        return bool(self._renew(keys=[self.name], args=[holder, ms]))

    def release(self, holder: str) -> None:
        self._release(keys=[self.name], args=[holder])
