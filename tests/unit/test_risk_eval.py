"""The EMSE evaluation's own parts: mapping JIRA rows into observations, and the leak audit."""

from __future__ import annotations

import numpy as np

from assistant.insight.risk.features import FEATURE_NAMES
from evals.risk_emse import carriers


def test_carriers_name_the_column_that_holds_the_answer() -> None:
    rng = np.random.default_rng(3)
    n = 400
    y = rng.random(n) < 0.3
    x = rng.normal(size=(n, len(FEATURE_NAMES)))
    leak = FEATURE_NAMES.index("due_changes")
    x[:, leak] = np.where(y, 0.0, 1.0) + rng.normal(scale=0.05, size=n)  # fewer when late
    weak = FEATURE_NAMES.index("updates")
    x[:, weak] = y + rng.normal(scale=2.0, size=n)
    x[:, FEATURE_NAMES.index("progress")] = np.nan  # never observed: not a carrier
    found = carriers(x, y, top=2)
    assert found[0][0] == "due_changes" and found[0][1] > 0.99  # either direction counts
    assert found[1][0] == "updates" and 0.55 < found[1][1] < 0.8
    assert all(name != "progress" for name, _ in carriers(x, y, top=len(FEATURE_NAMES)))
