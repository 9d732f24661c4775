"""WAL checkpoints happen on the engine's checkpointer thread, never inside a commit, on a real
SQLite file; durability settings stay as they were (WAL, synchronous=FULL)."""

from __future__ import annotations

import sqlite3
import sys
import time
from pathlib import Path

from sqlalchemy import Engine, text

from storage.checkpoint import WalCheckpointer
from storage.unit_of_work import checkpointer_of, make_engine

ROW = "x" * 3000  # one row a page or so: a thousand rows take the log past 1,000 pages


def _fill(engine: Engine, rows: int, *, per_commit: int = 100) -> None:
    with engine.begin() as conn:
        conn.execute(text("CREATE TABLE IF NOT EXISTS filler (id INTEGER PRIMARY KEY, v TEXT)"))
    for start in range(0, rows, per_commit):
        with engine.begin() as conn:
            conn.execute(
                text("INSERT INTO filler (v) VALUES (:v)"),
                [{"v": f"{ROW}{n}"} for n in range(start, start + per_commit)],
            )


def _log_state(path: Path) -> tuple[int, int]:
    """(frames in the log, frames of it already copied into the database file), read from
    the wal-index header in the ``-shm`` file (SQLite's documented layout: ``mxFrame`` at
    byte 16, ``nBackfill`` at byte 96, native byte order) without touching the database."""
    raw = path.with_name(path.name + "-shm").read_bytes()[:100]
    return int.from_bytes(raw[16:20], sys.byteorder), int.from_bytes(raw[96:100], sys.byteorder)


def test_engine_connections_never_checkpoint_and_keep_full_sync(tmp_path: Path) -> None:
    path = tmp_path / "q.db"
    engine = make_engine(f"sqlite:///{path}")
    checkpointer = checkpointer_of(engine)
    assert checkpointer is not None
    checkpointer.interval = 3600  # its first turn never comes: the commits alone
    with engine.connect() as conn:
        assert conn.execute(text("PRAGMA wal_autocheckpoint")).scalar() == 0
        assert conn.execute(text("PRAGMA synchronous")).scalar() == 2  # FULL
        assert conn.execute(text("PRAGMA journal_mode")).scalar() == "wal"
    _fill(engine, 1500)
    wal = path.with_name("q.db-wal").stat().st_size
    assert wal > 1000 * 4096  # past the size at which a commit would have checkpointed
    # Nothing of the log reached the database file: no commit copied it back.
    logged, copied = _log_state(path)
    assert logged > 1000 and copied == 0
    assert path.stat().st_size < 1024 * 1024
    with engine.connect() as conn:
        assert conn.execute(text("SELECT count(*) FROM filler")).scalar() == 1500
    engine.dispose()


def test_the_checkpointer_copies_the_log_back_off_the_commit_path(tmp_path: Path) -> None:
    path = tmp_path / "q.db"
    engine = make_engine(f"sqlite:///{path}")
    checkpointer = checkpointer_of(engine)
    assert checkpointer is not None
    checkpointer.interval = 0.05
    _fill(engine, 1500)
    # A generous bound: the loop ends as soon as the log is copied back (well under a second
    # on an idle machine); a suite at load ≈10 has taken longer than 20 s.
    deadline = time.monotonic() + 60
    while time.monotonic() < deadline and len(set(_log_state(path))) > 1:
        time.sleep(0.05)
    logged, copied = _log_state(path)
    assert logged == copied > 1000  # every committed frame has been copied back
    assert checkpointer.checkpoints >= 1
    assert path.stat().st_size >= 1500 * 3000  # the rows are in the database file now
    engine.dispose()
    # Stopped with the engine, and everything committed is there for a fresh reader.
    assert checkpointer._thread is None
    conn = sqlite3.connect(path)
    assert conn.execute("SELECT count(*) FROM filler").fetchone()[0] == 1500
    conn.close()


def test_a_log_that_never_pauses_is_restarted_past_its_limit(tmp_path: Path) -> None:
    path = tmp_path / "q.db"
    engine = make_engine(f"sqlite:///{path}")
    own = checkpointer_of(engine)
    assert own is not None
    own.interval = 3600  # this test turns a checkpointer of its own by hand
    _fill(engine, 600)
    checkpointer = WalCheckpointer(str(path), restart_bytes=1024 * 1024)
    conn = sqlite3.connect(path, timeout=0.05, isolation_level=None)
    try:
        assert checkpointer.run_once(conn) is True
        assert checkpointer.restarts == 1
        assert checkpointer.run_once(conn) is False  # nothing written since
        _fill(engine, 100)
        # The next commits started the log from its beginning: it holds only their frames.
        logged, _ = _log_state(path)
        assert 0 < logged < 300
        assert checkpointer.run_once(conn) is True
        assert checkpointer.restarts == 1  # under the limit: passive only
    finally:
        conn.close()
    engine.dispose()


def test_memory_databases_have_no_checkpointer() -> None:
    engine = make_engine("sqlite:///:memory:")
    assert checkpointer_of(engine) is None
    with engine.connect() as conn:
        assert conn.execute(text("SELECT 1")).scalar() == 1
    engine.dispose()


def test_a_pass_a_reader_stopped_short_is_finished_without_another_write(tmp_path: Path) -> None:
    path = tmp_path / "q.db"
    engine = make_engine(f"sqlite:///{path}")
    checkpointer = checkpointer_of(engine)
    assert checkpointer is not None
    checkpointer.stop()  # turns are taken by hand below
    _fill(engine, 300)
    reader = sqlite3.connect(path, isolation_level=None)
    reader.execute("BEGIN")
    reader.execute("SELECT count(*) FROM filler").fetchone()  # a snapshot at this frame
    _fill(engine, 300)  # written after the snapshot: a passive pass cannot copy these yet
    own = sqlite3.connect(path, timeout=0.05, isolation_level=None)
    assert checkpointer.run_once(own)
    logged, copied = _log_state(path)
    assert 0 < copied < logged  # stopped short at the reader's snapshot
    reader.execute("COMMIT")
    reader.close()
    # No write since: the next turn still finishes the copy.
    assert checkpointer.run_once(own)
    logged, copied = _log_state(path)
    assert logged == copied
    own.close()
    engine.dispose()
