"""Readers for requests to Qunmi itself: summarize, report, set_reminders and ask.

None of them has a doer: a clause that gives the work to a person ("@小王 把周会纪要整理一下")
is a task, not a request to the secretary.
"""

from __future__ import annotations

import re
from dataclasses import replace
from typing import Any

from assistant.engines.rules.analysis import (
    Message,
    Reading,
    blank_people,
    is_deadline,
    vocative_of,
)
from assistant.engines.rules.clauses import Clause
from assistant.engines.rules.quantities import period_of
from assistant.engines.rules.readers.query import possessor
from assistant.engines.rules.slots import meeting_ref

__all__ = ["read_ask", "read_reminders", "read_report", "read_summarize"]


def _has_doer(clause: Clause, msg: Message) -> bool:
    """Someone other than Qunmi is asked to do it: a member named or @mentioned, or 我来."""
    if re.search(r"我来|我写|我出|我整理|我发|我负责", clause.text):
        return True
    if re.search(r"我[^,，。把]{0,8}把", clause.text):
        return True  # "我今晚把会议纪要整理好发群里": the sender does it
    return any((m.known or m.at) and m.name != msg.context.sender for m in clause.mentions)


# --------------------------------------------------------------------------- summarize

_SUMMARY = re.compile(
    r"总结|汇总一下(?:讨论|聊天|群聊|大家说的)|回顾一下|纪要|(?:群里|大家|今天|这周|本周|昨天|刚才|会上)[^,，。]{0,6}?"
    r"(?:聊了|讨论了|说了)(?:些)?(?:什么|啥)|讨论了(?:些)?(?:什么|啥)|recap|summary|summari[sz]e|meeting minutes|the minutes|minutes of",
    re.IGNORECASE,
)
_SUMMARY_NOT = re.compile(r"总结会|总结大会|年终总结|述职|总结报告|工作总结|个人总结")
_MEETING_WORD = re.compile(r"会议?|评审|复盘|sync|meeting|standup|站会|例会", re.IGNORECASE)


def read_summarize(clause: Clause, msg: Message, question: bool) -> Reading | None:
    """ "总结一下今天群里聊了什么" → since today; "出一下周会纪要" → meeting "周会"."""
    text = clause.text
    cue = _SUMMARY.search(text)
    if cue is None or _SUMMARY_NOT.search(text) or _has_doer(clause, msg):
        return None
    if re.search(r"(?:写|做|整理|出)(?:好|完)了|发了|已发|已经|群里了|出来了", text) or (
        re.search(r"了[吧啊哈~!！。]*$", text) and not re.search(r"一下|下吧|总结下", text)
    ):
        return None  # "纪要写好了", "上周的会议纪要发群里了": a report of work done.
    args: dict[str, Any] = {}
    blank = blank_people(clause)
    meeting_words = re.sub(r"刚才|刚刚|上午|下午|今天|昨天|这次|那次|的", "", blank)
    meeting = _MEETING_WORD.search(meeting_words)
    if meeting is not None and not re.search(r"群里|群聊|大家", text):
        head = re.split(r"[,，]", meeting_words[: meeting.end()])[-1]
        head = re.sub(
            r"^.*?(?:把|将|出一下|出下|出个|出|发一下|发下|来个|做个|整理一下|整理下|给我)",
            "",
            head,
        )
        head = re.sub(r"^(?:总结一下|总结下|总结)", "", head)
        args["meeting"] = meeting_ref(head)
    else:
        now = msg.context.now
        for t in clause.times:
            period = period_of(t)
            if period is None:
                continue
            since, until = period
            args["since"] = since.isoformat()
            if until <= now:
                args["until"] = until.isoformat()
            break
    return Reading(
        kind="command",
        calls=[{"tool": "summarize", "args": args}],
        confidence=0.8,
        clause=clause,
    )


# --------------------------------------------------------------------------- report

_REPORT = re.compile(r"周报|简报|weekly report|weekly|项目报告|项目汇报", re.IGNORECASE)
_REPORT_ASK = re.compile(
    r"^(?:出|发|生成|来|给|做|看|要|拉|导出|整)|(?:出|发|生成|来|给|做|看|拉|导出)(?:一下|下|一份|个|份)?"
    r"(?:本周|这周|上周|这个星期|本星期)?(?:的)?|呢[?？]?$|[?？]$|呢$",
    re.IGNORECASE,
)
_REPORT_NOT = re.compile(
    r"(?:写|交|提交|填|发)(?:好|完)?了|已(?:经)?(?:发|交|提交|写)|(?:写|交|发)周报|周报(?:写|交|填)|"
    r"不要|别|停|关|取消|暂停|不用"
)
_PROJECT_NAMED = re.compile(
    r"[【「“\"](?P<a>[^】」”\"]{1,30})[】」”\"]|(?P<b>[\u4e00-\u9fffA-Za-z0-9]{2,12}?)(?:项目)(?:的)?"
)


# What precedes "的周报" without naming a project: the request verb and the period
# ("出一下这周的周报" asks for this week's report of the chat's project).
_REPORT_LEAD = re.compile(
    r"^(?:帮忙|帮我|麻烦|请)?(?:出|发|生成|来|给|做|看|要|拉|导出|整)(?:一下|下|一份|份|个)?"
    r"|(?:本周|这周|上周|这个星期|本星期|上个星期|本月|这个月|上个月|今天|昨天|最近)$"
)


def read_report(clause: Clause, msg: Message, question: bool) -> Reading | None:
    """ "出一下周报" / "本周简报" / "周报呢" → report weekly; not "周报已发" (a status)."""
    text = clause.text
    cue = _REPORT.search(text)
    if cue is None or _has_doer(clause, msg):
        return None
    if _REPORT_NOT.search(text) and not re.search(r"(?:出|生成|发)(?:一下|下)周报", text):
        return None
    if not msg.addressed and ("把" in text or any(is_deadline(t, clause) for t in clause.times)):
        return None  # "今天下班前把周报发我": someone is to send their report
    rest = text[: cue.start()] + text[cue.end() :]
    if not (_REPORT_ASK.search(text) or msg.addressed or len(rest.strip(" 的本这上周")) <= 4):
        return None
    args: dict[str, Any] = {"kind": "weekly"}
    named = _PROJECT_NAMED.search(text[: cue.start()])
    if named is not None:
        name = (named.group("a") or named.group("b") or "").strip()
        name = re.sub(
            r"^(?:出|发|生成|来|给|做|看|一下|下|一份|份|个|的|这周|本周|我们|咱们)+", "", name
        )
        if len(name) >= 2 and name not in ("这个", "那个", "整个"):
            args["project"] = name
    else:
        owner = re.match(
            r"(?P<h>[^,，。]{2,12}?)的(?:本周|这周|上周|最新|项目)?的?$", text[: cue.start()]
        )
        head = _REPORT_LEAD.sub("", owner.group("h")) if owner is not None else ""
        name = possessor(head) if head else None
        if name:
            args["project"] = name
    return Reading(
        kind="command", calls=[{"tool": "report", "args": args}], confidence=0.8, clause=clause
    )


# --------------------------------------------------------------------------- set_reminders

_REMINDER_NOUN = re.compile(
    r"(?P<what>逾期汇总|逾期提醒|超期提醒|每日汇总|每日提醒|每天提醒|每日|每天|日报|会前提醒|开会提醒|会议提醒|会前|到期提醒|截止提醒|deadline提醒|ddl提醒|"
    r"到期|截止|倒计时|countdown|周报|简报|风险预警|风险提醒|预警|风险|所有提醒|全部提醒|提醒)",
    re.IGNORECASE,
)
_OFF = re.compile(
    r"关闭|关掉|关了|关一下|关上|全关|都关|别再?|不要再?|不用再?|停掉|停了|停一下|停止|暂停|取消|先停|不需要|turn off|disable|stop",
    re.IGNORECASE,
)
_ON = re.compile(
    r"打开|开启|开一下|恢复|启用|重新开|开通|全开|都开|turn on|enable|resume", re.IGNORECASE
)
_WHAT = [
    (re.compile(r"每日|每天|日报|逾期|超期"), "daily"),
    (re.compile(r"会前|开会|会议"), "meeting"),
    (re.compile(r"到期|截止|deadline|ddl", re.IGNORECASE), "deadline"),
    (re.compile(r"倒计时|countdown", re.IGNORECASE), "countdown"),
    (re.compile(r"周报|简报"), "weekly_report"),
    (re.compile(r"风险|预警"), "risk"),
]


def read_reminders(clause: Clause, msg: Message, question: bool) -> Reading | None:
    """ "关闭每日提醒" → daily off; "打开会前提醒" → meeting on; "别再提醒了" → all off.

    Several reminders said in a row ("倒计时就先别发了 周报也停一下") give one call each.
    """
    parts = [p for p in re.split(r"[\s,，;；]+", clause.text) if p]
    if len(parts) >= 2 and sum(1 for p in parts if _REMINDER_NOUN.search(p)) >= 2:
        found = [
            _read_one_reminder(replace(clause, text=p, mentions=[], times=[]), msg, question)
            for p in parts
        ]
        calls = [c for r in found if r is not None for c in r.calls]
        if len(calls) >= 2:
            return Reading(kind="command", calls=calls, confidence=0.75, clause=clause)
    return _read_one_reminder(clause, msg, question)


def _read_one_reminder(clause: Clause, msg: Message, question: bool) -> Reading | None:
    text = clause.text
    noun = _REMINDER_NOUN.search(text)
    if noun is None or question or _has_doer(clause, msg):
        return None
    if re.search(r"提前[^,，。]{1,8}提醒|提醒(?:我|大家|他|她|一下|下)|记得提醒", text):
        return None  # a meeting's reminder time, or a request to remind someone
    off = _OFF.search(text)
    on = _ON.search(text)
    if off is None and on is None:
        return None
    what_word = noun.group("what")
    if what_word in ("每天", "每日") and "提醒" not in text and "发" not in text:
        return None
    if what_word in ("周报", "简报") and not re.search(r"不要|别|停|关|恢复|打开|开启", text):
        return None
    if what_word in ("到期", "截止", "风险") and "提醒" not in text and "预警" not in text:
        return None
    what = "all"
    if not re.search(r"所有|全部|一切|都", text):
        for pattern, name in _WHAT:
            if pattern.search(what_word):
                what = name
                break
    enabled = on is not None and (off is None or on.start() > off.start())
    return Reading(
        kind="command",
        calls=[{"tool": "set_reminders", "args": {"what": what, "enabled": enabled}}],
        confidence=0.8,
        clause=clause,
    )


# --------------------------------------------------------------------------- ask

# A question about what the team said, decided, shared or did before, or a file request.
_MEMORY_CUE = re.compile(
    r"(?:之前|上次|以前|当时|那时|前几天|上周|刚才|最早|原来)[^,，。]{0,12}?(?:说|定|讨论|提|聊|决定|商量|约定|讲|发)"
    r"|怎么定的|定的是|定了(?:什么|啥|没)|(?:说|提|讲|聊|讨论)过|决定的|是谁提的|谁提的|谁说的|谁定的|"
    r"谁负责|谁在负责|谁跟的|谁在跟|谁对接|(?:为什么|为啥)[^,，。?？]{0,10}?(?:延期|推迟|改|取消|换|没|不|定|选|砍|延|拖|停)|"
    r"怎么回事|是什么来着|来着|结论是(?:什么|啥)|结论呢|有没有人(?:说|提|发|做|问)过"
)
_WHERE = re.compile(
    r"在哪|在哪里|在哪儿|放哪|放在哪|存哪|哪里能找到|哪能找到|最新版|最新的|链接|"
    r"(?<![A-Za-z])(?:where(?:'s| is| are| can i find)|latest)(?![A-Za-z])",
    re.I,
)
_FILE_NOUN = re.compile(
    r"文件|文档|设计稿|稿子|稿|表格|表|报告|报表|链接|地址|PPT|ppt|pdf|PDF|excel|Excel|word|合同|附件|"
    r"截图|图片|原型|方案|纪要|录屏|视频|资料|模板|清单|报价单|单据|协议|figma|Figma|doc|"
    r"(?<![A-Za-z])(?:deck|slides|sheet|spreadsheet|file|link|report|pdf|contract|plan|drawing|photo|"
    r"video|doc|document|draft|template|invoice|quote)s?(?![A-Za-z])",
    re.I,
)
_FILE_REQUEST = re.compile(
    r"^(?:帮我|麻烦|请)?(?:找一下|找下|找找|搜一下|搜下|翻一下|翻下|调出|查一下|查下)|"
    r"(?:发我|发给我|发一下|发下|给我|丢一下|甩一下|共享一下|分享一下|传一下)(?:一下|下)?[吧呀啊呢~]*$"
)
_ASK_LEAD = re.compile(
    r"^(?:请问一下|请问|问一下|问下|帮我查一下|帮我查查|帮我查下|帮忙查一下|帮我找一下|帮我找下|帮忙找一下|"
    r"帮我看一下|帮我看看|查一下|查下|找一下|找下|找找|搜一下|麻烦|你好|您好|你知道|谁知道|有人知道|"
    r"我想问一下|我想问|想问一下|想问下|[\s,，:：])+"
)
_ASK_TAIL = re.compile(
    r"(?:发我一下|发给我|发我|发一下|发下|给我一下|给我|丢一下|甩一下|分享一下|传一下|一下|"
    r"[吗呢呀啊吧嘛哈]|来着|[?？!！。.~\s])+$"
)
_ASK_NOT = re.compile(r"要不要|能不能|可不可以|是不是放假|怎么样$|好不好|行不行|觉得")


def read_ask(clause: Clause, msg: Message, question: bool) -> Reading | None:
    """A question to the team's memory, asked of Qunmi or of nobody in particular."""
    text = clause.text
    file_request = (
        _FILE_REQUEST.search(text) is not None
        and _FILE_NOUN.search(text) is not None
        and not any(
            is_deadline(t, clause) or (t.value or t.from_ or msg.context.now) >= msg.context.now
            for t in clause.times
        )
        and ("把" not in text or msg.addressed)
        # "…检查一下 然后拍个视频发我": the rest of a request, not a search of the files.
        and re.match(r"(?:然后|接着|之后|再)", text) is None
    )
    memory = _MEMORY_CUE.search(text) is not None or (
        _WHERE.search(text) is not None
        and _FILE_NOUN.search(text) is not None
        and not re.search(r"你|他|她|人", text)
    )
    question = (
        question
        or re.search(
            r"在哪|谁|为什么|为啥|什么|怎么|哪|(?<![A-Za-z])(?:where|what|who|why|how)(?![A-Za-z])",
            text,
            re.I,
        )
        is not None
    )
    if not (memory or file_request or (msg.addressed and question)):
        return None
    if not (question or file_request or msg.addressed):
        return None
    if _ASK_NOT.search(text) and not msg.addressed:
        return None
    if not msg.addressed and (
        vocative_of(clause) is not None or any(m.at for m in clause.mentions)
    ):
        return None  # a colleague is asked: people talking
    if re.search(r"吗[?？]?$", text) and not (memory or file_request or msg.addressed):
        return None
    if re.search(r"(?:了没有?|没有|了吗|好了吗|完了吗)[?？吧呀啊]*$", text) and not msg.addressed:
        return None  # "合同签了没有": a yes/no question about now, asked of the people here
    q = _ASK_LEAD.sub("", text)
    q = _ASK_TAIL.sub("", q).strip(" ,，")
    if len(q) < 2:
        return None
    args: dict[str, Any] = {"question": q}
    if file_request or (
        _FILE_NOUN.search(text) and (_WHERE.search(text) or re.search(r"发我|找", text)) is not None
    ):
        args["kind"] = "file"
        if _FILE_REQUEST.search(text) and not memory:
            args["question"] = re.sub(r"^(?:最新的?|那个|这个)", "", q)
    named = re.search(r"[【「](?P<p>[^】」]{1,30})[】」]", text)
    if named is not None:
        args["project"] = named.group("p")
    return Reading(
        kind="command",
        calls=[{"tool": "ask", "args": args}],
        confidence=0.75 if msg.addressed or memory else 0.6,
        clause=clause,
    )
