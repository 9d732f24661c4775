"""Train the intent classifier of ``assistant.engines.learned`` and calibrate its gate.

    python -m evals.train_intent                # train on the default data, write intent.npz
    python -m evals.train_intent --no-write     # figures only

Data: every ``evals/training/*.jsonl`` plus the tuned sets ``parse_gold`` and
``parse_dev_v2…v5`` (case format of ``evals/cases/README.md``). ``parse_holdout.jsonl`` is
never read here: it stays a test of whether the layer generalises.

Steps: features → one-vs-rest logistic regression (L2, L-BFGS on sparse features, scipy's
sparse matrices at training time only) → k-fold out-of-fold probabilities → the gate's thresholds chosen on those
probabilities and the rule engine's own calls, scored with ``evals.parse_eval`` → the final
model on all data, thresholds and cross-validated figures stored with the weights.
"""

from __future__ import annotations

import argparse
import itertools
import json
import sys
import time
from collections.abc import Callable, Sequence
from dataclasses import dataclass, replace
from pathlib import Path
from typing import Any

import numpy as np

from assistant.domain import ToolCall
from assistant.engines.learned.features import hash_features, message_features
from assistant.engines.learned.gate import GateThresholds, review
from assistant.engines.learned.model import DEFAULT_WEIGHTS, MANY_TASKS, NONE, IntentModel
from evals.parse_eval import CaseResult, GoldCase, load_cases, score_case
from tools.vocabulary import TOOLS

__all__ = [
    "DEFAULT_SOURCES",
    "Dataset",
    "calibrate",
    "cross_validate",
    "folds_by_writer",
    "fit",
    "gate_figures",
    "load_dataset",
    "main",
    "train",
]

_HERE = Path(__file__).resolve().parent
DEFAULT_SOURCES: tuple[Path, ...] = (
    *sorted((_HERE / "training").glob("*.jsonl")),
    _HERE / "cases" / "parse_gold.jsonl",
    _HERE / "cases" / "parse_dev_v2.jsonl",
    _HERE / "cases" / "parse_dev_v3.jsonl",
    _HERE / "cases" / "parse_dev_v4.jsonl",
    _HERE / "cases" / "parse_dev_v5.jsonl",
    _HERE / "cases" / "parse_dev_v6.jsonl",
)
LABELS: tuple[str, ...] = (NONE, *sorted(TOOLS), MANY_TASKS)
DIM = 1 << 16
L2 = 1.0
SEED = 14


@dataclass(slots=True)
class Dataset:
    cases: list[GoldCase]
    indices: list[np.ndarray]  # hashed features per case
    targets: np.ndarray  # cases × labels, 0/1
    sources: list[str]  # file stem per case


def _targets(case: GoldCase) -> list[float]:
    tools = {c.tool for c in case.expected}
    tasks = sum(1 for c in case.expected if c.tool == "create_task")
    return [
        1.0
        if (label == NONE and not tools) or label in tools or (label == MANY_TASKS and tasks >= 2)
        else 0.0
        for label in LABELS
    ]


def load_dataset(paths: Sequence[Path] = DEFAULT_SOURCES, *, dim: int = DIM) -> Dataset:
    """Every case of ``paths`` with its features and labels; a repeated text is kept once."""
    cases: list[GoldCase] = []
    sources: list[str] = []
    seen: set[tuple[str, str]] = set()
    for path in paths:
        if path.name == "parse_holdout.jsonl":
            raise ValueError("parse_holdout.jsonl 只用来检验，不能用来训练")
        for case in load_cases(path):
            key = (
                case.text,
                json.dumps([[c.tool, c.args] for c in case.expected], sort_keys=True, default=str),
            )
            if key in seen:
                continue
            seen.add(key)
            cases.append(case)
            sources.append(path.stem)
    indices = [hash_features(message_features(c.text, c.context()), dim) for c in cases]
    targets = np.array([_targets(c) for c in cases], dtype=np.float64)
    return Dataset(cases, indices, targets, sources)


def _matrix(indices: Sequence[np.ndarray], dim: int) -> Any:
    from scipy import sparse

    rows = np.concatenate([np.full(len(ix), i) for i, ix in enumerate(indices)])
    cols = np.concatenate(indices)
    data = np.ones(len(cols))
    return sparse.csr_matrix((data, (rows, cols)), shape=(len(indices), dim))


def fit(
    indices: Sequence[np.ndarray], targets: np.ndarray, *, dim: int = DIM, l2: float = L2
) -> tuple[np.ndarray, np.ndarray]:
    """One-vs-rest logistic regression with an L2 penalty, all labels at once (L-BFGS)."""
    # Fit only the columns that occur: the other weights stay 0 under the L2 penalty anyway.
    used, compact = np.unique(np.concatenate(list(indices)), return_inverse=True)
    splits = np.cumsum([len(ix) for ix in indices])[:-1]
    full_dim, dim = dim, len(used)
    x = _matrix(np.split(compact, splits), dim)
    xt = x.T.tocsr()
    n_labels = targets.shape[1]

    def loss(theta: np.ndarray) -> tuple[float, np.ndarray]:
        w = theta[: dim * n_labels].reshape(dim, n_labels)
        b = theta[dim * n_labels :]
        z = x @ w + b
        # log(1 + e^z) - y z, stably
        value = float(np.sum(np.logaddexp(0.0, z) - targets * z) + 0.5 * l2 * np.sum(w * w))
        p = 1.0 / (1.0 + np.exp(-z))
        err = p - targets
        grad_w = xt @ err + l2 * w
        grad_b = err.sum(axis=0)
        return value, np.concatenate([np.asarray(grad_w).ravel(), grad_b])

    theta0 = np.zeros(dim * n_labels + n_labels)
    prior = targets.mean(axis=0).clip(1e-3, 1 - 1e-3)
    theta0[dim * n_labels :] = np.log(prior / (1 - prior))
    theta = _lbfgs(loss, theta0)
    weights = np.zeros((full_dim, n_labels), dtype=np.float32)
    weights[used] = theta[: dim * n_labels].reshape(dim, n_labels)
    return weights, theta[dim * n_labels :].astype(np.float32)


def _lbfgs(
    loss: Callable[[np.ndarray], tuple[float, np.ndarray]],
    theta: np.ndarray,
    *,
    memory: int = 10,
    max_iter: int = 300,
    tol: float = 1e-7,
) -> np.ndarray:
    """Minimise a smooth convex ``loss`` (value, gradient) by L-BFGS with a backtracking line
    search. Written out because scipy's L-BFGS-B spends most of its time in bookkeeping on
    the ~10⁶ parameters here; this one is deterministic and a few seconds on two cores."""
    value, grad = loss(theta)
    s_hist: list[np.ndarray] = []
    y_hist: list[np.ndarray] = []
    for _ in range(max_iter):
        # Two-loop recursion: the quasi-Newton direction.
        q = grad.copy()
        alphas: list[float] = []
        for s_k, y_k in zip(reversed(s_hist), reversed(y_hist), strict=True):
            a = float(s_k @ q) / float(y_k @ s_k)
            alphas.append(a)
            q -= a * y_k
        if s_hist:
            q *= float(s_hist[-1] @ y_hist[-1]) / float(y_hist[-1] @ y_hist[-1])
        else:
            q /= max(1.0, float(np.linalg.norm(grad)))
        for (s_k, y_k), a in zip(zip(s_hist, y_hist, strict=True), reversed(alphas), strict=True):
            b = float(y_k @ q) / float(y_k @ s_k)
            q += (a - b) * s_k
        direction = -q
        slope = float(grad @ direction)
        if slope >= 0:  # not a descent direction: restart from the gradient
            s_hist, y_hist = [], []
            direction, slope = -grad, -float(grad @ grad)
        step = 1.0
        while True:
            candidate = theta + step * direction
            new_value, new_grad = loss(candidate)
            if new_value <= value + 1e-4 * step * slope or step < 1e-10:
                break
            step *= 0.5
        s_k, y_k = candidate - theta, new_grad - grad
        if float(y_k @ s_k) > 1e-12:
            s_hist.append(s_k)
            y_hist.append(y_k)
            if len(s_hist) > memory:
                s_hist.pop(0)
                y_hist.pop(0)
        done = abs(value - new_value) <= tol * max(1.0, abs(value))
        theta, value, grad = candidate, new_value, new_grad
        if done:
            break
    return theta


def _probs(w: np.ndarray, b: np.ndarray, indices: Sequence[np.ndarray]) -> np.ndarray:
    model = IntentModel(LABELS, w, b, w.shape[0])
    return np.array([model.scores(ix) for ix in indices])


def folds_by_writer(data: Dataset, *, folds: int = 5, seed: int = SEED) -> np.ndarray:
    """The fold of each case. With two or more files under ``evals/training`` (one per
    independent writer) each writer is one fold, so that every figure is measured on a writer
    the model never saw, as on a blind set; the tuned sets are spread over those folds. With
    fewer writers, ``folds`` folds stratified by file."""
    writers = sorted({s for s in data.sources if s in _writers()})
    order = np.random.default_rng(seed).permutation(len(data.cases))
    fold_of = np.empty(len(data.cases), dtype=np.int64)
    k = len(writers) if len(writers) >= 2 else folds
    counters: dict[str, int] = {}
    for i in order:
        src = data.sources[i]
        if len(writers) >= 2 and src in writers:
            fold_of[i] = writers.index(src)
            continue
        group = "tuned" if len(writers) >= 2 else src
        fold_of[i] = counters.get(group, 0) % k
        counters[group] = counters.get(group, 0) + 1
    return fold_of


def _writers() -> set[str]:
    return {p.stem for p in (_HERE / "training").glob("*.jsonl")}


def cross_validate(data: Dataset, fold_of: np.ndarray, *, l2: float = L2) -> np.ndarray:
    """Out-of-fold probabilities (cases × labels) for the folds in ``fold_of``."""
    out = np.zeros_like(data.targets)
    for k in sorted(set(fold_of.tolist())):
        train = np.flatnonzero(fold_of != k)
        test = np.flatnonzero(fold_of == k)
        w, b = fit([data.indices[i] for i in train], data.targets[train], dim=DIM, l2=l2)
        out[test] = _probs(w, b, [data.indices[i] for i in test])
    return out


def rule_calls(cases: Sequence[GoldCase]) -> list[list[ToolCall]]:
    """What the rule engine alone emits for each case (the gate's input)."""
    from assistant.engines.rules import RuleEngine

    engine = RuleEngine()
    return [list(engine.understand(c.message(), c.context())) for c in cases]


class _Scores:
    """Scores of (case, predicted calls) pairs, kept: the gate only ever removes calls, so a
    grid search meets the same few subsets of each case's calls again and again."""

    def __init__(self) -> None:
        self._seen: dict[tuple[int, tuple[int, ...]], CaseResult] = {}
        self._probs: dict[int, dict[str, float]] = {}

    def probs(self, i: int, p: np.ndarray) -> dict[str, float]:
        found = self._probs.get(i)
        if found is None:
            found = self._probs[i] = dict(zip(LABELS, p.tolist(), strict=True))
        return found

    def score(self, i: int, case: GoldCase, predicted: list[ToolCall]) -> CaseResult:
        key = (i, tuple(id(c) for c in predicted))
        found = self._seen.get(key)
        if found is None:
            found = self._seen[key] = score_case(case, predicted)
        return found


def gate_figures(
    cases: Sequence[GoldCase],
    calls: Sequence[Sequence[ToolCall]],
    probs: np.ndarray,
    thresholds: GateThresholds | None,
    scores: _Scores | None = None,
) -> dict[str, float]:
    """Action F1, exact match and no-action accuracy with the gate (``None``: rules alone),
    computed as ``evals.parse_eval.summarize`` does (micro-averaged F1)."""
    scores = scores or _Scores()
    tp = fp = fn = exact = quiet = no_action = routed = 0
    for i, (case, found, p) in enumerate(zip(cases, calls, probs, strict=True)):
        predicted = list(found)
        if thresholds is not None:
            verdict = review(predicted, scores.probs(i, p), thresholds)
            predicted = verdict.calls
            routed += verdict.action == "route"
        result = scores.score(i, case, predicted)
        tp, fp, fn = tp + result.tp, fp + result.fp, fn + result.fn
        exact += result.exact
        if case.no_action:
            no_action += 1
            quiet += not predicted
    precision = tp / (tp + fp) if tp + fp else 1.0
    recall = tp / (tp + fn) if tp + fn else 1.0
    f1 = 2 * precision * recall / (precision + recall) if precision + recall else 0.0
    return {
        "action_precision": precision,
        "action_recall": recall,
        "action_f1": f1,
        "exact_match": exact / len(cases) if cases else 1.0,
        "no_action_accuracy": quiet / no_action if no_action else 1.0,
        "routed": float(routed),
    }


def _objective(f: dict[str, float]) -> float:
    return f["action_f1"] + f["exact_match"] + f["no_action_accuracy"]


def calibrate(
    cases: Sequence[GoldCase], calls: Sequence[Sequence[ToolCall]], probs: np.ndarray
) -> GateThresholds:
    """The veto and drop thresholds that score best on out-of-fold probabilities; the route
    threshold (it changes no call here) is the lowest with ≥ 90 % precision for tasks."""
    scores = _Scores()
    best = GateThresholds(veto_none=1.01, drop_tool=0.0, route_action=1.01)
    best_score = _objective(gate_figures(cases, calls, probs, best, scores))
    # A veto throws the rules' reading away, so it needs "no action" to be the likelier reading
    # (P ≥ 0.5): below that the search, which counts no-action accuracy as much as F1, learnt
    # to veto bare commands ("小王明天写报告") that the training data's many look-alike plans
    # made uncertain.
    for veto, margin, drop in itertools.product(
        (0.5, 0.55, 0.6, 0.65, 0.7, 0.8, 0.9, 1.01),
        (-1.0, -0.1, 0.0, 0.1),
        (0.0, 0.01, 0.02, 0.05, 0.1),
    ):
        candidate = GateThresholds(
            veto_none=veto, veto_margin=margin, drop_tool=drop, single_task=0.0, route_action=1.01
        )
        score = _objective(gate_figures(cases, calls, probs, candidate, scores))
        if score > best_score + 1e-9:
            best, best_score = candidate, score
    for single in (0.05, 0.1, 0.2, 0.3, 0.4, 0.5):
        candidate = replace(best, single_task=single)
        score = _objective(gate_figures(cases, calls, probs, candidate, scores))
        if score > best_score + 1e-9:
            best, best_score = candidate, score
    route = 1.01
    col = [LABELS.index(t) for t in ("create_task", "update_task")]
    empty = [i for i, c in enumerate(calls) if not c]
    for r in (0.5, 0.6, 0.7, 0.8, 0.9, 0.95):
        hit = [i for i in empty if probs[i, col].max() >= r]
        if not hit:
            continue
        right = sum(
            1
            for i in hit
            if any(e.tool in ("create_task", "update_task") for e in cases[i].expected)
        )
        if right / len(hit) >= 0.9:
            route = r
            break
    return replace(best, route_action=route)


def per_label(
    targets: np.ndarray, probs: np.ndarray, cut: float = 0.5
) -> dict[str, dict[str, float]]:
    out: dict[str, dict[str, float]] = {}
    for j, label in enumerate(LABELS):
        y = targets[:, j] > 0.5
        p = probs[:, j] >= cut
        tp, fp, fn = int(np.sum(y & p)), int(np.sum(~y & p)), int(np.sum(y & ~p))
        if not (tp or fp or fn):
            continue
        out[label] = {
            "support": int(y.sum()),
            "precision": round(tp / (tp + fp), 3) if tp + fp else 0.0,
            "recall": round(tp / (tp + fn), 3) if tp + fn else 0.0,
        }
    return out


def train(
    paths: Sequence[Path] = DEFAULT_SOURCES, *, folds: int = 5, seed: int = SEED
) -> tuple[IntentModel, dict[str, object]]:
    """Cross-validate, calibrate, then fit on everything: the model and the figures."""
    started = time.perf_counter()
    data = load_dataset(paths)
    fold_of = folds_by_writer(data, folds=folds, seed=seed)
    oof = cross_validate(data, fold_of)
    calls = rule_calls(data.cases)
    thresholds = calibrate(data.cases, calls, oof)
    figures: dict[str, object] = {
        "cases": len(data.cases),
        "sources": {s: data.sources.count(s) for s in sorted(set(data.sources))},
        "folds": len(set(fold_of.tolist())),
        "per_label": per_label(data.targets, oof),
        "cv_rules": gate_figures(data.cases, calls, oof, None),
        "cv_gated": gate_figures(data.cases, calls, oof, thresholds),
    }
    by_source: dict[str, dict[str, dict[str, float]]] = {}
    for src in sorted(set(data.sources)):
        ix = [i for i, s in enumerate(data.sources) if s == src]
        sub_cases = [data.cases[i] for i in ix]
        sub_calls = [calls[i] for i in ix]
        by_source[src] = {
            "rules": gate_figures(sub_cases, sub_calls, oof[ix], None),
            "gated": gate_figures(sub_cases, sub_calls, oof[ix], thresholds),
        }
    figures["cv_by_source"] = by_source
    unseen = [i for i, s in enumerate(data.sources) if s in _writers()]
    if unseen:
        sub_cases = [data.cases[i] for i in unseen]
        sub_calls = [calls[i] for i in unseen]
        figures["cv_unseen_writers"] = {
            "cases": len(unseen),
            "rules": gate_figures(sub_cases, sub_calls, oof[unseen], None),
            "gated": gate_figures(sub_cases, sub_calls, oof[unseen], thresholds),
        }
    w, b = fit(data.indices, data.targets)
    model = IntentModel(
        LABELS,
        w,
        b,
        DIM,
        thresholds={
            "veto_none": thresholds.veto_none,
            "veto_margin": thresholds.veto_margin,
            "single_task": thresholds.single_task,
            "drop_tool": thresholds.drop_tool,
            "route_action": thresholds.route_action,
        },
        meta={"l2": L2, "seed": seed, "cv": figures},
    )
    figures["seconds"] = round(time.perf_counter() - started, 1)
    return model, figures


def main(argv: Sequence[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description="训练意图分类器并校准门限")
    parser.add_argument("--folds", type=int, default=5)
    parser.add_argument("--out", type=Path, default=DEFAULT_WEIGHTS)
    parser.add_argument("--no-write", action="store_true")
    parser.add_argument("--data", type=Path, nargs="*", default=None)
    args = parser.parse_args(argv)
    model, figures = train(args.data or DEFAULT_SOURCES, folds=args.folds)
    print(json.dumps(figures, ensure_ascii=False, indent=1))
    if not args.no_write:
        model.save(args.out)
        print(f"写入 {args.out}（{args.out.stat().st_size / 1024:.0f} KB）", file=sys.stderr)
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
