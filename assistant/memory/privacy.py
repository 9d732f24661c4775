"""Passages only some people may read: budget figures are for the project's PM and admins.

``mentions_budget`` spots a passage that gives money figures about a budget, spending or cost
("预算 48 万", "已经花了 12000 元", "报价 3.5w"); the ``ask`` tool drops such passages from what
it searches, answers and shows when the asker may not see the budget of the passage's project.
"""

from __future__ import annotations

import re

__all__ = ["mentions_budget"]

_MONEY_WORDS = r"(预算|经费|费用|成本|花费|花了|开销|报价|拨款|余额|budget|cost|spent)"
_AMOUNT = r"(\d[\d,，.]*\s*(万|千|百|亿|w|k|元|块|rmb|¥)?|[一二三四五六七八九十百千万亿两]+\s*(万|千|元|块))"
_NEAR = re.compile(
    rf"{_MONEY_WORDS}[^。！？\n]{{0,16}}?{_AMOUNT}|[¥￥]\s*\d|\d[\d,，.]*\s*(万元|元|块钱)",
    re.IGNORECASE,
)


def mentions_budget(text: str) -> bool:
    """Whether ``text`` gives a money figure about a budget, spending or cost."""
    return bool(_NEAR.search(text))
