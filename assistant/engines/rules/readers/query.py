"""Reader for queries (my_tasks, tasks, progress, overdue, due_soon, meetings, risk, budget)."""

from __future__ import annotations

import re
from typing import TYPE_CHECKING, Any

from assistant.engines.rules import lexicon as lx
from assistant.engines.rules.analysis import Message, Reading, blank_people
from assistant.engines.rules.clauses import Clause

if TYPE_CHECKING:
    pass

__all__ = ["read_query"]


def read_query(clause: Clause, msg: Message, question: bool) -> Reading | None:
    text = clause.text
    asks = question or lx.QUERY_ASK.search(text) is not None or len(text) <= 8
    if not asks:
        return None
    args: dict[str, Any]
    if lx.QUERY_OVERDUE.search(text):
        args = {"kind": "overdue"}
    elif lx.QUERY_MEETINGS.search(text):
        args = {"kind": "meetings"}
    elif lx.QUERY_MY_TASKS.search(text):
        args = {"kind": "my_tasks"}
        others = [m.name for m in clause.mentions if m.name != msg.context.sender]
        if others:
            args["member"] = others[0]
    elif lx.QUERY_PROGRESS.search(text):
        args = {"kind": "progress"}
    else:
        return None
    project = _query_project(text)
    if project is None and args["kind"] == "progress":
        project = _progress_subject(blank_people(clause))
    if project and args["kind"] in ("progress", "overdue", "my_tasks"):
        args["project"] = project
    return Reading(
        kind="query",
        calls=[{"tool": "query", "args": args}],
        confidence=0.85,
        clause=clause,
    )


_QUERY_PROJECT = re.compile(
    r"[【「“\"](?P<a>[^】」”\"]{1,30})[】」”\"]|(?P<b>[\u4e00-\u9fffA-Za-z0-9]{2,12}?)项目(?!进度|进展)?"
)


def _query_project(text: str) -> str | None:
    m = _QUERY_PROJECT.search(text)
    if m is None:
        return None
    name = (m.group("a") or m.group("b") or "").strip()
    name = re.sub(
        r"^(?:我们|咱们|这个|那个|整个|目前|现在|的|看看|看下|查下|查一下|请问)+", "", name
    )
    if not name or name in ("这个", "那个", "整个", "我们", "咱们", "本", "该", "各"):
        return None
    return name


# "小程序2.0的进度怎么样": the thing before 的进度 / 进展 is the project asked about.
_PROGRESS_OF = re.compile(
    r"(?P<name>[\u4e00-\u9fffA-Za-z0-9.]{2,16}?)(?:那边|这边)?的?(?:整体|目前|现在)?(?:进度|进展)"
)


_NOT_PROJECT = re.compile(
    r"^(?:请问|问下|问一下|看看|看下|查下|查一下|汇报下?|同步下?|说下)+|"
    r"我们|咱们|你们|大家|整体|目前|现在|今天|本周|这周|这个|那个|那边|这边|项目|任务|工作|大概|总体|最新"
)


def _progress_subject(text: str) -> str | None:
    m = _PROGRESS_OF.search(text)
    if m is None:
        return None
    name = re.sub(
        r"^(?:请问|问下|问一下|看看|看下|查下|查一下|说下|同步下?|汇报下?)+", "", m.group("name")
    )
    name = name.strip()
    if len(name) < 2 or _NOT_PROJECT.search(name) or re.search(r"[你我他她]", name):
        return None
    return name
