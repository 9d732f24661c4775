"""A voice note (WeCom's AMR-NB) through the inbox: stored, transcribed by the real bundled
Whisper model, understood by the rule engine, and applied once."""

from __future__ import annotations

import json
from collections.abc import Iterator
from pathlib import Path

import pytest
from fastapi.testclient import TestClient

from api.app import create_app
from assistant.adapters.audio import decode_audio
from assistant.adapters.transcribers import FasterWhisperTranscriber
from assistant.bootstrap import bootstrap
from assistant.clock import FixedClock
from assistant.settings import Settings
from tests.fixtures.audio.codecs import encode

pytestmark = pytest.mark.slow

FIXTURES = Path(__file__).resolve().parents[1] / "fixtures" / "audio"
COMMANDS = {
    c["id"]: c for c in json.loads((FIXTURES / "commands.json").read_text(encoding="utf-8"))
}


def amr(clip_id: str) -> bytes:
    """The clip as WeCom sends voice: AMR-NB, 8 kHz."""
    samples = decode_audio(FIXTURES / COMMANDS[clip_id]["file"], max_seconds=60)
    return encode(samples, "amr", rate=16_000)


@pytest.fixture
def client(
    settings: Settings, clock: FixedClock, bundled_transcriber: FasterWhisperTranscriber
) -> Iterator[TestClient]:
    q = bootstrap(settings, clock=clock, transcriber=bundled_transcriber)
    with TestClient(create_app(q, start_worker=False, seed_demo=False)) as c:
        c.post("/members", json={"display_name": "张三", "role": "pm"})
        c.post("/members", json={"display_name": "李四", "aliases": ["老李", "小王"]})
        yield c
    q.close()


def test_voice_note_creates_the_task_it_speaks_of(client: TestClient) -> None:
    form = {"chat": "官网群", "sender": "张三", "external_id": "voice-1"}
    audio = amr("zh_command_task")  # 小王明天写报告。(小王 is 李四's alias)
    r = client.post("/messages/voice", files={"file": ("note.amr", audio, "audio/amr")}, data=form)
    assert r.status_code == 200, r.text
    out = r.json()
    assert out["state"] == "done", out
    assert out["cards"][0]["text"].startswith("🎙️ 听到：")
    task = out["results"][0]["record"]
    assert task["assignee"] == "李四", out
    assert task["due"] == "2026-11-26T18:00:00+08:00", out  # 明天, said on Wed 2026-11-25
    assert "报告" in task["title"]
    stored = client.get(f"/messages/{out['message_id']}").json()
    assert stored["kind"] == "voice" and "报告" in stored["text"]
    again = client.post(
        "/messages/voice", files={"file": ("note.amr", audio, "audio/amr")}, data=form
    ).json()
    assert again["duplicate"]
    assert client.get("/tasks").json()["total"] == 1


def test_voice_note_schedules_a_meeting(client: TestClient) -> None:
    form = {"chat": "官网群", "sender": "张三"}
    r = client.post(
        "/messages/voice",
        files={"file": ("m.amr", amr("zh_command_meeting"), "audio/amr")},
        data=form,
    )
    out = r.json()
    assert out["state"] == "done", out
    meeting = out["results"][0]["record"]
    assert meeting["start"] == "2026-11-26T14:00:00+08:00", out  # 明天下午 → 14:00


def test_unreadable_voice_is_refused_at_once(client: TestClient) -> None:
    """Issue 15: a corrupt upload was accepted and retried five times into the dead letters."""
    r = client.post(
        "/messages/voice",
        files={"file": ("x.amr", b"#!AMR\n" + b"\x00" * 10, "audio/amr")},
        data={"chat": "g", "sender": "张三"},
    )
    assert r.status_code == 422, r.text
    assert r.json()["code"] == "transcription_error" and "音频" in r.json()["reason"]
    assert client.get("/messages").json()["total"] == 0
    assert (
        client.post(
            "/messages/voice",
            files={"file": ("x.amr", b"", "audio/amr")},
            data={"chat": "g", "sender": "张三"},
        ).status_code
        == 422
    )
