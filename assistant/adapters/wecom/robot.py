"""The group robot webhook (群机器人): cards into a group, outbound only.

WeCom allows a robot 20 messages a minute, 4096 bytes of markdown or 2048 bytes of text per
message. This sender posts one message now and says how a card will leave (``delivery``); the
stored outbox does the rest — it splits cards to fit, counts the rate per robot across processes,
coalesces reminders for one chat, and keeps anything that failed until it is sent.

Mentions: markdown carries ``<@userid>``; a card for @所有人 goes as a text message with
``mentioned_list`` (markdown cannot @all).
"""

from __future__ import annotations

import base64
import hashlib
import logging
from collections.abc import Sequence
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import httpx

from assistant.errors import ChannelError
from assistant.ports import Delivery, OutgoingCard
from assistant.services.outbox import split_markdown

__all__ = [
    "MARKDOWN_LIMIT_BYTES",
    "TEXT_LIMIT_BYTES",
    "RobotKey",
    "WeComRobotNotifier",
    "split_markdown",
]

log = logging.getLogger(__name__)
logging.getLogger("httpx").setLevel(logging.WARNING)  # URLs carry the robot key

MARKDOWN_LIMIT_BYTES = 4096
TEXT_LIMIT_BYTES = 2048
_RATE_LIMITED = 45009


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

    @property
    def bucket(self) -> str:
        """What the 20-a-minute limit is counted on, without the key itself."""
        return "robot:" + hashlib.sha256(self.key.encode()).hexdigest()[:16]


def card_markdown(card: OutgoingCard) -> str:
    text = card.text
    if card.mentions:
        text += "\n" + " ".join(f"<@{m}>" for m in card.mentions)
    return text


class WeComRobotNotifier:
    """A ``Notifier`` posting through group robot webhooks (one message per ``send``)."""

    def __init__(
        self,
        *,
        keys: Sequence[str],
        api_base: str = "https://qyapi.weixin.qq.com",
        transport: httpx.BaseTransport | None = None,
        per_minute: int = 20,
        limit_bytes: int = MARKDOWN_LIMIT_BYTES,
    ) -> None:
        if not keys:
            raise ChannelError("没有配置群机器人 webhook key")
        self._robots = [RobotKey.parse(k) for k in keys]
        self._url = f"{api_base.rstrip('/')}/cgi-bin/webhook/send"
        self._http = httpx.Client(transport=transport, timeout=10.0)
        self._per_minute = per_minute
        self._limit = limit_bytes

    def __repr__(self) -> str:
        return f"WeComRobotNotifier(robots={[r.label for r in self._robots]})"

    def robot_for(self, chat: str | None) -> RobotKey:
        for robot in self._robots:
            if chat and robot.chat == chat:
                return robot
        unbound = [r for r in self._robots if r.chat is None]
        return (unbound or self._robots)[0]

    def delivery(self, card: OutgoingCard) -> Delivery:
        robot = self.robot_for(card.chat)
        limit = min(self._limit, TEXT_LIMIT_BYTES) if card.mention_all else self._limit
        return Delivery(
            channel="robot", bucket=robot.bucket, per_minute=self._per_minute, max_bytes=limit
        )

    def send(self, card: OutgoingCard) -> None:
        robot = self.robot_for(card.chat)
        for image in card.images:
            self._post(robot, _image_body(Path(image)))
        if not card.text:
            return
        if card.mention_all:
            body = {
                "msgtype": "text",
                "text": {
                    "content": card.text,
                    "mentioned_list": [*card.mentions, "@all"],
                },
            }
        else:
            body = {"msgtype": "markdown", "markdown": {"content": card_markdown(card)}}
        self._post(robot, body)

    def _post(self, robot: RobotKey, body: dict[str, Any]) -> None:
        try:
            response = self._http.post(self._url, params={"key": robot.key}, json=body)
            data = (
                response.json() if response.status_code < 500 else {"errcode": response.status_code}
            )
        except (httpx.HTTPError, ValueError) as exc:
            log.warning("%s: sending failed (%s)", robot.label, type(exc).__name__)
            raise ChannelError(f"群机器人暂时无法发送（{type(exc).__name__}）") from exc
        errcode = data.get("errcode", 0) if isinstance(data, dict) else -1
        if errcode == 0 and response.status_code < 400:
            return
        details: dict[str, Any] = {"errcode": errcode}
        if errcode == _RATE_LIMITED:
            # WeCom counted more than we did (another sender on the same robot): wait a minute.
            details["retry_after"] = 60.0
        log.warning("%s: WeCom answered errcode %s", robot.label, errcode)
        raise ChannelError(f"群机器人发送失败（errcode {errcode}）", details=details)

    def close(self) -> None:
        self._http.close()


def _image_body(path: Path) -> dict[str, Any]:
    try:
        data = path.read_bytes()
    except OSError as exc:
        raise ChannelError(f"图片 {path.name} 读不出来") from exc
    return {
        "msgtype": "image",
        "image": {
            "base64": base64.b64encode(data).decode(),
            "md5": hashlib.md5(data).hexdigest(),  # noqa: S324 - WeCom asks for the MD5
        },
    }
