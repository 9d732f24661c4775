"""With processing split off (QUNMI_PROCESS_IN_API=false), the API tells worker processes that
messages are arriving, and a worker steps aside for a bounded time while they do."""

from __future__ import annotations

import os
import subprocess
import sys
import time
from pathlib import Path

import pytest
from fastapi.testclient import TestClient

from api.app import create_app
from assistant.bootstrap import bootstrap
from assistant.clock import FixedClock
from assistant.services.worker import InProcessWorker, IntakeGate, IntakeSignal, intake_marker
from assistant.settings import Settings
from tests.conftest import NOW
from tests.integration.test_wecom_callbacks import wecom_settings
from tests.wecom_fakes import ScriptedWeCom, app_xml


def _callback(wecom: ScriptedWeCom, msg_id: str) -> tuple[str, bytes]:
    return wecom.app_post(
        app_xml(
            sender="zhangsan",
            msg_type="text",
            create_time=wecom.now,
            msg_id=msg_id,
            Content="@小王 周五前把登录页设计稿出了",
        )
    )


def test_a_split_api_signals_arriving_messages_and_the_worker_waits_bounded(
    settings: Settings, clock: FixedClock
) -> None:
    split = wecom_settings(settings).model_copy(update={"process_in_api": False})
    marker = intake_marker(split.data_dir)
    q = bootstrap(split, clock=clock)
    wecom = ScriptedWeCom(now=int(NOW.timestamp()))
    try:
        with TestClient(create_app(q, start_worker=False)) as client:
            assert not marker.exists()
            url, body = _callback(wecom, "9301")
            before = time.time()
            assert client.post(url, content=body).status_code == 200
            assert marker.exists() and marker.stat().st_mtime >= before - 1
            signal = IntakeSignal(marker, quiet=30.0, max_wait=0.3)
            assert signal.busy()
            started = time.monotonic()
            signal.wait_idle()  # still "busy": returns at max_wait, not later
            assert 0.3 <= time.monotonic() - started < 3
            # The worker process steps aside, then processes the message all the same.
            worker = InProcessWorker(q.processor, gate=signal)
            assert worker.drain() == 1
            done = client.get("/messages", params={"state": "done"}).json()["total"]
            assert done == 1
    finally:
        q.close()


def test_quiet_intake_lets_the_worker_run_at_once(tmp_path: Path) -> None:
    marker = tmp_path / "intake.active"
    signal = IntakeSignal(marker, quiet=0.05, max_wait=5.0)
    started = time.monotonic()
    signal.wait_idle()  # no API ever wrote the marker
    assert time.monotonic() - started < 0.5
    IntakeGate(marker=marker).enter()
    assert signal.busy()
    time.sleep(0.1)
    started = time.monotonic()
    signal.wait_idle()  # quiet for longer than ``quiet``: no wait
    assert not signal.busy() and time.monotonic() - started < 0.5


def test_an_api_that_processes_itself_writes_no_marker(
    settings: Settings, clock: FixedClock
) -> None:
    own = wecom_settings(settings)
    assert own.process_in_api
    q = bootstrap(own, clock=clock)
    wecom = ScriptedWeCom(now=int(NOW.timestamp()))
    try:
        with TestClient(create_app(q, start_worker=False)) as client:
            url, body = _callback(wecom, "9302")
            assert client.post(url, content=body).status_code == 200
        assert not intake_marker(own.data_dir).exists()
    finally:
        q.close()


@pytest.mark.slow  # a real `qunmi worker` process, which loads the embedding model
def test_qunmi_worker_processes_and_indexes_what_a_split_api_stored(
    settings: Settings, clock: FixedClock
) -> None:
    """The split API only acknowledges; `qunmi worker` (a real process) processes the message
    and indexes the history, which the API process no longer does."""
    split = wecom_settings(settings).model_copy(update={"process_in_api": False})
    q = bootstrap(split, clock=clock)
    wecom = ScriptedWeCom(now=int(NOW.timestamp()))
    try:
        with TestClient(create_app(q)) as client:  # with its background loops, as served
            url, body = _callback(wecom, "9303")
            assert client.post(url, content=body).status_code == 200
            assert "index_loop" not in q.extras  # the API process does not index
        env = {
            **os.environ,
            "QUNMI_DATABASE_URL": split.resolved_database_url,
            "QUNMI_DATA_DIR": str(split.data_dir),
            "QUNMI_ENGINE": "rules",
            "QUNMI_QUEUE": "inprocess",
            "QUNMI_PROCESS_IN_API": "false",
            "QUNMI_CONSOLE_URL": "",
        }
        done = subprocess.run(
            [sys.executable, "-m", "assistant.cli", "worker", "--burst"],
            env=env,
            capture_output=True,
            text=True,
            timeout=300,
        )
        assert done.returncode == 0, done.stderr
        assert "本次处理 1 条" in done.stdout
        with q.uow_factory() as uow:
            assert uow.messages.list(filters={"state": "done"}, limit=5).total == 1
            stats = uow.history.stats()
        # Indexed by the worker: the API was stopped before it ran.
        assert stats.docs > 0 and stats.pending_vectors == 0 and stats.queued_records == 0
    finally:
        q.close()
