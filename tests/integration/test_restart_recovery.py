"""A server killed (SIGKILL) with messages pending and one mid-processing: after a restart every
message ends done, and each created its task exactly once."""

from __future__ import annotations

import os
import signal
import socket
import subprocess
import sys
import threading
import time
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import httpx
import pytest

ROOT = Path(__file__).resolve().parents[2]
N = 30


def _free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return int(s.getsockname()[1])


def _start(
    db: str,
    data_dir: Path,
    port: int,
    *extra: str,
    lease: int = 2,
    env: dict[str, str] | None = None,
) -> subprocess.Popen[bytes]:
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
            str(lease),
            *extra,
        ],
        cwd=ROOT,
        env={**os.environ, "PYTHONPATH": str(ROOT), **(env or {})},
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


def test_killed_mid_conversation_with_the_llm_resumes_without_doubling(
    server_files: tuple[str, Path],
) -> None:
    """kill -9 while the model is thinking about its second turn, after its first call was
    applied; the restarted process takes the message over at once (the lease is 300 s), the
    model is told what was applied and words its call differently: still one task."""
    from tests.openai_server import ScriptedOpenAIServer, call, text_reply, tool_reply

    db, data_dir = server_files
    reached, release = threading.Event(), threading.Event()

    def hang(_: dict[str, Any]) -> dict[str, Any]:
        reached.set()
        release.wait(120)  # the process that asked is killed meanwhile
        return text_reply("好的。")

    model = ScriptedOpenAIServer(
        [
            tool_reply(call("create_task", {"title": "出登录页设计稿", "assignee": "小王"})),
            hang,
            tool_reply(call("create_task", {"title": "完成登录页的设计稿", "assignee": "王磊"})),
            text_reply("已经建好了。"),
        ]
    ).start()
    port = _free_port()
    base = f"http://127.0.0.1:{port}"
    extra = ("--llm-base-url", model.base_url)
    proc = _start(db, data_dir, port, *extra, lease=300)
    try:
        with httpx.Client(base_url=base, timeout=10) as client:
            _wait_healthy(client, proc)
            r = client.post(
                "/messages",
                params={"wait": "false"},
                json={
                    "channel": "console",
                    "chat": "官网改版群",
                    "sender": "张三",
                    "text": "登录页那个稿子辛苦小王尽快弄出来",
                    "external_id": "llm-1",
                },
            )
            assert r.status_code == 202
            assert reached.wait(90), "the model was never asked a second time"
            assert client.get("/tasks").json()["total"] == 1
        proc.send_signal(signal.SIGKILL)
        proc.wait(10)
    finally:
        if proc.poll() is None:
            proc.kill()
        release.set()
    proc = _start(db, data_dir, port, *extra, lease=300)
    try:
        with httpx.Client(base_url=base, timeout=10) as client:
            _wait_healthy(client, proc)
            # Well inside the 300 s lease even on a machine shared by many (a healthy run takes
            # under a second from here).
            deadline = time.monotonic() + 120
            while _states(client) != ["done"] and time.monotonic() < deadline:
                time.sleep(0.1)
            assert _states(client) == ["done"], "not taken over well before the 300 s lease"
            tasks = client.get("/tasks").json()["items"]
            assert [t["title"] for t in tasks] == ["出登录页设计稿"]
        retry = model.requests[2]
        user = next(m["content"] for m in retry["messages"] if m["role"] == "user")
        assert "已经生效" in user and "出登录页设计稿" in user
    finally:
        proc.send_signal(signal.SIGTERM)
        try:
            proc.wait(10)
        except subprocess.TimeoutExpired:
            proc.kill()
        model.stop()
