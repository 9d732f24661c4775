"""A scripted WeCom client against the real app: URL verification, text and voice messages,
the AI bot, redelivery, rejection of anything forged, replies through the (faked) WeCom API."""

from __future__ import annotations

import json
from collections.abc import Iterator
from dataclasses import dataclass
from datetime import timedelta
from pathlib import Path
from typing import Any

import pytest
from fastapi.testclient import TestClient
from pydantic import SecretStr

from api.app import create_app
from assistant.bootstrap import Qunmi, bootstrap
from assistant.clock import FixedClock
from assistant.domain import ChatContext, IncomingMessage, MessageState, ToolCall
from assistant.engines.rules import RuleEngine
from assistant.ports import SegmentCallback, Transcript, TranscriptSegment, TranscriptStream
from assistant.services.worker import InProcessWorker
from assistant.settings import Settings, WeComSettings
from tests.conftest import NOW
from tests.doubles import RecordingNotifier
from tests.wecom_fakes import (
    AES_KEY,
    AGENT_ID,
    BOT_AES_KEY,
    BOT_TOKEN,
    CORP_ID,
    SECRET,
    TOKEN,
    FakeWeComAPI,
    ScriptedWeCom,
    app_xml,
)

BASE = "http://wecom.test"
VOICE_TEXT = "明天下午3点开会讨论首页改版"


class FakeTranscriber:
    """A Transcriber double: hears the same sentence in any audio and records what it got."""

    name = "fake"

    def __init__(self) -> None:
        self.heard: list[Any] = []

    def stream(
        self,
        audio: Path | bytes,
        *,
        language: str | None = None,
        prompt: str | None = None,
        progress: Any | None = None,
    ) -> TranscriptStream:
        self.heard.append(audio)
        stream = TranscriptStream(model=self.name, language=language or "zh")
        stream.duration = 2.0
        return stream.attach(iter([TranscriptSegment(start=0.0, end=2.0, text=VOICE_TEXT)]))

    def transcribe(
        self,
        audio: Path | bytes,
        *,
        language: str | None = None,
        prompt: str | None = None,
        progress: Any | None = None,
        on_segment: SegmentCallback | None = None,
    ) -> Transcript:
        stream = self.stream(audio, language=language, prompt=prompt, progress=progress)
        for segment in stream:
            if on_segment is not None:
                on_segment(segment)
        return stream.result()


class FlakyEngine:
    """The rule engine, failing the first ``failures`` times it is asked."""

    name = "flaky-rules"

    def __init__(self, failures: int) -> None:
        self.failures = failures
        self.inner = RuleEngine()

    def understand(self, message: IncomingMessage, context: ChatContext) -> list[ToolCall]:
        if self.failures > 0:
            self.failures -= 1
            raise RuntimeError("engine hiccup")
        return self.inner.understand(message, context)


@dataclass
class World:
    client: TestClient
    q: Qunmi
    api: FakeWeComAPI
    wecom: ScriptedWeCom
    clock: FixedClock
    transcriber: FakeTranscriber
    engine: FlakyEngine

    def drain(self) -> int:
        return InProcessWorker(self.q.processor).drain()

    def count(self, what: str) -> int:
        total: int = self.client.get(f"/{what}").json()["total"]
        return total


def wecom_settings(settings: Settings) -> Settings:
    return settings.model_copy(
        update={
            "wecom": WeComSettings(
                corp_id=CORP_ID,
                token=SecretStr(TOKEN),
                encoding_aes_key=SecretStr(AES_KEY),
                secret=SecretStr(SECRET),
                agent_id=AGENT_ID,
                bot_token=SecretStr(BOT_TOKEN),
                bot_encoding_aes_key=SecretStr(BOT_AES_KEY),
                api_base=BASE,
                response_url_hosts=[BASE],
            )
        }
    )


@pytest.fixture
def world(settings: Settings, clock: FixedClock) -> Iterator[World]:
    api = FakeWeComAPI(media={"voice-1": b"#!AMR\n" + b"\x3c" * 64}, directory={"lisi": "李四"})
    transcriber = FakeTranscriber()
    engine = FlakyEngine(failures=0)
    q = bootstrap(
        wecom_settings(settings),
        clock=clock,
        engine=engine,
        notifier=RecordingNotifier(),
        transcriber=transcriber,
        wecom_transport=api.transport(),
    )
    with TestClient(create_app(q, start_worker=False)) as client:
        for body in (
            {"display_name": "张三", "aliases": ["老张"], "role": "pm", "wecom_userid": "zhangsan"},
            {"display_name": "王磊", "aliases": ["小王"], "wecom_userid": "wanglei"},
        ):
            assert client.post("/members", json=body).status_code == 201
        r = client.post(
            "/projects",
            json={"actor": "张三", "name": "官网改版", "owner": "张三", "members": ["王磊"]},
        )
        assert r.status_code == 201, r.text
        yield World(
            client, q, api, ScriptedWeCom(now=int(NOW.timestamp())), clock, transcriber, engine
        )
    q.close()


def test_url_verification(world: World) -> None:
    for path in ("/wecom/app", "/wecom/bot"):
        url, echo = world.wecom.verify_url(path)
        r = world.client.get(url)
        assert r.status_code == 200 and r.content == echo
        assert world.client.get(url.replace("msg_signature=", "msg_signature=0")).status_code == 403


def test_text_message_creates_one_task_under_redelivery_and_replies(world: World) -> None:
    xml = app_xml(
        sender="zhangsan",
        msg_type="text",
        create_time=world.wecom.now,
        msg_id="7001",
        Content="@小王 周五前把登录页设计稿出了",
    )
    for _ in range(3):  # WeCom retries when it does not hear back in time
        url, body = world.wecom.app_post(xml)
        r = world.client.post(url, content=body)
        assert r.status_code == 200 and r.text == ""
    assert world.count("messages") == 1
    assert world.drain() == 1
    url, body = world.wecom.app_post(xml)  # and once more after it was processed
    assert world.client.post(url, content=body).status_code == 200
    assert world.drain() == 0
    tasks = world.client.get("/tasks").json()["items"]
    assert [(t["title"], t["assignee"], t["creator"]) for t in tasks] == [
        ("出登录页设计稿", "王磊", "张三")
    ]
    assert tasks[0]["project_id"] is not None  # the sender's default project
    replies = [s for s in world.api.sent if s.get("touser") == "zhangsan"]
    assert len(replies) == 1 and "出登录页设计稿" in replies[0]["markdown"]["content"]


def test_voice_message_is_fetched_transcribed_and_creates_a_meeting(world: World) -> None:
    xml = app_xml(
        sender="zhangsan",
        msg_type="voice",
        create_time=world.wecom.now,
        msg_id="7002",
        MediaId="voice-1",
        Format="amr",
    )
    url, body = world.wecom.app_post(xml)
    assert world.client.post(url, content=body).status_code == 200
    assert world.drain() == 1
    meetings = world.client.get("/meetings").json()["items"]
    assert [m["title"] for m in meetings] == ["首页改版讨论"]
    assert len(world.transcriber.heard) == 1
    audio = Path(world.transcriber.heard[0])
    assert audio.parent == world.q.settings.data_dir / "media" and audio.read_bytes().startswith(
        b"#!AMR"
    )
    message = world.client.get("/messages").json()["items"][0]
    assert (
        message["kind"] == "voice" and message["text"] == VOICE_TEXT and message["state"] == "done"
    )
    texts = [s["markdown"]["content"] for s in world.api.sent]
    assert any(VOICE_TEXT in t for t in texts) and any("首页改版讨论" in t for t in texts)


def test_new_sender_becomes_a_member_named_from_the_directory(world: World) -> None:
    xml = app_xml(
        sender="lisi", msg_type="text", create_time=world.wecom.now, msg_id="7003", Content="大家好"
    )
    url, body = world.wecom.app_post(xml)
    assert world.client.post(url, content=body).status_code == 200
    world.q.extras["wecom_intake"].close()  # wait for the background directory lookup
    members = {m["wecom_userid"]: m for m in world.client.get("/members").json()["items"]}
    assert members["lisi"]["display_name"] == "李四"
    world.drain()
    assert world.count("tasks") == 0  # chit-chat: nothing created
    assert not [s for s in world.api.sent if s.get("touser") == "lisi"]  # and no reply


def test_events_are_deduplicated_by_sender_and_create_time(world: World) -> None:
    xml = app_xml(
        sender="zhangsan", msg_type="event", create_time=world.wecom.now, Event="enter_agent"
    )
    for _ in range(3):
        url, body = world.wecom.app_post(xml)
        assert world.client.post(url, content=body).status_code == 200
    later = app_xml(
        sender="zhangsan", msg_type="event", create_time=world.wecom.now + 5, Event="enter_agent"
    )
    url, body = world.wecom.app_post(later)
    assert world.client.post(url, content=body).status_code == 200
    assert world.count("messages") == 2


def test_bot_message_in_a_group_replies_through_its_response_url(world: World) -> None:
    message = {
        "msgid": "bot-1",
        "aibotid": "AIBOT",
        "chatid": "wrGroup1",
        "chattype": "group",
        "from": {"userid": "zhangsan"},
        "response_url": f"{BASE}/respond/abc",
        "msgtype": "text",
        "text": {"content": "@群秘 明天下午3点开会讨论首页改版"},
    }
    for _ in range(3):
        url, body = world.wecom.bot_post(message)
        assert world.client.post(url, content=body).status_code == 200
    assert world.drain() == 1
    assert [m["title"] for m in world.client.get("/meetings").json()["items"]] == ["首页改版讨论"]
    assert len(world.api.responses) == 1
    path, reply = world.api.responses[0]
    assert path == "/respond/abc" and "首页改版讨论" in reply["markdown"]["content"]


def test_engine_failure_retries_with_backoff_then_succeeds(world: World) -> None:
    world.engine.failures = 1
    xml = app_xml(
        sender="zhangsan",
        msg_type="text",
        create_time=world.wecom.now,
        msg_id="7005",
        Content="@小王 周五前把登录页设计稿出了",
    )
    url, body = world.wecom.app_post(xml)
    assert world.client.post(url, content=body).status_code == 200
    world.drain()
    failed = world.client.get("/messages", params={"state": "failed"}).json()["items"]
    assert len(failed) == 1 and "engine hiccup" in failed[0]["error"]
    assert world.drain() == 0  # backing off
    world.clock.advance(timedelta(seconds=6))
    assert world.drain() == 1
    assert world.client.get("/messages").json()["items"][0]["state"] == MessageState.DONE.value
    assert world.count("tasks") == 1


@pytest.mark.parametrize(
    "attack", ["forged", "stale", "future", "oversized", "malformed", "no-encrypt", "wrong-corp"]
)
def test_forged_stale_oversized_and_malformed_are_rejected_and_nothing_stored(
    world: World, attack: str
) -> None:
    xml = app_xml(
        sender="zhangsan",
        msg_type="text",
        create_time=world.wecom.now,
        msg_id="7006",
        Content="@小王 周五前把登录页设计稿出了",
    )
    url, body = world.wecom.app_post(xml)
    if attack == "forged":
        url = url.replace("msg_signature=", "msg_signature=ff")
    elif attack == "stale":
        url, body = world.wecom.app_post(xml, timestamp=world.wecom.now - 600)
    elif attack == "future":
        url, body = world.wecom.app_post(xml, timestamp=world.wecom.now + 600)
    elif attack == "oversized":
        body = body.replace(b"</xml>", b"<Pad>" + b"x" * 70_000 + b"</Pad></xml>")
    elif attack == "malformed":
        body = b"<xml><Encrypt>"
    elif attack == "no-encrypt":
        body = b"<xml><ToUserName>x</ToUserName></xml>"
    elif attack == "wrong-corp":
        other = ScriptedWeCom(now=world.wecom.now)
        from assistant.adapters.wecom.crypto import WeComCrypto

        other.crypto = WeComCrypto(
            token=TOKEN, encoding_aes_key=AES_KEY, receive_id="ww-other-corp"
        )
        url, body = other.app_post(xml)
    r = world.client.post(url, content=body)
    assert 400 <= r.status_code < 500, (attack, r.status_code, r.text)
    assert world.count("messages") == 0


# -- hostile callbacks (issue 15) --------------------------------------------------------------


def test_deeply_nested_bot_body_is_refused_before_any_parsing(world: World) -> None:
    url, _ = world.wecom.bot_post({"msgid": "x", "from": {"userid": "a"}, "msgtype": "text"})
    deep = b'{"encrypt": ' + b"[" * 30_000 + b"]" * 30_000 + b"}"
    r = world.client.post(url, content=deep)
    assert r.status_code == 400 and "encrypt" in r.json()["reason"]
    # A valid signature over a nested inner message: the decrypted JSON is bounded too.
    inner = b'{"a": ' + b"[" * 5_000 + b"]" * 5_000 + b"}"
    encrypt = world.wecom.bot_crypto.encrypt(inner)
    query = world.wecom._query(world.wecom.bot_crypto, encrypt)
    r = world.client.post(f"/wecom/bot?{query}", content=json.dumps({"encrypt": encrypt}))
    assert r.status_code == 400 and "嵌套太深" in r.json()["reason"]
    assert world.count("messages") == 0


def _signed_app_body(world: World, plain: bytes) -> tuple[str, bytes]:
    encrypt = world.wecom.crypto.encrypt(plain)
    query = world.wecom._query(world.wecom.crypto, encrypt)
    return f"/wecom/app?{query}", f"<xml><Encrypt><![CDATA[{encrypt}]]></Encrypt></xml>".encode()


@pytest.mark.parametrize(
    "plain",
    [
        # UTF-16 hides "<!DOCTYPE" from any byte-level filter
        '<?xml version="1.0" encoding="UTF-16"?><!DOCTYPE x [<!ENTITY a "b">]>'
        "<xml><FromUserName>a</FromUserName><MsgType>text</MsgType><Content>&a;</Content></xml>".encode(
            "utf-16"
        ),
        # a DOCTYPE after 4 KB of padding
        b'<?xml version="1.0"?>' + b"<!-- " + b"x" * 5000 + b" -->"
        b'<!DOCTYPE xml SYSTEM "http://127.0.0.1:9/evil.dtd">'
        b"<xml><FromUserName>a</FromUserName><MsgType>text</MsgType><Content>hi</Content></xml>",
        # an external entity
        b'<!DOCTYPE x [<!ENTITY e SYSTEM "file:///etc/passwd">]>'
        b"<xml><FromUserName>a</FromUserName><MsgType>text</MsgType><Content>&e;</Content></xml>",
    ],
    ids=["utf16", "late-doctype", "external-entity"],
)
def test_hostile_xml_inside_a_signed_callback_is_refused(world: World, plain: bytes) -> None:
    url, body = _signed_app_body(world, plain)
    r = world.client.post(url, content=body)
    assert r.status_code == 400, r.text
    assert world.count("messages") == 0


def test_bot_reply_is_never_posted_outside_wecom(world: World) -> None:
    message = {
        "msgid": "bot-evil",
        "chatid": "wrGroup1",
        "chattype": "group",
        "from": {"userid": "zhangsan"},
        "response_url": "http://169.254.169.254/latest/meta-data",
        "msgtype": "text",
        "text": {"content": "@群秘 明天下午3点开会讨论首页改版"},
    }
    url, body = world.wecom.bot_post(message)
    assert world.client.post(url, content=body).status_code == 200
    assert world.drain() == 1
    assert world.api.responses == []
    hosts = {r.url.host for r in world.api.requests}
    assert "169.254.169.254" not in hosts
