"""Repairs of spoken and typed run-ons before anything is read.

Voice notes and quick typing carry what a listener drops without thinking: a call to Qunmi
itself ("群秘，…": the bot is never a member), fillers (嗯 / 呃 / 那个 / 就是说), restarts
("明天 明天下午两点半"), self-corrections ("周三 不对 周四之前": the corrected value wins, for a
time, a person or a place) and quoted replies («「小王：…」 收到，我来»: the quote is context).
Each repair rewrites the text; offsets are read afterwards on the repaired text.
"""

from __future__ import annotations

import re
from collections.abc import Callable
from dataclasses import dataclass

__all__ = ["Repaired", "repair"]

# The bot's own names: "@群秘", "群秘，", "小秘 帮我…", "机器人：". Never a person.
_BOT = re.compile(
    r"@(?:群秘|小秘|机器人|qunmi|Qunmi|QUNMI)\s*"
    r"|(?:^|(?<=[\s。!?！？\n,，]))(?:群秘|小秘|机器人|qunmi|Qunmi)(?:你好|您好|同学)?"
    r"(?=[\s,，:：!！~]|你|您|帮|请|麻烦|把|给|查|看|总结|出|关|开|找|发|提醒|$)[\s,，:：!！~]*",
)
# A reply that quotes the message it answers: «「小王：登录页做完了吗」 做完了» or a WeCom
# reply line "「小王：…」\n- - - - -\n做完了". The quote is what was answered, not a new message.
_QUOTE = re.compile(
    r"[「『“\"](?P<who>[^「」『』“”\"：:\n]{1,16})[：:][^「」『』“”\"]{0,400}[」』”\"]\s*(?:-\s*)*"
)
# Fillers that a speaker utters while thinking; only standalone ones (between pauses).
_FILLER = re.compile(
    r"(?:(?<=^)|(?<=[\s,，。]))(?:嗯+|呃+|额+|啊+|唔+|em+|emm+|um+|uh+|那个+|就是说|就是|然后呢|怎么说呢|这个这个|对吧)"
    r"(?=[\s,，。]|$)[\s,，]*",
    re.IGNORECASE,
)
# "明天 明天下午两点半", "小王 小王你…": a word said again after a pause is one word.
_RESTART = re.compile(
    r"(?P<w>[\u4e00-\u9fff]{2,6})[\s,，]+(?=(?P=w))|\b(?P<e>[A-Za-z0-9]{2,})\s+(?=(?P=e)\b)"
)
# Self-corrections: what follows replaces the last thing of the same kind before it.
_CORRECTION = re.compile(
    r"[\s,，]*(?:不对不对|哦不对|噢不对|啊不对|呃不对|不对|哦不|噢不|呃不|啊不|不不不?|说错了|我说错了|口误|更正一下|更正|纠正一下|"
    r"我是说|准确说是|no wait|sorry I mean|I mean)[\s,，:：。]*",
    re.IGNORECASE,
)
_CORRECTION_WINDOW = 16
# "你好 @老邱 …", "大家好，…": a greeting at the start is no part of the request.
_GREETING = re.compile(
    r"^(?:你好|您好|大家好|各位好|hi|hello|哈喽|嗨)[\s,，!！~。]+", re.IGNORECASE
)
# "能不能请磊子把…": a polite request, read as 麻烦 (the request stays, the question goes).
_POLITE_ASK = re.compile(r"(?:能不能|可不可以|能否|可否|是否可以|可以)(?:请|麻烦)")
# "有空的话 @A 把…", "麻烦老邱有空的时候把…": a polite condition, neither the work nor its urgency
# (only 有空再 / 不急 say low).
_POLITE_CONDITION = re.compile(
    r"(?:如果|要是)?(?:你|您)?(?:有空|有时间|方便|得空|抽空)(?:的话|的时候)[\s,，]*"
)
# English month-day dates in mixed chat ("launch Jan 15", "due 3rd March") read as 1月15号.
_MONTHS = {
    m: i + 1
    for i, names in enumerate(
        [
            "jan january",
            "feb february",
            "mar march",
            "apr april",
            "may",
            "jun june",
            "jul july",
            "aug august",
            "sep sept september",
            "oct october",
            "nov november",
            "dec december",
        ]
    )
    for m in names.split()
}
_MONTH_WORD = "|".join(sorted(_MONTHS, key=len, reverse=True))
_EN_DATE = re.compile(
    rf"\b(?:(?P<m1>{_MONTH_WORD})\.?\s+(?P<d1>[0-3]?\d)(?:st|nd|rd|th)?"
    rf"|(?P<d2>[0-3]?\d)(?:st|nd|rd|th)?\s+(?P<m2>{_MONTH_WORD})\.?)\b",
    re.IGNORECASE,
)


# PM jargon: "ddl周五" / "deadline 周四" are due words; "EOD" is the end of the workday.
_DDL = re.compile(r"(?<![A-Za-z])(?:ddl|DDL|deadline|Deadline|DEADLINE)(?![A-Za-z])[:：]?\s*")
_EOD_AFTER_DAY = re.compile(r"(?<=[一二三四五六日天明今])\s*(?:EOD|eod)(?:前|之前)?")
_EOD = re.compile(r"(?:by\s+)?(?<![A-Za-z])(?:EOD|eod)(?![A-Za-z])(?:前|之前)?")
_SHORT_WEEKDAY = re.compile(
    r"\b(?P<d>Mon|Tue|Tues|Wed|Thu|Thur|Thurs|Fri|Sat|Sun)\.?(?=\s*(?:\d|am\b|pm\b|$|[,，]))",
    re.IGNORECASE,
)
_FULL_WEEKDAY = {
    "mon": "Monday", "tue": "Tuesday", "tues": "Tuesday", "wed": "Wednesday", "thu": "Thursday",
    "thur": "Thursday", "thurs": "Thursday", "fri": "Friday", "sat": "Saturday", "sun": "Sunday",
}  # fmt: skip
# "9:30 tomorrow", "3pm on Friday": the day said after the clock, in the order the reader wants.
_CLOCK_THEN_DAY = re.compile(
    r"(?P<clock>\b\d{1,2}(?::\d{2})?\s*(?:am|pm)?)\s+(?:on\s+)?"
    r"(?P<day>tomorrow|today|tonight|(?:next\s+|this\s+)?(?:monday|tuesday|wednesday|thursday|friday|saturday|sunday))\b",
    re.IGNORECASE,
)


# "by Wed EOD", "Friday EOD": the end of that day's workday, a due on that day.
_DAY_EOD = re.compile(
    r"(?P<by>\bby\s+)?\b(?P<d>Mon|Tues?|Wed|Thu(?:rs?)?|Fri|Sat|Sun|Monday|Tuesday|Wednesday|Thursday|"
    r"Friday|Saturday|Sunday)\.?\s*(?:EOD|eod|COB|cob)(?![A-Za-z])",
    re.IGNORECASE,
)


def _day_eod(m: re.Match[str]) -> str:
    day = m.group("d").lower()
    return f"by {day if len(day) > 5 else _FULL_WEEKDAY[day]}"


def _jargon(text: str) -> str:
    text = _DDL.sub(" 截止", text)
    text = _DAY_EOD.sub(_day_eod, text)
    text = _EOD_AFTER_DAY.sub("下班前", text)
    text = _EOD.sub(" 今天下班前", text)
    text = _SHORT_WEEKDAY.sub(lambda m: _FULL_WEEKDAY[m.group("d").lower()], text)
    return _CLOCK_THEN_DAY.sub(lambda m: f"{m.group('day')} {m.group('clock')}", text)


def _english_dates(text: str) -> str:
    def as_chinese(m: re.Match[str]) -> str:
        month = _MONTHS[(m.group("m1") or m.group("m2")).lower()]
        day = int(m.group("d1") or m.group("d2"))
        return f" {month}月{day}号 " if 1 <= day <= 31 else m.group(0)

    return _EN_DATE.sub(as_chinese, text)


@dataclass(frozen=True, slots=True)
class Repaired:
    text: str
    addressed: bool  # the message calls Qunmi by name
    repairs: list[str]
    quoted: str = ""  # the quoted message a reply answers


Finder = Callable[[str], list[tuple[int, int]]]


_CLOCK_AT = re.compile(r"(?P<h>[0-9]{1,2}|[零一二两三四五六七八九十]{1,3})\s?[点:：]")
_DAY_OR_PART = re.compile(r"[今明后昨天周月号日早晚午凌晨夜]|星期|礼拜|上午|下午")
_CN_DIGITS = dict(zip("零一二两三四五六七八九", (0, 1, 2, 2, 3, 4, 5, 6, 7, 8, 9), strict=True))


def _as_request(m: re.Match[str]) -> str:
    """ "有空的时候把X检查一下": the condition goes; a 把 right after it stays a request (请).

    Only before a request (a 把, an @, 一下, 帮忙): "方便的话明天聊聊" stays a hypothetical.
    """
    rest = m.string[m.end() :]
    if not re.search(r"把|将|@|一下|一遍|帮忙|帮我", rest):
        return m.group(0)
    return " 请" if rest.startswith(("把", "将")) else " "


def _hour(word: str) -> int | None:
    if word.isdigit():
        return int(word)
    if word == "十":
        return 10
    if word.startswith("十"):
        return 10 + _CN_DIGITS.get(word[1:], 0)
    if len(word) == 1:
        return _CN_DIGITS.get(word)
    return None


def _with_day_of(said: str, new: str) -> str:
    """A corrected clock with no day or part of day takes those of the time it replaces; a
    bare clock stays in the half of the day of the bare clock it replaces ("七点前 不对 六点半")."""
    old_clock, new_clock = _CLOCK_AT.search(said), _CLOCK_AT.search(new)
    if old_clock is None or new_clock is None or _DAY_OR_PART.search(new[: new_clock.start()]):
        return new
    head = said[: old_clock.start()]
    if not re.search(r"早|晚|午|凌晨|夜|上午|下午", head):
        old_h, new_h = _hour(old_clock.group("h")), _hour(new_clock.group("h"))
        if old_h is not None and new_h is not None:
            if 7 <= old_h <= 11 and 1 <= new_h <= 6:
                head += "早上"
            elif 1 <= old_h <= 6 and 7 <= new_h <= 11:
                head += "晚上"
    return head + new


def _correct(text: str, finders: list[Finder]) -> tuple[str, bool]:
    """Drops "X 不对" where the words after the cue are a thing of the same kind as X."""
    for m in _CORRECTION.finditer(text):
        if m.start() == 0 or m.end() >= len(text):
            continue
        for kind, find in enumerate(finders):
            spans = find(text)
            after = [s for s in spans if m.end() <= s[0] <= m.end() + 1]
            before = [s for s in spans if s[1] <= m.start() + 1 and m.start() - s[1] <= 3]
            far = [
                s
                for s in spans
                if s[1] <= m.start()
                and m.start() - s[0] <= 40
                and not re.search(r"[。!！?？\n]", text[s[1] : m.start()])
            ]
            if kind == 0 and after and not before and len(far) == 1:
                # "明天五点半之前把饲料拉到棚里 不对不对 是五点之前": the time said earlier in
                # the sentence is replaced where it stood; the words between stay.
                (p0, p1), (a0, a1) = far[0], after[0]
                said, new = text[p0:p1], text[a0:a1]
                clock = re.search(r"[0-9零一二两三四五六七八九十]+[点:：]", said)
                if clock is not None and not re.search(r"[今明后昨天周月号早晚上下午]", new):
                    new = said[: clock.start()] + new  # "明天早上五点半之前 … 是五点之前"
                return text[:p0] + new + text[p1 : m.start()] + text[a1:], True
            if not after or not before:
                continue
            prev = before[-1]
            if m.start() - prev[0] > _CORRECTION_WINDOW:
                continue
            if kind == 0:
                # "明天早上七点前 不对 六点半之前": the corrected clock keeps the day and half.
                (a0, a1) = after[0]
                new = _with_day_of(text[prev[0] : prev[1]], text[a0:a1])
                return text[: prev[0]] + new + text[a1:], True
            return text[: prev[0]] + text[m.end() :], True
    return text, False


def repair(text: str, finders: list[Finder]) -> Repaired:
    """The repaired text. ``finders`` give the spans of times, people and places in a text;
    a correction replaces the last span of the same kind right before its cue."""
    notes: list[str] = []
    addressed = False
    quoted = ""
    quote = _QUOTE.match(text)
    if quote is not None and text[quote.end() :].strip():
        quoted = re.sub(r"^[「『“\"][^：:]{1,16}[：:]|[」』”\"][\s-]*$", "", quote.group(0).strip())
        text = text[quote.end() :].strip()
        notes.append("去掉了引用的原消息")
    out = _BOT.sub(" ", text)
    if out != text:
        addressed = True
        notes.append("去掉了对群秘的称呼")
    text = _jargon(_english_dates(out.strip()))
    out = _FILLER.sub(" ", text)
    if out != text:
        notes.append("去掉了语气词")
    text = out
    out = _POLITE_ASK.sub("麻烦", _POLITE_CONDITION.sub(_as_request, _GREETING.sub("", text)))
    if out != text:
        notes.append("去掉了客气的条件")
    text = out
    out = _RESTART.sub("", text)
    if out != text:
        notes.append("合并了重说的词")
    text = out
    for _ in range(3):
        text, changed = _correct(text, finders)
        if not changed:
            break
        notes.append("按更正后的说法")
    text = re.sub(r"[ \t]+", " ", text).strip()
    return Repaired(text, addressed, notes, quoted)
