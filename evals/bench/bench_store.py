"""Tool calls applied per second through the executor, on SQLite and on PostgreSQL.

Run: ``python -m evals.bench.bench_store`` (bounded: a few hundred calls per backend).
Each call is a full executor round: validation, name resolution, permission check, one unit of
work with the change, its task event and its audit entry.
"""

from __future__ import annotations

import os
import statistics
import tempfile
import time
import uuid
from datetime import timedelta
from pathlib import Path

from sqlalchemy import create_engine, text
from sqlalchemy.engine import make_url

from assistant.bootstrap import bootstrap
from assistant.domain import Member, Role, ToolCall
from assistant.settings import Settings
from tools.executor import CallContext

N_CALLS = int(os.environ.get("QUNMI_BENCH_CALLS", "400"))
PG_URL = os.environ.get(
    "QUNMI_TEST_POSTGRES_URL", "postgresql+psycopg://postgres@127.0.0.1:5432/test"
)


class _Idle:
    name = "none"

    def understand(self, message: object, context: object) -> list[ToolCall]:
        return []


def run(url: str, label: str) -> None:
    with tempfile.TemporaryDirectory() as tmp:
        settings = Settings(_env_file=None, data_dir=Path(tmp), database_url=url)
        q = bootstrap(settings, engine=_Idle())
        now = q.clock.now()
        with q.uow_factory() as uow:
            for name, alias in (("张三", "老张"), ("王磊", "小王"), ("李四", "老李")):
                uow.members.add(
                    Member(display_name=name, aliases=[alias], role=Role.PM, created_at=now)
                )
            uow.commit()
        latencies: list[float] = []
        started = time.perf_counter()
        for i in range(N_CALLS):
            if i % 2 == 0:
                call = ToolCall(
                    "create_task",
                    {
                        "title": f"任务{i} 登录页",
                        "assignee": "小王",
                        "due": (now + timedelta(days=3)).isoformat(),
                    },
                )
            else:
                call = ToolCall("update_task", {"task": i // 2 + 1, "status": "in_progress"})
            t0 = time.perf_counter()
            result = q.executor.execute(call, CallContext(actor="张三", idempotency_key=f"b{i}"))
            latencies.append(time.perf_counter() - t0)
            if not result.ok:
                raise SystemExit(f"call {i} failed: {result.error}")
        elapsed = time.perf_counter() - started
        q.close()
    latencies.sort()
    p50 = statistics.median(latencies) * 1000
    p99 = latencies[int(len(latencies) * 0.99) - 1] * 1000
    print(
        f"{label:<11} {N_CALLS:>6} calls  {N_CALLS / elapsed:8.1f} calls/s  p50 {p50:6.2f} ms  p99 {p99:6.2f} ms"
    )


def main() -> None:
    print("executor: tool calls applied (create_task / update_task alternating)")
    with tempfile.TemporaryDirectory() as tmp:
        run(f"sqlite:///{tmp}/bench.db", "SQLite")
    name = f"qunmi_bench_{uuid.uuid4().hex[:8]}"
    try:
        admin = create_engine(PG_URL, isolation_level="AUTOCOMMIT")
        with admin.connect() as conn:
            conn.execute(text(f'CREATE DATABASE "{name}"'))
    except Exception as exc:  # noqa: BLE001
        print(f"PostgreSQL   skipped: {type(exc).__name__}")
        return
    try:
        run(make_url(PG_URL).set(database=name).render_as_string(hide_password=False), "PostgreSQL")
    finally:
        with admin.connect() as conn:
            conn.execute(text(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)'))
        admin.dispose()


if __name__ == "__main__":
    main()
