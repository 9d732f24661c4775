"""The offline rule engine: one chat message in, tool calls out, no model and no I/O.

The message is cleaned, its times (``assistant.timeparse``), people and clauses are found once,
each clause is read for one intent, and the clauses are then put together: a meeting collects
place, agenda and people from the clauses that follow it, list items inherit who, when and how
urgent from their header. Anything unsure becomes no action with a low confidence, so that a
hybrid router can hand it to an LLM.
"""

from __future__ import annotations

import logging
import re
from collections.abc import Mapping, Sequence
from dataclasses import dataclass, field
from datetime import datetime, timedelta
from typing import TYPE_CHECKING, Any

from pydantic import ValidationError

from assistant.domain import ChatContext, IncomingMessage, ToolCall
from assistant.engines.rules import lexicon as lx
from assistant.engines.rules.clauses import Clause, split_clauses
from assistant.engines.rules.people import Mention, Roster
from assistant.engines.rules.slots import (
    agenda_items,
    location,
    meeting_ref,
    priority,
    project_name,
    task_title,
    task_words,
)
from assistant.engines.rules.text import normalize, split_sentences, strip_particles
from assistant.engines.rules.timeslots import (
    due_instant,
    find_durations,
    find_times,
    meeting_slot,
)
from tools.vocabulary import TOOLS

if TYPE_CHECKING:
    from assistant.timeparse.types import DurationMatch, TimeMatch

__all__ = ["Analysis", "RuleEngine", "parse_message"]

_log = logging.getLogger(__name__)


@dataclass(frozen=True, slots=True)
class Analysis:
    """What the engine made of a message, and how sure it is (0 = guess, 1 = certain)."""

    calls: list[ToolCall]
    confidence: float
    notes: list[str] = field(default_factory=list)


@dataclass(slots=True)
class _Reading:
    """One clause read for one intent."""

    kind: (
        str  # none | chat | meeting | reschedule | cancel | status | task | query | project | info
    )
    calls: list[dict[str, Any]] = field(default_factory=list)
    confidence: float = 0.5
    notes: list[str] = field(default_factory=list)
    clause: Clause | None = None
    # For list headers and topic carry-over.
    assignees: list[str] = field(default_factory=list)
    due: datetime | None = None
    priority: str | None = None
    topic: str = ""


@dataclass(slots=True)
class _Message:
    text: str
    context: ChatContext
    roster: Roster
    durations: list[DurationMatch]
    recurring: list[TimeMatch] = field(default_factory=list)

    def recurring_in(self, clause: Clause) -> bool:
        return any(clause.start <= t.start < clause.end for t in self.recurring)


_DEADLINE_AFTER = re.compile(r"^\s*(?:之前|以前|前|截止|为止|之内|以内|内|交|给|完成)")
_DONE_WEAK_TAIL = re.compile(r"^[了啦咯喽哈吧哦呀啊~!！。. ]*$")
_AT_START = re.compile(r"^(?:@\S+\s*)+")


def _iso(value: datetime | None) -> str | None:
    return value.isoformat() if value is not None else None


class RuleEngine:
    """Reads Chinese team chat with rules only. Pure and fast: no I/O, no model weights."""

    name = "rules"

    def understand(self, message: IncomingMessage, context: ChatContext) -> list[ToolCall]:
        return self.analyse(message, context).calls

    def analyse(self, message: IncomingMessage, context: ChatContext) -> Analysis:
        """The tool calls for ``message`` plus a confidence and notes for a hybrid router.

        A message the rules trip over gives no action with confidence 0 (and a logged
        traceback), so that a hybrid router hands it to the LLM instead of failing the turn.
        """
        try:
            return _analyse(message.text, context)
        except Exception:
            _log.exception("rule engine failed on a message of %d characters", len(message.text))
            return Analysis([], 0.0, ["规则引擎内部错误：交给模型或人工处理"])


def parse_message(
    text: str,
    *,
    now: datetime,
    sender: str,
    members: Mapping[str, Sequence[str]] | Sequence[str] = (),
) -> list[ToolCall]:
    """Convenience: read one message with a members list or a name → aliases mapping."""
    if isinstance(members, Mapping):
        table = {str(k): [str(a) for a in v] for k, v in members.items()}
    else:
        table = {str(m): [] for m in members}
    context = ChatContext(now=now, sender=sender, members=table)
    return RuleEngine().understand(IncomingMessage(text=text, sender=sender), context)


# ---------------------------------------------------------------------------------------------
# The pipeline


def _analyse(raw: str, context: ChatContext) -> Analysis:
    text = normalize(raw or "")
    if not text:
        return Analysis([], 1.0, ["空消息"])
    roster = Roster(context.members, context.sender)
    times, recurring = find_times(text, context.now)
    msg = _Message(text, context, roster, find_durations(text), recurring)
    mentions = roster.find(text)
    clauses: list[Clause] = []
    for i, sentence in enumerate(split_sentences(text)):
        clauses.extend(split_clauses(sentence, i, mentions, times))
    clauses = _merge_vocatives(clauses, text)
    readings = [_read(c, msg) for c in clauses]
    _assemble(readings, msg)
    calls: list[ToolCall] = []
    notes: list[str] = []
    confidences: list[float] = []
    for r in readings:
        notes.extend(r.notes)
        if r.calls:
            confidences.append(r.confidence)
        for call in r.calls:
            calls.append(ToolCall(tool=call["tool"], args=call["args"]))
    valid = [c for c in _dedupe(calls) if _is_valid(c)]
    if len(valid) < len(calls) and len(valid) < len(_dedupe(calls)):
        notes.append("丢弃了不合词表的调用")
        confidences.append(0.3)
    if valid:
        confidence = min(confidences)
    else:
        confidence = min((r.confidence for r in readings), default=1.0)
    return Analysis(valid, round(confidence, 2), notes)


def _is_valid(call: ToolCall) -> bool:
    """A last check against the vocabulary; a meeting may lack ``start`` (the executor asks)."""
    model = TOOLS.get(call.tool)
    if model is None:
        return False
    args = call.args
    if call.tool == "create_meeting" and "start" not in args:
        args = {**args, "start": "2000-01-01T00:00:00+00:00"}
    try:
        model.model_validate(args)
    except ValidationError:
        return False
    return True


_VOCATIVE_REST = re.compile(
    r"^[\s,，:：!！~。、]*(?:紧急|加急|急|重要|注意|在吗|辛苦|麻烦|请)?[\s,，:：!！~。、]*$"
)


def _merge_vocatives(clauses: list[Clause], text: str) -> list[Clause]:
    """ "@小刘 紧急！把bug修一下": a clause that only calls someone joins the next one."""
    out: list[Clause] = []
    i = 0
    while i < len(clauses):
        c = clauses[i]
        # "@阿豪\n紧急！把合同发一下": the call and an urgency word both belong to the request.
        while c.mentions and i + 1 < len(clauses) and _only_calls(c):
            nxt = clauses[i + 1]
            c = Clause(
                text=text[c.start : nxt.end],
                start=c.start,
                sentence=nxt.sentence,
                list_item=c.list_item or nxt.list_item,
                header=nxt.header,
                mentions=[*c.mentions, *nxt.mentions],
                times=[*c.times, *nxt.times],
            )
            i += 1
        out.append(c)
        i += 1
    return out


def _only_calls(c: Clause) -> bool:
    rest = list(c.text)
    for m in c.mentions:
        for k in range(m.start - c.start, min(m.end - c.start, len(rest))):
            rest[k] = " "
    leftover = "".join(rest).replace("@", " ")
    return len(leftover) <= 40 and _VOCATIVE_REST.match(leftover) is not None


def _dedupe(calls: list[ToolCall]) -> list[ToolCall]:
    seen: set[str] = set()
    out: list[ToolCall] = []
    for call in calls:
        key = call.tool + repr(sorted(call.args.items()))
        if key not in seen:
            seen.add(key)
            out.append(call)
    return out


def _read(clause: Clause, msg: _Message) -> _Reading:
    """One clause, one intent. The order of the checks is the order of precedence."""
    text = clause.text
    reading = _Reading(kind="none", clause=clause, confidence=0.6)
    bare = _AT_START.sub("", text).strip()
    for m in clause.mentions:
        bare = bare.replace(text[m.start - clause.start : m.end - clause.start], "")
    bare = bare.strip(" ,，")
    if not bare or lx.CHITCHAT.match(bare) or not re.sub(r"[\W_]", "", bare):
        reading.kind, reading.confidence = "chat", 0.95
        return reading
    question = lx.QUESTION.search(text) is not None
    if question and lx.CALENDAR_QUESTION.search(text):
        reading.confidence = 0.9
        reading.notes.append("日历问题，不生成动作")
        return reading
    for reader in (_read_query, _read_project, _read_meeting_change):
        found = reader(clause, msg, question)
        if found is not None:
            return found
    found = _read_meeting(clause, msg, question)
    if found is not None:
        return found
    if lx.LEAVE.search(text) and not lx.SELF_ASSIGN.search(text):
        reading.kind, reading.confidence = "chat", 0.9
        reading.notes.append("请假/外出通知，不生成动作")
        return reading
    for reader in (_read_member, _read_handover):
        found = reader(clause, msg, question)
        if found is not None:
            return found
    status = _read_status(clause, msg, question)
    if status is not None:
        return status
    task = _read_task(clause, msg, question)
    if task is not None:
        return task
    # Nothing to do; keep what a list header or a topic clause offers to the next clauses.
    reading.kind = "info"
    reading.assignees = _people(clause, msg)
    reading.priority = priority(text)
    due = _task_due(clause, msg)
    reading.due = due
    reading.topic = _topic(clause)
    has_verb = lx.ACTION_VERB.search(text) is not None
    reading.confidence = 0.5 if has_verb or clause.times or clause.mentions else 0.8
    if question:
        reading.confidence = max(reading.confidence, 0.75)
    return reading


# ---------------------------------------------------------------------------------------------
# Readers


def _read_query(clause: Clause, msg: _Message, question: bool) -> _Reading | None:
    text = clause.text
    asks = question or lx.QUERY_ASK.search(text) is not None or len(text) <= 8
    if not asks:
        return None
    args: dict[str, Any]
    risk = lx.QUERY_RISK.search(text)
    if risk is not None:
        args = {"kind": "risk"}
        subject = _risk_subject(text[: risk.start()])
        if subject:
            args["task"] = subject
    elif lx.QUERY_OVERDUE.search(text):
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
        project = _progress_subject(_blank_people(clause))
    if project and args["kind"] in ("progress", "overdue", "my_tasks"):
        args["project"] = project
    return _Reading(
        kind="query",
        calls=[{"tool": "query", "args": args}],
        confidence=0.85,
        clause=clause,
    )


_RISK_FILLER = re.compile(
    r"^(?:请问|帮我看看|帮我看下|看看|看一下|查一下|查下|我们|咱们|这个|那个|目前|现在)+"
    r"|(?:任务|这个任务|那个任务|这件事|这事)?(?:的)?(?:还|到底|现在|目前)?$"
)


def _risk_subject(before: str) -> str | None:
    """The task words before "会不会延期" ("登录页会不会延期" → 登录页); none for "哪些任务"."""
    words = _RISK_FILLER.sub("", before.strip(" ，,。？?！!")).strip()
    words = _RISK_FILLER.sub("", words).strip()
    if len(words) < 2 or re.search(r"哪些|哪个|什么|有没有|多少|几个|所有|全部|我的|大家", words):
        return None
    return words


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


def _read_project(clause: Clause, msg: _Message, question: bool) -> _Reading | None:
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
    return _Reading(
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


def _project_owner(text: str, clause: Clause, msg: _Message) -> str | None:
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


def _read_meeting_change(clause: Clause, msg: _Message, question: bool) -> _Reading | None:
    text = clause.text
    if question or not _names_scheduled_event(clause):
        return None
    cancel = lx.CANCEL_MEETING.search(text)
    if cancel is not None and not re.search(r"不(?:要|用)?取消|没取消", text):
        head = _before_without_times(clause, cancel.start())
        head = re.split(r"[,，]", head)[-1] if re.search(r"[,，]\s*\S", head) else head
        reason_text = text
        if not head.strip():
            # "取消明天的周会，老板出差": the meeting follows the cue.
            blank = _before_without_times(clause, len(text))
            parts = re.split(r"[,，]", blank[cancel.end() :], maxsplit=1)
            head = parts[0]
            reason_text = "取消" + ("，" + parts[1] if len(parts) > 1 else "")
        ref = meeting_ref(head)
        args: dict[str, Any] = {"meeting": ref}
        reason = _reason(text) or _cancel_reason(
            reason_text, lx.CANCEL_MEETING.search(reason_text) or cancel
        )
        if reason:
            args["reason"] = reason
        return _Reading(
            kind="cancel",
            calls=[{"tool": "cancel_meeting", "args": args}],
            confidence=0.85,
            clause=clause,
        )
    shift = lx.RESCHEDULE.search(text)
    if shift is None:
        return None
    new_times = [t for t in clause.times if t.start - clause.start >= shift.start()]
    if not new_times:
        return _Reading(
            kind="none",
            confidence=0.3,
            notes=["改会但没有说新时间（或是相对平移），交给人或模型"],
            clause=clause,
        )
    start, end = meeting_slot(new_times[0])
    if start is None:
        return _Reading(kind="none", confidence=0.3, notes=["新时间不完整"], clause=clause)
    old_times = [t for t in clause.times if t.end - clause.start <= shift.start()]
    bare_weekday = re.fullmatch(
        r"(?:周|星期|礼拜)[一二三四五六日天1-7](?:[上下]午|早上|晚上)?.*", new_times[0].text
    )
    if (
        old_times
        and old_times[0].grain == "week"
        and bare_weekday
        and old_times[0].from_ is not None
    ):
        # "下周的周会挪到周三": the weekday of the week named before.
        monday = old_times[0].from_
        offset = (start.weekday() - monday.weekday()) % 7
        day = monday + timedelta(days=offset)
        start = start.replace(year=day.year, month=day.month, day=day.day)
        end = None
    elif old_times and not _NAMES_DAY.search(new_times[0].text):
        # "把明天的会提前到9点": the new clock time is on the old day.
        old_start, _ = meeting_slot(old_times[0])
        if old_start is not None:
            start = start.replace(year=old_start.year, month=old_start.month, day=old_start.day)
            if end is not None:
                end = end.replace(year=old_start.year, month=old_start.month, day=old_start.day)
    if (
        start < msg.context.now
        or msg.recurring_in(clause)
        or re.search(r"每(?:周|天|日|月|个月|两周|隔)", text)
    ):
        # A recurring slot or a time already past cannot be one new start.
        return _Reading(
            kind="none", confidence=0.3, notes=["新时间是周期性的或已过去"], clause=clause
        )
    ref = meeting_ref(_before_without_times(clause, shift.start()))
    args = {"meeting": ref, "start": start.isoformat()}
    if end is not None:
        args["end"] = end.isoformat()
    return _Reading(
        kind="reschedule",
        calls=[{"tool": "reschedule_meeting", "args": args}],
        confidence=0.85,
        clause=clause,
    )


# What is cancelled or moved is named right before the cue ("明天的彩排取消", "设计评审改到…")
# or right after it ("取消明天的面试"); its last noun decides whether it is a scheduled event.
_CHANGE_CUE = re.compile(rf"{lx.CANCEL_MEETING.pattern}|{lx.RESCHEDULE.pattern}", re.IGNORECASE)
_HEAD_TAIL = re.compile(r"(?:的?时间|也|就|先|都|还是|要|从|由|原定|\s)+$")
_DELIVERABLE = re.compile(
    r"(?:视频|纪要|记录|PPT|材料|资料|方案|海报|物料|报告|文档|稿|邀请函|通知|预算|名单|场地|礼品|奖品|节目|"
    r"任务|工作|项目)$",
    re.IGNORECASE,
)


def _names_scheduled_event(clause: Clause) -> bool:
    """A meeting noun names the thing changed, or an event noun (彩排, 面试, 路演…) heads it."""
    text = clause.text
    cue = _CHANGE_CUE.search(text)
    if cue is None:
        return lx.MEETING_NOUN.search(text) is not None
    blank = _before_without_times(clause, len(text))
    head = _HEAD_TAIL.sub("", re.split(r"[,，]", blank[: cue.start()])[-1])
    if not head.strip():
        head = re.split(r"[,，]", blank[cue.end() :])[0].strip()
        head = re.sub(r"[了啦吧哈]+$", "", head)
    if _DELIVERABLE.search(head):
        # "年会视频推迟到1月8号": a deliverable of a meeting is a task.
        return False
    if lx.EVENT_NOUN.search(head) is not None:
        return True
    return lx.MEETING_NOUN.search(text) is not None


_NAMES_DAY = re.compile(r"今|明|后天|昨|前天|周|星期|礼拜|号|日|月|天|年")


def _without_day_times(clause: Clause, *, people: bool = False) -> str:
    """The clause with its dates and clock times blanked; "这个季度的目标" keeps its words.

    With ``people`` the @mentions are blanked too ("过一下logo提案 @晴晴").
    """
    chars = list(clause.text)
    if people:
        for m in clause.mentions:
            if m.at:
                for i in range(m.start - clause.start, min(m.end - clause.start, len(chars))):
                    chars[i] = " "
    for t in clause.times:
        if t.has_clock or t.grain in ("day", "hour", "minute", "second"):
            for i in range(t.start - clause.start, min(t.end - clause.start, len(chars))):
                chars[i] = " "
    return "".join(chars)


def _before_without_times(clause: Clause, cut: int) -> str:
    chars = list(clause.text[:cut])
    for t in clause.times:
        for i in range(t.start - clause.start, min(t.end - clause.start, len(chars))):
            chars[i] = " "
    return "".join(chars)


def _cancel_reason(text: str, cue: re.Match[str]) -> str | None:
    """ "周会取消，老板出差" / "老板出差，周会取消了": the other comma part is the reason."""
    after = re.sub(r"^[了啦吧哈啊!！。~\s]*", "", text[cue.end() :])
    after = after.lstrip(" ,，。;；")
    if after and not lx.MEETING_NOUN.search(after) and not lx.RESCHEDULE.search(after):
        return after.strip(" ,，。!！~").rstrip("吧啊哈") or None
    before = text[: cue.start()]
    cut = max(before.rfind(","), before.rfind("，"))
    if cut > 0:
        head = before[:cut].strip(" ,，")
        if head and not lx.MEETING_NOUN.search(head):
            return head
    return None


def _reason(text: str) -> str | None:
    m = re.search(r"(?:因为|由于|原因是|原因:|原因：|因)(?P<r>[^。!！?？]+)", text)
    if m is None:
        return None
    reason = re.sub(r"(?:所以|因此).*$", "", m.group("r")).strip(" ,，")
    reason = reason.rstrip("了的吧啊")
    return reason or None


_ANNOUNCED = re.compile(
    r"(?P<topic>[\u4e00-\u9fffA-Za-z0-9]{0,10}?)(?<![我你他她它也就还不都才能将要])(?P<noun>会议(?!室)|会(?!议)|sync|meeting|standup|评审|复盘|培训|分享)"
    r"[吧啊哈哦呀。!！~]*(?:[,，\s]|$)",
    re.IGNORECASE,
)


_ONLY_MEETING = re.compile(
    r"(?:在|于)?(?P<topic>[\u4e00-\u9fffA-Za-z0-9 ]{0,16}?)"
    r"(?P<noun>会议|会|sync|meeting|standup|review|retro|评审|复盘|培训)(?:在|于)?",
    re.IGNORECASE,
)


_FIXED_AT = re.compile(
    r"(?P<topic>[\u4e00-\u9fffA-Za-z0-9]{0,12}?)(?P<noun>会议|会|评审|复盘|培训|彩排)"
    r"(?:的?时间)?(?:定在|定于|安排在|放在|约在|定为)"
)


def _announced_meeting(clause: Clause) -> tuple[str, str, tuple[int, int]] | None:
    """ "明早九点半站会" / "周四下午3点需求评审会，大家准时": a time, then a meeting noun;
    "年终总结大会定在1月8号下午2点": a meeting noun fixed at a time."""
    if not clause.times:
        return None
    blank = _before_without_times(clause, len(clause.text))
    fixed = _FIXED_AT.search(blank)
    if fixed is not None and any(t.start - clause.start >= fixed.end() - 1 for t in clause.times):
        topic = re.sub(r"^(?:的|这次|这个|那个|下次|本次)+", "", fixed.group("topic").strip())
        return topic, fixed.group("noun"), (fixed.start(), fixed.end())
    last_time_end = max(t.end for t in clause.times) - clause.start
    if any(_is_deadline(t, clause) for t in clause.times):
        return None
    m = _ANNOUNCED.search(clause.text, last_time_end)
    if m is None or clause.text[last_time_end : m.start()].strip(" 的在开有个"):
        # "okr review meeting 周四下午3点": only a meeting name besides the time.
        rest = _before_without_times(clause, len(clause.text))
        place = location(rest)
        if place is not None:
            rest = rest[: place[1][0]] + rest[place[1][1] :]
        rest = re.sub(r"\s+", " ", rest).strip()
        only = _ONLY_MEETING.fullmatch(rest) if len(rest) <= 24 else None
        if only is None:
            return None
        return only.group("topic").strip(), only.group("noun"), (0, len(clause.text))
    topic = re.sub(r"^(?:的|在|开|有个|有|个|一个)+", "", m.group("topic"))
    return topic, m.group("noun"), (m.start(), m.end())


# A scheduled event said by what happens in it, not by 会: "周五下午视频面试一个候选人",
# "上午10点跟客户过logo提案". It needs a time of day (a clock or a part of the day).
_HELD_INTERVIEW = re.compile(
    r"(?:视频|电话|线上|现场)?(?P<verb>面试|路演|彩排|演练|答辩)(?:一下|下)?"
    r"(?:一个|一位|两个|两位|几个|[0-9一二三四五六七八九十]+个|[0-9一二三四五六七八九十]+位)?"
    r"(?P<obj>[\u4e00-\u9fffA-Za-z0-9]{0,10})"
)
_HELD_WITH = re.compile(
    r"(?:跟|和|与)(?P<who>[\u4e00-\u9fffA-Za-z0-9]{1,8}?)(?:一起)?"
    r"(?:过一下|过一遍|过|聊一下|聊聊|聊|碰一下|碰|对一下|对|演示|review一下|review)"
    r"(?P<obj>[\u4e00-\u9fffA-Za-z0-9]{2,14})",
    re.IGNORECASE,
)


def _held_event(clause: Clause) -> tuple[str, list[str]] | None:
    """(title, agenda) of an event named by its activity, when a time of day is given."""
    timed = [
        t for t in clause.times if not _is_deadline(t, clause) and (t.has_clock or t.part_of_day)
    ]
    if not timed:
        return None
    blank = _without_day_times(clause, people=True)
    m = _HELD_INTERVIEW.search(blank)
    if m is not None:
        obj = re.sub(r"^(?:的|了)+", "", m.group("obj"))
        return f"{m.group('verb')}{obj}", []
    w = _HELD_WITH.search(blank)
    if w is not None and lx.ACTION_VERB.search(w.group("who")) is None:
        obj = w.group("obj")
        return f"{obj}讨论", [obj]
    return None


def _read_meeting(clause: Clause, msg: _Message, question: bool) -> _Reading | None:
    text = clause.text
    create = lx.MEETING_CREATE.search(text)
    soft = None if create else lx.MEETING_SOFT.search(text)
    announced = None
    held: tuple[str, list[str]] | None = None
    if create is None and soft is None:
        announced = _announced_meeting(clause)
        if announced is None:
            held = _held_event(clause)
            if held is None:
                return None
    if lx.MEETING_NOT_SCHEDULING.search(text) or (question and not re.search(r"[吧]", text[-3:])):
        return None
    if lx.HYPOTHETICAL.search(text) or re.search(r"不(?:用|需要|必)开", text):
        return None
    if lx.CANCEL_MEETING.search(text) or (lx.OPINION.search(text) and not clause.times):
        return None
    if re.search(r"开不了|开不成|不开|没开|开完|开过|参加不了|去不了", text):
        return None
    if re.search(r"去(?:开|参加|参会)", text) and lx.LEAVE.search(text):
        # "我下午请假去开家长会": the sender goes to a meeting elsewhere; a leave notice.
        return None
    if msg.recurring_in(clause):
        return _Reading(
            kind="none", confidence=0.3, notes=["周期性会议：不当作一次性会议"], clause=clause
        )
    future = [t for t in clause.times if (t.value or t.from_ or msg.context.now) >= msg.context.now]
    if not future and (lx.PAST_MARKER.search(text) or re.search(r"开会(?:说|讲|提|定)的", text)):
        return None
    non_deadline = [t for t in clause.times if not _is_deadline(t, clause)]
    if soft is not None and not non_deadline:
        return None
    if clause.times and not non_deadline:
        # "周五前约客户开个会": a task about a meeting.
        return None
    if create is not None and create.group(0).startswith("加") and "会" not in create.group(0)[:3]:
        return None
    confident = create is not None or (
        (announced is not None or held is not None) and any(t.has_clock for t in non_deadline)
    )
    reading = _Reading(kind="meeting", clause=clause, confidence=0.85 if confident else 0.65)
    args: dict[str, Any] = {}
    start: datetime | None = None
    end: datetime | None = None
    for t in non_deadline:
        start, end = meeting_slot(t)
        if start is not None:
            break
    now = msg.context.now
    if start is not None and start < now and (now - start).total_seconds() > 3600:
        if start.date() < now.date():
            reading.kind = "none"
            reading.confidence = 0.7
            reading.notes.append("会议时间在过去：当作回顾，不生成动作")
            return reading
    topic = ""
    if create is not None:
        topic_start = create.start("topic")
        for t in clause.times:
            t_end = t.end - clause.start
            if create.start("topic") <= t_end <= create.end("topic"):
                topic_start = max(topic_start, t_end)
        topic = text[topic_start : create.end("topic")].strip().lstrip("的")
    noun = create.group("noun") if create is not None else ""
    skip = (create.start(), create.end()) if create is not None else (0, 0)
    if announced is not None:
        topic, noun, skip = announced
    # Agenda words never include the times nor the people called.
    title, agenda = (
        held
        if held is not None
        else _meeting_topic(_without_day_times(clause, people=True), topic, noun, skip)
    )
    args["title"] = title
    if start is not None:
        args["start"] = start.isoformat()
    else:
        reading.notes.append("会议没有时间：由执行器追问")
        reading.confidence = min(reading.confidence, 0.7)
    if end is not None:
        args["end"] = end.isoformat()
    if agenda:
        args["agenda"] = agenda
    reading.calls.append({"tool": "create_meeting", "args": args})
    _meeting_details(args, clause, msg)
    return reading


# Topic words that name a kind of meeting rather than what it is about.
_MEETING_KIND = re.compile(
    r"(?:周例|双周|周|例|晨|早|站|夕|月|年|季度|碰头|复盘|评审|讨论|启动|总结|动员|分享|培训|部门|全员|大|"
    r"站立|立项|验收|对齐|规划|务虚|述职|电话|视频|线上|进度|沟通|协调|汇报|短|小|紧急|临时)$"
)


def _meeting_topic(
    text: str, topic: str, noun: str, skip: tuple[int, int] = (0, 0)
) -> tuple[str, list[str]]:
    """(title, agenda): "开个评审会讨论A和B" → ("评审会", ["A", "B"])."""
    agenda = agenda_items(text, skip)
    topic = re.sub(r"^(?:个|一个|一下|一次|次|场|一场|下|了个|关于)+", "", topic)
    topic = re.sub(r"(?:的|之)$", "", topic).strip()
    generic_noun = noun.lower() in ("会", "会议", "sync", "meeting", "")
    if not generic_noun and noun.isascii() and topic.isascii():
        # "开sprint planning": an English name of a kind of meeting is its title.
        return (f"{topic} {noun}".strip(), agenda) if topic else (noun, agenda)
    if noun in ("评审", "复盘", "培训", "分享"):
        # "产品评审" is the meeting's name, not a topic to discuss.
        return f"{topic}{noun}", agenda
    if topic and _MEETING_KIND.search(topic):
        kind = re.sub(r"^(?:短|小|紧急|临时)+", "", topic)
        if kind in ("线上", "线下", "视频", "电话"):
            # "开个线上会": how it is held (a location), not what it is called.
            kind = ""
        if kind:
            return f"{kind}{noun if noun in ('会', '会议') else ''}" or "会议", agenda
        topic = ""
    if topic and noun in ("会", "会议") and topic in text and f"{topic}{noun}" in text:
        # "开年度预算会" names the meeting by its kind: a title, no agenda (conventions).
        if topic in ("线上", "线下", "视频", "电话"):
            return "会议", agenda
        return f"{topic}{noun}", agenda
    if topic and not agenda:
        agenda = [topic]
    if agenda:
        joined = "、".join(agenda[:3]) if len(agenda) > 1 else agenda[0]
        return f"{joined}讨论", agenda
    if not generic_noun:
        return noun, agenda
    return "会议", agenda


def _meeting_details(args: dict[str, Any], clause: Clause, msg: _Message) -> None:
    """Place, attendees, duration and reminder from one clause (the meeting's or a follower)."""
    text = clause.text
    place = location(_before_without_times(clause, len(text)))
    if place is not None and "location" not in args:
        args["location"] = place[0]
    if "location" in args and args.get("agenda"):
        where = str(args["location"])
        kept = [a for a in args["agenda"] if where not in a and a not in where]
        if kept:
            args["agenda"] = kept
        else:
            args.pop("agenda")
    people = [m.name for m in clause.mentions]
    if msg.roster.mentions_all(text) or args.get("attendees") == "all":
        args["attendees"] = "all"
    elif people:
        current = args.get("attendees")
        names = list(current) if isinstance(current, list) else []
        for name in people:
            if name not in names:
                names.append(name)
        if msg.context.sender and msg.context.sender not in names:
            names.append(msg.context.sender)
        args["attendees"] = names
    remind = lx.REMIND.search(text)
    remind_span: tuple[int, int] | None = None
    if remind is not None:
        remind_span = (clause.start + remind.start(), clause.start + remind.end())
        minutes = _minutes(remind.group("span"))
        if minutes is not None:
            args["remind_before_minutes"] = minutes
    if "duration_minutes" not in args:
        for d in msg.durations:
            if not (clause.start <= d.start and d.end <= clause.end):
                continue
            if remind_span and remind_span[0] <= d.start < remind_span[1]:
                continue
            if any(t.start <= d.start < t.end for t in clause.times):
                continue
            tail = msg.text[d.end : d.end + 2]
            head = msg.text[max(0, d.start - 2) : d.start]
            if tail.startswith(("后", "之后", "以后", "前", "之前", "内", "以内")) or head.endswith(
                ("提前", "晚", "早")
            ):
                continue
            minutes = int(round(d.seconds / 60))
            if 1 <= minutes <= 24 * 60:
                args["duration_minutes"] = minutes
                break


_MINUTES_WORDS = {
    "半小时": 30,
    "半个小时": 30,
    "一刻钟": 15,
    "一小时": 60,
    "一个小时": 60,
    "一天": 1440,
    "一晚": 1440,
}


def _minutes(span: str) -> int | None:
    span = span.strip()
    if span in _MINUTES_WORDS:
        return _MINUTES_WORDS[span]
    found = find_durations(span)
    if found:
        minutes = int(round(found[0].seconds / 60))
        return minutes if 0 <= minutes <= 7 * 24 * 60 else None
    return None


def _is_deadline(t: TimeMatch, clause: Clause) -> bool:
    if t.deadline:
        return True
    return _DEADLINE_AFTER.match(clause.text[t.end - clause.start :]) is not None


_ADD_MEMBER = re.compile(
    # A bare 加 needs 把 before the person ("把小孙加官网群"); "班加罗尔" is a place.
    r"(?:(?:把|将)\s*(?P<ba>@?[^\s,，。把将]{1,8}?)\s*加|(?:把|将)?\s*(?P<who>@?[^\s,，。把将]{1,8}?)\s*"
    r"(?:加入|加到|加进|拉进|拉入|添加到|邀请进))(?:到)?"
    r"(?P<project>[^,，。]{0,12}?)(?:项目组|项目|群里|群|团队|组里|组)"
    r"|(?:添加|新增|加)(?:一个|个)?(?:新)?成员[:：]?\s*(?P<who2>@?[^\s,，。]{1,8})"
)
_ROLE = {"管理员": "admin", "项目经理": "pm", "PM": "pm", "pm": "pm", "普通成员": "member"}


def _read_member(clause: Clause, msg: _Message, question: bool) -> _Reading | None:
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
    return _Reading(
        kind="member", calls=[{"tool": "add_member", "args": args}], confidence=0.8, clause=clause
    )


_HANDOVER = re.compile(
    r"(?:交给|转给|改由|改成|换成|移交给|转交给)\s*(?P<who>@?[^\s,，。]{1,8}?)(?:负责|来做|来跟|跟进|处理|来)?[吧了哈。!！]*$"
)


def _read_handover(clause: Clause, msg: _Message, question: bool) -> _Reading | None:
    """ "登录页交给小赵" → update_task with a new assignee."""
    text = clause.text
    m = _HANDOVER.search(text)
    if m is None or question or lx.MEETING_NOUN.search(text):
        return None
    if "把" in text[: m.start()] or any(_is_deadline(t, clause) for t in clause.times):
        # "明天前把周报交给我": sending work over by a deadline is a task, not a hand-over.
        return None
    people = [x for x in clause.mentions if x.start - clause.start >= m.start("who") - 1]
    if m.group("who") in ("我", "我来"):
        who = msg.context.sender
    elif people:
        who = people[0].name
    else:
        return None
    removed = [(x.start - clause.start, x.end - clause.start) for x in clause.mentions]
    words = task_words(text[: m.start()], removed)
    words = re.sub(r"^(?:这个|那个)?(?:任务|活|事情?)$", "", words)
    if len(words) < 2:
        return None
    return _Reading(
        kind="status",
        calls=[{"tool": "update_task", "args": {"task": words, "assignee": who}}],
        confidence=0.75,
        clause=clause,
    )


def _read_status(clause: Clause, msg: _Message, question: bool) -> _Reading | None:
    text = clause.text
    if question:
        return None
    future_deadline = any(
        _is_deadline(t, clause) and (t.value or t.from_ or msg.context.now) >= msg.context.now
        for t in clause.times
    )
    at_addressed = text.lstrip().startswith("@")
    ref_id = lx.TASK_REF_ID.search(text)
    status: str | None = None
    cue: re.Match[str] | None = None
    note: str | None = None
    due: datetime | None = None
    blocked = lx.BLOCKED.search(text)
    # "客户说预算砍了，品牌片的拍摄先不做了": a cue in reported speech is the reason; the news
    # is the next cue.
    cues = list(lx.TASK_CANCELLED.finditer(text))
    cancelled = cues[0] if cues else None
    if len(cues) > 1 and "说" in text[: cues[0].start()]:
        cancelled = cues[-1]
    done = None
    for m in lx.DONE.finditer(text):
        weak = len(m.group(0)) <= 2
        if weak and not _DONE_WEAK_TAIL.match(text[m.end() :]):
            continue
        done = m
        break
    progress = lx.IN_PROGRESS.search(text)
    shift = lx.DUE_SHIFT.search(text)
    ba_done = _BA_DONE.search(text)
    if blocked is not None:
        status, cue = "blocked", blocked
        note = _blocked_note(text, blocked)
    elif cancelled is not None and not _names_scheduled_event(clause):
        status, cue = "cancelled", cancelled
    elif (partial := _PARTIAL.search(text)) is not None and not future_deadline:
        # "续约回访打了8家，还剩3家": part done, part left — in progress, the count is the note.
        head = _PROGRESS_COUNT.search(text)
        cut = (
            head.start() if head is not None and head.start() < partial.start() else partial.start()
        )
        words = task_words(
            text[:cut], [(m.start - clause.start, m.end - clause.start) for m in clause.mentions]
        )
        if len(words) >= 2:
            return _Reading(
                kind="status",
                calls=[
                    {
                        "tool": "update_task",
                        "args": {
                            "task": words,
                            "status": "in_progress",
                            "progress_note": text[cut:].strip(" ,，。!！~"),
                        },
                    }
                ],
                confidence=0.7,
                clause=clause,
            )
    elif done is not None and not future_deadline and not (at_addressed and "把" in text):
        status, cue = "done", done
    elif ba_done is not None and not future_deadline and not at_addressed:
        words = task_words(ba_done.group("obj"), [])
        if len(words) >= 2:
            return _Reading(
                kind="status",
                calls=[{"tool": "update_task", "args": {"task": words, "status": "done"}}],
                confidence=0.7,
                clause=clause,
            )
    elif (
        progress is not None
        and not future_deadline
        and not lx.SELF_ASSIGN.search(text[: progress.start()])
    ):
        if re.search(r"(?:明天|后天|下周|下个?月)开始", text):
            return None
        status, cue = "in_progress", progress
    elif shift is not None and clause.times and not _names_scheduled_event(clause):
        later = [t for t in clause.times if t.start - clause.start >= shift.start()]
        if later:
            due = due_instant(later[0], workday_end_hour=msg.context.workday_end_hour)
            cue = shift
    if cue is None:
        return None
    removed = [(m.start - clause.start, m.end - clause.start) for m in clause.mentions]
    removed += [(t.start - clause.start, t.end - clause.start) for t in clause.times]
    if status == "in_progress":
        # "我开始做支付了": the task is what comes after the verb; before it, only the subject.
        after = lx.IN_PROGRESS.sub(" ", text[cue.end() :])
        words = task_words(after, [])
        verb = (
            lx.ACTION_VERB.match(words) if cue.group(0) in ("正在", "开始", "着手", "在") else None
        )
        if verb is not None and len(words) - verb.end() >= 2:
            words = words[verb.end() :]
        if len(words) < 2:
            words = task_words(text[: cue.start()], removed)
    else:
        words = task_words(_subject_part(text, cue.start(), removed), [])
    if status == "blocked":
        # "redis迁移被运维卡着": who blocks it is not part of the task's name.
        words = re.sub(r"被[\u4e00-\u9fffA-Za-z]{1,8}$", "", words).strip()
    args: dict[str, Any] = {}
    if ref_id is not None:
        args["task"] = int(ref_id.group(1))
    elif len(words) >= 2:
        args["task"] = words
    else:
        return _Reading(
            kind="none", confidence=0.35, notes=["状态更新但认不出是哪个任务"], clause=clause
        )
    if status:
        args["status"] = status
    if note:
        args["progress_note"] = note
    if due is not None:
        args["due"] = due.isoformat()
    if not status and due is None:
        return None
    past_report = bool(lx.PAST_MARKER.search(text)) and status != "done"
    return _Reading(
        kind="status",
        calls=[{"tool": "update_task", "args": args}],
        confidence=0.6 if past_report else 0.8,
        clause=clause,
    )


_PARTIAL = re.compile(
    r"还(?:剩|差|有)(?:下)?\s*[0-9一二三四五六七八九十两几]+\s*(?:个|家|条|份|项|篇|位|台|页|张|件|人|%)"
    r"|完成了?(?:一半|大半|\d{1,2}%|百分之[一二三四五六七八九十]+)"
)
_PROGRESS_COUNT = re.compile(
    rf"(?:{lx.ACTION_VERB.pattern}|打|跑|谈|拜访|回访)了?\s*[0-9一二三四五六七八九十两几]+\s*"
    r"(?:个|家|条|份|项|篇|位|台|页|张|件|人)"
)
# "A的B到了" / "A的B来了": a predicate that reports on a part, not the task.
_PART_PREDICATE = re.compile(r"(?:已经|都|也)?(?:到|来|回来|送到|寄到|到货|到齐)了?$")


def _subject_part(text: str, cue: int, removed: list[tuple[int, int]]) -> str:
    """The words naming the task before a status cue, people and times blanked.

    The comma part right before the cue names the task; when it is empty ("…到了，修好了") the
    first part does. "A的B到了" names task A (the job), and "品牌片的拍摄" is A and B joined.
    """
    chars = list(text[:cue])
    for a, b in removed:
        for i in range(max(a, 0), min(b, len(chars))):
            chars[i] = " "
    before = "".join(chars)
    parts = re.split(r"[,，]", before)
    if len(parts) < 2:
        return _join_of(before)
    last = parts[-1]
    chosen = last if len(task_words(last, [])) >= 2 else parts[0]
    return _join_of(_PART_PREDICATE.sub("", chosen.rstrip()))


def _join_of(phrase: str) -> str:
    m = re.match(
        r"^(?P<a>.+?)的(?P<b>[\u4e00-\u9fffA-Za-z0-9 ]+?)(?P<rest>先|也|就|都|还|已经)?$",
        phrase.strip(),
    )
    if m is None:
        return phrase
    a, b = m.group("a").strip(), m.group("b").strip()
    if lx.ACTION_VERB.fullmatch(b):
        return a + b
    if len(a) >= 3 and lx.ACTION_VERB.search(a[-2:]) and re.search(r"[到来]了?$", phrase) is None:
        return a if len(b) <= 3 else phrase
    return phrase


_BA_DONE = re.compile(
    rf"我(?:已经|已|刚刚|刚|都)?把(?P<obj>[^,，。]{{2,20}}?)(?:给)?(?:{lx.ACTION_VERB.pattern})(?:好|完|掉|出来|上去|过去)?了[吧啊哈~!！。]*$"
)


def _blocked_note(text: str, cue: re.Match[str]) -> str:
    rest = text[cue.start() :]
    wait = re.search(r"(?:在等|等待|等)(?P<w>[^,，。;；!！?？]+)", rest)
    if wait is not None:
        return "等" + wait.group("w").strip().rstrip("了的呢呀啊吧")
    because = re.search(r"(?:因为|由于)(?P<w>[^,，。;；!！?？]+)", text)
    if because is not None:
        return because.group("w").strip()
    note = re.sub(r"^(?:卡住了?|卡着|卡了|被卡住?了?|阻塞了?)[,，\s]*", "", rest).strip(" ,，。")
    return note or cue.group(0)


def _people(clause: Clause, msg: _Message) -> list[str]:
    return list(dict.fromkeys(m.name for m in clause.mentions))


def _task_due(clause: Clause, msg: _Message) -> datetime | None:
    ordered = sorted(clause.times, key=lambda t: (not _is_deadline(t, clause), t.start))
    for t in ordered:
        if not _is_deadline(t, clause) and clause.text[t.end - clause.start :].startswith("的"):
            # "周一的会议纪要": the time names the thing, not when it is due.
            continue
        due = due_instant(t, workday_end_hour=msg.context.workday_end_hour)
        if due is not None:
            return due
    return None


def _topic(clause: Clause) -> str:
    removed = [(m.start - clause.start, m.end - clause.start) for m in clause.mentions]
    removed += [(t.start - clause.start, t.end - clause.start) for t in clause.times]
    words = task_words(clause.text, removed)
    words = re.sub(r"(?:比较|很|挺|特别|非常)?(?:急|紧急|重要)$", "", words)
    return words if 2 <= len(words) <= 20 else ""


# "方案我下周三之前出完", "我有空再把脚本清理一下": 我 as the subject right before the work.
_SELF_DOER = re.compile(
    r"(?<![给帮让跟和叫找问向对替被])我(?!们)\s*(?:有空|有时间|回头|抽空|尽快|争取|先|会|再|就|马上|这就|\s)*"
    r"(?:之前|以前|前)?\s*(?=把|(?:" + lx.ACTION_VERB.pattern + r")(?:完|好|掉|出来)?)",
    re.IGNORECASE,
)


def _blank_times(clause: Clause) -> str:
    chars = list(clause.text)
    for t in clause.times:
        for i in range(t.start - clause.start, min(t.end - clause.start, len(chars))):
            chars[i] = " "
    return "".join(chars)


_VOCATIVE_END = re.compile(r"\s*[,，:：]|\s+(?!(?:和|跟|与|及|、))")


def _vocative(clause: Clause) -> Mention | None:
    """The person called at the very start ("老郑，…", "@阿豪 …", "敏姐：…"), if any."""
    if not clause.mentions:
        return None
    first = clause.mentions[0]
    if first.start != clause.start:
        return None
    sep = _VOCATIVE_END.match(clause.text, first.end - clause.start)
    if sep is None:
        return None
    # "@东子 @许可 周五前…": a row of names is the people spoken to and asked alike.
    if any(m.start - clause.start == sep.end() for m in clause.mentions[1:]):
        return None
    return first


# "…，周四给你们看" / "，周三给老板" / "，明天发给我": when and to whom the work is handed over.
_HANDOVER_PART = re.compile(
    r"[,，]\s*(?:再|就|会|先)?\s*(?:发|交|拿|送)?给\s*[\u4e00-\u9fffA-Za-z]{1,4}?"
    r"(?:看看|看|过目|审|审核|确认|review)?(?:一下|下)?[\s吧哈啊。!！~]*$",
    re.IGNORECASE,
)


def _handover_parts(clause: Clause) -> list[tuple[int, int]]:
    """The last comma part when it only hands the work over; its time stays the due."""
    blank = _blank_times(clause)
    m = _HANDOVER_PART.search(blank)
    if m is None or not clause.times or not blank[: m.start()].strip():
        return []
    if not any(t.start - clause.start >= m.start() for t in clause.times):
        return []
    return [(m.start(), len(clause.text))]


_SELF_CUE_VERB = re.compile(r"我(?:来|去|负责|跟进|跟|认领|接手?|包了|处理|这边来|这边负责|这边)")


def _read_task(clause: Clause, msg: _Message, question: bool) -> _Reading | None:
    text = clause.text
    if clause.header and not clause.list_item:
        return None
    sender = msg.context.sender
    self_cue = lx.SELF_ASSIGN.search(text)
    if self_cue is not None and self_cue.group(0) == "交给我" and "把" in text[: self_cue.start()]:
        # "各位把周报交给我": the sender receives the work, others do it.
        self_cue = None
    if self_cue is None:
        self_cue = _SELF_DOER.search(_blank_times(clause))
    if self_cue is None and clause.times and not strip_particles(text, keep_le=True).endswith("了"):
        self_cue = re.search(r"我(?:先|会|再|来|这边)?(?=把)", text)
    polite = lx.POLITE_REQUEST.search(text) is not None
    if question and not (polite and (clause.mentions or re.search(r"你", text))):
        return None
    if lx.HYPOTHETICAL.search(text) and not clause.times:
        return None
    # Assignees: the people the clause addresses, not those it merely talks about.
    assignees: list[str] = []
    talked_about: list[Mention] = []
    for m in clause.mentions:
        before = text[: m.start - clause.start]
        after = text[m.end - clause.start :]
        if after.startswith(
            ("的", "说", "那边", "那里", "提", "反馈", "讲")
        ) and not after.startswith("的话"):
            continue
        joined = re.search(r"[和跟与及、]\s?$", before) is not None and any(
            p.name in assignees and p.end - clause.start >= len(before.rstrip()) - 1
            for p in clause.mentions
            if p.end <= m.start
        )
        if joined:
            assignees.append(m.name)
            continue
        if re.search(
            r"(?:跟|和|与|给|向|找|问|联系|通知|告诉|对接|约)\s?$", before
        ) and not re.search(r"(?:[让请叫由]|@\S+\s)[^,，]*$", before):
            talked_about.append(m)
            continue
        if not (m.known or m.at):
            # Only chat members or @mentions do work: "施工负责人" is no person.
            continue
        assignees.append(m.name)
    assignees = list(dict.fromkeys(assignees))
    vocative = _vocative(clause)
    if vocative is not None and (self_cue is not None or len(assignees) > 1):
        # "老郑，报价单我来准备": the person called at the start is spoken to, not the doer.
        others = [m.name for m in clause.mentions if m is not vocative and m.name in assignees]
        if self_cue is not None or others:
            assignees = [a for a in assignees if a != vocative.name or a in others]
    if self_cue is not None and sender and sender not in assignees:
        assignees.append(sender)
    has_deadline = any(_is_deadline(t, clause) for t in clause.times)
    verb = lx.ACTION_VERB.search(_blank_people(clause))
    imperative = (
        re.search(
            r"把|记得|务必|需要|必须|一定要|(?:^|[你我他她们家\s])(?:得|要)|请|麻烦|帮忙|TODO|待办",
            text,
            re.I,
        )
        is not None
    )
    if not assignees:
        if lx.OPINION.search(text) or not verb:
            return None
        ba_first = (
            re.match(r"^(?:[^,，把]{0,8})把", text) is not None and priority(text) is not None
        )
        if not (
            has_deadline
            or (imperative and clause.times)
            or ba_first
            or re.match(r"(?:TODO|待办|任务)[:：]", text, re.I)
        ):
            return None
    elif verb is None and not clause.list_item and not re.search(r"[:：]", text):
        if not (self_cue or has_deadline):
            return None
    bare_statement = (
        not clause.times
        and not imperative
        and not self_cue
        and not clause.list_item
        and not any(m.at for m in clause.mentions)
        and not re.search(r"负责|跟进|来做|去做|你", text)
    )
    if bare_statement and re.search(r"很|太|真|得很|了[吧啊哈~!！。]*$|过$|中$", text):
        # "小王加班到很晚": a report about someone, not a job for them.
        return None
    if lx.PAST_MARKER.search(text) and not has_deadline and not self_cue and not imperative:
        return None
    due = _task_due(clause, msg)
    if due is not None and due < msg.context.now and due.date() < msg.context.now.date():
        return None
    # Names the sentence only talks about stay in the title ("跟小王对接接口").
    removed = [
        (m.start - clause.start, m.end - clause.start)
        for m in clause.mentions
        if m not in talked_about
    ]
    for t in clause.times:
        a, b = t.start - clause.start, t.end - clause.start
        if text[b : b + 1] == "的":
            b += 1
        suffix = _DEADLINE_AFTER.match(text[b:])
        if suffix is not None and suffix.group(0).strip() in ("交", "给", "完成"):
            suffix = None
        removed.append((a, b + (suffix.end() if suffix else 0)))
    removed.extend(_handover_parts(clause))
    if self_cue is not None:
        cue_text = self_cue.group(0)
        lead = re.match(
            r"(?:交给我|我(?:这边)?(?:来|去|负责|认领|处理|包了|接手?|了|下)*)", cue_text
        )
        cut = self_cue.start() + (lead.end() if lead else len(cue_text))
        removed.append((self_cue.start(), cut))
        pronoun = re.match(
            r"^(?:嗯|好的|ok|OK|那)?\s*(?:这个事情?|这件事情?|这事儿?|这块|这部分|那个事情?|这个|那个)",
            text,
        )
        if pronoun is not None:
            removed.append((0, pronoun.end()))
        # "这个bug我来修": the object stands before 我, the verb after it.
        before = task_title(text[: self_cue.start()], removed)
        after = task_title(text[cut:], [(a - cut, b - cut) for a, b in removed if b > cut])
        if before and len(after) <= 2:
            title = f"{_ONE_CHAR_TITLES.get(after, after) if len(after) == 1 or not after else after}{before}"
            if after in ("跟", "接", "") or len(after) == 0:
                title = f"跟进{before}"
        else:
            title = task_title(text, removed)
    else:
        title = _verb_part_title(text, removed)
    title = re.sub(r"^(?:说|是|的|被|TODO|todo|待办|任务)[:：]?", "", title).strip()
    title = re.sub(r"(?:一起|一块儿?)$", "", title)
    if _ATTEND.fullmatch(title) and not self_cue:
        # "@小王 @李四 参加": who comes to a meeting, not a job.
        return None
    reading = _Reading(kind="task", clause=clause, confidence=0.8)
    reading.assignees = assignees
    reading.due = due
    reading.priority = priority(text)
    reading.topic = title
    if len(title) <= 1:
        reading.topic = _ONE_CHAR_TITLES.get(title, title)
        reading.confidence = 0.5
        reading.notes.append("任务标题不完整")
    many = len(assignees) > 1
    split_items = (
        _split_respectively(title, len(assignees))
        if many and re.search(r"分别|各自", text)
        else None
    )
    for i, person in enumerate(assignees or [None]):
        item_title = split_items[i] if split_items else reading.topic
        if not item_title:
            continue
        args: dict[str, Any] = {"title": item_title}
        if person:
            args["assignee"] = person
        if due is not None:
            args["due"] = due.isoformat()
        if reading.priority:
            args["priority"] = reading.priority
        reading.calls.append({"tool": "create_task", "args": args})
    if not reading.calls:
        return None
    if not assignees:
        reading.confidence = 0.65
    elif bare_statement:
        reading.confidence = 0.7
    return reading


_ATTEND = re.compile(
    r"(?:也|都|一起|准时|按时|记得)*(?:参加|参会|出席|到场|列席|旁听|来|过来|到|来开会|参加会议|一起开)(?:一下)?"
)
_ONE_CHAR_TITLES = {
    "跟": "跟进",
    "做": "处理",
    "搞": "处理",
    "弄": "处理",
    "看": "查看",
    "": "跟进",
}


_ONLY_FINISH = re.compile(
    r"(?:都|要|得|必须)*(?:搞定|完成|做完|弄好|弄完|搞完|交|给我|上线|结束|ok|OK)(?:吧|哈|啊|哦)?"
)


def _verb_part_title(text: str, removed: list[tuple[int, int]]) -> str:
    """The title from the comma part that holds the verb, its object from another part if short."""
    title = task_title(text, removed)
    if not re.search(r"[,，]", title):
        return title
    parts = [
        p for p in re.split(r"[,，]", title) if p.strip() and not _ONLY_FINISH.fullmatch(p.strip())
    ]
    if len(parts) == 1:
        return parts[0]
    verbs = [p for p in parts if lx.ACTION_VERB.search(p)]
    others = [p for p in parts if p not in verbs]
    if not verbs:
        return parts[0]
    main = "，".join(verbs)
    if len(main) <= 3 and others:
        topic = re.sub(
            r"(?:比较|很|挺|特别|非常|有点)?(?:急|紧急|重要|着急)$", "", others[0]
        ).strip()
        topic = re.sub(r"^(?:这个|那个|这|那)", "", topic)
        if topic:
            return f"{main}{topic}"
    return main


def _split_respectively(title: str, n: int) -> list[str] | None:
    """ "负责前端和后端" for two people → ["负责前端", "负责后端"]."""
    m = re.match(r"^(?P<verb>负责|做|写|搞|跟进|处理|出|改|测|看)?(?P<rest>.+)$", title)
    if m is None:
        return None
    parts = [p for p in re.split(r"[、,，/]|和|及|与|跟", m.group("rest")) if p.strip()]
    if len(parts) != n:
        return None
    verb = m.group("verb") or ""
    return [f"{verb}{p.strip()}" for p in parts]


def _blank_people(clause: Clause) -> str:
    chars = list(clause.text)
    for m in clause.mentions:
        for i in range(m.start - clause.start, m.end - clause.start):
            if 0 <= i < len(chars):
                chars[i] = " "
    return "".join(chars)


# ---------------------------------------------------------------------------------------------
# Putting the clauses together


# What is left of a clause that only says who does the job of the clause before it:
# "，邓工负责", "，我来", "@杰哥 辛苦", "，你跟一下", "我自己来，加急".
_ONLY_WHO = re.compile(
    r"(?:你们?|我|自己|由|让|请|这个|这事儿?|也|就|来|去|负责|跟进|跟|盯|处理|搞定|做|弄|辛苦|了|啦|吧|哈|哦|啊|"
    r"一下|下|加急|紧急|十万火急|尽快|优先|高优先级|低优先级|不急|马上|抓紧|[\s,，!！~。:：])*"
)
_ONLY_PRIORITY = re.compile(
    r"[\s,，!！~。]*(?:十万火急|紧急|加急|特急|很急|急|urgent)[\s,，!！~。]*", re.I
)


def _leftover(clause: Clause) -> str:
    chars = list(clause.text)
    for m in clause.mentions:
        for i in range(m.start - clause.start, min(m.end - clause.start, len(chars))):
            chars[i] = " "
    return "".join(chars).replace("@", " ")


def _fold(readings: list[_Reading], msg: _Message) -> None:
    """Join clauses that only complete the job said before them.

    - "把复盘写好，我负责" / "，邓工负责，高优先级" / "@杰哥 辛苦": who (and how urgent) for the
      task of the clause before, never a task of its own;
    - "十万火急！@A 把X改了": a sentence that is only an urgency word sets the next task's;
    - "老郑，报价单我来准备": the person called at the start is not the doer when someone else is.
    """
    prev: _Reading | None = None
    cancel: _Reading | None = None
    blocked: _Reading | None = None
    pending_priority: str | None = None
    for r in readings:
        clause = r.clause
        if clause is None:
            continue
        if r.kind == "info" and _ONLY_PRIORITY.fullmatch(clause.text) and r.priority:
            pending_priority = r.priority
            r.kind = "chat"
            continue
        if r.kind == "task" and pending_priority:
            for call in r.calls:
                if call["args"].get("priority") != "urgent":
                    call["args"]["priority"] = pending_priority
            pending_priority = None
        if (
            r.kind in ("task", "info", "chat")
            and prev is not None
            and prev.kind == "task"
            and prev.clause is not None
            and prev.clause.sentence == clause.sentence
            and _ONLY_WHO.fullmatch(_leftover(clause))
        ):
            who = r.assignees or _people(clause, msg)
            if not who and re.search(r"我", clause.text) and msg.context.sender:
                who = [msg.context.sender]
            free = [c for c in prev.calls if "assignee" not in c["args"]]
            if who and free and len(free) == len(prev.calls):
                template = prev.calls[0]["args"]
                prev.calls = [
                    {"tool": "create_task", "args": {**template, "assignee": p}} for p in who
                ]
                prev.assignees = list(who)
            if who or r.kind != "task":
                level = priority(clause.text)
                if level:
                    for call in prev.calls:
                        call["args"]["priority"] = level
                r.calls = []
                r.kind = "chat"
                continue
        if (
            r.kind in ("chat", "info", "none")
            and not r.calls
            and cancel is not None
            and cancel.clause is not None
            and cancel.clause.sentence == clause.sentence
        ):
            args = cancel.calls[0]["args"]
            if "reason" not in args:
                args["reason"] = clause.text.strip(" ,，。!！~")
            cancel = None
            continue
        if (
            r.kind in ("chat", "info", "none")
            and not r.calls
            and blocked is not None
            and blocked.clause is not None
            and blocked.clause.sentence == clause.sentence
        ):
            # "redis迁移被运维卡着，他们说要等下周的变更窗口": the part after is the reason.
            args = blocked.calls[0]["args"]
            args["progress_note"] = _blocked_reason(clause.text)
            blocked = None
            continue
        blocked = r if r.kind == "status" and r.calls and _bare_blocked(r) else None
        cancel = r if r.kind == "cancel" and r.calls else None
        if r.kind == "task" and r.calls:
            prev = r
        elif r.kind not in ("chat",):
            prev = None


def _bare_blocked(r: _Reading) -> bool:
    """A blocked report whose own clause gives no reason beyond the cue ("卡在物流那边了")."""
    args = r.calls[0]["args"]
    note = str(args.get("progress_note", ""))
    return args.get("status") == "blocked" and (
        not note or note.startswith("卡") or lx.BLOCKED.fullmatch(note) is not None
    )


def _blocked_reason(text: str) -> str:
    wait = re.search(r"(?:在等|等待|要等|等)(?P<w>[^,，。;；!！?？]+)", text)
    if wait is not None:
        return "等" + wait.group("w").strip().rstrip("了的呢呀啊吧")
    note = re.sub(r"^(?:因为|由于|原因是|他们说|她说|他说|说)", "", text.strip(" ,，。!！~"))
    return note.rstrip("了的呢呀啊吧") or text


def _assemble(readings: list[_Reading], msg: _Message) -> None:
    _fold(readings, msg)
    meeting: _Reading | None = None
    header: _Reading | None = None
    topic_by_sentence: dict[int, _Reading] = {}
    for r in readings:
        clause = r.clause
        if clause is None:
            continue
        if r.kind == "meeting":
            meeting, header = r, None
            continue
        if r.kind in ("info", "none", "chat") and meeting is not None and meeting.calls:
            args = meeting.calls[0]["args"]
            _meeting_details(args, clause, msg)
            if "start" not in args:
                for t in clause.times:
                    start, end = meeting_slot(t)
                    if start is not None:
                        args["start"] = start.isoformat()
                        if end is not None:
                            args["end"] = end.isoformat()
                        break
            items = agenda_items(clause.text)
            if not items and clause.list_item and r.kind == "info":
                cleaned = re.sub(r"^(?:议题|议程)[:：]?", "", clause.text).strip()
                items = [cleaned] if cleaned else []
            if items:
                agenda = list(args.get("agenda") or [])
                agenda.extend(i for i in items if i not in agenda)
                args["agenda"] = agenda
                if args.get("title") == "会议":
                    args["title"] = f"{agenda[0]}讨论"
            continue
        if r.kind == "info":
            item_of = header if header is not None and _is_item_of(clause, header) else None
            if item_of is not None and _item_task(r, msg):
                _inherit(r, item_of, msg)
                continue
            if (
                clause.header
                or clause.text.endswith((":", "："))
                or r.assignees
                or r.due
                or r.priority
            ):
                header = r
            topic_by_sentence[clause.sentence] = r
            continue
        if r.kind == "task":
            source = (
                header
                if clause.list_item and header is not None
                else topic_by_sentence.get(clause.sentence)
            )
            if source is not None:
                _inherit(r, source, msg)
            continue
        if r.kind not in ("chat",):
            header = header if clause.list_item else None
    _share_deadlines(readings)
    for r in readings:
        if r.kind == "meeting":
            for call in r.calls:
                args = call["args"]
                args.setdefault("attendees", "all")
                args.setdefault("remind_before_minutes", msg.context.default_remind_before_minutes)


_ITEM_NOT_TASK = re.compile(r"[?？]|吗|呢$|谢谢|辛苦|收到|好的")


def _is_item_of(clause: Clause, header: _Reading) -> bool:
    """A line under a task header ("阿豪这周五前搞定：") is one of its items.

    Numbered items always are; unnumbered lines are when the header ends with a colon and the
    header says who or when (otherwise it is just a topic line).
    """
    head = header.clause
    if head is None or not (header.assignees or header.due or header.priority):
        return False
    if clause.list_item:
        return True
    return head.header and clause.sentence > head.sentence and len(clause.text) <= 30


def _item_task(r: _Reading, msg: _Message) -> bool:
    """Turn a list item with no verb ("合同归档") into a task; its header gives who and when."""
    clause = r.clause
    if clause is None or _ITEM_NOT_TASK.search(clause.text):
        return False
    removed = [(t.start - clause.start, t.end - clause.start) for t in clause.times]
    title = task_title(clause.text, removed)
    if len(title) < 2:
        return False
    args: dict[str, Any] = {"title": title}
    due = _task_due(clause, msg)
    if due is not None:
        args["due"] = due.isoformat()
    people = [m.name for m in clause.mentions if m.known or m.at]
    r.kind, r.confidence = "task", 0.7
    r.calls = [{"tool": "create_task", "args": {**args, "assignee": p}} for p in people] or [
        {"tool": "create_task", "args": args}
    ]
    r.assignees, r.due, r.topic = people, due, title
    return True


def _share_deadlines(readings: list[_Reading]) -> None:
    """ "小王做X，老李做Y，下周一前都要完成": one deadline said apart from the people covers all."""
    groups: dict[int, list[_Reading]] = {}
    for r in readings:
        if r.kind == "task" and r.clause is not None:
            groups.setdefault(r.clause.sentence, []).append(r)
    for group in groups.values():
        dated = [r for r in group if r.due is not None]
        if len(group) < 2 or len(dated) != 1 or dated[0].clause is None:
            continue
        source, clause = dated[0], dated[0].clause
        first_person = min((m.start for m in clause.mentions), default=clause.end)
        last_comma = max(clause.text.rfind(","), clause.text.rfind("，"))
        tail = clause.text[last_comma + 1 :] if last_comma >= 0 else ""
        shared = any(t.end <= first_person for t in clause.times) or (
            bool(tail)
            and not any(m.start - clause.start > last_comma for m in clause.mentions)
            and any(t.start - clause.start > last_comma for t in clause.times)
        )
        if not shared or source.due is None:
            continue
        for r in group:
            if r.due is None:
                for call in r.calls:
                    call["args"].setdefault("due", source.due.isoformat())


def _inherit(task: _Reading, source: _Reading, msg: _Message) -> None:
    """List items and short follow-ups take who / when / how urgent / what from before."""
    calls = task.calls
    if not calls:
        return
    if source.assignees and all("assignee" not in c["args"] for c in calls):
        template = calls[0]["args"]
        task.calls = [
            {"tool": "create_task", "args": {**template, "assignee": person}}
            for person in source.assignees
        ]
    for call in task.calls:
        args = call["args"]
        if source.due is not None and "due" not in args:
            args["due"] = source.due.isoformat()
        if source.priority and "priority" not in args:
            args["priority"] = source.priority
        if (
            source.topic
            and not (task.clause is not None and task.clause.list_item)
            and len(args["title"]) <= 3
            and source.topic not in args["title"]
        ):
            args["title"] = f"{args['title']}{source.topic}"
    if source.topic and task.confidence < 0.6:
        task.confidence = 0.6
