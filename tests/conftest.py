"""Shared fixtures: real databases (SQLite and PostgreSQL), a fixed clock, small builders."""

from __future__ import annotations

import os
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


def _truncate(url: str) -> None:
    from storage.orm import metadata

    engine = create_engine(url)
    with engine.begin() as conn:
        names = ", ".join(f'"{t.name}"' for t in metadata.sorted_tables)
        conn.execute(text(f"TRUNCATE {names} RESTART IDENTITY CASCADE"))
    engine.dispose()


@pytest.fixture(params=["sqlite", pytest.param("postgres", marks=pytest.mark.postgres)])
def database_url(request: pytest.FixtureRequest, tmp_path: Path) -> str:
    """Every storage test runs on SQLite and on PostgreSQL."""
    if request.param == "sqlite":
        return f"sqlite:///{tmp_path / 'qunmi.db'}"
    url: str = request.getfixturevalue("pg_database")
    _truncate(url)
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
def bundled_transcriber(tmp_path_factory: pytest.TempPathFactory) -> FasterWhisperTranscriber:
    """The real bundled Whisper base, unpacked once and loaded once for the whole session."""
    from assistant.adapters.transcribers import FasterWhisperTranscriber, ensure_bundled_model

    data_dir = tmp_path_factory.mktemp("models")
    ensure_bundled_model(data_dir)
    return FasterWhisperTranscriber(WhisperSettings(), data_dir=data_dir)


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
