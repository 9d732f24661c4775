"""From a decrypted WeCom callback to a stored inbox message.

A sender seen for the first time becomes a member named by their userid at once (the
acknowledgement must not wait on the directory) and is renamed from the WeCom directory in the
background when a directory lookup is wired. A message to the app outside any group lands in the
sender's own chat, linked to the sender's default project (the latest active project they own or
belong to).
"""

from __future__ import annotations

import contextlib
import logging
import re
import threading
from collections.abc import Callable
from concurrent.futures import ThreadPoolExecutor
from dataclasses import dataclass
from typing import Any

from assistant.adapters.wecom.messages import AppMessage, BotMessage
from assistant.domain import Chat, Member, Message, MessageKind, ProjectStatus
from assistant.errors import Conflict
from assistant.identity import normalise_name
from assistant.ports import Clock
from assistant.services.inbox import Inbound, Inbox, free_label
from assistant.unit_of_work import UnitOfWork, UnitOfWorkFactory

__all__ = [
    "APP_CHANNEL",
    "BOT_CHANNEL",
    "PreparedInbound",
    "WeComIntake",
    "app_chat_name",
    "bot_chat_name",
]

log = logging.getLogger(__name__)

APP_CHANNEL = "wecom"
IDENTITY_CHANNEL = "wecom"
"""WeCom userids are one namespace for the app and the bot (``member_identities.channel``)."""
BOT_CHANNEL = "wecom-bot"


def app_chat_name(userid: str) -> str:
    return f"企业微信·{userid}"


def bot_chat_name(chat_id: str) -> str:
    return f"企业微信群·{chat_id}"


@dataclass(frozen=True, slots=True)
class PreparedInbound:
    """A WeCom message made ready for the inbox, with what its sender and chat need:
    ``setup`` is (userid, channel, chat external id, chat name, personal chat)."""

    inbound: Inbound
    setup: tuple[str, str, str, str, bool]


class WeComIntake:
    """Stores WeCom messages in the inbox; returns ``(message, is_new)`` like ``Inbox.receive``."""

    def __init__(
        self,
        *,
        inbox: Inbox,
        uow_factory: UnitOfWorkFactory,
        clock: Clock,
        directory: Callable[[str], str | None] | None = None,
        bot_name: str = "",
        serialize_writes: bool = False,
        response_url_allowed: Callable[[str], bool] | None = None,
        store: Callable[[Inbound], tuple[Message, bool]] | None = None,
    ) -> None:
        # Where messages are stored: the group-commit writer when wired, else one by one.
        self._store = store or inbox.receive
        self._response_url_allowed = response_url_allowed
        self._inbox = inbox
        self._uow_factory = uow_factory
        self._clock = clock
        self._directory = directory
        self._bot_mention = re.compile(rf"^\s*(?:@{re.escape(bot_name)}\s*)+") if bot_name else None
        self._renamer = (
            ThreadPoolExecutor(max_workers=2, thread_name_prefix="qunmi-directory")
            if directory
            else None
        )
        # (channel, chat, userid) already set up in this process: later messages skip a transaction
        self._prepared: set[tuple[str, str, str]] = set()
        self._setup_lock = threading.Lock()
        # SQLite has one writer at a time and its busy handler sleeps in growing steps: with
        # many request threads, queueing them here is much faster than letting them collide.
        self._write_lock: threading.Lock | contextlib.nullcontext[None] = (
            threading.Lock() if serialize_writes else contextlib.nullcontext()
        )

    def close(self) -> None:
        if self._renamer is not None:
            self._renamer.shutdown(wait=True)

    # -- the two callbacks --------------------------------------------------------------------

    def receive_app(self, msg: AppMessage) -> tuple[Message, bool]:
        return self.receive(self.app_inbound(msg))

    def receive_bot(self, msg: BotMessage) -> tuple[Message, bool]:
        return self.receive(self.bot_inbound(msg))

    def receive(self, prepared: PreparedInbound) -> tuple[Message, bool]:
        """Set the sender and chat up if needed, store the message (blocking)."""
        new_member = self.setup(prepared)
        with self._write_lock:
            result = self._store(prepared.inbound)
        self.stored(new_member)
        return result

    def ready(self, prepared: PreparedInbound) -> bool:
        """Whether the sender and chat are known to be set up (no database work needed)."""
        userid, channel, chat_external, _, _ = prepared.setup
        return (channel, chat_external, userid) in self._prepared

    def setup(self, prepared: PreparedInbound) -> Member | None:
        """Make sure the sender is a member and the chat exists; the member if created now."""
        userid, channel, chat_external, chat_name, personal = prepared.setup
        # One set-up at a time in this process: SQLite has one writer, and new senders' first
        # messages arrive together; queued here they do not sleep in its busy handler.
        with self._setup_lock:
            return self._prepare(userid, channel, chat_external, chat_name, personal=personal)

    def stored(self, new_member: Member | None) -> None:
        """After the message is stored: a member created for it gets their directory name."""
        if new_member is not None:
            self._rename_later(new_member)

    def app_inbound(self, msg: AppMessage) -> PreparedInbound:
        """The inbox message for an app callback (no database work)."""
        kind, text, payload = self._app_content(msg)
        chat_external = f"chat:{msg.chat_id}" if msg.chat_id else f"user:{msg.from_user}"
        chat_name = f"企业微信群·{msg.chat_id}" if msg.chat_id else app_chat_name(msg.from_user)
        return PreparedInbound(
            Inbound(
                channel=APP_CHANNEL,
                chat=chat_external,
                sender=msg.from_user,
                text=text,
                external_id=msg.dedupe_id,
                kind=kind,
                chat_name=chat_name,
                payload=payload,
            ),
            (msg.from_user, APP_CHANNEL, chat_external, chat_name, not msg.chat_id),
        )

    def bot_inbound(self, msg: BotMessage) -> PreparedInbound:
        """The inbox message for an AI bot callback (no database work)."""
        group = msg.chat_type == "group" and bool(msg.chat_id)
        chat_external = f"chat:{msg.chat_id}" if group else f"user:{msg.from_user}"
        chat_name = bot_chat_name(msg.chat_id) if group else f"企业微信机器人·{msg.from_user}"
        text = msg.text
        if self._bot_mention is not None:
            text = self._bot_mention.sub("", text)
        kind = {
            "text": MessageKind.TEXT,
            "mixed": MessageKind.TEXT,
            "voice": MessageKind.VOICE,
        }.get(msg.msg_type, MessageKind.EVENT if msg.msg_type == "event" else MessageKind.FILE)
        payload: dict[str, Any] = {
            "wecom_userid": msg.from_user,
            "msg_type": msg.msg_type,
            "chat_type": msg.chat_type,
        }
        if msg.response_url:
            if self._response_url_allowed is None or self._response_url_allowed(msg.response_url):
                payload["response_url"] = msg.response_url
            else:
                # Signed by the bot's token, yet not WeCom's: never post a reply there.
                log.warning("bot message %s names a response URL outside WeCom", msg.msg_id)
        if msg.event:
            payload["event"] = msg.event
        if kind == MessageKind.FILE:
            self._bot_file(msg, payload)
        elif msg.msg_type == "mixed":
            self._bot_pictures(msg, payload)
        return PreparedInbound(
            Inbound(
                channel=BOT_CHANNEL,
                chat=chat_external,
                sender=msg.from_user,
                text=text.strip(),
                external_id=msg.dedupe_id,
                kind=kind,
                chat_name=chat_name,
                payload=payload,
            ),
            (msg.from_user, BOT_CHANNEL, chat_external, chat_name, not group),
        )

    # -- helpers ------------------------------------------------------------------------------

    def _allowed_file_url(self, msg: BotMessage, url: str) -> bool:
        if self._response_url_allowed is None or self._response_url_allowed(url):
            return True
        # Signed by the bot's token, yet not WeCom's: never fetch from there.
        log.warning("bot message %s names a file URL outside WeCom", msg.msg_id)
        return False

    def _bot_pictures(self, msg: BotMessage, payload: dict[str, Any]) -> None:
        """A 图文混排 message: the pictures in it, kept like image messages (its text is the
        message's text, and their caption)."""
        body = msg.raw.get("mixed")
        items = body.get("msg_item") if isinstance(body, dict) else None
        urls: list[str] = []
        for item in items if isinstance(items, list) else []:
            picture = item.get("image") if isinstance(item, dict) else None
            url = str(picture.get("url", "")) if isinstance(picture, dict) else ""
            if not url:
                continue
            if self._allowed_file_url(msg, url):
                urls.append(url)
            else:
                payload["file_refused"] = True
        if urls:
            payload["file_urls"] = urls[:10]

    def _bot_file(self, msg: BotMessage, payload: dict[str, Any]) -> None:
        """An AI bot image or file message: where its (encrypted) file is, when that is WeCom."""
        body = msg.raw.get(msg.msg_type)
        url = str(body.get("url", "")) if isinstance(body, dict) else ""
        if not url:
            return
        if not self._allowed_file_url(msg, url):
            payload["file_refused"] = True
            return
        payload["file_url"] = url
        for key in ("filename", "file_name", "name", "title"):
            if isinstance(body, dict) and body.get(key):
                payload["title"] = str(body[key])[:200]
                break

    @staticmethod
    def _app_content(msg: AppMessage) -> tuple[MessageKind, str, dict[str, Any]]:
        payload: dict[str, Any] = {"wecom_userid": msg.from_user, "msg_type": msg.msg_type}
        if msg.agent_id:
            payload["agent_id"] = msg.agent_id
        if msg.msg_type == "text":
            return MessageKind.TEXT, msg.content, payload
        if msg.msg_type == "voice":
            payload.update(media_id=msg.media_id, format=msg.format or "amr")
            # WeCom's own recognition, when the app has it switched on, is used as it is.
            return MessageKind.VOICE, msg.recognition, payload
        if msg.msg_type == "event":
            payload.update(event=msg.event, event_key=msg.event_key, create_time=msg.create_time)
            return MessageKind.EVENT, "", payload
        payload.update(media_id=msg.media_id, title=msg.title)
        return MessageKind.FILE, "", payload

    def _prepare(
        self, userid: str, channel: str, chat_external: str, chat_name: str, *, personal: bool
    ) -> Member | None:
        """Make sure the sender is a member and the chat exists (a personal chat linked to the
        sender's default project). Returns the member when it was created just now."""
        key = (channel, chat_external, userid)
        if key in self._prepared:
            return None
        for attempt in range(3):
            try:
                created = self._prepare_once(
                    userid, channel, chat_external, chat_name, personal=personal
                )
            except Conflict:
                # The first messages of a new sender arrive together: another request won the
                # race to create the same rows, which the next attempt finds.
                if attempt == 2:
                    raise
                continue
            self._prepared.add(key)
            return created
        return None

    def _prepare_once(
        self, userid: str, channel: str, chat_external: str, chat_name: str, *, personal: bool
    ) -> Member | None:
        now = self._clock.now()
        created: Member | None = None
        with self._uow_factory() as uow:
            # The userid WeCom verified is the identity; a display name never is.
            linked = uow.identities.member_for(IDENTITY_CHANNEL, userid)
            member = uow.members.get(linked) if linked is not None else None
            if member is None:
                member = uow.members.by_wecom_userid(userid)
            if member is None:
                member = uow.members.add(
                    Member(
                        display_name=free_label(uow, userid, userid),
                        wecom_userid=userid,
                        created_at=now,
                    )
                )
                created = member
            if linked is None and member.id is not None:
                uow.identities.link(member.id, IDENTITY_CHANNEL, userid, now)
            chat = uow.chats.by_external(channel, chat_external)
            if chat is None:
                uow.chats.add(
                    Chat(
                        name=chat_name[:200],
                        channel=channel,
                        external_id=chat_external,
                        project_id=self._default_project(uow, member) if personal else None,
                        member_ids=[member.id] if member.id is not None else [],
                        created_at=now,
                    )
                )
            elif member.id is not None and member.id not in chat.member_ids:
                chat.member_ids.append(member.id)
                uow.chats.update(chat)
            uow.commit()
        return created

    @staticmethod
    def _default_project(uow: UnitOfWork, member: Member) -> int | None:
        mine = [
            p
            for p in uow.projects.all()
            if p.status == ProjectStatus.ACTIVE
            and (p.owner_id == member.id or member.id in p.member_ids)
        ]
        return max((p.id for p in mine if p.id is not None), default=None)

    def _rename_later(self, member: Member) -> None:
        if self._renamer is None or member.id is None or member.wecom_userid is None:
            return
        self._renamer.submit(self.rename_from_directory, member.id, member.wecom_userid)

    def rename_from_directory(self, member_id: int, userid: str) -> str | None:
        """Give a member known only by userid their directory name (or keep it as an alias when
        another member already has that name). Returns the name found."""
        assert self._directory is not None
        try:
            name = self._directory(userid)
        except Exception as exc:  # noqa: BLE001 - the directory is a nicety; the member exists
            log.warning("directory lookup for a new member failed: %s", type(exc).__name__)
            return None
        if not name:
            return None
        with self._uow_factory() as uow:
            member = uow.members.get(member_id)
            if member is None or member.display_name != userid:
                return name  # renamed by hand meanwhile: the team's choice wins
            wanted = normalise_name(name)
            taken = next(
                (
                    m
                    for m in uow.members.all()
                    if m.id != member.id and any(normalise_name(n) == wanted for n in m.names)
                ),
                None,
            )
            if taken is None:
                member.display_name = name[:200]
            elif name not in member.aliases:
                member.aliases.append(name)
            uow.members.update(member)
            uow.commit()
        return name
