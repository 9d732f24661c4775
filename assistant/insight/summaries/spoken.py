"""Spoken Chinese as speech recognition writes it, made readable: sentences cut out of
unpunctuated turns, fillers and stutters dropped, restarts resolved ("周三不对周四" → "周四"),
common homophone slips corrected (登陆页 → 登录页, 以经 → 已经), punctuation put back.

Everything is regular expressions without nested quantifiers over bounded pieces, so a
transcript of any length is read in linear time. The raw span of every sentence is kept: it is
the verbatim source line a decision or an action item cites.
"""

from __future__ import annotations

import logging
import re
import unicodedata
from collections.abc import Iterable, Mapping, Sequence
from functools import lru_cache
from typing import Any

from assistant.insight.summaries.model import Sentence, TranscriptLine

__all__ = [
    "clean",
    "concise",
    "is_chitchat",
    "split_line",
    "split_transcript",
    "written",
    "written_words",
]

# A sentence ends here whatever else happens.
_HARD = re.compile(r"[。！？!?；;\n…]+|(?<![0-9A-Za-z])\.(?![0-9A-Za-z])")
# A pause: ASR writes one as a space or a comma.
_SOFT = re.compile(r"[ \t\u3000,，、]+")
# Words that open a new thought in speech; a long stretch is cut before them.
_OPENERS = re.compile(
    r"(?:然后|所以|但是|不过|另外|还有就是|还有一个|对了|那就|那我们|那你|那我|我觉得|因为|如果|"
    r"首先|其次|最后|接下来|总之|反正|其实|好那|行那|嗯那)"
)
_MAX_PIECE = 60  # characters; longer pieces are cut at an opener, then hard
_MIN_PIECE = 6

_FILLER_CHARS = "嗯呃唔"
_LEADING_FILLER = re.compile(
    r"^(?:[嗯呃唔啊哦噢诶欸哎唉额]+(?![度外头])|那个|这个(?=这个)|就是说|就是|然后|所以说|"
    r"对对对|对对|好好好|好好|那么|呢|吧|啊|嘛)+[\s,，]*"
)
_INNER_FILLER = re.compile(r"[嗯呃唔]+|(?<=[\u4e00-\u9fff])[啊呀哈](?=[\s,，。！？]|$)")
_DEMONSTRATIVE_FILLER = re.compile(
    r"(?:就是|嗯|呃)?那个(?=[我你他她它咱就然嗯呃啊这那])|这个(?=这个)|就是说|就是(?=那个|这个|然后)"
)
_STUTTER_MULTI = re.compile(r"([\u4e00-\u9fff]{2,4})\1+")
_STUTTER_ONE = re.compile(r"([\u4e00-\u9fff])\1{2,}")
# Reduplications that are words, not stutters.
_KEEP_DOUBLE = frozenset(
    "看看 试试 想想 问问 聊聊 谢谢 天天 常常 刚刚 慢慢 好好 渐渐 个个 人人 步步 哈哈 宝宝".split()
)

_TIME_HEAD = (
    r"(?:下下?周|这周|本周|下个?星期|下个?礼拜)?(?:周|星期|礼拜)[一二三四五六日天1-7]|[0-9一二三四五六七八九十两]{1,3}(?:号|日|点半?)"
    r"|明天|后天|今天|大后天|月底|月初|上午|下午|晚上|中午|早上"
)
_RESTART_TIME = re.compile(
    rf"(?P<old>{_TIME_HEAD})[\s,，]*(?:不对|哦不|呃不|啊不是|不是不是|说错了|不不)[\s,，]*(?=(?:{_TIME_HEAD}))"
)
_RESTART_CUE = re.compile(r"[\s,，]*(?:哦不对|不对不对|说错了|呃不是)[\s,，]*")

# Homophone slips of speech recognition in team talk: (pattern, replacement).
_HOMOPHONES: tuple[tuple[re.Pattern[str], str], ...] = tuple(
    (re.compile(p), r)
    for p, r in (
        (r"登陆", "登录"),
        (r"以经", "已经"),
        (r"帐号", "账号"),
        (r"按排", "安排"),
        (r"布署", "部署"),
        (r"测式", "测试"),
        (r"反溃", "反馈"),
        (r"工做", "工作"),
        (r"合做", "合作"),
        (r"操做", "操作"),
        (r"即然", "既然"),
        (r"(?<=[下次回头之后以后晚点改天明天到时候等会])在(?=[说议定看聊讨来过发改弄做])", "再"),
        (r"在(?=(?:一次|次|来一遍|发一遍|确认一下|对一下|过一遍|看一下|改一下|试一下))", "再"),
        (r"作(?=完|好了|一下|不完)", "做"),
    )
)

_CHITCHAT = re.compile(
    r"^(?:[嗯啊哦好的行对是呀吧哈嘿喂OKok收到没问题可以谢谢辛苦了大家早上午下午晚安拜散会走\s,，。!！~]|能听到吗|听得到吗|"
    r"不好意思|来晚了|吃饭|喝奶茶|哈哈+|早啊|你好|大家好)*$"
)


_ASKS = re.compile(
    r"要不要|是不是|能不能|可不可以|有没有|怎么|多少|哪个|哪些|哪里|什么|为什么|谁(?!写|来|做|负责)|到底|是.{1,10}还是|"
    # A-not-A ("还去不去", "做不做").
    r"([\u4e00-\u9fff])不\1"
)


def _nfkc(text: str) -> str:
    return unicodedata.normalize("NFKC", text)


# Spoken hedges and discourse markers that a written summary drops: they carry no content, and
# the attribution "我觉得" is implied by a summary of what was said. Hedges that change what a line
# claims (可能, 也许, 大概) are kept: "可能延期" must not become "延期".
_SPOKEN_ONLY = re.compile(
    r"其实|实际上|某种程度上|的话|对吧|是吧|就是说|然后|我觉得|我认为|这种这个|这个这个|那个那个"
)


def concise(text: str) -> str:
    """The written form of a cleaned sentence for a summary: spoken hedges and discourse markers
    dropped (``clean`` keeps them, since cue grammars read them). Keeps the text when too little
    would be left."""
    short = _SPOKEN_ONLY.sub("", text)
    return short if len(short.strip("。？！，")) >= 4 else text


# Words of speech that a written summary goes without, dropped as whole jieba words (so "这个"
# goes but "这个月" stays), each only where it is speech and not grammar. Chosen on the VCSum
# development split: summaries are impersonal, written prose. Words that carry logic or
# quantity (因为, 如果, 都, 也, 很多) stay.
# - the speakers' pronouns and the openers that only link turns, at the head of a clause
#   ("我们下周上线" → "下周上线"), never after a verb ("交给我", "让你们先看");
_CLAUSE_HEAD_DROP = frozenset("我们 你们 咱们 我 你 所以 但是 那么 那 就 就是".split())
# - "就是" as a filler inside a clause too ("方案就是要下周上线"), but not as a copula after these
#   ("这就是问题", "也就是说");
_COPULA_BEFORE = frozenset("这 那 不 也 正 还 可 要 都 这个 那个".split())
# - an opinion verb right after such a dropped pronoun ("我看就不彩排了" → "不彩排了");
_OPINION = frozenset("看 觉得 感觉 认为 估计".split())
_OPINION_OBJECT = frozenset("一下 看 了 到 见 过 着 完".split())
# - sentence particles and fillers anywhere;
_PARTICLES = frozenset("呢 啊 吧 嘛 呀 哦 嗯 诶".split())
# - demonstratives and "一个" used as fillers, but not where they say which or how many, and not
#   as the object that ends a clause ("说到这个").
_DETERMINERS = frozenset("这个 那个 这种 那种 一个 这样".split())
# "这个月", "一个星期": before a time or a measure the determiner is what says which or how many.
_KEEPS_DETERMINER = re.compile(
    r"^(?:月|星期|礼拜|周|季度|小时|钟头|阶段|年|月份|晚上|半月|半小时|多月)"
)
# "一个" is an article only after these ("是一个好机会", "有一个研究"); elsewhere it counts
# ("一个人做不完").
_INDEFINITE_AFTER = frozenset("是 有 成为 作为 变成 当成 做 了 出 这样 那样 这么 那么".split())
_CLAUSE_END = frozenset("，。？！；：、,.?!;:")
# Speech recognition sets numbers off with spaces, which ``clean`` reads as pauses: "有，1000，只
# 股票" is written "有1000只股票".
_NUMBER_PAUSE = re.compile(r"，?(\d[\d.]*)，(?=[年月日号点个万千百亿元块岁%倍次位名家只条天周])")
_COMMAS = re.compile(r"，{2,}")
_COMMA_END = re.compile(r"，+(?=[。？！]|$)")


@lru_cache(maxsize=1)
def _jieba() -> Any:
    try:
        import jieba
    except ImportError:  # pragma: no cover - jieba is a declared dependency
        return None
    jieba.setLogLevel(logging.WARNING)
    jieba.initialize()
    return jieba


def written(text: str) -> str:
    """The form of a cleaned sentence that a summary quotes: ``concise``, then the words of
    speech left out (``_written``). Keeps the concise text when too little would be left."""
    return written_words(text)[0]


def written_words(text: str) -> tuple[str, list[str]]:
    """``written(text)`` and its jieba words (``HMM=False``), so a ranker need not cut it again."""
    short = concise(text)
    jb = _jieba()
    if jb is None:  # pragma: no cover - jieba is a declared dependency
        return short, list(short)
    words = jb.lcut(short, HMM=False)
    kept = _written(words)
    out = _NUMBER_PAUSE.sub(r"\1", "".join(kept))
    out = _COMMA_END.sub("", _COMMAS.sub("，", out)).lstrip("，")
    return (out, kept) if len(out.strip("。？！，")) >= 4 else (short, words)


def _written(words: list[str]) -> list[str]:
    """The words a written sentence keeps (see the word sets above)."""
    kept: list[str] = []
    head = True  # nothing of the current clause kept yet
    pronoun_dropped = False
    for i, w in enumerate(words):
        after = words[i + 1] if i + 1 < len(words) else ""
        before = words[i - 1] if i else ""
        if w in _CLAUSE_END:
            kept.append(w)
            head, pronoun_dropped = True, False
            continue
        drop = False
        if w in _PARTICLES:
            drop = True
        elif head and w in _CLAUSE_HEAD_DROP:
            drop = True
            pronoun_dropped = pronoun_dropped or w in ("我", "我们", "咱们")
        elif w == "就是" and before not in _COPULA_BEFORE and after not in _CLAUSE_END:
            drop = after != ""
        elif head and pronoun_dropped and w in _OPINION:
            drop = after not in _OPINION_OBJECT and after not in _CLAUSE_END and after != ""
        elif w in _DETERMINERS:
            if w == "一个":
                drop = before in _INDEFINITE_AFTER and _KEEPS_DETERMINER.match(after) is None
            else:
                drop = (
                    _KEEPS_DETERMINER.match(after) is None
                    and after not in _CLAUSE_END
                    and after != ""
                )
        if not drop:
            kept.append(w)
            head = False
    return kept


def is_chitchat(text: str) -> bool:
    """Greetings, acknowledgements and laughter: nothing a summary should say."""
    stripped = text.strip()
    return not stripped or len(stripped) <= 2 or _CHITCHAT.fullmatch(stripped) is not None


def _collapse_stutter(text: str) -> str:
    def multi(m: re.Match[str]) -> str:
        return m.group(1)

    def one(m: re.Match[str]) -> str:
        return m.group(1)

    out = _STUTTER_MULTI.sub(lambda m: m.group(0) if m.group(0) in _KEEP_DOUBLE else multi(m), text)
    return _STUTTER_ONE.sub(one, out)


def clean(text: str, *, names: Iterable[str] = ()) -> str:
    """One stretch of speech, readable: no fillers or stutters, restarts resolved, homophones
    corrected, pauses as commas, a full stop or question mark at the end."""
    text = _nfkc(text).strip()
    if not text:
        return ""
    text = _RESTART_TIME.sub("", text)
    text = _RESTART_CUE.sub("，", text)
    for pattern, replacement in _HOMOPHONES:
        text = pattern.sub(replacement, text)
    text = _collapse_stutter(text)
    pieces = []
    for piece in _SOFT.split(text):
        piece = _LEADING_FILLER.sub("", piece)
        piece = _DEMONSTRATIVE_FILLER.sub("", piece)
        piece = _INNER_FILLER.sub("", piece)
        piece = _LEADING_FILLER.sub("", piece).strip()
        if piece:
            pieces.append(piece)
    # Drop acknowledgements that lead a longer sentence ("好，那……").
    while len(pieces) > 1 and is_chitchat(pieces[0]) and len(pieces[0]) <= 3:
        pieces.pop(0)
    out = "，".join(pieces).strip("，")
    out = out.rstrip("。.！!？?～~")
    if not out:
        return ""
    last = out.rsplit("，", 1)[-1]
    asks = out.endswith(("吗", "么", "呢")) or (
        _ASKS.search(last) is not None and not last.endswith(("吧", "了", "的", "看"))
    )
    return out + ("？" if asks else "。")


def _cut_long(text: str, start: int) -> list[tuple[int, int]]:
    """Spans of ``text`` (offset ``start``) no longer than ``_MAX_PIECE``, cut before openers."""
    if len(text) <= _MAX_PIECE:
        return [(start, start + len(text))]
    cuts = [
        m.start()
        for m in _OPENERS.finditer(text)
        if _MIN_PIECE <= m.start() <= len(text) - _MIN_PIECE
    ]
    if cuts:
        middle = len(text) // 2
        cut = min(cuts, key=lambda c: abs(c - middle))
    else:
        cut = _MAX_PIECE
    return _cut_long(text[:cut], start) + _cut_long(text[cut:], start + cut)


def split_line(text: str) -> list[tuple[int, int]]:
    """(start, end) spans of the sentences of one raw line.

    Hard punctuation always ends a sentence. Pauses (spaces, commas) are joined into sentences
    of a readable length, a new sentence starting where a pause is followed by an opener
    ("然后", "那我们"…); what is still too long is cut before an opener or, failing that, hard.
    """
    spans: list[tuple[int, int]] = []
    pos = 0
    for m in [*_HARD.finditer(text), None]:
        end = m.start() if m is not None else len(text)
        if end > pos:
            spans.extend(_sentences_of(text, pos, end))
        if m is None:
            break
        pos = m.end()
    return spans


def _sentences_of(text: str, start: int, end: int) -> list[tuple[int, int]]:
    pieces: list[tuple[int, int]] = []
    pos = start
    for m in _SOFT.finditer(text, start, end):
        if m.start() > pos:
            pieces.append((pos, m.start()))
        pos = m.end()
    if pos < end:
        pieces.append((pos, end))
    out: list[tuple[int, int]] = []
    cur: tuple[int, int] | None = None
    for a, b in pieces:
        piece = text[a:b]
        opens = _OPENERS.match(piece) is not None or _LEADING_FILLER.match(piece) is not None
        if cur is None:
            cur = (a, b)
        elif (opens and cur[1] - cur[0] >= _MIN_PIECE) or b - cur[0] > _MAX_PIECE:
            out.append(cur)
            cur = (a, b)
        else:
            cur = (cur[0], b)
    if cur is not None:
        out.append(cur)
    final: list[tuple[int, int]] = []
    for a, b in out:
        final.extend(_cut_long(text[a:b], a))
    return final


def split_transcript(
    lines: Sequence[TranscriptLine], *, speakers: Mapping[str, str] | None = None
) -> list[Sentence]:
    """Every sentence of a transcript, cleaned, with its line, raw span and speaker.

    ``speakers`` maps a speaker label to the member it was recognised as.
    """
    out: list[Sentence] = []
    for line_no, line in enumerate(lines):
        speaker = line.speaker
        if speaker is not None and speakers:
            speaker = speakers.get(speaker, speaker)
        for a, b in split_line(line.text):
            raw = line.text[a:b]
            text = clean(raw)
            if not text:
                continue
            out.append(Sentence(len(out), line_no, a, b, raw, text, speaker))
    return out
