"""What every transcriber does to its text: prompts that bias Whisper, and Chinese that reads right.

No style sentence is shown to Whisper: measured on the shared Mandarin clips, the old
"以下是普通话的句子。" prompt raised the mean CER of Whisper base from 0.07 to 0.16 (it turned
"换一首歌" into "坏一首歌" and made the meeting clip worse), and a prompt of member names and
terms did about as much harm on speech that did not contain them (see ``evals/asr.py``). Without
a prompt Whisper writes Chinese with spaces at pauses and little punctuation, in either script,
so afterwards the text is converted to simplified characters, pauses become "，", a segment ends
with "。" (or "？" after a question particle), ASCII punctuation between Chinese characters
becomes full-width, loops of the same phrase are cut and the well-known phrases Whisper invents
over silence are dropped.
"""

from __future__ import annotations

import re
from collections.abc import Iterable, Sequence

import zhconv

__all__ = [
    "build_prompt",
    "clean_text",
    "collapse_repeats",
    "is_hallucination",
    "is_chinese",
    "punctuate",
    "whisper_prompt",
]

# Whisper keeps at most 223 prompt tokens; a Chinese character costs one to three.
_MAX_PROMPT_CHARS = 120
_MAX_REPEATS = 2

# Phrases Whisper is known to produce over silence or music, learnt from subtitle credits.
# Markers are specific enough to drop a segment that contains them; whole phrases only when
# they are all the segment says, since people do say them.
_HALLUCINATION_MARKERS = (
    "明镜与点点",
    "请不吝点赞",
    "字幕由",
    "amara.org",
    "yoyo television",
    "优优独播剧场",
)
_HALLUCINATION_PHRASES = frozenset({"谢谢观看", "感谢观看", "谢谢大家观看", "中文字幕"})
_MIN_ECHO_CHARS = 4
_PROMPT_WORDS = re.compile(r"[\s，。？！、,.?!:：;；]+")

_FULL_WIDTH = str.maketrans({",": "，", "?": "？", "!": "！", ":": "：", ";": "；"})
_CJK = r"[\u3400-\u9fff\uf900-\ufaff]"
_ASCII_PUNCT_NEAR_CJK = re.compile(rf"(?<={_CJK})\s*([,?!:;])\s*|\s*([,?!:;])\s*(?={_CJK})")
_PERIOD_AFTER_CJK = re.compile(rf"(?<={_CJK})\.(?!\d)")
_SPACE_BETWEEN_CJK = re.compile(rf"(?<={_CJK})\s+(?={_CJK})")
_SPACE_AFTER_PUNCT = re.compile(r"(?<=[，。？！：；、])\s+")
_QUESTION_FINALS = frozenset("吗么")
_NOT_WORD = re.compile(r"[\s，。？！、,.?!:：;；“”\"'()（）]+")
_REPEAT = re.compile(r"(.{1,30}?)\1{" + str(_MAX_REPEATS + 1) + r",}", re.DOTALL)


def is_chinese(language: str | None) -> bool:
    return bool(language) and str(language).lower().split("-")[0] in {"zh", "cmn", "yue"}


def build_prompt(*, members: Iterable[str] = (), terms: Iterable[str] = ()) -> str:
    """A prompt from a chat's member names and project terms, for ``Transcriber(prompt=...)``.

    >>> build_prompt(members=["张伟", "李娜"], terms=["群秘", "周报"])
    '成员：张伟、李娜。术语：群秘、周报。'
    """
    parts = []
    names = _unique(members)
    words = _unique(terms)
    if names:
        parts.append("成员：" + "、".join(names) + "。")
    if words:
        parts.append("术语：" + "、".join(words) + "。")
    return "".join(parts)


def whisper_prompt(prompt: str | None, language: str | None) -> str | None:
    """The initial prompt actually sent to Whisper: the caller's words, bounded, or nothing."""
    extra = (prompt or "").strip()
    if len(extra) > _MAX_PROMPT_CHARS:
        extra = extra[:_MAX_PROMPT_CHARS].rsplit("、", 1)[0] + "。"
    return extra or None


def clean_text(text: str, language: str | None) -> str:
    """Simplified script, full-width punctuation, no loops: text as a Chinese reader expects."""
    out = text.strip()
    if is_chinese(language):
        out = zhconv.convert(out, "zh-hans")
        out = _ASCII_PUNCT_NEAR_CJK.sub(
            lambda m: (m.group(1) or m.group(2)).translate(_FULL_WIDTH), out
        )
        out = _PERIOD_AFTER_CJK.sub("。", out)
        # Without a prompt Whisper marks a pause in Chinese with a space.
        out = _SPACE_AFTER_PUNCT.sub("", out)
        out = _SPACE_BETWEEN_CJK.sub("，", out)
    return collapse_repeats(out)


def punctuate(text: str, language: str | None) -> str:
    """End a Chinese segment with a full stop (a question mark after 吗/么) if it has none.

    >>> punctuate("明天下午开会吗", "zh")
    '明天下午开会吗？'
    """
    if not is_chinese(language) or not text or not re.search(_CJK + "$", text):
        return text
    return text + ("？" if text[-1] in _QUESTION_FINALS else "。")


def collapse_repeats(text: str, *, keep: int = _MAX_REPEATS) -> str:
    """Cut a phrase repeated more than ``keep`` times in a row down to ``keep`` copies.

    >>> collapse_repeats("好的好的好的好的好的，下周见")
    '好的好的，下周见'
    """
    return _REPEAT.sub(lambda m: m.group(1) * keep, text)


def is_hallucination(text: str, prompt: str | None = None) -> bool:
    """True for a segment that is a known silence phrase or an echo of the prompt."""
    squeezed = _squeeze(text)
    if not squeezed:
        return True
    if squeezed in _HALLUCINATION_PHRASES:
        return True
    if any(marker in squeezed for marker in _HALLUCINATION_MARKERS):
        return True
    if prompt is None:
        return False
    if len(squeezed) >= _MIN_ECHO_CHARS and squeezed in _squeeze(prompt):
        return True
    # Over silence Whisper also strings the prompt's own words together ("术语：张伟：张伟：").
    rest = squeezed
    for word in sorted(_PROMPT_WORDS.split(prompt), key=len, reverse=True):
        if len(word) >= 2:
            rest = rest.replace(_squeeze(word), "")
    # What is left is at most a stray character of a cut-off label ("语：张伟、李娜。…"), or, in a
    # longer run, a misheard label ("作语：张伟：群秘、周报。" for 术语): a quarter of it at most.
    return len(rest) <= max(1, len(squeezed) // 4) and len(squeezed) > 1


def _squeeze(text: str) -> str:
    return _NOT_WORD.sub("", text).lower()


def _unique(items: Iterable[str]) -> Sequence[str]:
    seen: dict[str, None] = {}
    for item in items:
        word = item.strip()
        if word:
            seen.setdefault(word, None)
    return list(seen)
