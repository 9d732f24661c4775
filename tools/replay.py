"""Is a call the same action as one already applied for its message?

A message processed again after a crash goes through its engine again. The rule engine says the
same thing twice; a language model words its retry differently ("出登录页设计稿" the first
time, "完成登录页设计稿" the second). The executor therefore does not key a message's calls on
their wording but on what they act on: the record an update targets and the fields it changes;
for a creation, who it is for and when (a task's assignee and due time, a meeting's start),
with a looser look at the title. Each applied entry answers for one call per processing run, so
two different tasks in one message stay two.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass, field
from datetime import datetime
from typing import Any

from assistant.domain import AuditEntry
from assistant.errors import QunmiError
from tools.resolve import normalize_words, parse_ref_id, similarity
from tools.scope import Scope

__all__ = ["ActionRun", "same_action"]

_TITLE_MATCH = 0.5
_TARGETS = {
    "update_task": "task",
    "reschedule_meeting": "meeting",
    "update_meeting": "meeting",
    "cancel_meeting": "meeting",
}
# Fields of an update that say what it does (a note is wording, not an action).
_WORDING = {"progress_note", "reason"}


@dataclass(slots=True)
class ActionRun:
    """One processing run of one message: which applied entries have answered for a call."""

    claimed: set[int] = field(default_factory=set)


def _record(entry: AuditEntry) -> dict[str, Any]:
    record = entry.result.get("record")
    return record if isinstance(record, dict) else {}


def _same_time(value: Any, stored: Any) -> bool:
    if value is None or stored is None:
        return False
    try:
        other = stored if isinstance(stored, datetime) else datetime.fromisoformat(str(stored))
        mine = value if isinstance(value, datetime) else datetime.fromisoformat(str(value))
    except ValueError:
        return False
    return mine == other


def _titles(a: Any, b: Any) -> bool:
    return bool(a) and bool(b) and similarity(str(a), str(b)) >= _TITLE_MATCH


def _member_id(scope: Scope, name: str | None) -> int | None:
    if not name:
        return None
    try:
        return scope.member(name).id
    except QunmiError:
        return -1  # unresolvable: matches no stored assignee


def _target_matches(ref: Any, entry: AuditEntry) -> bool:
    record = _record(entry)
    ref_id = parse_ref_id(ref) if isinstance(ref, int | str) else None
    if ref_id is not None:
        return ref_id == record.get("id")
    stored_ref = entry.arguments.get(_TARGETS.get(entry.tool, ""), None)
    if isinstance(stored_ref, str) and normalize_words(stored_ref) == normalize_words(str(ref)):
        return True
    return _titles(ref, record.get("title"))


def _changes(args: dict[str, Any], target: str) -> set[str]:
    return {k for k, v in args.items() if v is not None and k != target and k not in _WORDING}


def _create_task(scope: Scope, args: Any, entry: AuditEntry) -> bool:
    record = _record(entry)
    if _member_id(scope, args.assignee) != record.get("assignee_id"):
        return False
    return _titles(args.title, record.get("title")) or _same_time(args.due, record.get("due"))


def _create_meeting(scope: Scope, args: Any, entry: AuditEntry) -> bool:
    record = _record(entry)
    return _same_time(args.start, record.get("start")) or _titles(args.title, record.get("title"))


def _create_milestone(scope: Scope, args: Any, entry: AuditEntry) -> bool:
    record = _record(entry)
    return _same_time(args.due, record.get("due")) or _titles(args.title, record.get("title"))


def _named(key: str, stored: str) -> Callable[[Scope, Any, AuditEntry], bool]:
    def match(scope: Scope, args: Any, entry: AuditEntry) -> bool:
        mine = getattr(args, key, None)
        theirs = _record(entry).get(stored) or entry.arguments.get(key)
        return bool(mine) and normalize_words(str(mine)) == normalize_words(str(theirs or ""))

    return match


_CREATIONS: dict[str, Callable[[Scope, Any, AuditEntry], bool]] = {
    "create_task": _create_task,
    "create_meeting": _create_meeting,
    "create_milestone": _create_milestone,
    "create_project": _named("name", "name"),
    "add_member": _named("member", "display_name"),
}


def same_action(scope: Scope, tool: str, args: Any, entry: AuditEntry) -> bool:
    """Whether the validated call ``tool(args)`` is the action ``entry`` already applied."""
    if entry.tool != tool:
        return False
    if tool in _CREATIONS:
        return _CREATIONS[tool](scope, args, entry)
    dumped: dict[str, Any] = args.model_dump(mode="json")
    target = _TARGETS.get(tool)
    if target is not None:
        stored_changes = _changes(entry.arguments, target)
        return _changes(dumped, target) == stored_changes and _target_matches(
            dumped.get(target), entry
        )
    if tool == "update_project":
        same_project = normalize_words(str(dumped.get("project") or "")) == normalize_words(
            str(entry.arguments.get("project") or "")
        )
        return same_project and _changes(dumped, "project") == _changes(entry.arguments, "project")
    if tool == "set_reminders":
        return dumped.get("what") == entry.arguments.get("what")
    stored = {k: v for k, v in entry.arguments.items() if v is not None}
    return {k: v for k, v in dumped.items() if v is not None} == stored
