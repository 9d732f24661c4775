"""A WeCom voice note end to end with the real bundled Whisper model and the rule engine:
encrypted callback → stored → AMR fetched by media_id → transcribed → task created once →
reply through message/send."""

from __future__ import annotations

import json
from collections.abc import Iterator
from pathlib import Path

import pytest
from fastapi.testclient import TestClient

from api.app import create_app
from assistant.adapters.audio import decode_audio
from assistant.adapters.transcribers import FasterWhisperTranscriber
from assistant.bootstrap import Qunmi, bootstrap
from assistant.clock import FixedClock
from assistant.services.worker import InProcessWorker
from assistant.settings import Settings
from tests.conftest import NOW
from tests.doubles import RecordingNotifier
from tests.fixtures.audio.codecs import encode
from tests.integration.test_wecom_callbacks import wecom_settings
from tests.wecom_fakes import FakeWeComAPI, ScriptedWeCom, app_xml

pytestmark = pytest.mark.slow

FIXTURES = Path(__file__).resolve().parents[1] / "fixtures" / "audio"
COMMANDS = {
    c["id"]: c for c in json.loads((FIXTURES / "commands.json").read_text(encoding="utf-8"))
}


@pytest.fixture
def world(
    settings: Settings, clock: FixedClock, bundled_transcriber: FasterWhisperTranscriber
) -> Iterator[tuple[TestClient, Qunmi, FakeWeComAPI]]:
    samples = decode_audio(FIXTURES / COMMANDS["zh_command_task"]["file"], max_seconds=60)
    api = FakeWeComAPI(media={"media-7": encode(samples, "amr", rate=16_000)}, directory={})
    q = bootstrap(
        wecom_settings(settings),
        clock=clock,
        notifier=RecordingNotifier(),
        transcriber=bundled_transcriber,
        wecom_transport=api.transport(),
    )
    with TestClient(create_app(q, start_worker=False, seed_demo=False)) as client:
        client.post(
            "/members", json={"display_name": "张三", "role": "pm", "wecom_userid": "zhangsan"}
        )
        client.post(
            "/members",
            json={"display_name": "李四", "aliases": ["老李", "小王"], "wecom_userid": "lisi"},
        )
        yield client, q, api
    q.close()


def test_wecom_voice_note_becomes_the_task_it_speaks_of(
    world: tuple[TestClient, Qunmi, FakeWeComAPI],
) -> None:
    client, q, api = world
    wecom = ScriptedWeCom(now=int(NOW.timestamp()))
    xml = app_xml(
        sender="zhangsan",
        msg_type="voice",
        create_time=wecom.now,
        msg_id="9001",
        MediaId="media-7",
        Format="amr",
    )
    for _ in range(3):  # WeCom redelivers
        url, body = wecom.app_post(xml)
        assert client.post(url, content=body).status_code == 200
    assert InProcessWorker(q.processor).drain() == 1
    tasks = client.get("/tasks").json()["items"]
    assert len(tasks) == 1, tasks
    assert tasks[0]["assignee"] == "李四"  # 小王明天写报告。(小王 is 李四's alias)
    assert tasks[0]["due"] == "2026-11-26T18:00:00+08:00"
    assert "报告" in tasks[0]["title"]
    replies = [s["markdown"]["content"] for s in api.sent if s.get("touser") == "zhangsan"]
    assert any("听到" in r for r in replies) and any("报告" in r for r in replies)
