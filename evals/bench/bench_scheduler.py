"""Reminder lateness (scheduled vs sent) with 10,000 reminders scheduled, on SQLite and
PostgreSQL.

Run: ``python -m evals.bench.bench_scheduler``. Each run seeds 10k meetings in 50 chats, plans
their reminders (timed), then runs the real scheduler loop (leader lease, one tick at a time)
and outbox sender in this process, in real time, console channel:

- *spread*: 300 of the 10k reminders fall due over the next 30 seconds, the rest later in the
  horizon — is the scheduler punctual with a large table behind it?
- *burst*: 2,000 of the 10k are due at the same moment (a restart after downtime, a Monday
  9:30) — how late is the last one, how fast does it drain?

Lateness is ``sent_at - due_at`` of the outbox message of each reminder.
"""

from __future__ import annotations

import os
import random
import statistics
import tempfile
import time
import uuid
from datetime import UTC, datetime, timedelta
from pathlib import Path

from sqlalchemy import create_engine, func, insert, select, text
from sqlalchemy.engine import make_url

from assistant.bootstrap import bootstrap
from assistant.domain import ToolCall
from assistant.settings import Settings
from storage.orm import ChatRow, MeetingRow, OutboxRow, ScheduledJobRow

TOTAL = int(os.environ.get("QUNMI_BENCH_SCHEDULED", "10000"))
SPREAD_DUE = 300
SPREAD_SECONDS = 30.0
BURST_DUE = 2000
PG_URL = os.environ.get(
    "QUNMI_TEST_POSTGRES_URL", "postgresql+psycopg://postgres@127.0.0.1:5432/test"
)


class _Idle:
    name = "none"

    def understand(self, message: object, context: object) -> list[ToolCall]:
        return []


def _seed(q: object, due_at: list[datetime], *, chats: bool) -> int:
    """One meeting per reminder, 15 minutes after its reminder is due; returns the first id."""
    from assistant.bootstrap import Qunmi

    assert isinstance(q, Qunmi)
    now = datetime.now(UTC)
    with q.uow_factory() as uow:
        session = uow.session  # type: ignore[attr-defined]
        if chats:
            session.execute(
                insert(ChatRow),
                [
                    {
                        "name": f"项目群{i}",
                        "channel": "console",
                        "external_id": f"b{i}",
                        "settings": {},
                        "created_at": now,
                    }
                    for i in range(50)
                ],
            )
        before = session.scalar(select(func.max(MeetingRow.id))) or 0
        chat_ids = list(session.scalars(select(ChatRow.id)))
        rows = []
        for i, due in enumerate(due_at):
            start = due + timedelta(minutes=15)
            rows.append(
                {
                    "title": f"评审{i}",
                    "start": start,
                    "end": start + timedelta(hours=1),
                    "agenda": [],
                    "remind_before_minutes": [15],
                    "status": "scheduled",
                    "chat_id": chat_ids[i % len(chat_ids)],
                    "skipped_dates": [],
                    "created_at": now - timedelta(days=1),
                }
            )
        for first in range(0, len(rows), 1000):
            session.execute(insert(MeetingRow), rows[first : first + 1000])
        uow.commit()
    return int(before) + 1


def _lateness(q: object, measured: int, timeout: float) -> list[float]:
    from assistant.bootstrap import Qunmi

    assert isinstance(q, Qunmi)
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        with q.uow_factory() as uow:
            session = uow.session  # type: ignore[attr-defined]
            rows = session.execute(
                select(ScheduledJobRow.due_at, OutboxRow.sent_at)
                .join(OutboxRow, OutboxRow.job_id == ScheduledJobRow.id)
                .where(OutboxRow.state == "sent")
            ).all()
        if len(rows) >= measured:
            return sorted((sent - due).total_seconds() for due, sent in rows)
        time.sleep(0.2)
    raise SystemExit(f"only {len(rows)} of {measured} reminders sent within {timeout:.0f}s")


def _stats(values: list[float]) -> str:
    p50 = statistics.median(values)
    p99 = values[max(int(len(values) * 0.99) - 1, 0)]
    q1, q3 = values[len(values) // 4], values[(3 * len(values)) // 4]
    return f"p50 {p50 * 1000:7.0f} ms  p99 {p99 * 1000:7.0f} ms  IQR {q1 * 1000:.0f}–{q3 * 1000:.0f} ms  max {values[-1] * 1000:.0f} ms"


def run(url: str, label: str, scenario: str) -> None:
    with tempfile.TemporaryDirectory() as tmp:
        settings = Settings(_env_file=None, data_dir=Path(tmp), database_url=url, engine="rules")
        q = bootstrap(settings, engine=_Idle())
        rng = random.Random(12)
        now = datetime.now(UTC)
        measured = SPREAD_DUE if scenario == "spread" else BURST_DUE
        backlog = [
            now + timedelta(hours=2, seconds=rng.uniform(0, 36 * 3600))
            for _ in range(TOTAL - measured)
        ]
        _seed(q, backlog, chats=True)
        t0 = time.perf_counter()
        planned, _ = q.scheduler.reconcile()
        plan_s = time.perf_counter() - t0
        # The reminders measured are planned the way a new meeting's are: by the executor's
        # change hook, in the transaction that stores the meetings.
        lead = datetime.now(UTC) + timedelta(seconds=5)
        if scenario == "spread":
            due = [
                lead + timedelta(seconds=rng.uniform(0, SPREAD_SECONDS)) for _ in range(measured)
            ]
        else:
            due = [lead] * measured
        first_id = _seed(q, due, chats=False)
        with q.uow_factory() as uow:
            planned += q.scheduler.plan_changes(
                uow, [f"meeting:{first_id + i}" for i in range(measured)]
            )
            uow.commit()
        loops = q.background()
        for loop in loops:
            loop.start()
        started = time.monotonic()
        try:
            values = _lateness(q, measured, timeout=600)
        finally:
            for loop in reversed(loops):
                loop.stop()
            q.close()
        drained = time.monotonic() - started - max((lead - datetime.now(UTC)).total_seconds(), 0)
    extra = f"  drained {measured / max(drained, 1e-9):5.0f}/s" if scenario == "burst" else ""
    print(
        f"{label:<11} {scenario:<6} {planned:>6} planned in {plan_s:5.1f}s  "
        f"{measured:>5} due: {_stats(values)}{extra}"
    )


def main() -> None:
    print(f"scheduler: reminder lateness with {TOTAL:,} reminders scheduled (console channel)")
    for scenario in ("spread", "burst"):
        with tempfile.TemporaryDirectory() as tmp:
            run(f"sqlite:///{tmp}/bench.db", "SQLite", scenario)
    try:
        admin = create_engine(PG_URL, isolation_level="AUTOCOMMIT")
        with admin.connect() as conn:
            conn.execute(text("select 1"))
    except Exception as exc:  # noqa: BLE001
        print(f"PostgreSQL   skipped: {type(exc).__name__}")
        return
    for scenario in ("spread", "burst"):
        name = f"qunmi_bench_{uuid.uuid4().hex[:8]}"
        with admin.connect() as conn:
            conn.execute(text(f'CREATE DATABASE "{name}"'))
        try:
            url = make_url(PG_URL).set(database=name).render_as_string(hide_password=False)
            run(url, "PostgreSQL", scenario)
        finally:
            with admin.connect() as conn:
                conn.execute(text(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)'))
    admin.dispose()


if __name__ == "__main__":
    main()
