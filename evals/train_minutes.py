"""Train the learned minutes layer (``assistant/insight/summaries/learned.py``) and report it.

``python -m evals.train_minutes [FILE.jsonl ...] [--write] [--folds-only]``

Every sentence of ``split_transcript`` is labelled per kind (decision / action item / open
question) when it overlaps a gold source by the evaluation's rule (same turn, half of the
shorter span). One L2 logistic regression per kind over the hashed features (scipy L-BFGS,
deterministic). Cross-validation folds are whole files (one writer each), never sentences:
for every file, a model trained on the other files scores it, and thresholds (keep, add) are
chosen on the other files' out-of-fold scores, so no file's own labels pick its thresholds.
The final model is trained on every file with thresholds chosen on all out-of-fold scores.
"""

from __future__ import annotations

import argparse
import itertools
import sys
from collections.abc import Sequence
from dataclasses import dataclass, replace
from pathlib import Path
from typing import Any

import numpy as np

from assistant.insight.summaries.cues import read_cues
from assistant.insight.summaries.learned import (
    DIMENSION,
    KINDS,
    WEIGHTS,
    MinutesModel,
    apply_scores,
    cue_items,
    featurize,
    item_span,
    overlaps,
    runs_of,
    sentence_spans,
    touches,
)
from assistant.insight.summaries.model import (
    ActionItem,
    Decision,
    MeetingContext,
    OpenQuestion,
    Sentence,
    TranscriptLine,
)
from assistant.insight.summaries.speakers import recognise_speakers, with_participants
from assistant.insight.summaries.spoken import split_transcript
from evals.minutes_eval import GoldMeeting, KindScore, _match, load_meetings, score_minutes

__all__ = ["Prepared", "cross_validate", "main", "prepare", "train"]

REPO = Path(__file__).resolve().parents[1]
DEFAULT_FILES = sorted((REPO / "evals" / "training" / "meetings").glob("*.jsonl")) + sorted(
    (REPO / "evals" / "cases").glob("minutes_dev*.jsonl")
)
KEEP_GRID = (0.0, 0.03, 0.06, 0.1, 0.15, 0.2, 0.3)
ADD_GRID = (0.1, 0.15, 0.2, 0.25, 0.3, 0.4, 0.5, 0.6, 0.8, 1.01)  # 1.01: never add
L2 = 1.0
TOLERANCE = 0.01
MIN_GAIN = 0.02  # pooled CV F1 a kind must gain for the layer to act on it
IDENTITY = (0.0, 1.01)  # keep every grammar item, add none


@dataclass(slots=True)
class Prepared:
    """One gold meeting run through the grammars, with features and sentence labels."""

    gold: GoldMeeting
    group: str
    lines: list[TranscriptLine]
    context: MeetingContext
    sentences: list[Sentence]
    decisions: list[Decision]
    actions: list[ActionItem]
    questions: list[OpenQuestion]
    features: list[np.ndarray]
    labels: dict[str, np.ndarray]


def prepare(meeting: GoldMeeting, group: str) -> Prepared:
    lines = [TranscriptLine(s, t) for s, t in meeting.transcript]
    context = MeetingContext(start=meeting.start, members=meeting.members, title=meeting.title)
    context = replace(context, members=with_participants(context.members, lines))
    speakers = recognise_speakers(lines, context.members)
    sentences = [replace(s, speaker=speakers.by_line[s.line]) for s in split_transcript(lines)]
    # The grammars' pass exactly as the engine runs it.
    decisions, actions, questions = read_cues(sentences, lines, speakers, context)
    features = featurize(sentences, lines, cue_items(lines, decisions, actions, questions), context)
    spans = sentence_spans(sentences)
    labels: dict[str, np.ndarray] = {}
    for kind in KINDS:
        gold_spans = [item_span(lines, g["source"], None) for g in getattr(meeting, kind)]
        labels[kind] = np.array(
            [any(g is not None and overlaps(s, g) for g in gold_spans) for s in spans],
            dtype=np.float64,
        )
    return Prepared(
        meeting, group, lines, context, sentences, decisions, actions, questions, features, labels
    )


def _matrix(rows: list[np.ndarray]) -> Any:
    from scipy.sparse import csr_matrix

    indptr = np.cumsum([0] + [len(r) for r in rows])
    indices = np.concatenate(rows) if rows else np.zeros(0, dtype=np.int64)
    data = np.ones(len(indices))
    return csr_matrix((data, indices, indptr), shape=(len(rows), DIMENSION))


def _fit(x: Any, y: np.ndarray, l2: float) -> np.ndarray:
    from scipy.optimize import minimize

    def loss(w: np.ndarray) -> tuple[float, np.ndarray]:
        z = x @ w
        # log(1 + e^z) - y z, computed stably
        value = np.logaddexp(0.0, z).sum() - y @ z + 0.5 * l2 * (w @ w)
        p = 0.5 * (1.0 + np.tanh(0.5 * z))
        grad = x.T @ (p - y) + l2 * w
        return float(value), grad

    result = minimize(
        loss, np.zeros(DIMENSION), jac=True, method="L-BFGS-B", options={"maxiter": 300}
    )
    w: np.ndarray = result.x
    return w


def train(
    data: list[Prepared], thresholds: dict[str, tuple[float, float]], l2: float = L2
) -> MinutesModel:
    rows = [f for p in data for f in p.features]
    x = _matrix(rows)
    weights = {kind: _fit(x, np.concatenate([p.labels[kind] for p in data]), l2) for kind in KINDS}
    return MinutesModel(weights, thresholds)


def _scores(model: MinutesModel, p: Prepared) -> dict[str, np.ndarray]:
    return model.scores(p.features)


def _minutes(
    p: Prepared,
    scores: dict[str, np.ndarray] | None,
    thresholds: dict[str, tuple[float, float]],
) -> dict[str, Any]:
    if scores is None:
        d, a, q = p.decisions, p.actions, p.questions
    else:
        d, a, q = apply_scores(
            scores=scores,
            thresholds=thresholds,
            sentences=p.sentences,
            lines=p.lines,
            context=p.context,
            decisions=list(p.decisions),
            actions=list(p.actions),
            questions=list(p.questions),
        )
    return {
        "decisions": [x.to_dict() for x in d],
        "action_items": [x.to_dict() for x in a],
        "open_questions": [x.to_dict() for x in q],
    }


def _score(
    data: list[Prepared],
    scores: dict[str, dict[str, np.ndarray]] | None,
    thresholds: dict[str, tuple[float, float]],
) -> dict[str, KindScore]:
    by_id = {p.gold.id + p.group: p for p in data}
    keyed = {id(p.gold): p.gold.id + p.group for p in data}
    report = score_minutes(
        [p.gold for p in data],
        lambda g: _minutes(
            by_id[keyed[id(g)]],
            None if scores is None else scores[keyed[id(g)]],
            thresholds,
        ),
    )
    return report.totals


def _kind_candidates(
    p: Prepared, scores: dict[str, np.ndarray], kind: str
) -> tuple[list[tuple[float, dict[str, Any]]], list[tuple[int, float]]]:
    """The grammar items with the best score of a sentence they touch (``inf`` when none),
    and the sentences no grammar item touches with their scores: what ``apply_scores``
    chooses from, precomputed so the threshold grid is cheap."""
    items: dict[str, Sequence[Any]] = {
        "decisions": p.decisions,
        "action_items": p.actions,
        "open_questions": p.questions,
    }
    spans = sentence_spans(p.sentences)
    cues = cue_items(p.lines, p.decisions, p.actions, p.questions).of(kind)
    kept: list[tuple[float, dict[str, Any]]] = []
    for item in items[kind]:
        span = item_span(p.lines, item.source, item.line)
        near = [scores[kind][j] for j, s in enumerate(spans) if span and touches(s, span)]
        kept.append((max(near) if near else float("inf"), item.to_dict()))
    free = [
        (j, float(scores[kind][j]))
        for j, s in enumerate(spans)
        if not any(touches(s, c) for c in cues)
    ]
    return kept, free


def _kind_score(
    data: list[Prepared],
    candidates: dict[str, tuple[list[tuple[float, dict[str, Any]]], list[tuple[int, float]]]],
    kind: str,
    keep: float,
    add: float,
) -> KindScore:
    total = KindScore()
    for p in data:
        kept, free = candidates[p.gold.id + p.group]
        pred = [item for near, item in kept if near >= keep]
        for run in runs_of(p.sentences, [j for j, score in free if score >= add]):
            first, last = p.sentences[run[0]], p.sentences[run[-1]]
            text = "，".join(p.sentences[j].text for j in run)
            source = p.lines[first.line].text[first.start : last.end]
            pred.append({"text": text, "title": text, "source": source, "line": first.line})
        texts = [t for _, t in p.gold.transcript]
        gold = getattr(p.gold, kind)
        total.add(KindScore(len(gold), len(pred), len(_match(gold, pred, texts, kind))))
    return total


def choose_thresholds(
    data: list[Prepared], scores: dict[str, dict[str, np.ndarray]]
) -> dict[str, tuple[float, float]]:
    """Per kind, the (keep, add) pair with the best pooled F1 on ``data`` under ``scores``."""
    best: dict[str, tuple[float, float]] = {}
    for kind in KINDS:
        candidates = {
            p.gold.id + p.group: _kind_candidates(p, scores[p.gold.id + p.group], kind)
            for p in data
        }
        grid = [
            (_kind_score(data, candidates, kind, keep, add).f1, keep, add)
            for keep, add in itertools.product(KEEP_GRID, ADD_GRID)
        ]
        top = max(f1 for f1, _, _ in grid)
        # Among the pairs within TOLERANCE of the best, the most conservative: the fewest
        # added items (highest add), then the fewest dropped (lowest keep). A gain that small
        # is noise, and additions cost most where the grammars are already complete.
        _, keep, add = max(
            (g for g in grid if g[0] >= top - TOLERANCE), key=lambda g: (g[2], -g[1])
        )
        best[kind] = (keep, add)
    return best


def cross_validate(
    data: list[Prepared], l2: float = L2
) -> tuple[dict[str, dict[str, np.ndarray]], dict[str, tuple[float, float]], list[str]]:
    """Out-of-fold scores (fold = file), per-fold thresholds, and the per-fold table rows."""
    groups = sorted({p.group for p in data})
    oof: dict[str, dict[str, np.ndarray]] = {}
    for g in groups:
        model = train([p for p in data if p.group != g], dict.fromkeys(KINDS, (0.0, 1.01)), l2)
        for p in data:
            if p.group == g:
                oof[p.gold.id + p.group] = _scores(model, p)
    rows: list[str] = []
    pooled_cue = {k: KindScore() for k in KINDS}
    pooled_ml = {k: KindScore() for k in KINDS}
    for g in groups:
        train_part = [p for p in data if p.group != g]
        test_part = [p for p in data if p.group == g]
        thresholds = choose_thresholds(train_part, oof)
        cue = _score(test_part, None, thresholds)
        ml = _score(test_part, oof, thresholds)
        for k in KINDS:
            pooled_cue[k].add(cue[k])
            pooled_ml[k].add(ml[k])
        rows.append(_row(g, cue, ml, thresholds))
    rows.append(_row("pooled", pooled_cue, pooled_ml, None))
    final = choose_thresholds(data, oof)
    for k in KINDS:
        if pooled_ml[k].f1 < pooled_cue[k].f1 + MIN_GAIN:
            final[k] = IDENTITY  # no cross-validated gain: the grammars alone for this kind
    return oof, final, rows


def _row(
    name: str,
    cue: dict[str, KindScore],
    ml: dict[str, KindScore],
    thresholds: dict[str, tuple[float, float]] | None,
) -> str:
    cells = [f"{name:<22}"]
    for k in KINDS:
        cells.append(
            f"{k[:6]} {cue[k].f1:.2f}→{ml[k].f1:.2f} "
            f"(P {cue[k].precision:.2f}→{ml[k].precision:.2f} "
            f"R {cue[k].recall:.2f}→{ml[k].recall:.2f})"
        )
    if thresholds:
        cells.append(" ".join(f"{k[:3]}={v[0]:.2f}/{v[1]:.2f}" for k, v in thresholds.items()))
    return " | ".join(cells)


def load(files: list[Path]) -> list[Prepared]:
    data: list[Prepared] = []
    for path in files:
        for meeting in load_meetings(path):
            data.append(prepare(meeting, path.stem))
    return data


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(prog="python -m evals.train_minutes")
    parser.add_argument("files", nargs="*", type=Path)
    parser.add_argument("--write", action="store_true", help=f"write {WEIGHTS.name}")
    parser.add_argument("--out", type=Path, default=WEIGHTS, help="where --write writes")
    parser.add_argument("--l2", type=float, default=L2)
    parser.add_argument("--dump", type=Path, help="pickle the prepared data and scores here")
    args = parser.parse_args(argv)
    files = args.files or DEFAULT_FILES
    data = load(files)
    counts = {k: int(sum(p.labels[k].sum() for p in data)) for k in KINDS}
    print(
        f"{len(data)} meetings in {len(files)} files, {sum(len(p.sentences) for p in data)} "
        f"sentences; positive sentences {counts}"
    )
    oof, thresholds, rows = cross_validate(data, args.l2)
    if args.dump is not None:
        import pickle

        args.dump.write_bytes(pickle.dumps((data, oof)))
    print("fold (held-out file): F1 cues→learned (P, R); thresholds keep/add chosen on the rest")
    for r in rows:
        print(r)
    print(f"final thresholds: {thresholds}")
    if args.write:
        train(data, thresholds, args.l2).save(args.out)
        print(f"wrote {args.out}")
    return 0


if __name__ == "__main__":
    sys.exit(main())
