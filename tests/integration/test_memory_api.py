"""The memory through its entry points (REST API, CLI) and its optional upgrades: an
OpenAI-compatible embeddings endpoint and a chat model for generated answers, both played by
the local OpenAI-protocol server. Chroma is real (embedded)."""

from __future__ import annotations

import json
from collections.abc import Iterator
from datetime import timedelta
from pathlib import Path

import pytest
from fastapi.testclient import TestClient
from pydantic import SecretStr
from typer.testing import CliRunner

from api.app import create_app
from assistant.adapters.embeddings import OpenAIEmbedder
from assistant.bootstrap import Qunmi, bootstrap
from assistant.clock import FixedClock
from assistant.errors import ModelError
from assistant.memory.ports import DocFilter
from assistant.settings import ChromaSettings, EmbeddingSettings, LLMSettings, Settings
from tests.conftest import NOW
from tests.openai_server import Fault, ScriptedOpenAIServer, scripted_server, text_reply

HISTORY = [
    ("支付对接群", "张伟", "支付对接这块先由陈刚负责，需要对接微信支付和支付宝"),
    ("支付对接群", "张伟", "通知一下：支付对接改由吴昊负责，陈刚调去小程序项目"),
    ("官网改版群", "王磊", "设计稿v3定稿了，最新版以蓝湖上这个为准 home-v3"),
]


@pytest.fixture
def server() -> Iterator[ScriptedOpenAIServer]:
    with scripted_server() as s:
        yield s


def _settings(tmp_path: Path, server: ScriptedOpenAIServer, *, llm: bool = False) -> Settings:
    return Settings(
        _env_file=None,  # type: ignore[call-arg]
        data_dir=tmp_path / "data",
        engine="rules",
        console_url="http://console",
        chroma=ChromaSettings(path=tmp_path / "chroma"),
        embeddings=EmbeddingSettings(
            base_url=server.base_url, model="emb-1", api_key=SecretStr("sk-emb")
        ),
        llm=LLMSettings(base_url=server.base_url, model="chat-1", max_retries=0)
        if llm
        else LLMSettings(),
    )


def _fill(q: Qunmi, clock: FixedClock) -> None:
    from assistant.services.inbox import Inbound

    for chat, sender, text in HISTORY:
        clock.advance(timedelta(hours=3))
        message, _ = q.inbox.receive(
            Inbound(channel="test", chat=chat, sender=sender, text=text, received_at=clock.now())
        )
        assert message.id is not None
        q.processor.process(message.id)
    assert q.memory is not None
    assert q.memory.indexer.drain().vector_error is None


def test_openai_embeddings_protocol(server: ScriptedOpenAIServer) -> None:
    embedder = OpenAIEmbedder(
        base_url=server.base_url,
        model="emb-1",
        api_key=SecretStr("sk-emb"),
        batch_size=2,
        sleep=lambda _s: None,
    )
    vectors = embedder.embed_documents(["一", "二二", "三三三", "四", "五"])
    assert vectors.shape == (5, 32) and embedder.dimensions == 32
    assert abs(float((vectors[1] ** 2).sum()) - 1.0) < 1e-5  # normalised
    assert [len(r["input"]) for r in server.requests] == [2, 2, 1]
    assert server.headers[0]["authorization"] == "Bearer sk-emb"
    assert embedder.name == "api-emb-1"
    server.embedding_faults.append(Fault(status=503))
    assert embedder.embed_query("重试一次").shape == (32,)
    server.embedding_faults.append(Fault(status=401))
    with pytest.raises(ModelError, match="密钥"):
        embedder.embed_query("不重试")
    server.embedding_faults.extend([Fault(status=500)] * 3)
    with pytest.raises(ModelError):
        embedder.embed_query("一直失败")


def test_generated_answers_cite_passages_and_fall_back(
    tmp_path: Path, server: ScriptedOpenAIServer
) -> None:
    clock = FixedClock(NOW)
    q = bootstrap(_settings(tmp_path, server, llm=True), clock=clock)
    try:
        assert q.memory is not None
        _fill(q, clock)
        assert q.memory.index().name == "qunmi-api-emb-1"  # one collection per embedder

        def cite_newest(body: dict[str, object]) -> dict[str, object]:
            system = str(body["messages"][0]["content"])  # type: ignore[index]
            number = next(
                line[1] for line in system.splitlines() if "吴昊" in line and line.startswith("[")
            )
            return text_reply(f"支付对接现在由吴昊负责 [{number}]，之前是陈刚。")

        server.push(cite_newest)
        answer = q.memory.ask("谁负责支付对接", filters=DocFilter(), now=clock.now())
        assert answer.found and answer.method == "llm"
        assert answer.sources[0].quote.startswith("通知一下") and "[1]" in answer.text
        assert "吴昊" in answer.text and answer.sources[0].link

        server.push(text_reply("应该是吴昊吧。"))  # cites nothing: not trusted
        fallback = q.memory.ask("谁负责支付对接", filters=DocFilter(), now=clock.now())
        assert fallback.found and fallback.method == "extractive" and fallback.error

        server.push(Fault(status=500))
        broken = q.memory.ask("谁负责支付对接", filters=DocFilter(), now=clock.now())
        assert broken.found and broken.method == "extractive" and "HTTP 500" in (broken.error or "")

        server.push(text_reply("没找到"))
        nothing = q.memory.ask("设计稿最新版在哪", filters=DocFilter(), now=clock.now())
        assert not nothing.found and nothing.text.startswith("没找到")
    finally:
        q.close()


def test_search_and_ask_over_http(tmp_path: Path, server: ScriptedOpenAIServer) -> None:
    clock = FixedClock(NOW)
    q = bootstrap(_settings(tmp_path, server), clock=clock)
    try:
        _fill(q, clock)
        with TestClient(create_app(q, start_worker=False)) as client:
            found = client.get("/search", params={"q": "home-v3 设计稿"}).json()
            assert list(found["hits"][0]) >= [
                "kind",
                "id",
                "chat",
                "sender",
                "time",
                "text",
                "score",
            ]
            assert (
                found["hits"][0]["chat"] == "官网改版群" and "home-v3" in found["hits"][0]["text"]
            )
            scoped = client.get("/search", params={"q": "负责", "chat": "支付对接群"}).json()
            assert {h["chat"] for h in scoped["hits"]} == {"支付对接群"}
            assert client.get("/search", params={"q": ""}).status_code == 422
            missing = client.get("/search", params={"q": "负责", "chat": "没有这个群"})
            assert missing.status_code == 404 and "没有这个群" in missing.json()["reason"]
            bad_kind = client.get("/search", params={"q": "负责", "kind": "email"})
            assert bad_kind.status_code == 422
            answer = client.post("/ask", json={"question": "谁负责支付对接"}).json()
            assert answer["found"] and answer["sources"][0]["sender"] == "张伟"
            assert "吴昊" in answer["sources"][0]["quote"]
            assert client.post("/ask", json={"question": "年会在哪里办"}).json()["found"] is False
            status = client.get("/index/status").json()
            assert status["docs"] == 3 and status["pending_vectors"] == 0
    finally:
        q.close()


def test_cli_import_search_and_index(
    tmp_path: Path, server: ScriptedOpenAIServer, monkeypatch: pytest.MonkeyPatch
) -> None:
    from assistant.cli import app

    monkeypatch.chdir(tmp_path)
    monkeypatch.setenv("QUNMI_DATA_DIR", str(tmp_path / "data"))
    monkeypatch.setenv("QUNMI_ENGINE", "rules")
    monkeypatch.setenv("QUNMI_EMBEDDINGS__BASE_URL", server.base_url)
    monkeypatch.setenv("QUNMI_EMBEDDINGS__MODEL", "emb-1")
    monkeypatch.delenv("QUNMI_DATABASE_URL", raising=False)
    export = tmp_path / "chat.jsonl"
    lines = [
        {
            "time": "2026-10-12T10:00:00+08:00",
            "chat": "官网改版群",
            "sender": "张伟",
            "text": "明天下午3点开会讨论首页改版",
        },
        {
            "time": "2026-10-12T09:00:00+08:00",
            "chat": "官网改版群",
            "sender": "张伟",
            "text": "官网改版项目今天启动，预算8万",
        },
        {
            "time": "2026-10-13T16:30:00+08:00",
            "chat": "官网改版群",
            "sender": "王磊",
            "text": "首页banner就用方案B视频背景",
        },
        {
            "time": "2030-01-01T00:00:00+08:00",
            "chat": "官网改版群",
            "sender": "王磊",
            "text": "来自未来",
        },
        {"chat": "官网改版群", "text": "缺字段"},
    ]
    export.write_text("\n".join(json.dumps(r, ensure_ascii=False) for r in lines), encoding="utf-8")
    runner = CliRunner()
    now = "2026-11-20T10:00:00+08:00"

    result = runner.invoke(app, ["import", "chat", str(export), "--now", now, "--json"])
    assert result.exit_code == 0, result.output
    report = json.loads(result.stdout[result.stdout.index("{") :])
    assert (report["imported"], report["meetings"], report["skipped_lines"]) == (3, 1, 2)
    again = runner.invoke(app, ["import", "chat", str(export), "--now", now, "--json"])
    again_report = json.loads(again.stdout[again.stdout.index("{") :])
    assert (again_report["imported"], again_report["already"], again_report["meetings"]) == (
        0,
        3,
        0,
    )

    # "明天" was read as of that message: the day after 2026-10-12.
    meetings = runner.invoke(app, ["meetings", "list", "--json"])
    assert json.loads(meetings.stdout)[0]["start"] == "2026-10-13T15:00:00+08:00"

    found = runner.invoke(app, ["search", "banner", "--json", "--now", now])
    hits = json.loads(found.stdout)["hits"]
    assert hits[0]["text"] == "首页banner就用方案B视频背景" and hits[0]["sender"] == "王磊"
    assert set(hits[0]) >= {"kind", "id", "chat", "sender", "time", "text", "score"}
    early = runner.invoke(app, ["search", "banner", "--json", "--now", "2026-10-13T10:00:00+08:00"])
    assert all("banner" not in h["text"] for h in json.loads(early.stdout)["hits"])

    asked = runner.invoke(app, ["ask", "官网改版预算多少", "--now", now, "--json"])
    assert json.loads(asked.stdout)["found"] is True

    status = runner.invoke(app, ["index", "status", "--json"])
    record = json.loads(status.stdout)
    assert record["queued_records"] == 0 and record["docs"] >= 3
    assert record["collection"] == "qunmi-api-emb-1"
    rebuilt = runner.invoke(app, ["index", "rebuild"])
    assert rebuilt.exit_code == 0 and "重建完成" in rebuilt.output
    unknown = runner.invoke(app, ["search", "banner", "--project", "没有的项目"])
    assert unknown.exit_code == 1 and "没有的项目" in unknown.output


def test_the_ask_tool_answers_in_the_chat(tmp_path: Path, server: ScriptedOpenAIServer) -> None:
    from assistant.domain import ToolCall
    from assistant.services.cards import render_result
    from tools.executor import CallContext

    clock = FixedClock(NOW)
    q = bootstrap(_settings(tmp_path, server), clock=clock)
    try:
        _fill(q, clock)
        result = q.executor.execute(
            ToolCall("ask", {"question": "谁负责支付对接"}), CallContext(actor="张伟")
        )
        assert result.ok and result.kind == "answer" and result.summary is not None
        assert result.summary["found"] is True
        card = render_result(result, tz=q.settings.tz, now=clock.now())
        assert card.kind == "answer" and "吴昊" in card.text and "张伟" in card.text
        missing = q.executor.execute(
            ToolCall("ask", {"question": "年会在哪里办"}), CallContext(actor="张伟")
        )
        assert missing.ok and missing.summary is not None and missing.summary["found"] is False
    finally:
        q.close()
