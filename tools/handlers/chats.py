"""Per-chat switches: which automatic reminders a group receives."""

from __future__ import annotations

from typing import Any, get_args

from assistant.errors import InvalidInput
from tools.permissions import Target
from tools.scope import Applied, Scope
from tools.vocabulary import ReminderKind, SetReminders

__all__ = ["REMINDER_KINDS", "reminders_enabled", "set_reminders"]

REMINDER_KINDS: tuple[str, ...] = tuple(k for k in get_args(ReminderKind) if k != "all")
"""Every kind of automatic message a chat can switch off; all are on until switched off."""


def reminders_enabled(settings: dict[str, Any], kind: str) -> bool:
    """Whether a chat with ``settings`` receives reminders of ``kind``."""
    return bool(settings.get("reminders", {}).get(kind, True))


def set_reminders(scope: Scope, args: SetReminders) -> Applied:
    if scope.chat_id is None:
        raise InvalidInput("提醒开关是按群设置的，请在群里说。")
    chat = scope.uow.chats.get(scope.chat_id)
    if chat is None:
        raise InvalidInput("找不到这个群")
    scope.check("set_reminders", Target(changes=frozenset({args.what})))
    before = {"settings": dict(chat.settings)}
    switches = dict(chat.settings.get("reminders", {}))
    for kind in REMINDER_KINDS if args.what == "all" else (args.what,):
        switches[kind] = args.enabled
    chat.settings = {**chat.settings, "reminders": switches}
    chat = scope.uow.chats.update(chat)
    return Applied(
        kind="reminders",
        record={
            "chat_id": chat.id,
            "chat": chat.name,
            "what": args.what,
            "enabled": args.enabled,
            "reminders": {k: reminders_enabled(chat.settings, k) for k in REMINDER_KINDS},
        },
        undo={"op": "restore", "kind": "chat", "id": chat.id, "fields": before},
    )
