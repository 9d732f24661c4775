"""Resolving what people write to records: names to members, "words that identify" to the
one open task or upcoming meeting they mean. Several or none → a clear question back."""

from __future__ import annotations

import re
import unicodedata
from collections.abc import Callable, Iterable, Sequence
from typing import TypeVar

from assistant.domain import Meeting, Member, Task
from assistant.errors import Ambiguous, InvalidInput, NotFound

__all__ = [
    "SELF_WORDS",
    "normalize_words",
    "parse_ref_id",
    "pick_by_words",
    "resolve_member_name",
    "similarity",
]

SELF_WORDS = frozenset({"我", "我自己", "自己", "本人", "俺", "me", "myself"})

_PUNCT = re.compile(r"[\s\W_]+", re.UNICODE)
# Words that say what kind of thing is meant but not which one.
_GENERIC = ("那个", "这个", "任务", "事情", "的事", "会议", "的会", "一下", "相关")
# A reference made only of such words points at "the one there is" (会改到周四 → the only meeting).
_GENERIC_ONLY = frozenset(
    {
        "会",
        "会议",
        "那个会",
        "这个会",
        "刚才那个会",
        "刚才的会",
        "任务",
        "那个任务",
        "这个任务",
        "这个",
        "那个",
        "它",
        "这事",
        "这件事",
    }
)
_REF_ID = re.compile(r"^\s*[#＃]?\s*(\d{1,9})\s*$")

T = TypeVar("T", Task, Meeting)


def normalize_words(text: str) -> str:
    text = unicodedata.normalize("NFKC", text).lower()
    return _PUNCT.sub("", text)


def parse_ref_id(ref: int | str) -> int | None:
    if isinstance(ref, int):
        return ref
    m = _REF_ID.match(ref)
    return int(m.group(1)) if m else None


def _bigrams(text: str) -> set[str]:
    if len(text) < 2:
        return {text} if text else set()
    return {text[i : i + 2] for i in range(len(text) - 1)}


def similarity(query: str, title: str) -> float:
    """1.0 when one contains the other, else the Dice coefficient of character bigrams."""
    q, t = normalize_words(query), normalize_words(title)
    if not q or not t:
        return 0.0
    if q in t or t in q:
        return 1.0
    a, b = _bigrams(q), _bigrams(t)
    return 2 * len(a & b) / (len(a) + len(b))


def _strip_generic(text: str) -> str:
    out = normalize_words(text)
    if out in _GENERIC_ONLY:
        return ""
    for word in _GENERIC:
        out = out.replace(word, "")
    return out


def resolve_member_name(
    name: str, *, actor: Member, members: Sequence[Member], preferred_ids: Iterable[int] = ()
) -> Member:
    """Find the member a name, alias, WeCom userid, @mention or 我 refers to."""
    raw = name.strip().lstrip("@＠").strip()
    if not raw:
        raise InvalidInput("成员名字不能为空")
    if raw.lower() in SELF_WORDS:
        return actor
    key = normalize_words(raw)
    matches = [m for m in members if any(normalize_words(n) == key for n in m.names)]
    if not matches:
        raise NotFound(
            f"找不到成员“{raw}”。可以先添加这个成员，或给已有成员设置别名。",
            details={"name": raw},
        )
    if len(matches) > 1:
        preferred = set(preferred_ids)
        in_chat = [m for m in matches if m.id in preferred]
        exact = [m for m in matches if m.display_name == raw]
        for narrowed in (exact, in_chat):
            if len(narrowed) == 1:
                return narrowed[0]
        names = "、".join(m.display_name for m in matches)
        raise Ambiguous(
            f"“{raw}”可能是{names}，请说清楚是哪一位。",
            details={"candidates": [{"id": m.id, "name": m.display_name} for m in matches]},
        )
    return matches[0]


def pick_by_words(
    words: str,
    candidates: Sequence[T],
    *,
    label: Callable[[T], str],
    kind: str,
    prefer: Callable[[T], bool] | None = None,
    threshold: float = 0.34,
) -> T:
    """Choose the one candidate the words identify.

    Containment beats partial overlap; among equals, ``prefer`` (e.g. the actor's own tasks)
    breaks the tie. Several left → ``Ambiguous`` with the candidates; none → ``NotFound``.
    """
    query = _strip_generic(words)
    if not candidates:
        raise NotFound(f"没有找到进行中的{kind}。")
    if not query:
        if len(candidates) == 1:
            return candidates[0]
        raise Ambiguous(
            f"有 {len(candidates)} 个{kind}，你指的是哪一个？" + _listing(candidates, label),
            details={"candidates": [{"id": c.id, "title": label(c)} for c in candidates]},
        )
    scored = sorted(
        ((similarity(query, _strip_generic(label(c)) or label(c)), c) for c in candidates),
        key=lambda pair: -pair[0],
    )
    best = scored[0][0]
    if best < threshold:
        raise NotFound(f"没有找到和“{words}”对得上的{kind}。", details={"words": words})
    margin = 0.0 if best >= 1.0 else 0.15
    top = [c for s, c in scored if s >= best - margin]
    if len(top) > 1 and prefer is not None:
        preferred = [c for c in top if prefer(c)]
        if len(preferred) == 1:
            return preferred[0]
        if preferred:
            top = preferred
    if len(top) == 1:
        return top[0]
    raise Ambiguous(
        f"“{words}”对得上 {len(top)} 个{kind}，你指的是哪一个？" + _listing(top, label),
        details={"candidates": [{"id": c.id, "title": label(c)} for c in top]},
    )


def _listing(items: Sequence[T], label: Callable[[T], str]) -> str:
    shown = "；".join(f"#{c.id} {label(c)}" for c in items[:5])
    more = f" 等 {len(items)} 个" if len(items) > 5 else ""
    return f"{shown}{more}"
