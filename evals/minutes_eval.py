"""Scoring minutes against gold meetings (the format of evals/cases/README.md, "Meetings").

Matching, per meeting and kind, one to one (greedy, best pair first):

- an extracted **action item** matches a gold one when its source overlaps the gold source in
  the same turn (at least half of the shorter of the two), or when its title and source
  together mention every gold keyword; among candidates the pair with the same owner and the
  larger overlap goes first;
- an extracted **decision** or **open question** matches a gold one when its source overlaps
  the gold source (at least half of the shorter), or its text shares at least half of the gold
  text's character bigrams (Dice ≥ 0.5).

Owner accuracy and due accuracy are over matched action items: the owner equal to the gold
display name (``None`` = ``None``), the due equal to the gold instant (both ``None`` counts).
Keyword matching folds the homophone slips the cleaner corrects (登陆/登录…), so an item is
not penalised for having been cleaned.
"""

from __future__ import annotations

import json
import time
from collections.abc import Callable, Iterable
from dataclasses import dataclass, field
from datetime import datetime
from pathlib import Path
from typing import Any

__all__ = [
    "GoldMeeting",
    "KindScore",
    "MinutesReport",
    "load_meetings",
    "score_minutes",
]

_FOLD = str.maketrans({"陆": "录"})


@dataclass(frozen=True, slots=True)
class GoldMeeting:
    id: str
    start: datetime
    members: dict[str, list[str]]
    transcript: list[tuple[str | None, str]]
    decisions: list[dict[str, Any]]
    action_items: list[dict[str, Any]]
    open_questions: list[dict[str, Any]]
    summary: str
    title: str | None
    tags: list[str]

    @property
    def chars(self) -> int:
        return sum(len(t) for _, t in self.transcript)


def load_meetings(path: Path) -> list[GoldMeeting]:
    """Read a meetings JSONL file, checking that every source is verbatim in a turn."""
    out: list[GoldMeeting] = []
    for n, raw in enumerate(path.read_text(encoding="utf-8").splitlines(), 1):
        if not raw.strip() or raw.lstrip().startswith("//"):
            continue
        data = json.loads(raw)
        turns = [(t.get("speaker"), str(t["text"])) for t in data["transcript"]]
        texts = [t for _, t in turns]
        for kind in ("decisions", "action_items", "open_questions"):
            for item in data.get(kind, []):
                if not any(item["source"] in t for t in texts):
                    raise ValueError(f"{path}:{n} {data['id']} {kind}: source not in transcript")
        out.append(
            GoldMeeting(
                id=str(data["id"]),
                start=datetime.fromisoformat(data["start"]),
                members={k: list(v) for k, v in data.get("members", {}).items()},
                transcript=turns,
                decisions=list(data.get("decisions", [])),
                action_items=list(data.get("action_items", [])),
                open_questions=list(data.get("open_questions", [])),
                summary=str(data.get("summary", "")),
                title=data.get("title"),
                tags=list(data.get("tags", [])),
            )
        )
    return out


def _span(texts: list[str], source: str, line: int | None) -> tuple[int, int, int] | None:
    """(turn, start, end) of ``source``: in turn ``line`` when given and found there."""
    order = ([line] if line is not None and 0 <= line < len(texts) else []) + list(
        range(len(texts))
    )
    for i in order:
        pos = texts[i].find(source)
        if pos >= 0 and source:
            return i, pos, pos + len(source)
    return None


def _overlap(a: tuple[int, int, int] | None, b: tuple[int, int, int] | None) -> float:
    if a is None or b is None or a[0] != b[0]:
        return 0.0
    inter = min(a[2], b[2]) - max(a[1], b[1])
    shorter = min(a[2] - a[1], b[2] - b[1])
    return max(0.0, inter / shorter) if shorter > 0 else 0.0


def _bigrams(text: str) -> set[str]:
    text = "".join(ch for ch in text if ch.isalnum())
    return {text[i : i + 2] for i in range(len(text) - 1)}


def _dice(a: str, b: str) -> float:
    x, y = _bigrams(a), _bigrams(b)
    return 2 * len(x & y) / (len(x) + len(y)) if x and y else 0.0


@dataclass(slots=True)
class KindScore:
    gold: int = 0
    predicted: int = 0
    matched: int = 0
    owner_correct: int = 0
    due_correct: int = 0

    @property
    def precision(self) -> float:
        return self.matched / self.predicted if self.predicted else (1.0 if not self.gold else 0.0)

    @property
    def recall(self) -> float:
        return self.matched / self.gold if self.gold else 1.0

    @property
    def f1(self) -> float:
        p, r = self.precision, self.recall
        return 2 * p * r / (p + r) if p + r else 0.0

    def add(self, other: KindScore) -> None:
        self.gold += other.gold
        self.predicted += other.predicted
        self.matched += other.matched
        self.owner_correct += other.owner_correct
        self.due_correct += other.due_correct


@dataclass(slots=True)
class MeetingResult:
    id: str
    chars: int
    seconds: float
    kinds: dict[str, KindScore]
    misses: list[str] = field(default_factory=list)


@dataclass(slots=True)
class MinutesReport:
    meetings: list[MeetingResult]
    totals: dict[str, KindScore]
    tags: dict[str, KindScore]

    @property
    def owner_accuracy(self) -> float:
        s = self.totals["action_items"]
        return s.owner_correct / s.matched if s.matched else 0.0

    @property
    def due_accuracy(self) -> float:
        s = self.totals["action_items"]
        return s.due_correct / s.matched if s.matched else 0.0


def _match(
    gold: list[dict[str, Any]],
    pred: list[dict[str, Any]],
    texts: list[str],
    kind: str,
) -> list[tuple[int, int]]:
    candidates: list[tuple[float, int, int]] = []
    for gi, g in enumerate(gold):
        gspan = _span(texts, g["source"], None)
        for pi, p in enumerate(pred):
            pspan = _span(texts, str(p.get("source", "")), p.get("line"))
            overlap = _overlap(gspan, pspan)
            if kind == "action_items":
                mentioned = (str(p.get("title", "")) + str(p.get("source", ""))).translate(_FOLD)
                keywords = [str(k).translate(_FOLD) for k in g.get("keywords", [])]
                covered = bool(keywords) and all(k in mentioned for k in keywords)
                ok = overlap >= 0.5 or covered
                score = (
                    overlap
                    + (1.0 if covered else 0.0)
                    + (2.0 if p.get("owner") == g.get("owner") else 0.0)
                )
            else:
                similarity = _dice(str(p.get("text", "")), str(g.get("text", "")))
                ok = overlap >= 0.5 or similarity >= 0.5
                score = overlap + similarity
            if ok:
                candidates.append((score, gi, pi))
    candidates.sort(reverse=True)
    used_g: set[int] = set()
    used_p: set[int] = set()
    pairs: list[tuple[int, int]] = []
    for _, gi, pi in candidates:
        if gi in used_g or pi in used_p:
            continue
        used_g.add(gi)
        used_p.add(pi)
        pairs.append((gi, pi))
    return pairs


def _same_due(gold: Any, pred: Any) -> bool:
    if gold is None or pred is None:
        return gold is None and pred is None
    return datetime.fromisoformat(str(gold)) == datetime.fromisoformat(str(pred))


def score_minutes(
    meetings: Iterable[GoldMeeting], minutes_of: Callable[[GoldMeeting], dict[str, Any]]
) -> MinutesReport:
    """Run ``minutes_of`` (meeting → the ``qunmi summarize --json`` dict) on every meeting."""
    results: list[MeetingResult] = []
    totals = {k: KindScore() for k in ("decisions", "action_items", "open_questions")}
    tags: dict[str, KindScore] = {}
    for meeting in meetings:
        began = time.perf_counter()
        minutes = minutes_of(meeting)
        seconds = time.perf_counter() - began
        texts = [t for _, t in meeting.transcript]
        kinds: dict[str, KindScore] = {}
        misses: list[str] = []
        for kind in totals:
            gold = getattr(meeting, kind)
            pred = list(minutes.get(kind, []))
            pairs = _match(gold, pred, texts, kind)
            score = KindScore(gold=len(gold), predicted=len(pred), matched=len(pairs))
            if kind == "action_items":
                for gi, pi in pairs:
                    g, p = gold[gi], pred[pi]
                    if p.get("owner") == g.get("owner"):
                        score.owner_correct += 1
                    else:
                        misses.append(f"owner {g['title']}: {p.get('owner')} ≠ {g.get('owner')}")
                    if _same_due(g.get("due"), p.get("due")):
                        score.due_correct += 1
                    else:
                        misses.append(f"due {g['title']}: {p.get('due')} ≠ {g.get('due')}")
            matched_g = {gi for gi, _ in pairs}
            matched_p = {pi for _, pi in pairs}
            misses.extend(
                f"missed {kind}: {g['source']}" for i, g in enumerate(gold) if i not in matched_g
            )
            misses.extend(
                f"extra {kind}: {p.get('source')}" for i, p in enumerate(pred) if i not in matched_p
            )
            kinds[kind] = score
            totals[kind].add(score)
        if "action_items" in kinds:
            for tag in meeting.tags:
                tags.setdefault(tag, KindScore()).add(kinds["action_items"])
        results.append(MeetingResult(meeting.id, meeting.chars, seconds, kinds, misses))
    return MinutesReport(results, totals, tags)
