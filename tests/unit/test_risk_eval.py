"""The EMSE evaluation's own parts: mapping JIRA rows into observations, and the leak audit."""

from __future__ import annotations

from pathlib import Path

import numpy as np
import pytest

from assistant.insight.risk.features import FEATURE_NAMES
from evals.risk_emse import _matrix, carriers, load_project, observations


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


_COLUMNS = (
    "issuekey,delaydays,openeddate,type,discussion,repetition,perofdelay,workload,priority,"
    "no_comment,no_priority_change,no_fixversion,no_fixversion_change,no_issuelink,no_blocking,"
    "no_blockedby,no_affectversion,reporterrep,no_des_change,ProgressTime,RemainingDay,"
    "topic_10,topic_100,topic_200,topic_300,topic_400"
)


def _write(folder: Path, rows: dict[str, list[tuple[str, float, str, float, float]]]) -> None:
    """rows: point → (key, delay days, opened, progress time, remaining days) per issue."""
    for point, issues in rows.items():
        lines = [_COLUMNS]
        for key, delay, opened, progress, remaining in issues:
            late_percent = 1 if key == "A" else 10  # the assignee's past issues late, in %
            lines.append(
                f'{key},{delay},"{opened}",Bug,0,0,{late_percent},3,Major,1,0,1,0,0,0,0,1,0.5,0,'
                f"{progress},{remaining},1,2,3,4,5"
            )
        (folder / f"demo_{point}.csv").write_text("\n".join(lines) + "\n", encoding="utf-8")


def test_an_issue_without_a_due_date_yet_is_not_scored_at_that_point(tmp_path: Path) -> None:
    # A: due date set at creation (10 days); B: due date set on day 4 (final: day 12).
    _write(
        tmp_path,
        {
            "creation": [
                ("A", 0, "2015-01-01 00:00:00", 0, 10),
                ("B", 3, "2015-01-02 00:00:00", 0, 12),
            ],
            "due": [("A", 0, "2015-01-01 00:00:00", 0, 10), ("B", 3, "2015-01-02 00:00:00", 4, 8)],
            "discussion": [
                ("A", 0, "2015-01-01 00:00:00", 2, 8),
                ("B", 3, "2015-01-02 00:00:00", 2, 10),
            ],
        },
    )
    issues = load_project(tmp_path, "demo")
    assert [i.key for i in issues] == ["A", "B"]
    for point, expected in (("creation", ["A"]), ("due", ["A", "B"]), ("discussion", ["A"])):
        assert _matrix(issues, point).keys == expected
        assert _matrix(issues, point, final_due=True).keys == ["A", "B"]
    observed = {o.key: o for o in observations(issues, "discussion")}
    assert observed["B"].due is None  # not set yet two days in
    assert observed["A"].days_left == pytest.approx(8)
    assert observed["A"].assignee_late_rate == pytest.approx(0.01)  # 1 %, not 100 %
    # B's due date (and with it the data's reading of its assignee) comes after this point.
    assert observed["B"].assignee_late_rate is None and observed["B"].assignee_open is None
    leaky = {o.key: o for o in observations(issues, "discussion", final_due=True)}
    assert leaky["B"].days_left == pytest.approx(10)


def test_the_discussion_point_reads_the_assignee_as_at_the_due_point(tmp_path: Path) -> None:
    # The discussion file's workload / perofdelay disagree with the due file's at the same
    # moment (and its workload knows the outcome), so they are read from the due file; the
    # days of discussion are capped at the days since creation.
    header = _COLUMNS
    rows = {
        # point → (workload, perofdelay, discussion days, progress time, remaining days)
        "creation": (0, 0, 0, 0, 10),
        "due": (4, 20, 1, 3, 7),
        "discussion": (60, 90, 9, 5, 5),
    }
    for point, (load, late, talk, progress, remaining) in rows.items():
        line = (
            f'A,2,"2015-01-01 00:00:00",Bug,{talk},0,{late},{load},Major,1,0,1,0,0,0,0,1,0.5,0,'
            f"{progress},{remaining},1,2,3,4,5"
        )
        (tmp_path / f"demo_{point}.csv").write_text(f"{header}\n{line}\n", encoding="utf-8")
    issues = load_project(tmp_path, "demo")
    due = observations(issues, "due")[0]
    talked = observations(issues, "discussion")[0]
    for observed in (due, talked):
        assert observed.assignee_open == 4
        assert observed.assignee_late_rate == pytest.approx(0.20)
    assert talked.elapsed_days == pytest.approx(5) and talked.active_days == pytest.approx(5)
    assert due.active_days == pytest.approx(1)
