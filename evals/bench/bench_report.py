"""Weekly report speed: a team of 200 members and 5,000 tasks, figures and all four charts.

Run: ``python -m evals.bench.bench_report``. A synthetic project is written straight into SQLite
(members, tasks with due-date changes, a week of chat messages, meetings, milestones), then the
report is built ``QUNMI_BENCH_REPORT_RUNS`` times (default 7, at least 5) through the same use case the
chat, the CLI and the scheduler call: load, risk (the prior: no model trained), figures, card,
four PNG charts. Prints the median and the spread. ``QUNMI_BENCH_REPORT_MEMBERS`` /
``_TASKS`` change the sizes. The first run (cold: font cache, imports) is reported apart.
"""

from __future__ import annotations

import os
import random
import statistics
import tempfile
import time
from datetime import UTC, datetime, timedelta
from pathlib import Path

from sqlalchemy import insert

from assistant.adapters.charts import MatplotlibChartRenderer
from assistant.clock import FixedClock
from assistant.insight.reports import ReportService, risk_digest
from assistant.insight.risk import RiskConfig, RiskService
from storage.migrate import upgrade
from storage.orm import (
    ChatRow,
    MeetingRow,
    MemberRow,
    MessageRow,
    MilestoneRow,
    ProjectRow,
    TaskEventRow,
    TaskRow,
    project_members,
)
from storage.risk_history import SqlRiskModelStore, SqlTaskHistory
from storage.unit_of_work import make_engine, make_uow_factory

MEMBERS = int(os.environ.get("QUNMI_BENCH_REPORT_MEMBERS", "200"))
TASKS = int(os.environ.get("QUNMI_BENCH_REPORT_TASKS", "5000"))
RUNS = max(5, int(os.environ.get("QUNMI_BENCH_REPORT_RUNS", "7")))
NOW = datetime(2026, 11, 30, 1, 0, tzinfo=UTC)  # Monday 09:00 in Shanghai
_SURNAMES = "王李张刘陈杨黄赵吴周徐孙马朱胡郭何高林罗"
_GIVEN = "伟芳娜敏静丽强磊军洋勇艳杰娟涛明超秀霞平刚桂"
_AREAS = ("登录页", "首页", "支付", "订单列表", "个人中心", "搜索", "消息通知", "后台报表")
_WORKS = ("设计稿", "前端开发", "接口联调", "测试用例", "文案", "性能优化", "bug修复", "文档")


def fill(url: str, *, members: int, tasks: int, seed: int = 7) -> None:
    rng = random.Random(seed)
    engine = make_engine(url)
    upgrade(engine)
    start = NOW - timedelta(days=90)
    names: list[str] = []
    while len(names) < members:
        name = rng.choice(_SURNAMES) + rng.choice(_GIVEN) + rng.choice(_GIVEN)
        if name not in names:
            names.append(name if len(names) < 400 else f"{name}{len(names)}")
    task_rows: list[dict[str, object]] = []
    events: list[dict[str, object]] = []
    for i in range(1, tasks + 1):
        created = NOW - timedelta(days=rng.uniform(0.2, 80))
        due = created + timedelta(days=rng.randint(2, 30), hours=9)
        roll = rng.random()
        status, done_at, started = "todo", None, None
        finish = max(due + timedelta(days=rng.gauss(-1, 3)), created + timedelta(hours=2))
        if roll < 0.55 and finish < NOW:
            done_at, status, started = finish, "done", created + timedelta(hours=3)
        elif roll < 0.8:
            status, started = "in_progress", created + timedelta(hours=3)
        elif roll < 0.86:
            status, started = "blocked", created + timedelta(hours=3)
        elif roll < 0.9:
            status = "cancelled"
        task_rows.append(
            {
                "id": i,
                "title": f"{rng.choice(_AREAS)}{rng.choice(_WORKS)} {i}号",
                "assignee_id": rng.randint(1, members),
                "creator_id": 1,
                "project_id": 1,
                "due": due,
                "priority": rng.choice(("normal", "normal", "high", "low", "urgent")),
                "status": status,
                "created_at": created,
                "started_at": started,
                "completed_at": done_at,
            }
        )
        events.append({"task_id": i, "kind": "created", "at": created, "new": "todo"})
        if rng.random() < 0.1:
            at = max(created, NOW - timedelta(days=rng.uniform(0, 10)))
            events.append(
                {
                    "task_id": i,
                    "kind": "due",
                    "at": at,
                    "old": (due - timedelta(days=2)).isoformat(),
                    "new": due.isoformat(),
                }
            )
    with engine.begin() as conn:
        conn.execute(
            insert(MemberRow),
            [
                {
                    "id": i + 1,
                    "display_name": n,
                    "aliases": [],
                    "role": "pm" if i == 0 else "member",
                    "created_at": start,
                }
                for i, n in enumerate(names)
            ],
        )
        conn.execute(
            insert(ProjectRow),
            [
                {
                    "id": 1,
                    "name": "官网改版",
                    "owner_id": 1,
                    "status": "active",
                    "deadline": NOW + timedelta(days=30),
                    "budget": 500_000.0,
                    "spent": 180_000.0,
                    "created_at": start,
                }
            ],
        )
        conn.execute(
            insert(project_members),
            [{"project_id": 1, "member_id": i, "role": "member"} for i in range(1, members + 1)],
        )
        conn.execute(
            insert(ChatRow),
            [{"id": 1, "name": "官网改版群", "project_id": 1, "settings": {}, "created_at": start}],
        )
        conn.execute(insert(TaskRow), task_rows)
        conn.execute(insert(TaskEventRow), events)
        conn.execute(
            insert(MessageRow),
            [
                {
                    "channel": "console",
                    "external_id": f"m{i}",
                    "chat_id": 1,
                    "sender_id": rng.randint(1, members),
                    "kind": "text",
                    "text": "收到",
                    "payload": {},
                    "received_at": NOW - timedelta(days=rng.uniform(0, 9)),
                    "state": "done",
                    "attempts": 0,
                }
                for i in range(members * 20)
            ],
        )
        conn.execute(
            insert(MeetingRow),
            [
                {
                    "title": f"评审会{i}",
                    "start": NOW - timedelta(days=rng.uniform(0, 14)),
                    "status": "scheduled",
                    "project_id": 1,
                    "chat_id": 1,
                    "agenda": [],
                    "remind_before_minutes": [15],
                    "skipped_dates": [],
                    "created_at": start,
                }
                for i in range(20)
            ]
            + [
                {
                    "title": "周会",
                    "start": start,
                    "recurrence": "FREQ=WEEKLY;BYDAY=MO,TH",
                    "status": "scheduled",
                    "project_id": 1,
                    "chat_id": 1,
                    "agenda": [],
                    "remind_before_minutes": [15],
                    "skipped_dates": [],
                    "created_at": start,
                }
            ],
        )
        conn.execute(
            insert(MilestoneRow),
            [
                {
                    "title": t,
                    "due": NOW + timedelta(days=d),
                    "project_id": 1,
                    "done": d < 0,
                    "created_at": start,
                }
                for t, d in (("提测", -5), ("灰度", 9), ("上线", 21))
            ],
        )
    engine.dispose()


def main() -> None:
    with tempfile.TemporaryDirectory() as tmp:
        url = f"sqlite:///{Path(tmp) / 'bench.db'}"
        t0 = time.perf_counter()
        fill(url, members=MEMBERS, tasks=TASKS)
        print(f"seeded {MEMBERS} members, {TASKS} tasks in {time.perf_counter() - t0:.1f} s")
        engine = make_engine(url)
        from zoneinfo import ZoneInfo

        tz = ZoneInfo("Asia/Shanghai")
        clock = FixedClock(NOW)
        risk = RiskService(
            history=SqlTaskHistory(engine),
            models=SqlRiskModelStore(engine),
            clock=clock,
            config=RiskConfig(tz=tz),
        )
        service = ReportService(
            uow_factory=make_uow_factory(engine),
            clock=clock,
            tz=tz,
            out_dir=Path(tmp) / "reports",
            renderer=MatplotlibChartRenderer(),
            risk=risk_digest(risk),
        )
        times: list[float] = []
        cpu: list[float] = []
        parts: dict[str, list[float]] = {}
        cold = 0.0
        for run in range(RUNS + 1):
            t, c = time.perf_counter(), time.process_time()
            report = service.weekly(project="官网改版", now=NOW, show_budget=True)
            took, cpu_took = time.perf_counter() - t, time.process_time() - c
            if run == 0:
                cold = took
                continue
            times.append(took)
            cpu.append(cpu_took)
            for k, v in report.seconds.items():
                parts.setdefault(k, []).append(v)
        data = report.data
        size = sum(p.stat().st_size for p in report.images.values())
        print(
            f"report: {data['tasks']['total']} tasks counted, {len(data['members'])} members, "
            f"{len(report.images)} charts ({size / 1024:.0f} KiB), card "
            f"{len(report.card.encode())} bytes"
        )
        print(f"cold first run: {cold:.2f} s")
        print(
            f"weekly report ({RUNS} runs): median {statistics.median(times):.3f} s, "
            f"min {min(times):.3f} s, max {max(times):.3f} s, "
            f"stdev {statistics.stdev(times):.3f} s  (budget ≤ 2 s)"
        )
        print(
            f"  CPU time of this process: median {statistics.median(cpu):.3f} s, "
            f"min {min(cpu):.3f} s, max {max(cpu):.3f} s (what a shared machine's load "
            f"does not inflate); load average {os.getloadavg()[0]:.1f} on {os.cpu_count()} CPUs"
        )
        for part, spent in parts.items():
            print(
                f"  {part:8s} median {statistics.median(spent):.3f} s"
                f"  [{min(spent):.3f}–{max(spent):.3f}]"
            )
        out = os.environ.get("QUNMI_BENCH_REPORT_KEEP")
        if out:
            import shutil

            Path(out).mkdir(parents=True, exist_ok=True)
            for name, path in report.images.items():
                shutil.copyfile(path, Path(out) / f"{name}.png")
            print(f"charts kept in {out}")
        engine.dispose()


if __name__ == "__main__":
    main()
