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
    stated_reason,
)
from assistant.engines.rules.clauses import Clause
from assistant.engines.rules.slots import (
    meeting_ref,
)
from assistant.engines.rules.timeslots import (
    meeting_slot,
)

if TYPE_CHECKING:
    pass

__all__ = ["names_scheduled_event", "read_meeting_change"]


def read_meeting_change(clause: Clause, msg: Message, question: bool) -> Reading | None:
    text = clause.text
    if question or not names_scheduled_event(clause):
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
        ref = meeting_ref(head)
        args: dict[str, Any] = {"meeting": ref}
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
    if shift is None:
        return None
    new_times = [t for t in clause.times if t.start - clause.start >= shift.start()]
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
    elif old_times and not NAMES_DAY.search(new_times[0].text):
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
        return Reading(
            kind="none", confidence=0.3, notes=["新时间是周期性的或已过去"], clause=clause
        )
    ref = meeting_ref(before_without_times(clause, shift.start()))
    args = {"meeting": ref, "start": start.isoformat()}
    if end is not None:
        args["end"] = end.isoformat()
    return Reading(
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


def names_scheduled_event(clause: Clause) -> bool:
    """A meeting noun names the thing changed, or an event noun (彩排, 面试, 路演…) heads it."""
    text = clause.text
    cue = _CHANGE_CUE.search(text)
    if cue is None:
        return lx.MEETING_NOUN.search(text) is not None
    blank = before_without_times(clause, len(text))
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
