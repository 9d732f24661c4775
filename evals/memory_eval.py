"""``qunmi eval memory``: how well the memory finds what answers a question about the past.

Input: a team history (``history.jsonl``: ``{"id", "time", "chat", "sender", "text"}`` per
line) and questions about it (``questions.jsonl``: ``{"id", "question", "chat", "asked_at",
"sender", "answers": [message ids], "superseded": [ids], "tags"}``; no answers = the history
does not answer it; superseded = earlier messages the answer replaced).

The history goes through the same path as live messages (``message_docs`` → keyword index
and vector index, a throwaway SQLite database and Chroma directory), then every question is
searched as of its ``asked_at`` in each mode: keywords only, vectors only (per embedder) and
hybrid (per embedder). Reported per mode:

- recall@5: answerable questions with an answering message among the first five hits;
- MRR: mean reciprocal rank of the first answering message (0 beyond ten);
- no-answer accuracy: unanswerable questions the answerer declines ("没找到");
- answered: answerable questions the answerer answers, quoting an answering message;
- newer first: questions with superseded messages where the answer ranks above all of them.
"""

from __future__ import annotations

import hashlib
import json
import sqlite3
import statistics
import tempfile
import time
from collections.abc import Callable, Iterator, Sequence
from contextlib import contextmanager
from dataclasses import dataclass, field
from datetime import datetime
from pathlib import Path
from typing import Any
from zoneinfo import ZoneInfo

import numpy as np

from assistant.domain import Chat, Member, Message, MessageState
from assistant.memory.answer import AnswerConfig, Answerer
from assistant.memory.documents import message_docs
from assistant.memory.ports import DocFilter, Embedder, HistoryDoc, HistoryIndex, Vectors
from assistant.memory.search import HistorySearch, SearchConfig, SearchMode
from assistant.memory.tokens import document_terms

__all__ = [
    "CachedEmbedder",
    "EvalCorpus",
    "HistoryLine",
    "ModeReport",
    "Question",
    "build_corpus",
    "evaluate",
    "load_history",
    "load_questions",
    "score_mode",
]

DEFAULT_HISTORY = Path(__file__).parent / "cases" / "memory_dev_history.jsonl"
DEFAULT_QUESTIONS = Path(__file__).parent / "cases" / "memory_dev_questions.jsonl"


@dataclass(frozen=True, slots=True)
class HistoryLine:
    id: str
    time: datetime
    chat: str
    sender: str
    text: str


@dataclass(frozen=True, slots=True)
class Question:
    id: str
    question: str
    chat: str
    asked_at: datetime
    sender: str
    answers: tuple[str, ...]
    superseded: tuple[str, ...] = ()
    tags: tuple[str, ...] = ()


def _lines(path: Path) -> Iterator[tuple[int, dict[str, Any]]]:
    with path.open(encoding="utf-8") as fh:
        for n, raw in enumerate(fh, start=1):
            if not raw.strip() or raw.lstrip().startswith("//"):
                continue
            row = json.loads(raw)
            if not isinstance(row, dict):
                raise ValueError(f"{path}:{n}: 每行应是一个 JSON 对象")
            yield n, row


def _time(value: Any, where: str) -> datetime:
    moment = datetime.fromisoformat(str(value))
    if moment.tzinfo is None:
        raise ValueError(f"{where}: 时间需要带时区偏移：{value}")
    return moment


def load_history(path: Path) -> list[HistoryLine]:
    out = []
    for n, row in _lines(path):
        try:
            out.append(
                HistoryLine(
                    id=str(row["id"]),
                    time=_time(row["time"], f"{path}:{n}"),
                    chat=str(row["chat"]),
                    sender=str(row["sender"]),
                    text=str(row["text"]),
                )
            )
        except KeyError as exc:
            raise ValueError(f"{path}:{n}: 缺少字段 {exc}") from exc
    return out


def load_questions(path: Path) -> list[Question]:
    out = []
    for n, row in _lines(path):
        try:
            out.append(
                Question(
                    id=str(row["id"]),
                    question=str(row["question"]),
                    chat=str(row.get("chat", "")),
                    asked_at=_time(row["asked_at"], f"{path}:{n}"),
                    sender=str(row.get("sender", "")),
                    answers=tuple(str(a) for a in row.get("answers", [])),
                    superseded=tuple(str(a) for a in row.get("superseded", [])),
                    tags=tuple(str(t) for t in row.get("tags", [])),
                )
            )
        except KeyError as exc:
            raise ValueError(f"{path}:{n}: 缺少字段 {exc}") from exc
    return out


class CachedEmbedder:
    """An embedder whose passage vectors are kept in a small SQLite file, so that evaluating
    or benchmarking the same texts again costs no model time. Queries are not cached here."""

    def __init__(self, inner: Embedder, cache_dir: Path) -> None:
        self.inner = inner
        self.name = inner.name
        self.calibration = getattr(inner, "calibration", None)
        cache_dir.mkdir(parents=True, exist_ok=True)
        self._db = sqlite3.connect(cache_dir / f"{inner.name}.sqlite", check_same_thread=False)
        self._db.execute("CREATE TABLE IF NOT EXISTS v (k TEXT PRIMARY KEY, v BLOB)")

    @property
    def dimensions(self) -> int:
        return self.inner.dimensions

    def embed_documents(self, texts: Sequence[str]) -> Vectors:
        keys = [hashlib.sha1(t.encode()).hexdigest() for t in texts]
        found: dict[str, bytes] = {}
        for start in range(0, len(keys), 500):
            chunk = keys[start : start + 500]
            marks = ",".join("?" * len(chunk))
            found.update(self._db.execute(f"SELECT k, v FROM v WHERE k IN ({marks})", chunk))
        missing = [i for i, k in enumerate(keys) if k not in found]
        if missing:
            fresh = self.inner.embed_documents([texts[i] for i in missing])
            rows = [(keys[i], fresh[n].astype(np.float32).tobytes()) for n, i in enumerate(missing)]
            self._db.executemany("INSERT OR REPLACE INTO v VALUES (?, ?)", rows)
            self._db.commit()
            found.update(dict(rows))
        return np.vstack([np.frombuffer(found[k], dtype=np.float32) for k in keys])

    def embed_query(self, text: str) -> Vectors:
        return self.inner.embed_query(text)

    def close(self) -> None:
        self._db.close()


@dataclass(slots=True)
class EvalCorpus:
    """The history indexed in a throwaway database and Chroma directory."""

    uow_factory: Any
    index: HistoryIndex | None
    message_ids: dict[int, str]  # record id → history line id
    index_seconds: float = 0.0
    docs: int = 0
    engine: Any = None

    def search(self, config: SearchConfig | None = None, *, hot: bool = True) -> HistorySearch:
        """Search over this corpus; ``hot``: through the in-memory copy, as the app does."""
        index = self.index
        copy = None
        if hot and self.engine is not None:
            from assistant.memory.hot import HotHistory
            from storage.history.feed import SqlHistoryFeed

            copy = HotHistory(
                feed=SqlHistoryFeed(self.engine),
                index=(lambda: index) if index is not None else None,
                background=False,
            )
            copy.load()
        return HistorySearch(
            uow_factory=self.uow_factory,
            index=(lambda: index) if index is not None else None,
            config=config,
            hot=copy,
        )


def build_corpus(
    history: Sequence[HistoryLine],
    *,
    workdir: Path,
    embedder: Embedder | None,
    tz: ZoneInfo,
) -> EvalCorpus:
    """Index ``history`` as processed messages: keywords always, vectors with ``embedder``."""
    from storage.history.chroma import ChromaHistoryIndex, chroma_client_factory
    from storage.migrate import upgrade
    from storage.unit_of_work import make_engine, make_uow_factory

    engine = make_engine(f"sqlite:///{workdir / 'eval.db'}")
    upgrade(engine)
    uow_factory = make_uow_factory(engine)
    chats: dict[str, int] = {}
    senders: dict[str, int] = {}
    ids: dict[int, str] = {}
    docs: list[HistoryDoc] = []
    last: dict[int, HistoryDoc] = {}
    for n, line in enumerate(sorted(history, key=lambda h: h.time), start=1):
        chat_id = chats.setdefault(line.chat, len(chats) + 1)
        sender_id = senders.setdefault(line.sender, len(senders) + 1)
        ids[n] = line.id
        message = Message(
            id=n,
            channel="import",
            external_id=line.id,
            text=line.text,
            received_at=line.time,
            chat_id=chat_id,
            sender_id=sender_id,
            state=MessageState.DONE,
        )
        made = message_docs(
            message,
            chat=Chat(id=chat_id, name=line.chat),
            sender=Member(id=sender_id, display_name=line.sender),
            project=None,
            previous=last.get(chat_id),
        )
        if made:
            last[chat_id] = made[0]
        docs.extend(made)
    started = time.perf_counter()
    with uow_factory() as uow:
        by_record: dict[str, list[Any]] = {}
        for doc in docs:
            by_record.setdefault(doc.record_key, []).append(doc)
        for key, group in by_record.items():
            uow.history.replace_record(key, group, [document_terms(d.indexed_text) for d in group])
        uow.commit()
    index: HistoryIndex | None = None
    if embedder is not None:
        index = ChromaHistoryIndex(
            connect=chroma_client_factory(url=None, path=str(workdir / "chroma")),
            embedder=embedder,
            prefix="eval",
        )
        index.upsert(docs)
        with uow_factory() as uow:  # as the indexer records it: the vectors are in
            uow.history.vectors_done(uow.history.pending_vectors(limit=len(docs) + 1))
            uow.commit()
    return EvalCorpus(
        uow_factory=uow_factory,
        index=index,
        message_ids=ids,
        index_seconds=time.perf_counter() - started,
        docs=len(docs),
        engine=engine,
    )


@dataclass(slots=True)
class QuestionResult:
    question: Question
    ranked: list[str]
    answered: bool
    quoted: list[str]
    seconds: float

    @property
    def first_answer_rank(self) -> int | None:
        for rank, mid in enumerate(self.ranked, start=1):
            if mid in self.question.answers:
                return rank
        return None


@dataclass(slots=True)
class ModeReport:
    name: str
    questions: int
    answerable: int
    recall_at_5: float
    mrr: float
    no_answer_accuracy: float
    answered: float
    newer_first: float | None
    superseded_cases: int
    latency_p50_ms: float
    latency_p99_ms: float
    threshold: float = 0.5  # the "没找到" threshold on relevance the answerer used
    results: list[QuestionResult] = field(default_factory=list)

    def to_dict(self) -> dict[str, Any]:
        return {
            "name": self.name,
            "questions": self.questions,
            "answerable": self.answerable,
            "recall_at_5": round(self.recall_at_5, 4),
            "mrr": round(self.mrr, 4),
            "no_answer_accuracy": round(self.no_answer_accuracy, 4),
            "answered": round(self.answered, 4),
            "newer_first": None if self.newer_first is None else round(self.newer_first, 4),
            "superseded_cases": self.superseded_cases,
            "latency_p50_ms": round(self.latency_p50_ms, 2),
            "latency_p99_ms": round(self.latency_p99_ms, 2),
            "no_answer_threshold": self.threshold,
        }


def score_mode(
    name: str,
    questions: Sequence[Question],
    corpus: EvalCorpus,
    *,
    mode: SearchMode,
    search_config: SearchConfig | None = None,
    answer_config: AnswerConfig | None = None,
    tz: ZoneInfo,
    hot: bool = True,
) -> ModeReport:
    search = corpus.search(search_config, hot=hot)
    answerer = Answerer(search=search, uow_factory=corpus.uow_factory, tz=tz, config=answer_config)
    results: list[QuestionResult] = []
    for q in questions:
        started = time.perf_counter()
        answer = answerer.answer(q.question, filters=DocFilter(until=q.asked_at), mode=mode)
        seconds = time.perf_counter() - started
        ranked = [corpus.message_ids.get(h.doc.record_id, "") for h in answer.hits]
        quoted = [corpus.message_ids.get(s.record_id, "") for s in answer.sources]
        results.append(QuestionResult(q, ranked, answer.found, quoted, seconds))
    answerable = [r for r in results if r.question.answers]
    unanswerable = [r for r in results if not r.question.answers]
    ranks = [r.first_answer_rank for r in answerable]
    with_old = [r for r in answerable if r.question.superseded]
    newer = []
    for r in with_old:
        first = r.first_answer_rank
        olds = [i for i, mid in enumerate(r.ranked, start=1) if mid in r.question.superseded]
        newer.append(first is not None and all(first < o for o in olds))
    latencies = sorted(r.seconds * 1000 for r in results)
    return ModeReport(
        name=name,
        threshold=(answer_config or AnswerConfig()).thresholds.get(mode, 0.5),
        questions=len(results),
        answerable=len(answerable),
        recall_at_5=_mean([1.0 if r is not None and r <= 5 else 0.0 for r in ranks]),
        mrr=_mean([1.0 / r if r is not None and r <= 10 else 0.0 for r in ranks]),
        no_answer_accuracy=_mean([0.0 if r.answered else 1.0 for r in unanswerable]),
        answered=_mean(
            [
                1.0 if r.answered and set(r.quoted) & set(r.question.answers) else 0.0
                for r in answerable
            ]
        ),
        newer_first=_mean([1.0 if x else 0.0 for x in newer]) if newer else None,
        superseded_cases=len(with_old),
        latency_p50_ms=statistics.median(latencies) if latencies else 0.0,
        latency_p99_ms=latencies[min(len(latencies) - 1, int(len(latencies) * 0.99))]
        if latencies
        else 0.0,
        results=results,
    )


def _mean(values: Sequence[float]) -> float:
    return sum(values) / len(values) if values else 1.0


@contextmanager
def _workdir() -> Iterator[Path]:
    with tempfile.TemporaryDirectory(prefix="qunmi-eval-memory-") as raw:
        yield Path(raw)


def evaluate(
    *,
    history_path: Path,
    questions_path: Path,
    embedders: Sequence[Embedder],
    tz: ZoneInfo,
    search_config: SearchConfig | None = None,
    answer_config: AnswerConfig | None = None,
    progress: Callable[[str], None] | None = None,
    hot: bool = True,
) -> tuple[list[ModeReport], dict[str, float]]:
    """Every mode on the same questions. Returns the reports and, per embedder, the seconds
    spent indexing the history."""
    history = load_history(history_path)
    questions = load_questions(questions_path)
    known = {h.id for h in history}
    for q in questions:
        unknown = [a for a in (*q.answers, *q.superseded) if a not in known]
        if unknown:
            raise ValueError(f"问题 {q.id} 引用了历史里没有的消息：{', '.join(unknown)}")
    reports: list[ModeReport] = []
    timings: dict[str, float] = {}
    with _workdir() as root:
        keyword_dir = root / "keyword"
        keyword_dir.mkdir()
        corpus = build_corpus(history, workdir=keyword_dir, embedder=None, tz=tz)
        timings["keyword"] = corpus.index_seconds
        if progress:
            progress("关键词")
        reports.append(
            score_mode(
                "关键词 (BM25)",
                questions,
                corpus,
                mode="keyword",
                search_config=search_config,
                answer_config=answer_config,
                tz=tz,
                hot=hot,
            )
        )
        for embedder in embedders:
            where = root / embedder.name
            where.mkdir()
            corpus = build_corpus(history, workdir=where, embedder=embedder, tz=tz)
            timings[embedder.name] = corpus.index_seconds
            if progress:
                progress(embedder.name)
            for mode, label in (("vector", "向量"), ("hybrid", "混合")):
                reports.append(
                    score_mode(
                        f"{label} ({embedder.name})",
                        questions,
                        corpus,
                        mode=mode,  # type: ignore[arg-type]
                        search_config=search_config,
                        answer_config=answer_config,
                        tz=tz,
                        hot=hot,
                    )
                )
    return reports, timings


_THRESHOLD_STEPS = tuple(step / 100 for step in range(20, 81, 2))


def learn_threshold(
    questions: Sequence[Question],
    corpus: EvalCorpus,
    *,
    mode: SearchMode = "hybrid",
    search_config: SearchConfig | None = None,
    steps: Sequence[float] = _THRESHOLD_STEPS,
) -> tuple[float, list[tuple[float, float, float]]]:
    """The "没找到" threshold on the best hit's relevance that does best on ``questions``
    (a development set): the mean of the share of answerable questions answered with an
    answering passage on top and the share of unanswerable ones declined. Returns it and
    the sweep (threshold, answered, declined)."""
    search = corpus.search(search_config)
    best: list[tuple[float, bool, bool]] = []  # (top relevance, answerable, top answers)
    for q in questions:
        hits = search.search(q.question, filters=DocFilter(until=q.asked_at), mode=mode).hits
        top = hits[0] if hits else None
        answers = top is not None and corpus.message_ids.get(top.doc.record_id) in q.answers
        best.append((top.relevance if top else 0.0, bool(q.answers), answers))
    sweep: list[tuple[float, float, float]] = []
    for threshold in steps:
        answered = _mean([1.0 if r >= threshold and ok else 0.0 for r, a, ok in best if a])
        declined = _mean([1.0 if r < threshold else 0.0 for r, a, _ in best if not a])
        sweep.append((threshold, answered, declined))
    chosen = max(sweep, key=lambda row: (row[1] + row[2], -abs(row[0] - 0.5)))
    return chosen[0], sweep
