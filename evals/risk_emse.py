"""``qunmi eval risk``: the delay predictor on the EMSE 2017 JIRA data (Choetkiertikul et al.).

Each row of ``delay_emse2017/{project}_{creation,due,discussion}.csv`` is mapped into the same
``TaskObservation`` the product builds from its store, and scored through the same
``features.matrix``, ``model.train_model`` and ``prior`` code.

Columns kept (what a chat secretary can observe at the prediction point; all of them change
between the three files of a project, so they are point-in-time values):
``RemainingDay`` / ``ProgressTime`` (time left, time elapsed, planned span), ``no_fixversion_change``
(the target moved: our due-date changes), ``no_priority_change``, ``no_comment`` (updates),
``discussion`` (days of discussion), ``workload`` (assignee's open issues), ``perofdelay``
(assignee's past delay rate), ``priority``, ``type`` (a coarse kind, as ours is read from the title),
and ``topic_100`` only to find *similar finished issues* (same project and topic) whose outcome
was known before the prediction point (due date + delay < that moment), as our keyword search does.

Columns dropped: ``repetition`` (times reopened: zero at creation, identical at due and at the
end of discussion, so it is counted after the fact), and ``no_fixversion``, ``no_issuelink``,
``no_blocking``, ``no_blockedby``, ``no_affectversion``, ``reporterrep``, ``no_des_change``
(the first six are identical in all three files of every project, i.e. final-state snapshots;
``no_des_change`` has no counterpart a chat can observe). The due date itself is the same in all
three files (its final value), which no observable-features setup can undo; the report says so.

Rows scored at each point: only the issues that had a due date by then (``ProgressTime`` of the
due file ≤ that of the point), as the product scores only tasks with one. Before round 3 every
issue was scored at every point with its final due date, also where none had been set yet: at
creation 44 % of the issues (Moodle: 63 % of the on-time ones) had no due date, and ``--final-due``
keeps that reading for comparison. A cell above the leakage alarm prints the features that alone
separate its test rows best (``carriers``).

At the discussion point the assignee's load and late rate (``workload``, ``perofdelay``) are read
from the due file (``_assignee_columns``): the discussion file's are not taken at its prediction
point, and its ``workload`` knows the outcome (docs/risk.md, round-4 audit).
"""

from __future__ import annotations

import csv
import json
import math
import time
from collections import defaultdict
from dataclasses import dataclass
from datetime import UTC, datetime, timedelta
from pathlib import Path

import numpy as np

from assistant.insight.risk.features import FEATURE_NAMES, columns_of, matrix
from assistant.insight.risk.metrics import BinaryScores, auc, binary_scores
from assistant.insight.risk.model import GbmParams, RiskModel, train_model
from assistant.insight.risk.observation import Neighbour, TaskObservation, summarize_neighbours
from assistant.insight.risk.prior import prior_logits

__all__ = ["POINTS", "load_project", "run"]

REPO = Path(__file__).resolve().parent.parent
DEFAULT_CORPORA = REPO.parent / "shared" / "corpora"
FLOORS = REPO / "evals" / "floors" / "risk.json"
POINTS = ("creation", "due", "discussion")
POINT_WORDS = {"creation": "创建时", "due": "定截止时", "discussion": "讨论结束时"}
_PRIORITY = {
    "Trivial": 0,
    "Optional": 0,
    "Minor": 0,
    "Major": 1,
    "To be reviewed": 1,
    "Critical": 2,
    "Blocker": 3,
}
_KIND = {
    "Bug": "bug",
    "Improvement": "feature",
    "NewFeature": "feature",
    "New Feature": "feature",
    "Feature Request": "feature",
    "Story": "feature",
    "Suggestion": "feature",
    "Epic": "feature",
    "Task": "task",
    "SubTask": "task",
    "Sub-task": "task",
    "Documentation": "doc",
    "FunctionalTest": "test",
    "Test": "test",
}
NEIGHBOURS = 5
EVAL_PARAMS = GbmParams(
    n_estimators=150, folds=1, threads=1
)  # OpenMP threads contend on a busy 2-core machine: 1 is ~5x faster here


@dataclass(frozen=True, slots=True)
class Issue:
    key: str
    opened: datetime
    delay_days: float
    topic: str
    span_days: float  # creation to the (final) due date
    rows: dict[str, dict[str, str]]  # point → the CSV row


def load_project(folder: Path, project: str) -> list[Issue]:
    by_key: dict[str, dict[str, dict[str, str]]] = defaultdict(dict)
    for point in POINTS:
        with (folder / f"{project}_{point}.csv").open(encoding="utf-8") as fh:
            for row in csv.DictReader(fh):
                by_key[row["issuekey"]][point] = row
    issues = []
    for key, rows in by_key.items():
        if len(rows) != len(POINTS):
            continue
        first = rows["creation"]
        issues.append(
            Issue(
                key=key,
                opened=datetime.fromisoformat(first["openeddate"]).replace(tzinfo=UTC),
                delay_days=float(first["delaydays"]),
                topic=first["topic_100"],
                span_days=float(first["RemainingDay"]),
                rows=rows,
            )
        )
    issues.sort(key=lambda i: (i.opened, i.key))
    return issues


def _neighbour_lists(issues: list[Issue], point: str) -> dict[str, list[Neighbour]]:
    """The most recent same-topic issues of the project whose outcome was known before this
    issue's prediction point (finished by due + delay at the latest)."""
    known: dict[str, list[tuple[datetime, Issue]]] = defaultdict(list)
    for issue in issues:
        due = issue.opened + timedelta(days=issue.span_days)
        known[issue.topic].append((due + timedelta(days=max(0.0, issue.delay_days)), issue))
    for items in known.values():
        items.sort(key=lambda x: x[0])
    out: dict[str, list[Neighbour]] = {}
    for issue in issues:
        at = issue.opened + timedelta(days=max(0.0, float(issue.rows[point]["ProgressTime"])))
        items = known[issue.topic]
        lo, hi = 0, len(items)
        while lo < hi:
            mid = (lo + hi) // 2
            if items[mid][0] < at:
                lo = mid + 1
            else:
                hi = mid
        near = [
            Neighbour(
                task_id=other.key,
                title="",
                finished_at=finished,
                slip_days=other.delay_days,
                duration_days=None,
            )
            for finished, other in reversed(items[max(0, lo - NEIGHBOURS - 1) : lo])
            if other.key != issue.key
        ][:NEIGHBOURS]
        out[issue.key] = near
    return out


TEAM_WINDOW = 100  # as ``TeamHistory.team_window``


def _team_late_rates(issues: list[Issue], point: str) -> dict[str, float | None]:
    """The late share of the project's latest issues whose outcome was known before this
    issue's prediction point (as the product reads its team's finished tasks)."""
    known = sorted(
        (
            (i.opened + timedelta(days=i.span_days + max(0.0, i.delay_days))).timestamp(),
            i.delay_days > 0,
        )
        for i in issues
    )
    times = np.array([t for t, _ in known])
    cum = np.concatenate([[0.0], np.cumsum([float(late) for _, late in known])])
    out: dict[str, float | None] = {}
    for issue in issues:
        at = issue.opened + timedelta(days=max(0.0, float(issue.rows[point]["ProgressTime"])))
        n = int(np.searchsorted(times, at.timestamp(), side="left"))
        first = max(0, n - TEAM_WINDOW)
        out[issue.key] = (cum[n] - cum[first]) / (n - first) if n > first else None
    return out


def _assignee_columns(issue: Issue, point: str) -> dict[str, str] | None:
    """The row to read the assignee's load (``workload``) and record (``perofdelay``) from.

    The discussion file's values of these two columns are not taken at its ``ProgressTime``:
    where the end of discussion is the very moment the due date was set (36–56 % of a
    project's issues), every per-issue column is identical in the two files, but ``workload``
    differs in 86–99 % of those rows and ``perofdelay`` in 28–73 %. The discussion file's
    ``workload`` knows the outcome: it is never 0 for a late issue in JBoss, JIRA, Moodle and
    Mulesoft (0 for 4–41 % of their on-time ones), and for WSO2's late issues it is a median
    60 higher than the due file's at the same moment (AUC alone .853 against .517). So at the
    discussion point both are read as they stood when the due date was set, the latest moment
    the data gives them for (none if that came after the point)."""
    if point != "discussion":
        return issue.rows[point]
    due_row = issue.rows["due"]
    if float(due_row["ProgressTime"]) > float(issue.rows[point]["ProgressTime"]):
        return None
    return due_row


def observations(
    issues: list[Issue], point: str, *, final_due: bool = False
) -> list[TaskObservation]:
    """The issues as observed at ``point``. An issue whose due date was assigned after that
    moment (the due file's ``ProgressTime`` is later) had no due date yet (``due`` is None);
    ``final_due`` gives it the data's final due date anyway (the old, leaking reading)."""
    neighbours = _neighbour_lists(issues, point)
    team = _team_late_rates(issues, point)
    out = []
    for issue in issues:
        row = issue.rows[point]
        elapsed = max(0.0, float(row["ProgressTime"]))
        due_set = max(0.0, float(issue.rows["due"]["ProgressTime"]))
        known = final_due or elapsed >= due_set
        assignee = _assignee_columns(issue, point)
        load = None if assignee is None else int(float(assignee["workload"]))
        # A whole percentage in every file (0, 1, 2 … 100, and above 100 in 0.8–11 % of the
        # rows of a project, kept as they are): 1 is 1 %, not 100 %.
        late_rate = None if assignee is None else float(assignee["perofdelay"]) / 100
        out.append(
            TaskObservation(
                key=issue.key,
                at=issue.opened + timedelta(days=elapsed),
                opened_at=issue.opened,
                due=issue.opened + timedelta(days=issue.span_days) if known else None,
                priority=_PRIORITY.get(row["priority"], 1),
                kind=_KIND.get(row["type"], "other"),
                due_changes=int(float(row["no_fixversion_change"])),
                due_pushed_days=None,
                assignee_changes=None,
                priority_changes=int(float(row["no_priority_change"])),
                updates=int(float(row["no_comment"])),
                days_since_update=None,
                # Days of discussion up to the point cannot exceed the days since creation
                # (0.1–2 % of a project's rows say more: counted past the point).
                active_days=min(float(row["discussion"]), elapsed),
                blocked_days=None,
                blocked_now=None,
                progress=None,
                assignee_open=load,
                assignee_late_rate=late_rate,
                assignee_finished=None,
                neighbours=summarize_neighbours(neighbours[issue.key]),
                team_late_rate=team[issue.key],
            )
        )
    return out


@dataclass
class _Data:
    x: np.ndarray
    y: np.ndarray
    long: np.ndarray  # deadline more than one day after creation
    prior: np.ndarray
    keys: list[str]
    opened: np.ndarray  # timestamps: training rows are fed oldest first


def _matrix(issues: list[Issue], point: str, *, final_due: bool = False) -> _Data:
    """The rows scored at ``point``: the issues that had a due date by then, as the product
    scores only tasks with one (with ``final_due``, every issue)."""
    obs = observations(issues, point, final_due=final_due)
    kept = [(i, o) for i, o in zip(issues, obs, strict=True) if o.due is not None]
    issues, obs = [i for i, _ in kept], [o for _, o in kept]
    columns = columns_of(obs)
    return _Data(
        x=matrix(columns),
        y=np.array([i.delay_days > 0 for i in issues]),
        long=np.array([i.span_days > 1 for i in issues]),
        prior=1.0 / (1.0 + np.exp(-prior_logits(columns))),
        keys=[i.key for i in issues],
        opened=np.array([i.opened.timestamp() for i in issues]),
    )


@dataclass
class Cell:
    all: BinaryScores
    long: BinaryScores
    prior_auc: float
    # For a cell above the leakage alarm: the features that alone separate its test rows best.
    carriers: tuple[tuple[str, float], ...] = ()


ALARM = 0.95
ROWS: dict[str, tuple[int, int]] = {}  # point → (issues with a due date by then, all issues)


def carriers(x: np.ndarray, y: np.ndarray, top: int = 3) -> tuple[tuple[str, float], ...]:
    """The ``top`` features by their AUC alone on (``x``, ``y``), either direction (a missing
    value ranks lowest): which columns carry the answer when a score looks too good."""
    found = []
    for j, name in enumerate(FEATURE_NAMES):
        col = np.nan_to_num(x[:, j], nan=-1e12)
        if np.all(col == col[0]):
            continue
        a = auc(y, col)
        found.append((name, max(a, 1.0 - a)))
    found.sort(key=lambda item: -item[1])
    return tuple(found[:top])


QUICK_SHARE = 0.2  # --quick trains on this seeded share of the seven other projects
QUICK_PARAMS = GbmParams(n_estimators=100, folds=1, threads=1)


def _fit_score(
    train: _Data,
    test: _Data,
    idx_train: np.ndarray,
    idx_test: np.ndarray,
    params: GbmParams = EVAL_PARAMS,
) -> Cell:
    # Oldest first: the single hold-out that calibrates is the newest fifth of the training
    # rows, across every training project (pooled rows come project by project, and a hold-out
    # taken from their end would be one project the trees never saw).
    rows = np.flatnonzero(idx_train)
    rows = rows[np.argsort(train.opened[rows], kind="stable")]
    model = train_model(
        train.x[rows],
        train.y[rows],
        [train.keys[i] for i in rows],
        trained_at=datetime.now(UTC),
        finished_tasks=len(rows),
        params=params,
    )
    scorer = RiskModel(model)
    probs = scorer.predict(test.x[idx_test])
    y = test.y[idx_test]
    long = test.long[idx_test]
    scores = binary_scores(y, probs, model.threshold)
    return Cell(
        all=scores,
        long=binary_scores(y[long], probs[long], model.threshold),
        prior_auc=binary_scores(y, test.prior[idx_test], 0.5).auc,
        carriers=carriers(test.x[idx_test], y) if scores.auc > ALARM else (),
    )


def evaluate(
    folder: Path, *, quick: bool = False, final_due: bool = False
) -> dict[str, dict[str, dict[str, Cell]]]:
    """protocol → point → project → scores."""
    projects = sorted(p.name.removesuffix("_creation.csv") for p in folder.glob("*_creation.csv"))
    issues = {p: load_project(folder, p) for p in projects}
    results: dict[str, dict[str, dict[str, Cell]]] = {
        "transfer": {},
        "within": {},
        "transfer_quick": {},
    }
    for point in POINTS:
        data = {p: _matrix(issues[p], point, final_due=final_due) for p in projects}
        ROWS[point] = (
            sum(len(d.keys) for d in data.values()),
            sum(len(v) for v in issues.values()),
        )
        pooled = _Data(
            x=np.vstack([data[p].x for p in projects]),
            y=np.concatenate([data[p].y for p in projects]),
            long=np.concatenate([data[p].long for p in projects]),
            prior=np.concatenate([data[p].prior for p in projects]),
            keys=[f"{p}:{k}" for p in projects for k in data[p].keys],
            opened=np.concatenate([data[p].opened for p in projects]),
        )
        owner = np.concatenate([[p] * len(data[p].keys) for p in projects])
        if quick:
            # A seeded sample of the training rows (kept in time order within each project)
            # and fewer trees: the same protocol in well under a minute, with its own floors.
            sample = np.random.default_rng(11).random(len(owner)) < QUICK_SHARE
            results["transfer_quick"][point] = {
                p: _fit_score(pooled, pooled, (owner != p) & sample, owner == p, QUICK_PARAMS)
                for p in projects
            }
            continue
        results["transfer"][point] = {
            p: _fit_score(pooled, pooled, owner != p, owner == p) for p in projects
        }
        within: dict[str, Cell] = {}
        for p in projects:
            n = len(data[p].keys)
            cut = int(n * 0.8)  # issues are in opening order
            train = np.arange(n) < cut
            within[p] = _fit_score(data[p], data[p], train, ~train)
        results["within"][point] = within
    return results


def _mean(values: list[float]) -> float:
    good = [v for v in values if not math.isnan(v)]
    return sum(good) / len(good) if good else float("nan")


def _table(title: str, cells: dict[str, dict[str, Cell]]) -> dict[str, dict[str, float]]:
    from rich.console import Console
    from rich.table import Table

    table = Table(title=title)
    for col in (
        "项目",
        "时点",
        "AUC",
        "P",
        "R",
        "F1",
        "AUC >1天",
        "P >1天",
        "R >1天",
        "F1 >1天",
        "先验 AUC",
    ):
        table.add_column(col, justify="right")
    summary: dict[str, dict[str, float]] = {}
    for point, by_project in cells.items():
        for project, c in by_project.items():
            table.add_row(
                project,
                POINT_WORDS[point],
                f"{c.all.auc:.3f}",
                f"{c.all.precision:.2f}",
                f"{c.all.recall:.2f}",
                f"{c.all.f1:.2f}",
                f"{c.long.auc:.3f}",
                f"{c.long.precision:.2f}",
                f"{c.long.recall:.2f}",
                f"{c.long.f1:.2f}",
                f"{c.prior_auc:.3f}",
            )
        vals = list(by_project.values())
        mean = {
            "auc": _mean([c.all.auc for c in vals]),
            "precision": _mean([c.all.precision for c in vals]),
            "recall": _mean([c.all.recall for c in vals]),
            "f1": _mean([c.all.f1 for c in vals]),
            "auc_long": _mean([c.long.auc for c in vals]),
            "precision_long": _mean([c.long.precision for c in vals]),
            "recall_long": _mean([c.long.recall for c in vals]),
            "f1_long": _mean([c.long.f1 for c in vals]),
            "prior_auc": _mean([c.prior_auc for c in vals]),
        }
        summary[point] = mean
        table.add_row(
            "[bold]平均[/bold]",
            POINT_WORDS[point],
            *(
                f"[bold]{mean[k]:.3f}[/bold]"
                if k.startswith("auc")
                else f"[bold]{mean[k]:.2f}[/bold]"
                for k in (
                    "auc",
                    "precision",
                    "recall",
                    "f1",
                    "auc_long",
                    "precision_long",
                    "recall_long",
                    "f1_long",
                )
            ),
            f"[bold]{mean['prior_auc']:.3f}[/bold]",
            end_section=True,
        )
    Console(width=160).print(table)
    return summary


def run(
    corpora: Path | None,
    *,
    check_floors: bool = False,
    quick: bool = False,
    final_due: bool = False,
) -> int:
    root = corpora if corpora is not None else DEFAULT_CORPORA
    folder = root / "delay_emse2017" if (root / "delay_emse2017").is_dir() else root
    if not any(folder.glob("*_creation.csv")):
        print(f"没有找到 EMSE 2017 延期数据：{folder}，跳过评测。")
        return 0
    started = time.perf_counter()
    results = evaluate(folder, quick=quick, final_due=final_due)
    print(
        "延期预测评测（EMSE 2017 JIRA 数据，只用聊天秘书能观察到的特征；"
        "P/R/F1 为延期类，阈值取训练集交叉验证 F1 最优；>1天 = 截止时间在创建一天以后的任务）"
    )
    summary: dict[str, dict[str, dict[str, float]]] = {}
    if results["transfer"]:
        summary["transfer"] = _table(
            "跨项目迁移：用其余 7 个项目训练，测试第 8 个", results["transfer"]
        )
    if results["transfer_quick"]:
        summary["transfer_quick"] = _table(
            f"快速跨项目迁移：其余 7 个项目中抽 {QUICK_SHARE:.0%} 训练、{QUICK_PARAMS.n_estimators} 棵树，测试第 8 个",
            results["transfer_quick"],
        )
    if results["within"]:
        summary["within"] = _table("项目内：按创建时间前 80% 训练，后 20% 测试", results["within"])
    print(
        "参与评测的任务（预测时点已有截止日期）："
        + "，".join(f"{POINT_WORDS[p]} {ROWS[p][0]}/{ROWS[p][1]}" for p in POINTS if p in ROWS)
    )
    print(
        "注：数据里的截止日期是最终值；"
        + (
            "本次按旧口径，截止日期还没定的时点也用了它（有泄漏，只为对比）。"
            if final_due
            else "截止日期在预测时点还没定的任务不参与该时点（产品也只给有截止日期的任务打分）。"
        )
        + "AUC 高于 0.95 应视为泄漏警报。"
    )
    print(f"用时 {time.perf_counter() - started:.0f} 秒")
    alarms = [
        f"{proto}/{point}"
        for proto, by_point in summary.items()
        for point, mean in by_point.items()
        if mean["auc"] > ALARM
    ]
    if alarms:
        print("⚠️ 泄漏警报（平均 AUC > 0.95）：" + "、".join(alarms))
    audit = [
        f"{proto}/{point}/{project} {cell.all.auc:.3f}（先验 {cell.prior_auc:.3f}；单独一个特征："
        + "、".join(f"{name} {value:.3f}" for name, value in cell.carriers)
        + "）"
        for proto, by_point in results.items()
        for point, by_project in by_point.items()
        for project, cell in by_project.items()
        if cell.all.auc > ALARM
    ]
    if audit:
        # A prior that only reads time left scoring nearly as high says the data, not a
        # learned leak: in such a project the (final) due date alone separates the classes.
        print("需审查的单项 AUC > 0.95：" + "、".join(audit))
    if not check_floors:
        return 0
    floors = json.loads(FLOORS.read_text("utf-8"))
    status = 1 if alarms else 0
    for proto, by_point in floors.items():
        if proto.startswith("_") or proto not in summary:
            continue
        for point, wants in by_point.items():
            got = summary[proto].get(point, {})
            for key, want in wants.items():
                value = got.get(key, float("nan"))
                if not value >= want:
                    print(f"低于下限：{proto} {point} {key} = {value:.3f} < {want:.3f}")
                    status = 1
    if status == 0:
        print("全部达到下限。")
    return status
