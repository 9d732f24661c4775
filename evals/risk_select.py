"""Choosing the delay model's settings without looking at the test project.

``python -m evals.risk_select [candidate ...]``: for every outer fold of ``qunmi eval risk``'s
transfer protocol (test on one project, train on the other seven), each candidate is scored by
leave-one-project-out *inside* the seven training projects. One fit on six projects scores both
projects left out, so a candidate costs 28 fits per prediction point instead of 56. Nothing here
reads the outer test project's score; a candidate is adopted only if it wins inside the training
projects, and the report's figures are then those of ``qunmi eval risk``.

Candidates: LightGBM settings (``GbmParams`` fields), features left out (set to missing), and a
weight for tasks whose deadline is at most a day after creation (they are late three times in
four and dominate the splits).
"""

from __future__ import annotations

import itertools
import sys
from dataclasses import dataclass, field, replace
from typing import Any

import numpy as np

from assistant.insight.risk.features import FEATURE_NAMES
from assistant.insight.risk.metrics import auc
from evals.risk_emse import DEFAULT_CORPORA, EVAL_PARAMS, POINTS, _Data, _matrix, load_project

__all__ = ["CANDIDATES", "Candidate", "main"]


@dataclass(frozen=True)
class Candidate:
    params: dict[str, Any] = field(default_factory=dict)  # GbmParams fields
    drop: tuple[str, ...] = ()
    short_weight: float = 1.0


CANDIDATES: dict[str, Candidate] = {
    "base": Candidate(),
    "slow300": Candidate(params={"learning_rate": 0.03, "n_estimators": 300}),
    "leaves7": Candidate(params={"num_leaves": 7, "n_estimators": 200}),
    "minleaf200": Candidate(params={"min_child_samples": 200}),
    "ff05": Candidate(params={"colsample": 0.5}),
    "no_team_rate": Candidate(drop=("team_late_rate",)),
    "no_similar": Candidate(drop=("similar_count", "similar_late_share", "similar_mean_slip_days")),
    "no_kind": Candidate(drop=("kind",)),
    "w_short05": Candidate(short_weight=0.5),
    "w_short025": Candidate(short_weight=0.25),
}


def _fit_pair(
    data: dict[str, _Data], train: list[str], test: list[str], cand: Candidate
) -> dict[str, tuple[float, float]]:
    """Train as the eval does (oldest first, the newest fifth held out), score ``test``:
    project → (AUC, AUC of the > 1-day subset)."""
    import lightgbm as lgb

    params = replace(EVAL_PARAMS, **cand.params)
    dropped = [FEATURE_NAMES.index(f) for f in cand.drop]

    def features(p: str) -> np.ndarray:
        x = data[p].x.copy()
        x[:, dropped] = np.nan
        return x

    x = np.vstack([features(p) for p in train])
    y = np.concatenate([data[p].y for p in train])
    long = np.concatenate([data[p].long for p in train])
    order = np.argsort(np.concatenate([data[p].opened for p in train]), kind="stable")
    x, y, long = x[order], y[order], long[order]
    cut = int(len(y) * 0.8)
    booster = lgb.train(
        params.lgb(cut),
        lgb.Dataset(
            x[:cut],
            label=y[:cut],
            weight=np.where(long[:cut], 1.0, cand.short_weight),
            categorical_feature=[FEATURE_NAMES.index("kind")],
            feature_name=list(FEATURE_NAMES),
        ),
        num_boost_round=params.n_estimators,
    )
    out = {}
    for p in test:
        s = np.asarray(booster.predict(features(p), raw_score=True))
        d = data[p]
        out[p] = (auc(d.y, s), auc(d.y[d.long], s[d.long]))
    return out


def main(names: list[str]) -> None:
    folder = DEFAULT_CORPORA / "delay_emse2017"
    projects = sorted(p.name.removesuffix("_creation.csv") for p in folder.glob("*_creation.csv"))
    issues = {p: load_project(folder, p) for p in projects}
    print("inner leave-one-project-out AUC, mean over the outer folds (AUC / > 1 day)")
    for point in POINTS:
        data = {p: _matrix(issues[p], point) for p in projects}
        for name in names:
            pairs = {
                (a, b): _fit_pair(
                    data, [r for r in projects if r not in (a, b)], [a, b], CANDIDATES[name]
                )
                for a, b in itertools.combinations(projects, 2)
            }
            folds = []
            for outer in projects:
                inner = []
                for q in projects:
                    if q == outer:
                        continue
                    a, b = (outer, q) if projects.index(outer) < projects.index(q) else (q, outer)
                    inner.append(pairs[(a, b)][q])
                folds.append((np.mean([v for v, _ in inner]), np.nanmean([v for _, v in inner])))
            mean_auc = float(np.mean([f[0] for f in folds]))
            mean_long = float(np.mean([f[1] for f in folds]))
            print(f"{point:<10} {name:<13} {mean_auc:.4f} / {mean_long:.4f}", flush=True)


if __name__ == "__main__":
    main(sys.argv[1:] or list(CANDIDATES))
