"""A card posted to a whole group carries only what every member of the group may see.

A PM's request in the group ("出一下周报", "把预算发我看看", meeting minutes, a risk question, a
budget set in passing) is answered with what the PM may see, budgets included. Replies go to
the whole chat, so before they are rendered each result is judged: when it carries budget
figures (``carries_budget``: budget / spent / cost fields, or text that gives money figures about
a budget — ``assistant.memory.privacy.mentions_budget``) and someone in the chat may not see the
budget of the project the chat belongs to, the group gets the result without them
(``without_budget``) and a line saying where the full version went; the full version goes to the
requester alone, in their own chat (``private_chat``: their WeCom app chat ``user:<userid>``
when they have a WeCom identity, else a console chat of theirs ``private:<member id>``), through
the outbox, in the same transaction as the group's cards.
"""

from __future__ import annotations

import re
from dataclasses import replace
from datetime import datetime
from typing import Any

from assistant.domain import PRIVATE_CHAT_PREFIX, WECOM_CHANNEL, Chat, Member, Project
from assistant.memory.privacy import mentions_budget
from assistant.unit_of_work import UnitOfWork
from tools.executor import ToolResult
from tools.permissions import PermissionPolicy, sees_budget

__all__ = [
    "BUDGET_KEYS",
    "PRIVATE_PREFIX",
    "carries_budget",
    "everyone_sees_budget",
    "is_private_chat",
    "others_private_chats",
    "private_chat",
    "strip_budget",
    "strip_text",
    "without_budget",
]

BUDGET_KEYS = frozenset({"budget", "spent", "spent_rate", "cost"})
"""Fields that hold budget figures in tool results (records, summaries, arguments); next to one
of them ``remaining`` is the money left (elsewhere it counts tasks, as in a burndown)."""

PRIVATE_PREFIX = PRIVATE_CHAT_PREFIX
_SENTENCE = re.compile(r"(?<=[。！？；!?;\n])")


def carries_budget(value: Any) -> bool:
    """Whether a result (or any part of it) gives a budget figure."""
    if isinstance(value, ToolResult):
        return value.ok and carries_budget([value.record, value.records, value.summary])
    if isinstance(value, dict):
        return any(
            (k in BUDGET_KEYS and v not in (None, {}, [])) or carries_budget(v)
            for k, v in value.items()
        )
    if isinstance(value, list | tuple):
        return any(carries_budget(v) for v in value)
    return isinstance(value, str) and mentions_budget(value)


def _strip(value: Any) -> Any:
    if isinstance(value, dict):
        drop = BUDGET_KEYS | ({"remaining"} if BUDGET_KEYS & value.keys() else set())
        return {k: _strip(v) for k, v in value.items() if k not in drop}
    if isinstance(value, list):
        # An item (a decision, a passage, a line) that gives a figure goes as a whole.
        return [_strip(v) for v in value if not (isinstance(v, str) and mentions_budget(v))]
    if isinstance(value, str) and mentions_budget(value):
        return "".join(s for s in _SENTENCE.split(value) if not mentions_budget(s)).strip()
    return value


def strip_budget(value: Any) -> Any:
    """Any stored value (a message's outcome, a record) without its budget fields and figures."""
    return _strip(value)


def strip_text(text: str) -> str:
    """``text`` without its sentences that give budget figures."""
    return str(_strip(text))


def without_budget(result: ToolResult) -> ToolResult:
    """The result as someone who may not see budgets gets it."""
    return replace(
        result,
        args=_strip(result.args),
        record=_strip(result.record),
        records=_strip(result.records),
        summary=_strip(result.summary),
    )


def everyone_sees_budget(
    uow: UnitOfWork, chat: Chat | None, policy: PermissionPolicy | None = None
) -> bool:
    """Whether every member of ``chat`` may see the budget of the chat's project.

    Only a console chat's member list is complete by construction; a WeCom group, a bot chat or a
    webhook bridge knows its people from who spoke and what WeCom lists, which may lag behind,
    so such a group is treated as open to people who may not see budgets."""
    if chat is None:
        return True
    if chat.channel != "console" or not chat.member_ids:
        return False
    project: Project | None = uow.projects.get(chat.project_id) if chat.project_id else None
    for member_id in chat.member_ids:
        member = uow.members.get(member_id)
        role = None
        if project is not None and project.id is not None:
            role = uow.projects.role_of(project.id, member_id)
        if member is None or not sees_budget(member, project, role, policy):
            return False
    return True


def is_private_chat(chat: Chat) -> bool:
    """A chat of one person with Qunmi (their WeCom app chat, their console chat)."""
    return chat.private


def others_private_chats(uow: UnitOfWork, member_id: int | None) -> list[int]:
    """Ids of the chats other people have with Qunmi alone (hidden from ``member_id``)."""
    hidden: list[int] = []
    offset = 0
    while True:
        page = uow.chats.list(filters={}, limit=500, offset=offset, order="id")
        hidden.extend(
            c.id
            for c in page.items
            if c.id is not None and is_private_chat(c) and member_id not in c.member_ids
        )
        offset += len(page.items)
        if len(page.items) < 500:
            return hidden


def private_chat(uow: UnitOfWork, member: Member, now: datetime) -> Chat:
    """The member's own chat with Qunmi, made on first use (not committed)."""
    assert member.id is not None
    userid = member.wecom_userid or next(
        (e for c, e in uow.identities.identities_of(member.id) if c == WECOM_CHANNEL), None
    )
    if userid is not None:
        channel, external, name = WECOM_CHANNEL, f"user:{userid}", f"企业微信·{userid}"
    else:
        channel = "console"
        external = f"{PRIVATE_PREFIX}{member.id}"
        name = f"私信·{member.display_name}"
    chat = uow.chats.by_external(channel, external)
    if chat is None:
        chat = uow.chats.add(
            Chat(
                name=name,
                channel=channel,
                external_id=external,
                member_ids=[member.id],
                created_at=now,
            )
        )
    return chat
