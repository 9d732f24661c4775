"""The chats' dialogue state, loaded before a message is read and saved with its outcome.

What is kept (``dialogue_entries``, one row per piece, see ``storage.dialogue``):

- **the open question**: when a call fails because its words fit several records or people
  (``Ambiguous``: "是哪一个？"), the call and the candidates, for the person who asked; when a
  meeting lacks its time ("什么时候开？"), the call and the missing ``start``. It is
  answered by that person's next message that makes any call (the answer, or an unrelated
  request, which drops it), and expires after ``question_ttl`` (10 minutes);
- **the records just touched**: every task or meeting a message created or changed, one row
  for its sender and one for each person it is for (assignee, attendees). "刚才那个会" / "它"
  is the newest such record of that person in that chat, within ``recent_window`` (30 min).

Entries are appended (two workers never overwrite each other's) and read back by chat, person
and expiry; expired ones are pruned a day later. The engine sees only the resulting
``DialogueState``.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import replace
from datetime import datetime, timedelta
from typing import Any

from assistant.domain import (
    Candidate,
    DialogueEntry,
    DialogueState,
    Member,
    OpenQuestion,
    ToolCall,
    TouchedRecord,
)
from assistant.unit_of_work import UnitOfWork
from tools.executor import CallContext, ToolResult

__all__ = ["QUESTION_TTL", "RECENT_WINDOW", "DialogueMemory", "close_question"]

QUESTION_TTL = timedelta(minutes=10)
RECENT_WINDOW = timedelta(minutes=30)
_KEEP_EXPIRED = timedelta(days=1)
_PRUNE_EVERY = 200
_RECORD_SLOTS = ("task", "meeting")
_PERSON_SLOTS = ("assignee", "member", "owner", "attendees", "add_attendees", "remove_attendees")
_TASK_FIELDS = ("due", "assignee", "status", "priority")
_MEETING_FIELDS = ("start", "end", "location", "attendees", "recurrence")


class DialogueMemory:
    """Loads and saves the dialogue state of one person in one chat."""

    def __init__(
        self, *, question_ttl: timedelta = QUESTION_TTL, recent_window: timedelta = RECENT_WINDOW
    ) -> None:
        self.question_ttl = question_ttl
        self.recent_window = recent_window
        self._saves = 0

    # -- loading ------------------------------------------------------------------------------
    def load(
        self, uow: UnitOfWork, chat_id: int | None, member: Member, now: datetime
    ) -> DialogueState:
        """The question open for ``member`` in the chat and the records touched for or by them,
        newest first; nothing expired, nothing closed."""
        if chat_id is None or member.id is None:
            return DialogueState()
        entries = uow.dialogue.live(chat_id, member.id, ("question", "touched"), now, limit=40)
        question: OpenQuestion | None = None
        recent: dict[tuple[str, int], TouchedRecord] = {}
        for entry in entries:
            if entry.created_at > now:
                continue  # said after this message (a replay of an older one)
            if entry.kind == "question":
                if question is None:
                    question = _question(entry)
                continue
            if entry.record_kind is None or entry.record_id is None:
                continue
            key = (entry.record_kind, entry.record_id)
            touched = _touched(entry)
            newer = recent.get(key)
            if newer is None:
                recent[key] = touched  # the newest entry: the record as it stands now
            elif touched.created and not newer.created:
                # Created in this window and changed since: still "the one just created".
                recent[key] = replace(newer, created=True, by=touched.by)
        return DialogueState(question=question, recent=tuple(list(recent.values())[:10]))

    # -- saving -------------------------------------------------------------------------------
    def record(
        self,
        uow: UnitOfWork,
        *,
        chat_id: int | None,
        member: Member,
        message_id: int | None,
        calls: Sequence[ToolCall],
        results: Sequence[ToolResult],
        now: datetime,
    ) -> None:
        """Save what processing one message changed: a question it answered or overtook is
        closed (any call made by the person asked), a new question is opened, the records
        its calls created or changed are remembered."""
        if chat_id is None or member.id is None:
            return
        if calls:
            uow.dialogue.close(chat_id, member.id, "question", now, before_id=None)
        names: dict[str, int] | None = None
        for result in results:
            if not result.ok:
                asked = _ask(result, member, now)
                if asked is not None:
                    payload, kind = asked
                    uow.dialogue.add(
                        DialogueEntry(
                            chat_id=chat_id,
                            member_id=member.id,
                            kind="question",
                            payload=payload,
                            created_at=now,
                            expires_at=now + self.question_ttl,
                            message_id=message_id,
                            record_kind=kind,
                        )
                    )
                continue
            if names is None and _touches(result):
                names = {m.display_name: m.id for m in uow.members.all() if m.id is not None}
            self._remember(uow, chat_id, member, message_id, result, names or {}, now)
        self._saves += 1
        if self._saves % _PRUNE_EVERY == 1:  # now and then, not on every message
            uow.dialogue.prune(now - _KEEP_EXPIRED)

    def touched_elsewhere(
        self, uow: UnitOfWork, ctx: CallContext, actor: Member, result: ToolResult, now: datetime
    ) -> None:
        """An executor observer: a task or meeting changed by a call that is not a chat
        message's (REST ``/tools``, CLI record commands, console buttons, confirmed minutes
        items) is just touched too, for its actor and the people it is for, in the chat the
        call names, else the record's own chat (a meeting's chat, the chat of the message it
        came from, the one chat of its project). A chat message's calls are recorded with the
        message's outcome (``record``), which also opens and closes questions."""
        if ctx.message_id is not None or actor.id is None or not _touches(result):
            return
        chat_id = ctx.chat_id or _chat_of(uow, result.record or {})
        if chat_id is None:
            return
        names = {m.display_name: m.id for m in uow.members.all() if m.id is not None}
        self._remember(uow, chat_id, actor, None, result, names, now)

    def _remember(
        self,
        uow: UnitOfWork,
        chat_id: int,
        member: Member,
        message_id: int | None,
        result: ToolResult,
        names: dict[str, int],
        now: datetime,
    ) -> None:
        if not _touches(result):
            return
        record = result.record or {}
        payload = _touched_payload(result, record, member, names)
        # One row for each person it was done by or for: each loads only their own rows.
        for person in dict.fromkeys([member.id, *payload["for_ids"]]):
            uow.dialogue.add(
                DialogueEntry(
                    chat_id=chat_id,
                    member_id=person,
                    kind="touched",
                    payload=payload,
                    created_at=now,
                    expires_at=now + self.recent_window,
                    message_id=message_id,
                    record_kind=result.kind,
                    record_id=record["id"],
                )
            )


def _touches(result: ToolResult) -> bool:
    """An applied change of one task or meeting."""
    return (
        result.ok
        and result.kind in ("task", "meeting")
        and result.tool != "query"
        and isinstance((result.record or {}).get("id"), int)
    )


def _chat_of(uow: UnitOfWork, record: dict[str, Any]) -> int | None:
    """The chat a record belongs to, when the call that changed it named none."""
    if isinstance(record.get("chat_id"), int):
        return int(record["chat_id"])
    source = record.get("source_message_id")
    if isinstance(source, int):
        message = uow.messages.get(source)
        if message is not None and message.chat_id is not None:
            return message.chat_id
    project = record.get("project_id")
    if isinstance(project, int):
        page = uow.chats.list(filters={"project_id": project}, limit=2)
        chats = [c.id for c in page.items if c.id is not None]
        if len(chats) == 1:
            return chats[0]
    return None


def close_question(uow: UnitOfWork, chat_id: int, member_id: int, now: datetime) -> None:
    """The member answered outside the chat (a console button applied one candidate): the
    question is closed, so a late "第二个" applies nothing more."""
    uow.dialogue.close(chat_id, member_id, "question", now, before_id=None)


def _ask(result: ToolResult, member: Member, now: datetime) -> tuple[dict[str, Any], str] | None:
    """The question an ambiguous result asks, as a stored payload, and its kind."""
    error = result.error or {}
    if result.tool == "create_meeting" and error.get("code") == "invalid_input":
        missing = [
            e
            for e in (error.get("details") or {}).get("errors") or []
            if isinstance(e, dict) and e.get("type") == "missing" and e.get("loc") == ["start"]
        ]
        if missing:  # "还不知道会议什么时候开": the time is the answer
            return _payload(result, "start", "slot", [], "", member, now), "slot"
        return None
    if error.get("code") != "ambiguous":
        return None
    raw = (error.get("details") or {}).get("candidates") or []
    candidates = [
        {"id": c["id"], "label": str(c.get("title") or c.get("name") or "")}
        for c in raw
        if isinstance(c, dict) and isinstance(c.get("id"), int)
    ]
    if len(candidates) < 2:
        return None
    args = dict(result.args)
    if any("name" in c for c in raw if isinstance(c, dict)):
        labels = {c["label"] for c in candidates}
        for slot in _PERSON_SLOTS:
            value = args.get(slot)
            values = value if isinstance(value, list) else [value]
            named = next((str(v) for v in values if isinstance(v, str) and v not in labels), None)
            if named is not None:
                return _payload(result, slot, "member", candidates, named, member, now), "member"
        return None
    record_slot = next((s for s in _RECORD_SLOTS if s in args), None)
    if record_slot is None:
        return None
    written = str(args.get(record_slot))
    return _payload(result, record_slot, record_slot, candidates, written, member, now), record_slot


def _payload(
    result: ToolResult,
    slot: str,
    kind: str,
    candidates: list[dict[str, Any]],
    written: str,
    member: Member,
    now: datetime,
) -> dict[str, Any]:
    return {
        "tool": result.tool,
        "args": dict(result.args),
        "slot": slot,
        "kind": kind,
        "candidates": candidates,
        "written": written,
        "asked_of": member.display_name,
        "asked_at": now.isoformat(),
    }


def _question(entry: DialogueEntry) -> OpenQuestion:
    p = entry.payload
    return OpenQuestion(
        tool=str(p.get("tool")),
        args=dict(p.get("args") or {}),
        slot=str(p.get("slot")),
        kind=str(p.get("kind")),
        candidates=tuple(
            Candidate(int(c["id"]), str(c.get("label", ""))) for c in p.get("candidates", [])
        ),
        asked_at=entry.created_at,
        asked_of=str(p.get("asked_of", "")),
        written=str(p.get("written", "")),
    )


def _touched_payload(
    result: ToolResult, record: dict[str, Any], member: Member, names: dict[str, int]
) -> dict[str, Any]:
    if result.kind == "task":
        fields = {k: record.get(k) for k in _TASK_FIELDS}
        people = [record.get("assignee")]
    else:
        fields = {k: record.get(k) for k in _MEETING_FIELDS}
        people = list(record.get("attendees") or [])
    for_names = [str(p) for p in people if isinstance(p, str) and p]
    return {
        "title": str(record.get("title") or ""),
        "tool": result.tool,
        "created": result.tool.startswith("create_"),
        "by": member.display_name,
        "for_names": for_names,
        "for_ids": [names[n] for n in for_names if n in names],
        "fields": fields,
    }


def _touched(entry: DialogueEntry) -> TouchedRecord:
    p = entry.payload
    return TouchedRecord(
        kind=str(entry.record_kind),
        id=int(entry.record_id or 0),
        title=str(p.get("title", "")),
        tool=str(p.get("tool", "")),
        created=bool(p.get("created")),
        at=entry.created_at,
        by=str(p.get("by", "")),
        for_names=tuple(p.get("for_names") or ()),
        fields=dict(p.get("fields") or {}),
    )
