"""Readers for projects: create_project, update_project, create_milestone and add_member."""

from __future__ import annotations

import re
from typing import TYPE_CHECKING, Any

from assistant.engines.rules import lexicon as lx
from assistant.engines.rules.analysis import Message, Reading
from assistant.engines.rules.clauses import Clause
from assistant.engines.rules.quantities import find_money
from assistant.engines.rules.slots import (
    project_name,
)
from assistant.engines.rules.timeslots import (
    due_instant,
)

if TYPE_CHECKING:
    pass

__all__ = ["read_member", "read_milestone", "read_project", "read_project_change"]


def read_project(clause: Clause, msg: Message, question: bool) -> Reading | None:
    """create_project, or else update_project / create_milestone."""
    text = clause.text
    cue = lx.PROJECT_CREATE.search(text)
    if cue is None or question:
        if question:
            return None
        return read_project_change(clause, msg) or read_milestone(clause, msg)
    name = project_name(text, cue.start(), cue.end())
    if not name:
        return None
    name = re.sub(r"[吧啊哈了~]+$", "", name).strip()
    args: dict[str, Any] = {"name": name}
    budget = _BUDGET_SAID.search(text)
    if budget is not None:
        amount = find_money(text, budget.end())
        if amount is not None:
            args["budget"] = amount
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


_BUDGET_SAID = re.compile(r"预算|budget", re.IGNORECASE)

_OWNER = re.compile(
    r"(?:负责人|owner|牵头人|PM|项目经理|由|lead|led by)(?:是|为|:|：|定为|给)?\s*@?(?P<name>[\u4e00-\u9fffA-Za-z]{1,8}?)"
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


# --------------------------------------------------------------------------- update_project

_PROJECT_REF = re.compile(
    r"[【「“\"](?P<a>[^】」”\"]{1,30})[】」”\"]|(?P<b>[\u4e00-\u9fffA-Za-z0-9]{2,12}?)项目|(?P<c>项目)"
)
_DEADLINE_CHANGE = re.compile(
    r"(?:上线|截止|交付|完成|结束|验收)?(?:时间|日期|节点)?(?:改到|改成|改为|延期到|延到|推迟到|推到|调整到|调到|定到|提前到|挪到|延后到)"
)
_SPENT = re.compile(
    r"已经花了|已花|一共花了|总共花了|花了|目前支出|支出了?|花费了?|用了|开销|已用|spent", re.I
)
_BUDGET_SET = re.compile(
    r"预算(?:调整为|调整到|调到|改成|改为|改到|定为|定在|是|为|增加到|加到|减到|砍到|追加到|批了)?",
    re.I,
)
_P = r"(?:项目|[】」”\"])(?:先|要|就|已经|已|正式|暂时|整体|可以|全部)*"
_PROJECT_STATUS = [
    (re.compile(_P + r"(?:暂停|停一下|停掉|搁置|hold|叫停|冻结)"), "paused"),
    (re.compile(r"归档"), "archived"),
    (re.compile(r"结项|" + _P + r"(?:完结|收尾了|完成了?|结束了|done|closed)"), "done"),
    (re.compile(_P + r"(?:重启|恢复|继续推进|重新启动)"), "active"),
]
_NEW_OWNER = re.compile(
    r"(?:负责人|owner|牵头人|PM)(?:换成|改成|改为|变成|换|交给|转给)\s*@?(?P<name>[\u4e00-\u9fffA-Za-z]{1,8}?)(?=[,，。;；\s]|$|来|负责)",
    re.I,
)


def _project_of(text: str) -> tuple[str | None, bool]:
    """(the project named, whether a project is spoken of at all)."""
    m = _PROJECT_REF.search(text)
    if m is None:
        return None, False
    name = (m.group("a") or m.group("b") or "").strip()
    name = re.sub(
        r"^(?:到目前为止|截至目前|截止目前|目前为止|到现在|目前|现在|一共|总共|累计|把|将|这个|那个|"
        r"我们的?|咱们的?|整个|本|的)+",
        "",
        name,
    )
    if not name or name in ("这个", "那个", "整个", "我们", "咱们", "本", "该", "各", "新"):
        return None, True
    return name, True


# "冷链二期的预算…", "二期交房 关键节点…", "冷链二期 计划1月10号试运行": a short name at the head.
_HEAD_NAME = re.compile(r"(?P<n>[\u4e00-\u9fffA-Za-z0-9]{2,12})(?:的|\s+|[,，:：])\s*$")
_NOT_A_NAME = re.compile(
    r"^(?:这个|那个|整个|我们|咱们|你们|他们|本|该|项目|目前|现在|今年|明年|大家|总|总的|整体|最终|下一步)$"
    r"|[我你他她把将]|预算|一下|定|改(?!造|建|扩|版|革|良)|调(?!研)|说"
)


def head_name(head: str) -> str | None:
    """The topic named at the head of a sentence, when it is a bare name (no verb, no pronoun)."""
    m = _HEAD_NAME.fullmatch(head.lstrip())
    if m is None:
        return None
    name = m.group("n")
    if _NOT_A_NAME.search(name):
        return None
    return name


# Adverbs of "so far" between the project's name and 花了 / 支出.
_SO_FAR = re.compile(
    r"(?:到目前为止|截至目前|截止目前|目前为止|到现在为止|到现在|迄今|目前|现在|已经|一共|总共|累计|共)+$"
)


def _spent_head(head: str, clause: Clause) -> str | None:
    """The name before "(到目前为止)一共花了": the head, once the so-far adverbs are gone;
    never a time ("这个月一共花了…")."""
    stripped = _SO_FAR.sub("", head)
    if any(t.start - clause.start < len(stripped) for t in clause.times):
        return None
    return head_name(stripped + " ")


def read_project_change(clause: Clause, msg: Message) -> Reading | None:
    """ "项目上线时间改到1月15号" → deadline; "预算调整为80万" → budget; "项目先暂停" → paused."""
    text = clause.text
    project, spoken = _project_of(text)
    budget_word = _BUDGET_SET.search(text)
    spent_said = (
        re.search(
            r"已经花了|已花|目前支出|累计支出|累计花了|一共花了|总共花了|共花了|花费了|已用", text
        )
        is not None
    )
    if not spoken and budget_word is None and not spent_said and not re.search(r"结项|归档", text):
        return None
    if any((m.known or m.at) for m in clause.mentions) and not _NEW_OWNER.search(text):
        return None
    args: dict[str, Any] = {}
    change = _DEADLINE_CHANGE.search(text)
    if change is not None and spoken:
        later = [t for t in clause.times if t.start - clause.start >= change.start()]
        if later:
            due = due_instant(later[0], workday_end_hour=msg.context.workday_end_hour)
            if due is not None:
                args["deadline"] = due.isoformat()
    if budget_word is not None:
        amount = find_money(text, budget_word.end())
        if amount is not None:
            args["budget"] = amount
    spent = _SPENT.search(text)
    if spent is not None and "budget" not in args:
        amount = find_money(text, spent.end())
        if amount is not None:
            args["spent"] = amount
    elif spent is not None:
        amount = find_money(text, spent.end())
        if amount is not None and amount != args["budget"]:
            args["spent"] = amount
    if spoken and not args:
        for pattern, status in _PROJECT_STATUS:
            if pattern.search(text):
                args["status"] = status
                break
    owner = _NEW_OWNER.search(text)
    if owner is not None:
        known = [m for m in clause.mentions if m.start - clause.start >= owner.start("name") - 1]
        args["owner"] = known[0].name if known else msg.roster.resolve(owner.group("name"))
    if not args:
        return None
    if project is None and budget_word is not None and not clause.mentions:
        project = head_name(text[: budget_word.start()])  # "冷链二期的预算调整为八十五万"
    if project is None and spent is not None and "spent" in args and not clause.mentions:
        project = _spent_head(text[: spent.start()], clause)  # "门店翻新目前支出十八万五"
    if project:
        args["project"] = project
    return Reading(
        kind="project",
        calls=[{"tool": "update_project", "args": args}],
        confidence=0.75,
        clause=clause,
    )


# --------------------------------------------------------------------------- create_milestone

_MILESTONE_WORD = re.compile(r"里程碑|关键节点|节点|milestone", re.I)
_MILESTONE_PLAN = re.compile(r"计划|预计|定在|定于|定为|安排在|目标是?")
_MILESTONE_EVENT = re.compile(
    r"正式发布|正式上线|灰度上线|灰度|上线|提测|发布|交付|验收|封板|冻结|演示|试运行|投产|开业|竣工|交房|开工|"
    r"内测|公测|发版|首发|开售|营业|到货|交货|进场|完工|开学|开园|开盘|封顶|入住|投用|通车|首演|上映|杀青|开机|"
    r"launch|release|go-?live|ship",
    re.I,
)


_MEETING_NAMED = re.compile(r"[\u4e00-\u9fffA-Za-z]会议?(?=定|安排|在|[,，。\s]|$)")


def read_milestone(clause: Clause, msg: Message) -> Reading | None:
    """ "里程碑：12月15号提测" / "提测节点定在12月15号" / "计划12月20号正式发布"."""
    text = clause.text
    word = _MILESTONE_WORD.search(text)
    plan = _MILESTONE_PLAN.search(text)
    event = _MILESTONE_EVENT.search(text)
    if not clause.times or event is None or (word is None and plan is None):
        return None
    if word is None and plan is not None and re.search(r"[我你他她]|咱", text[: plan.start()]):
        return None  # "我们计划下个月上线": talk about a plan, not a milestone set
    if (
        lx.MEETING_NOUN.search(text)
        or _MEETING_NAMED.search(text)
        or lx.EVENT_NOUN.search(re.sub(r"[\s,，。]+$", "", text))
    ):
        return None  # "迭代计划会定在周二": a meeting
    if any((m.known or m.at) for m in clause.mentions) or re.search(
        r"我(?:们)?(?:会|要|得|来)", text
    ):
        return None  # a person doing the work: a task
    dated = [
        t
        for t in clause.times
        if plan is None or word is not None or t.start - clause.start >= plan.start()
    ]
    # "春节备货 计划1月15号到货": the date after the plan, not a holiday in the name before it.
    due = due_instant((dated or clause.times)[0], workday_end_hour=msg.context.workday_end_hour)
    if due is None:
        return None
    chars = list(text)
    for t in clause.times:
        for i in range(t.start - clause.start, min(t.end - clause.start, len(chars))):
            chars[i] = " "
    rest = "".join(chars)
    rest = re.sub(
        r"里程碑|关键节点|节点|milestone|计划|预计|定在|定于|定为|安排在|目标是?|[:：,，。\s]|的|是|为|在|前|之前",
        " ",
        rest,
        flags=re.I,
    )
    project, _ = _project_of(rest)
    if project is None and word is None and plan is not None:
        # "冷链二期 计划1月10号试运行": the name before the plan is the project.
        project = head_name(text[: plan.start()])
        if project is not None:
            rest = " " * plan.start() + rest[plan.start() :]
    rest = re.sub(
        r"[【「“\"][^】」”\"]{1,30}[】」”\"]|[\u4e00-\u9fffA-Za-z0-9]{2,12}?项目", " ", rest
    )
    title = re.sub(r"\s+", "", rest) or event.group(0)
    args: dict[str, Any] = {"title": title, "due": due.isoformat()}
    if project:
        args["project"] = project
    return Reading(
        kind="project",
        calls=[{"tool": "create_milestone", "args": args}],
        confidence=0.75,
        clause=clause,
    )


# --------------------------------------------------------------------------- milestone lists

_LIST_WORD = re.compile(r"里程碑|关键节点|时间节点|节点|milestones?", re.I)
_LIST_HEAD = re.compile(r"^(?:定一下|定下来|如下|安排|是|为|更新|调整)?[\s:：,，]*$")
_EDGE = re.compile(r"^[\s:：,，。;；、.]+|[\s:：,，。;；、.]+$")
_EVENT_TAIL = re.compile(r"^(?:定在|定于|定为|安排在|是|为|在)?[\s:：]*$")


def _event_title(raw: str) -> str:
    title = _EDGE.sub("", raw)
    title = re.sub(r"^(?:然后|再|最后|以及|和|还有)", "", title)
    title = re.sub(
        r"(?:之前|以前|前|完成)$", lambda m: "" if m.group(0) != "完成" else "完成", title
    )
    return _EDGE.sub("", title)


def read_milestone_list(msg: Message, times: list[Any]) -> list[dict[str, Any]] | None:
    """Milestones said with a milestone word, in either order of date and event:
    "关键节点定一下：12月15号 样板间完工 12月28号 交付验收" (several, date first),
    "里程碑：1月8号 系统切换", "初赛报名节点定在12月10号" (event first)."""
    text = msg.text
    word = _LIST_WORD.search(text)
    people = [m for m in msg.roster.find(text) if m.known or m.at]
    if word is None or not times or "@" in text or people:
        return None
    if lx.MEETING_NOUN.search(text[word.start() :]) or re.search(r"[?？吗呢]", text):
        return None  # (a meeting word in the project's name before the list is no meeting)
    dates = sorted((t for t in times if t.start >= 0), key=lambda t: t.start)
    end_hour = msg.context.workday_end_hour
    calls: list[dict[str, Any]] = []
    project, _ = _project_of(text[: word.start()])
    if project is None:
        project = head_name(text[: word.start()])  # "二期交房 关键节点定一下 …"
    if dates[0].start >= word.end() and _LIST_HEAD.match(text[word.end() : dates[0].start]):
        # date first: each event runs from its date to the next one.
        for i, t in enumerate(dates):
            stop = dates[i + 1].start if i + 1 < len(dates) else len(text)
            title = _event_title(text[t.end : stop])
            due = due_instant(t, workday_end_hour=end_hour)
            if not title or due is None or len(title) > 16:
                return None
            calls.append({"title": title, "due": due.isoformat()})
    elif (
        len(dates) == 1
        and dates[0].start >= word.end()
        and _EVENT_TAIL.match(text[word.end() : dates[0].start])
        and not _EDGE.sub("", text[dates[0].end :])
    ):
        head = text[: word.start()]
        if project:
            head = re.sub(
                r"[\u4e00-\u9fffA-Za-z0-9]{2,12}?项目|[【「“\"][^】」”\"]{1,30}[】」”\"]", "", head
            )
        title = _event_title(re.sub(r"的$", "", head.strip()))
        due = due_instant(dates[0], workday_end_hour=end_hour)
        if not title or due is None or len(title) > 12:
            return None
        calls.append({"title": title, "due": due.isoformat()})
    else:
        return None
    out = []
    for args in calls:
        if project:
            args["project"] = project
        out.append({"tool": "create_milestone", "args": args})
    return out
