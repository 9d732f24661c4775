"""Storage against real SQLite and PostgreSQL: schema, time zones, constraints, the inbox lease."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta
from zoneinfo import ZoneInfo

import pytest
from alembic.autogenerate import compare_metadata
from alembic.migration import MigrationContext
from sqlalchemy import text

from assistant.domain import Meeting, Member, Message, MessageState, Task
from assistant.errors import Conflict, InvalidInput
from storage.migrate import upgrade
from storage.orm import metadata
from storage.unit_of_work import make_engine, make_uow_factory
from tests.conftest import NOW


@pytest.fixture
def uow_factory(database_url: str):  # type: ignore[no-untyped-def]
    engine = make_engine(database_url)
    upgrade(engine)
    yield make_uow_factory(engine)
    engine.dispose()


@pytest.mark.empty_database  # on SQLite the migrations run from nothing here
def test_migrations_match_the_models(database_url: str) -> None:
    engine = make_engine(database_url)
    upgrade(engine)
    upgrade(engine)  # applying twice is a no-op
    with engine.connect() as conn:
        diff = compare_metadata(MigrationContext.configure(conn), metadata)
    engine.dispose()
    assert diff == []


def test_times_come_back_aware_and_equal(uow_factory) -> None:  # type: ignore[no-untyped-def]
    new_york = datetime(2026, 3, 8, 1, 30, tzinfo=ZoneInfo("America/New_York"))
    with uow_factory() as uow:
        member = uow.members.add(Member(display_name="张三", created_at=NOW))
        task = uow.tasks.add(Task(title="t", due=new_york, creator_id=member.id, created_at=NOW))
        uow.commit()
    with uow_factory() as uow:
        stored = uow.tasks.get(task.id)
    assert stored is not None and stored.due is not None
    assert stored.due.tzinfo is not None
    assert stored.due == new_york
    assert stored.created_at == NOW


def test_naive_datetimes_are_refused(uow_factory) -> None:  # type: ignore[no-untyped-def]
    with uow_factory() as uow, pytest.raises(Exception, match="naive"):
        uow.members.add(Member(display_name="x", created_at=datetime(2026, 1, 1)))  # noqa: DTZ001


def test_unique_names_and_rollback(uow_factory) -> None:  # type: ignore[no-untyped-def]
    with uow_factory() as uow:
        uow.members.add(Member(display_name="张三", created_at=NOW))
        uow.commit()
    with uow_factory() as uow, pytest.raises(Conflict):
        uow.members.add(Member(display_name="张三", created_at=NOW))
    with uow_factory() as uow:
        uow.members.add(Member(display_name="李四", created_at=NOW))
        # no commit: rolled back on exit
    with uow_factory() as uow:
        assert [m.display_name for m in uow.members.all()] == ["张三"]


def test_meeting_attendees_and_filters(uow_factory) -> None:  # type: ignore[no-untyped-def]
    with uow_factory() as uow:
        a = uow.members.add(Member(display_name="A", created_at=NOW))
        b = uow.members.add(Member(display_name="B", created_at=NOW))
        uow.meetings.add(
            Meeting(
                title="周会",
                start=NOW + timedelta(days=1),
                attendee_ids=[a.id, b.id],
                agenda=["进度"],
                created_at=NOW,
            )
        )  # type: ignore[list-item]
        uow.meetings.add(
            Meeting(
                title="复盘", start=NOW + timedelta(days=9), attendee_ids=[a.id], created_at=NOW
            )
        )  # type: ignore[list-item]
        uow.commit()
    with uow_factory() as uow:
        week = uow.meetings.list(filters={"start_before": NOW + timedelta(days=7)}).items
        assert [m.title for m in week] == ["周会"] and week[0].agenda == ["进度"]
        with_b = uow.meetings.list(filters={"attendee_id": b.id}).items
        assert [m.title for m in with_b] == ["周会"]
        with pytest.raises(InvalidInput):
            uow.meetings.list(filters={"colour": "red"})


def test_inbox_dedupe_and_lease(uow_factory) -> None:  # type: ignore[no-untyped-def]
    with uow_factory() as uow:
        m = uow.messages.add(Message(channel="wecom", external_id="1", text="hi", received_at=NOW))
        uow.commit()
    with uow_factory() as uow, pytest.raises(Conflict):
        uow.messages.add(Message(channel="wecom", external_id="1", text="hi", received_at=NOW))
    lease = NOW + timedelta(minutes=5)
    with uow_factory() as uow:
        assert uow.messages.claim(m.id, NOW, lease)
        uow.commit()
    with uow_factory() as uow:
        assert not uow.messages.claim(m.id, NOW, lease)  # held by the first claimer
        assert uow.messages.due_for_processing(NOW) == []
        assert [x.id for x in uow.messages.due_for_processing(lease + timedelta(seconds=1))] == [
            m.id
        ]
        assert uow.messages.claim(m.id, lease + timedelta(seconds=1), lease + timedelta(minutes=5))
        uow.commit()
    with uow_factory() as uow:
        stored = uow.messages.get(m.id)
        assert (
            stored is not None and stored.attempts == 2 and stored.state == MessageState.PROCESSING
        )


def test_sqlite_runs_in_wal_with_foreign_keys(tmp_path) -> None:  # type: ignore[no-untyped-def]
    engine = make_engine(f"sqlite:///{tmp_path / 'sub' / 'q.db'}")
    with engine.connect() as conn:
        assert conn.execute(text("PRAGMA journal_mode")).scalar() == "wal"
        assert conn.execute(text("PRAGMA foreign_keys")).scalar() == 1
    engine.dispose()
    assert (tmp_path / "sub" / "q.db").exists()


def test_utc_is_what_is_stored(uow_factory, database_url: str) -> None:  # type: ignore[no-untyped-def]
    with uow_factory() as uow:
        uow.members.add(Member(display_name="x", created_at=NOW))
        uow.commit()
    engine = make_engine(database_url)
    with engine.connect() as conn:
        raw = conn.execute(text("SELECT created_at FROM members")).scalar()
    engine.dispose()
    if isinstance(raw, str):  # SQLite
        assert raw.startswith("2026-11-25 02:00:00")
    else:
        assert raw.astimezone(UTC) == NOW
