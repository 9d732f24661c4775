"""Outbound: reply cards back to where the message came from.

``ChannelNotifier`` looks the card's chat up and picks the way out: the app's message-send API
for app chats, the AI bot's response URL for bot chats, the group robot for reminders and alerts
(and whenever nothing else reaches the chat). Console chats read their cards from the inbox, so
nothing is sent for them.
"""

from __future__ import annotations

import logging
from dataclasses import dataclass
from typing import Any

from assistant.adapters.wecom.client import WeComClient
from assistant.adapters.wecom.intake import APP_CHANNEL, BOT_CHANNEL
from assistant.adapters.wecom.robot import WeComRobotNotifier, split_markdown
from assistant.domain import Chat
from assistant.errors import ChannelError
from assistant.ports import Notifier, OutgoingCard
from assistant.unit_of_work import UnitOfWorkFactory

__all__ = ["ChannelNotifier", "Route", "WeComAppNotifier", "card_markdown"]

log = logging.getLogger(__name__)

_ROBOT_KINDS = {"reminder", "alert"}


def card_markdown(card: OutgoingCard) -> str:
    text = card.text
    if card.mentions:
        text += "\n" + " ".join(f"<@{m}>" for m in card.mentions)
    return text


class WeComAppNotifier:
    """Sends cards through the self-built app to users (``touser``) or an app group chat."""

    def __init__(self, client: WeComClient) -> None:
        self._client = client
        self.sent: list[tuple[str, str]] = []

    def send_to(
        self, card: OutgoingCard, *, touser: str | None = None, chat_id: str | None = None
    ) -> None:
        for piece in split_markdown(card_markdown(card)):
            self._client.send_markdown(piece, touser=touser, chat_id=chat_id)
            self.sent.append((touser or chat_id or "", piece))

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
            chats: list[Chat] = uow.chats.list(filters={"name": chat_name}, limit=10).items
            if not chats:
                return None
            chats.sort(
                key=lambda c: (c.channel in (APP_CHANNEL, BOT_CHANNEL), c.id or 0), reverse=True
            )
            chat = chats[0]
            latest = uow.messages.list(filters={"chat_id": chat.id}, limit=1, order="-id").items
        payload = dict(latest[0].payload) if latest else {}
        return Route(channel=chat.channel, external_id=chat.external_id or "", payload=payload)

    def send(self, card: OutgoingCard) -> None:
        if self._inner is not None:
            self._inner.send(card)
        route = self.route(card.chat, card.message_id)
        if card.kind in _ROBOT_KINDS and self._robot is not None:
            self._robot.send(card)
            return
        if route is None or route.channel not in (APP_CHANNEL, BOT_CHANNEL):
            if self._robot is not None and card.kind in _ROBOT_KINDS:
                self._robot.send(card)
            return
        kind, _, ident = route.external_id.partition(":")
        if route.channel == BOT_CHANNEL:
            url = route.payload.get("response_url")
            if url and self._client is not None:
                try:
                    self._client.post_json(
                        str(url),
                        {"msgtype": "markdown", "markdown": {"content": card_markdown(card)}},
                    )
                    return
                except ChannelError as exc:
                    log.warning("bot reply through the response URL failed (%s)", exc.reason)
            if self._robot is not None:
                self._robot.send(card)
                return
            log.warning("card for a bot chat not sent: no response URL and no group robot")
            return
        if self._app is None:
            if not self._warned_no_app:
                # Once per process: every reply would say the same thing.
                self._warned_no_app = True
                log.warning(
                    "cards for app chats are not sent: QUNMI_WECOM__SECRET / AGENT_ID not set"
                )
            return
        if kind == "chat":
            self._app.send_to(card, chat_id=ident)
        else:
            self._app.send_to(card, touser=ident)
