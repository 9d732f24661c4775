"""What the way a chat line is written says about it: does it ask, or does it change
something said before ("改成", "推迟到", "以这个为准")?"""

from __future__ import annotations

import re

__all__ = ["asked_types", "asks_latest", "has_revision_cue", "holds_type", "is_question"]

_QUESTION = re.compile(
    r"([?？]\s*$)|([吗呢么嘛][\s。！!～~]*$)"
    r"|(^\s*(@\S+\s*)?(请问|谁|哪|怎么|为什么|为啥|是不是|有没有|能不能|什么时候))"
)

# Words that replace an earlier statement: a new value, a new date, a final version.
_REVISION = re.compile(
    r"改成|改为|改到|改由|改用|改在|换成|换到|换为|换了|更换|调整为|调整到|调整：|时间调整|推迟|延期|延后|"
    r"提前到|挪到|取消了|不做了|不用\S{0,8}了|不上\S{0,8}了|定了|定稿|最终|最新|为准|变更|更新为|"
    r"更新好了|作废|还是用|还是改|接手|交给|转给"
)


def is_question(text: str) -> bool:
    """A line that asks rather than tells."""
    return bool(_QUESTION.search(text.strip()))


def has_revision_cue(text: str) -> bool:
    """A line that says something changed or is now final."""
    return bool(_REVISION.search(text))


# -- what a question asks for ------------------------------------------------------------------
AnswerType = str  # "who" / "when" / "where" / "amount"

_ASKS: tuple[tuple[AnswerType, re.Pattern[str]], ...] = (
    ("who", re.compile(r"谁|哪位|负责人|找哪个")),
    ("when", re.compile(r"什么时候|哪天|哪一天|几号|几点|何时|多久|啥时候|时间定|日期")),
    ("where", re.compile(r"在哪|哪里|哪儿|放哪|去哪|地址|链接|路径|网址")),
    ("amount", re.compile(r"多少|几个|几条|几天|几次|多大|多长|多高|比例|百分之|几成")),
)

# What an answer of each type holds: a person's role words, a date or time, a place or file,
# a number. Names are checked separately (the people the history knows).
_HOLDS: dict[AnswerType, re.Pattern[str]] = {
    "who": re.compile(r"负责|接手|牵头|交给|转给|改由|由\S{1,4}(来|做|跟|处理)|找\S{1,4}"),
    "when": re.compile(
        r"\d{1,2}\s*月\s*\d{1,2}\s*[日号]?|\d{1,2}\s*[日号]|周[一二三四五六日末]|星期|礼拜|"
        r"\d{1,2}\s*[点:：]|[上下中]午|晚上|凌晨|早上|今天|明天|后天|下周|月底|月初|年底|"
        r"\d+\s*(个)?(工作日|天|周|小时|分钟)|推迟|提前|延期"
    ),
    "where": re.compile(
        r"https?://|www\.|[\w\-]+\.(fig|pdf|docx?|xlsx?|pptx?|md|ai|psd|zip|sketch)\b|"
        r"/\S+/|放在|放到|在\S{1,12}(里|上|下面)|共享盘|网盘|蓝湖|邮箱|群文件|文件夹|目录|\S{2,}\.\S{2,}"
    ),
    "amount": re.compile(r"\d|[一二两三四五六七八九十百千万半]\s*[个条天次万元块%倍成]"),
}

_LATEST = re.compile(r"最新|最后|最终|现在|目前|如今|到底|改成|换成|后来|定的|定了")


def asked_types(question: str) -> tuple[AnswerType, ...]:
    """What kind of answer a question wants: a person, a time, a place or a quantity."""
    return tuple(kind for kind, pattern in _ASKS if pattern.search(question))


def holds_type(text: str, kind: AnswerType, names: frozenset[str] = frozenset()) -> bool:
    """Whether a passage holds an answer of that kind."""
    if kind == "who" and any(name and name in text for name in names):
        return True
    pattern = _HOLDS.get(kind)
    return bool(pattern and pattern.search(text))


def asks_latest(question: str) -> bool:
    """The question wants what stands now ("最新版", "最后定的", "现在谁在跟")."""
    return bool(_LATEST.search(question))
