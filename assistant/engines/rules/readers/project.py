"""Readers for projects and their members: create_project and add_member."""

from __future__ import annotations

import re
from typing import TYPE_CHECKING, Any

from assistant.engines.rules import lexicon as lx
from assistant.engines.rules.analysis import Message, Reading
from assistant.engines.rules.clauses import Clause
from assistant.engines.rules.slots import (
    project_name,
)
from assistant.engines.rules.timeslots import (
    due_instant,
)

if TYPE_CHECKING:
    pass

__all__ = ["read_member", "read_project"]


def read_project(clause: Clause, msg: Message, question: bool) -> Reading | None:
    text = clause.text
    cue = lx.PROJECT_CREATE.search(text)
    if cue is None or question:
        return None
    name = project_name(text, cue.start(), cue.end())
    if not name:
        return None
    args: dict[str, Any] = {"name": name}
    owner = _project_owner(text, clause, msg)
    if owner:
        args["owner"] = owner
    for t in clause.times:
        due = due_instant(t, workday_end_hour=msg.context.workday_end_hour)
        if due is not None:
            args["deadline"] = due.isoformat()
            break
    member_cue = re.search(r"成员|组员|参与人|参与的?有|拉上|加上|团队", text)
    if member_cue:
        people = [
            m.name
            for m in clause.mentions
            if m.start - clause.start >= member_cue.start() and m.name != args.get("owner")
        ]
        if people:
            args["members"] = list(dict.fromkeys(people))
    return Reading(
        kind="project",
        calls=[{"tool": "create_project", "args": args}],
        confidence=0.85,
        clause=clause,
    )


_OWNER = re.compile(
    r"(?:负责人|owner|牵头人|PM|项目经理|由)(?:是|为|:|：|定为|给)?\s*@?(?P<name>[\u4e00-\u9fffA-Za-z]{1,8}?)"
    r"(?=[,，。;；\s]|负责|牵头|来|$)",
    re.IGNORECASE,
)


def _project_owner(text: str, clause: Clause, msg: Message) -> str | None:
    m = _OWNER.search(text)
    if m is not None:
        # A known name inside the captured run wins over the raw capture.
        for mention in clause.mentions:
            if mention.start - clause.start >= m.start(
                "name"
            ) - 1 and mention.start - clause.start <= m.end("name"):
                return mention.name
        return msg.roster.resolve(m.group("name"))
    for mention in clause.mentions:
        after = text[mention.end - clause.start :]
        if after.startswith(("负责", "牵头", "主导", "来负责")):
            return mention.name
    if re.search(r"我(?:来)?(?:负责|牵头)", text):
        return msg.context.sender
    return None


_ADD_MEMBER = re.compile(
    # A bare 加 needs 把 before the person ("把小孙加官网群"); "班加罗尔" is a place.
    r"(?:(?:把|将)\s*(?P<ba>@?[^\s,，。把将]{1,8}?)\s*加|(?:把|将)?\s*(?P<who>@?[^\s,，。把将]{1,8}?)\s*"
    r"(?:加入|加到|加进|拉进|拉入|添加到|邀请进))(?:到)?"
    r"(?P<project>[^,，。]{0,12}?)(?:项目组|项目|群里|群|团队|组里|组)"
    r"|(?:添加|新增|加)(?:一个|个)?(?:新)?成员[:：]?\s*(?P<who2>@?[^\s,，。]{1,8})"
)


_ROLE = {"管理员": "admin", "项目经理": "pm", "PM": "pm", "pm": "pm", "普通成员": "member"}


def read_member(clause: Clause, msg: Message, question: bool) -> Reading | None:
    """ "把小孙拉进官网改版项目，角色项目经理" → add_member."""
    text = clause.text
    m = _ADD_MEMBER.search(text)
    if m is None or question:
        return None
    raw = (m.group("ba") or m.group("who") or m.group("who2") or "").strip()
    known = [x for x in clause.mentions if m.start() <= x.start - clause.start < m.end()]
    who = known[0].name if known else msg.roster.resolve(raw)
    if not who or who in ("我们", "大家", "他", "她", "你"):
        return None
    args: dict[str, Any] = {"member": who}
    project = (m.group("project") or "").strip(" 的")
    if project and project not in ("这个", "本", "我们", "咱们"):
        args["project"] = project.strip("【】「」")
    for word, role in _ROLE.items():
        if word in text:
            args["role"] = role
            break
    return Reading(
        kind="member", calls=[{"tool": "add_member", "args": args}], confidence=0.8, clause=clause
    )
