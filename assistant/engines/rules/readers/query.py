"""Reader for queries (my_tasks, tasks, progress, overdue, due_soon, meetings, risk, budget)."""

from __future__ import annotations

import re
from typing import Any

from assistant.engines.rules import lexicon as lx
from assistant.engines.rules.analysis import Message, Reading, blank_people
from assistant.engines.rules.clauses import Clause
from assistant.engines.rules.quantities import period_of
from assistant.engines.rules.slots import task_words

__all__ = ["read_query"]


_DUE_SOON = re.compile(
    r"快(?:要)?到期|快到\s*(?:deadline|ddl|截止)|快截止|即将到期|马上(?:就)?到期|临近截止|要到期|"
    r"这两天(?:就)?要交|近两天要交|due soon|48小时内",
    re.IGNORECASE,
)
_OVERDUE_MORE = re.compile(
    r"拖着没(?:做完|完成|做)|过了(?:截止|deadline|ddl)|超过截止|已经过期|超时没|没赶上",
    re.IGNORECASE,
)
_STATUS_TASKS = [
    (re.compile(r"卡住|卡着|受阻|阻塞|被卡|blocked", re.IGNORECASE), "blocked"),
    (re.compile(r"进行中|在做的|正在做|在进行|in progress", re.IGNORECASE), "in_progress"),
    (re.compile(r"已完成|做完了的|完成了的|搞定了的|done的", re.IGNORECASE), "done"),
]
_ALL_TASKS = re.compile(
    r"大家(?:手上|手里)?(?:还)?(?:有|剩)|所有(?:人的)?(?:没完成|未完成|的)?(?:任务|活|待办)|全部(?:的)?(?:任务|待办)|"
    r"(?:没完成|未完成|没做完|还没做完)的(?:任务|活|事)|团队(?:的)?(?:任务|待办)"
)
_WHICH = re.compile(
    r"哪些|什么|多少|几个|几项|啥|有没有|列一下|列下|看一下|看下|看看|查一下|查下|[?？]"
)
_TASK_NOUN = re.compile(
    r"任务|活儿|(?<![生快干])活(?!动)|待办|todo|task|要交的|要做的|该交的|没做完|没完成",
    re.IGNORECASE,
)
_RISK = re.compile(
    r"可能(?:会)?延期|延期风险|有风险|风险(?:大|高)|会(?:不会)?拖|会不会延期|会延期吗|能(?:不能)?按时|来得及吗|赶得上吗|"
    r"能按期|risk",
    re.IGNORECASE,
)
_BUDGET = re.compile(
    r"预算(?:还)?(?:剩|有|多少|情况|用了|花了|发我|给我|看看|怎么样)|花了多少(?:钱)?|用了多少钱|支出(?:多少|情况)|"
    r"成本(?:多少|情况)|还剩多少钱|budget",
    re.IGNORECASE,
)
_MEETINGS_MORE = re.compile(
    r"(?:接下来|最近|后面|待会|今天|明天|这周|本周|下周)(?:还)?(?:有|要开)(?:什么|哪些|几个|啥)?(?:会|meeting)|"
    r"(?:会议|meeting)(?:有哪些|安排)|什么时候开会|几点(?:开会|的会)|有会(?:吗|没|么)?",
    re.IGNORECASE,
)
_MY_DUE = re.compile(r"要交的|该交的|要做的|要完成的|到期的|的(?:任务|待办|活)")


def _period(clause: Clause, args: dict[str, Any]) -> None:
    for t in clause.times:
        period = period_of(t)
        if period is not None:
            args["since"], args["until"] = period[0].isoformat(), period[1].isoformat()
            return


def _member(clause: Clause, msg: Message) -> str | None:
    others = [m.name for m in clause.mentions if m.name != msg.context.sender and (m.known or m.at)]
    return others[0] if others else None


def read_query(clause: Clause, msg: Message, question: bool) -> Reading | None:
    text = clause.text
    if re.search(r"[:：]\s*$", text) or re.search(r"请(?:落实|完成|跟进|认领|处理|执行)", text):
        return None  # "节后有几项工作请落实：": the header of a list of jobs, not a question
    asks = (
        question
        or lx.QUERY_ASK.search(text) is not None
        or len(text) <= 8
        or (msg.addressed and len(text) <= 24)
    )
    member = _member(clause, msg)
    periodic_tasks = (
        bool(clause.times)
        and _MY_DUE.search(text) is not None
        and len(text) <= 20
        and not lx.ACTION_VERB.search(
            re.sub(r"要交的|该交的|要做的|要完成的|到期的|任务|待办", "", text)
        )
    )
    if not asks and not periodic_tasks:
        return None
    args: dict[str, Any]
    status = next((name for p, name in _STATUS_TASKS if p.search(text)), None)
    if _BUDGET.search(text):
        args = {"kind": "budget"}
    elif _RISK.search(text) and (question or asks):
        args = {"kind": "risk"}
        subject = re.split(r"会不会|能不能|能按时|可能|有没有|来得及|赶得上|会延期|是否", text)[0]
        words = task_words(_blank_text(clause, subject), [])
        if len(words) >= 2 and not re.search(r"哪些|哪个|什么|任务$", words):
            args["task"] = words
    elif _DUE_SOON.search(text):
        args = {"kind": "due_soon"}
    elif lx.QUERY_OVERDUE.search(text) or _OVERDUE_MORE.search(text):
        args = {"kind": "overdue"}
    elif lx.QUERY_MEETINGS.search(text) or _MEETINGS_MORE.search(text):
        args = {"kind": "meetings"}
        _period(clause, args)
    elif status is not None and _TASK_NOUN.search(text) and (_WHICH.search(text) or len(text) <= 8):
        args = {"kind": "tasks", "status": [status]}
        if member:
            args["member"] = member
        _period(clause, args)
    elif _ALL_TASKS.search(text) and not member and _WHICH.search(text) and _TASK_NOUN.search(text):
        args = {"kind": "tasks"}
        _period(clause, args)
    elif (
        lx.QUERY_MY_TASKS.search(text)
        and not member
        and not re.search(r"我|俺|咱|自己|手上|手里|的任务|的待办", text)
        and re.search(r"没(?:完成|做完|搞定|弄完)|未完成", text)
    ):
        # "这周还有哪些任务没完成的": the team's open tasks, nobody's in particular.
        args = {"kind": "tasks"}
        _period(clause, args)
    elif lx.QUERY_MY_TASKS.search(text) or periodic_tasks:
        args = {"kind": "my_tasks"}
        if member:
            args["member"] = member
        _period(clause, args)
    elif lx.QUERY_PROGRESS.search(text):
        args = {"kind": "progress"}
    else:
        return None
    project = _query_project(text)
    if project is None and args["kind"] == "budget":
        project = possessor(re.split(r"的预算|的花费|的成本|的支出|预算", blank_people(clause))[0])
    if project is None and args["kind"] == "progress":
        project = _progress_subject(blank_people(clause))
    if project and args["kind"] in ("progress", "overdue", "my_tasks", "budget", "tasks", "risk"):
        args["project"] = project
    return Reading(
        kind="query",
        calls=[{"tool": "query", "args": args}],
        confidence=0.85,
        clause=clause,
    )


_NOT_OWNER = re.compile(
    r"^(?:我|你|他|她|我们|你们|他们|咱们|大家|整体|目前|现在|项目|这个|那个|本|这|那|总|整个|今年|本月|这个月|"
    r"这周|本周|上周|下周|今天|公司|部门|团队|组里|群里)$"
)


def possessor(head: str) -> str | None:
    """The project a budget or report is of: the noun phrase before 的预算 / 的简报
    ("口腔科扩建的预算还剩多少" → 口腔科扩建); not pronouns, times or the generic 项目."""
    head = re.sub(r"^[\s,，:：@]*(?:请问|帮我|麻烦|看看|查一下|查下|问一下|说下|说一下)?", "", head)
    head = re.sub(r"[\s,，:：]+$", "", head)
    if not 2 <= len(head) <= 12 or not re.fullmatch(r"[\u4e00-\u9fffA-Za-z0-9]+", head):
        return None
    if _NOT_OWNER.match(head) or re.search(r"[吗呢?？]|多少|哪", head):
        return None
    return head


def _blank_text(clause: Clause, part: str) -> str:
    chars = list(part)
    spans = [(m.start, m.end) for m in clause.mentions] + [(t.start, t.end) for t in clause.times]
    for a, b in spans:
        for i in range(max(a - clause.start, 0), min(b - clause.start, len(chars))):
            chars[i] = " "
    return "".join(chars)


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
