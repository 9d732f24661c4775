"""Outbound: cards from the outbox to where their chat lives.

``ChannelNotifier`` looks the card's chat up and picks the way out: the app's message-send API
for app chats, the AI bot's response URL for bot chats, the group robot for reminders and alerts
(and whenever nothing else reaches the chat). Console chats read their cards from the outbox, so
nothing leaves the process for them. Every send either goes out or raises ``ChannelError``; the
outbox keeps the card and tries again.
"""

from __future__ import annotations

import logging
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from assistant.adapters.wecom.client import WeComClient
from assistant.adapters.wecom.intake import APP_CHANNEL, BOT_CHANNEL
from assistant.adapters.wecom.robot import (
    TEXT_LIMIT_BYTES,
    WeComRobotNotifier,
    card_markdown,
)
from assistant.domain import Chat
from assistant.errors import ChannelError
from assistant.ports import Delivery, Notifier, OutgoingCard
from assistant.unit_of_work import UnitOfWorkFactory

__all__ = ["APP_MARKDOWN_LIMIT_BYTES", "ChannelNotifier", "Route", "WeComAppNotifier"]

log = logging.getLogger(__name__)

_ROBOT_KINDS = {"reminder", "alert", "report"}
APP_MARKDOWN_LIMIT_BYTES = 2048  # message/send and appchat/send: markdown up to 2048 bytes


class WeComAppNotifier:
    """Sends cards through the self-built app to users (``touser``) or an app group chat."""

    def __init__(self, client: WeComClient) -> None:
        self._client = client
        self.sent: list[tuple[str, str]] = []

    def send_to(
        self, card: OutgoingCard, *, touser: str | None = None, chat_id: str | None = None
    ) -> None:
        """One markdown message (the outbox has cut the card to fit), or the card's images
        (uploaded, then sent as image messages)."""
        for image in card.images:
            path = Path(image)
            try:
                data = path.read_bytes()
            except OSError as exc:
                raise ChannelError(f"图片 {path.name} 读不出来") from exc
            media_id = self._client.upload_image(data, filename=path.name)
            self._client.send_image(media_id, touser=touser, chat_id=chat_id)
            self.sent.append((touser or chat_id or "", f"[image]{path.name}"))
        if not card.text:
            return
        content = card_markdown(card)
        self._client.send_markdown(content, touser=touser, chat_id=chat_id)
        self.sent.append((touser or chat_id or "", content))

    def send(self, card: OutgoingCard) -> None:
        """A card without a route goes to every user of the app (``@all``)."""
        self.send_to(card, touser="@all")


@dataclass(frozen=True, slots=True)
class Route:
    channel: str
    external_id: str
    payload: dict[str, Any]


class ChannelNotifier:
    """A ``Notifier`` that routes each card by its chat (see the module docstring)."""

    def __init__(
        self,
        *,
        uow_factory: UnitOfWorkFactory,
        app: WeComAppNotifier | None = None,
        client: WeComClient | None = None,
        robot: WeComRobotNotifier | None = None,
        inner: Notifier | None = None,
    ) -> None:
        self._uow_factory = uow_factory
        self._app = app
        self._client = client
        self._robot = robot
        self._warned_no_app = False
        self._inner = inner

    def route(self, chat_name: str | None, message_id: int | None = None) -> Route | None:
        """Where a card goes: the chat of the message it answers (with that message's payload,
        e.g. a bot's response URL); else the chat it names, preferring WeCom chats."""
        if message_id is not None:
            with self._uow_factory() as uow:
                answered = uow.messages.get(message_id)
                chat_of = uow.chats.get(answered.chat_id) if answered and answered.chat_id else None
            if answered is not None and chat_of is not None:
                return Route(
                    channel=chat_of.channel,
                    external_id=chat_of.external_id or "",
                    payload=dict(answered.payload),
                )
        if not chat_name:
            return None
        with self._uow_factory() as uow:
            chats: list[Chat] = [
                c
                for c in uow.chats.list(filters={"name": chat_name}, limit=10).items
                if c.settings.get("wecom_create") != "pending"  # a group WeCom has not made yet
            ]
            if not chats:
                return None
            chats.sort(
                key=lambda c: (c.channel in (APP_CHANNEL, BOT_CHANNEL), c.id or 0), reverse=True
            )
            chat = chats[0]
            latest = uow.messages.list(filters={"chat_id": chat.id}, limit=1, order="-id").items
        payload = dict(latest[0].payload) if latest else {}
        return Route(channel=chat.channel, external_id=chat.external_id or "", payload=payload)

    def delivery(self, card: OutgoingCard) -> Delivery:
        """How ``card`` would leave (the outbox asks first, for limits and coalescing)."""
        return self._plan(card)[0]

    def _plan(self, card: OutgoingCard) -> tuple[Delivery, Route | None]:
        route = self.route(card.chat, card.message_id)
        if self._robot is not None and card.kind in _ROBOT_KINDS:
            return self._robot.delivery(card), route
        if route is not None and route.channel == BOT_CHANNEL:
            if route.payload.get("response_url") and self._client is not None:
                return Delivery(channel="bot", max_bytes=TEXT_LIMIT_BYTES * 2), route
            if self._robot is not None:
                return self._robot.delivery(card), route
            return Delivery(channel="unreachable", external=False), route
        if route is not None and route.channel == APP_CHANNEL:
            if self._app is None:
                return Delivery(channel="unreachable", external=False), route
            return (
                Delivery(
                    channel="app",
                    bucket=f"app:{route.external_id}"[:80],
                    per_minute=20,
                    max_bytes=APP_MARKDOWN_LIMIT_BYTES,
                ),
                route,
            )
        return Delivery(channel="console", external=False), route

    def send(self, card: OutgoingCard) -> None:
        if self._inner is not None:
            self._inner.send(card)
        delivery, route = self._plan(card)
        if delivery.channel == "robot":
            assert self._robot is not None
            self._robot.send(card)
            return
        if delivery.channel == "bot":
            assert route is not None and self._client is not None
            url = str(route.payload.get("response_url"))
            self._client.post_json(
                url, {"msgtype": "markdown", "markdown": {"content": card_markdown(card)}}
            )
            return
        if delivery.channel == "unreachable" and not self._warned_no_app:
            # Once per process: every reply would say the same thing.
            self._warned_no_app = True
            log.warning(
                "cards for WeCom chats stay in the outbox only: set QUNMI_WECOM__SECRET / "
                "AGENT_ID (app chats) or QUNMI_WECOM__ROBOT_KEYS"
            )
        if delivery.channel != "app":
            return
        assert route is not None and self._app is not None
        kind, _, ident = route.external_id.partition(":")
        if kind == "chat":
            self._app.send_to(card, chat_id=ident)
        else:
            self._app.send_to(card, touser=ident)
