"""JSON from outside, parsed with a bound on nesting.

Python's parser recurses once per nesting level, so ``[[[[…]]]]`` thirty thousand deep ends in a
``RecursionError`` instead of a parse error. Every body that comes from outside is measured first
(one pass over the bytes, strings skipped) and refused past ``MAX_DEPTH`` levels.
"""

from __future__ import annotations

import json
import re
from typing import Any

from assistant.errors import InvalidInput

__all__ = ["MAX_DEPTH", "JsonTooDeep", "json_depth", "loads_bounded"]

MAX_DEPTH = 32
"""No message, tool call or webhook body Qunmi takes needs more than a handful of levels."""

_STRING = re.compile(rb'"(?:[^"\\]|\\.)*"', re.DOTALL)
_BRACKETS = re.compile(rb"[\[\]{}]")


class JsonTooDeep(InvalidInput):
    """A JSON body nested deeper than the bound."""


def json_depth(raw: bytes | str, *, limit: int = MAX_DEPTH) -> int:
    """The nesting depth of ``raw`` (JSON text), counted up to ``limit + 1`` at most.

    Brackets inside strings do not count. Text that is not JSON still gets a number; the parser
    that runs afterwards refuses it properly.
    """
    data = raw.encode("utf-8", "surrogatepass") if isinstance(raw, str) else raw
    if b"[" not in data and b"{" not in data:
        return 0
    if b'"' in data:
        data = _STRING.sub(b'""', data)
    depth = deepest = 0
    for match in _BRACKETS.finditer(data):
        if match.group() in (b"[", b"{"):
            depth += 1
            if depth > deepest:
                deepest = depth
                if deepest > limit:
                    return deepest
        else:
            depth -= 1
    return deepest


def loads_bounded(raw: bytes | str, *, max_depth: int = MAX_DEPTH, what: str = "请求体") -> Any:
    """``json.loads`` that refuses text nested deeper than ``max_depth`` and text that is not
    JSON, with a Chinese reason (``InvalidInput``)."""
    if json_depth(raw, limit=max_depth) > max_depth:
        raise JsonTooDeep(f"{what}的 JSON 嵌套太深（最多 {max_depth} 层）")
    try:
        return json.loads(raw)
    except (ValueError, RecursionError) as exc:
        raise InvalidInput(f"{what}不是合法的 JSON") from exc
