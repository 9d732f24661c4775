"""Reader for changes to a scheduled meeting or event: cancel_meeting and reschedule_meeting."""

from __future__ import annotations

import re
from datetime import timedelta
from typing import TYPE_CHECKING, Any

from assistant.engines.rules import lexicon as lx
from assistant.engines.rules.analysis import (
    NAMES_DAY,
    Message,
    Reading,
    before_without_times,
    span_minutes,
    stated_reason,
)
from assistant.engines.rules.clauses import Clause
from assistant.engines.rules.quantities import find_shift
from assistant.engines.rules.slots import (
    location,
    meeting_ref,
)
from assistant.engines.rules.timeslots import (
    keep_part_of_day,
    meeting_slot,
    stored_start,
)

if TYPE_CHECKING:
    pass

__all__ = ["names_scheduled_event", "read_meeting_change"]


def read_meeting_change(clause: Clause, msg: Message, question: bool) -> Reading | None:
    """cancel_meeting, reschedule_meeting (to a time or by a shift) and update_meeting."""
    text = clause.text
    if question:
        return None
    joining = _joining_after(clause, msg)
    if joining is not None:
        return joining
    if not names_scheduled_event(clause):
        if _PLACE_WORD_CUE.search(text):
            return _place_change(clause, msg)
        people = [m for m in clause.mentions if m.known or m.at]
        removed = _NOT_COMING.search(text)
        if people and removed is not None and len(text) - sum(m.end - m.start for m in people) <= 8:
            # "小王不用来了": said of a meeting under way of being planned.
            return Reading(
                kind="update_meeting",
                calls=[
                    {
                        "tool": "update_meeting",
                        "args": {"meeting": "会", "remove_attendees": [m.name for m in people]},
                    }
                ],
                confidence=0.6,
                clause=clause,
            )
        return None
    cancel = lx.CANCEL_MEETING.search(text)
    if cancel is not None and not re.search(r"不(?:要|用)?取消|没取消", text):
        head = before_without_times(clause, cancel.start())
        head = re.split(r"[,，]", head)[-1] if re.search(r"[,，]\s*\S", head) else head
        reason_text = text
        if not head.strip():
            # "取消明天的周会，老板出差": the meeting follows the cue.
            blank = before_without_times(clause, len(text))
            parts = re.split(r"[,，]", blank[cancel.end() :], maxsplit=1)
            head = parts[0]
            reason_text = "取消" + ("，" + parts[1] if len(parts) > 1 else "")
        series = re.search(r"以后|今后|往后|从此|再也", head) is not None
        ref = meeting_ref(re.sub(r"(?:以后|今后|往后|从此|再也)(?:就|都)?\s*$", "", head.rstrip()))
        if cancel.group(0)[:1].isascii():
            ref = _english_ref(text) or ref
        args: dict[str, Any] = {"meeting": ref}
        occurrence = None if series else _occurrence(clause, cancel.start(), ref)
        if occurrence is not None:
            args["occurrence"] = occurrence
        reason = stated_reason(text) or _cancel_reason(
            reason_text, lx.CANCEL_MEETING.search(reason_text) or cancel
        )
        if reason:
            args["reason"] = reason
        return Reading(
            kind="cancel",
            calls=[{"tool": "cancel_meeting", "args": args}],
            confidence=0.85,
            clause=clause,
        )
    shift = lx.RESCHEDULE.search(text)
    english = shift is not None and shift.group(0)[:1].isascii()
    relative = None if "提醒" in text else find_shift(text, msg.durations, clause.start)
    new_times = (
        [
            t
            for t in clause.times
            if t.start - clause.start >= (shift.end() - 5 if english else shift.start())
        ]
        if shift
        else []
    )
    if relative is not None and (
        not _SHIFT_TAIL.fullmatch(re.split(r"[,，。;；]", text[relative.end :], maxsplit=1)[0])
        or re.search(r"一般|通常|每次|总是|经常|老是|往往|太|浪费", text)
        or re.search(r"[,，]", text[: relative.start])
        and not lx.MEETING_NOUN.search(re.split(r"[,，]", text[: relative.start])[-1])
        or re.search(
            r"(?:我|你|他|她|我们|你们|他们)(?:可能|会|要|得|大概|估计)?\s*$",
            text[: relative.start],
        )
        or any(
            m.end - clause.start <= relative.start and (m.known or m.at) for m in clause.mentions
        )
        or lx.PAST_MARKER.search(text)
        or lx.HYPOTHETICAL.search(text)
        or lx.OPINION.search(text)
        or re.search(r"听说|据说|好像|是不是|要不|建议|能否|可否|行吗|可以吗", text)
        or re.search(r"才(?:开|开始|结束)", text)
        or re.search(r"(?:推迟|提前|延后|延迟|推后|顺延|晚|早|推|延|提早)了", text)
    ):
        relative = None  # "开会我晚半小时到": a person is late, the meeting does not move
    if relative is not None and not new_times:
        ref = meeting_ref(before_without_times(clause, relative.start))
        if english or not ref.strip() or ref == "会":
            ref = _english_ref(text) or ref
        return Reading(
            kind="reschedule",
            calls=[
                {
                    "tool": "reschedule_meeting",
                    "args": {"meeting": ref, "shift_minutes": relative.minutes},
                }
            ],
            confidence=0.8,
            clause=clause,
        )
    update = _update_meeting(clause, msg, shift)
    if update is not None:
        return update
    if shift is None:
        return None
    if not new_times:
        return Reading(
            kind="none",
            confidence=0.3,
            notes=["改会但没有说新时间（或是相对平移），交给人或模型"],
            clause=clause,
        )
    start, end = meeting_slot(new_times[0])
    if start is None:
        return Reading(kind="none", confidence=0.3, notes=["新时间不完整"], clause=clause)
    # "Moving tomorrow's sync to 10:30am": in English the old day sits between the verb and "to".
    old_cut = shift.end() - 5 if english else shift.start()
    old_times = [t for t in clause.times if t.end - clause.start <= old_cut]
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
    elif (
        old_times
        and not NAMES_DAY.search(new_times[0].text)
        and not _EN_DAY.search(new_times[0].text)
    ):
        # "把明天的会提前到9点": the new clock time is on the old day.
        old_start, _ = meeting_slot(old_times[0])
        if old_start is not None:
            start = start.replace(year=old_start.year, month=old_start.month, day=old_start.day)
            if end is not None:
                end = end.replace(year=old_start.year, month=old_start.month, day=old_start.day)
    # A moved meeting keeps its part of the day: from the old time said in the message, else
    # from the meeting's record ("改到8点" for an evening meeting is 20:00).
    old = old_times[0] if old_times else None
    if old is not None:
        old_at, _ = meeting_slot(old)
        moved = keep_part_of_day(new_times[0], start, old_at, old.part_of_day, old.has_clock)
    else:
        was = stored_start(
            meeting_ref(before_without_times(clause, shift.start())),
            msg.context.upcoming_meetings,
            msg.context.now,
        )
        moved = keep_part_of_day(new_times[0], start, was, None, was is not None)
    if end is not None and moved != start:
        end += moved - start
    start = moved
    if (
        start < msg.context.now
        or msg.recurring_in(clause)
        or re.search(r"每(?:周|天|日|月|个月|两周|隔)", text)
    ):
        # A recurring slot or a time already past cannot be one new start.
        return Reading(
            kind="none", confidence=0.3, notes=["新时间是周期性的或已过去"], clause=clause
        )
    ref = meeting_ref(before_without_times(clause, shift.start()))
    if english:
        ref = _english_ref(text) or ref
    args = {"meeting": ref, "start": start.isoformat()}
    if end is not None:
        args["end"] = end.isoformat()
    calls: list[dict[str, Any]] = [{"tool": "reschedule_meeting", "args": args}]
    place = location(before_without_times(clause, len(text))[shift.end() :])
    if place is not None:
        # "周会改到周四下午，地点换到B201": a move and a new place are two changes.
        calls.append({"tool": "update_meeting", "args": {"meeting": ref, "location": place[0]}})
    return Reading(kind="reschedule", calls=calls, confidence=0.85, clause=clause)


# What is cancelled or moved is named right before the cue ("明天的彩排取消", "设计评审改到…")
# or right after it ("取消明天的面试"); its last noun decides whether it is a scheduled event.
_CHANGE_CUE = re.compile(rf"{lx.CANCEL_MEETING.pattern}|{lx.RESCHEDULE.pattern}", re.IGNORECASE)


_SHIFT_CUE = re.compile(
    r"推迟|延后|往后推|往后挪|推后|顺延|提前|提早|晚(?=半|一|两|[0-9]|十)|(?<![A-Za-z])(?:push|delay|postpone)\b",
    re.IGNORECASE,
)
# What may follow "推迟半小时" when the meeting itself moves: nothing, or its start.
_SHIFT_TAIL = re.compile(
    r"\s*(?:再|才)?(?:开|开始|举行|召开|进行|start|begin)?(?:吧|哈|啊|了|哦|呀|啦|一下|[,，。!！~\s])*",
    re.IGNORECASE,
)
_HEAD_TAIL = re.compile(r"(?:的?时间|也|就|先|都|还是|要|从|由|原定|\s)+$")


# "也参加交班会", "拉进周会": a meeting named after the verb of attending, whatever its kind.
_ATTEND_MEETING = re.compile(
    r"(?:参加|参会|出席|加到|拉进|加进|叫上[^,，。]{0,6}?开)(?P<m>[\u4e00-\u9fffA-Za-z0-9]{0,8}?(?:会议?|sync|standup|meeting))(?:里|中)?",
    re.IGNORECASE,
)
_ADD_AFTER_BA = re.compile(r"把[^,，。把]{1,16}?(?:也)?(?:叫上|喊上|拉上|带上|加上|拉进来)")
_EVENT_BEFORE = re.compile(r"[\u4e00-\u9fffA-Za-z0-9 ]{2,24}$")


class _EventThenAdd:
    """ "明天的sprint review把燕姐也叫上": the event named right before 把 … 也叫上.

    The cue is found first and the event read backwards from it, so the search stays linear.
    """

    @staticmethod
    def search(text: str) -> re.Match[str] | None:
        cue = _ADD_AFTER_BA.search(text)
        if cue is None:
            return None
        head = text[max(0, cue.start() - 24) : cue.start()].rstrip()
        return _EVENT_BEFORE.search(head)


_EVENT_THEN_ADD = _EventThenAdd()
_DELIVERABLE = re.compile(
    r"(?:视频|纪要|记录|PPT|材料|资料|方案|海报|物料|报告|文档|稿|邀请函|通知|预算|名单|场地|礼品|奖品|节目|"
    r"任务|工作|项目|课件|试卷|清单|表格?|图纸|合同|报价|手册|教案|讲义|问卷|脚本|设计|需求|接口|页面)$",
    re.IGNORECASE,
)


_JOINS = re.compile(
    r"[\s,，@]*(?P<who>[^,，。]{1,24}?)\s*(?:也|都|一起)(?:要)?(?:参加|来|参会|过来|出席)(?:一下)?[吧哈啊。!！~\s]*"
)


def _joining_after(clause: Clause, msg: Message) -> Reading | None:
    """ "后天下午的评审会 小军也参加": a meeting named by its time and kind, then who else comes."""
    text = clause.text
    named = re.match(
        r"(?P<head>.*?的(?P<kind>[\u4e00-\u9fffA-Za-z0-9]{0,8}会|[\u4e00-\u9fffA-Za-z0-9]{2,6}))"
        r"(?=[\s,，]|$)",
        text,
    )
    if (
        lx.MEETING_CREATE.search(text)
        or named is None
        or not (named.group("kind").endswith("会") or lx.EVENT_NOUN.search(named.group("kind")))
        or not any(t.end - clause.start <= named.end() for t in clause.times)
    ):
        return None
    rest = text[named.end() :] + msg.text[clause.start + len(text) :]
    if not rest.strip() or _JOINS.fullmatch(rest) is None:
        return None
    people = [m.name for m in msg.roster.find(rest) if m.known or m.at]
    ref = meeting_ref(before_without_times(clause, named.end()))
    if not people or not ref.strip():
        return None
    return Reading(
        kind="update_meeting",
        calls=[{"tool": "update_meeting", "args": {"meeting": ref, "add_attendees": people}}],
        confidence=0.7,
        clause=clause,
        assignees=people,
    )


def names_scheduled_event(clause: Clause) -> bool:
    """A meeting noun names the thing changed, or an event noun (彩排, 面试, 路演…) heads it."""
    text = clause.text
    cue = _CHANGE_CUE.search(text) or _SHIFT_CUE.search(text)
    if cue is None:
        joined = _EVENT_THEN_ADD.search(before_without_times(clause, len(text)))
        if joined is not None and lx.EVENT_NOUN.search(joined.group(0).strip()):
            return True  # "明天的sprint review把燕姐也叫上"
        return lx.MEETING_NOUN.search(text) is not None or _ATTEND_MEETING.search(text) is not None
    blank = before_without_times(clause, len(text))
    english = _english_ref(text)
    if english is not None and lx.EVENT_NOUN.search(english):
        return True
    head = _HEAD_TAIL.sub("", re.split(r"[,，]", blank[: cue.start()])[-1])
    if not head.strip():
        head = re.split(r"[,，]", blank[cue.end() :])[0].strip()
        head = re.sub(r"[了啦吧哈]+$", "", head)
    if _DELIVERABLE.search(head):
        # "年会视频推迟到1月8号": a deliverable of a meeting is a task.
        return False
    if lx.EVENT_NOUN.search(head) is not None:
        return True
    if _ATTEND_MEETING.search(text):
        return True
    return lx.MEETING_NOUN.search(text) is not None


def _cancel_reason(text: str, cue: re.Match[str]) -> str | None:
    """ "周会取消，老板出差" / "老板出差，周会取消了": the other comma part is the reason."""
    after = re.sub(r"^[了啦吧哈啊!！。~\s]*", "", text[cue.end() :])
    after = after.lstrip(" ,，。;；")
    elsewhere = (
        re.search(r"去[\u4e00-\u9fffA-Za-z]{0,8}?(?:开会|参会|开个会|参加)", after) is not None
    )
    replaced = re.match(r"(?:改成|改为|换成|以后)", after) is not None and not re.search(
        r"\d|[点号]|周[一二三四五六日天]|星期", after
    )
    if (
        after
        and (not lx.MEETING_NOUN.search(after) or elsewhere)
        and (not lx.RESCHEDULE.search(after) or replaced)
    ):
        return after.strip(" ,，。!！~").rstrip("吧啊哈") or None
    before = text[: cue.start()]
    cut = max(before.rfind(","), before.rfind("，"))
    if cut > 0:
        head = before[:cut].strip(" ,，")
        if head and not lx.MEETING_NOUN.search(head):
            return head
    return None


# --------------------------------------------------------------------------- one occurrence

# Meetings that are held again and again: cancelling one dated instance cancels an occurrence.
_RECURRING_KIND = re.compile(
    r"例会|周会|周例会|站会|晨会|早会|夕会|日会|月会|双周会|周报会|例行|standup|daily|weekly|这次|本次|这一次|下次",
    re.IGNORECASE,
)


def _occurrence(clause: Clause, cue: int, ref: str) -> str | None:
    """ "下周一的周会不开了" → the date of that occurrence, for a meeting held repeatedly."""
    if not _RECURRING_KIND.search(clause.text):
        return None
    for t in clause.times:
        if t.end - clause.start > cue + 8:
            continue
        anchor = t.value if t.value is not None else t.from_
        if anchor is None or t.grain in ("week", "month", "year"):
            continue
        return anchor.date().isoformat()
    return None


# --------------------------------------------------------------------------- update_meeting

_PLACE_CUE = re.compile(
    r"(?:地点|会议室|地方|场地|会场|位置|房间)(?:也)?(?:改|换|调整|变|挪)(?:一下)?(?:到|成|为|去)?"
    r"|改(?:成|到|为|在)?(?=线上|线下|腾讯会议|飞书|钉钉|zoom|Zoom|视频会议|电话会议)|(?:换|挪)到(?=[^,，。]{0,8}(?:会议室|楼|室|厅))"
)
_PLACE_WORD_CUE = re.compile(
    r"(?:开会|会议|会)?(?:地点|会议室|场地|会场)(?:也)?(?:改|换|调整|变|挪)(?:一下)?(?:到|成|为|去)?"
)
_NOT_COMING = re.compile(r"不用(?:来|参加|参会|过来)了|别来了")
_ADD_PEOPLE = re.compile(
    r"(?:也)?(?:叫上|喊上|拉上|带上|加上|叫来|拉进来|加进来)|也(?:参加|来|参会|过来|一起)|(?:加到|拉进|加进)[^,，。]{0,8}(?:会|sync)"
    r"|一起参加|(?:add|invite)\b",
    re.IGNORECASE,
)
_REMOVE_PEOPLE = re.compile(r"不用(?:来|参加|参会|过来)了?|不(?:来|参加)了|别来了|不用叫|去掉|移出")
_REMIND_CHANGE = re.compile(
    r"提醒(?:时间)?(?:改成|改为|改到|调成|调到|换成|设成|设为|设置为|改)\s*(?:提前)?(?P<span>[^,，。;；\s]{1,8}?)(?:提醒)?(?:[,，。!！\s]|$)"
)
_TITLE_CHANGE = re.compile(
    r"(?:主题|标题|名字|名称|议题)(?:改成|改为|换成|改叫|定为)[:：\s]*[「“\"]?(?P<t>[^,，。!！」”\"]{2,30})"
)
_ENGLISH_REF = re.compile(
    r"(?:push(?:ing)?|mov(?:e|ed|ing)|reschedul(?:e|ing)|shift(?:ing)?|bump(?:ing)?|delay(?:ing)?|cancel(?:l?ing)?|postpon(?:e|ing))\s+"
    r"(?:the\s+|our\s+|my\s+|this\s+week's\s+|[A-Za-z]+'s\s+)?"
    r"(?P<ref>[A-Za-z0-9][A-Za-z0-9 \-]{0,30}?)\s+(?:to|until|by|back|earlier|later|forward)\b",
    re.IGNORECASE,
)


# "Friday's review is cancelled", "the sync has been moved to 4pm": the passive names it first.
_ENGLISH_PASSIVE = re.compile(
    r"(?:^|\s)(?:the\s+|our\s+|my\s+|[A-Za-z]+'s\s+)?(?P<ref>[A-Za-z0-9][A-Za-z0-9 \-]{0,30}?)\s+"
    r"(?:is|are|was|has been|have been|will be|gets?|got)\s+(?:cancel+ed|called off|off|moved|pushed|postponed|rescheduled)",
    re.IGNORECASE,
)


_EN_DAY = re.compile(
    r"(?<![A-Za-z])(?:today|tomorrow|tonight|mon|tue|wed|thu|fri|sat|sun)[a-z]*|"
    r"(?<![A-Za-z])(?:jan|feb|mar|apr|may|jun|jul|aug|sep|oct|nov|dec)[a-z]*\s*\d",
    re.IGNORECASE,
)


def _english_ref(text: str) -> str | None:
    m = _ENGLISH_REF.search(text) or _ENGLISH_CANCEL.search(text) or _ENGLISH_PASSIVE.search(text)
    if m is None:
        return None
    # "Tomorrow's 7am toolbox talk": the clock time only places it in time.
    ref = re.sub(r"^\d{1,2}(?::\d{2})?\s*(?:am|pm)\s+", "", m.group("ref").strip(), flags=re.I)
    return ref or m.group("ref").strip()


_ENGLISH_CANCEL = re.compile(
    r"(?:cancel|call off|skip)\s+(?:the\s+|our\s+|my\s+|this\s+week's\s+|today's\s+|tomorrow's\s+|tomorrow\s+)?"
    r"(?P<ref>[A-Za-z0-9][A-Za-z0-9 \-]{0,30}?)\s*(?:$|[,，.。!！]|\bon\b|\bfor\b|\btoday\b|\btomorrow\b)",
    re.IGNORECASE,
)


def _meeting_words(clause: Clause, cut: int) -> str:
    head = before_without_times(clause, cut)
    for m in clause.mentions:
        a, b = m.start - clause.start, m.end - clause.start
        head = head[:a] + " " * (b - a) + head[b:] if a < len(head) else head
    return meeting_ref(re.split(r"[,，]", head)[-1] if head.strip() else head)


def _place_change(clause: Clause, msg: Message) -> Reading | None:
    """ "地点改到3楼大会议室" / "改成线上": a new place for the meeting (the only one: "会")."""
    text = clause.text
    cue = _PLACE_CUE.search(text)
    if cue is None:
        return None
    after = before_without_times(clause, len(text))[cue.end() :]
    place = location(after)
    if place is None:
        code = re.match(r"\s*(?P<p>[A-Za-z0-9\u4e00-\u9fff\-]{2,12}?)(?:[,，。!！\s]|$)", after)
        if code is None:
            return None
        place = (code.group("p"), (0, 0))
    ref = meeting_ref(
        re.sub(
            r"(?:的)?(?:地点|会议室|地方|场地|会场|位置|房间)$",
            "",
            before_without_times(clause, cue.start()),
        )
    )
    return Reading(
        kind="update_meeting",
        calls=[{"tool": "update_meeting", "args": {"meeting": ref, "location": place[0]}}],
        confidence=0.75,
        clause=clause,
    )


def _update_meeting(clause: Clause, msg: Message, shift: re.Match[str] | None) -> Reading | None:
    """Place, people, reminder or title of a meeting that exists; not its time."""
    text = clause.text
    new_times = [
        t for t in clause.times if shift is not None and t.start - clause.start >= shift.start()
    ]
    if _PLACE_CUE.search(text) and not new_times:
        return _place_change(clause, msg)
    if shift is not None and not new_times:
        place = location(before_without_times(clause, len(text))[shift.end() :])
        if place is not None:
            ref = _meeting_words(clause, shift.start())
            return Reading(
                kind="update_meeting",
                calls=[{"tool": "update_meeting", "args": {"meeting": ref, "location": place[0]}}],
                confidence=0.75,
                clause=clause,
            )
    people = [m.name for m in clause.mentions if m.known or m.at]
    remove = _REMOVE_PEOPLE.search(text)
    add = _ADD_PEOPLE.search(text)
    if add is not None and lx.MEETING_CREATE.search(text[: add.start()]):
        # "明天下午两点开个视频会 过一下X 老邱也来": attendees of the meeting this message makes.
        return None
    if people and (remove or add):
        cut = min(
            [m.start - clause.start for m in clause.mentions] + [(remove or add).start()]  # type: ignore[union-attr]
        )
        ref = _meeting_ref_around(clause)
        joined = _EVENT_THEN_ADD.search(before_without_times(clause, len(text)))
        if ref.strip() in ("", "会") and joined is not None:
            ref = meeting_ref(joined.group(0)) or ref  # "明天的sprint review把燕姐也叫上"
        key = "remove_attendees" if remove else "add_attendees"
        return (
            Reading(
                kind="update_meeting",
                calls=[{"tool": "update_meeting", "args": {"meeting": ref, key: people}}],
                confidence=0.75,
                clause=clause,
                assignees=people,
            )
            if cut >= 0
            else None
        )
    remind = _REMIND_CHANGE.search(text)
    if remind is not None:
        minutes = span_minutes(remind.group("span"))
        if minutes is not None:
            ref = _meeting_words(clause, remind.start())
            return Reading(
                kind="update_meeting",
                calls=[
                    {
                        "tool": "update_meeting",
                        "args": {"meeting": ref, "remind_before_minutes": minutes},
                    }
                ],
                confidence=0.75,
                clause=clause,
            )
    title = _TITLE_CHANGE.search(text)
    if title is not None:
        ref = _meeting_words(clause, title.start())
        return Reading(
            kind="update_meeting",
            calls=[{"tool": "update_meeting", "args": {"meeting": ref, "title": title.group("t")}}],
            confidence=0.7,
            clause=clause,
        )
    return None


def _meeting_ref_around(clause: Clause) -> str:
    """The meeting named anywhere in a clause that adds or removes people ("@A 也参加周会")."""
    blank = before_without_times(clause, len(clause.text))
    for m in clause.mentions:
        a, b = m.start - clause.start, m.end - clause.start
        blank = blank[:a] + " " * (b - a) + blank[b:]
    attend = _ATTEND_MEETING.search(blank)
    if attend is not None:
        return meeting_ref(attend.group("m"))
    found = lx.MEETING_NOUN.search(blank)
    if found is None:
        return "会"
    head = re.split(r"[,，\s]", blank[: found.end()])[-1]
    head = re.sub(r"^.*?(?:参加|参会|叫上|拉上|加到|加进|拉进|来)", "", head)
    return meeting_ref(head)
