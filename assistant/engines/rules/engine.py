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
from datetime import datetime
from typing import TYPE_CHECKING

from pydantic import ValidationError

from assistant.domain import ChatContext, IncomingMessage, ToolCall
from assistant.engines.dialogue import resolve as resolve_dialogue
from assistant.engines.rules import lexicon as lx
from assistant.engines.rules.analysis import (
    AT_START,
    Message,
    Reading,
    blank_times,
    clause_people,
    clause_topic,
    task_due,
)
from assistant.engines.rules.assembly import assemble
from assistant.engines.rules.clauses import CONTEXT_SUBJECT, Clause, split_clauses
from assistant.engines.rules.people import Roster
from assistant.engines.rules.readers.commands import (
    read_ask,
    read_reminders,
    read_report,
    read_summarize,
)
from assistant.engines.rules.readers.meeting import read_meeting, read_recurring_meeting
from assistant.engines.rules.readers.meeting_change import read_meeting_change
from assistant.engines.rules.readers.project import (
    read_member,
    read_milestone_list,
    read_project,
)
from assistant.engines.rules.readers.query import read_query
from assistant.engines.rules.readers.status import read_handover, read_status, read_task_change
from assistant.engines.rules.readers.task import read_task
from assistant.engines.rules.repairs import Finder, repair
from assistant.engines.rules.slots import location, priority
from assistant.engines.rules.text import normalize, split_sentences
from assistant.engines.rules.timeslots import (
    find_durations,
    find_times,
)
from tools.vocabulary import TOOLS

if TYPE_CHECKING:
    from assistant.engines.learned import IntentGate

__all__ = ["Analysis", "RuleEngine", "parse_message"]

_log = logging.getLogger(__name__)


@dataclass(frozen=True, slots=True)
class Analysis:
    """What the engine made of a message, and how sure it is (0 = guess, 1 = certain)."""

    calls: list[ToolCall]
    confidence: float
    notes: list[str] = field(default_factory=list)
    # Set when the calls were read against the chat's dialogue state (``assistant.engines.
    # dialogue``): answer, correction or reference.
    dialogue: str | None = None


def _iso(value: datetime | None) -> str | None:
    return value.isoformat() if value is not None else None


class RuleEngine:
    """Reads Chinese team chat with rules. Pure and fast: no I/O per message.

    With ``gate`` (``assistant.engines.learned.IntentGate``, weights loaded once) a learned
    intent classifier reviews the rules' calls: it may veto calls for a message it is sure needs
    none, drop a call whose tool it finds very unlikely, and lower the confidence of a message
    the rules read as nothing but that looks like a task (so that a hybrid router asks the LLM).
    """

    name = "rules"

    def __init__(self, *, gate: IntentGate | None = None) -> None:
        self.gate = gate

    def understand(self, message: IncomingMessage, context: ChatContext) -> list[ToolCall]:
        return self.analyse(message, context).calls

    def analyse(self, message: IncomingMessage, context: ChatContext) -> Analysis:
        """The tool calls for ``message`` plus a confidence and notes for a hybrid router.

        A message the rules trip over gives no action with confidence 0 (and a logged
        traceback), so that a hybrid router hands it to the LLM instead of failing the turn.
        """
        try:
            if not context.dialogue.empty:
                found = resolve_dialogue(message.text, context, _read_plain)
                calls = [c for c in found.calls if _is_valid(c)] if found is not None else []
                if found is not None and calls:
                    return Analysis(calls, found.confidence, [found.note], found.kind)
            analysis = _analyse(message.text, context)
            if self.gate is not None:
                analysis = _gated(analysis, self.gate, message.text, context)
            return analysis
        except Exception:
            _log.exception("rule engine failed on a message of %d characters", len(message.text))
            return Analysis([], 0.0, ["规则引擎内部错误：交给模型或人工处理"])


# What a message is worth after the gate changed the rules' answer: below the hybrid router's
# threshold, so that the LLM (when there is one) has the last word.
_VETO_CONFIDENCE = 0.4
_ROUTE_CONFIDENCE = 0.3


def _gated(analysis: Analysis, gate: IntentGate, text: str, context: ChatContext) -> Analysis:
    if analysis.confidence <= 0.0 and not analysis.calls:
        return analysis  # the rules failed; nothing to review
    verdict = gate.review(analysis.calls, gate.model.predict(text, context))
    if verdict.action == "keep":
        return analysis
    notes = [*analysis.notes, verdict.note or verdict.action]
    if verdict.action == "drop":
        return Analysis(verdict.calls, analysis.confidence, notes, analysis.dialogue)
    cap = _VETO_CONFIDENCE if verdict.action == "veto" else _ROUTE_CONFIDENCE
    return Analysis(verdict.calls, min(analysis.confidence, cap), notes, analysis.dialogue)


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


def _read_plain(text: str, context: ChatContext) -> list[ToolCall]:
    """The rule engine's reading of a rewritten message (for the dialogue resolver)."""
    return _analyse(text, context).calls


def _analyse(raw: str, context: ChatContext) -> Analysis:
    text = normalize(raw or "")
    if not text:
        return Analysis([], 1.0, ["空消息"])
    roster = Roster(context.members, context.sender)
    repaired = repair(text, _finders(roster, context))
    text = repaired.text
    if not text:
        return Analysis([], 0.9, repaired.repairs)
    quiet = _no_action_message(text, roster, bool(repaired.quoted))
    if quiet is not None:
        return Analysis([], 0.8, [quiet])
    times, recurring = find_times(text, context.now)
    msg = Message(
        text,
        context,
        roster,
        find_durations(text),
        recurring,
        repaired.addressed,
        repaired.quoted,
    )
    milestones = read_milestone_list(msg, times)
    if milestones:
        found = [ToolCall(tool=c["tool"], args=c["args"]) for c in milestones]
        return Analysis([c for c in found if _is_valid(c)], 0.75, ["里程碑列表"])
    mentions = roster.find(text)
    clauses: list[Clause] = []
    for i, sentence in enumerate(split_sentences(text)):
        clauses.extend(split_clauses(sentence, i, mentions, times))
    clauses = _merge_vocatives(clauses, text)
    readings = [_read(c, msg) for c in clauses]
    assemble(readings, msg)
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


def _no_action_message(text: str, roster: Roster, quoted: bool) -> str | None:
    """Whole messages that only report, announce, accept or defer (round 4): why, or None.

    A reply to a quoted message is read with the quote: "「…谁来弄？」 交给我吧" takes the work on.
    """
    flat = text.strip()
    if quoted:
        return None
    if lx.ACCEPT_ONLY.match(flat):
        return "接下了别处说的事，不生成动作"
    if any(m.at for m in roster.find(flat)) or "@" in flat:
        return None
    if lx.NOTICE_END.search(flat):
        return "通知，请大家知悉/查收，不生成动作"
    if lx.DEFERRAL.search(flat):
        return "等人忙完再说，不生成动作"
    if lx.OPINION_START.match(flat):
        return "个人看法，不生成动作"
    reported = lx.REPORTED_PLAN.match(flat)
    part_end = len(flat)
    if reported is not None:
        cut = re.compile(r"[,，。！!？?;；\n]").search(flat, reported.end())
        part_end = cut.end() if cut is not None else len(flat)
    if (
        reported is not None
        and not re.search(r"请|麻烦|记得|帮忙|你|让|叫|把", flat[part_end:])
        and not any(m.start >= part_end for m in roster.find(flat))
    ):
        # Only the plan is reported; a request to someone after it still counts.
        return "转述别人的打算，不生成动作"
    return None


_ASKS = re.compile(
    r"[?？]|谁|哪个|哪些|哪里|哪儿|什么时候|怎么|多少|几点|几号|有没有|是不是|(?:吗|呢|么|没|没有|对吧|是吧|不是)[\s~。!！]*$"
)


def _asks(text: str) -> bool:
    """The message as a whole asks something (a question mark, or a final question particle)."""
    return _ASKS.search(text) is not None


def _finders(roster: Roster, context: ChatContext) -> list[Finder]:
    """Span finders for self-corrections: times, then people, then places."""

    def times(text: str) -> list[tuple[int, int]]:
        one_off, sets = find_times(text, context.now)
        return sorted((t.start, t.end) for t in [*one_off, *sets])

    def people(text: str) -> list[tuple[int, int]]:
        return [(m.start, m.end) for m in roster.find(text)]

    def places(text: str) -> list[tuple[int, int]]:
        found = location(text)
        return [found[1]] if found is not None else []

    return [times, people, places]


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


_EN_YES_NO = re.compile(
    r"(?:what|which|where|who|when|why|how|any update on)\b|(?:is|are|was|were|has|have|had|will)\s+(?!you\b|u\b)\S"
    r"|(?:did|does|do)\s+(?:we|they|i|he|she|it|anyone|anybody)\b",
    re.I,
)


_CONTEXT = re.compile(CONTEXT_SUBJECT)
# "周末有两场开业活动，…", "下周一有市里检查，…": what is happening then, the reason for the
# requests after it; its time is no due of theirs.
_HAPPENING = re.compile(r"(?:要|会|还|就|又)?有(?!空|时间|没有|人|谁|什么|哪)\S")


def _ends_in_question_mark(clause: Clause, msg: Message) -> bool:
    """The clause is followed by a question mark the splitter left out."""
    tail = msg.text[clause.start + len(clause.text) :].lstrip(" ~")
    return tail[:1] in ("?", "？")


def _read(clause: Clause, msg: Message) -> Reading:
    """One clause, one intent. The order of the checks is the order of precedence."""
    text = clause.text
    reading = Reading(kind="none", clause=clause, confidence=0.6)
    bare = AT_START.sub("", text).strip()
    for m in clause.mentions:
        bare = bare.replace(text[m.start - clause.start : m.end - clause.start], "")
    bare = bare.strip(" ,，")
    if not bare or lx.CHITCHAT.match(bare) or not re.sub(r"[\W_]", "", bare):
        reading.kind, reading.confidence = "chat", 0.95
        return reading
    question = lx.QUESTION.search(text) is not None or _ends_in_question_mark(clause, msg)
    if not question and _EN_YES_NO.match(bare):
        question = True
    if question and lx.CALENDAR_QUESTION.search(text):
        reading.confidence = 0.9
        reading.notes.append("日历问题，不生成动作")
        return reading
    if lx.LEAVE_STRONG.search(text) and not lx.SELF_ASSIGN.search(text) and not clause.mentions:
        reading.kind, reading.confidence = "chat", 0.9
        reading.notes.append("请假通知，不生成动作")
        return reading
    if (
        lx.EVALUATION.search(text)
        and not clause.mentions
        and not any(t.value is not None and t.value > msg.context.now for t in clause.times)
        and not re.search(r"把|请|麻烦|记得|安排|开个|约个", text)
    ):
        reading.kind, reading.confidence = "chat", 0.85
        reading.notes.append("对已发生事情的评价，不生成动作")
        return reading
    negated = lx.NEGATED_CHANGE.search(text)
    if (
        negated is not None
        and not question
        and not re.search(r"[,，;；]\s*\S", text[negated.end() :])
    ):
        # (with a part after it, "周会不要取消，改到周四", the readers decide)
        reading.kind, reading.confidence = "chat", 0.85
        reading.notes.append("否定的指令（别取消…），不生成动作")
        return reading
    for reader in (
        read_reminders,
        read_query,
        read_report,
        read_summarize,
        read_ask,
        read_project,
        read_meeting_change,
        read_recurring_meeting,
    ):
        found = reader(clause, msg, question)
        if found is not None:
            return found
    found = read_meeting(clause, msg, question)
    if found is not None:
        return found
    if lx.LEAVE.search(text) and not lx.SELF_ASSIGN.search(text):
        reading.kind, reading.confidence = "chat", 0.9
        reading.notes.append("请假/外出通知，不生成动作")
        return reading
    for reader in (read_member, read_handover, read_task_change):
        found = reader(clause, msg, question or _asks(msg.text))
        if found is not None:
            return found
    # A report on a task inside a question ("值班表排好了？谁排的") is people talking.
    status = read_status(clause, msg, question or _asks(msg.text))
    if status is not None:
        return status
    task = read_task(clause, msg, question)
    if task is not None:
        return task
    # Nothing to do; keep what a list header or a topic clause offers to the next clauses.
    reading.kind = "info"
    reading.assignees = clause_people(clause, msg)
    reading.priority = priority(text)
    due = task_due(clause, msg)
    reading.due = due
    reading.topic = clause_topic(clause)
    if not clause.mentions and (
        _CONTEXT.match(blank_times(clause).strip(" ,，的"))
        or lx.REPORTED_PLAN.match(text)
        or _HAPPENING.match(blank_times(clause).strip(" ,，的"))
    ):
        # "下周二市里要来检查，麻烦@A …": a third party's doings set no due and no topic.
        reading.due, reading.topic = None, ""
    has_verb = lx.ACTION_VERB.search(text) is not None
    reading.confidence = 0.5 if has_verb or clause.times or clause.mentions else 0.8
    if question:
        reading.confidence = max(reading.confidence, 0.75)
    return reading
