"""Delay risk speed: scoring open tasks with features from SQL, and training.

Run: ``python -m evals.bench.bench_risk``. A synthetic team history is written straight into
SQLite (tasks and their events, as the executor would have left them): 10,000 open tasks
beside 10,000 finished ones for scoring, and 50,000 finished tasks for training.
``QUNMI_BENCH_RISK_OPEN`` / ``_FINISHED`` / ``_TRAIN`` change the sizes, ``QUNMI_BENCH_RUNS`` /
``QUNMI_BENCH_RISK_TRAIN_RUNS`` the repetitions; PostgreSQL (a fresh schema in
``QUNMI_TEST_POSTGRES_URL``) is measured when that variable is set.

Repeated scoring in one process (the API, the scheduler) reuses the similar-task index and its
answers while the finished tasks are unchanged; the "cold" line is a new service per call.
"""

from __future__ import annotations

import os
import random
import statistics
import tempfile
import time
from collections.abc import Callable
from datetime import UTC, datetime, timedelta
from pathlib import Path

from sqlalchemy import insert

from assistant.clock import FixedClock
from assistant.insight.risk import RiskConfig, RiskService
from assistant.insight.risk.model import GbmParams
from storage.migrate import upgrade
from storage.orm import MemberRow, ProjectRow, TaskEventRow, TaskRow
from storage.risk_history import SqlRiskModelStore, SqlTaskHistory
from storage.unit_of_work import make_engine

N_OPEN = int(os.environ.get("QUNMI_BENCH_RISK_OPEN", "10000"))
N_FINISHED = int(os.environ.get("QUNMI_BENCH_RISK_FINISHED", "10000"))
N_TRAIN = int(os.environ.get("QUNMI_BENCH_RISK_TRAIN", "50000"))
NOW = datetime(2026, 11, 25, 2, 0, tzinfo=UTC)
_AREAS = (
    "登录页",
    "首页",
    "支付",
    "订单列表",
    "个人中心",
    "搜索",
    "消息通知",
    "后台报表",
    "小程序",
    "报表导出",
)
_WORKS = ("设计稿", "前端开发", "接口联调", "测试用例", "文案", "性能优化", "bug修复", "文档")


def _fill(url: str, *, open_tasks: int, finished: int, seed: int = 1) -> None:
    rng = random.Random(seed)
    engine = make_engine(url)
    upgrade(engine)
    members = 30
    tasks: list[dict[str, object]] = []
    events: list[dict[str, object]] = []
    start = NOW - timedelta(days=720)
    with engine.begin() as conn:
        conn.execute(
            insert(MemberRow),
            [
                {
                    "id": i,
                    "display_name": f"成员{i}",
                    "aliases": [],
                    "role": "member",
                    "created_at": start,
                }
                for i in range(1, members + 1)
            ],
        )
        conn.execute(
            insert(ProjectRow),
            [{"id": 1, "name": "官网改版", "status": "active", "created_at": start}],
        )
    for i in range(1, open_tasks + finished + 1):
        is_open = i > finished
        created = (
            NOW - timedelta(days=rng.uniform(0.5, 15))
            if is_open
            else start + timedelta(days=700 * i / finished)
        )
        due = created + timedelta(days=rng.randint(1, 10), hours=8)
        slip = rng.gauss(-1, 2)
        done = None if is_open else due + timedelta(days=slip)
        if done is not None and done <= created:
            done = created + timedelta(hours=6)
        tasks.append(
            {
                "id": i,
                # Mostly distinct titles, as in a real team (the search caches equal ones).
                "title": f"{rng.choice(_AREAS)}{rng.choice(_WORKS)} {rng.randint(1, 2000)}号",
                "assignee_id": rng.randint(1, members),
                "project_id": 1,
                "due": due,
                "priority": rng.choice(("normal", "normal", "high", "low")),
                "status": "in_progress" if is_open else "done",
                "created_at": created,
                "completed_at": done,
            }
        )
        events.append({"task_id": i, "kind": "created", "at": created, "new": "todo"})
        events.append(
            {
                "task_id": i,
                "kind": "status",
                "at": created + timedelta(hours=3),
                "old": "todo",
                "new": "in_progress",
            }
        )
        if rng.random() < 0.4:
            events.append(
                {
                    "task_id": i,
                    "kind": "note",
                    "at": created + timedelta(hours=20),
                    "note": "写了一半",
                }
            )
        if rng.random() < 0.15:
            events.append(
                {
                    "task_id": i,
                    "kind": "due",
                    "at": created + timedelta(hours=30),
                    "old": (due - timedelta(days=2)).isoformat(),
                    "new": due.isoformat(),
                }
            )
        if done is not None:
            events.append(
                {"task_id": i, "kind": "status", "at": done, "old": "in_progress", "new": "done"}
            )
    events = [{"old": None, "new": None, "note": None, **e} for e in events]
    with engine.begin() as conn:
        for chunk in range(0, len(tasks), 5000):
            conn.execute(insert(TaskRow), tasks[chunk : chunk + 5000])
        for chunk in range(0, len(events), 5000):
            conn.execute(insert(TaskEventRow), events[chunk : chunk + 5000])
    engine.dispose()


def _service(url: str, min_finished: int = 50) -> RiskService:
    engine = make_engine(url)
    return RiskService(
        history=SqlTaskHistory(engine),
        models=SqlRiskModelStore(engine),
        clock=FixedClock(NOW),
        config=RiskConfig(tz=UTC, min_finished=min_finished, params=GbmParams(threads=1)),
    )


def _times(fn: Callable[[], object], runs: int) -> tuple[list[float], list[float]]:
    """Wall and CPU seconds of each run (on a shared machine the CPU time says what the code
    costs; the wall time what a caller waited)."""
    wall, cpu = [], []
    for _ in range(runs):
        t0, c0 = time.perf_counter(), time.process_time()
        fn()
        wall.append(time.perf_counter() - t0)
        cpu.append(time.process_time() - c0)
    return wall, cpu


def _spread(values: list[float]) -> str:
    med = statistics.median(values)
    q1, q3 = (
        (statistics.quantiles(values, n=4)[i] for i in (0, 2)) if len(values) > 1 else (med, med)
    )
    return f"median {med:6.2f} s  (IQR {q1:.2f}–{q3:.2f}, min {min(values):.2f}, max {max(values):.2f})"


def _line(label: str, times: tuple[list[float], list[float]]) -> str:
    wall, cpu = times
    return f"{label:<46} wall {_spread(wall)}\n{'':<46} cpu  {_spread(cpu)}  {len(wall)} runs"


def _pg_url() -> tuple[str, Callable[[], None]] | None:
    """A fresh schema in the PostgreSQL test database, and how to drop it; None without one."""
    base = os.environ.get("QUNMI_TEST_POSTGRES_URL")
    if not base:
        return None
    from sqlalchemy import create_engine, text

    schema = f"bench_risk_{os.getpid()}"
    admin = create_engine(base.replace("postgresql://", "postgresql+psycopg://"))
    try:
        with admin.begin() as conn:
            conn.execute(text(f'CREATE SCHEMA "{schema}"'))
    except Exception as exc:  # the database is optional for the bench
        print(f"PostgreSQL not reachable ({type(exc).__name__}); SQLite only")
        return None

    def drop() -> None:
        with admin.begin() as conn:
            conn.execute(text(f'DROP SCHEMA "{schema}" CASCADE'))
        admin.dispose()

    sep = "&" if "?" in base else "?"
    return f"{base}{sep}options=-csearch_path%3D{schema}", drop


def _score(url: str, label: str, runs: int) -> None:
    _fill(url, open_tasks=N_OPEN, finished=N_FINISHED)
    prior = _service(url, min_finished=10**9)
    print(f"delay risk on {label}: {N_OPEN} open + {N_FINISHED} finished tasks, features from SQL")
    prior.levels(now=NOW)  # warm the process (imports, token cache) as a running server is
    print(
        _line("score open tasks: risk + level (prior)", _times(lambda: prior.levels(now=NOW), runs))
    )
    # A fresh service each time (what one ``qunmi risk`` run pays): nothing cached yet.
    print(
        _line(
            "  the same, cold (a new service per call)",
            _times(lambda: _service(url, min_finished=10**9).levels(now=NOW), runs),
        )
    )
    print(
        _line(
            "full report: reasons + advice (prior)",
            _times(lambda: prior.assess(now=NOW), max(3, runs // 2)),
        )
    )
    trained = _service(url)
    outcome = trained.train(now=NOW)
    print(
        f"{'train on ' + str(outcome.finished_tasks) + ' finished tasks':<46} {outcome.seconds:6.2f} s"
    )
    assert trained.assess(now=NOW).model.kind == "lightgbm"
    print(
        _line(
            "score open tasks: risk + level (model)", _times(lambda: trained.levels(now=NOW), runs)
        )
    )
    print(
        _line(
            "full report: TreeSHAP reasons + advice (model)",
            _times(lambda: trained.assess(now=NOW), max(3, runs // 2)),
        )
    )


def main() -> None:
    runs = int(os.environ.get("QUNMI_BENCH_RUNS", "7"))
    with tempfile.TemporaryDirectory() as tmp:
        _score(f"sqlite:///{Path(tmp) / 'score.db'}", "SQLite", runs)
    pg = _pg_url()
    if pg is not None:
        url, drop = pg
        try:
            _score(url, "PostgreSQL", runs)
        finally:
            drop()
    with tempfile.TemporaryDirectory() as tmp:
        url = f"sqlite:///{Path(tmp) / 'train.db'}"
        _fill(url, open_tasks=100, finished=N_TRAIN, seed=2)
        service = _service(url)
        wall, cpu = [], []
        for _ in range(int(os.environ.get("QUNMI_BENCH_RISK_TRAIN_RUNS", "3"))):
            c0 = time.process_time()
            outcome = service.train(now=NOW)
            wall.append(outcome.seconds)
            cpu.append(time.process_time() - c0)
        print(
            _line(
                f"train on {outcome.finished_tasks} finished tasks (load, features, 4 fits)",
                (wall, cpu),
            )
        )


if __name__ == "__main__":
    main()
