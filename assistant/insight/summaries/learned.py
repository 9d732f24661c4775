"""A learned layer over the cue grammars: one logistic model per kind scores every sentence.

The cue grammars (``cues.py``) find decisions, action items and open questions with high
precision on the meetings they were tuned on and lower precision and recall on others. This
layer reads each sentence of a transcript as a bag of hashed features (character n-grams, jieba
words, what the grammars proposed here and next door, person, address, time expressions,
modal and question words, negation, position in the turn, the reply that follows) and scores
it with a linear model per kind, trained by ``python -m evals.train_minutes`` on gold meetings.

At run time (:func:`refine`) a grammar item is kept when the model scores its sentence at
least ``keep`` (precision), and a run of sentences the model scores at least ``add`` that no
grammar item of that kind covers becomes a new item (recall). Thresholds were chosen by
cross-validation and ship with the weights. Pure numpy; no I/O beyond loading the weights once.
"""

from __future__ import annotations

import logging
import re
import zlib
from collections.abc import Iterable, Mapping, Sequence
from dataclasses import dataclass
from datetime import datetime
from functools import lru_cache
from pathlib import Path

import numpy as np

from assistant.engines.rules.people import Roster
from assistant.engines.rules.timeslots import due_instant, find_times
from assistant.insight.summaries.model import (
    ActionItem,
    Decision,
    MeetingContext,
    OpenQuestion,
    Sentence,
    TranscriptLine,
)
from assistant.insight.summaries.speakers import addressee
from assistant.insight.summaries.spoken import concise

__all__ = [
    "DIMENSION",
    "KINDS",
    "CueItems",
    "MinutesModel",
    "apply_scores",
    "cue_items",
    "default_model",
    "featurize",
    "refine",
    "runs_of",
    "sentence_spans",
]

log = logging.getLogger(__name__)

KINDS: tuple[str, ...] = ("decisions", "action_items", "open_questions")
DIMENSION = 1 << 16
WEIGHTS = Path(__file__).with_name("minutes_model.npz")
# At most as many items per kind as the grammars list (their ``limit`` defaults).
LIMITS: Mapping[str, int] = {"decisions": 12, "action_items": 30, "open_questions": 8}

_ACCEPT = re.compile(r"^\s*(?:嗯+\s*)?(?:好|行|没问题|收到|可以|OK|ok|好的|明白|了解|知道了|妥)")
_QUESTION_WORDS = re.compile(
    r"吗|呢|么|怎么|什么|为什么|多少|哪|谁|是不是|要不要|能不能|可不可以|会不会|有没有|还是|到底|几"
)
_MODAL = re.compile(r"要|得|需要|必须|应该|负责|跟进|安排|尽快|马上|务必|记得|争取|保证|搞定")
_SETTLE = re.compile(r"定了|决定|就这么|就按|那就|确定|统一|以后|不做|不搞|暂停|取消|改成|换成")
_OPEN = re.compile(r"不知道|不确定|没定|定不了|再看|再说|待定|回头|还没|不清楚|再议|再讨论|听说")
_NEGATION = re.compile(r"不|没|别|甭|勿|未")
_DONE = re.compile(r"已经|做完|搞完|弄好|好了|上线了|完成了|交了|发了")


def _bucket(value: float, edges: Sequence[float]) -> int:
    for i, edge in enumerate(edges):
        if value < edge:
            return i
    return len(edges)


def _hash(token: str) -> int:
    return zlib.crc32(token.encode("utf-8")) & (DIMENSION - 1)


@lru_cache(maxsize=1)
def _jieba():  # type: ignore[no-untyped-def]
    import jieba

    jieba.setLogLevel(logging.WARNING)
    jieba.initialize()
    return jieba


@dataclass(frozen=True, slots=True)
class CueItems:
    """What the grammars proposed, per kind, as (line, start, end) spans in the transcript."""

    decisions: Sequence[tuple[int, int, int]]
    action_items: Sequence[tuple[int, int, int]]
    open_questions: Sequence[tuple[int, int, int]]

    def of(self, kind: str) -> Sequence[tuple[int, int, int]]:
        spans: Sequence[tuple[int, int, int]] = getattr(self, kind)
        return spans


def item_span(
    lines: Sequence[TranscriptLine], source: str, line: int | None
) -> tuple[int, int, int] | None:
    """Where ``source`` sits: in turn ``line`` when found there, else the first turn with it."""
    order = ([line] if line is not None and 0 <= line < len(lines) else []) + list(
        range(len(lines))
    )
    for i in order:
        pos = lines[i].text.find(source) if source else -1
        if pos >= 0:
            return i, pos, pos + len(source)
    return None


def overlaps(a: tuple[int, int, int], b: tuple[int, int, int]) -> bool:
    """The evaluation's rule: same turn, at least half of the shorter span shared."""
    if a[0] != b[0]:
        return False
    inter = min(a[2], b[2]) - max(a[1], b[1])
    shorter = min(a[2] - a[1], b[2] - b[1])
    return shorter > 0 and inter / shorter >= 0.5


def touches(a: tuple[int, int, int], b: tuple[int, int, int]) -> bool:
    return a[0] == b[0] and min(a[2], b[2]) > max(a[1], b[1])


def _found(
    lines: Sequence[TranscriptLine],
    decisions: Sequence[Decision],
    actions: Sequence[ActionItem],
    questions: Sequence[OpenQuestion],
) -> dict[str, list[tuple[int, int, int] | None]]:
    return {
        "decisions": [item_span(lines, d.source, d.line) for d in decisions],
        "action_items": [item_span(lines, a.source, a.line) for a in actions],
        "open_questions": [item_span(lines, q.source, q.line) for q in questions],
    }


def cue_items(
    lines: Sequence[TranscriptLine],
    decisions: Sequence[Decision],
    actions: Sequence[ActionItem],
    questions: Sequence[OpenQuestion],
) -> CueItems:
    """The spans of the grammars' items (items whose source is not found are left out)."""
    found = _found(lines, decisions, actions, questions)
    return CueItems(**{k: [s for s in v if s is not None] for k, v in found.items()})


def sentence_spans(sentences: Sequence[Sentence]) -> list[tuple[int, int, int]]:
    return [(s.line, s.start, s.end) for s in sentences]


def featurize(
    sentences: Sequence[Sentence],
    lines: Sequence[TranscriptLine],
    cues: CueItems,
    context: MeetingContext,
) -> list[np.ndarray]:
    """Hashed feature indices of every sentence (binary features, bias included)."""
    roster = Roster({k: list(v) for k, v in context.members.items()}, "")
    jb = _jieba()
    spans = sentence_spans(sentences)
    cue_flags: list[list[str]] = []
    for span in spans:
        flags = [k for k in KINDS if any(touches(span, c) for c in cues.of(k))]
        cue_flags.append(flags)
    per_line: dict[int, list[int]] = {}
    for i, s in enumerate(sentences):
        per_line.setdefault(s.line, []).append(i)
    out: list[np.ndarray] = []
    for i, s in enumerate(sentences):
        text = s.text
        feats: list[str] = ["bias"]
        chars = "".join(ch for ch in text if not ch.isspace())
        for n in (1, 2, 3):
            feats.extend(f"c{n}:{chars[j : j + n]}" for j in range(len(chars) - n + 1))
        if chars:
            feats.append(f"head2:{chars[:2]}")
            feats.append(f"tail2:{chars[-2:]}")
        feats.extend(f"w:{w}" for w in jb.lcut(text) if w.strip())
        for k in cue_flags[i]:
            feats.append(f"cue:{k}")
        if i > 0 and sentences[i - 1].line == s.line:
            feats.extend(f"cue-prev:{k}" for k in cue_flags[i - 1])
        if i + 1 < len(sentences) and sentences[i + 1].line == s.line:
            feats.extend(f"cue-next:{k}" for k in cue_flags[i + 1])
        if any(cues.of(k) and any(c[0] == s.line for c in cues.of(k)) for k in KINDS):
            feats.extend(f"cue-line:{k}" for k in KINDS if any(c[0] == s.line for c in cues.of(k)))
        for word, tag in (
            ("我们", "we"),
            ("咱们", "we"),
            ("我", "i"),
            ("你们", "you-pl"),
            ("你", "you"),
            ("您", "you"),
        ):
            if word in text:
                feats.append(f"person:{tag}")
        if addressee(text, roster) is not None:
            feats.append("addressed")
        if any(m.known for m in roster.find(text)):
            feats.append("names-member")
        times, _ = find_times(text, context.start)
        if times:
            feats.append("time")
            if any(m.deadline for m in times):
                feats.append("deadline")
        for name, pattern in (
            ("modal", _MODAL),
            ("settle", _SETTLE),
            ("open", _OPEN),
            ("neg", _NEGATION),
            ("done", _DONE),
            ("qword", _QUESTION_WORDS),
        ):
            if pattern.search(text):
                feats.append(name)
        if "？" in text or "?" in text:
            feats.append("qmark")
        siblings = per_line[s.line]
        rank = siblings.index(i)
        feats.append(f"pos:{'first' if rank == 0 else 'mid'}")
        if rank == len(siblings) - 1:
            feats.append("pos:last")
        feats.append(f"nsent:{_bucket(len(siblings), (2, 3, 5, 8))}")
        feats.append(f"len:{_bucket(len(chars), (6, 10, 16, 25, 40))}")
        feats.append(f"turnlen:{_bucket(len(lines[s.line].text), (20, 50, 100, 200))}")
        nxt = s.line + 1
        if nxt < len(lines):
            if _ACCEPT.match(lines[nxt].text):
                feats.append("next-accept")
                if rank == len(siblings) - 1:
                    feats.append("next-accept-last")
            if lines[nxt].speaker != lines[s.line].speaker:
                feats.append("next-other")
        if s.line > 0 and lines[s.line - 1].speaker != lines[s.line].speaker:
            feats.append("prev-other")
        if lines[s.line].speaker is None:
            feats.append("no-speaker")
        feats.append(f"where:{_bucket(s.line / max(1, len(lines) - 1), (0.15, 0.5, 0.85))}")
        out.append(np.unique(np.fromiter((_hash(f) for f in feats), dtype=np.int64)))
    return out


@dataclass(frozen=True, slots=True)
class MinutesModel:
    """Weights (kind → vector of DIMENSION) and thresholds (kind → (keep, add))."""

    weights: Mapping[str, np.ndarray]
    thresholds: Mapping[str, tuple[float, float]]

    def scores(self, features: Sequence[np.ndarray]) -> dict[str, np.ndarray]:
        out: dict[str, np.ndarray] = {}
        for kind in KINDS:
            w = self.weights[kind]
            z = np.array([w[f].sum() for f in features], dtype=np.float64)
            out[kind] = 1.0 / (1.0 + np.exp(-z))
        return out

    def save(self, path: Path) -> None:
        arrays: dict[str, np.ndarray] = {}
        for kind in KINDS:
            w = self.weights[kind]
            keep = np.flatnonzero(np.abs(w) >= 1e-3)
            arrays[f"{kind}_index"] = keep.astype(np.int32)
            arrays[f"{kind}_value"] = w[keep].astype(np.float16)
            arrays[f"{kind}_thresholds"] = np.array(self.thresholds[kind], dtype=np.float64)
        np.savez_compressed(path, **arrays)  # type: ignore[arg-type]

    @classmethod
    def load(cls, path: Path) -> MinutesModel:
        with np.load(path) as data:
            weights: dict[str, np.ndarray] = {}
            thresholds: dict[str, tuple[float, float]] = {}
            for kind in KINDS:
                w = np.zeros(DIMENSION, dtype=np.float64)
                w[data[f"{kind}_index"]] = data[f"{kind}_value"].astype(np.float64)
                weights[kind] = w
                keep, add = (float(x) for x in data[f"{kind}_thresholds"])
                thresholds[kind] = (keep, add)
        return cls(weights, thresholds)


@lru_cache(maxsize=1)
def default_model() -> MinutesModel | None:
    """The shipped model, loaded once; ``None`` (and a warning) when the file is missing."""
    if not WEIGHTS.is_file():
        log.warning("minutes model %s missing: cue grammars only", WEIGHTS)
        return None
    return MinutesModel.load(WEIGHTS)


def runs_of(sentences: Sequence[Sentence], chosen: Iterable[int]) -> list[list[int]]:
    """Consecutive chosen sentences of one turn, grouped."""
    runs: list[list[int]] = []
    for i in sorted(chosen):
        if runs and runs[-1][-1] == i - 1 and sentences[i - 1].line == sentences[i].line:
            runs[-1].append(i)
        else:
            runs.append([i])
    return runs


def _due(text: str, context: MeetingContext) -> datetime | None:
    times, _ = find_times(text, context.start)
    for m in sorted(times, key=lambda m: not m.deadline):
        due = due_instant(m, workday_end_hour=context.workday_end_hour)
        if due is not None:
            return due
    return None


def _owner(
    sentence: Sentence, roster: Roster, next_speaker: str | None, next_accepts: bool
) -> str | None:
    """Who an added item belongs to: the member called on or named; else the listener who
    answers when the sentence says 你, or who accepts it; else the speaker who says 我; else
    nobody."""
    named = addressee(sentence.text, roster)
    if named is not None:
        return named
    text = sentence.text
    others = [m.name for m in roster.find(text) if m.known and m.name != sentence.speaker]
    if others and "我们" not in text:
        return others[0]  # "老宋把点检表改一下": the member named first
    known_next = next_speaker if next_speaker in roster.displays else None
    if known_next == sentence.speaker:
        known_next = None
    you = re.search(r"你(?!们)|您", text) is not None
    if you and known_next is not None:
        return known_next
    if "我" in text.replace("我们", "") and not you:
        return sentence.speaker if sentence.speaker in roster.displays else None
    if next_accepts and known_next is not None:
        return known_next
    return None


def refine(
    *,
    model: MinutesModel,
    sentences: Sequence[Sentence],
    lines: Sequence[TranscriptLine],
    context: MeetingContext,
    decisions: list[Decision],
    actions: list[ActionItem],
    questions: list[OpenQuestion],
) -> tuple[list[Decision], list[ActionItem], list[OpenQuestion]]:
    """The grammars' items the model keeps, plus the ones it is confident they missed."""
    if not sentences:
        return decisions, actions, questions
    cues = cue_items(lines, decisions, actions, questions)
    scores = model.scores(featurize(sentences, lines, cues, context))
    return apply_scores(
        scores=scores,
        thresholds=model.thresholds,
        sentences=sentences,
        lines=lines,
        context=context,
        decisions=decisions,
        actions=actions,
        questions=questions,
    )


def apply_scores(
    *,
    scores: Mapping[str, np.ndarray],
    thresholds: Mapping[str, tuple[float, float]],
    sentences: Sequence[Sentence],
    lines: Sequence[TranscriptLine],
    context: MeetingContext,
    decisions: list[Decision],
    actions: list[ActionItem],
    questions: list[OpenQuestion],
) -> tuple[list[Decision], list[ActionItem], list[OpenQuestion]]:
    """Keep and add items by the sentence scores (``refine`` without the model; the trainer
    calls it with out-of-fold scores)."""
    found = _found(lines, decisions, actions, questions)
    cues = CueItems(**{k: [s for s in v if s is not None] for k, v in found.items()})
    spans = sentence_spans(sentences)
    roster = Roster({k: list(v) for k, v in context.members.items()}, "")

    def kept(kind: str, items: list) -> list:  # type: ignore[type-arg]
        keep_at = thresholds[kind][0]
        out = []
        for item, span in zip(items, found[kind], strict=True):
            near = [scores[kind][j] for j, s in enumerate(spans) if span and touches(s, span)]
            if not near or max(near) >= keep_at:
                out.append(item)
        return out

    def added(kind: str, covered: Sequence[tuple[int, int, int]]) -> list[list[int]]:
        add_at = thresholds[kind][1]
        chosen = [
            j
            for j, s in enumerate(spans)
            if scores[kind][j] >= add_at and not any(touches(s, c) for c in covered)
        ]
        runs = runs_of(sentences, chosen)
        room = max(0, LIMITS[kind] - len(found[kind]))
        if len(runs) > room:  # as many as the grammars would list at most, the surest first
            best = sorted(runs, key=lambda r: -max(scores[kind][j] for j in r))[:room]
            runs = sorted(best)
        return runs

    speaker_of = {s.line: s.speaker for s in sentences}
    new_decisions = kept("decisions", decisions)
    new_actions = kept("action_items", actions)
    new_questions = kept("open_questions", questions)
    for run in added("decisions", cues.decisions):
        first, last = sentences[run[0]], sentences[run[-1]]
        source = lines[first.line].text[first.start : last.end]
        text = "，".join(concise(sentences[j].text) for j in run)
        new_decisions.append(
            Decision(text=text, source=source, line=first.line, speaker=first.speaker)
        )
    for run in added("action_items", cues.action_items):
        first, last = sentences[run[0]], sentences[run[-1]]
        source = lines[first.line].text[first.start : last.end]
        text = "，".join(concise(sentences[j].text) for j in run)
        new_actions.append(
            ActionItem(
                title=text,
                source=source,
                line=first.line,
                owner=_owner(
                    first,
                    roster,
                    speaker_of.get(first.line + 1),
                    first.line + 1 < len(lines)
                    and _ACCEPT.match(lines[first.line + 1].text) is not None,
                ),
                due=_due(text, context),
                speaker=first.speaker,
            )
        )
    for run in added("open_questions", cues.open_questions):
        first, last = sentences[run[0]], sentences[run[-1]]
        source = lines[first.line].text[first.start : last.end]
        text = "，".join(concise(sentences[j].text) for j in run)
        new_questions.append(OpenQuestion(text=text, source=source, line=first.line))
    for items in (new_decisions, new_actions, new_questions):
        items.sort(key=lambda x: x.line)  # stable: the grammars' order within a turn
    return new_decisions, new_actions, new_questions
