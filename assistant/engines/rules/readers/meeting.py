"""Reader for new meetings (create_meeting) and the details that follow them."""

from __future__ import annotations

import re
from datetime import datetime
from typing import TYPE_CHECKING, Any

from assistant.engines.rules import lexicon as lx
from assistant.engines.rules.analysis import (
    Message,
    Reading,
    before_without_times,
    is_deadline,
    reason_for_reassignment,
    span_minutes,
    without_day_times,
)
from assistant.engines.rules.clauses import Clause
from assistant.engines.rules.recurrence import find_recurrence
from assistant.engines.rules.slots import (
    agenda_items,
    location,
)
from assistant.engines.rules.timeslots import (
    find_times,
    meeting_slot,
)

if TYPE_CHECKING:
    pass

__all__ = ["meeting_details", "read_meeting", "read_recurring_meeting"]


_ANNOUNCED = re.compile(
    r"(?P<topic>[\u4e00-\u9fffA-Za-z0-9]{0,10}?)(?<![我你他她它也就还不都才能将要])(?P<noun>会议(?!室)|会(?!议)|sync|meeting|standup|评审|复盘|培训|分享)"
    r"[吧啊哈哦呀。!！~]*(?:[,，\s]|$)",
    re.IGNORECASE,
)


_ONLY_MEETING = re.compile(
    r"(?:在|于)?(?P<topic>[\u4e00-\u9fffA-Za-z0-9 ]{0,16}?)"
    r"(?P<noun>会议|会|sync|meeting|standup|stand-up|review|retro|demo|workshop|kick-?off|planning|1on1|1:1|"
    r"briefing|drill|huddle|training|call|catch-?up|check-?in|town ?hall|all-hands|rehearsal|session|"
    r"评审|复盘|培训)(?:在|于)?",
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
    blank = before_without_times(clause, len(clause.text))
    fixed = _FIXED_AT.search(blank)
    if fixed is not None and any(t.start - clause.start >= fixed.end() - 1 for t in clause.times):
        topic = re.sub(r"^(?:的|这次|这个|那个|下次|本次)+", "", fixed.group("topic").strip())
        return topic, fixed.group("noun"), (fixed.start(), fixed.end())
    last_time_end = max(t.end for t in clause.times) - clause.start
    if any(is_deadline(t, clause) for t in clause.times):
        return None
    m = _ANNOUNCED.search(clause.text, last_time_end)
    if m is None or clause.text[last_time_end : m.start()].strip(" 的在开有个"):
        # "okr review meeting 周四下午3点": only a meeting name besides the time.
        rest = before_without_times(clause, len(clause.text))
        for mention in clause.mentions:
            a, b = mention.start - clause.start, mention.end - clause.start
            rest = rest[:a] + " " * (b - a) + rest[b:]
        english_place = location(rest)
        if english_place is not None and english_place[0].isascii():
            # "at Gate B12": an English place with its preposition is no part of the name.
            a, b = english_place[1]
            prep = re.search(r"\b(?:at|in)\s+(?:the\s+)?$", rest[:a])
            a = prep.start() if prep is not None else a
            rest = rest[:a] + " " * (b - a) + rest[b:]
        # "sync with Kevin and Amy": who comes is no part of the meeting's name.
        rest = re.sub(r"\bwith\s+[A-Z][A-Za-z]*(?:\s*(?:,|and)\s*[A-Z][A-Za-z]*)*", " ", rest)
        rest = re.sub(r"\b(?:with|and|at|on)\b(?=[\s,，]*$|\s+(?:and\b|,|，|\s)*)", " ", rest)
        rest = re.sub(r"(?:\s(?:with|and|at|on))+\s*$", " ", rest)
        place = location(rest)
        if place is not None:
            rest = rest[: place[1][0]] + rest[place[1][1] :]
        # "…at Gate B12, all ground staff": the place's preposition and who comes are no name.
        rest = re.sub(
            r"[,，]?\s*\b(?:all(?: [a-z]+)? staff|everyone|everybody|all hands|whole team)\b",
            " ",
            rest,
            flags=re.IGNORECASE,
        )
        rest = re.sub(r"\s(?:at|in)(?:\s+the)?\s*$", " ", rest.rstrip(" ,，"))
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


# "今晚八点在排练厅复盘一下这次巡展": a review said as a verb, titled "<X>复盘" (round 4).
_HELD_REVIEW = re.compile(
    r"复盘(?:一下|下)?\s*(?:的|这次|那次|本次|上次|这一次|一下|上周|这周|本周|上个月|昨天|今天|前几天)*\s*(?:的\s*)?"
    r"(?P<obj>[\u4e00-\u9fffA-Za-z0-9]{2,12})"
)
# "下午两点到四点在报告厅搞一次消防培训": an event organised, named by its noun.
_HELD_ORGANISED = re.compile(
    r"(?:搞|办|组织|举办|举行|安排|开展)(?:一次|一场|一个|个|次|场)"
    r"(?P<topic>[\u4e00-\u9fffA-Za-z0-9]{0,8}?)"
    r"(?P<noun>培训|演练|演习|讲座|分享会|分享|复盘会?|评审会?|彩排|路演|团建|宣讲会?|沙龙|考核|座谈会?|茶话会|交流会)"
)


def _organised_event(clause: Clause, blank: str) -> tuple[str, list[str]] | None:
    """ "搞一次消防培训" → ("消防培训", []); "复盘一下这次巡展" → ("巡展复盘", ["巡展"]).
    Not when the clause opens by calling someone (then it is their task)."""
    if any(m.at and m.start == clause.start for m in clause.mentions):
        return None
    organised = _HELD_ORGANISED.search(blank)
    if organised is not None:
        return f"{organised.group('topic')}{organised.group('noun')}", []
    review = _HELD_REVIEW.search(blank)
    if review is not None:
        obj = re.sub(r"(?:的|了)$", "", review.group("obj"))
        return f"{obj}复盘", [obj]
    return None


def _held_event(clause: Clause) -> tuple[str, list[str]] | None:
    """(title, agenda) of an event named by its activity, when a time of day is given."""
    timed = [
        t for t in clause.times if not is_deadline(t, clause) and (t.has_clock or t.part_of_day)
    ]
    if not timed:
        return None
    blank = without_day_times(clause, people=True)
    organised = _organised_event(clause, blank)
    if organised is not None:
        return organised
    m = _HELD_INTERVIEW.search(blank)
    if m is not None:
        obj = re.sub(r"^(?:的|了)+", "", m.group("obj"))
        return f"{m.group('verb')}{obj}", []
    w = _HELD_WITH.search(blank)
    if w is not None and lx.ACTION_VERB.search(w.group("who")) is None:
        obj = w.group("obj")
        return f"{obj}讨论", [obj]
    return None


def read_meeting(clause: Clause, msg: Message, question: bool) -> Reading | None:
    text = clause.text
    create = lx.MEETING_CREATE.search(text)
    soft = None if create else lx.MEETING_SOFT.search(text)
    announced = None
    held: tuple[str, list[str]] | None = None
    if (
        create is None
        and soft is None
        and any((t.has_clock or t.part_of_day) and not is_deadline(t, clause) for t in clause.times)
    ):
        held = _organised_event(clause, without_day_times(clause, people=True))
    if create is None and soft is None and held is None:
        announced = _announced_meeting(clause) or _platform_meeting(clause)
        if announced is None:
            held = _held_event(clause)
            if held is None:
                return None
    if lx.MEETING_NOT_SCHEDULING.search(text) or (question and not re.search(r"[吧]", text[-3:])):
        return None
    handed = lx.REASSIGN_THEN_REASON.search(text)
    if (
        handed is not None and lx.OWNER_BUSY.search(text[handed.end() :])
    ) or reason_for_reassignment(clause, msg):
        return None  # "… 转给小军吧 她这周要去培训": the training is why the work moves
    if lx.HYPOTHETICAL.search(text) or re.search(r"不(?:用|需要|必)开", text):
        return None
    if lx.CANCEL_MEETING.search(text) or (lx.OPINION.search(text) and not clause.times):
        return None
    if re.search(r"开不了|开不成|不开|没开|开完|开过|参加不了|去不了", text):
        return None
    if (
        re.search(r"去(?:开|参加|参会)", text)
        and (
            lx.LEAVE.search(text)
            or re.search(r"(?:要|得|会|都|也)?去(?:开|参加|参会)[^,，。]{0,8}?会", text)
        )
        or re.search(r"去[\u4e00-\u9fffA-Za-z]{1,8}?(?:开会|参会|开个会)", text)
    ):
        # "我下午请假去开家长会": the sender goes to a meeting elsewhere; a leave notice.
        return None
    if lx.LEAVE_STRONG.search(msg.text) and not any(m.at for m in clause.mentions):
        return None  # "我下周一请假，孩子学校开家长会": a leave notice and its reason
    if msg.recurring_in(clause):
        return Reading(
            kind="none", confidence=0.3, notes=["周期性会议：不当作一次性会议"], clause=clause
        )
    future = [t for t in clause.times if (t.value or t.from_ or msg.context.now) >= msg.context.now]
    if not future and (lx.PAST_MARKER.search(text) or re.search(r"开会(?:说|讲|提|定)的", text)):
        return None
    non_deadline = [t for t in clause.times if not is_deadline(t, clause)]
    if soft is not None and (not non_deadline or len(non_deadline) < len(clause.times)):
        return None  # "跟甲方对一下图纸 三点前要发给设计院": work with a deadline, a task
    if clause.times and not non_deadline:
        # "周五前约客户开个会": a task about a meeting.
        return None
    if create is not None and create.group(0).startswith("加") and "会" not in create.group(0)[:3]:
        return None
    confident = create is not None or (
        (announced is not None or held is not None) and any(t.has_clock for t in non_deadline)
    )
    reading = Reading(kind="meeting", clause=clause, confidence=0.85 if confident else 0.65)
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
    # "开个半小时的电话会": how long it lasts is no part of its name.
    topic = _DURATION_WORDS.sub("", topic).strip()
    noun = create.group("noun") if create is not None else ""
    skip = (create.start(), create.end()) if create is not None else (0, 0)
    if announced is not None:
        topic, noun, skip = announced
    # Agenda words never include the times nor the people called.
    words = without_day_times(clause, people=True)
    cut = _attendee_tail(clause)
    if cut is not None:
        words = words[:cut] + " " * (len(words) - cut)  # "… 老邱 磊子也来": who comes
    title, agenda = held if held is not None else _meeting_topic(words, topic, noun, skip)
    args["title"] = _named_by_kind(text, clause, title, agenda)
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
    meeting_details(args, clause, msg)
    way = _WAY_OF_MEETING.search(text)
    if way is not None and "location" not in args:
        args["location"] = _WAY_LOCATION[way.group("way")]  # "电话会" is held by phone
    return reading


_COMING = re.compile(
    r"[\s@、,，和跟与]*(?:(?:也|都|一起|一块儿?)?(?:要)?(?:来|参加|参会|过来|出席|列席|旁听)(?:一下)?"
    r"|(?:也|都)?(?:一起|一块儿?))[吧哈啊。!！~\s]*"
)


def _attendee_tail(clause: Clause) -> int | None:
    """Where a closing run of names that come to the meeting starts ("老邱 磊子也来")."""
    for m in sorted(clause.mentions, key=lambda x: x.start):
        a = m.start - clause.start
        rest = list(clause.text[a:])
        for other in clause.mentions:
            for i in range(max(other.start - m.start, 0), min(other.end - m.start, len(rest))):
                rest[i] = " "
        if _COMING.fullmatch("".join(rest)):
            return a
    return None


_DURATION_WORDS = re.compile(
    r"^(?:[0-9一二两三四五六七八九十.]*个?半?个?(?:小时|分钟|钟头)|半天|个半小时)的?"
)
_WAY_OF_MEETING = re.compile(r"(?P<way>电话|视频|线上)(?:会议?|会)")
_WAY_LOCATION = {"电话": "电话", "视频": "线上", "线上": "线上"}
_WITH_PARTY = re.compile(
    r"(?:和|跟|与)(?P<who>[\u4e00-\u9fffA-Za-z0-9]{2,8}?)(?:一起)?(?:开|约)(?:个|一个|一下|一次|次)?"
    r"(?:电话|视频|线上|线下|远程)?(?:会议|会)"
)
_REVIEW_CUE = re.compile(r"开(?:个)?会复盘|复盘(?:一下|下)")


def _named_by_kind(text: str, clause: Clause, title: str, agenda: list[str]) -> str:
    """A generic title gives way to what names the meeting: "和物流公司开个会" → "物流公司会议",
    "开会复盘一下X" → "X复盘"."""
    if not (title == "会议" or title.endswith("讨论")):
        return title
    if agenda and _REVIEW_CUE.search(text):
        return f"{agenda[0]}复盘"
    party = _WITH_PARTY.search(text)
    if party is not None:
        a, b = clause.start + party.start("who"), clause.start + party.end("who")
        people = any(m.start < b and a < m.end for m in clause.mentions)
        who = party.group("who")
        if not people and not re.match(r"(?:大家|我们|你们|他们|咱们|各位|全员)", who):
            return f"{who}会议"
    return title


def _platform_meeting(clause: Clause) -> tuple[str, str, tuple[int, int]] | None:
    """ "周五下午3点线上 腾讯会议 讨论年会方案": a clock time, a meeting platform and a topic to
    discuss make a meeting even without 开会."""
    if not any(t.has_clock and not is_deadline(t, clause) for t in clause.times):
        return None
    platform = lx.LOCATION_NAMED.search(clause.text)
    if platform is None or lx.AGENDA_CUE.search(clause.text, platform.end()) is None:
        return None
    return "", "会议", (platform.start(), platform.end())


# Topic words that name a kind of meeting rather than what it is about.
_MEETING_KIND = re.compile(
    r"(?:周例|双周|周|例|晨|早|站|夕|月|年|季度|碰头|复盘|评审|讨论|启动|总结|动员|分享|培训|部门|全员|大|"
    r"站立|立项|验收|对齐|规划|务虚|述职|电话|视频|线上|进度|沟通|协调|汇报|短|小|紧急|临时)$"
)


_EN_TITLE = re.compile(
    r"^\s*(?P<t>[A-Za-z][A-Za-z0-9\-]*(?:\s+[A-Za-z0-9\-]+){0,4}?)\s*"
    r"(?=\s(?:w/|@|(?:with|every|each|on|at|this|next|today|tomorrow|from)\b)|[,，:：]|$)",
    re.IGNORECASE,
)
_EN_NOT_TITLE = re.compile(r"^(?:let'?s|we|i|please|pls|can|could|set up|schedule|every)\b", re.I)


def english_title(text: str) -> str | None:
    """ "Design sync w/ HK every Thu 10am" → "Design sync": an English noun phrase that opens
    the message names the meeting."""
    m = _EN_TITLE.match(text)
    if m is None or _EN_NOT_TITLE.match(m.group("t")):
        return None
    return m.group("t").strip()


def _meeting_topic(
    text: str, topic: str, noun: str, skip: tuple[int, int] = (0, 0)
) -> tuple[str, list[str]]:
    """(title, agenda): "开个评审会讨论A和B" → ("评审会", ["A", "B"])."""
    agenda = agenda_items(text, skip)
    topic = re.sub(r"^(?:个|一个|一下|一次|次|场|一场|下|了个|关于)+", "", topic)
    topic = re.sub(r"(?:的|之)$", "", topic).strip()
    generic_noun = noun.lower() in ("会", "会议", "sync", "meeting", "")
    if noun.isascii() and topic.isascii() and (not generic_noun or re.search(r"[A-Za-z]", topic)):
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


def meeting_details(args: dict[str, Any], clause: Clause, msg: Message) -> None:
    """Place, attendees, duration and reminder from one clause (the meeting's or a follower)."""
    text = clause.text
    place = location(before_without_times(clause, len(text)))
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
        minutes = span_minutes(remind.group("span"))
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
            if msg.text[d.start : d.end].startswith("个半") and re.search(
                r"(?:开|来|约|搞|整|弄)$", head
            ):
                # "开个半小时的电话会": 个 belongs to 开个, the meeting lasts half of the unit.
                minutes = int(round((d.seconds - _UNIT_SECONDS.get(msg.text[d.end - 1], 0)) / 60))
            if 1 <= minutes <= 24 * 60:
                args["duration_minutes"] = minutes
                break


_UNIT_SECONDS = {"时": 3600, "钟": 3600, "天": 86400}


# --------------------------------------------------------------------------- recurring meetings

_RECURRING_NOUN = re.compile(
    r"(?P<topic>[\u4e00-\u9fffA-Za-z0-9]{0,8}?)(?P<noun>例会|周会|站会|晨会|早会|夕会|日会|月会|双周会|月度会|"
    r"会议|会|复盘|分享|培训|评审|sync|standup|stand-up|meeting|review|retro|1on1|1:1|one-on-one)",
    re.IGNORECASE,
)


_SERIES_NOUNS = frozenset("例会 周会 站会 晨会 早会 夕会 日会 月会 双周会 月度会".split())


def read_recurring_meeting(clause: Clause, msg: Message, question: bool) -> Reading | None:
    """ "每周一上午10点例会" → a meeting with ``recurrence`` and its first occurrence."""
    text = clause.text
    if question or lx.CANCEL_MEETING.search(text) or lx.RESCHEDULE.search(text):
        return None
    if lx.HYPOTHETICAL.search(text) or lx.OPINION.search(text):
        return None
    if re.search(r"改成|改为|换成|调整为", text) or re.search(
        r"(?:会|例会|周会|站会|晨会|早会|复盘|培训|分享)(?:就|也|都)?(?:以后|今后|往后|从此)", text
    ):
        return None  # "例会以后每周二下午三点开": an existing meeting moved to a new slot
    if re.match(r"(?:以前|之前|过去|原来|曾经|那时候?|去年)", text) or re.search(
        r"后来|不弄了|不开了|没再", text
    ):
        # "以前每周一都会线上过一下库存，后来就不弄了": a habit of the past.
        return Reading(kind="chat", confidence=0.8, notes=["过去的习惯，不生成动作"], clause=clause)
    rec = find_recurrence(text, msg.context.now)
    if rec is None:
        return None
    blank = list(without_day_times(clause, people=True))
    spans = [rec.span] + [(t.start - clause.start, t.end - clause.start) for t in msg.recurring]
    marked = text[: rec.span[0]] + " " * (rec.span[1] - rec.span[0]) + text[rec.span[1] :]
    spans += [(t.start, t.end) for t in find_times(marked, msg.context.now)[0]]
    for a, b in spans:
        for i in range(max(a, 0), min(b, len(blank))):
            blank[i] = " "
    rest = re.sub(
        r"(?:从[^,，。]{1,10}?(?:开始|起)|(?:开到|到|持续到|一直到)[^,，。]{1,12}?为止|(?:一共|总共|共)\S{1,4}?(?:次|场|期|轮))",
        " ",
        "".join(blank),
    )
    # "…，腾讯会议，…": a platform is where it is held, never the meeting's name.
    rest = lx.LOCATION_NAMED.sub(lambda m: " " * len(m.group(0)), rest)
    create = lx.MEETING_CREATE.search(rest)
    soft = lx.MEETING_SOFT.search(rest)
    noun = _RECURRING_NOUN.search(rest)
    if create is None and soft is None and noun is None:
        return None
    if create is not None:
        topic, kind, skip = (
            create.group("topic"),
            create.group("noun"),
            (create.start(), create.end()),
        )
    elif noun is not None:
        topic = re.sub(
            r"^(?:的|开|有个|有|个|一个|一次|次|开个|都|要|开一次)+", "", noun.group("topic")
        )
        kind, skip = noun.group("noun"), (noun.start(), noun.end())
    else:
        topic, kind, skip = "", "", (0, 0)
    title, agenda = _meeting_topic(rest, topic.strip(), kind, skip)
    if kind in _SERIES_NOUNS:
        # "安全例会", "产品周会": a named series; its topic words are part of the name.
        title = f"{topic.strip()}{kind}"
        agenda = agenda_items(rest, skip)
    named = english_title(text)
    if named and (title == "会议" or (kind.isascii() and kind.lower() in named.lower())):
        title = named
    args: dict[str, Any] = {"title": title, "start": rec.first.isoformat(), "recurrence": rec.rule}
    if agenda:
        args["agenda"] = agenda
    meeting_details(args, clause, msg)
    return Reading(
        kind="meeting",
        calls=[{"tool": "create_meeting", "args": args}],
        confidence=0.8,
        clause=clause,
    )
