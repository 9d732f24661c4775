"""What the intent classifier sees of a message: strings, hashed into a fixed space.

People and times are found by the rule engine's own analysis (``Roster``, ``find_times``) and
replaced by placeholders before the n-grams are taken, so that "@小王 周五前把合同发我" and
"@Kevin 明天把合同发我" share their features. Beside the n-grams come signals the rules know
of: where the people stand, whether a time lies ahead or behind, question marks and final
particles, negation, person, reported speech, plan words and English tokens.

Pure and cheap: no I/O; jieba's dictionary is loaded once, on first use.
"""

from __future__ import annotations

import re
import zlib
from collections.abc import Iterable, Sequence
from typing import TYPE_CHECKING

import numpy as np

from assistant.engines.rules.people import Mention, Roster
from assistant.engines.rules.text import jieba_module as _jieba
from assistant.engines.rules.text import normalize
from assistant.engines.rules.timeslots import find_times

if TYPE_CHECKING:
    from assistant.domain import ChatContext
    from assistant.timeparse.types import TimeMatch

__all__ = [
    "AT_MARK",
    "NAME_MARK",
    "TIME_MARK",
    "abstract",
    "hash_features",
    "message_features",
    "warm_up",
]

AT_MARK = "Ⓐ"  # an @mention
NAME_MARK = "Ⓟ"  # a person named without @
TIME_MARK = "Ⓣ"  # a time expression

_QUESTION_END = re.compile(r"(?:吗|吧|呢|么|没|没有|不|嘛|啊|呀|否)[\s~。!！.?？]*$")
_NEGATION = re.compile(
    r"不用|不要|别|无需|不必|先不|暂时不|没必要|不需要|甭|\b(?:don'?t|do not|no need|not|never|"
    r"doesn'?t|won'?t|shouldn'?t|needn'?t|skip)\b",
    re.IGNORECASE,
)
_REPORTED = re.compile(r"说|表示|通知|提到|听说|据说|反馈|告诉|回复|讲|宣布|透露")
_PLAN = re.compile(r"打算|准备|计划|考虑|可能|也许|应该|想|要不|是否|或许|看看|讨论|商量")
_REQUEST = re.compile(r"请|麻烦|帮忙|帮我|记得|辛苦|务必|尽快|把|安排|负责|搞定|跟进")
_PERSON = {
    "p1": re.compile(r"我(?!们)|本人|自己"),
    "p1pl": re.compile(r"我们|咱们|咱|大家"),
    "p2": re.compile(r"你|您"),
    "p3": re.compile(r"他|她|他们|她们|对方|客户|领导|老板"),
}
_EN_WORD = re.compile(r"[a-z][a-z']*")
_SPACE = re.compile(r"\s+")


def warm_up() -> None:
    """Load the word segmenter's dictionary now (about 0.5 s, once per process)."""
    _jieba()


def abstract(text: str, mentions: Sequence[Mention], times: Iterable[TimeMatch]) -> str:
    """``text`` with every person and time replaced by one placeholder character."""
    spans: list[tuple[int, int, str]] = [
        (m.start, m.end, AT_MARK if m.at else NAME_MARK) for m in mentions
    ]
    spans.extend((t.start, t.end, TIME_MARK) for t in times)
    spans.sort()
    out: list[str] = []
    pos = 0
    for start, end, mark in spans:
        if start < pos:  # overlapping spans: the first one wins
            continue
        out.append(text[pos:start])
        out.append(mark)
        pos = end
    out.append(text[pos:])
    return _SPACE.sub(" ", "".join(out)).strip().lower()


def _bucket(n: int, edges: Sequence[int]) -> int:
    for i, edge in enumerate(edges):
        if n <= edge:
            return i
    return len(edges)


def message_features(
    text: str,
    context: ChatContext,
    *,
    times: Sequence[TimeMatch] | None = None,
    recurring: Sequence[TimeMatch] | None = None,
    mentions: Sequence[Mention] | None = None,
) -> list[str]:
    """The feature strings of one raw message (times and people found here unless given)."""
    text = normalize(text or "")
    if times is None or recurring is None:
        times, recurring = find_times(text, context.now)
    if mentions is None:
        mentions = Roster(context.members, context.sender).find(text)
    flat = abstract(text, mentions, [*times, *recurring])
    feats: list[str] = []
    padded = f"^{flat}$"
    for n in (1, 2, 3):
        feats.extend(f"c{n}:{padded[i : i + n]}" for i in range(len(padded) - n + 1))
    words = [w for w in _jieba().lcut(flat) if w.strip()]
    feats.extend(f"w:{w}" for w in words)
    bounded = ["^", *words, "$"]
    feats.extend(f"w2:{a}|{b}" for a, b in zip(bounded, bounded[1:], strict=False))
    english = _EN_WORD.findall(flat)
    feats.extend(f"en:{w}" for w in english)
    feats.extend(f"en2:{a}|{b}" for a, b in zip(english, english[1:], strict=False))

    # Signals from the analysis.
    now = context.now
    feats.append(f"len:{_bucket(len(flat), (4, 8, 15, 30, 60, 120))}")
    feats.append(f"times:{min(len(times), 3)}")
    if recurring:
        feats.append("sig:recurring")
    for t in times:
        feats.append(f"grain:{t.grain}")
        when = t.value or t.from_
        if when is not None:
            feats.append("sig:time_ahead" if when >= now else "sig:time_behind")
        if t.deadline:
            feats.append("sig:deadline")
        if t.has_clock:
            feats.append("sig:clock")
    ats = [m for m in mentions if m.at]
    feats.append(f"ats:{min(len(ats), 3)}")
    feats.append(f"names:{min(len(mentions) - len(ats), 3)}")
    if mentions:
        first = mentions[0]
        lead = text[: first.start].strip()
        feats.append(f"first_person_at_start:{int(not lead)}:{int(first.at)}")
        if first.name == context.sender:
            feats.append("sig:sender_named")
        if any(not m.known for m in mentions):
            feats.append("sig:unknown_person")
    if "?" in text or "？" in text:
        feats.append("sig:qmark")
    if _QUESTION_END.search(flat):
        feats.append("sig:q_particle_end")
    for name, pattern in (
        ("neg", _NEGATION),
        ("reported", _REPORTED),
        ("plan", _PLAN),
        ("request", _REQUEST),
        *_PERSON.items(),
    ):
        if pattern.search(flat):
            feats.append(f"sig:{name}")
    if _NEGATION.search(flat) and _REQUEST.search(flat):
        feats.append("sig:neg+request")
    if english:
        share = sum(len(w) for w in english) / max(len(flat), 1)
        feats.append(f"en_share:{_bucket(int(share * 10), (0, 3, 6, 9))}")
    return feats


def hash_features(features: Iterable[str], dim: int) -> np.ndarray:
    """Distinct hashed indices of ``features`` in ``[0, dim)`` (CRC32: stable across runs)."""
    idx = {zlib.crc32(f.encode("utf-8")) % dim for f in features}
    return np.fromiter(idx, dtype=np.int64, count=len(idx))
