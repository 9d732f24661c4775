"""A server killed (SIGKILL) with messages pending and one mid-processing: after a restart every
message ends done, and each created its task exactly once."""

from __future__ import annotations

import os
import signal
import socket
import subprocess
import sys
import time
from collections.abc import Iterator
from pathlib import Path

import httpx
import pytest

ROOT = Path(__file__).resolve().parents[2]
N = 30


def _free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return int(s.getsockname()[1])


def _start(db: str, data_dir: Path, port: int) -> subprocess.Popen[bytes]:
    return subprocess.Popen(
        [
            sys.executable,
            "-m",
            "tests.slow_server",
            "--db",
            db,
            "--data-dir",
            str(data_dir),
            "--port",
            str(port),
            "--delay",
            "0.1",
            "--lease",
            "2",
        ],
        cwd=ROOT,
        env={**os.environ, "PYTHONPATH": str(ROOT)},
        stdout=subprocess.DEVNULL,
        stderr=subprocess.PIPE,
    )


def _wait_healthy(
    client: httpx.Client, proc: subprocess.Popen[bytes], timeout: float = 90.0
) -> None:
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        if proc.poll() is not None:
            raise AssertionError(
                f"server exited: {proc.stderr.read().decode() if proc.stderr else ''}"
            )
        try:
            if client.get("/health").status_code == 200:
                return
        except httpx.HTTPError:
            pass
        time.sleep(0.1)
    raise AssertionError("server did not come up")


@pytest.fixture
def server_files(database_url: str, tmp_path: Path) -> Iterator[tuple[str, Path]]:
    """The server's database: SQLite and PostgreSQL in turn (the shared fixture)."""
    yield database_url, tmp_path / "data"


def _states(client: httpx.Client) -> list[str]:
    return [m["state"] for m in client.get("/messages", params={"limit": 500}).json()["items"]]


def test_killed_mid_message_resumes_without_losing_or_duplicating(
    server_files: tuple[str, Path],
) -> None:
    db, data_dir = server_files
    port = _free_port()
    base = f"http://127.0.0.1:{port}"
    proc = _start(db, data_dir, port)
    try:
        with httpx.Client(base_url=base, timeout=10) as client:
            _wait_healthy(client, proc)
            for i in range(N):
                r = client.post(
                    "/messages",
                    params={"wait": "false"},
                    json={
                        "channel": "console",
                        "chat": "官网改版群",
                        "sender": "张三",
                        "text": f"@小王 周五前把第{i + 1}号页面的设计稿出了",
                        "external_id": f"r{i}",
                    },
                )
                assert r.status_code == 202
            deadline = time.monotonic() + 20
            while _states(client).count("done") < 3 and time.monotonic() < deadline:
                time.sleep(0.05)
            before = _states(client)
        proc.send_signal(signal.SIGKILL)
        proc.wait(10)
        assert 3 <= before.count("done") < N, before
    finally:
        if proc.poll() is None:
            proc.kill()
    proc = _start(db, data_dir, port)
    try:
        with httpx.Client(base_url=base, timeout=10) as client:
            _wait_healthy(client, proc)
            deadline = time.monotonic() + 30
            while _states(client).count("done") < N and time.monotonic() < deadline:
                time.sleep(0.1)
            assert _states(client) == ["done"] * N
            tasks = client.get("/tasks", params={"limit": 200}).json()["items"]
            titles = sorted(t["title"] for t in tasks)
            assert len(titles) == N and len(set(titles)) == N
    finally:
        proc.send_signal(signal.SIGTERM)
        try:
            proc.wait(10)
        except subprocess.TimeoutExpired:
            proc.kill()
