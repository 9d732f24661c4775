"""Reading a message against the chat's dialogue state: answers, corrections, references.

Pure: the state comes in with ``ChatContext.dialogue`` (the service layer loads it), and the
rest of the message is read by the rule engine itself (``read``). Three kinds, tried in order:

- **an answer** to the question Qunmi asked the sender ("是哪一个？"): an id ("#4", "4"), an
  ordinal ("第二个", "最后那个"), all of them ("两个都…", "都…"), or a name or title that only one
  candidate carries; anything said after the choice ("两个都延期到下周五") is the change to make,
  read as if said of the chosen record. To "什么时候开？" (a meeting without a time) the answer
  is the time alone ("明天下午3点");
- **a correction** of the record the sender last created ("不对，是周四", "说错了，是老李",
  "不对，地点在3楼大会议室", "不对，标题是需求评审"): only when the message is nothing but the cue
  and the corrected value;
- **a reference** to the record last touched for or by the sender ("把刚才那个会挪到下午",
  "它改到3点", "那个任务转给老李", "再加上小李").

Every call made here is an ordinary tool call with a record id: the executor still judges it.
"""

from __future__ import annotations

import re
from collections.abc import Callable, Sequence
from dataclasses import dataclass, replace
from datetime import datetime
from typing import Any

from assistant.domain import ChatContext, DialogueState, OpenQuestion, ToolCall, TouchedRecord
from assistant.engines.rules import lexicon as lx
from assistant.engines.rules.people import Roster
from assistant.engines.rules.slots import location
from assistant.engines.rules.text import normalize
from assistant.engines.rules.timeslots import due_instant, find_times, meeting_slot
from tools.resolve import similarity

__all__ = ["FAMILY", "Reader", "Resolution", "resolve"]

Reader = Callable[[str, ChatContext], list[ToolCall]]
"""Reads a (rewritten) message with the rule engine, without dialogue state."""

# The tools that act on a record of each kind, and the argument that names the record.
FAMILY: dict[str, tuple[frozenset[str], str]] = {
    "task": (frozenset({"update_task"}), "task"),
    "meeting": (frozenset({"reschedule_meeting", "update_meeting", "cancel_meeting"}), "meeting"),
}


@dataclass(frozen=True, slots=True)
class Resolution:
    """Calls read with the dialogue state; ``kind`` is answer, correction or reference."""

    calls: list[ToolCall]
    kind: str
    note: str
    confidence: float = 0.9


def resolve(text: str, context: ChatContext, read: Reader) -> Resolution | None:
    """The calls ``text`` makes given the dialogue state, or ``None`` when the state does not
    bear on it (the message is then read on its own)."""
    state = context.dialogue
    if state.empty:
        return None
    plain = _BOT.sub("", normalize(text or "")).strip()
    if not plain or len(plain) > 80:
        return None
    bare = replace(context, dialogue=DialogueState())
    if state.question is not None:
        found = _answer(plain, state.question, bare, read)
        if found is not None:
            return found
    found = _correction(plain, state, bare)
    if found is not None:
        return found
    return _reference(plain, state, bare, read)


_BOT = re.compile(r"^\s*@?(?:群秘|小秘|机器人|qunmi)[\s,，:：]*", re.IGNORECASE)
_TRIM = " \t\n,，。.:：;；!！~～、"
_SUBSTANCE = re.compile(r"[\u4e00-\u9fffA-Za-z0-9]")
_PARTICLES = re.compile(
    r"(?i)^(?:的|吧|啊|呀|哈|哦|呢|是|那个|这个|那条|那场|好了|就行|就好|谢谢|please|pls|thanks|\s)+$"
    r"|^(?:的|吧|那个|这个)+"
)

# -- answers ---------------------------------------------------------------------------------

_NUMERALS = {"一": 1, "二": 2, "两": 2, "三": 3, "四": 4, "五": 5, "六": 6, "七": 7, "八": 8}
_NUMERALS.update({"九": 9, "十": 10})
_LEAD = re.compile(r"^(?:是|选|就|要|嗯|哦|噢|呃|应该是|我说的是|我指的是|指的是|说的是)+\s*")
_PICK = re.compile(
    r"(?P<all>(?:[两二三四五六七八九十几]|这[两几]|那[两几])(?:个|项|场|条|位)?(?:都|全部|全都|一起)"
    r"|都|全部都?|全都|统统|所有的?)"
    r"|[#＃]\s*(?P<id>\d{1,9})"
    r"|(?:任务|会议|编号)\s*(?P<id2>\d{1,9})"
    r"|第\s*(?P<nth>[一二两三四五六七八九十\d]{1,3})\s*(?:个|项|场|条|位)?"
    r"|(?P<last>最后|后面|下面|后一|下一)(?:那|一)?(?:个|项|场|条|位)"
    r"|(?P<first>前面|上面|前一|上一)(?:那|一)?(?:个|项|场|条|位)"
    r"|(?P<num>\d{1,9})(?=\s*(?:$|[,，。!！、\s]|那个|吧|的))"
)


_PICK_EN = re.compile(
    r"(?:it'?s\s+|the\s+)*(?:(?P<all>both(?:\s+of\s+them)?|all(?:\s+of\s+them)?)"
    r"|(?P<nth>first|second|third|fourth|fifth|last)(?:\s+one)?"
    r"|(?:number|no\.?)\s*(?P<num>\d{1,9}))\b",
    re.IGNORECASE,
)
_EN_ORDINALS = {"first": 1, "second": 2, "third": 3, "fourth": 4, "fifth": 5}


def _pick_en(text: str, n: int) -> tuple[list[int], int] | None:
    """English answers: "the second one", "both", "last one", "number 4" (an id)."""
    m = _PICK_EN.match(text)
    if m is None:
        return None
    if m["all"]:
        return list(range(n)), m.end()
    if m["nth"]:
        word = m["nth"].lower()
        k = n if word == "last" else _EN_ORDINALS[word]
        return ([k - 1], m.end()) if 1 <= k <= n else None
    return None


def _ordinal(word: str) -> int | None:
    if word.isdigit():
        return int(word)
    if word == "十":
        return 10
    if len(word) == 2 and word[0] == "十":
        return 10 + _NUMERALS.get(word[1], 0)
    return _NUMERALS.get(word)


def _pick(plain: str, q: OpenQuestion) -> tuple[list[int], str] | None:
    """The chosen candidates (indexes into ``q.candidates``) and the rest of the answer."""
    text = _LEAD.sub("", plain)
    m = _PICK.match(text)
    n = len(q.candidates)
    ids = [c.id for c in q.candidates]
    chosen: list[int] | None = None
    if m is not None:
        if m["all"]:
            chosen = list(range(n))
        elif m["id"] or m["id2"]:
            wanted = int(m["id"] or m["id2"])
            chosen = [ids.index(wanted)] if wanted in ids else None
            if chosen is None:
                return None  # an id Qunmi did not offer: read the message on its own
        elif m["nth"]:
            k = _ordinal(m["nth"])
            chosen = [k - 1] if k is not None and 1 <= k <= n else None
        elif m["last"]:
            chosen = [n - 1]
        elif m["first"]:
            chosen = [0]
        elif m["num"]:
            k = int(m["num"])
            if k in ids:
                chosen = [ids.index(k)]
            elif 1 <= k <= n:
                chosen = [k - 1]
    if chosen is not None and m is not None:
        return chosen, text[m.end() :]
    english = _pick_en(text, n) if m is None else None
    if english is not None:
        return english[0], text[english[1] :]
    by_label = _by_label(text, q)
    return ([by_label], "") if by_label is not None else None


def _by_label(text: str, q: OpenQuestion) -> int | None:
    """A short answer that names one candidate ("登录页那个", "王小明")."""
    words = re.sub(r"那个|这个|的|吧|是|呀|啊|[\s\W_]", "", text)
    if not words or len(words) > 12:
        return None
    # The words must be (nearly) a name, not a sentence that contains one.
    scores = [
        similarity(words, c.label) if words in c.label or len(words) <= len(c.label) + 1 else 0.0
        for c in q.candidates
    ]
    best = max(scores)
    if best < 0.5 or scores.count(best) > 1:
        return None
    if best < 1.0 and sorted(scores)[-2] > best - 0.2:
        return None
    return scores.index(best)


def _answer(plain: str, q: OpenQuestion, ctx: ChatContext, read: Reader) -> Resolution | None:
    if q.kind == "slot":
        return _fill_slot(plain, q, ctx)
    picked = _pick(plain, q)
    if picked is None:
        return None
    chosen, rest = picked
    rest = _PARTICLES.sub("", rest.strip(_TRIM)).strip(_TRIM)
    values: list[Any] = []
    for i in chosen:
        c = q.candidates[i]
        values.append(c.label if q.kind == "member" else c.id)
    changes: list[ToolCall] = []
    others: list[ToolCall] = []
    if rest and q.kind in FAMILY:
        tools, _ = FAMILY[q.kind]
        stand_in = f"任务{values[0]}" if q.kind == "task" else "会"
        changes = [c for c in read(stand_in + rest, ctx) if c.tool in tools]
        if not changes:
            others = read(rest, ctx)
    elif rest:
        others = read(rest, ctx)
    if rest and not changes and not others and _SUBSTANCE.search(rest):
        return None  # "第二个方案更好": more than a choice, and nothing to do with it
    calls: list[ToolCall] = []
    for value in values:
        calls.extend(_merged(q, value, changes))
    labels = "、".join(q.candidates[i].label for i in chosen)
    return Resolution([*calls, *others], "answer", f"回答了群秘的问题：{labels}")


def _fill_slot(plain: str, q: OpenQuestion, ctx: ChatContext) -> Resolution | None:
    """ "什么时候开？" → "明天下午3点": the time the call was missing, and nothing else."""
    if q.slot != "start":
        return None
    times, _ = find_times(plain, ctx.now)
    if len(times) != 1 or _leftover(plain, [(times[0].start, times[0].end)]):
        return None
    start, end = meeting_slot(times[0])
    if start is None:
        return None
    args = {**q.args, "start": start.isoformat()}
    if end is not None:
        args["end"] = end.isoformat()
    return Resolution([ToolCall(q.tool, args)], "answer", "补上了会议时间")


def _leftover(text: str, spans: Sequence[tuple[int, int]]) -> str:
    """What is left of ``text`` besides ``spans`` and filler words."""
    left = list(text)
    for a, b in spans:
        for k in range(max(a, 0), min(b, len(left))):
            left[k] = " "
    return _FILLER.sub("", "".join(left))


def _merged(q: OpenQuestion, value: Any, changes: Sequence[ToolCall]) -> list[ToolCall]:
    """The asked call with the chosen record filled in; an answer that says its own change
    ("两个都延期到下周五") makes that change instead of the one asked about."""
    if changes:
        return [ToolCall(c.tool, {**c.args, q.slot: value}) for c in changes]
    args = dict(q.args)
    args[q.slot] = _fill(args.get(q.slot), q.written, value)
    return [ToolCall(q.tool, args)]


def _fill(current: Any, written: str, value: Any) -> Any:
    """The slot with the chosen value: a list keeps its other people."""
    if not isinstance(current, list):
        return value
    if written in [str(x) for x in current]:
        return [value if str(x) == written else x for x in current]
    return [*current, value]


# -- corrections -----------------------------------------------------------------------------

_CORRECT = re.compile(
    r"^(?:不对|不是|错了|说错了|搞错了|写错了|弄错了|记错了|更正(?:一下)?|纠正(?:一下)?|哦不|噢不|我是说|应该是)"
    r"[\s,，。:：!！~、]*(?:不对)?[\s,，]*(?:应该|其实)?(?:是|改成|改为|换成|为)?"
    r"|^(?:no|nope|sorry|oops|actually|correction|wait)\b[\s,，.!:]*"
    r"(?:i\s+meant?|it'?s|it\s+is|make\s+it|should\s+be)?\s*"
    r"|^i\s+meant?\b\s*",
    re.IGNORECASE,
)
_TITLE_CUE = re.compile(
    r"^(?:标题|名字|题目|主题|名称|会议名|任务名)(?:应该)?(?:是|叫|改成|改为|为)?(.+)$|^叫(.+)$"
)
_FILLER = re.compile(
    r"(?i)"
    r"才对|截止|之前|以前|负责人|负责|地点|时间|由|来做|改成|改到|改为|换成|不是"
    r"|[是在的吧啊呢哈哦前开来做给到就那\s,，。!！~、:：.]"
    r"|\b(?:at|on|the|to|by|please|instead)\b"
)
_DAY_WORD = re.compile(
    r"[今明昨前后]天|[今明]早|[今明]晚|[今明]儿|周|星期|礼拜|号|[日月年]|天后|today|tomorrow|tonight"
    r"|mon|tue|wed|thu|fri|sat|sun",
    re.IGNORECASE,
)


def _correction(plain: str, state: DialogueState, ctx: ChatContext) -> Resolution | None:
    m = _CORRECT.match(plain)
    if m is None:
        return None
    target = next((r for r in state.recent if r.created and r.by == ctx.sender), None)
    if target is None:
        return None
    rest = plain[m.end() :].strip(_TRIM)
    if not rest:
        return None
    titled = _TITLE_CUE.match(rest)
    if titled is not None:
        title = (titled[1] or titled[2] or "").strip(_TRIM)
        if not 1 <= len(title) <= 60:
            return None
        tool, slot, what = (
            ("update_meeting", "meeting", "会议")
            if target.kind == "meeting"
            else ("update_task", "task", "任务")
        )
        call = ToolCall(tool, {slot: target.id, "title": title})
        return Resolution([call], "correction", f"更正了刚才的{what} #{target.id} 的标题")
    times, _ = find_times(rest, ctx.now)
    roster = Roster(ctx.members, ctx.sender)
    people = [p for p in roster.find(rest) if p.known]
    place = location(rest) if target.kind == "meeting" else None
    spans = [(t.start, t.end) for t in times] + [(p.start, p.end) for p in people]
    if place is not None:
        spans.append(place[1])
    if not spans or _leftover(rest, spans):
        return None  # more than a corrected value: a new message, read on its own
    # "不对，不是周四，是周五": the value said last is the right one.
    if "不是" in rest:
        people = people[-1:]
    calls = _corrections(target, times[-1] if times else None, people, place, ctx)
    if not calls:
        return None
    what = "任务" if target.kind == "task" else "会议"
    return Resolution(calls, "correction", f"更正了刚才创建的{what} #{target.id}")


def _corrections(
    target: TouchedRecord,
    when: Any,
    people: Sequence[Any],
    place: tuple[str, tuple[int, int]] | None,
    ctx: ChatContext,
) -> list[ToolCall]:
    names = [p.name for p in people if p.name != ctx.sender] or [p.name for p in people]
    if target.kind == "task":
        args: dict[str, Any] = {"task": target.id}
        if when is not None:
            due = _new_due(when, target.fields.get("due"), ctx)
            if due is not None:
                args["due"] = due.isoformat()
        if names:
            args["assignee"] = names[-1]
        return [ToolCall("update_task", args)] if len(args) > 1 else []
    calls: list[ToolCall] = []
    if when is not None:
        start = _new_start(when, target.fields.get("start"), ctx)
        if start is not None:
            calls.append(
                ToolCall("reschedule_meeting", {"meeting": target.id, "start": start.isoformat()})
            )
    change: dict[str, Any] = {"meeting": target.id}
    if place is not None:
        change["location"] = place[0]
    if names:
        change["add_attendees"] = names
        before = [n for n in target.fields.get("attendees") or [] if n != target.by]
        if len(before) == 1 and before[0] not in names:
            change["remove_attendees"] = before  # the one person named before is replaced
    if len(change) > 1:
        calls.append(ToolCall("update_meeting", change))
    return calls


def _old(value: Any, ctx: ChatContext) -> datetime | None:
    if not isinstance(value, str):
        return None
    try:
        parsed = datetime.fromisoformat(value)
    except ValueError:
        return None
    return parsed.astimezone(ctx.now.tzinfo) if ctx.now.tzinfo is not None else parsed


def _combine(new: datetime, old: datetime | None, said_day: bool, said_clock: bool) -> datetime:
    """A correction keeps what it does not name: only a day keeps the old clock time, only a
    clock time keeps the old day."""
    if old is None:
        return new
    if said_day and not said_clock:
        return new.replace(hour=old.hour, minute=old.minute, second=0, microsecond=0)
    if said_clock and not said_day:
        return old.replace(hour=new.hour, minute=new.minute, second=0, microsecond=0)
    return new


def _new_due(when: Any, old_due: Any, ctx: ChatContext) -> datetime | None:
    due = due_instant(when, workday_end_hour=ctx.workday_end_hour)
    if due is None:
        return None
    said_day = _DAY_WORD.search(when.text) is not None
    said_clock = bool(when.has_clock or when.part_of_day)
    return _combine(due, _old(old_due, ctx), said_day, said_clock)


def _new_start(when: Any, old_start: Any, ctx: ChatContext) -> datetime | None:
    start, _ = meeting_slot(when)
    if start is None:
        return None
    said_day = _DAY_WORD.search(when.text) is not None
    said_clock = bool(when.has_clock or when.part_of_day)
    return _combine(start, _old(old_start, ctx), said_day, said_clock)


# -- references ------------------------------------------------------------------------------

_DEICTIC = re.compile(
    r"(?:刚才|刚刚|方才|上面|前面)(?:那个|这个|那场|那条|那件|说的|建的|创建的|安排的|定的|约的|的)?"
    r"(?P<n1>会议|会|任务|事情|事儿|事|活儿?)?"
    r"|(?:这|那)(?:个|场|次|条|件)(?P<n2>会议|会|任务|事情|事儿|事|活儿?)"
    r"|(?:这|那)(?:件)?事(?:儿|情)?"
    r"|(?<![其])它"
    r"|(?:这|那)个(?=[改挪延推提转交取搞完做换调加也先不的])"
)
_ADD_PEOPLE = re.compile(
    r"^(?:再|还|也)?(?:加上|叫上|拉上|带上|加)(?P<a>.{1,30}?)(?:一起|也参加|也来)?$"
    r"|^(?:把)?(?P<b>.{1,30}?)也(?:叫上|拉上|加上|参加|来|一起)(?:吧)?$"
    # "add Kevin to it", "also invite Kevin and 老李", "loop in Kevin too".
    r"|(?i:^(?:please\s+|pls\s+|also\s+|and\s+)*(?:add|invite|include|loop\s+in|bring\s+in|cc)\s+"
    r"(?P<c>.{1,30}?)(?:\s+(?:to|in|on|into)\s+(?:it|that|this|the\s+meeting|the\s+task)"
    r"(?:\s+(?:one|meeting|sync|call|task))?)?(?:\s+(?:too|as\s+well|please))?$)"
)
# English references: "it", "that one", "that meeting", "this task" (not "that's", "its").
_DEICTIC_EN = re.compile(
    r"(?<![A-Za-z'])(?:(?:that|this)\s+(?:(?P<n3>meeting|sync|call|task|todo)|one)|it|that|this)"
    r"(?![A-Za-z'])",
    re.IGNORECASE,
)
_CJK = re.compile(r"[\u4e00-\u9fff]")
# An English sentence with a reference that asks, denies, plans or suggests makes no change.
_EN_NOT_A_CHANGE = re.compile(
    r"(?i)[?？]|^(?:did|does|do|is|are|was|were|has|have|will|when|what|why|how|who|where|which|should|shall)\b"
    r"|(?<![A-Za-z])(?:not|never|no\s+need|don'?t|doesn'?t|didn'?t|won'?t|isn'?t|aren'?t|wasn'?t|hasn'?t|haven'?t"
    r"|can'?t|cannot|shouldn'?t|i'?ll|we'?ll|will|going\s+to|gonna|should|might|maybe|if|unless|let'?s\s+not)(?![A-Za-z])"
)
# ... unless it is a request: "can you move it to Friday?", "could you cancel it".
_EN_REQUEST = re.compile(
    r"(?i)^(?:please\s+|pls\s+)?(?:can|could|would)\s+you\b(?!.*\b(?:not|n't)\b)"
)
_CONTRACTED = re.compile(r"(?<![A-Za-z])(it|that|this)'s(?![A-Za-z])", re.IGNORECASE)
# Changes to a task the English readers say of meetings or in the lexicon, read here for a
# task named by a reference: "move it to Friday", "make it urgent", "cancel it", "give it to 老李".
_EN_MOVE = re.compile(
    r"(?<![A-Za-z])(?:push|move|reschedule|shift|bump|change|delay|postpone)\b", re.I
)
_EN_PRIORITY_CUE = re.compile(r"(?<![A-Za-z])(?:make|mark|set|flag|is|as|priority|bump)\b", re.I)
_EN_CANCEL = re.compile(r"(?<![A-Za-z])(?:cancel|drop|scrap|call off)\b", re.I)
_EN_HANDOVER = re.compile(
    r"(?<![A-Za-z])(?:reassign|assign|give|hand(?:\s+over)?|pass|transfer)\b.*?\bto\s+(?P<who>.+)$",
    re.I,
)


def _kind_of(noun: str | None) -> str | None:
    if not noun:
        return None
    return "meeting" if noun.startswith("会") else "task"


def _reference(
    plain: str, state: DialogueState, ctx: ChatContext, read: Reader
) -> Resolution | None:
    if not state.recent:
        return None
    added = _add_people(plain, state.recent[0], ctx)
    if added is not None:
        return added
    english = _is_english(plain, ctx)
    if english and _EN_NOT_A_CHANGE.search(plain) and not _EN_REQUEST.match(plain):
        return None  # "don't cancel it", "is it done?", "we should move it": nothing to do yet
    if english:
        plain = _CONTRACTED.sub(lambda c: c[1] + " is", plain)  # "it's blocked" → "it is blocked"
    m = (_DEICTIC_EN if english else _DEICTIC).search(plain)
    if m is None:
        return None
    noun = m.groupdict().get("n3") if english else m["n1"] or m["n2"]
    kind = ("task" if noun.lower() in ("task", "todo") else "meeting") if english and noun else None
    kind = kind if english else _kind_of(noun)
    target = next((r for r in state.recent if kind is None or r.kind == kind), None)
    if target is None:
        return None
    # The stand-in is a name the readers know in the message's language.
    if english:
        stand_in = f"task {target.id}" if target.kind == "task" else "the meeting"
    else:
        stand_in = f"任务{target.id}" if target.kind == "task" else "会"
    rewritten = plain[: m.start()] + stand_in + plain[m.end() :]
    tools, slot = FAMILY[target.kind]
    found = read(rewritten, ctx)
    mine = [c for c in found if c.tool in tools]
    if not mine and english and target.kind == "task":
        found = mine = _english_task_change(rewritten, m.start() + len(stand_in), target, ctx)
    if not mine:
        return None
    times, _ = find_times(plain[: m.start()] + " " + plain[m.end() :], ctx.now)
    said_day = any(_DAY_WORD.search(t.text) for t in times)
    said_clock = any(t.has_clock or t.part_of_day for t in times)
    calls = []
    for call in found:
        if call.tool not in tools:
            calls.append(call)
            continue
        args = {**call.args, slot: target.id}
        if said_day != said_clock:
            _keep_unsaid(args, target, ctx, said_day=said_day)
        calls.append(ToolCall(call.tool, args))
    what = "任务" if target.kind == "task" else "会议"
    return Resolution(
        calls, "reference", f"“{m.group(0)}”指刚才的{what} #{target.id}「{target.title}」"
    )


def _keep_unsaid(
    args: dict[str, Any], target: TouchedRecord, ctx: ChatContext, *, said_day: bool
) -> None:
    """A move that names only a time of day ("挪到下午", "改到3点") keeps the record's day; one
    that names only a day ("改到周五") keeps its clock time."""
    name = "start" if "start" in args else "due" if "due" in args else None
    if name is None:
        return
    old = _old(target.fields.get(name), ctx)
    new = _old(args.get(name), ctx)
    if old is None or new is None:
        return
    moved = _combine(new, old, said_day, not said_day)
    args[name] = moved.isoformat()
    end = _old(args.get("end"), ctx)
    if name == "start" and end is not None:
        args["end"] = (moved + (end - new)).isoformat()


def _add_people(plain: str, target: TouchedRecord, ctx: ChatContext) -> Resolution | None:
    """ "再加上小李" / "把小李也叫上": more people on the record just touched."""
    m = _ADD_PEOPLE.match(plain.strip(_TRIM))
    if m is None:
        return None
    who = m["a"] or m["b"] or m["c"] or ""
    roster = Roster(ctx.members, ctx.sender)
    people = [p for p in roster.find(who) if p.known]
    leftover = who
    for p in sorted(people, key=lambda p: -p.start):
        leftover = leftover[: p.start] + leftover[p.end :]
    if not people or re.sub(r"(?i)[@、,，和跟与及\s还有也&]|\band\b", "", leftover):
        return None
    names = list(dict.fromkeys(p.name for p in people))
    if target.kind == "meeting":
        call = ToolCall("update_meeting", {"meeting": target.id, "add_attendees": names})
        return Resolution([call], "reference", f"给刚才的会议 #{target.id} 加上了参会人")
    title = target.title
    calls = []
    for name in names:
        args: dict[str, Any] = {"title": title, "assignee": name}
        if target.fields.get("due"):
            args["due"] = target.fields["due"]
        calls.append(ToolCall("create_task", args))
    return Resolution(calls, "reference", f"照刚才的任务 #{target.id} 给新加的人各建一个任务")


def _is_english(text: str, ctx: ChatContext) -> bool:
    """English words, and no Chinese besides the names of people ("give it to 老李")."""
    if re.search(r"[A-Za-z]{2,}", text) is None:
        return False
    left = list(text)
    for p in Roster(ctx.members, ctx.sender).find(text):
        left[p.start : p.end] = " " * (p.end - p.start)
    return _CJK.search("".join(left)) is None


def _english_task_change(
    text: str, after: int, target: TouchedRecord, ctx: ChatContext
) -> list[ToolCall]:
    """English changes of a task named by a reference that the readers know only of meetings
    or only in Chinese, with the same words: a move to a time (the verbs of English meeting
    moves), a priority (the lexicon's priority words), a cancellation, a handover."""
    args: dict[str, Any] = {"task": target.id}
    times, recurring = find_times(text, ctx.now)
    if _EN_MOVE.search(text) and times and not recurring:
        due = due_instant(times[-1], workday_end_hour=ctx.workday_end_hour)
        if due is not None:
            args["due"] = due.isoformat()
        return [ToolCall("update_task", args)] if len(args) > 1 else []
    handover = _EN_HANDOVER.search(text)
    if handover is not None:
        roster = Roster(ctx.members, ctx.sender)
        who = handover["who"].strip(_TRIM)
        people = [p for p in roster.find(who) if p.known]
        if len(people) == 1 and not _leftover(who, [(people[0].start, people[0].end)]):
            return [ToolCall("update_task", {**args, "assignee": people[0].name})]
        return []
    if _EN_PRIORITY_CUE.search(text):
        for pattern, level in lx.PRIORITY:
            if pattern.search(text[after:]):
                return [ToolCall("update_task", {**args, "priority": level})]
    if _EN_CANCEL.search(text[:after]) and len(text[after:].strip(_TRIM)) <= 12:
        return [ToolCall("update_task", {**args, "status": "cancelled"})]
    return []
