"""What the way a chat line is written says about it: does it ask, or does it change
something said before ("改成", "推迟到", "以这个为准")?"""

from __future__ import annotations

import re

__all__ = ["has_revision_cue", "is_question"]

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
