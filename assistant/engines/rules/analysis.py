"""What every reader shares: the message with its people, times and durations, the reading of
one clause, and helpers that look at a clause with its times or people blanked."""

from __future__ import annotations

import re
from dataclasses import dataclass, field
from datetime import datetime
from typing import TYPE_CHECKING, Any

from assistant.domain import ChatContext
from assistant.engines.rules import lexicon as lx
from assistant.engines.rules.clauses import Clause
from assistant.engines.rules.lexicon import MEETING_CREATE, MEETING_NOUN
from assistant.engines.rules.people import Mention, Roster
from assistant.engines.rules.slots import (
    task_words,
)
from assistant.engines.rules.timeslots import (
    due_instant,
    find_durations,
    find_times,
)

if TYPE_CHECKING:
    from assistant.timeparse.types import DurationMatch, TimeMatch

__all__ = [
    "AT_START",
    "DEADLINE_AFTER",
    "Message",
    "NAMES_DAY",
    "Reading",
    "reason_for_reassignment",
    "before_without_times",
    "blank_people",
    "blank_times",
    "clause_people",
    "clause_topic",
    "holiday_names_work",
    "is_deadline",
    "span_minutes",
    "stated_reason",
    "task_due",
    "vocative_of",
    "without_day_times",
    "without_people",
]


@dataclass(slots=True)
class Reading:
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
    verb: str = ""  # the bare verb of a task whose object is said elsewhere ("@A 看一下")


@dataclass(slots=True)
class Message:
    """The repaired message with what is found once for all clauses."""

    text: str
    context: ChatContext
    roster: Roster
    durations: list[DurationMatch]
    recurring: list[TimeMatch] = field(default_factory=list)
    addressed: bool = False  # Qunmi was called by name
    quoted: str = ""  # the message a reply quotes, as context

    def recurring_in(self, clause: Clause) -> bool:
        return any(clause.start <= t.start < clause.end for t in self.recurring)


DEADLINE_AFTER = re.compile(r"^\s*(?:之前|以前|前|截止|为止|之内|以内|内|交|给|完成)")


AT_START = re.compile(r"^(?:@\S+\s*)+")


NAMES_DAY = re.compile(r"今|明|后天|昨|前天|周|星期|礼拜|号|日|月|天|年")


def without_day_times(clause: Clause, *, people: bool = False) -> str:
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
        if holiday_names_work(t, clause):
            continue  # "讨论春节排班": the holiday names the topic
        if t.has_clock or t.grain in ("day", "hour", "minute", "second"):
            for i in range(t.start - clause.start, min(t.end - clause.start, len(chars))):
                chars[i] = " "
    return "".join(chars)


def before_without_times(clause: Clause, cut: int) -> str:
    chars = list(clause.text[:cut])
    for t in clause.times:
        for i in range(t.start - clause.start, min(t.end - clause.start, len(chars))):
            chars[i] = " "
    return "".join(chars)


def stated_reason(text: str) -> str | None:
    m = re.search(r"(?:因为|由于|原因是|原因:|原因：|因)(?P<r>[^。!！?？]+)", text)
    if m is None:
        return None
    reason = re.sub(r"(?:所以|因此).*$", "", m.group("r")).strip(" ,，")
    reason = reason.rstrip("了的吧啊")
    return reason or None


_MINUTES_WORDS = {
    "半小时": 30,
    "半个小时": 30,
    "一刻钟": 15,
    "一小时": 60,
    "一个小时": 60,
    "一天": 1440,
    "一晚": 1440,
}


def span_minutes(span: str) -> int | None:
    span = span.strip()
    if span in _MINUTES_WORDS:
        return _MINUTES_WORDS[span]
    found = find_durations(span)
    if found:
        minutes = int(round(found[0].seconds / 60))
        return minutes if 0 <= minutes <= 7 * 24 * 60 else None
    return None


def is_deadline(t: TimeMatch, clause: Clause) -> bool:
    if t.deadline:
        return True
    return DEADLINE_AFTER.match(clause.text[t.end - clause.start :]) is not None


def clause_people(clause: Clause, msg: Message) -> list[str]:
    return list(dict.fromkeys(m.name for m in clause.mentions))


_HOLIDAY_IN_NOUN = re.compile(
    r"元旦|春节|过年|中秋|国庆|端午|清明|圣诞|圣诞节|元宵|元宵节|情人节|七夕|双十一|双11|双十二|双12|"
    r"劳动节|五一|十一|国庆节|中秋节|端午节|新年|跨年|年货节"
)
# What may follow a holiday that still dates the work: 前 / 后 / 当天 / 放假 / 期间…
_NOUN_AFTER_HOLIDAY = re.compile(
    r"(?!前|后|之前|之后|以前|以后|当天|那天|期间|放假|假期|节前|节后|回来|上班|开工|左右|附近|一过)"
    r"[\u4e00-\u9fffA-Za-z]"
)


def holiday_names_work(t: TimeMatch, clause: Clause) -> bool:
    """A holiday said inside a noun phrase of the work ("元旦巡楼", "二楼的元旦布置")."""
    if is_deadline(t, clause) or not _HOLIDAY_IN_NOUN.fullmatch(t.text):
        return False
    before = clause.text[: t.start - clause.start]
    after = clause.text[t.end - clause.start :]
    return before.endswith("的") or _NOUN_AFTER_HOLIDAY.match(after) is not None


def task_due(clause: Clause, msg: Message) -> datetime | None:
    ordered = sorted(clause.times, key=lambda t: (not is_deadline(t, clause), t.start))
    for t in ordered:
        if not is_deadline(t, clause) and clause.text[t.end - clause.start :].startswith("的"):
            # "周一的会议纪要": the time names the thing, not when it is due.
            continue
        if holiday_names_work(t, clause):
            continue  # "二楼的元旦布置", "元旦巡楼": the holiday names the work, it is no due
        due = due_instant(t, workday_end_hour=msg.context.workday_end_hour)
        if due is not None:
            return _with_day_said_before(due, t, msg)
    return None


def _with_day_said_before(due: datetime, t: TimeMatch, msg: Message) -> datetime:
    """ "明天上午检查组来 @A … 十点前要送到": a clock said with no day takes the day named
    earlier in the same request (not the day of a meeting the message schedules)."""
    if not t.has_clock or NAMES_DAY.search(t.text) or t.start <= 0:
        return due
    before = msg.text[: t.start]
    scheduled = MEETING_CREATE.search(before)
    if (
        (scheduled is not None and not scheduled.group(0).startswith(("来", "搞", "拉", "加")))
        or MEETING_NOUN.search(before)
    ) and not lx.MEETING_NOT_SCHEDULING.search(before):
        return due  # the day of a meeting the message schedules is not the work's
    earlier, _ = find_times(before, msg.context.now)
    for prior in reversed(earlier):
        if not NAMES_DAY.search(prior.text):
            continue
        anchor = prior.value if prior.value is not None else prior.from_
        if anchor is None or anchor.date() < msg.context.now.date():
            return due
        return due.replace(year=anchor.year, month=anchor.month, day=anchor.day)
    return due


def clause_topic(clause: Clause) -> str:
    removed = [(m.start - clause.start, m.end - clause.start) for m in clause.mentions]
    removed += [(t.start - clause.start, t.end - clause.start) for t in clause.times]
    words = task_words(clause.text, removed)
    words = re.sub(r"(?:比较|很|挺|特别|非常)?(?:急|紧急|重要)$", "", words)
    return words if 2 <= len(words) <= 20 else ""


def blank_times(clause: Clause) -> str:
    chars = list(clause.text)
    for t in clause.times:
        for i in range(t.start - clause.start, min(t.end - clause.start, len(chars))):
            chars[i] = " "
    return "".join(chars)


_VOCATIVE_END = re.compile(r"\s*[,，:：]|\s+(?!(?:和|跟|与|及|、))")


def vocative_of(clause: Clause) -> Mention | None:
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


def blank_people(clause: Clause) -> str:
    chars = list(clause.text)
    for m in clause.mentions:
        for i in range(m.start - clause.start, m.end - clause.start):
            if 0 <= i < len(chars):
                chars[i] = " "
    return "".join(chars)


def without_people(clause: Clause) -> str:
    chars = list(clause.text)
    for m in clause.mentions:
        for i in range(m.start - clause.start, min(m.end - clause.start, len(chars))):
            chars[i] = " "
    return "".join(chars).replace("@", " ")


def reason_for_reassignment(clause: Clause, msg: Message) -> bool:
    """The clause only says why work just handed over changes owner ("… 转给Y吧 Z这周要去培训")."""
    if any(m.at for m in clause.mentions) or not lx.OWNER_BUSY.search(clause.text):
        return False
    handed = lx.REASSIGN_THEN_REASON.search(msg.text)
    return (
        handed is not None
        and handed.end() <= clause.start
        and not msg.text[handed.end() : clause.start].strip(" ,，")
    )
