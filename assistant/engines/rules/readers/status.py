"""Readers for updates of existing tasks: status reports, hand-overs, new dues."""

from __future__ import annotations

import re
from datetime import datetime
from typing import TYPE_CHECKING, Any

from assistant.engines.rules import lexicon as lx
from assistant.engines.rules.analysis import Message, Reading, is_deadline
from assistant.engines.rules.clauses import Clause
from assistant.engines.rules.readers.meeting_change import names_scheduled_event
from assistant.engines.rules.slots import (
    task_words,
)
from assistant.engines.rules.timeslots import (
    due_instant,
)

if TYPE_CHECKING:
    pass

__all__ = ["read_handover", "read_status"]


_DONE_WEAK_TAIL = re.compile(r"^[了啦咯喽哈吧哦呀啊~!！。. ]*$")


_HANDOVER = re.compile(
    r"(?:交给|转给|改由|改成|换成|移交给|转交给)\s*(?P<who>@?[^\s,，。]{1,8}?)(?:负责|来做|来跟|跟进|处理|来)?[吧了哈。!！]*$"
)


def read_handover(clause: Clause, msg: Message, question: bool) -> Reading | None:
    """ "登录页交给小赵" → update_task with a new assignee."""
    text = clause.text
    m = _HANDOVER.search(text)
    if m is None or question or lx.MEETING_NOUN.search(text):
        return None
    if "把" in text[: m.start()] or any(is_deadline(t, clause) for t in clause.times):
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
    return Reading(
        kind="status",
        calls=[{"tool": "update_task", "args": {"task": words, "assignee": who}}],
        confidence=0.75,
        clause=clause,
    )


def read_status(clause: Clause, msg: Message, question: bool) -> Reading | None:
    text = clause.text
    if question:
        return None
    future_deadline = any(
        is_deadline(t, clause) and (t.value or t.from_ or msg.context.now) >= msg.context.now
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
    elif cancelled is not None and not names_scheduled_event(clause):
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
            return Reading(
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
            return Reading(
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
    elif shift is not None and clause.times and not names_scheduled_event(clause):
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
        return Reading(
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
    return Reading(
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
