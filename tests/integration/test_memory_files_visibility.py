"""Files filed under a project are found in the memory only by that project's members, its PM
and admins: in the chat's ``ask``, ``GET /search``, ``GET`` / ``POST /ask``, ``qunmi search`` /
``qunmi ask --as``, and their download (real SQL on SQLite and PostgreSQL, the real bundled e5
model, real Chroma embedded and as a server, real HTTP through the app)."""

from __future__ import annotations

import json
from datetime import timedelta
from pathlib import Path
from typing import Any

import pytest
from fastapi.testclient import TestClient
from pydantic import SecretStr

from api.app import create_app
from assistant.bootstrap import bootstrap
from assistant.clock import FixedClock
from assistant.domain import Member, Project, Role, ToolCall
from assistant.files import Document
from assistant.services.inbox import Inbound
from assistant.settings import ChromaSettings, Settings
from tests.chroma_server import free_port
from tests.conftest import NOW
from tests.integration.test_documents import TOKEN
from tools.executor import CallContext

PAY_SPEC = (
    "# 支付回调接口说明\n微信支付回调地址 /pay/notify，签名校验用 HMAC-SHA256，超时 5 秒重试三次"
)
HOME_SPEC = "# 首页改版需求\n首页轮播图改成三张，导航栏加上“案例”入口"
PAY_QUESTION = "支付回调接口说明在哪"


@pytest.fixture(params=["embedded", "server"])
def chroma(request: pytest.FixtureRequest, tmp_path: Path) -> ChromaSettings:
    """Embedded Chroma, and a real ``chroma run`` server (``QUNMI_CHROMA__URL``)."""
    if request.param == "server":
        return ChromaSettings(
            url=request.getfixturevalue("chroma_server"), collection_prefix=f"t{free_port()}"
        )
    return ChromaSettings(path=tmp_path / "chroma")


def _found(payload: Any, document: Document) -> bool:
    """Whether a search or answer payload carries ``document`` (as a source, a hit or a
    download link)."""
    text = json.dumps(payload, ensure_ascii=False)
    return f"/files/{document.id}" in text


def test_file_passages_are_only_for_the_projects_members(
    settings: Settings,
    clock: FixedClock,
    e5_embedder: Any,
    chroma: ChromaSettings,
    tmp_path: Path,
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    settings = settings.model_copy(update={"chroma": chroma})
    q = bootstrap(settings, clock=clock, embedder=e5_embedder)
    try:
        with q.uow_factory() as uow:
            uow.members.add(Member(display_name="张伟", role=Role.ADMIN, created_at=NOW))
            lisi = uow.members.add(Member(display_name="李四", created_at=NOW))
            wang = uow.members.add(Member(display_name="王磊", created_at=NOW))
            zhao = uow.members.add(Member(display_name="赵六", created_at=NOW))
            uow.members.add(Member(display_name="钱七", role=Role.PM, created_at=NOW))
            uow.projects.add(Project(name="官网改版", owner_id=lisi.id, created_at=NOW))
            uow.projects.add(
                Project(
                    name="支付对接", owner_id=wang.id, member_ids=[zhao.id or 0], created_at=NOW
                )
            )
            uow.commit()
        lib = q.documents
        assert lib is not None and q.memory is not None
        pay, _ = lib.add(
            lib.stage([PAY_SPEC.encode()]),
            name="支付回调接口说明.md",
            uploader="王磊",
            project="支付对接",
        )
        home, _ = lib.add(
            lib.stage([HOME_SPEC.encode()]),
            name="首页改版需求.md",
            uploader="李四",
            project="官网改版",
        )
        # 李四 said something in a chat of his: messages stay visible as before.
        clock.advance(timedelta(minutes=5))
        message, _ = q.inbox.receive(
            Inbound(
                channel="test",
                chat="官网群",
                sender="李四",
                text="首页轮播图的三张图我周五前发给设计",
                received_at=clock.now(),
            )
        )
        assert message.id is not None
        q.processor.process(message.id)
        assert q.memory.indexer.drain().vector_error is None

        # Ask in the chat (the ``ask`` tool, as the rules and the agent call it).
        def ask(actor: str, question: str = PAY_QUESTION) -> dict[str, Any]:
            result = q.executor.execute(
                ToolCall("ask", {"question": question}), CallContext(actor=actor)
            )
            assert result.ok, result.error
            assert result.summary is not None
            return result.summary

        outsider = ask("李四")
        assert not _found(outsider, pay) and "HMAC" not in json.dumps(outsider, ensure_ascii=False)
        assert not outsider["found"] and "没找到" in outsider["answer"]
        # The owner, a member of the project, an admin, a team-wide PM (PM of every project).
        for reader in ("王磊", "赵六", "张伟", "钱七"):
            answer = ask(reader)
            assert answer["found"] and answer["sources"][0]["id"] == pay.id, (reader, answer)
            assert answer["sources"][0]["kind"] == "file"
        own = ask("李四", "首页改版需求文档在哪")  # his own project's file is still his
        assert own["found"] and _found(own, home)

        # Over HTTP, as the authenticated person.
        q.settings = q.settings.model_copy(update={"api_token": SecretStr(TOKEN)})
        with TestClient(create_app(q, start_worker=False)) as client:
            headers: dict[str, dict[str, str]] = {}
            for name in ("张伟", "李四", "王磊", "赵六"):
                r = client.post(
                    "/tokens", json={"member": name}, headers={"Authorization": f"Bearer {TOKEN}"}
                )
                assert r.status_code == 201, r.text
                headers[name] = {"Authorization": f"Bearer {r.json()['token']}"}

            def search(name: str, **params: str) -> dict[str, Any]:
                query = {"q": "支付回调接口", **params}
                r = client.get("/search", params=query, headers=headers[name])
                assert r.status_code == 200, r.text
                body: dict[str, Any] = r.json()
                return body

            def ask_rest(name: str, post: bool) -> dict[str, Any]:
                if post:
                    r = client.post("/ask", json={"question": PAY_QUESTION}, headers=headers[name])
                else:
                    r = client.get("/ask", params={"q": PAY_QUESTION}, headers=headers[name])
                assert r.status_code == 200, r.text
                body: dict[str, Any] = r.json()
                return body

            for params in ({}, {"kind": "file"}, {"project": "支付对接"}):
                hidden = search("李四", **params)
                assert not _found(hidden, pay), params
                assert all(
                    h["project"] != "支付对接" for h in hidden["hits"] if h["kind"] == "file"
                )
            # What he said in his own chat is still his to find, and so is his project's file.
            mine = search("李四", q="首页轮播图")["hits"]
            assert any(h["kind"] == "message" and h["id"] == message.id for h in mine)
            assert any(h["kind"] == "file" and h["id"] == home.id for h in mine)
            for post in (True, False):
                answer = ask_rest("李四", post)
                assert not _found(answer, pay)
                assert not answer["found"] and "没找到" in answer["answer"]
            for reader in ("王磊", "赵六", "张伟"):
                hits = search(reader, kind="file")["hits"]
                assert hits and hits[0]["id"] == pay.id and hits[0]["kind"] == "file"
                for post in (True, False):
                    answer = ask_rest(reader, post)
                    assert answer["found"] and answer["sources"][0]["id"] == pay.id

            # The download itself: refused to 李四 with a reason, given to the project.
            refused = client.get(f"/files/{pay.id}", headers=headers["李四"])
            assert (
                refused.status_code == 403
                and "不是项目「支付对接」的成员" in refused.json()["reason"]
            )
            for reader in ("王磊", "赵六", "张伟"):
                got = client.get(f"/files/{pay.id}", headers=headers[reader])
                assert got.status_code == 200 and got.content == PAY_SPEC.encode()
    finally:
        q.close()

    # The CLI reads the same store: ``--as`` reads as that person.
    from typer.testing import CliRunner

    from assistant.cli import app

    monkeypatch.chdir(tmp_path)
    monkeypatch.setenv("QUNMI_DATA_DIR", str(settings.data_dir))
    monkeypatch.setenv("QUNMI_DATABASE_URL", settings.database_url or "")
    monkeypatch.setenv("QUNMI_ENGINE", "rules")
    if chroma.url:
        monkeypatch.setenv("QUNMI_CHROMA__URL", chroma.url)
        monkeypatch.setenv("QUNMI_CHROMA__COLLECTION_PREFIX", chroma.collection_prefix)
    else:
        monkeypatch.setenv("QUNMI_CHROMA__PATH", str(chroma.path))
    monkeypatch.delenv("QUNMI_API_TOKEN", raising=False)
    runner = CliRunner()
    now = (clock.now() + timedelta(minutes=1)).isoformat()

    def cli(*args: str) -> Any:
        result = runner.invoke(app, [*args, "--json", "--now", now])
        assert result.exit_code == 0, result.output
        return json.loads(result.stdout)

    assert not _found(cli("search", "支付回调接口", "--kind", "file", "--as", "李四"), pay)
    for reader in ("王磊", "张伟"):
        hits = cli("search", "支付回调接口", "--kind", "file", "--as", reader)["hits"]
        assert hits and hits[0]["id"] == pay.id
    answer = cli("ask", PAY_QUESTION, "--as", "李四")
    assert not _found(answer, pay) and not answer["found"] and "没找到" in answer["answer"]
    assert cli("ask", PAY_QUESTION, "--as", "赵六")["sources"][0]["id"] == pay.id
    unknown = runner.invoke(app, ["search", "支付回调接口", "--as", "无名氏", "--now", now])
    assert unknown.exit_code == 1 and "找不到" in unknown.stderr
