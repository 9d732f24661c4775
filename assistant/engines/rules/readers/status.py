"""Readers for updates of existing tasks: status reports, hand-overs, new dues."""

from __future__ import annotations

import re
from dataclasses import replace
from datetime import datetime
from typing import TYPE_CHECKING, Any

from assistant.engines.rules import lexicon as lx
from assistant.engines.rules.analysis import Message, Reading, is_deadline, reason_for_reassignment
from assistant.engines.rules.clauses import Clause
from assistant.engines.rules.quantities import find_money, find_shift
from assistant.engines.rules.readers.meeting_change import names_scheduled_event
from assistant.engines.rules.slots import (
    task_words,
)
from assistant.engines.rules.timeslots import (
    due_instant,
)

if TYPE_CHECKING:
    pass

__all__ = ["read_handover", "read_status", "read_task_change"]


_DONE_WEAK_TAIL = re.compile(r"^[了啦咯喽哈吧哦呀啊~!！。. ]*$")


_HANDOVER = re.compile(
    r"(?:交给|转给|改由|改成|换成|移交给|转交给|改派给|改派|转派给|分给|交由|让|换)\s*(?P<who>@?[^\s,，。]{1,8}?)"
    r"(?:负责|来做|来跟|跟进|处理|来弄|来搞|接手|来接|接|做|来)?[吧了哈。!！~]*$"
)
# Hand-over verbs that always move the work to someone else, even after 把.
_REASSIGN_STRONG = re.compile(
    r"转给|改派|转派|移交|转交|改由|换成|交由|换(?=[^,，。]{1,8}?(?:来做|来跟|负责|接手))"
)


def _without_reason(clause: Clause) -> Clause:
    """The clause cut after its hand-over when the rest only says why the owner changes."""
    m = lx.REASSIGN_THEN_REASON.search(clause.text)
    if m is None or not lx.OWNER_BUSY.search(clause.text[m.end() :]):
        return clause
    cut = clause.start + m.end()
    return replace(
        clause,
        text=clause.text[: m.end()],
        mentions=[x for x in clause.mentions if x.end <= cut],
        times=[t for t in clause.times if t.end <= cut],
    )


# "培训课件", "会议纪要": a thing made for an event is work, not the event.
_DELIVERABLE_OF_EVENT = re.compile(
    r"(?:培训|会议|年会|讲座|例会|周会)(?=课件|材料|资料|PPT|ppt|手册|视频|海报|纪要|记录|方案|场地|签到)"
)


def read_handover(clause: Clause, msg: Message, question: bool) -> Reading | None:
    """ "登录页交给小赵" → update_task with a new assignee."""
    if reason_for_reassignment(clause, msg):
        # "… 转给老邱吧 小军这两天要去总部培训": why the work moved; nothing to do, no topic.
        return Reading(
            kind="chat", confidence=0.85, notes=["转派的原因，不生成动作"], clause=clause
        )
    clause = _without_reason(clause)
    text = clause.text
    m = _HANDOVER.search(text)
    if m is None or question or lx.MEETING_NOUN.search(_DELIVERABLE_OF_EVENT.sub("", text)):
        return None
    strong = _REASSIGN_STRONG.search(text[: m.end()]) is not None
    if any(is_deadline(t, clause) for t in clause.times) or (
        "把" in text[: m.start()] and not strong and m.group("who") in ("我", "我来")
    ):
        # "明天前把周报交给我": sending work over by a deadline is a task, not a hand-over.
        return None
    if m.group(0).startswith(("让", "换")) and not strong:
        return None
    people = [x for x in clause.mentions if x.start - clause.start >= m.start("who") - 1]
    if m.group("who") in ("我", "我来"):
        who = msg.context.sender
    elif people:
        who = people[0].name
    else:
        return None
    removed = [(x.start - clause.start, x.end - clause.start) for x in clause.mentions]
    words = task_words(re.sub(r"^.*?(?:把|将)", "", text[: m.start()]), removed)
    words = re.sub(r"^(?:这个|那个)?(?:任务|活|事情?)$", "", words)
    words = re.sub(r"(?:这个|那个)?(?:任务|活儿?|工作|事情|事儿|事)$", "", words).strip() or words
    # "那个排班的事", "采购单那个": the pointing words are no part of the task's name.
    words = (
        re.sub(r"(?:这个|那个)(?:ticket|issue|单子?|需求|工单)$", "", words, flags=re.I).strip()
        or words
    )
    words = re.sub(r"^(?:那个|这个)|(?:的|那个|这个)$", "", words).strip() or words
    if len(words) < 2:
        return None
    return Reading(
        kind="status",
        calls=[{"tool": "update_task", "args": {"task": words, "assignee": who}}],
        confidence=0.75,
        clause=clause,
    )


_RESULT_OK = re.compile(
    r"(?:现在|已经|目前|都)?(?:恢复)?正常了|(?:现在|已经)?(?:能用|好用|好使|通了|不漏了|不响了|不卡了)了?[\s。!！~]*$"
    r"|现在(?:都)?好了[\s。!！~]*$"
)
_REPLACED = re.compile(
    r"(?P<obj>[\u4e00-\u9fffA-Za-z0-9]{2,8}?)(?:也|都)?(?:换了|修了|更换了|换成了?|重装了|修好了|补好了)"
)


def _fixed_part(text: str) -> str | None:
    """The part named in a repair report that ends in a working state, if any."""
    ok = _RESULT_OK.search(text)
    if ok is None:
        return None
    parts = re.split(r"[\s,，。]+", text[: ok.start()])
    for part in reversed(parts):
        m = _REPLACED.search(part)
        if m is not None:
            words = task_words(re.sub(r"^.*?[把将]", "", m.group("obj")), [])
            if len(words) >= 2:
                return words
    return None


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
    if done is None and not _PAST_TIME.search(text):
        done = lx.DONE_MORE.search(text)
    elif done is not None and len(done.group(0)) <= 2:
        # "海报印完了": the bare 完了 belongs to the verb before it, which names no task.
        whole = lx.DONE_MORE.search(text, max(done.start() - 2, 0))
        if whole is not None and whole.end() == done.end() and whole.start() < done.start():
            done = whole
    progress = lx.IN_PROGRESS.search(text)
    shift = lx.DUE_SHIFT.search(text)
    ba_done = _BA_DONE.search(text)
    fixed = None
    if not future_deadline:
        # "…，门锁换了个新的，现在好了": the repair may be said in the comma parts before.
        head = re.split(r"[。！!？?\n]", msg.text[: clause.start])[-1]
        fixed = _fixed_part(text) or (_fixed_part(head + text) if head.strip() else None)
    if fixed is not None and blocked is None:
        # "师傅来过了 水泵换了个新的 现在正常了": the part was replaced and works again.
        return Reading(
            kind="status",
            calls=[{"tool": "update_task", "args": {"task": fixed, "status": "done"}}],
            confidence=0.7,
            clause=clause,
        )
    partial_first = _PARTIAL.search(text)
    if (
        blocked is not None
        and partial_first is not None
        and partial_first.start() < blocked.start()
        and "等" in blocked.group(0)
        and re.search(r"[,，]", text[partial_first.end() : blocked.start()])
    ):
        # "标签贴了一半，还剩两个展厅，要等馆长确认文案": progress, with a wait still to come.
        blocked = None
    if blocked is not None and "说" in text[: blocked.start()] and "不" in blocked.group(0):
        return None  # "老邱说设备还是过不了 等厂家来": a failure reported by someone else
    if blocked is not None:
        status, cue = "blocked", blocked
        note = _blocked_note(text, blocked)
    elif cancelled is not None and not names_scheduled_event(clause):
        status, cue = "cancelled", cancelled
        said = [p for p in re.split(r"[,，。;；]", text[: cancelled.start()]) if "说" in p]
        reason = re.match(
            r"^(?:了|啦|吧)?[\s,，]+(?P<why>\S.{1,30}?)[\s。!！~]*$", text[cancelled.end() :]
        )
        if said:
            # "甲方说预算砍了，宣传片先不做了": what was said is the reason.
            note = said[0].strip(" ~!！")
        elif (
            reason is not None
            and cancelled.group(0).startswith("取消")
            and re.search(r"说|因为|由于|原因", reason.group("why"))
            and not lx.TASK_CANCELLED.search(reason.group("why"))
        ):
            # "土壤取样取消 农技站说这周还要下雨": the reason follows the cancellation.
            note = re.sub(r"^(?:因为|由于|原因是)", "", reason.group("why"))
    elif (
        (partial := _PARTIAL.search(text)) is not None
        and not future_deadline
        and not _PAST_TIME.search(text[: partial.start()])
    ):
        # "续约回访打了8家，还剩3家": part done, part left — in progress, the count is the note.
        head = _PROGRESS_COUNT.search(text)
        cut = (
            head.start() if head is not None and head.start() < partial.start() else partial.start()
        )
        words = task_words(
            text[:cut],
            [
                (m.start - clause.start, m.end - clause.start)
                for m in clause.mentions
                if m.known or m.at
            ],
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
                            "progress_note": _progress_note(text, cut, partial),
                        },
                    }
                ],
                confidence=0.7,
                clause=clause,
            )
    elif (
        done is not None
        and not future_deadline
        and not (at_addressed and "把" in text)
        and not _NOTICE.search(msg.text)
    ):
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
    if (
        status == "done"
        and _PAST_TIME.search(text[: cue.start()])
        and _WHERE_TO_FIND.search(msg.text[clause.start + cue.end() :])
    ):
        # "样稿昨天就弄好了，在共享盘里": where to find what was ready long ago, not news.
        return Reading(kind="chat", confidence=0.8, notes=["早已完成，告知位置"], clause=clause)
    removed = [
        (m.start - clause.start, m.end - clause.start) for m in clause.mentions if m.known or m.at
    ]
    removed += [(t.start - clause.start, t.end - clause.start) for t in clause.times]
    if status == "in_progress":
        # "我开始做支付了": the task is what comes after the verb; before it, only the subject.
        after = lx.IN_PROGRESS.sub(" ", text[cue.end() :])
        if re.match(r"^(?:了|啦|呢|着)?\s*[,，]", after):
            after = ""  # "CT室空调维修我在做了，配件下午到": the next part is news, not the task
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


# "值班表已经发群里了，请大家查收": a notice to everyone that something is out, not a report
# on one's own task.
_PAST_TIME = re.compile(
    r"昨天|前天|上周|上个星期|上礼拜|上个月|去年|上次|那天|之前"
    r"|\b(?:yesterday|last (?:week|month|time|year|monday|tuesday|wednesday|thursday|friday)|the other day)\b",
    re.I,
)
# "…，在共享盘里", "放在群文件里": where a thing can be found.
_WHERE_TO_FIND = re.compile(
    r"(?:放在|存在|存到|传到|传在|放到|上传到|发到|发在|在)[^,，。!！?？]{1,14}?"
    r"(?:里|上|中|目录|文件夹|群文件|网盘|共享盘|邮箱)"
)
_NOTICE = re.compile(r"大家|各位|全体|所有人|查收|知悉|周知|请注意|留意")
# Counters of work: 3栋, 10条, 第87页.
_MEASURE = (
    r"(?:个|家|条|份|项|篇|位|台|页|张|件|人|栋|排|层|间|户|套|批|箱|集|章|节|段|本|道|题|车|单|组|轮|棵|块|幅|首|款|只|头|床|"
    # Round 5: land, length, weight and trips.
    r"亩|平米|平方米?|米|公里|吨|公斤|千克|斤|株|垄|趟|封|盒|袋|桶|瓶|份儿)"
)
# A count: digits or Chinese numerals, "二十来份", "两百多盒".
_COUNT = r"[0-9一二三四五六七八九十两几百千万]+\s*(?:来|多|余)?"
_PARTIAL = re.compile(
    rf"还(?:剩|差|有)(?:下)?\s*{_COUNT}\s*(?:{_MEASURE}|%)"
    # "校对做到第87页了 后面的明天继续": how far the work has got.
    rf"|(?:{lx.ACTION_VERB.pattern}|做|写|翻|译|读|看|剪|录|审)到(?:了)?第?\s*[0-9一二三四五六七八九十百两]+\s*{_MEASURE}"
    r"|完成了?(?:一半|大半|\d{1,2}%|百分之[一二三四五六七八九十]+)"
    # "写了大半了", "测了一半", "贴了一大半" (any one-character verb but 过: "假期过了一半"),
    # "80%了", "做了一部分", "进度50%".
    r"|(?!过)[\u4e00-\u9fff]了\s*(?:一?大半|一半|大部分|一部分|多半|七七八八|\d{1,2}%|百分之[一二三四五六七八九十]+)"
    r"|(?:进度|完成度|完成了?)?\s*\d{1,2}\s*%\s*(?:了|啦)?$|还差(?:一点|一些|最后|一点点|一丢丢)"
)


_PROGRESS_COUNT = re.compile(
    rf"(?:(?:{lx.ACTION_VERB.pattern}|打|跑|谈|拜访|回访)(?:了|好了?|完了?)?|[\u4e00-\u9fff](?:了|好了?|完了?))\s*"
    rf"{_COUNT}\s*{_MEASURE}"
    # "贴了一半，还剩…": a share done starts the progress too.
    r"|(?!过)[\u4e00-\u9fff]了\s*(?:一?大半|一半|大部分|一部分|多半)"
)


def _progress_note(text: str, cut: int, partial: re.Match[str]) -> str:
    """The counts of a progress report, without what is said after them ("下午弄完")."""
    end = partial.end()
    rest = text[end:]
    more = _PARTIAL.search(rest)
    if more is not None and (
        not re.search(r"[,，。]", rest[: more.start()])
        or re.fullmatch(r"[了啦\s]*[,，]\s*", rest[: more.start()])
    ):
        end += more.end()  # "做了3排 还剩2排", "录了一大半了，还剩二十来份": both counts
    # "还剩两个展厅": the counted noun belongs to the count.
    noun = re.match(r"[\u4e00-\u9fffA-Za-z]{1,4}(?=[\s,，。!！~]|$)", text[end:])
    if noun is not None and not re.match(
        r"(?:明天|后天|今天|下午|上午|晚上|要|得|等)", noun.group(0)
    ):
        end += noun.end()
    return text[cut:end].strip(" ,，。!！~了")


# "A的B到了" / "A的B来了": a predicate that reports on a part, not the task.
_PART_PREDICATE = re.compile(r"(?:已经|都|也)?(?:到|来|回来|送到|寄到|到货|到齐)了?$")


# A fault reported about a thing: "又崩了", "又宕机了", "还是漏油", "还是不制冷".
_FAULT = re.compile(
    r"(?:又|还是|一直|老是)(?:崩|宕机|挂|坏|断|漏|不|没|停|死机|卡|报错|出错|故障)|崩了|宕机了?|挂了|坏了"
)
_FAULT_TAIL = re.compile(
    r"(?:又|还是|一直|老是|始终|总是)[\u4e00-\u9fff]{0,2}?(?:崩|宕机|挂|坏|断|漏|不|没|停|死机|卡|报错|出错|异常|故障)"
    r"[\u4e00-\u9fff]{0,4}?了?\s*$"
)


# Stock words that only say "done" or "passed"; never the name of a task.
_STOCK_DONE = re.compile(
    r"(?:都|也|已经|已|全部|总算|终于)?(?:搞定|ok|OK|Ok|好了|完成|完事|齐活|妥了|妥|done|Done|DONE|收工|"
    r"没问题|通过|合格)?(?:了|啦|咯|喽|哈)?[\s!！~。]*",
)
_STOCK_DONE_TAIL = re.compile(
    r"(?:都|也|已经|已|全部|总算|终于)?(?:通过|合格|搞定|ok|OK|Ok|没问题|done)(?:了|啦|咯)?\s*$"
)


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
    # "服务器又宕机了 我的数据导出卡着": a spaced part that reports a fault is the cause, not the work.
    spaced = re.split(r"\s{1,3}(?=\S)", before.strip())
    if len(spaced) > 1 and _FAULT.search(spaced[0]) and len(task_words(spaced[-1], [])) >= 2:
        before = spaced[-1]
    before = _FAULT_TAIL.sub("", before.rstrip())
    parts = re.split(r"[,，]", before)
    # "权限测试通过了，搞定 ✅": a part that only says "done" in stock words names nothing;
    # the task is in the part before it, without its own verdict ("通过了").
    stock = False
    while parts and parts[-1].strip() and _STOCK_DONE.fullmatch(parts[-1].strip()):
        parts.pop()
        stock = True
    if not parts:
        return ""
    if stock:
        parts[-1] = _STOCK_DONE_TAIL.sub("", parts[-1].rstrip())
    before = ",".join(parts)
    if len(parts) < 2:
        return _join_of(before)
    last = parts[-1]
    chosen = last if len(task_words(last, [])) >= 2 else parts[0]
    chosen = _FAULT_TAIL.sub("", chosen.rstrip())
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


# --------------------------------------------------------------------------- other changes

_PRIORITY_CHANGE: list[tuple[re.Pattern[str], str]] = [
    (
        re.compile(
            r"优先级(?:调|提|升)(?:高|上去|上来)|(?:提|调)(?:一下|下)?[^,，。]{0,12}?的?优先级|改成高优先级|调成高优先级|"
            r"设为高优先级|优先级(?:改|设|调)(?:成|为)?(?:高|P1)|升(?:为|到)?P1|提到P1|bump (?:the )?priority",
            re.I,
        ),
        "high",
    ),
    (
        re.compile(
            r"(?:改成|改为|调成|升级为|设为)(?:紧急|加急|P0)|现在最急|最优先|优先级(?:改|设|调)(?:成|为)?(?:紧急|最高|P0)|升(?:为|到)?P0|"
            r"(?<![把将])加急(?:处理)?(?:一下)?[吧啊了!！。]*$",
            re.I,
        ),
        "urgent",
    ),
    (
        re.compile(
            r"不急了|不着急了|优先级(?:调|降)(?:低|下来)|降低优先级|(?:改成|改为|调成|设为)低优先级|往后放|放一放|先放放|"
            r"降(?:为|到)?P[23]|优先级(?:改|设|调)(?:成|为)?(?:低|P2|P3)",
            re.I,
        ),
        "low",
    ),
]
_REOPEN = re.compile(
    r"重新打开|重开|重新开启|reopen(?:ed)?|返工|重新做|得重做|打回(?:来)?了|退回来了", re.I
)
_QUOTING_PARTY = re.compile(
    r"\s*(?:厂家|厂商|供应商|商家|店家|师傅|对方|乙方|工厂|施工方|服务商|代理)(?:那边|的)?\s*$"
)
_COST = re.compile(
    r"(?:费用|成本|花费|花了|报价|预算|开销|costs?)(?:是|为|大概|约|一共|共|:|：)?\s*", re.I
)
_TASK_LEAD = re.compile(
    r"^(?:[\u4e00-\u9fffA-Za-z]{1,4}?)?(?:这边|那边)?(?:汇报|同步|报告|更新|说)(?:一下|下)[:：,，\s]*|^(?:把|将)"
)


def _task_of(text: str, clause: Clause, cut: int) -> str:
    """The words before ``cut`` that name the task, people, times and wrappers removed."""
    removed = [
        (m.start - clause.start, m.end - clause.start) for m in clause.mentions if m.known or m.at
    ]
    removed += [(t.start - clause.start, t.end - clause.start) for t in clause.times]
    head = text[:cut]
    lead = _TASK_LEAD.search(head)
    if lead is not None:
        removed.append((lead.start(), lead.end()))
    words = task_words(_subject_part(text, cut, removed), [])
    words = re.sub(
        r"(?:的)?(?:优先级|任务|截止时间|截止日期|deadline|ddl|时间)$", "", words, flags=re.I
    )
    words = re.sub(r"^(?:提一下|提下|调一下|调下|把|将|这个|那个)", "", words)
    words = re.sub(r"(?:那个|这个|那块|这块)?(?:还得|还要|需要|得|要|还)?$", "", words)
    return words.strip()


_ACT_AFTER_CALL = re.compile(
    rf"[\s,，:：]*(?:你们?|请|麻烦|帮忙)?\s*(?:先|赶紧|马上|尽快|去|来)?\s*(?:{lx.ACTION_VERB.pattern})",
    re.IGNORECASE,
)


def _asks_someone_to_act(clause: Clause) -> bool:
    """The clause calls someone and goes straight on to a verb of work."""
    called = [m for m in clause.mentions if m.at and m.start == clause.start]
    if not called:
        return False
    return _ACT_AFTER_CALL.match(clause.text, called[-1].end - clause.start) is not None


def read_task_change(clause: Clause, msg: Message, question: bool) -> Reading | None:
    """Priority, reopen, a relative move of the due, or a cost of an existing task."""
    text = clause.text
    if question or lx.HYPOTHETICAL.search(text):
        return None
    if "把" in text and (clause.mentions or clause.times):
        return None  # "@小武 明天把单据准备好，加急": a new task, with its priority
    ref_id = lx.TASK_REF_ID.search(text)
    args: dict[str, Any] = {}
    cut: int | None = None
    for pattern, level in _PRIORITY_CHANGE:
        m = pattern.search(text)
        if m is not None:
            args["priority"], cut = level, m.start()
            if text[: m.start()].rstrip().endswith("的"):
                cut = m.start()
            break
    if not args:
        m = _REOPEN.search(text)
        if m is not None:
            args["status"], cut = "todo", m.start()
    if not args and not names_scheduled_event(clause):
        shift = find_shift(text, msg.durations, clause.start)
        after_new = [
            t for t in clause.times if shift is not None and t.start - clause.start >= shift.end
        ]
        if shift is not None and not after_new and abs(shift.minutes) >= 60:
            args["shift_minutes"], cut = shift.minutes, shift.start
    if not args:
        m = _COST.search(text)
        if m is not None:
            amount = find_money(text, m.end())
            if amount is not None and not re.search(r"项目|预算", text[: m.start()]):
                args["cost"], cut = amount, m.start()
                # "展架制作 供应商报价一千八": who quotes is not part of the task's name.
                party = _QUOTING_PARTY.search(text[:cut])
                head = re.sub(
                    r"^(?:这个|那个|这项|那项)", "", text[: party.start()] if party else ""
                )
                if party is not None and len(head.strip()) >= 2:
                    cut = party.start()
    if not args or cut is None:
        return None
    if "priority" in args and _asks_someone_to_act(clause):
        return None  # "@小马 你联系下厂家售后 加急": a new request, with its priority
    if (
        "priority" in args
        and any(m.at for m in clause.mentions)
        and (clause.times or re.search(r"(?:发|交|送|报|传)(?:给|到)", text))
    ):
        return None  # "@X 对账单 今天下班前发给他们 加急": a new urgent request
    if (
        any((m.known or m.at) for m in clause.mentions)
        and "priority" not in args
        and "status" not in args
    ):
        return None  # "@小王 提前一天把…交了": a request to a person
    if ref_id is not None:
        task: Any = int(ref_id.group(1))
    else:
        task = _task_of(text, clause, cut)
        if "priority" in args and len(task) < 2:
            # "提一下登录页的优先级": the task is named inside the cue.
            inner = re.search(r"(?:提|调)(?:一下|下)?(?P<t>[^,，。]{2,12}?)的?优先级", text)
            task = inner.group("t") if inner is not None else task
        if len(task) < 2:
            return None
    args = {"task": task, **args}
    return Reading(
        kind="status",
        calls=[{"tool": "update_task", "args": args}],
        confidence=0.7,
        clause=clause,
    )
