"""Putting the clauses together: who-only clauses complete the task before them, a meeting collects
place, agenda and people from the clauses that follow it, list items inherit who, when and how
urgent from their header, and one deadline said apart from the people covers them all."""

from __future__ import annotations

import re
from datetime import datetime
from typing import TYPE_CHECKING, Any

from assistant.engines.rules import lexicon as lx
from assistant.engines.rules.analysis import (
    Message,
    Reading,
    blank_times,
    clause_people,
    task_due,
    without_people,
)
from assistant.engines.rules.clauses import Clause
from assistant.engines.rules.readers.meeting import meeting_details
from assistant.engines.rules.slots import (
    agenda_items,
    priority,
    task_title,
    task_words,
)
from assistant.engines.rules.timeslots import (
    meeting_slot,
)

if TYPE_CHECKING:
    pass

__all__ = ["assemble"]


# What is left of a clause that only says who does the job of the clause before it:
# "，邓工负责", "，我来", "@杰哥 辛苦", "，你跟一下", "我自己来，加急".
_ONLY_WHO = re.compile(
    r"(?:你们?|我|自己|由|让|请|这个|这事儿?|也|就|来|去|负责|跟进|跟|盯|处理|搞定|做|弄|辛苦|了|啦|吧|哈|哦|啊|"
    r"一下|下|加急|紧急|十万火急|尽快|优先|高优先级|低优先级|不急|马上|抓紧|[\s,，!！~。:：])*"
)


_CORRECTED_PRIORITY = re.compile(
    r"[\s,，]*(?:哦不|噢不|喔不|不对|算了)[\s,，]*(?:还是|要|得)?[\s,，]*"
    r"(?:尽快|抓紧|优先|加急|紧急|急|不急|有空再|慢慢来)[^,，。]{0,6}$"
)
_ONLY_PRIORITY = re.compile(
    r"[\s,，!！~。]*(?:十万火急|紧急|加急|特急|很急|急|urgent)[\s,，!！~。]*", re.I
)


def _fold(readings: list[Reading], msg: Message) -> None:
    """Join clauses that only complete the job said before them.

    - "把复盘写好，我负责" / "，邓工负责，高优先级" / "@杰哥 辛苦": who (and how urgent) for the
      task of the clause before, never a task of its own;
    - "十万火急！@A 把X改了": a sentence that is only an urgency word sets the next task's;
    - "老郑，报价单我来准备": the person called at the start is not the doer when someone else is.
    """
    prev: Reading | None = None
    cancel: Reading | None = None
    blocked: Reading | None = None
    pending_priority: str | None = None
    change: Reading | None = None
    for r in readings:
        clause = r.clause
        if clause is None:
            continue
        if (
            r.kind == "task"
            and change is not None
            and change.clause is not None
            and change.clause.sentence == clause.sentence
            and not any(m.at for m in clause.mentions)
            and _REASON_LIKE.search(clause.text)
            and not _REQUEST_LIKE.search(clause.text)
        ):
            # "训练赛改到8点，超哥下午要去看场地": why the meeting moves, not a job.
            args = change.calls[0]["args"] if change.calls else {}
            if change.kind == "cancel" and "reason" not in args:
                args["reason"] = clause.text.strip(" ,，。!！~")
            r.kind, r.calls = "chat", []
            continue
        if (
            r.kind == "task"
            and prev is not None
            and prev.clause is not None
            and prev.clause.sentence == clause.sentence
            and not any(m.at for m in clause.mentions)
            and _PURPOSE.search(clause.text)
            and not _REQUEST_LIKE.search(clause.text)
        ):
            # "@A 周五前把报告整理好，老周要带去区里汇报": what the work is for, not a job.
            r.kind, r.calls = "chat", []
            continue
        if r.kind in ("reschedule", "cancel") and r.calls:
            change = r
        elif r.kind not in ("chat", "info", "none"):
            change = None
        if (
            r.kind in ("info", "chat")
            and prev is not None
            and prev.clause is not None
            and prev.clause.sentence == clause.sentence
            and _CORRECTED_PRIORITY.match(clause.text)
            and priority(clause.text)
        ):
            # "…改一下 不急啊 哦不 还是尽快吧": the corrected urgency is the one that holds.
            for call in prev.calls:
                call["args"]["priority"] = priority(clause.text)
            r.kind, r.calls = "chat", []
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
            and _ONLY_WHO.fullmatch(without_people(clause))
        ):
            who = r.assignees or clause_people(clause, msg)
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


def _bare_blocked(r: Reading) -> bool:
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


_QUESTION_WORDS = re.compile(r"谁来|谁去|谁能|谁|有人|能不能|可以|吗|呢|吧|[?？。!！]")


def _complete_bare_verbs(readings: list[Reading], msg: Message) -> None:
    """A task with only a verb ("@王芳 看一下", "我来弄") takes its object from what the message
    reported just before it ("周报已发，@王芳 看一下" → 看周报) or from the quoted message it
    answers («「小吴：耗材清单谁来弄？」 我来弄» → 弄耗材清单)."""
    last_task_words = ""
    for r in readings:
        if r.kind == "status" and r.calls:
            words = r.calls[0]["args"].get("task")
            last_task_words = words if isinstance(words, str) else ""
            continue
        if r.kind != "task" or not r.calls or "任务标题不完整" not in r.notes:
            continue
        obj = last_task_words
        if not obj and msg.quoted:
            # "耗材清单谁来弄？": the thing asked about stands before the question word.
            obj = task_words(_QUESTION_WORDS.split(msg.quoted, maxsplit=1)[0], [])
        if len(obj) < 2:
            continue
        verb = r.verb or r.topic
        for call in r.calls:
            call["args"]["title"] = f"{verb}{obj}"
        r.topic = f"{verb}{obj}"
        r.notes.remove("任务标题不完整")
        r.confidence = max(r.confidence, 0.65)


_BARE_VERB_TITLE = re.compile(
    rf"(?P<verb>{lx.ACTION_VERB.pattern})(?:一版|一份|一稿|一下|下|一遍|个初稿|个方案|出来|好|完|掉)?",
    re.IGNORECASE,
)


def _join_fronted_objects(readings: list[Reading]) -> None:
    """ "季度复盘报告 月底前 @小雨 出一版": the object said first, then the doer with a bare verb,
    is one task "出季度复盘报告" for the doer (the object clause gives its due)."""
    for i in range(len(readings) - 1):
        first, second = readings[i], readings[i + 1]
        a, b = first.clause, second.clause
        if (
            a is None
            or b is None
            or first.kind != "task"
            or second.kind != "task"
            or a.sentence != b.sentence
            or a.mentions
            or not b.mentions
            or len(first.calls) != 1
            or not second.calls
        ):
            continue
        args = first.calls[0]["args"]
        title = str(args.get("title", ""))
        words = re.sub(r"[\s,，:：]", "", blank_times(a))
        if "assignee" in args or words != title or len(title) < 2:
            continue
        verb_only = [
            _BARE_VERB_TITLE.fullmatch(str(c["args"].get("title", ""))) for c in second.calls
        ]
        if not all(verb_only):
            continue
        for call, found in zip(second.calls, verb_only, strict=True):
            assert found is not None
            call["args"]["title"] = f"{found.group('verb')}{title}"
            if "due" in args:
                call["args"].setdefault("due", args["due"])
            if "priority" in args:
                call["args"].setdefault("priority", args["priority"])
        second.due = second.due or first.due
        first.kind, first.calls = "chat", []


def _whole_headers(readings: list[Reading]) -> None:
    """ "开学物资周五前全部准备好，小东负责：1. … 2. …": the comma parts before the header's
    colon belong to the header; they give the items their due and urgency and are no job of
    their own."""
    for i, r in enumerate(readings):
        c = r.clause
        if c is None or not c.header or i + 1 >= len(readings):
            continue
        nxt = readings[i + 1].clause
        if nxt is None or not nxt.list_item:
            continue
        for e in readings[:i]:
            ec = e.clause
            if ec is None or ec.sentence != c.sentence or e.kind not in ("task", "info"):
                continue
            r.due = r.due or e.due
            r.priority = r.priority or e.priority
            if e.kind == "task" and (r.assignees or r.due):
                e.kind, e.calls = "info", []
                e.due, e.assignees, e.priority = None, [], None


_LEAD_VERB = re.compile(
    r"^(?P<v>写|做|出|画|拍|剪|译|翻译|设计|整理|准备|搞|弄)(?=[\u4e00-\u9fffA-Za-z0-9])"
)


def _carry_verbs(readings: list[Reading]) -> None:
    """ "A牵头写申报书，B负责预算部分": the part B takes is written too ("写预算部分")."""
    prev: Reading | None = None
    for r in readings:
        c = r.clause
        if r.kind != "task" or c is None or not r.calls:
            continue
        if prev is not None and prev.clause is not None and prev.clause.sentence == c.sentence:
            verb = _LEAD_VERB.match(str(prev.calls[0]["args"].get("title", "")))
            title = str(r.calls[0]["args"].get("title", ""))
            if (
                verb is not None
                and re.search(r"负责|牵头|来", c.text)
                and re.search(r"部分|章节|一章|板块|那块|这块|模块", title)
                and not lx.ACTION_VERB.match(title)
            ):
                for call in r.calls:
                    call["args"]["title"] = f"{verb.group('v')}{call['args']['title']}"
        prev = r


# "南航午班的餐 @A 你负责装车 @B 你负责核对": the object said first is shared by the duties.
_FRONTED_DUTY = re.compile(
    r"\s*(?P<obj>[\u4e00-\u9fffA-Za-z0-9]{2,12}?)\s+(?:你们?|您)?\s*(?:负责|来)"
    r"(?P<rest>[\u4e00-\u9fffA-Za-z0-9]{1,10})\s*"
)
_BARE_DUTY = re.compile(
    r"\s*(?:你们?|您)?\s*(?:负责|来)(?P<rest>[\u4e00-\u9fffA-Za-z0-9]{1,10})\s*"
)


def _without_people_and_times(clause: Clause) -> str:
    chars = list(clause.text)
    spans = [(m.start, m.end) for m in clause.mentions] + [(t.start, t.end) for t in clause.times]
    for a, b in spans:
        for i in range(max(a - clause.start, 0), min(b - clause.start, len(chars))):
            chars[i] = " "
    return "".join(chars).replace("@", " ")


def _share_fronted_duty_object(readings: list[Reading]) -> None:
    """The duties after a fronted object name it: "国航早班餐装车", "国航早班餐核对"."""
    shared: tuple[int, str] | None = None
    for r in readings:
        if r.kind != "task" or r.clause is None or not r.clause.mentions:
            continue
        bare = _without_people_and_times(r.clause)
        fronted = _FRONTED_DUTY.fullmatch(bare)
        if (
            fronted is not None
            and r.clause.mentions[0].start - r.clause.start >= fronted.end("obj")
            and lx.ACTION_VERB.search(fronted.group("obj")) is None
        ):
            obj = re.sub(r"的(?=[\u4e00-\u9fff]$)|^的", "", fronted.group("obj"))
            shared, rest = (r.clause.sentence, obj), fronted.group("rest")
        elif shared is not None and shared[0] == r.clause.sentence:
            duty = _BARE_DUTY.fullmatch(bare)
            if duty is None:
                shared = None
                continue
            rest = duty.group("rest")
        else:
            continue
        for call in r.calls:
            call["args"]["title"] = f"{shared[1]}{rest}"
        r.topic = f"{shared[1]}{rest}"


_FINISH_ONLY = re.compile(
    r"[\s,，]*(?:然后|另外|那)?\s*(?:你|您)?\s*(?:之前|以前|前)?\s*"
    r"(?:弄完|做完|搞定|弄好|做好|完成|搞完|干完|收尾)(?:吧|哈|啊|了)?[\s。!！~]*"
)


def _refines(shared: Any, own: str) -> bool:
    """The shared due is the same day as a task's own due said without a clock."""
    try:
        mine = datetime.fromisoformat(own)
    except ValueError:
        return False
    return bool(
        shared.date() == mine.date()
        and (mine.hour, mine.minute) == (18, 0)
        and (shared.hour, shared.minute) != (18, 0)
    )


def _due_of_handed_work(readings: list[Reading]) -> None:
    """ "X转给老邱吧 … 然后 @老邱 你周五前弄完": the bare "finish it by…" is the due of X."""
    handed: dict[str, Any] | None = None
    for r in readings:
        if r.kind == "status" and r.calls and "assignee" in r.calls[0]["args"]:
            handed = r.calls[0]["args"]
            continue
        if (
            handed is not None
            and r.kind == "task"
            and r.clause is not None
            and len(r.calls) == 1
            and r.calls[0]["args"].get("assignee") == handed["assignee"]
            and "due" in r.calls[0]["args"]
            and _FINISH_ONLY.fullmatch(_without_people_and_times(r.clause))
        ):
            handed.setdefault("due", r.calls[0]["args"]["due"])
            r.kind, r.calls = "info", []


_CHANGES_MEETING = frozenset(("reschedule_meeting", "cancel_meeting", "update_meeting"))


def _same_meeting(readings: list[Reading]) -> None:
    """ "明天的例会 推迟半小时开始 然后 地点改到二楼": a bare 会 later is the meeting just named."""
    named = ""
    for r in readings:
        for call in r.calls:
            if call["tool"] not in _CHANGES_MEETING:
                continue
            ref = str(call["args"].get("meeting", ""))
            if ref in ("", "会") and named:
                call["args"]["meeting"] = named
            elif ref not in ("", "会"):
                named = ref


def assemble(readings: list[Reading], msg: Message) -> None:
    _share_fronted_duty_object(readings)
    _whole_headers(readings)
    _carry_verbs(readings)
    _join_fronted_objects(readings)
    _fold(readings, msg)
    _complete_bare_verbs(readings, msg)
    meeting: Reading | None = None
    header: Reading | None = None
    topic_by_sentence: dict[int, Reading] = {}
    for r in readings:
        clause = r.clause
        if clause is None:
            continue
        if r.kind == "meeting":
            meeting, header = r, None
            continue
        if (
            r.kind == "task"
            and meeting is not None
            and meeting.calls
            and meeting.calls[0]["tool"] == "create_meeting"
            and clause.mentions
            and (
                _ATTENDING.fullmatch(without_people(clause))
                or _ATTENDING_THEN_TOPIC.fullmatch(without_people(clause))
            )
        ):
            # "…开设计评审会，@小东 线上参加 / 你也来": attendees of that meeting, no task.
            r.kind, r.calls = "info", []
        if r.kind in ("info", "none", "chat") and meeting is not None and meeting.calls:
            args = meeting.calls[0]["args"]
            meeting_details(args, clause, msg)
            if "start" not in args:
                for t in clause.times:
                    start, end = meeting_slot(t)
                    if start is not None:
                        args["start"] = start.isoformat()
                        if end is not None:
                            args["end"] = end.isoformat()
                        break
            bare = without_people(clause) if clause.mentions else clause.text
            if clause.mentions and _ATTENDING.fullmatch(re.sub(r"[和跟与及、]", " ", bare)):
                items = []  # "，超哥和静静一起": who comes, not what is discussed
            else:
                items = agenda_items(bare)
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
            if not _CONTINUATION.match(clause.text):
                # "…检查一遍 然后拍照发群里": the rest of the request before, no topic for the next.
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
    _due_of_handed_work(readings)
    _same_meeting(readings)
    for r in readings:
        if r.kind == "meeting":
            for call in r.calls:
                args = call["args"]
                args.setdefault("attendees", "all")
                args.setdefault("remind_before_minutes", msg.context.default_remind_before_minutes)


_CONTINUATION = re.compile(r"(?:然后|接着|之后|再|顺便)(?!说)")
_REASON_LIKE = re.compile(r"要去|得去|临时|还在|正在|在忙|要带|要陪|要赶|有事|来不了|赶不回")
_TOGETHER = re.compile(
    r"\s*(?:你们)?(?:两|三|四|几)位|\s*你们?[俩两]个?|\s*(?:大家|各位)都"
    r"|\s*(?:然后|嗯|那|就)?\s*(?:全|都|全都|统一)(?:是|要|得|在)?(?!\S*[把做写改])"
)
_PURPOSE = re.compile(
    r"要(?:带|拿|送|交)(?:去|到|给)|要用|急用|等着用|要拿来|要带着|要看|要审|要查|要检查|要下单|要报上去"
)
_REQUEST_LIKE = re.compile(r"把|请|麻烦|记得|帮忙|帮我|一下|负责|跟进|务必|尽快")


# "@A @B @C 参加，讲一下年检流程": who comes, then what the meeting is about.
_ATTENDING_THEN_TOPIC = re.compile(
    r"[\s,，@和、]*(?:也|都|一起)?(?:参加|参会|出席|列席|过来|来)[\s,，]+"
    rf"(?:{lx.AGENDA_CUE.pattern})\S.*"
)
_ATTENDING = re.compile(
    r"[\s,，@]*(?:你|你们|您)?(?:也|都|一起|一块儿?)?(?:线上|线下|远程|现场|准时)?"
    r"(?:参加|参会|出席|列席|到场|过来|来一下|来|旁听|听一下)(?:一下)?(?:吧|哈|啊|哦|呀|下)?[\s,，。!！~]*"
    # "@A @B 参加，预计两个小时": how long the meeting lasts may follow.
    r"(?:(?:预计|大概|大约|约|估计)?[0-9一二两三四五六七八九十半个.]{1,6}(?:小时|分钟|钟头)(?:左右)?[\s。!！~]*)?"
)


_ITEM_NOT_TASK = re.compile(r"[?？]|吗|呢$|谢谢|辛苦|收到|好的")


def _is_item_of(clause: Clause, header: Reading) -> bool:
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


def _item_task(r: Reading, msg: Message) -> bool:
    """Turn a list item with no verb ("合同归档") into a task; its header gives who and when."""
    clause = r.clause
    if clause is None or _ITEM_NOT_TASK.search(clause.text):
        return False
    removed = [(t.start - clause.start, t.end - clause.start) for t in clause.times]
    title = task_title(clause.text, removed)
    if len(title) < 2:
        return False
    args: dict[str, Any] = {"title": title}
    due = task_due(clause, msg)
    if due is not None:
        args["due"] = due.isoformat()
    people = [m.name for m in clause.mentions if m.known or m.at]
    r.kind, r.confidence = "task", 0.7
    r.calls = [{"tool": "create_task", "args": {**args, "assignee": p}} for p in people] or [
        {"tool": "create_task", "args": args}
    ]
    r.assignees, r.due, r.topic = people, due, title
    return True


def _share_deadlines(readings: list[Reading]) -> None:
    """ "小王做X，老李做Y，下周一前都要完成": one deadline said apart from the people covers all."""
    groups: dict[int, list[Reading]] = {}
    for r in readings:
        if r.kind == "task" and r.clause is not None:
            groups.setdefault(r.clause.sentence, []).append(r)
    for r in readings:
        # "…，两位周一下班前弄好就行": a clause of the doers together gives them all its due.
        if (
            r.kind == "info"
            and r.due is not None
            and r.clause is not None
            and _TOGETHER.match(r.clause.text)
        ):
            for task in groups.get(r.clause.sentence, []):
                for call in task.calls:
                    call["args"].setdefault("due", r.due.isoformat())
                    if _refines(r.due, str(call["args"]["due"])):
                        # "明天国航早班的餐 … 都是明天早上五点之前": the shared clock is the due.
                        call["args"]["due"] = r.due.isoformat()
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


def _inherit(task: Reading, source: Reading, msg: Message) -> None:
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
