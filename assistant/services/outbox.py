"""The outbox: every message Qunmi sends — replies, reminders, alerts, reports — is stored first
(in the unit of work of the change that caused it), then sent by its channel and marked sent once.

A send that fails stays stored and is tried again with backoff; after ``max_attempts`` it is
``dead`` — kept, listed and retryable, never dropped. Sending claims a message with a lease, so
two processes never send the same one, and a process killed mid-send leaves it to be claimed
again when the lease runs out.

Channels with limits (the group robot: 20 messages a minute, 4096 bytes) are respected here, for
every process at once: a card is cut to fit between lines, the rate is counted per robot from
the stored sends of the last minute, and reminders for one chat that are due together share one
channel message (``coalescible``). A card cut into parts records how many parts went out, so a
retry sends only the rest.

The one window the outbox cannot close is a process dying after the channel accepted a message
and before the database recorded it: that message is sent again when its lease runs out (the
app channel asks WeCom to drop such a repeat; the group robot has no way to).
"""

from __future__ import annotations

import logging
import threading
from collections.abc import Callable, Sequence
from dataclasses import dataclass, field, replace
from datetime import datetime, timedelta, tzinfo
from typing import Any

from assistant.domain import OutboxMessage, OutboxState, Recipient
from assistant.errors import ChannelError, InvalidInput, NotFound
from assistant.ports import Clock, Delivery, Notifier, OutgoingCard, RoutingNotifier
from assistant.services.background import BackgroundLoop
from assistant.unit_of_work import UnitOfWork, UnitOfWorkFactory

__all__ = [
    "Outbox",
    "OutboxConfig",
    "OutboxSender",
    "outbox_record",
    "recipients_for",
    "split_markdown",
]

log = logging.getLogger(__name__)

_COALESCE_SEPARATOR = "\n\n"


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


def split_markdown(text: str, limit: int = 4096) -> list[str]:
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


def recipients_for(uow: UnitOfWork, mentions: Sequence[str]) -> list[Recipient]:
    """The members behind mentioned names, userids or aliases; unknown names stay names."""
    out: list[Recipient] = []
    everyone = None
    for raw in dict.fromkeys(m.strip() for m in mentions if m and m.strip()):
        member = uow.members.by_wecom_userid(raw) or uow.members.by_display_name(raw)
        if member is None:
            everyone = everyone if everyone is not None else uow.members.all()
            member = next((m for m in everyone if raw in m.aliases), None)
        if member is None:
            out.append(Recipient(name=raw))
        else:
            out.append(
                Recipient(name=member.display_name, member_id=member.id, userid=member.wecom_userid)
            )
    return out


@dataclass(frozen=True, slots=True)
class OutboxConfig:
    lease: timedelta = timedelta(seconds=60)
    base_backoff: timedelta = timedelta(seconds=5)
    max_backoff: timedelta = timedelta(minutes=30)
    max_attempts: int = 30
    batch: int = 200
    rate_wait: timedelta = timedelta(seconds=3)


@dataclass(slots=True)
class _Group:
    """Messages that leave as one channel message (one alone, unless coalesced)."""

    delivery: Delivery
    messages: list[OutboxMessage]
    cards: list[OutgoingCard]
    size: int = 0

    def combined(self) -> OutgoingCard:
        if len(self.cards) == 1:
            return self.cards[0]
        first = self.cards[0]
        mentions = list(dict.fromkeys(m for c in self.cards for m in c.mentions))
        return replace(
            first,
            text=_COALESCE_SEPARATOR.join(c.text for c in self.cards),
            mentions=tuple(mentions),
            message_id=None,
        )


@dataclass(slots=True)
class _Budget:
    """Channel messages each rate-limited bucket may still take during one pass."""

    left: dict[str, int] = field(default_factory=dict)


class Outbox:
    """Stores outgoing cards (``put``, inside the caller's unit of work) and sends them
    (``deliver``)."""

    def __init__(
        self,
        *,
        uow_factory: UnitOfWorkFactory,
        clock: Clock,
        notifier: Notifier | None = None,
        config: OutboxConfig | None = None,
    ) -> None:
        self._uow_factory = uow_factory
        self._clock = clock
        self.notifier = notifier
        self._config = config or OutboxConfig()
        self._blocked: dict[str, datetime] = {}
        self._lock = threading.Lock()
        self._wakers: list[Callable[[], None]] = []

    # -- storing --------------------------------------------------------------------------

    @staticmethod
    def put(
        uow: UnitOfWork,
        card: OutgoingCard,
        *,
        now: datetime,
        key: str | None = None,
        job_id: int | None = None,
        coalescible: bool = False,
        recipients: Sequence[Recipient] | None = None,
    ) -> OutboxMessage:
        """Store ``card`` in the outbox as part of ``uow`` (the caller commits). A ``key``
        already stored returns the stored message: the same cause never sends twice."""
        if not card.text.strip() and not card.images:
            raise InvalidInput("不能发送空消息")
        chat_name = card.chat
        if chat_name is None and card.chat_id is not None:
            chat = uow.chats.get(card.chat_id)
            chat_name = chat.name if chat is not None else None
        people = list(recipients) if recipients is not None else recipients_for(uow, card.mentions)
        return uow.outbox.add_once(
            OutboxMessage(
                kind=card.kind,
                text=card.text,
                created_at=now,
                key=key[:300] if key else None,
                chat_id=card.chat_id,
                chat_name=chat_name,
                message_id=card.message_id,
                job_id=job_id,
                mentions=[r.to_dict() for r in people],
                mention_all=card.mention_all,
                images=list(card.images),
                coalescible=coalescible,
            )
        )

    def wake(self) -> None:
        """New messages are stored: let the background sender look now."""
        for waker in self._wakers:
            waker()

    def on_wake(self, callback: Callable[[], None]) -> None:
        self._wakers.append(callback)

    @staticmethod
    def card_for(message: OutboxMessage) -> OutgoingCard:
        """The card a stored message stands for: people with a WeCom userid are @-ed by it,
        the others by name in the text."""
        userids = [str(r["userid"]) for r in message.mentions if r.get("userid")]
        by_name = [str(r["name"]) for r in message.mentions if not r.get("userid")]
        text = message.text
        if by_name:
            text = (text + "\n" if text else "") + " ".join(f"@{n}" for n in by_name)
        return OutgoingCard(
            text=text,
            chat=message.chat_name,
            mentions=tuple(userids),
            kind=message.kind,
            chat_id=message.chat_id,
            message_id=message.message_id,
            mention_all=message.mention_all,
            images=tuple(message.images),
        )

    # -- sending --------------------------------------------------------------------------

    def _delivery(self, card: OutgoingCard) -> Delivery:
        if self.notifier is None:
            return Delivery(channel="console", external=False)
        if isinstance(self.notifier, RoutingNotifier):
            return self.notifier.delivery(card)
        return Delivery(channel="notifier")

    def deliver(
        self, ids: Sequence[int] | None = None, *, limit: int | None = None
    ) -> list[OutboxMessage]:
        """Send what is due now (only ``ids`` when given); returns the messages this pass
        finished with, sent or not."""
        now = self._clock.now()
        with self._uow_factory() as uow:
            due = uow.outbox.claimable(now, limit or self._config.batch, ids)
        if not due:
            return []
        budget = _Budget()
        ready: list[_Group] = []
        waiting: list[OutboxMessage] = []
        for group in self._group(due):
            if self._room(group.delivery, budget, now) == 0:
                waiting.extend(group.messages)
            else:
                ready.append(group)
        with self._uow_factory() as uow:
            if waiting:
                uow.outbox.mark(
                    [m.id for m in waiting if m.id is not None],
                    next_attempt_at=now + self._config.rate_wait,
                )
            claimed = uow.outbox.claim_many(
                [m.id for g in ready for m in g.messages if m.id is not None],
                now,
                now + self._config.lease,
            )
            uow.commit()
        done: list[OutboxMessage] = []
        quiet: list[tuple[_Group, int]] = []  # nothing leaves the process: recorded together
        for group in ready:
            kept = [
                (m, c) for m, c in zip(group.messages, group.cards, strict=True) if m.id in claimed
            ]
            if not kept:
                continue
            group = _Group(
                delivery=group.delivery, messages=[m for m, _ in kept], cards=[c for _, c in kept]
            )
            if self.notifier is None:
                quiet.append((group, len(self._pieces(group.combined(), group.delivery))))
                continue
            done.extend(self._send_group(group, budget, now))
        if quiet:
            done.extend(self._sent_many(quiet))
        return done

    def _group(self, due: list[OutboxMessage]) -> list[_Group]:
        groups: list[_Group] = []
        open_groups: dict[tuple[object, ...], _Group] = {}
        for message in due:
            card = self.card_for(message)
            try:
                delivery = self._delivery(card)
            except Exception as exc:  # noqa: BLE001 - routing may hit the database; retry later
                log.warning("routing outbox message %s failed: %s", message.id, exc)
                delivery = Delivery(channel="error")
            limit = delivery.max_bytes
            if (
                message.coalescible
                and message.parts_sent == 0
                and not message.images
                and delivery.per_minute is not None
            ):
                group_key = (delivery.bucket, message.chat_id, message.chat_name, card.mention_all)
                size = len(card_markdown_size(card))
                group = open_groups.get(group_key)
                fits = group is not None and (
                    limit is None or group.size + len(_COALESCE_SEPARATOR.encode()) + size <= limit
                )
                if group is not None and fits:
                    group.messages.append(message)
                    group.cards.append(card)
                    group.size += len(_COALESCE_SEPARATOR.encode()) + size
                    continue
                group = _Group(delivery=delivery, messages=[message], cards=[card], size=size)
                open_groups[group_key] = group
                groups.append(group)
                continue
            groups.append(_Group(delivery=delivery, messages=[message], cards=[card]))
        return groups

    def _pieces(self, card: OutgoingCard, delivery: Delivery) -> list[OutgoingCard]:
        """The channel messages a card leaves as: its text cut to fit, then its images."""
        pieces: list[OutgoingCard] = []
        if card.text:
            # The mention line goes with the last piece, so it must fit there too.
            reserve = len(card_markdown_size(replace(card, text=""))) if card.mentions else 0
            limit = delivery.max_bytes - reserve if delivery.max_bytes else None
            texts = split_markdown(card.text, limit) if limit else [card.text]
            for i, text in enumerate(texts):
                last = i == len(texts) - 1
                pieces.append(
                    replace(
                        card,
                        text=text,
                        mentions=card.mentions if last else (),
                        mention_all=card.mention_all and i == 0,
                        images=(),
                    )
                )
        pieces.extend(
            replace(card, text="", mentions=(), mention_all=False, images=(image,))
            for image in card.images
        )
        return pieces

    def _room(self, delivery: Delivery, budget: _Budget, now: datetime) -> int | None:
        """Channel messages the bucket may take now (None: no limit)."""
        bucket = delivery.bucket
        if bucket is None or delivery.per_minute is None:
            return None
        with self._lock:
            blocked = self._blocked.get(bucket)
        if blocked is not None and blocked > now:
            return 0
        if bucket not in budget.left:
            with self._uow_factory() as uow:
                used = uow.outbox.parts_sent_since(bucket, now - timedelta(seconds=60))
            budget.left[bucket] = max(delivery.per_minute - used, 0)
        return budget.left[bucket]

    def _send_group(self, group: _Group, budget: _Budget, now: datetime) -> list[OutboxMessage]:
        """Send a claimed group's pieces (as many as the rate allows) and record the outcome."""
        delivery = group.delivery
        room = self._room(delivery, budget, now)
        lead = group.messages[0]
        pieces = self._pieces(group.combined(), delivery)
        sent_parts = lead.parts_sent
        try:
            for piece in pieces[lead.parts_sent :]:
                if room is not None and sent_parts - lead.parts_sent >= room:
                    break
                assert self.notifier is not None
                self.notifier.send(piece)
                sent_parts += 1
                if delivery.bucket is not None and delivery.bucket in budget.left:
                    budget.left[delivery.bucket] -= 1
                if sent_parts < len(pieces):
                    self._record_parts(lead, sent_parts)
        except Exception as exc:  # noqa: BLE001 - a channel failure must leave a retryable row
            return self._failed(group.messages, sent_parts, exc, delivery, now)
        if sent_parts < len(pieces):
            # Out of rate for this minute: the rest goes out later, nothing is resent.
            self._defer(group.messages, now + self._config.rate_wait, release=True)
            return []
        return self._sent_many([(group, len(pieces))])

    def _record_parts(self, lead: OutboxMessage, parts: int) -> None:
        with self._uow_factory() as uow:
            stored = uow.outbox.get(lead.id or 0)
            if stored is not None:
                stored.parts_sent = parts
                uow.outbox.update(stored)
                uow.commit()

    def _defer(
        self, messages: list[OutboxMessage], until: datetime, *, release: bool = False
    ) -> None:
        with self._uow_factory() as uow:
            for message in messages:
                stored = uow.outbox.get(message.id or 0)
                if stored is None or stored.state == OutboxState.SENT:
                    continue
                if stored.state == OutboxState.SENDING and not release:
                    continue
                stored.state = OutboxState.PENDING
                stored.next_attempt_at = until
                uow.outbox.update(stored)
            uow.commit()

    def _sent_many(self, groups: list[tuple[_Group, int]]) -> list[OutboxMessage]:
        """Record groups as sent, each with the channel messages it took (on its first row)."""
        at = self._clock.now()
        out: list[OutboxMessage] = []
        # One UPDATE per (channel, bucket, parts): the first row of a group carries the parts
        # the channel took, the rows coalesced into it none.
        marks: dict[tuple[str, str | None, int], list[int]] = {}
        for group, parts in groups:
            d = group.delivery
            for i, m in enumerate(group.messages):
                share = parts if i == 0 else 0
                marks.setdefault((d.channel, d.bucket, share), []).append(m.id or 0)
                m.state, m.sent_at, m.channel, m.bucket = OutboxState.SENT, at, d.channel, d.bucket
                m.next_attempt_at, m.error, m.parts_sent = None, None, share
                m.attempts += 1
                out.append(m)
        with self._uow_factory() as uow:
            for (channel, bucket, share), ids in marks.items():
                uow.outbox.mark(
                    ids,
                    state=OutboxState.SENT,
                    sent_at=at,
                    next_attempt_at=None,
                    channel=channel,
                    bucket=bucket,
                    parts_sent=share,
                    error=None,
                )
            uow.commit()
        return out

    def _failed(
        self,
        messages: list[OutboxMessage],
        sent_parts: int,
        exc: Exception,
        delivery: Delivery,
        now: datetime,
    ) -> list[OutboxMessage]:
        reason = exc.reason if isinstance(exc, ChannelError) else f"{type(exc).__name__}: {exc}"
        log.warning("outbox: sending %s failed: %s", [m.id for m in messages], reason)
        retry_after: float | None = None
        if isinstance(exc, ChannelError):
            raw = exc.details.get("retry_after")
            retry_after = float(raw) if isinstance(raw, int | float) else None
        if retry_after is not None and delivery.bucket is not None:
            with self._lock:
                self._blocked[delivery.bucket] = now + timedelta(seconds=retry_after)
        out: list[OutboxMessage] = []
        with self._uow_factory() as uow:
            for i, message in enumerate(messages):
                stored = uow.outbox.get(message.id or 0)
                if stored is None or stored.state == OutboxState.SENT:
                    continue
                if i == 0:
                    stored.parts_sent = sent_parts
                delay = self._config.base_backoff * (2 ** min(max(stored.attempts - 1, 0), 12))
                delay = min(delay, self._config.max_backoff)
                if retry_after is not None:
                    delay = max(delay, timedelta(seconds=retry_after))
                if stored.attempts >= self._config.max_attempts:
                    stored.state = OutboxState.DEAD
                    stored.next_attempt_at = None
                else:
                    stored.state = OutboxState.PENDING
                    stored.next_attempt_at = now + delay
                stored.error = reason[:2000]
                stored.channel = delivery.channel
                out.append(uow.outbox.update(stored))
            uow.commit()
        return out

    def retry(self, message_id: int) -> OutboxMessage:
        """Put a dead (or waiting) message back to be sent now."""
        with self._uow_factory() as uow:
            stored = uow.outbox.get(message_id)
            if stored is None:
                raise NotFound(f"发件箱里没有编号为 {message_id} 的消息")
            if stored.state == OutboxState.SENT:
                raise InvalidInput(f"消息 {message_id} 已经发出，不会再发一次")
            stored.state = OutboxState.PENDING
            stored.attempts = 0
            stored.next_attempt_at = None
            stored = uow.outbox.update(stored)
            uow.commit()
        self.deliver([message_id])
        with self._uow_factory() as uow:
            again = uow.outbox.get(message_id)
        assert again is not None
        return again


def card_markdown_size(card: OutgoingCard) -> bytes:
    """The bytes a card takes on the wire (text plus its ``<@userid>`` line)."""
    text = card.text
    if card.mentions:
        text += "\n" + " ".join(f"<@{m}>" for m in card.mentions)
    return text.encode()


class OutboxSender(BackgroundLoop):
    """Sends whatever the outbox holds that is due, every ``interval`` seconds or when woken."""

    def __init__(self, outbox: Outbox, *, interval: float = 1.0) -> None:
        super().__init__(name="qunmi-outbox", stop_timeout=10.0)
        self._outbox = outbox
        self._interval = interval
        outbox.on_wake(self.notify)

    def _loop(self) -> None:
        while not self._stop.is_set():
            try:
                self._step_aside()
                while self._outbox.deliver() and not self._stop.is_set():
                    self._step_aside()
            except Exception:  # noqa: BLE001 - the sender must outlive a bad database moment
                log.exception("outbox pass failed")
            self._wake.wait(self._interval)
            self._wake.clear()


def outbox_record(m: OutboxMessage, tz: tzinfo) -> dict[str, Any]:
    """An outbox message as the API and the CLI show it."""

    def iso(value: datetime | None) -> str | None:
        return None if value is None else value.astimezone(tz).isoformat()

    return {
        "id": m.id,
        "kind": m.kind,
        "text": m.text,
        "chat_id": m.chat_id,
        "chat": m.chat_name,
        "message_id": m.message_id,
        "job_id": m.job_id,
        "mentions": m.mentions,
        "mention_all": m.mention_all,
        "images": m.images,
        "state": m.state.value,
        "attempts": m.attempts,
        "parts_sent": m.parts_sent,
        "channel": m.channel,
        "error": m.error,
        "created_at": iso(m.created_at),
        "next_attempt_at": iso(m.next_attempt_at),
        "sent_at": iso(m.sent_at),
    }
