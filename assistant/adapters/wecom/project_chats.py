"""A new project gets its WeCom group chat (``appchat/create``), and its members follow the chat.

1. ``plan`` is an executor observer: inside the unit of work that creates a project it stores
   the project's chat — channel ``wecom``, a chat id chosen here, linked to the project, marked
   ``wecom_create: pending`` — so the plan commits with the project or not at all.
2. ``sync`` (run by the ``ProjectChatLoop`` every few seconds) asks WeCom to
   create each pending chat with the owner, the members and whoever asked for the project. The chat id is ours, so a
   retry after a crash is the same group, never a second one (WeCom answers "id taken", which
   counts as done). A chat whose people have fewer than two userids waits (WeCom needs two).
3. Membership: app group chats send no member events to the app, so the roster is read from the
   chat itself — every sender of a message in a project's WeCom chat becomes a project member
   (the inbox does that as it stores the message), and ``follow_roster`` adds the userids
   ``appchat/get`` lists.
"""

from __future__ import annotations

import hashlib
import logging
from typing import Any

from assistant.adapters.wecom.client import WeComClient
from assistant.domain import Chat, Member
from assistant.errors import QunmiError
from assistant.ports import Clock
from assistant.services.background import BackgroundLoop
from assistant.unit_of_work import UnitOfWork, UnitOfWorkFactory

__all__ = ["ProjectChatLoop", "ProjectChats", "project_chat_id"]

log = logging.getLogger(__name__)

CHANNEL = "wecom"
PENDING = "pending"
CREATED = "created"


def project_chat_id(project_id: int, salt: str, created: str = "") -> str:
    """Our chat id for a project's group: letters and digits, at most 32 characters. The
    project's creation time is part of it, so a fresh database never reuses an old group."""
    digest = hashlib.sha256(f"{salt}:{project_id}:{created}".encode()).hexdigest()[:20]
    return f"qm{project_id}x{digest}"[:32]


class ProjectChats:
    def __init__(
        self,
        *,
        uow_factory: UnitOfWorkFactory,
        clock: Clock,
        client: WeComClient,
        salt: str,
    ) -> None:
        self._uow_factory = uow_factory
        self._clock = clock
        self._client = client
        self._salt = salt
        self.created: list[str] = []

    # -- 1. plan, inside the project's unit of work -----------------------------------------
    def plan(self, uow: UnitOfWork, changed: list[str]) -> None:
        for key in changed:
            kind, _, raw = key.partition(":")
            if kind != "project" or not raw.isdigit():
                continue
            project = uow.projects.get(int(raw))
            if project is None or project.id is None:
                continue
            linked = uow.chats.list(filters={"project_id": project.id}, limit=50).items
            # A WeCom group already linked (the project was made in that group) is its group;
            # a person's own chat with the app ("user:…") is not.
            if any(
                c.channel == CHANNEL and (c.external_id or "").startswith("chat:") for c in linked
            ):
                continue
            chat_id = project_chat_id(
                project.id,
                self._salt,
                project.created_at.isoformat() if project.created_at else "",
            )
            if uow.chats.by_external(CHANNEL, f"chat:{chat_id}") is not None:
                continue
            people = [project.owner_id, *project.member_ids]
            uow.chats.add(
                Chat(
                    name=project.name[:200],
                    channel=CHANNEL,
                    external_id=f"chat:{chat_id}",
                    project_id=project.id,
                    member_ids=list(dict.fromkeys(p for p in people if p is not None)),
                    settings={"wecom_create": PENDING, "wecom_chat_id": chat_id},
                    created_at=self._clock.now(),
                )
            )

    # -- 2. create what is planned --------------------------------------------------------
    def sync(self) -> int:
        """Create the pending group chats; returns how many were created now."""
        with self._uow_factory() as uow:
            pending = [
                c
                for c in uow.chats.list(filters={"channel": CHANNEL}, limit=500).items
                if c.settings.get("wecom_create") == PENDING
            ]
        made = 0
        for chat in pending:
            try:
                if self._create(chat):
                    made += 1
            except QunmiError as exc:
                log.warning(
                    "creating the WeCom chat of project %s failed: %s", chat.project_id, exc
                )
                with self._uow_factory() as uow:
                    fresh = uow.chats.get(chat.id) if chat.id is not None else None
                    if fresh is not None:
                        fresh.settings = {**fresh.settings, "wecom_error": exc.reason[:300]}
                        uow.chats.update(fresh)
                        uow.commit()
        return made

    def _create(self, chat: Chat) -> bool:
        chat_id = str(chat.settings["wecom_chat_id"])
        with self._uow_factory() as uow:
            project = uow.projects.get(chat.project_id) if chat.project_id else None
            if project is None:
                return False
            owner = uow.members.get(project.owner_id) if project.owner_id else None
            ids = [project.owner_id, *project.member_ids, self._creator(uow, project.id)]
            people: list[Member] = [
                m for m in (uow.members.get(i) for i in dict.fromkeys(ids) if i) if m is not None
            ]
        userids = list(dict.fromkeys(m.wecom_userid for m in people if m.wecom_userid))
        if len(userids) < 2:
            return False  # WeCom wants two people at least: wait for more members
        owner_userid = (
            owner.wecom_userid if owner is not None and owner.wecom_userid else userids[0]
        )
        self._client.create_appchat(
            chat_id=chat_id, name=chat.name, owner=owner_userid, userids=userids
        )
        with self._uow_factory() as uow:
            fresh = uow.chats.get(chat.id) if chat.id is not None else None
            if fresh is None:
                return False
            settings: dict[str, Any] = {**fresh.settings, "wecom_create": CREATED}
            settings.pop("wecom_error", None)
            fresh.settings = settings
            fresh.member_ids = list(
                dict.fromkeys([*fresh.member_ids, *(m.id for m in people if m.id is not None)])
            )
            uow.chats.update(fresh)
            uow.commit()
        self.created.append(chat_id)
        return True

    @staticmethod
    def _creator(uow: UnitOfWork, project_id: int | None) -> int | None:
        """Who asked for the project (from the audit log): they are in its group too."""
        for entry in uow.audit.list(
            filters={"tool": "create_project"}, limit=50, order="-id"
        ).items:
            record = entry.result.get("record") or {}
            if record.get("id") == project_id:
                return entry.actor_id
        return None

    # -- 3. members follow the chat ---------------------------------------------------------
    def follow_roster(self, chat_db_id: int) -> int:
        """Add the chat's WeCom roster (``appchat/get``) to the chat and its project; returns
        how many people were new to the project."""
        with self._uow_factory() as uow:
            chat = uow.chats.get(chat_db_id)
        if chat is None or not (chat.external_id or "").startswith("chat:"):
            return 0
        userids = self._client.appchat_members(chat.external_id.removeprefix("chat:"))  # type: ignore[union-attr]
        added = 0
        with self._uow_factory() as uow:
            chat = uow.chats.get(chat_db_id)
            project = uow.projects.get(chat.project_id) if chat and chat.project_id else None
            if chat is None:
                return 0
            for userid in userids:
                linked = uow.identities.member_for(CHANNEL, userid)
                member = uow.members.get(linked) if linked else uow.members.by_wecom_userid(userid)
                if member is None or member.id is None:
                    continue
                if member.id not in chat.member_ids:
                    chat.member_ids.append(member.id)
                if project is not None and member.id not in project.member_ids:
                    if member.id != project.owner_id:
                        project.member_ids.append(member.id)
                        added += 1
            uow.chats.update(chat)
            if project is not None:
                uow.projects.update(project)
            uow.commit()
        return added


class ProjectChatLoop(BackgroundLoop):
    def __init__(self, chats: ProjectChats, *, interval: float = 5.0) -> None:
        super().__init__(name="qunmi-project-chats")
        self._chats = chats
        self._interval = interval

    def _loop(self) -> None:
        while not self._stop.is_set():
            try:
                self._step_aside()
                self._chats.sync()
            except Exception:  # noqa: BLE001 - the loop keeps going; the next tick retries
                log.exception("project chat sync failed")
            self._wake.wait(self._interval)
            self._wake.clear()
