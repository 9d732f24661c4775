"""The group robot webhook (群机器人): markdown cards into a group, outbound only.

WeCom allows a robot 20 messages a minute and 4096 bytes of markdown per message. Cards are
split on line boundaries to fit, queued per robot, and sent as the rate allows: a card is never
dropped for being long or for arriving in a burst; a failed send stays at the head of its queue
and is tried again later. The queue can be kept in a JSON file so that it outlives the process.
"""

from __future__ import annotations

import json
import logging
import os
import threading
import time
from collections import deque
from collections.abc import Callable, Sequence
from dataclasses import dataclass
from pathlib import Path

import httpx

from assistant.errors import ChannelError
from assistant.ports import Clock, OutgoingCard
from assistant.services.background import BackgroundLoop

__all__ = ["MARKDOWN_LIMIT_BYTES", "RobotKey", "WeComRobotNotifier", "split_markdown"]

log = logging.getLogger(__name__)
logging.getLogger("httpx").setLevel(logging.WARNING)  # URLs carry the robot key

MARKDOWN_LIMIT_BYTES = 4096
_RATE_LIMITED = 45009


def _hard_split(line: str, limit: int) -> list[str]:
    """A line longer than ``limit`` bytes, cut at character boundaries."""
    parts: list[str] = []
    current = ""
    size = 0
    for ch in line:
        width = len(ch.encode())
        if size + width > limit:
            parts.append(current)
            current, size = "", 0
        current += ch
        size += width
    if current:
        parts.append(current)
    return parts


def split_markdown(text: str, limit: int = MARKDOWN_LIMIT_BYTES) -> list[str]:
    """``text`` as pieces of at most ``limit`` UTF-8 bytes, cut between lines where possible."""
    if len(text.encode()) <= limit:
        return [text]
    pieces: list[str] = []
    current: list[str] = []
    size = 0
    for line in text.split("\n"):
        for chunk in _hard_split(line, limit) if len(line.encode()) > limit else [line]:
            width = len(chunk.encode()) + (1 if current else 0)
            if current and size + width > limit:
                pieces.append("\n".join(current))
                current, size = [], 0
                width = len(chunk.encode())
            current.append(chunk)
            size += width
    if current:
        pieces.append("\n".join(current))
    return [p for p in pieces if p.strip()] or [text[:1]]


@dataclass(frozen=True, slots=True)
class RobotKey:
    """A robot webhook key, optionally bound to one chat name (``群名=key`` in the settings)."""

    key: str
    chat: str | None = None

    @classmethod
    def parse(cls, raw: str) -> RobotKey:
        if "=" in raw:
            chat, key = raw.rsplit("=", 1)
            return cls(key=key.strip(), chat=chat.strip() or None)
        return cls(key=raw.strip())

    @property
    def label(self) -> str:
        """A name for logs that does not reveal the key."""
        return f"robot[{self.chat or '默认'}…{self.key[-4:]}]"


@dataclass(slots=True)
class _Pending:
    key: str
    content: str
    attempts: int = 0


class WeComRobotNotifier(BackgroundLoop):
    """A ``Notifier`` posting markdown through group robot webhooks, rate-limited per robot.

    ``send`` only queues; ``pump()`` sends what the rate allows now (tests call it with a fixed
    clock), and ``start()`` runs a thread that pumps until ``stop()``.
    """

    def __init__(
        self,
        *,
        keys: Sequence[str],
        clock: Clock,
        api_base: str = "https://qyapi.weixin.qq.com",
        transport: httpx.BaseTransport | None = None,
        per_minute: int = 20,
        limit_bytes: int = MARKDOWN_LIMIT_BYTES,
        spool: Path | None = None,
        retry_seconds: float = 10.0,
    ) -> None:
        super().__init__(name="qunmi-robot", stop_timeout=5.0)
        if not keys:
            raise ChannelError("没有配置群机器人 webhook key")
        self._robots = [RobotKey.parse(k) for k in keys]
        self._clock = clock
        self._url = f"{api_base.rstrip('/')}/cgi-bin/webhook/send"
        self._http = httpx.Client(transport=transport, timeout=10.0)
        self._per_minute = per_minute
        self._limit = limit_bytes
        self._spool = spool
        self._retry = retry_seconds
        self._lock = threading.Lock()
        self._queues: dict[str, deque[_Pending]] = {r.key: deque() for r in self._robots}
        self._sent_at: dict[str, deque[float]] = {r.key: deque() for r in self._robots}
        self._blocked_until: dict[str, float] = {}
        self.delivered: list[tuple[str, str]] = []  # (robot label, content), for status pages
        self._load()

    def __repr__(self) -> str:
        return f"WeComRobotNotifier(robots={[r.label for r in self._robots]})"

    # -- queueing -----------------------------------------------------------------------------

    def robot_for(self, chat: str | None) -> RobotKey:
        for robot in self._robots:
            if chat and robot.chat == chat:
                return robot
        unbound = [r for r in self._robots if r.chat is None]
        return (unbound or self._robots)[0]

    def send(self, card: OutgoingCard) -> None:
        robot = self.robot_for(card.chat)
        text = card.text
        if card.mentions:
            text += "\n" + " ".join(f"<@{m}>" for m in card.mentions)
        with self._lock:
            for piece in split_markdown(text, self._limit):
                self._queues[robot.key].append(_Pending(key=robot.key, content=piece))
            self._save()
        self._wake.set()

    def pending(self) -> int:
        with self._lock:
            return sum(len(q) for q in self._queues.values())

    # -- sending ------------------------------------------------------------------------------

    def _slot_free(self, key: str, now: float) -> bool:
        window = self._sent_at[key]
        while window and window[0] <= now - 60.0:
            window.popleft()
        return len(window) < self._per_minute and self._blocked_until.get(key, 0.0) <= now

    def next_slot_in(self) -> float | None:
        """Seconds until some queued piece may be sent (0: now); None when nothing waits."""
        now = self._clock.now().timestamp()
        waits: list[float] = []
        with self._lock:
            for key, queue in self._queues.items():
                if not queue:
                    continue
                if self._slot_free(key, now):
                    return 0.0
                window = self._sent_at[key]
                free_at = window[0] + 60.0 if len(window) >= self._per_minute else now
                waits.append(max(free_at, self._blocked_until.get(key, 0.0)) - now)
        return min(waits) if waits else None

    def pump(self) -> int:
        """Send every queued piece the rate allows now; returns how many went out."""
        sent = 0
        for robot in self._robots:
            while True:
                now = self._clock.now().timestamp()
                with self._lock:
                    queue = self._queues[robot.key]
                    if not queue or not self._slot_free(robot.key, now):
                        break
                    item = queue[0]
                    self._sent_at[robot.key].append(now)
                ok = self._post(robot, item)
                with self._lock:
                    if ok:
                        queue.popleft()
                        self.delivered.append((robot.label, item.content))
                        self._save()
                        sent += 1
                    else:
                        item.attempts += 1
                        self._blocked_until[robot.key] = now + self._retry * min(item.attempts, 6)
                        break
        return sent

    def _post(self, robot: RobotKey, item: _Pending) -> bool:
        body = {"msgtype": "markdown", "markdown": {"content": item.content}}
        try:
            response = self._http.post(self._url, params={"key": robot.key}, json=body)
            data = (
                response.json() if response.status_code < 500 else {"errcode": response.status_code}
            )
        except (httpx.HTTPError, ValueError) as exc:
            log.warning("%s: sending failed (%s), will retry", robot.label, type(exc).__name__)
            return False
        errcode = data.get("errcode", 0) if isinstance(data, dict) else -1
        if errcode == 0 and response.status_code < 400:
            return True
        if errcode == _RATE_LIMITED:
            # WeCom counted more than we did (another sender on the same robot): wait a minute.
            self._blocked_until[robot.key] = self._clock.now().timestamp() + 60.0
        log.warning("%s: WeCom answered errcode %s, will retry", robot.label, errcode)
        return False

    # -- background thread --------------------------------------------------------------------

    def stop(self, timeout: float | None = None) -> None:
        super().stop(timeout)
        self._http.close()
        self._http.close()

    def flush(self, timeout: float, *, sleep: Callable[[float], None] = time.sleep) -> bool:
        """Pump until the queues are empty or ``timeout`` (real seconds) passes."""
        deadline = time.monotonic() + timeout
        while self.pending() and time.monotonic() < deadline:
            self.pump()
            wait = self.next_slot_in()
            if wait is None:
                break
            sleep(min(max(wait, 0.05), max(deadline - time.monotonic(), 0.0)))
        return self.pending() == 0

    def _loop(self) -> None:
        while not self._stop.is_set():
            try:
                self.pump()
            except Exception:  # noqa: BLE001 - the sender thread must keep going
                log.exception("robot sender iteration failed")
            wait = self.next_slot_in()
            self._wake.wait(1.0 if wait is None else min(max(wait, 0.05), 5.0))
            self._wake.clear()

    # -- persistence --------------------------------------------------------------------------

    def _save(self) -> None:
        if self._spool is None:
            return
        items = [
            {"key": p.key, "content": p.content, "attempts": p.attempts}
            for q in self._queues.values()
            for p in q
        ]
        self._spool.parent.mkdir(parents=True, exist_ok=True)
        tmp = self._spool.with_suffix(".tmp")
        tmp.write_text(json.dumps(items, ensure_ascii=False), encoding="utf-8")
        os.replace(tmp, self._spool)

    def _load(self) -> None:
        if self._spool is None or not self._spool.exists():
            return
        try:
            items = json.loads(self._spool.read_text(encoding="utf-8"))
        except (OSError, ValueError):
            log.warning("robot queue file %s unreadable; starting empty", self._spool)
            return
        for raw in items:
            key = raw.get("key")
            if key in self._queues:
                self._queues[key].append(
                    _Pending(
                        key=key,
                        content=str(raw.get("content", "")),
                        attempts=int(raw.get("attempts", 0)),
                    )
                )
