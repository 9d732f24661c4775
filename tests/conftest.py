"""Shared fixtures: real databases (SQLite and PostgreSQL), a fixed clock, small builders."""

from __future__ import annotations

import os
import shutil
import uuid
from collections.abc import Iterator
from datetime import datetime
from pathlib import Path
from typing import TYPE_CHECKING, Any
from zoneinfo import ZoneInfo

import pytest
from sqlalchemy import create_engine, text
from sqlalchemy.engine import make_url

from assistant.clock import FixedClock
from assistant.settings import Settings, WhisperSettings

if TYPE_CHECKING:
    from assistant.adapters.transcribers import FasterWhisperTranscriber

TZ = ZoneInfo("Asia/Shanghai")
NOW = datetime(2026, 11, 25, 10, 0, tzinfo=TZ)  # a Wednesday

PG_URL = os.environ.get(
    "QUNMI_TEST_POSTGRES_URL", "postgresql+psycopg://postgres@127.0.0.1:5432/test"
)
IN_CI = os.environ.get("CI", "").lower() in ("1", "true", "yes")


def _pg_reachable() -> str | None:
    try:
        engine = create_engine(PG_URL, connect_args={"connect_timeout": 3})
        with engine.connect() as conn:
            conn.execute(text("select 1"))
        engine.dispose()
        return None
    except Exception as exc:  # noqa: BLE001 - any failure means "not here"
        return f"{type(exc).__name__}: {exc}".splitlines()[0]


@pytest.fixture(scope="session")
def pg_database() -> Iterator[str]:
    """A throwaway PostgreSQL database for this test session, migrated once."""
    problem = _pg_reachable()
    if problem is not None:
        if IN_CI:
            pytest.fail(f"PostgreSQL is required in CI but not reachable at {PG_URL}: {problem}")
        pytest.skip(f"no PostgreSQL at {PG_URL} ({problem}); set QUNMI_TEST_POSTGRES_URL")
    name = f"qunmi_test_{uuid.uuid4().hex[:10]}"
    admin = create_engine(PG_URL, isolation_level="AUTOCOMMIT")
    with admin.connect() as conn:
        conn.execute(text(f'CREATE DATABASE "{name}"'))
    url = make_url(PG_URL).set(database=name).render_as_string(hide_password=False)
    from storage.migrate import upgrade
    from storage.unit_of_work import make_engine

    engine = make_engine(url)
    upgrade(engine)
    engine.dispose()
    yield url
    with admin.connect() as conn:
        conn.execute(text(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)'))
    admin.dispose()


class _PgReset:
    """Empties every table of the session's PostgreSQL database and restarts its sequences, as
    ``TRUNCATE … RESTART IDENTITY CASCADE`` would, in one round trip. ``DELETE`` in dependency
    order: the tables hold a handful of rows between tests, and ``TRUNCATE`` of all of them
    (new files for each table and index) cost 0.3–1 s a test against 20–40 ms for this."""

    def __init__(self, url: str) -> None:
        from storage.orm import metadata

        self.engine = create_engine(url)
        with self.engine.connect() as conn:
            sequences = conn.execute(
                text(
                    "SELECT quote_ident(schemaname) || '.' || quote_ident(sequencename)"
                    " FROM pg_sequences WHERE schemaname = current_schema()"
                )
            ).scalars()
            restarts = [f"ALTER SEQUENCE {name} RESTART" for name in sorted(sequences)]
        deletes = [f'DELETE FROM "{t.name}"' for t in reversed(metadata.sorted_tables)]
        self.statement = "; ".join(deletes + restarts)

    def __call__(self) -> None:
        with self.engine.begin() as conn:
            conn.exec_driver_sql(self.statement)

    def close(self) -> None:
        self.engine.dispose()


@pytest.fixture(scope="session")
def _pg_reset(pg_database: str) -> Iterator[_PgReset]:
    reset = _PgReset(pg_database)
    yield reset
    reset.close()


@pytest.fixture(scope="session")
def _sqlite_template(tmp_path_factory: pytest.TempPathFactory) -> Path:
    """A SQLite database migrated to head once per test process; each test gets a copy, so
    the ``upgrade()`` at its start finds nothing to do (migrating from empty took 0.15–0.6 s
    a test). ``@pytest.mark.empty_database`` asks for an empty file instead."""
    import sqlite3

    from storage.migrate import upgrade
    from storage.unit_of_work import make_engine

    path = tmp_path_factory.mktemp("sqlite-template") / "qunmi.db"
    engine = make_engine(f"sqlite:///{path}")
    upgrade(engine)
    engine.dispose()
    # Everything into the main file, so that copying that one file copies the database.
    conn = sqlite3.connect(path)
    try:
        conn.execute("PRAGMA wal_checkpoint(TRUNCATE)")
    finally:
        conn.close()
    for suffix in ("-wal", "-shm"):
        Path(f"{path}{suffix}").unlink(missing_ok=True)
    return path


@pytest.fixture(params=["sqlite", pytest.param("postgres", marks=pytest.mark.postgres)])
def database_url(request: pytest.FixtureRequest, tmp_path: Path) -> str:
    """Every storage test runs on SQLite and on PostgreSQL, on a database at the head revision
    with no rows (the PostgreSQL one is the session's, emptied before each test)."""
    if request.param == "sqlite":
        path = tmp_path / "qunmi.db"
        if request.node.get_closest_marker("empty_database") is None:
            shutil.copyfile(request.getfixturevalue("_sqlite_template"), path)
        return f"sqlite:///{path}"
    url: str = request.getfixturevalue("pg_database")
    request.getfixturevalue("_pg_reset")()
    return url


@pytest.fixture
def clock() -> FixedClock:
    return FixedClock(NOW)


@pytest.fixture
def settings(tmp_path: Path, database_url: str) -> Settings:
    return Settings(
        _env_file=None,  # type: ignore[call-arg]
        data_dir=tmp_path / "data",
        database_url=database_url,
        engine="rules",
        console_url="",
    )


@pytest.fixture(scope="session")
def bundled_models_dir(tmp_path_factory: pytest.TempPathFactory) -> Path:
    """A data directory with the bundled Whisper base unpacked, once for the whole session."""
    from assistant.adapters.transcribers import ensure_bundled_model

    data_dir = tmp_path_factory.mktemp("models")
    ensure_bundled_model(data_dir)
    return data_dir


@pytest.fixture(scope="session")
def bundled_transcriber(bundled_models_dir: Path) -> FasterWhisperTranscriber:
    """The real bundled Whisper base, unpacked once and loaded once for the whole session."""
    from assistant.adapters.transcribers import FasterWhisperTranscriber

    return FasterWhisperTranscriber(WhisperSettings(), data_dir=bundled_models_dir)


@pytest.fixture(scope="session")
def chroma_server(tmp_path_factory: pytest.TempPathFactory) -> Iterator[str]:
    """A real ``chroma run`` server for the session; its URL. Required in CI."""
    from tests.chroma_server import ChromaServer

    server = ChromaServer(tmp_path_factory.mktemp("chroma-server") / "db")
    try:
        server.start()
    except RuntimeError as exc:
        if IN_CI:
            pytest.fail(f"a Chroma server is required in CI but did not start: {exc}")
        pytest.skip(f"no Chroma server: {exc}")
    yield server.url
    server.stop()


@pytest.fixture(scope="session")
def e5_embedder() -> Any:
    """The real bundled multilingual-e5-small, loaded once for the session."""
    from assistant.adapters.embeddings import CachingEmbedder, E5SmallEmbedder

    return CachingEmbedder(E5SmallEmbedder())


_HEAVY_FIXTURES = frozenset({"bundled_transcriber", "chroma_server", "e5_embedder"})


def _heavy(item: pytest.Item) -> bool:
    """A test that loads a model, a browser or a server of its own: marked ``slow``, using a
    session model or server, or starting server processes (the restart tests)."""
    return (
        item.get_closest_marker("slow") is not None
        or not _HEAVY_FIXTURES.isdisjoint(getattr(item, "fixturenames", ()))
        or "restart" in item.path.name
    )


def pytest_collection_modifyitems(items: list[pytest.Item]) -> None:
    """Files with heavy tests first, each file's tests in their own order. The suite runs
    under ``--dist loadfile``, which hands out whole files in this order: the long ones
    started first, the many short ones fill the workers up at the end, instead of one
    worker still on a minute-long file while the others are done."""
    heavy = {item.path for item in items if _heavy(item)}
    items.sort(key=lambda item: item.path not in heavy)
