"""Training the intent classifier: the committed weights come from the committed data."""

from __future__ import annotations

from pathlib import Path

import numpy as np
import pytest

from assistant.engines.learned import NONE, default_model
from evals import train_intent as ti


@pytest.fixture(scope="module")
def dataset() -> ti.Dataset:
    return ti.load_dataset()


def test_the_holdout_is_never_training_data() -> None:
    holdout = Path(ti.__file__).resolve().parent / "cases" / "parse_holdout.jsonl"
    assert holdout not in ti.DEFAULT_SOURCES
    with pytest.raises(ValueError, match="parse_holdout"):
        ti.load_dataset([holdout])


def test_folds_hold_out_one_writer_each(dataset: ti.Dataset) -> None:
    fold_of = ti.folds_by_writer(dataset)
    for source in set(dataset.sources):
        folds = {int(f) for f, s in zip(fold_of, dataset.sources, strict=True) if s == source}
        if source.startswith("parse_"):
            assert len(folds) > 1  # the tuned sets are spread over the folds
        else:
            assert len(folds) == 1  # a writer is never both trained on and tested


@pytest.mark.slow  # refits the whole model
def test_retraining_reproduces_the_committed_model(dataset: ti.Dataset) -> None:
    model = default_model()
    assert model.meta["cv"]["cases"] == len(dataset.cases), "数据变了：请重新训练"
    weights, bias = ti.fit(dataset.indices, dataset.targets)
    fresh = ti._probs(weights, bias, dataset.indices)
    committed = np.array([model.scores(ix) for ix in dataset.indices])
    assert np.mean(np.abs(fresh - committed)) < 0.01
    assert np.mean((fresh > 0.5) == (committed > 0.5)) > 0.99
    veto = model.thresholds["veto_none"]
    none = model.labels.index(NONE)
    assert np.mean((fresh[:, none] >= veto) == (committed[:, none] >= veto)) > 0.98


def test_the_model_fits_its_training_data(dataset: ti.Dataset) -> None:
    model = default_model()
    probs = np.array([model.scores(ix) for ix in dataset.indices])
    assert np.mean((probs > 0.5) == (dataset.targets > 0.5)) > 0.97


def test_cross_validated_gate_figures_are_stored_and_better_than_the_rules() -> None:
    cv = default_model().meta["cv"]
    unseen = cv["cv_unseen_writers"]
    assert unseen["gated"]["no_action_accuracy"] > unseen["rules"]["no_action_accuracy"]
    assert unseen["gated"]["exact_match"] >= unseen["rules"]["exact_match"]
    assert set(cv["per_label"]) >= {NONE, "create_task", "create_meeting", "update_task"}
