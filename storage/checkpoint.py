"""WAL checkpoints off the commit path.

By default SQLite checkpoints inside ``COMMIT``: the commit that takes the write-ahead log past
1,000 pages also copies the whole log back into the database file and, with
``synchronous=FULL``, syncs it, so one request in every few thousand waited 100–150 ms for a
copy that has nothing to do with it. The engine's connections therefore run with
``wal_autocheckpoint=0`` and this thread, on a connection of its own, checkpoints instead:
``PASSIVE`` (it never blocks a writer or a reader) every ``interval`` in which the log was
written. Durability does not change: a commit is durable once its frames are
synced to the log, whenever they reach the database file.

When writes never pause, a passive checkpoint never catches up completely and the log would
grow without bound; past ``restart_bytes`` the thread follows the passive pass (which did the
bulk of the copying) with a ``RESTART`` one, which briefly waits for the writer and lets the
next commit start the log from the beginning.

Several processes may each run one on the same file: SQLite lets one checkpoint at a time and
the others simply find nothing to do or come back on their next turn.
"""

from __future__ import annotations

import logging
import os
import sqlite3
import threading

__all__ = ["WalCheckpointer"]

log = logging.getLogger(__name__)

# The WAL file's layout (sqlite.org/fileformat.html): a 32-byte header, then frames of a
# 24-byte header and a page each.
_WAL_HEADER = 32
_FRAME_HEADER = 24


class WalCheckpointer:
    def __init__(
        self,
        path: str,
        *,
        interval: float = 0.5,
        restart_bytes: int = 64 * 1024 * 1024,
    ) -> None:
        self.path = path
        self.interval = interval
        self.restart_bytes = restart_bytes
        self.checkpoints = 0
        self.restarts = 0
        self._stop = threading.Event()
        self._thread: threading.Thread | None = None
        self._lock = threading.Lock()
        self._page_size = 4096
        self._seen = (0, 0)

    def start(self) -> None:
        """Start the thread unless it runs (called on every new connection: cheap)."""
        if self._thread is not None:
            return
        with self._lock:
            if self._thread is None:
                self._stop = threading.Event()
                self._thread = threading.Thread(
                    target=self._loop, args=(self._stop,), name="qunmi-wal-checkpoint", daemon=True
                )
                self._thread.start()

    def stop(self, *, wait: bool = True) -> None:
        """Stop the thread (a later ``start`` starts a new one)."""
        with self._lock:
            thread, self._thread = self._thread, None
            self._stop.set()
        if wait and thread is not None and thread is not threading.current_thread():
            thread.join(10)

    def _wal_state(self) -> tuple[int, int]:
        try:
            st = os.stat(self.path + "-wal")
        except FileNotFoundError:
            return 0, 0
        return st.st_size, st.st_mtime_ns

    def run_once(self, conn: sqlite3.Connection) -> bool:
        """One turn: a passive checkpoint if the log was written since the last one. True
        when it checkpointed."""
        state = self._wal_state()
        if state[0] == 0 or state == self._seen:
            return False
        _, logged, copied = conn.execute("PRAGMA wal_checkpoint(PASSIVE)").fetchone()
        self.checkpoints += 1
        if logged * self._page_size >= self.restart_bytes:
            # The passive pass copied nearly everything; this one waits (at most the
            # connection's short busy timeout) for the writer and the readers to let go, so
            # that the next commit starts the log from its beginning.
            _, logged, copied = conn.execute("PRAGMA wal_checkpoint(RESTART)").fetchone()
            self.restarts += 1
        # Only a log copied back whole is done with; else the next turn tries again, though
        # nothing is written meanwhile (the rest waited for the next write, however long that
        # took). Short: a reader's snapshot stopped the copy, or a commit was in flight — its
        # frames already in the file (so the file's state below is already the final one) but
        # not yet in the log's index, which is all a checkpoint sees.
        after = self._wal_state()
        in_file = max(0, (after[0] - _WAL_HEADER) // (self._page_size + _FRAME_HEADER))
        self._seen = after if copied >= logged and in_file <= logged else (0, 0)
        return True

    def _loop(self, stop: threading.Event) -> None:
        try:
            conn = sqlite3.connect(self.path, timeout=0.05, isolation_level=None)
        except sqlite3.Error:
            log.exception("WAL checkpointer could not open %s", self.path)
            return
        try:
            conn.execute("PRAGMA synchronous=FULL")
            self._page_size = int(conn.execute("PRAGMA page_size").fetchone()[0])
            while not stop.wait(self.interval):
                try:
                    self.run_once(conn)
                except sqlite3.Error as exc:  # busy or locked: the next turn tries again
                    log.debug("WAL checkpoint skipped: %s", exc)
        finally:
            conn.close()
