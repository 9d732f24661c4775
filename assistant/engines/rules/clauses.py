"""Cutting a message into clauses: one intent each.

Sentence ends and list markers always cut. Inside a sentence a comma cuts only where a new actor
comes in ("A做X，B做Y") or a connective starts a new thought (然后 / 另外); with no punctuation at
all (voice transcripts) a person's name cuts when the words before it already hold an action.
"""

from __future__ import annotations

import bisect
import re
from collections.abc import Sequence
from dataclasses import dataclass, field
from typing import TYPE_CHECKING

from assistant.engines.rules.lexicon import (
    ACTION_VERB,
    ALL_DUE,
    BLOCKED,
    CONNECTIVE,
    DONE,
    DONE_MORE,
    IN_PROGRESS,
    MEETING_CREATE,
    OWNER_BUSY,
    PROJECT_CREATE,
    REASSIGN_THEN_REASON,
    SELF_ASSIGN,
)
from assistant.engines.rules.people import Mention
from assistant.engines.rules.text import Segment

if TYPE_CHECKING:
    from assistant.timeparse.types import TimeMatch

__all__ = ["Clause", "split_clauses"]


@dataclass(slots=True)
class Clause:
    """A clause with the people and times found in it; spans are relative to ``text``."""

    text: str
    start: int
    sentence: int
    list_item: bool = False
    header: bool = False
    mentions: list[Mention] = field(default_factory=list)
    times: list[TimeMatch] = field(default_factory=list)

    @property
    def end(self) -> int:
        return self.start + len(self.text)

    def local(self, pos: int) -> int:
        return pos - self.start


# Words right before a name that make it an object, not a new actor: 跟小王开会, 让小王做.
_BINDS_NAME = set("和跟与及同、叫让请找约给由向对帮替换派@,")
_SELF_START = re.compile(
    r"(?:这个|这事|这块|这部分|这件事)?我(?:来|负责|跟|去|认领|接|包|处理|这边)"
)
_PERSON_START = re.compile(r"(?:你们俩|你俩|你们|你)(?=[\u4e00-\u9fffA-Za-z])")
_ROLE_BEFORE = re.compile(
    r"(?:负责人|牵头人|owner|PM|经理|成员|是|为|叫|有|包括|交给|转给)\s?$", re.I
)
_JOINER_BEFORE_NAME = re.compile(r"(?<![,，])\s?(?:还有|另外|然后|再就是|嗯+)\s?$")
_COMMA = re.compile(r"[,，]\s*")
# "…，麻烦@A 把X做了": a polite request starts a clause of its own.
# "…，两位周一下班前弄好就行": the doers named before, together, with a shared deadline.
_GROUP_DOERS = re.compile(
    r"(?:你们)?(?:两|三|四|几)位|你们?[俩两]个?|(?:大家|各位)(?=[^,，。]{0,12}(?:前|之前|截止))"
)
_REQUEST_START = re.compile(r"(?:麻烦|烦请|劳烦|辛苦)(?!了|啦|你们了|大家了)")
# "…，甲方下午要带去规划局汇报" / "…，客户还在路上": a third party's doings, a reason or context.
CONTEXT_SUBJECT = (
    r"(?!大家|各位|我|你|咱|全员|所有人|麻烦|请|下|上|这|那|本|明|今|后天|周|星期|月|年|每|\d)"
    r"[^\s,，。都也就前后再还先把被让给叫由的了\d]{1,5}?"
    r"(?:今天|明天|后天|上午|下午|晚上|早上|那边|这边)?"
    r"(?:还在|正在|临时要|临时|要|在|得|准备|打算|马上要|已经在)"
)
_CONTEXT_START = re.compile(CONTEXT_SUBJECT)
_AWAY_THEN = re.compile(r"(?:请假|请了假|休假|病假|年假|出差|生病)了[\s,，]+(?=\S)")
_ALL_DUE_START = re.compile(
    r"[\s,，](?=(?:然后|嗯|那|就)?\s*(?:全|都|全都|统一)(?:是|要|得|在)?\s)"
)
_BARE_VERB_TAIL = re.compile(
    rf"\s*(?:{ACTION_VERB.pattern})(?:一下|下|完|好|掉|出来)?(?:吧|哈|啊|了)?[\s。!！~]*",
    re.IGNORECASE,
)
_LOOK = 40
# Inside an unpunctuated run only the unambiguous connectives cut (还有 also joins list items).
_INLINE_CONNECTIVE = re.compile(
    r"然后|另外|此外|顺便|再就是|还有就是|接着|同时|对了|哦不|噢不|喔不"
)


def _last_before(cuts: list[int], pos: int) -> int:
    """The last cut before ``pos`` in the sorted ``cuts``, or 0."""
    i = bisect.bisect_left(cuts, pos)
    return cuts[i - 1] if i else 0


def _masked(text: str, spans: Sequence[tuple[int, int]]) -> str:
    chars = list(text)
    for a, b in spans:
        for i in range(max(a, 0), min(b, len(chars))):
            chars[i] = " "
    return "".join(chars)


_BA_OBJECT = re.compile(r"[把将][\u4e00-\u9fffA-Za-z0-9]{1,12}")


def _has_action(text: str) -> bool:
    return (
        ACTION_VERB.search(text) is not None
        or MEETING_CREATE.search(text) is not None
        or _BA_OBJECT.search(text) is not None
        # "明天的例会 推迟半小时开始 然后 地点改到二楼": a change before the connective.
        or _CHANGE_DONE.search(text) is not None
    )


_CHANGE_DONE = re.compile(r"(?:推迟|提前|延后|顺延|往后推|往前提|晚|早)[^,，]{0,6}?(?:开始|开)")


# "轮胎换好了 done 刹车片那个还在调": one status report ends, the next thing's report begins.
_REPORT_END = re.compile(r"(?:了|啦|done)[\s,，]+(?=\S)", re.IGNORECASE)
_STATUS_CUE = (IN_PROGRESS, DONE, DONE_MORE, BLOCKED)


def _second_report(before: str, after: str) -> bool:
    """``before`` reports a status and ``after`` (up to its comma) another one, of a thing it
    names first ("宣传册那个还在装订"), not a continuation ("发群里了", "然后…")."""
    if not any(c.search(before) for c in (DONE, DONE_MORE)):
        return False
    segment = _COMMA.split(after, maxsplit=1)[0]
    if CONNECTIVE.match(segment) or re.match(r"[我你他她]|大家|各位", segment):
        return False
    for cue in _STATUS_CUE:
        m = cue.search(segment)
        if m is not None:
            subject = re.sub(
                r"(?:那个|这个|那块|这块|也|都|还|已经|的)+$", "", segment[: m.start()]
            )
            return len(re.sub(r"[\W_]", "", subject)) >= 2
    return False


def split_clauses(
    sentence: Segment,
    index: int,
    mentions: Sequence[Mention],
    times: Sequence[TimeMatch],
) -> list[Clause]:
    """The clauses of one sentence, each with its mentions and times."""
    s0, text = sentence.start, sentence.text
    local_mentions = [m for m in mentions if m.start >= s0 and m.end <= sentence.end]
    local_times = [t for t in times if t.start >= s0 and t.end <= sentence.end]
    mention_starts = {m.start - s0: m for m in local_mentions}
    masked = _masked(
        text,
        [(m.start - s0, m.end - s0) for m in local_mentions]
        + [(t.start - s0, t.end - s0) for t in local_times],
    )

    cuts: list[int] = []
    # A project command is one clause: "立项：小程序重构，老陈负责，成员小王、小赵".
    project = PROJECT_CREATE.search(text) is not None
    # Commas followed by a new actor or a connective.
    for m in _COMMA.finditer(text) if not project else ():
        nxt = m.end()
        rest = text[nxt:]
        if not rest:
            continue
        starts_person = nxt in mention_starts and not rest[
            mention_starts[nxt].end - s0 - nxt :
        ].startswith(("的", "和", "跟", "、"))
        segment = _COMMA.split(rest, maxsplit=1)[0]
        if (
            starts_person
            or _SELF_START.match(rest)
            or SELF_ASSIGN.search(segment)
            or rest.startswith(("他", "她"))
            or _PERSON_START.match(rest)
            or CONNECTIVE.match(rest)
            or _REQUEST_START.match(rest)
            or _GROUP_DOERS.match(rest)
            or _CONTEXT_START.match(segment)
        ):
            cuts.append(nxt)
    # Connectives inside a run of text (voice transcripts).
    for m in _INLINE_CONNECTIVE.finditer(text):
        if m.start() > 0 and text[m.start() - 1] not in ",，" and _has_action(masked[: m.start()]):
            cuts.append(m.start())
    # "燕姐请假了 今天的课我来代": who is away is a clause of its own, before what is done about it.
    for m in _AWAY_THEN.finditer(text):
        cuts.append(m.end())
    # "X那个活 转给Y吧 Z下周要出差": the reason after a hand-over is a clause of its own.
    handed = REASSIGN_THEN_REASON.search(text)
    if handed is not None and OWNER_BUSY.search(text[handed.end() :]):
        cuts.append(handed.end())
        # "… 小军这两天要去总部培训 然后 @老邱 你周五前弄完": the reason ends at the connective.
        joiner = CONNECTIVE.search(text, handed.end())
        if joiner is not None:
            cuts.append(joiner.start())
    # "@A 你负责X @B 你负责Y 都是明天早上五点之前弄好": the shared deadline is a clause of its own.
    for m in _ALL_DUE_START.finditer(masked):
        rel = m.start() + 1
        if (
            rel < len(text)
            and any(t.start - s0 >= rel for t in local_times)
            and ALL_DUE.fullmatch(masked[rel:])
            and _has_action(masked[:rel])
        ):
            cuts.append(rel)
    for m in _REPORT_END.finditer(masked):
        if _second_report(
            masked[_last_before(sorted(cuts), m.start()) : m.end()], masked[m.end() :]
        ):
            cuts.append(m.end())
    cuts.sort()
    # The sender taking a job, with no punctuation before it: "…写完 我来写测试用例".
    for m in SELF_ASSIGN.finditer(text):
        rel = m.start()
        if rel == 0 or text[rel - 1] in ",，" or text[rel - 1] in _BINDS_NAME:
            continue
        if m.group(0) == "交给我" and (
            re.search(r"把|大家|各位|所有人|全员|同事们", text[:rel])
            or any(r < rel for r in mention_starts)
        ):
            # "把周报交给我": the sender receives the work; no new actor.
            continue
        tail = _COMMA.split(masked[m.end() :], maxsplit=1)[0]
        # "采购方案我来出 下周三之前给老周": a due and a recipient after the bare verb.
        tail = re.sub(
            r"\s*(?:之前|以前|前)?\s*(?:(?:交给|发给|给|发|交)(?:你们|大家|你|他|她|各位[\u4e00-\u9fff]{0,4}|群里)?(?:看看|看|过目|确认)?)?\s*$",
            "",
            tail,
        )
        if _BARE_VERB_TAIL.fullmatch(tail):
            # "报价单我来准备": the object was said first; 我来 + a bare verb ends one job.
            continue
        last_cut = _last_before(cuts, rel)
        if _has_action(masked[max(last_cut, rel - _LOOK) : rel]):
            bisect.insort(cuts, rel)
    # A new actor with no punctuation before it.
    for rel, mention in sorted(mention_starts.items()) if not project else ():
        if rel == 0 or text[rel - 1] in ",，":
            continue
        joiner = _JOINER_BEFORE_NAME.search(text[max(0, rel - 5) : rel])
        if joiner is not None:
            # "…拍照发群里 还有小雨 你把…": a connective then a new addressee starts a request.
            at = rel - len(joiner.group(0))
            if at > 0 and _has_action(masked[max(_last_before(cuts, at), at - _LOOK) : at]):
                bisect.insort(cuts, at)
                continue
        prev = text[rel - 1]
        if prev in _BINDS_NAME or (prev == " " and rel >= 2 and text[rel - 2] in _BINDS_NAME):
            continue
        if _ROLE_BEFORE.search(text[max(0, rel - 6) : rel]):
            continue
        after = text[mention.end - s0 : mention.end - s0 + 4]
        if after.startswith(("的", "和", "跟", "、", "一起", "们")) or after.lstrip().startswith(
            "@"
        ):
            continue
        # Both look-arounds are bounded so that a long run stays linear.
        before = masked[max(_last_before(cuts, rel), rel - _LOOK) : rel]
        after_part = masked[mention.end - s0 : mention.end - s0 + _LOOK]
        if _has_action(before) and len(before.strip()) >= 2 and _has_action(after_part):
            bisect.insort(cuts, rel)

    bounds = sorted({0, *cuts, len(text)})
    out: list[Clause] = []
    for a, b in zip(bounds, bounds[1:], strict=False):
        piece = text[a:b]
        stripped = piece.strip(" ,，、")
        if not stripped:
            continue
        off = s0 + a + piece.index(stripped)
        end = off + len(stripped)
        out.append(
            Clause(
                text=stripped,
                start=off,
                sentence=index,
                list_item=sentence.list_item and a == 0,
                header=sentence.header and b == len(text),
                mentions=[m for m in local_mentions if m.start >= off and m.end <= end],
                times=[t for t in local_times if t.start >= off and t.end <= end],
            )
        )
    return out
