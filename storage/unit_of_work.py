"""The SQLAlchemy unit of work and the engine factory (SQLite by default, PostgreSQL by URL)."""

from __future__ import annotations

from pathlib import Path
from types import TracebackType
from typing import Any, Self

from sqlalchemy import Engine, create_engine, event
from sqlalchemy.engine import make_url
from sqlalchemy.exc import IntegrityError
from sqlalchemy.orm import Session, sessionmaker

from assistant.errors import Conflict
from storage.dialogue import SqlDialogueRepository
from storage.documents import SqlDocumentRepository
from storage.history.capture import install_history_capture
from storage.history.repository import SqlHistoryRepository
from storage.repositories import (
    SqlAuditRepository,
    SqlChatRepository,
    SqlIdentityRepository,
    SqlJobRepository,
    SqlLeaseRepository,
    SqlMeetingRepository,
    SqlMemberRepository,
    SqlMessageRepository,
    SqlMilestoneRepository,
    SqlMinutesRepository,
    SqlOutboxRepository,
    SqlProjectRepository,
    SqlScheduleRepository,
    SqlTaskRepository,
    SqlWorkerRepository,
)

__all__ = ["SqlUnitOfWork", "make_engine", "make_uow_factory"]


def _sqlite_pragmas(dbapi_connection: Any, _record: Any) -> None:
    cursor = dbapi_connection.cursor()
    cursor.execute("PRAGMA journal_mode=WAL")
    cursor.execute("PRAGMA foreign_keys=ON")
    # FULL: a commit is on disk before it returns, so a message acknowledged after its commit
    # survives an OS crash or power loss too (NORMAL only survives a process crash). Measured
    # cost on the intake's group commit: 5–8 ms a batch, no visible loss of throughput.
    cursor.execute("PRAGMA synchronous=FULL")
    cursor.execute("PRAGMA busy_timeout=10000")
    cursor.close()


def make_engine(url: str) -> Engine:
    """An engine for ``url``: SQLite files get WAL and foreign keys; their folder is created."""
    parsed = make_url(url)
    if parsed.drivername == "postgresql":
        parsed = parsed.set(drivername="postgresql+psycopg")
    if parsed.get_backend_name() == "sqlite":
        if parsed.database and parsed.database != ":memory:":
            Path(parsed.database).parent.mkdir(parents=True, exist_ok=True)
        engine = create_engine(parsed, connect_args={"check_same_thread": False, "timeout": 30})
        event.listen(engine, "connect", _sqlite_pragmas)
        return engine
    return create_engine(parsed, pool_pre_ping=True, pool_size=10, max_overflow=10)


class SqlUnitOfWork:
    """One transaction; leaving the block without ``commit()`` rolls it back."""

    def __init__(self, session_factory: sessionmaker[Session]) -> None:
        self._session_factory = session_factory

    def __enter__(self) -> Self:
        self.session = self._session_factory()
        self.members = SqlMemberRepository(self.session)
        self.projects = SqlProjectRepository(self.session)
        self.chats = SqlChatRepository(self.session)
        self.tasks = SqlTaskRepository(self.session)
        self.meetings = SqlMeetingRepository(self.session)
        self.messages = SqlMessageRepository(self.session)
        self.audit = SqlAuditRepository(self.session)
        self.jobs = SqlJobRepository(self.session)
        self.history = SqlHistoryRepository(self.session)
        self.milestones = SqlMilestoneRepository(self.session)
        self.workers = SqlWorkerRepository(self.session)
        self.schedule = SqlScheduleRepository(self.session)
        self.outbox = SqlOutboxRepository(self.session)
        self.leases = SqlLeaseRepository(self.session)
        self.minutes = SqlMinutesRepository(self.session)
        self.identities = SqlIdentityRepository(self.session)
        self.documents = SqlDocumentRepository(self.session)
        self.dialogue = SqlDialogueRepository(self.session)
        return self

    def __exit__(
        self,
        exc_type: type[BaseException] | None,
        exc: BaseException | None,
        tb: TracebackType | None,
    ) -> None:
        self.session.rollback()
        self.session.close()

    def commit(self) -> None:
        try:
            self.session.commit()
        except IntegrityError as exc:
            self.session.rollback()
            raise Conflict("与已有记录冲突，没有做任何修改。", details={"integrity": True}) from exc

    def rollback(self) -> None:
        self.session.rollback()


def make_uow_factory(engine: Engine) -> Any:
    session_factory = sessionmaker(bind=engine, expire_on_commit=False)
    install_history_capture(session_factory)

    def factory() -> SqlUnitOfWork:
        return SqlUnitOfWork(session_factory)

    return factory
