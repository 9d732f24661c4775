"""Reader for new tasks (create_task): who does what by when, how urgent."""

from __future__ import annotations

import re
from dataclasses import replace
from typing import TYPE_CHECKING, Any

from assistant.engines.rules import lexicon as lx
from assistant.engines.rules.analysis import (
    DEADLINE_AFTER,
    Message,
    Reading,
    blank_people,
    blank_times,
    holiday_names_work,
    is_deadline,
    reason_for_reassignment,
    task_due,
    vocative_of,
)
from assistant.engines.rules.clauses import Clause
from assistant.engines.rules.people import Mention
from assistant.engines.rules.quantities import find_money
from assistant.engines.rules.slots import (
    priority,
    task_title,
)
from assistant.engines.rules.text import strip_particles

if TYPE_CHECKING:
    pass

__all__ = ["read_task"]


# "方案我下周三之前出完", "我有空再把脚本清理一下": 我 as the subject right before the work.
_SELF_DOER = re.compile(
    r"(?<![给帮让跟和叫找问向对替被])我(?!们)\s*(?:有空|有时间|回头|抽空|尽快|争取|先|会|再|就|马上|这就|\s)*"
    r"(?:之前|以前|前)?\s*(?=把|(?:" + lx.ACTION_VERB.pattern + r")(?:完|好|掉|出来)?)",
    re.IGNORECASE,
)


_SELF_DONE = re.compile(
    rf"(?:{lx.ACTION_VERB.pattern})(?:完|好|过)?了(?!再|就|之后|以后)", re.IGNORECASE
)
# "…，周四给你们看" / "，周三给老板" / "，明天发给我": when and to whom the work is handed over.
_HANDOVER_PART = re.compile(
    r"[,，]\s*(?:再|就|会|先)?\s*(?:发|交|拿|送)?给\s*[\u4e00-\u9fffA-Za-z]{1,4}?"
    r"(?:看看|看|过目|审|审核|确认|review)?(?:一下|下)?[\s吧哈啊。!！~]*$",
    re.IGNORECASE,
)


# "… 五点前要报给我", "… 周四前要交到合作社", "… 给我个数", "… 发给姚总": after the work, where
# its result goes (a person, a place or "a number for me"). Round 5.
_DELIVERY_PART = re.compile(
    r"(?:[,，]|\s)\s*(?:回头|弄完|做完|完了|要|再|就|会|先|然后|并|记得|需要|得)?\s*"
    r"(?:(?:报|交|送|发|递|传|拿|放|汇报|反馈|上报|报送|提交)(?:给|到|至|去|回)\s*[\u4e00-\u9fffA-Za-z0-9]{0,8}?"
    # "… 9点半前要通知我": telling someone that it is done.
    r"|(?:通知|告诉|知会)(?:我|你们?|大家|他|她)(?:一声|一下)?"
    # "… 发我邮箱", "… 传群里": sent to the sender or the group.
    r"|(?:发|传|抄送)(?:给|到)?(?:我|你们?|他|她|大家)?(?:的)?(?:邮箱|微信|企微|钉钉|群里|群)"
    r"|(?:给|跟)(?:我|你|他|她|咱|大家|[\u4e00-\u9fffA-Za-z]{1,4}?)(?:个|一个)"
    r"(?:数|准数|结果|答复|回复|准话|信儿?|反馈|消息|说法|意见|建议|回话))"
    r"(?:看看|看|过目|审|审核|确认|review)?(?:一下|下)?[\s吧哈啊呀。!！~]*"
    # "… 今天下班前发给护士长 加急": how urgent it is may close the request.
    r"(?:(?:加急|紧急|特急|急用|尽快|辛苦了?|谢谢)[\s吧哈啊呀。!！~]*)?$",
    re.IGNORECASE,
)


_SENT_AS_WORK = re.compile(r"(?P<v>发|交|送|报|寄|传)(?:给|到|去)")
# "…哈 家长都在问了", "… 商场那边催了": who is waiting for it, said after the request.
_WAITING_TAIL = re.compile(
    r"(?:[,，]|\s)\s*[\u4e00-\u9fffA-Za-z]{0,8}?(?:那边|这边)?(?:都|也|已经|一直|又|天天|一直在)*"
    r"(?:在催|催了|催得紧|催好几次了|在问了?|问了好几次|问了|在等着?|等着要|等着用|急着要|着急要|要了)"
    r"[了呢啊哈呀\s。!！~]*$"
)


def _handover_parts(clause: Clause) -> list[tuple[int, int]]:
    """The last comma part when it only hands the work over; its time stays the due."""
    waiting = _WAITING_TAIL.search(clause.text)
    if waiting is not None and lx.ACTION_VERB.search(blank_people(clause)[: waiting.start()]):
        return [(waiting.start(), len(clause.text))]
    blank = blank_times(clause)
    delivery = _DELIVERY_PART.search(blank)
    if delivery is not None and (
        lx.ACTION_VERB.search(blank_people(clause)[: delivery.start()]) is not None
        or _SENT_AS_WORK.search(blank, delivery.start()) is not None
    ):
        # With no other verb, sending it is the work: the title takes 发 back (read_task).
        return [(delivery.start(), len(clause.text))]
    m = _HANDOVER_PART.search(blank)
    if m is None or not clause.times or not blank[: m.start()].strip():
        return []
    if not any(t.start - clause.start >= m.start() for t in clause.times):
        return []
    return [(m.start(), len(clause.text))]


_SELF_CUE_VERB = re.compile(r"我(?:来|去|负责|跟进|跟|认领|接手?|包了|处理|这边来|这边负责|这边)")


_SHARED_DUE = re.compile(
    r"(?:(?:你们)?(?:两|三|四|几)位|你们?[俩两]个?|大家|各位)\s*(?:都)?\s*(?:之前|以前|前)?\s*"
    r"(?:弄好|做完|完成|搞定|弄完|交|交给我|给我|提交|搞完|处理好|准备好)?(?:就行|就可以|即可|就好)?[了吧哈啊。!！~\s]*"
)


def read_task(clause: Clause, msg: Message, question: bool) -> Reading | None:
    text = clause.text
    blank = blank_times(clause).strip()
    if _SHARED_DUE.fullmatch(blank) or (clause.times and lx.ALL_DUE.fullmatch(blank)):
        return None  # "，两位周一下班前弄好就行": the due of the jobs before, no job of its own
    if clause.header and not clause.list_item:
        return None
    if reason_for_reassignment(clause, msg):
        return None  # "… 交给梅梅吧 小军这两天要去分店盘点": why the work moved
    sender = msg.context.sender
    receiver: tuple[int, int] | None = None
    self_cue = lx.SELF_ASSIGN.search(text)
    if (
        self_cue is not None
        and self_cue.group(0) == "交给我"
        and (
            re.search(r"把|大家|各位|所有人|全员|同事们", text[: self_cue.start()])
            or any(
                (m.at or m.known) and m.start - clause.start < self_cue.start()
                for m in clause.mentions
            )
        )
    ):
        # "给我" of 交给我: who receives it; "做好交给我": the handing over is no work either.
        handed_over = self_cue.start() > 0 and text[self_cue.start() - 1] in "好完"
        receiver = (self_cue.start() + (0 if handed_over else 1), self_cue.end())
        # "各位把周报交给我": the sender receives the work, others do it.
        self_cue = None
    if self_cue is None:
        self_cue = _SELF_DOER.search(blank_times(clause))
        if self_cue is not None and _SELF_DONE.match(text, self_cue.end()):
            return None  # "报价单我看了 没问题": a report on what the sender did
    if self_cue is None and clause.times and not strip_particles(text, keep_le=True).endswith("了"):
        self_cue = re.search(
            r"(?<![给帮让跟和叫找问向对替被为])我(?:先|会|再|来|这边)?(?=把)", text
        )
    own_remark: tuple[int, int] | None = None
    remark = _SELF_REMARK.search(blank_times(clause))
    if remark is not None and any(
        (m.known or m.at) and m.name != sender and m.start - clause.start < remark.start()
        for m in clause.mentions
    ):
        # "@小东 把合同发我 我周末看": what the sender will do with it is no job of its own.
        self_cue, own_remark = None, (remark.start(), len(text))
    outsourced = _outsourced(clause, msg, question)
    if outsourced is not None:
        return outsourced
    polite = lx.POLITE_REQUEST.search(text) is not None
    if question and not (polite and (clause.mentions or re.search(r"你", text))):
        return None
    if lx.HYPOTHETICAL.search(text) and not clause.times:
        return None
    if _FOCUS.search(text) and not re.search(r"把|请|麻烦|记得|务必", text):
        return None  # "小雨先专心写论文": what someone is busy with, context for a change
    if lx.HESITANT.search(msg.text) and not any(m.at for m in clause.mentions):
        return None  # thinking aloud is no request; when unsure, no action
    # Assignees: the people the clause addresses, not those it merely talks about.
    assignees: list[str] = []
    talked_about: list[Mention] = []
    recipients: list[Mention] = []
    for m in clause.mentions:
        before = text[: m.start - clause.start]
        after = text[m.end - clause.start :]
        if after.startswith(
            ("的", "说", "那边", "那里", "提", "反馈", "讲")
        ) and not after.startswith(("的话", "提前", "提交", "提供", "提一下")):
            continue  # "小王说…", "小王的登录页": talked about; "小东提前把…" does the work
        joined = re.search(r"[和跟与及、]\s?$", before) is not None and any(
            p.name in assignees and p.end - clause.start >= len(before.rstrip()) - 1
            for p in clause.mentions
            if p.end <= m.start
        )
        if joined:
            assignees.append(m.name)
            continue
        if re.search(r"(?:发|交|转|递|送|抄送|传|报)给\s?$", before) and (m.known or m.at):
            # "@Tina 明天下班前把PPT发给安总": the person after 发给 receives it, whoever speaks.
            recipients.append(m)
            continue
        if _RECIPIENT_BEFORE.search(before) and not re.search(
            r"(?:[让请叫由]|@\S+\s)[^,，完好了掉]*$", before
        ):
            # "…写好发老周", "…交给财务": who receives the work, never its doer.
            recipients.append(m)
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
    vocative = vocative_of(clause)
    if vocative is not None and (self_cue is not None or len(assignees) > 1):
        # "老郑，报价单我来准备": the person called at the start is spoken to, not the doer.
        others = [m.name for m in clause.mentions if m is not vocative and m.name in assignees]
        if self_cue is not None or others:
            assignees = [a for a in assignees if a != vocative.name or a in others]
    if self_cue is not None and sender and sender not in assignees:
        assignees.append(sender)
    has_deadline = any(is_deadline(t, clause) for t in clause.times)
    verb = (
        lx.ACTION_VERB.search(blank_people(clause))
        or _BA_VERB.search(text)
        or _LONE_VERB.fullmatch(blank_people(clause))
    )
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
        ba_first = re.match(r"^(?:[^,，把]{0,8})把", text) is not None and (
            priority(text) is not None or re.match(r"^请把", text) is not None
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
    due = task_due(
        clause
        if own_remark is None
        else replace(
            clause,
            times=[t for t in clause.times if t.start - clause.start < own_remark[0]],
        ),
        msg,
    )
    if due is not None and due < msg.context.now and due.date() < msg.context.now.date():
        modifier = [
            t
            for t in clause.times
            if not is_deadline(t, clause)
            and re.fullmatch(r"上(?:个)?月|上周|上星期|去年|上季度|上半年|昨天", t.text)
            and re.match(
                r"[\u4e00-\u9fffA-Za-z](?<![把要我你他她就也都还在已])",
                text[t.end - clause.start :],
            )
        ]
        if not (modifier and verb is not None and (clause.mentions or imperative)):
            return None
        due = None  # "@A 核对上月账单": a past period names what the work is about
    # Names the sentence only talks about stay in the title ("跟小王对接接口").
    removed = [
        (m.start - clause.start, m.end - clause.start)
        for m in clause.mentions
        if m not in talked_about
    ]
    for t in clause.times:
        if holiday_names_work(t, clause):
            continue  # "元旦巡楼": the holiday stays in the name of the work
        a, b = t.start - clause.start, t.end - clause.start
        if text[b : b + 1] == "的":
            b += 1
        suffix = DEADLINE_AFTER.match(text[b:])
        if suffix is not None and suffix.group(0).strip() in ("交", "给", "完成"):
            suffix = None
        removed.append((a, b + (suffix.end() if suffix else 0)))
    removed.extend(_handover_parts(clause))
    if receiver is not None:
        removed.append(receiver)
    if own_remark is not None:
        removed.append(own_remark)
    wrapper = _REMIND_WRAPPER.match(text)
    if wrapper is not None:
        removed.append((0, wrapper.end()))  # "提醒大家…": the reminder wraps the work
    cost = _cost_part(text)
    if cost is not None:
        removed.append(cost[1])  # "，费用谈到四千五": what it costs, not what is done
    remark = _REMARK_PART.search(text)
    if remark is not None and remark.start() > 0:
        removed.append((remark.start(), len(text)))  # "，过期财务不收": what happens if not
    lead = _LEADING_JOINER.match(text)
    if lead is not None:
        removed.append((0, lead.end()))  # "还有小雨 你把…": the joiner is not the work
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
        raw_after = blank_times(clause)[cut:]
        for m in recipients:
            a, b = m.start - clause.start - cut, m.end - clause.start - cut
            if 0 <= a < len(raw_after):
                raw_after = raw_after[:a] + " " * (b - a) + raw_after[b:]
        raw_after = _HANDOVER_TAIL.sub("", raw_after.rstrip())
        handed = re.search(
            r"(?<=\S)\s*(?:交给|发给|给)(?:你们|大家|你|他|她)(?:看看|看|过目|确认)?[\s。!！~]*$",
            raw_after,
        )
        if handed is not None:
            raw_after = raw_after[: handed.start()]  # "我来换 周五前给你们看"
        after = task_title(
            raw_after,
            [
                (a - cut, min(b - cut, len(raw_after)))
                for a, b in removed
                if b > cut and a - cut < len(raw_after)
            ],
        )
        # "采购方案我来出 下周三之前给老周": the recipient after the verb is not the work.
        after = re.sub(
            r"(?<=[\u4e00-\u9fff])\s*(?:交给|发给|给)[\u4e00-\u9fffA-Za-z]{0,4}?(?:看看|看|过目|确认)?$",
            "",
            after,
        )
        if before and len(after) <= 2:
            title = f"{_ONE_CHAR_TITLES.get(after, after) if len(after) == 1 or not after else after}{before}"
            if after in ("跟", "接", "") or len(after) == 0:
                title = f"跟进{before}"
        else:
            title = task_title(text, removed)
    else:
        title = _verb_part_title(text, removed)
        fronted = _FRONTED_OBJECT.fullmatch(blank_people(clause_without_times(clause)))
        if (
            fronted is not None
            and fronted.start("obj") == 0
            and any(
                fronted.end("obj") <= m.start - clause.start < fronted.start("verb")
                for m in clause.mentions
            )
        ):
            # "培训手册 下周三前 @A @B 整理一版": the object first, the doers, then the verb.
            title = fronted.group("verb") + fronted.group("obj")
    title = re.sub(r"^(?:说|是|的|被|TODO|todo|待办|任务)[:：]?", "", title).strip()
    title = re.sub(r"(?:一起|一块儿?)$", "", title)
    title = re.sub(r"(?<=[\u4e00-\u9fffA-Za-z0-9]{2})给$", "", title)  # the recipient was blanked
    sent = _SENT_AS_WORK.search(text)
    if (
        title
        and sent is not None
        and re.sub(r"\s+", "", blank_times(clause_without_people(clause))[: sent.start()]) == title
    ):
        title = sent.group("v") + title  # "@X 报价单 今天下班前发给他们": sending it is the work
    if _ATTEND.fullmatch(title) and not self_cue:
        # "@小王 @李四 参加": who comes to a meeting, not a job.
        return None
    reading = Reading(kind="task", clause=clause, confidence=0.8)
    reading.assignees = assignees
    reading.due = due
    reading.priority = priority(text)
    reading.topic = title
    if len(title) <= 1:
        reading.verb = title
        reading.topic = _ONE_CHAR_TITLES.get(title, title)
        reading.confidence = 0.5
        reading.notes.append("任务标题不完整")
    many = len(assignees) > 1
    split_items = (
        _split_respectively(title, len(assignees))
        if many and re.search(r"分别|各自", text)
        else None
    )
    if many and split_items is None:
        # "@A @B 你们俩 一个负责装车 一个负责清点": one duty each, in order.
        duties = [p for p in re.split(r"(?:另|还有)?一个(?:人)?(?:负责|来|管)", title) if p.strip()]
        if len(duties) == len(assignees) and re.search(r"一个(?:人)?(?:负责|来|管)", title):
            split_items = duties
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
        if cost is not None:
            args["cost"] = cost[0]
        reading.calls.append({"tool": "create_task", "args": args})
    if not reading.calls:
        return None
    if not assignees:
        reading.confidence = 0.65
    elif bare_statement:
        reading.confidence = 0.7
    return reading


# "那份年报的排版外包给印象设计吧": handing the work to an outside party is the job, titled
# "外包<X>"; the party is no chat member, so there is no assignee.
_OUTSOURCE = re.compile(
    r"^(?:那就|就|先|要不|干脆)?(?:把|将|那份|这份|那个|这个|那批|这批)?(?P<obj>[\u4e00-\u9fffA-Za-z0-9]{2,16}?)"
    r"(?:也|都|就|先)?外包(?:给|出去)"
)


def _outsourced(clause: Clause, msg: Message, question: bool) -> Reading | None:
    text = clause.text
    m = _OUTSOURCE.search(blank_times(clause).strip())
    if m is None or question or lx.PAST_MARKER.search(text):
        return None
    if re.search(r"(?:了|的)[吧啊~!！。\s]*$", text.split("，")[0].split(",")[0]):
        return None  # "…外包给外面做的", "…外包出去了": a report, not a decision
    reading = Reading(kind="task", clause=clause, confidence=0.7)
    args: dict[str, Any] = {"title": f"外包{m.group('obj')}"}
    due = task_due(clause, msg)
    if due is not None:
        args["due"] = due.isoformat()
    reading.topic = args["title"]
    reading.due = due
    reading.calls.append({"tool": "create_task", "args": args})
    return reading


# "，费用谈到四千五", "报价定在1.2万": the price agreed for the work asked for.
_TASK_COST = re.compile(
    r"(?:费用|报价|价格|价钱|成本|工钱|人工费)(?:已经|已)?(?:谈到|谈成|谈好|谈下来|压到|砍到|定在|定为|定了|是|为|大概|约|控制在)了?\s*"
)


def _cost_part(text: str) -> tuple[float, tuple[int, int]] | None:
    """(amount, span of its comma part) of a cost said inside a request."""
    m = _TASK_COST.search(text)
    if m is None or m.start() == 0:
        return None
    amount = find_money(text, m.end())
    if amount is None:
        return None
    start = max(text.rfind(",", 0, m.start()), text.rfind("，", 0, m.start())) + 1
    ends = [i for i in (text.find(",", m.end()), text.find("，", m.end())) if i >= 0]
    return amount, (start, min(ends) if ends else len(text))


# "…写好发老周", "…核对完交给财务": the person after a hand-over verb receives the work.
_RECIPIENT_BEFORE = re.compile(
    r"(?<=[完好了掉])\s?(?:然后|再)?(?:发给?|交给?|转给?|抄送给?|递给|送给?)\s?$"
)
# What is left of such a hand-over once the recipient is blanked: "发  ", "交给财务", "发群里".
_HANDOVER_TAIL = re.compile(
    r"(?<=[完好了掉\s])\s*(?:然后|再)?(?:发给?|交给?|转给?|抄送给?|递给|送给?)\s*"
    r"(?:到)?(?:群里|群|大家|你们|你|他|她|各位[\u4e00-\u9fff]{0,4}|[\u4e00-\u9fffA-Za-z]{0,4})?[\s吧哈啊。!！~]*$"
)


_FRONTED_OBJECT = re.compile(
    r"(?P<obj>[\u4e00-\u9fffA-Za-z0-9]{2,12}?)\s{2,}(?:你们?|请|麻烦)?\s*"
    rf"(?P<verb>{lx.ACTION_VERB.pattern})(?:一版|一下|下|一遍|一稿|一份|好|完)?[\s吧哈啊~。!！]*",
    re.IGNORECASE,
)


def clause_without_people(clause: Clause) -> Clause:
    """The clause with its mentions blanked (offsets kept) and no mentions left."""
    chars = list(clause.text)
    for m in clause.mentions:
        for i in range(max(m.start - clause.start, 0), min(m.end - clause.start, len(chars))):
            chars[i] = " "
    return replace(clause, text="".join(chars).replace("@", " "), mentions=[])


def clause_without_times(clause: Clause) -> Clause:
    return replace(clause, text=blank_times(clause))


_FOCUS = re.compile(r"专心|先忙(?:着)?(?:手上|手头)?|正忙着|忙着|手头(?:还)?有")
_SELF_REMARK = re.compile(
    r"[,，\s]\s*我\s*(?:再|来|就|先|好)?\s*(?:看看|看|过目|审|审一下|确认|处理|弄)(?:一下|下)?"
    r"[吧哈啊。!！~\s]*$"
)
_REMIND_WRAPPER = re.compile(
    r"\s*(?:再|麻烦)?(?:提醒|通知|告诉)(?:一下|下)?(?:大家|各位|所有人|全员|同事们)\s*[,，:：]?"
)
_REMARK_PART = re.compile(
    r"[,，]\s*(?:过期|逾期|超时|晚了|迟了|否则|不然|要不然|过时)[^,，]{0,12}$"
)
_LEADING_JOINER = re.compile(
    r"\s*(?:还有就是|还有|另外|然后|再就是|此外|嗯+)(?=\s|@|[\u4e00-\u9fff])"
)


# "把水电走一下": a 把-phrase closed by a verb marker holds a verb, whatever the verb.
_BA_VERB = re.compile(r"[把将][\u4e00-\u9fffA-Za-z0-9]{2,12}?(?:一下|一遍|完|好|掉|出来)")
# "@敏敏 审一下": a clause that is only people and one character before 一下 asks for that verb.
_LONE_VERB = re.compile(r"[\s@]*(?:你|麻烦|帮忙|请)?[\u4e00-\u9fff](?:一下|下)[吧啊哈呀~。!！\s]*")
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
    head = re.fullmatch(r"(?P<own>[^的]{1,8})的(?P<head>[\u4e00-\u9fffA-Za-z0-9]{2,8})", parts[-1])
    if head is not None and all("的" not in p for p in parts[:-1]):
        # "一楼和二楼的元旦布置": the head noun after 的 is shared by every part.
        parts = [*parts[:-1], head.group("own")]
        parts = [f"{p.strip()}{head.group('head')}" for p in parts]
    verb = m.group("verb") or ""
    return [f"{verb}{p.strip()}" for p in parts]
