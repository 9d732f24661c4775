"""Text clean-up and clause splitting.

Every function here runs in time linear in its input: the patterns have no nested quantifiers
and long inputs are cut before any of them run.
"""

from __future__ import annotations

import logging
import re
import unicodedata
from dataclasses import dataclass
from functools import lru_cache
from typing import Any

__all__ = [
    "MAX_CHARS",
    "Segment",
    "jieba_module",
    "normalize",
    "split_sentences",
    "strip_particles",
]

# A chat command longer than this is not a command; only the head is read.
MAX_CHARS = 4000

_KEEP_CONTROL = {"\n"}
# WeChat/WeCom text emoticons such as [微笑] or [强].
_EMOTICON = re.compile(r"\[[\u4e00-\u9fffA-Za-z]{1,4}\]")
_DONE_MARK = re.compile(r"[\u2705\u2714\u2611\U0001F197]\ufe0f?")
_SPACES = re.compile(r"[ \t\u3000]+")
_NEWLINES = re.compile(r"\s*\n\s*")


# Traditional → simplified, one to one, for the characters of commands (times are left to
# assistant.timeparse, which folds its own).
_TRAD_PAIRS = (
    "開开會会議议討讨論论題题務务責责負负項项設设計计發发報报給给須须緊紧確确認认據据單单"
    "週周預预約约請请麻麻煩烦幫帮個个這这們们來来說说話话點点時时間间後后從从還还沒没過过"
    "進进實实現现問问題题與与對对應应該该總总結结記记錄录檔档圖图稿稿線线體体驗验測测試试"
    "處处理理準准備备資资料料產产業业務务聯联繫系訊讯號号樓楼層层場场辦办室室騰腾訊讯飛飞書书"
    "釘钉電电視视頻频結结束束排排優优級级急急馬马上上立立即即盡尽快快低低團团隊队員员組组長长"
    "經经導导權权審审核核訂订購购買买賣卖寫写畫画傳传遞递給给帳账戶户標标準准網网頁页碼码數数"
    "據据庫库維维護护運运營营銷销讓让叫叫們们聽听見见覺觉得得為为麼么嗎吗呢呢吧吧啊啊"
)
_TRAD = {ord(_TRAD_PAIRS[i]): ord(_TRAD_PAIRS[i + 1]) for i in range(0, len(_TRAD_PAIRS) - 1, 2)}


def normalize(text: str) -> str:
    """Full-width to half-width, simplified characters, no control or format characters, no
    emoji, single spaces."""
    if len(text) > MAX_CHARS:
        text = text[:MAX_CHARS]
    text = unicodedata.normalize("NFKC", text).translate(_TRAD)
    # A check mark reports work done ("banner updated ✅"); other emoji are mood.
    text = _DONE_MARK.sub(" done ", text)
    out: list[str] = []
    for ch in text:
        if ch in _KEEP_CONTROL:
            out.append(ch)
            continue
        cat = unicodedata.category(ch)
        if cat in ("Cc", "Zl", "Zp"):
            if ch in "\r\u2028\u2029\x0b\x0c":
                out.append("\n")
            elif ch == "\t":
                out.append(" ")
        elif cat in ("Cf", "Cs", "Co", "Cn", "Mn", "Me", "Sk"):
            continue
        elif cat == "So" or ord(ch) >= 0x1F000:
            # Emoji and pictographs carry mood, not commands.
            out.append(" ")
        else:
            out.append(ch)
    cleaned = "".join(out)
    cleaned = _EMOTICON.sub(" ", cleaned)
    cleaned = _SPACES.sub(" ", cleaned)
    cleaned = _NEWLINES.sub("\n", cleaned)
    return cleaned.strip()


@dataclass(frozen=True, slots=True)
class Segment:
    """A span of the normalized text: a sentence, a list item or a clause."""

    text: str
    start: int
    list_item: bool = False
    header: bool = False  # ends with a colon and introduces a list

    @property
    def end(self) -> int:
        return self.start + len(self.text)


# Sentence ends, and list markers at a line start or after a sentence end ("1." "2、" "①" "(1)").
_SENTENCE_END = re.compile(r"[。!?！？;；\n]+|(?<=[\u4e00-\u9fff])\.(?!\d)")
_LIST_MARK = re.compile(
    r"(?:^|(?<=[\s。!?！？;；:：,，]))"
    r"(?:\(?\d{1,2}[.、)）](?!\d)|[(（]\d{1,2}[)）]|[①②③④⑤⑥⑦⑧⑨⑩]|[一二三四五六七八九十][、.]|[-*•·](?=\s))\s*"
)


# "阿豪这周五前搞定：合同归档、发票核对；报销单提交": a colon, then short items.
_INLINE_COLON = re.compile(r"[:：]")
_INLINE_SEP = re.compile(r"[、;；]")
_INLINE_LINE_END = re.compile(r"[。!?！？\n]")
# A colon after these is a label ("议题：A、B", "成员：A、B"), not a list of jobs.
_LABEL_HEAD = re.compile(r"会|议|讨论|聊|项目|成员|地点|时间|主题|备注|原因|参与|包括|有")
# A header of jobs says when or that things are to be finished: "这周五前搞定：", "以下几件事：".
_TASK_HEAD = re.compile(
    r"前|内|截止|搞定|完成|做完|处理|负责|跟进|以下|如下|几件事|几个事|任务|待办"
)


def _inline_items(text: str) -> list[tuple[int, int]]:
    """(colon, separators…) spans that cut "H：a、b、c" into a header and its items."""
    spans: list[tuple[int, int]] = []
    for colon in _INLINE_COLON.finditer(text):
        # Both look-arounds are bounded so that a text full of colons stays linear.
        window = max(0, colon.start() - 30)
        head_start = max(
            (m.end() for m in _INLINE_LINE_END.finditer(text, window, colon.start())),
            default=window,
        )
        head = text[head_start : colon.start()]
        if not head.strip() or _LABEL_HEAD.search(head) or not _TASK_HEAD.search(head):
            continue
        end_m = _INLINE_LINE_END.search(text, colon.end(), colon.end() + 201)
        end = end_m.start() if end_m is not None else min(len(text), colon.end() + 201)
        if end - colon.end() > 200:
            continue
        seps = list(_INLINE_SEP.finditer(text, colon.end(), end))
        bounds = [colon.end(), *(m.end() for m in seps), end + 1]
        parts = [text[a : b - 1] for a, b in zip(bounds, bounds[1:], strict=False)]
        if len(seps) < 1 or any(
            not 2 <= len(p.strip()) <= 20 or re.search(r"[,，:：]", p) for p in parts
        ):
            continue
        spans.append((colon.start(), colon.end()))
        spans.extend((m.start(), m.end()) for m in seps)
    return spans


def split_sentences(text: str) -> list[Segment]:
    """Sentences and list items, in order, with their offsets in ``text``."""
    cuts: list[tuple[int, int, bool]] = []  # (start, end, starts a list item)
    marks = [(m.start(), m.end()) for m in _LIST_MARK.finditer(text)]
    marks.extend(_inline_items(text))
    item_starts = {end for _, end in marks}
    boundaries: list[tuple[int, int]] = [(m.start(), m.end()) for m in _SENTENCE_END.finditer(text)]
    boundaries.extend(marks)
    boundaries.sort()
    pos = 0
    for b_start, b_end in boundaries:
        if b_start < pos:
            pos = max(pos, b_end)
            continue
        if b_start > pos:
            cuts.append((pos, b_start, pos in item_starts))
        pos = b_end
    if pos < len(text):
        cuts.append((pos, len(text), pos in item_starts))
    out: list[Segment] = []
    for start, end, item in cuts:
        chunk = text[start:end]
        stripped = chunk.strip(" ,，、")
        if not stripped:
            continue
        offset = start + chunk.index(stripped)
        header = (
            stripped.endswith((":", "："))
            or text[end : end + 1] in (":", "：")
            or (bool(re.search(r"[:：]\s*$", text[start : min(len(text), end + 2)])) and not item)
        )
        out.append(Segment(stripped.rstrip(":："), offset, item, header))
    return out


_PARTICLES = "吧啊呀哈哦呢嘛啦哇噢喔哟了的"


def strip_particles(text: str, *, keep_le: bool = False) -> str:
    """Drops trailing modal particles and punctuation ("设计稿出了吧~" → "设计稿出")."""
    particles = _PARTICLES.replace("了", "") if keep_le else _PARTICLES
    end = len(text)
    while end > 0 and (text[end - 1] in particles or text[end - 1] in " ,，。.!！~～、:：;；"):
        end -= 1
    return text[:end]


@lru_cache(maxsize=1)
def jieba_module() -> Any:
    """jieba with its dictionary loaded (once per process, about 0.5 s): the word segmenter the
    learned gate cuts messages with and the dictionary tags the title grammar reads."""
    import jieba

    jieba.setLogLevel(logging.WARNING)
    jieba.initialize()
    return jieba
