"""Words for the keyword index: jieba's search-mode segmentation (MIT), normalised.

Documents and queries go through the same steps, so what is stored and what is looked up
agree: NFKC (full-width letters and digits become ASCII), lower case, jieba in search mode
(long words and their shorter parts), whole ASCII runs kept as one term too (file names,
URLs, version numbers: ``首页_v2.fig``, ``test.yunfan.com``), punctuation and function
words dropped. A short list of workplace words keeps jieba from splitting them.
"""

from __future__ import annotations

import logging
import re
import threading
import unicodedata
from collections import Counter
from typing import Any

__all__ = ["document_terms", "normalize", "query_terms", "segment", "STOPWORDS"]

_WORKPLACE_WORDS = (
    "小程序",
    "公众号",
    "双十一",
    "双十二",
    "设计稿",
    "切图",
    "联调",
    "对账",
    "上线",
    "验收",
    "周会",
    "例会",
    "复盘",
    "排期",
    "需求文档",
    "测试报告",
    "测试用例",
    "测试环境",
    "生产环境",
    "灰度",
    "压测",
    "埋点",
    "备案",
    "主色调",
    "辅助色",
    "交接文档",
    "接口文档",
    "共享盘",
    "客单价",
    "商户号",
    "回调地址",
    "软著",
    "高新技术企业",
    "客诉",
    "团建",
    "报销",
    "年假",
)

# Function words, pronouns and question words: they say how something is asked, not what about.
_STOPWORDS = frozenset(
    """
    的 了 是 在 和 与 及 或 就 都 也 还 又 再 很 太 最 更 挺 被 把 将 给 让 对 向 从 到 于 为 以 由
    这 那 哪 哪个 哪些 哪里 哪儿 哪家 这个 那个 这些 那些 这边 那边 这里 那里 此 其 之 而 并 但 却
    我 你 他 她 它 我们 你们 他们 她们 咱们 大家 自己 您 谁 什么 怎么 怎样 怎么样 如何 为什么 为啥
    多少 几 几个 吗 呢 吧 啊 呀 哦 嗯 哈 么 嘛 啦 呗 哟 喔 一下 一个 一些 有没有 是不是 能不能
    之前 以前 当时 后来 现在 最后 最终 目前 已经 还是 然后 就是 可以 需要 要 会 能 得 地 着 过
    我们 说 问 请问 想 知道 告诉 一 个 下 上 里 中 吗 呢 么 有 没 没有 不 别 用 做 搞 弄 定 跟
    a an the of to in on at for by with from and or is are was were be been do does did
    what which who whom when where why how we our us you your it its this that these those
    will would can could should shall may please there any some
    """.split()
)

STOPWORDS = _STOPWORDS
_ASCII_RUN = re.compile(r"[a-z0-9][a-z0-9._/#:@%+-]*[a-z0-9%]|[a-z0-9]")
_HAS_WORD = re.compile(r"[0-9a-z\u3400-\u9fff]")
_CJK = re.compile(r"[\u3400-\u9fff]")

_lock = threading.Lock()
_tokenizer: Any = None


def _jieba() -> Any:
    """One jieba tokenizer per process, its dictionary loaded on first use (about a second)."""
    global _tokenizer
    if _tokenizer is None:
        with _lock:
            if _tokenizer is None:
                import jieba

                jieba.setLogLevel(logging.WARNING)
                tokenizer = jieba.Tokenizer()
                tokenizer.initialize()
                for word in _WORKPLACE_WORDS:
                    tokenizer.add_word(word, freq=20000)
                _tokenizer = tokenizer
    return _tokenizer


def segment(text: str) -> list[str]:
    """The words of a text in order (jieba's accurate mode, normalised), spaces left out."""
    return [t for t in _jieba().cut(normalize(text)) if t.strip()]


def normalize(text: str) -> str:
    return unicodedata.normalize("NFKC", text).lower()


def _terms(text: str) -> list[str]:
    text = normalize(text)
    out: list[str] = []
    for token in _jieba().cut_for_search(text):
        token = token.strip()
        if not token or token in _STOPWORDS or not _HAS_WORD.search(token):
            continue
        out.append(token[:100])
    for run in _ASCII_RUN.findall(text):
        if len(run) > 1 and not run.isdigit() and run not in out and run not in _STOPWORDS:
            out.append(run[:100])
    return out


def document_terms(text: str) -> Counter[str]:
    """Term → count, for storing one passage in the keyword index."""
    return Counter(_terms(text))


def query_terms(text: str, *, translate: bool = True) -> list[str]:
    """The distinct terms of a query, in order of appearance. A query written without any
    Chinese (an English question over a Chinese history) also looks for the Chinese words of
    its English ones (``glossary``), after its own terms."""
    terms = list(dict.fromkeys(_terms(text)))
    if translate and not _CJK.search(text):
        from assistant.memory.glossary import chinese_for

        extra = [t for word in terms for zh in chinese_for(word) for t in _terms(zh)]
        terms = list(dict.fromkeys([*terms, *extra]))
    return terms
