"""A server killed (SIGKILL) in the middle of a scheduler pass with hundreds of reminders due:
after a restart every reminder has been stored and sent exactly once — none lost, none doubled
— on SQLite and on PostgreSQL."""

from __future__ import annotations

import signal
import time
from collections import Counter
from datetime import datetime, timedelta
from pathlib import Path

import httpx
from sqlalchemy import func, select

from assistant.domain import Chat, Meeting
from storage.migrate import upgrade
from storage.orm import OutboxRow, ScheduledJobRow
from storage.unit_of_work import make_engine, make_uow_factory
from tests.conftest import TZ
from tests.integration.test_restart_recovery import _free_port, _start, _wait_healthy

N = 300
CHATS = 20
# The scheduler's leader lease (30 s by default): the restarted server takes over once the
# killed one's lease has run out, so a short one keeps the test from waiting half a minute.
LEASE = {"QUNMI_REMINDERS__LEASE_SECONDS": "5"}


def _seed(url: str) -> None:
    engine = make_engine(url)
    upgrade(engine)
    factory = make_uow_factory(engine)
    now = datetime.now(TZ)
    start = now + timedelta(minutes=10)  # reminders (15 minutes before) are 5 minutes due
    with factory() as uow:
        chats = [
            uow.chats.add(Chat(name=f"项目群{i}", external_id=f"g{i}", created_at=now))
            for i in range(CHATS)
        ]
        for i in range(N):
            uow.meetings.add(
                Meeting(
                    title=f"评审{i}",
                    start=start,
                    end=start + timedelta(hours=1),
                    remind_before_minutes=[15],
                    chat_id=chats[i % CHATS].id,
                    created_at=now - timedelta(hours=1),
                )
            )
        uow.commit()
    engine.dispose()


def _counts(url: str) -> tuple[int, int, int]:
    """(reminders stored in the outbox, of them sent, reminder jobs done)."""
    engine = make_engine(url)
    try:
        with engine.connect() as conn:
            stored = conn.scalar(
                select(func.count()).select_from(OutboxRow).where(OutboxRow.kind == "reminder")
            )
            sent = conn.scalar(
                select(func.count())
                .select_from(OutboxRow)
                .where(OutboxRow.kind == "reminder", OutboxRow.state == "sent")
            )
            done = conn.scalar(
                select(func.count())
                .select_from(ScheduledJobRow)
                .where(ScheduledJobRow.kind == "meeting_reminder", ScheduledJobRow.state == "done")
            )
    finally:
        engine.dispose()
    return int(stored or 0), int(sent or 0), int(done or 0)


def test_killed_mid_tick_loses_and_doubles_nothing(database_url: str, tmp_path: Path) -> None:
    _seed(database_url)
    port = _free_port()
    data_dir = tmp_path / "data"
    proc = _start(database_url, data_dir, port, env=LEASE)
    try:
        with httpx.Client(base_url=f"http://127.0.0.1:{port}", timeout=10) as client:
            _wait_healthy(client, proc)
        deadline = time.monotonic() + 60
        while time.monotonic() < deadline:
            stored, _, _ = _counts(database_url)
            if stored > 0:
                break
            time.sleep(0.01)
        proc.send_signal(signal.SIGKILL)
        proc.wait(10)
    finally:
        if proc.poll() is None:
            proc.kill()
    before, _, done_before = _counts(database_url)
    assert 0 < before < N, f"the kill did not land mid-pass ({before} of {N} stored)"
    assert done_before == before  # every job done has its reminder stored, and no other
    proc = _start(database_url, data_dir, port, env=LEASE)
    try:
        with httpx.Client(base_url=f"http://127.0.0.1:{port}", timeout=10) as client:
            _wait_healthy(client, proc)
            deadline = time.monotonic() + 90
            while _counts(database_url)[1] < N and time.monotonic() < deadline:
                time.sleep(0.2)
            items: list[dict[str, object]] = []
            offset = 0
            while True:
                page = client.get(
                    "/outbox", params={"kind": "reminder", "limit": 500, "offset": offset}
                ).json()
                items.extend(page["items"])
                offset += len(page["items"])
                if offset >= page["total"]:
                    break
    finally:
        proc.send_signal(signal.SIGTERM)
        try:
            proc.wait(10)
        except Exception:  # noqa: BLE001 - make sure it is gone
            proc.kill()
    assert _counts(database_url) == (N, N, N)
    titles = Counter(str(m["text"]).split("「")[1].split("」")[0] for m in items)
    assert sorted(titles) == sorted(f"评审{i}" for i in range(N)) and set(titles.values()) == {1}
    assert len({m["job_id"] for m in items}) == N
