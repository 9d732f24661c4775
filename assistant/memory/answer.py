"""Answering questions about the past: "首页改版我们之前怎么定的？", "设计稿最新版在哪？",
"谁负责支付对接？", "小程序为什么延期？".

The answer is built only from retrieved passages, each quoted with who said it, when, in which
chat, and a link to it in the console, or it is an honest "没找到".

- Offline (no model): extractive. The best passages above the relevance threshold, each
  trimmed to the sentence that matches the question; a question found in the history brings
  the replies that followed it.
- With a chat model: the model answers from the numbered passages only, citing them as
  ``[n]``; an answer that cites nothing it was given, or a failing model, falls back to the
  extractive answer.
"""

from __future__ import annotations

import logging
import re
from collections.abc import Callable, Sequence
from dataclasses import dataclass, field, replace
from datetime import datetime, timedelta, tzinfo
from typing import Literal

from assistant.errors import HistoryUnavailable, ModelError
from assistant.memory.cues import (
    asked_attributes,
    asked_types,
    asks_status,
    codes,
    contrasted,
    has_cjk,
    holds_near,
    holds_type,
    is_open,
    masked,
    who_verbs,
)
from assistant.memory.ports import NO_FILTER, DocFilter, HistoryDoc
from assistant.memory.search import (
    Calibration,
    HistorySearch,
    SearchHit,
    SearchMode,
    is_question,
)
from assistant.memory.tokens import document_terms, query_terms
from assistant.ports import ChatModel, ChatTurn
from assistant.unit_of_work import UnitOfWork, UnitOfWorkFactory

__all__ = ["Answer", "AnswerConfig", "Answerer", "Source", "Support", "NOT_FOUND"]

log = logging.getLogger(__name__)

NOT_FOUND = "没找到"
_NEVER_SAID = " never said "  # no passage holds a term with spaces: its weight is the unseen one
_SENTENCE = re.compile(r"[^。！？!?；;\n]+[。！？!?；;]?")
_CITATION = re.compile(r"\[(\d{1,2})\]")


@dataclass(frozen=True, slots=True)
class AnswerConfig:
    """``thresholds``: the relevance (see ``SearchHit.relevance``) the best passage needs for
    an answer, per search mode; measured on the development set by ``qunmi eval memory``."""

    thresholds: dict[str, float] = field(
        default_factory=lambda: {"hybrid": 0.5, "keyword": 0.6, "vector": 0.7}
    )
    max_sources: int = 3
    model_passages: int = 6
    quote_chars: int = 120
    replies: int = 2
    reply_window: timedelta = timedelta(hours=6)
    model_timeout_seconds: float = 30.0
    # The thread around a leading passage: the lines just before and after it in its chat.
    thread_anchors: int = 5
    thread_lines: int = 2
    thread_window: timedelta = timedelta(hours=1)
    # The "没找到" decision beyond the threshold: the best passage must hold what the question
    # asks for (a person, a time, a number, a file, a reason) and, with its thread, must not
    # miss a word that carries this share of the question's weight ...
    missing_share: float = 0.35
    # ... unless its meaning is this close (the embedder's scale, 0–1) and both rankings agree.
    meaning_override: float = 0.85
    # What is asked about the subject ("X的Y是多少": Y) must be in the passage, unless it
    # means the same this closely.
    attribute_override: float = 0.97
    agree_rank: int = 3
    # The conversation a passage is part of, for the numbers and codes a question names:
    # the lines before it in its chat, this many, this far back.
    context_lines: int = 8
    context_window: timedelta = timedelta(hours=24)

    def describe(self, mode: str) -> str:
        """The no-answer rule in use, in words (printed by ``qunmi eval memory``)."""
        threshold = self.thresholds.get(mode, 0.5)
        return (
            f"回答需要：最相关段落相关度 ≥ {threshold:.2f}；它本身含有问题要的答案类型"
            f"（人/时间/数量/地点/文件/原因；谁＝说这话的人）；问题问的属性（“X的Y是多少”的 Y）"
            f"在段落里，除非语义接近度 ≥ {self.attribute_override:.2f}；问题里没有一个权重占"
            f" ≥ {self.missing_share:.0%} 的词（历史里出现过的）在段落里缺席，除非语义接近度 ≥ "
            f"{self.meaning_override:.2f} 且关键词与向量排名都在前 {self.agree_rank}；"
            f"问题里的数字或编号（充5000、C260）在段落或它前后的对话里，且不算作答案本身；"
            f"段落不是“还没定/再议”的事；段落说的不是所问之物的同类（问罐装、说瓶装）；"
            f"问钱要有金额，问多久要有时长；问题和段落语言不同时只看相关度"
        )


@dataclass(frozen=True, slots=True)
class Source:
    """A passage an answer stands on."""

    doc_id: str
    kind: str
    source: str
    record_id: int
    chat: str | None
    sender: str | None
    time: datetime
    quote: str
    link: str | None
    relevance: float = 0.0

    def to_dict(self) -> dict[str, object]:
        return {
            "doc_id": self.doc_id,
            "kind": self.kind,
            "source": self.source,
            "id": self.record_id,
            "chat": self.chat,
            "sender": self.sender,
            "time": self.time.isoformat(),
            "quote": self.quote,
            "link": self.link,
            "relevance": round(self.relevance, 3),
        }


@dataclass(frozen=True, slots=True)
class Support:
    """Why a passage may answer a question: what the no-answer decision looks at."""

    relevance: float
    holds_type: bool  # it holds the kind of answer asked for
    missing: float  # the heaviest question word absent from it and its thread, as a share
    attribute_missing: bool  # what is asked about the subject (牌子, IBU, 保质期) is not in it
    meaning: float | None  # closeness in meaning on the embedder's scale
    agree: bool  # the keyword and the vector rankings both put it near the top
    across: bool  # question and passage are in different languages
    codes_missing: bool = False  # a number or code the question names (充5000, C260) is not in it
    open: bool = False  # it says the matter is not settled ("还没定", "下次再议")
    contrast: tuple[str, str] | None = None  # it speaks of a sibling of what is asked (瓶装 / 罐装)

    def answers(self, threshold: float, cfg: AnswerConfig) -> bool:
        if self.relevance < threshold or not self.holds_type:
            return False
        if self.open:
            return False
        if self.across:
            return True
        if self.codes_missing or self.contrast is not None:
            return False
        close = self.agree and (self.meaning or 0.0) >= cfg.meaning_override
        if self.attribute_missing and (self.meaning or 0.0) < cfg.attribute_override:
            return False
        return self.missing < cfg.missing_share or close


@dataclass(slots=True)
class Answer:
    question: str
    found: bool
    text: str
    sources: list[Source] = field(default_factory=list)
    method: Literal["extractive", "llm"] = "extractive"
    degraded: str | None = None
    error: str | None = None
    hits: list[SearchHit] = field(default_factory=list)

    def to_dict(self) -> dict[str, object]:
        return {
            "question": self.question,
            "found": self.found,
            "answer": self.text,
            "method": self.method,
            "sources": [s.to_dict() for s in self.sources],
            "degraded": self.degraded,
            "error": self.error,
        }


class Answerer:
    """Answers a question from the history (see the module docstring)."""

    def __init__(
        self,
        *,
        search: HistorySearch,
        uow_factory: UnitOfWorkFactory,
        tz: tzinfo,
        console_url: str = "",
        model: ChatModel | None = None,
        config: AnswerConfig | None = None,
    ) -> None:
        self._search = search
        self._uow_factory = uow_factory
        self._tz = tz
        self._console_url = console_url.rstrip("/")
        self._model = model
        self.config = config or AnswerConfig()

    def answer(
        self,
        question: str,
        *,
        filters: DocFilter = NO_FILTER,
        now: datetime | None = None,
        asker: str | None = None,
        mode: SearchMode = "hybrid",
        hide: Callable[[HistoryDoc], bool] | None = None,
    ) -> Answer:
        """A short answer with its sources, or ``没找到``. Passages said after ``now`` are not
        looked at, nor those ``hide`` says the asker may not read (budget figures)."""
        question = question.strip()
        if now is not None and (filters.until is None or filters.until > now):
            filters = DocFilter(
                kinds=filters.kinds,
                chat_ids=filters.chat_ids,
                project_ids=filters.project_ids,
                sender_ids=filters.sender_ids,
                since=filters.since,
                until=now,
            )
        result = self._search.search(question, filters=filters, limit=10, mode=mode, hide=hide)
        threshold = self.config.thresholds.get(mode, 0.5)
        wanted = asked_types(question)
        verbs = who_verbs(question) if "who" in wanted else ()
        result.hits, threads = self._threaded(result.hits, wanted, hide, verbs)
        relevant = [h for h in result.hits if h.relevance >= threshold]
        names = frozenset(h.doc.sender for h in result.hits if h.doc.sender)
        if relevant and not self.support(
            question, relevant[0], threads, wanted, names=names, verbs=verbs
        ).answers(threshold, self.config):
            relevant = []
        if self._model is not None and result.hits:
            candidates = [h for h in result.hits if h.relevance >= threshold * 0.7]
            if candidates:
                try:
                    answer = self._generated(question, candidates, now=now, asker=asker)
                    answer.degraded = result.degraded
                    answer.hits = result.hits
                    return answer
                except ModelError as exc:
                    log.warning("answer model failed, answering extractively: %s", exc.reason)
                    extractive = self._extractive(question, relevant)
                    extractive.error = exc.reason
                    extractive.degraded = result.degraded
                    extractive.hits = result.hits
                    return extractive
        answer = self._extractive(question, relevant)
        answer.degraded = result.degraded
        answer.hits = result.hits
        return answer

    def decide(self, hits: Sequence[SearchHit], mode: SearchMode = "hybrid") -> bool:
        """Whether these hits pass the relevance threshold (the first step of the decision)."""
        threshold = self.config.thresholds.get(mode, 0.5)
        return any(h.relevance >= threshold for h in hits)

    # -- the thread around a passage ------------------------------------------------------
    def _threaded(
        self,
        hits: list[SearchHit],
        wanted: tuple[str, ...],
        hide: Callable[[HistoryDoc], bool] | None,
        verbs: tuple[str, ...] = (),
    ) -> tuple[list[SearchHit], dict[str, list[HistoryDoc]]]:
        """The leading hits with their threads (the lines said just before and after each in
        its chat). When a leading passage is on the subject but does not hold what is asked
        (a reason next to a decision, "2400支 入库了" after "B12批次今天装瓶", a reply after
        a question), the line of its thread that holds it ranks just before it."""
        cfg = self.config
        threads: dict[str, list[HistoryDoc]] = {}
        anchors = hits[: cfg.thread_anchors]
        if not anchors or cfg.thread_lines <= 0:
            return hits, threads
        names = frozenset(h.doc.sender for h in hits if h.doc.sender)
        with self._uow_factory() as uow:
            for hit in anchors:
                threads[hit.doc.doc_id] = self._thread(uow, hit.doc, hide)
        if not wanted:
            return hits, threads
        out = list(hits)
        moved: set[str] = set()
        for hit in anchors:
            if _holds(hit.doc, wanted, names, verbs) or hit.doc.doc_id in moved:
                continue
            if _unsettled(hit.doc):
                continue  # not settled: a date said next to it is not its answer
            for line in threads[hit.doc.doc_id]:
                if is_question(line.text) or not _holds(line, wanted, names, verbs):
                    continue
                at = out.index(hit)
                ranked = next((h for h in out if h.doc.doc_id == line.doc_id), None)
                if ranked is not None and out.index(ranked) < at:
                    break  # it already ranks above
                if ranked is not None:
                    out.remove(ranked)
                pulled = ranked or SearchHit(
                    doc=line,
                    score=hit.score,
                    relevance=hit.relevance,
                    coverage=hit.coverage,
                    similarity=hit.similarity,
                )
                if pulled.relevance < hit.relevance:
                    pulled = replace(pulled, relevance=hit.relevance, coverage=hit.coverage)
                out.insert(at, pulled)
                moved.add(line.doc_id)
                threads[line.doc_id] = [hit.doc, *threads[hit.doc.doc_id]]
                break
        return out[: max(len(hits), 1)], threads

    def _calibration(self) -> Calibration:
        index = None
        factory = getattr(self._search, "_index", None)
        if factory is not None:
            try:
                index = factory()
            except (HistoryUnavailable, ModelError):
                index = None
        return self._search.calibration(index)

    def _thread(
        self, uow: UnitOfWork, doc: HistoryDoc, hide: Callable[[HistoryDoc], bool] | None
    ) -> list[HistoryDoc]:
        """Up to ``thread_lines`` passages before and after ``doc`` in its chat, nearest
        first."""
        cfg = self.config
        if doc.chat_id is None:
            return []
        history = uow.history
        around = DocFilter(
            chat_ids=(doc.chat_id,),
            since=doc.time - cfg.thread_window,
            until=doc.time + cfg.thread_window,
        )
        ids = [i for i in history.filtered_doc_ids(around, limit=200) if i != doc.doc_id]
        found = [d for d in history.get_docs(ids).values() if d.record_id != doc.record_id]
        if hide is not None:
            found = [d for d in found if not hide(d)]
        before = sorted((d for d in found if d.time <= doc.time), key=lambda d: d.time)
        after = sorted((d for d in found if d.time > doc.time), key=lambda d: d.time)
        near = [*reversed(before[-cfg.thread_lines :]), *after[: cfg.thread_lines]]
        return sorted(near, key=lambda d: abs((d.time - doc.time).total_seconds()))

    def _context(self, doc: HistoryDoc) -> list[HistoryDoc]:
        """The lines said before ``doc`` in its chat (``context_lines``, ``context_window``)."""
        cfg = self.config
        if doc.chat_id is None:
            return []
        before = DocFilter(
            chat_ids=(doc.chat_id,), since=doc.time - cfg.context_window, until=doc.time
        )
        with self._uow_factory() as uow:
            ids = [i for i in uow.history.filtered_doc_ids(before, limit=200) if i != doc.doc_id]
            found = list(uow.history.get_docs(ids).values())
        found.sort(key=lambda d: d.time)
        return found[-cfg.context_lines :]

    def support(
        self,
        question: str,
        hit: SearchHit,
        threads: dict[str, list[HistoryDoc]],
        wanted: tuple[str, ...] | None = None,
        *,
        names: frozenset[str] = frozenset(),
        verbs: tuple[str, ...] | None = None,
    ) -> Support:
        """What speaks for ``hit`` answering ``question`` (see ``Support``). ``names``: the
        people the history knows (the senders of the hits)."""
        wanted = asked_types(question) if wanted is None else wanted
        if verbs is None:
            verbs = who_verbs(question) if "who" in wanted else ()
        thread = threads.get(hit.doc.doc_id, [])
        names = names | frozenset(d.sender for d in (hit.doc, *thread) if d.sender)
        across = has_cjk(question) != has_cjk(hit.doc.indexed_text)
        # What the question names itself ("2号举升机", "C260") is not an answer in the passage.
        named = codes(question)
        focus = () if across else _focus(question)
        holds = not wanted or _holds(
            hit.doc, wanted, names, () if across else verbs, masked=named, focus=focus
        )
        if holds and wanted == ("who",) and is_question(hit.doc.text):
            # A line that asks names whom it asks, not who did it ("…logo，赵敏能帮忙要一下
            # 吗"): the replies after it must name the one.
            holds = any(
                _holds(d, wanted, names, () if across else verbs, masked=named)
                for d in thread
                if d.time > hit.doc.time and not is_question(d.text)
            )
        around = " ".join(f"{d.text} {d.indexed_text}" for d in (hit.doc, *thread)).lower()
        terms = query_terms(question, translate=False)
        with self._uow_factory() as uow:
            weights = uow.history.term_weights([*terms, _NEVER_SAID])
        unseen = weights.pop(_NEVER_SAID, None)
        held: set[str] = set()
        for doc in (hit.doc, *thread):
            held |= set(document_terms(doc.indexed_text))
        # A number or code the question names ("充5000", "C260") that neither the passage nor
        # the conversation it is part of names: the passage is about another one.
        lacking = [code for code in named if masked(around, (code,)) == around]
        if lacking:
            context = " ".join(d.text for d in self._context(hit.doc)).lower()
            lacking = [code for code in lacking if masked(context, (code,)) == context]
        codes_missing = bool(lacking)
        total = sum(weights.values())
        # A word the history never holds says nothing about this passage (the relevance
        # threshold weighs it); a word other passages hold and this one lacks is telling.
        missing = max(
            (
                w / total
                for t, w in weights.items()
                if t not in held and total > 0 and (unseen is None or w < unseen - 1e-9)
            ),
            default=0.0,
        )
        attribute_missing = any(
            not _names_attribute(word, held, hit.doc.text) for word in asked_attributes(question)
        )
        meaning = None
        if hit.similarity is not None:
            meaning = self._calibration().meaning(hit.similarity)
        agree = (
            hit.keyword_rank is not None
            and hit.vector_rank is not None
            and max(hit.keyword_rank, hit.vector_rank) <= self.config.agree_rank
        )
        return Support(
            relevance=hit.relevance,
            holds_type=holds,
            missing=missing,
            attribute_missing=attribute_missing,
            meaning=meaning,
            agree=agree,
            across=across,
            codes_missing=codes_missing,
            open=_unsettled(hit.doc) and not asks_status(question),
            contrast=contrasted(
                question,
                {
                    t
                    for t in terms
                    if t not in held and (unseen is None or weights.get(t, unseen) < unseen - 1e-9)
                },
                set(document_terms(hit.doc.text)),
            ),
        )

    # -- extractive -----------------------------------------------------------------------
    def _extractive(self, question: str, relevant: list[SearchHit]) -> Answer:
        if not relevant:
            return Answer(question=question, found=False, text=f"{NOT_FOUND}相关的记录。")
        cfg = self.config
        best = relevant[0]
        chosen = [best]
        for hit in relevant[1:]:
            if len(chosen) >= cfg.max_sources:
                break
            if hit.score >= best.score * 0.5 and hit.doc.doc_id not in best.newer_than:
                chosen.append(hit)
        docs: list[HistoryDoc] = [h.doc for h in chosen]
        if is_question(best.doc.text):
            with self._uow_factory() as uow:
                replies = uow.history.neighbours(
                    best.doc, after=cfg.replies, window=cfg.reply_window
                )
            docs = [best.doc, *[r for r in replies if r.doc_id not in {d.doc_id for d in docs}]]
            docs += [h.doc for h in chosen[1:]]
        docs = docs[: cfg.max_sources + cfg.replies]
        relevance = {h.doc.doc_id: h.relevance for h in chosen}
        sources = [self._source(d, question, relevance.get(d.doc_id, 0.0)) for d in docs]
        superseded = [h for h in relevant if any(h.doc.doc_id in c.newer_than for c in chosen)]
        lines = [f"关于「{question}」，找到这些记录："]
        for source in sources:
            lines.append(f"· {self._cite(source)}：{source.quote}")
            if source.link:
                lines.append(f"  {source.link}")
        if superseded:
            old = superseded[0].doc
            lines.append(
                f"（较早的说法已被后来的消息更新：{self._when(old.time)} {old.sender or ''}："
                f"{_trim(old.text, 40)}）"
            )
        return Answer(question=question, found=True, text="\n".join(lines), sources=sources)

    # -- generated ------------------------------------------------------------------------
    def _generated(
        self,
        question: str,
        candidates: list[SearchHit],
        *,
        now: datetime | None,
        asker: str | None,
    ) -> Answer:
        from prompts import render_prompt

        assert self._model is not None
        passages = candidates[: self.config.model_passages]
        numbered = "\n".join(
            f"[{n}] {self._when(h.doc.time)} {h.doc.chat or ''} {h.doc.sender or ''}："
            f"{_trim(h.doc.text, 400)}"
            for n, h in enumerate(passages, start=1)
        )
        system = render_prompt(
            "memory_answer",
            now=self._when(now) if now else "现在",
            asker=asker or "群成员",
            passages=numbered,
        )
        reply = self._model.complete(
            [ChatTurn(role="system", content=system), ChatTurn(role="user", content=question)],
            timeout_seconds=self.config.model_timeout_seconds,
        )
        text = (reply.text or "").strip()
        if not text:
            raise ModelError("模型没有给出回答", details={"kind": "empty"})
        cited = [int(n) for n in _CITATION.findall(text) if 1 <= int(n) <= len(passages)]
        if text.startswith(NOT_FOUND) or (NOT_FOUND in text and not cited):
            return Answer(
                question=question, found=False, text=f"{NOT_FOUND}相关的记录。", method="llm"
            )
        if not cited:
            raise ModelError("模型的回答没有标出依据的记录", details={"kind": "ungrounded"})
        if _CITATION.sub("", text).strip() == "":
            raise ModelError("模型只给了编号没有回答", details={"kind": "ungrounded"})
        order = list(dict.fromkeys(cited))
        sources = [
            self._source(passages[n - 1].doc, question, passages[n - 1].relevance) for n in order
        ]
        renumber = {n: i for i, n in enumerate(order, start=1)}
        body = _CITATION.sub(
            lambda m: f"[{renumber[int(m.group(1))]}]" if int(m.group(1)) in renumber else "",
            text,
        )
        lines = [body, ""]
        for i, source in enumerate(sources, start=1):
            lines.append(f"[{i}] {self._cite(source)}：{source.quote}")
            if source.link:
                lines.append(f"    {source.link}")
        return Answer(
            question=question,
            found=True,
            text="\n".join(lines).strip(),
            sources=sources,
            method="llm",
        )

    # -- pieces ---------------------------------------------------------------------------
    def _source(self, doc: HistoryDoc, question: str, relevance: float) -> Source:
        return Source(
            doc_id=doc.doc_id,
            kind=doc.kind,
            source=doc.source,
            record_id=doc.record_id,
            chat=doc.chat,
            sender=doc.sender,
            time=doc.time,
            quote=_best_sentences(doc.text, question, self.config.quote_chars),
            link=self.link(doc),
            relevance=relevance,
        )

    def link(self, doc: HistoryDoc) -> str | None:
        """Where the passage is in the console (a file: its download)."""
        if doc.source == "file":
            return f"{self._console_url}/files/{doc.record_id}"
        if not self._console_url:
            return None
        if doc.source == "message" and doc.chat_id is not None:
            return f"{self._console_url}/?chat={doc.chat_id}&message={doc.record_id}"
        if doc.source in ("task", "meeting"):
            return f"{self._console_url}/?{doc.source}={doc.record_id}"
        return None

    def _when(self, value: datetime | None) -> str:
        if value is None:
            return ""
        local = value.astimezone(self._tz)
        return f"{local.month}月{local.day}日 {local:%H:%M}"

    def _cite(self, source: Source) -> str:
        where = f"在「{source.chat}」" if source.chat else ""
        return f"{source.sender or '有人'} {self._when(source.time)} {where}".strip()


def _holds(
    doc: HistoryDoc,
    wanted: tuple[str, ...],
    names: frozenset[str],
    verbs: tuple[str, ...] = (),
    *,
    masked: tuple[str, ...] = (),
    focus: tuple[str, ...] = (),
) -> bool:
    text = _masked(doc.text, masked) if masked else doc.text
    if focus:
        return any(
            holds_type(text, kind, names, verbs)
            if kind in ("who", "where", "file", "reason")
            else holds_near(text, kind, focus)
            for kind in wanted
        )
    return any(holds_type(text, kind, names, verbs) for kind in wanted)


_masked = masked


def _focus(question: str) -> tuple[str, ...]:
    """What the question is about: its words of two characters or more, but not the ones
    that ask ("多少", "哪天") nor its numbers (the question's own)."""
    out = []
    for term in query_terms(question, translate=False):
        if len(term) < 2 or any(ch in term for ch in "哪几多啥谁么") or term in _ASKING:
            continue
        if any(ch.isdigit() for ch in term):
            continue
        out.append(term)
    return tuple(out)


_ASKING = frozenset("什么 时候 怎么 为什么 如何 是否 有没有 一下 现在 之前 最后 最终".split())


def _unsettled(doc: HistoryDoc) -> bool:
    """The passage says the matter is open, or follows a line that does without asking it
    (a terse "今天下雨…" after "体检时间还没定" does not settle it)."""
    if is_open(doc.text):
        return True
    return bool(doc.context) and not is_question(doc.context or "") and is_open(doc.context or "")


def _names_attribute(phrase: str, held: set[str], text: str) -> bool:
    """Whether a passage (with its thread: ``held`` terms) names the asked attribute: the
    phrase itself, or one of its words of two characters or more."""
    if phrase in text.lower():
        return True
    terms = set(query_terms(phrase, translate=False))
    long = {t for t in terms if len(t) >= 2}
    return bool((long or terms) & held)


def _trim(text: str, limit: int) -> str:
    text = " ".join(text.split())
    return text if len(text) <= limit else text[: limit - 1] + "…"


def _best_sentences(text: str, question: str, limit: int) -> str:
    """The part of a passage that answers: the sentences holding most of the question's
    words, in their order, within ``limit`` characters."""
    text = " ".join(text.split())
    if len(text) <= limit:
        return text
    sentences = [s.strip() for s in _SENTENCE.findall(text) if s.strip()]
    wanted = set(query_terms(question))
    scored = sorted(
        range(len(sentences)),
        key=lambda i: -len(wanted & set(document_terms(sentences[i]))),
    )
    keep: set[int] = set()
    used = 0
    for i in scored:
        if used + len(sentences[i]) > limit and keep:
            break
        keep.add(i)
        used += len(sentences[i])
    return _trim("".join(sentences[i] for i in sorted(keep)), limit)
