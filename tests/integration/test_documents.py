"""Project document folders end to end: files stored under the project, versioned, put in a
folder, their text extracted and indexed (real SQL, the real bundled e5 model, real embedded
Chroma), and found by asking for them."""

from __future__ import annotations

import json
from collections.abc import Iterator
from datetime import timedelta
from pathlib import Path
from typing import Any

import pytest
from fastapi.testclient import TestClient
from pydantic import SecretStr

from api.app import create_app
from assistant.bootstrap import Qunmi, bootstrap
from assistant.clock import FixedClock
from assistant.domain import Chat, Member, Project, Role
from assistant.errors import InvalidInput, NotFound, PermissionDenied
from assistant.files import FileTooLarge
from assistant.memory.ports import DocFilter
from assistant.services.documents import DocumentLibrary
from assistant.settings import ChromaSettings, Settings
from tests.conftest import NOW
from tests.fixtures_files import docx_bytes, pdf_bytes, xlsx_bytes

TOKEN = "s3cret-token"


@pytest.fixture
def q(settings: Settings, clock: FixedClock, e5_embedder: Any, tmp_path: Path) -> Iterator[Qunmi]:
    settings = settings.model_copy(
        update={"chroma": ChromaSettings(path=tmp_path / "chroma"), "max_file_mb": 1}
    )
    qunmi = bootstrap(settings, clock=clock, embedder=e5_embedder)
    with qunmi.uow_factory() as uow:
        admin = uow.members.add(Member(display_name="张伟", role=Role.ADMIN, created_at=NOW))
        wang = uow.members.add(Member(display_name="王磊", created_at=NOW))
        uow.members.add(Member(display_name="外人", created_at=NOW))
        uow.projects.add(
            Project(name="官网改版", owner_id=admin.id, member_ids=[wang.id or 0], created_at=NOW)
        )
        uow.projects.add(Project(name="支付对接", owner_id=admin.id, created_at=NOW))
        uow.commit()
    try:
        yield qunmi
    finally:
        qunmi.close()


def _add(
    lib: DocumentLibrary, name: str, data: bytes, who: str = "王磊", project: str = "官网改版"
) -> Any:
    return lib.add(lib.stage([data]), name=name, uploader=who, project=project)


def test_upload_versions_folders_index_and_ask(q: Qunmi, clock: FixedClock) -> None:
    lib = q.documents
    assert lib is not None and q.memory is not None
    first, new = _add(lib, "登录页设计稿_v1.docx", docx_bytes(["登录页视觉稿", "扫码登录入口"]))
    assert new and first.version == 1 and first.folder == "设计稿" and first.is_latest
    assert lib.path_of(first).read_bytes().startswith(b"PK")
    # The same bytes again add nothing; new bytes under a marked name are version 2.
    again, new = _add(lib, "登录页设计稿(1).docx", docx_bytes(["登录页视觉稿", "扫码登录入口"]))
    assert not new and again.id == first.id
    clock.advance(timedelta(days=2))
    second, new = _add(
        lib, "登录页设计稿_终稿.docx", docx_bytes(["登录页视觉稿终版", "扫码登录与短信登录"])
    )
    assert new and second.version == 2 and second.is_latest
    versions = lib.versions(second.id)
    assert [(d.version, d.is_latest) for d in versions] == [(2, True), (1, False)]
    clock.advance(timedelta(hours=1))
    report = _add(
        lib,
        "回归测试报告.xlsx",
        xlsx_bytes([["用例", "结果"], ["登录页扫码登录", "通过"], ["支付回调", "失败"]]),
    )[0]
    assert report.folder == "测试报告" and report.text and "支付回调 | 失败" in report.text
    pdf = _add(
        lib, "scan.pdf", pdf_bytes("Payment contract signed"), project="支付对接", who="张伟"
    )
    assert pdf[0].text == "Payment contract signed" and pdf[0].folder == "合同"
    image = _add(lib, "首页截图.png", b"\x89PNG\r\n\x1a\n" + b"0" * 100)[0]
    # A picture that no word places is taken for a design draft (an unreadable one: no text).
    assert image.text is None and image.folder == "设计稿"

    # Moving a document moves every version of it.
    moved = lib.move(image.id, "其他", actor="王磊")
    assert moved.folder == "其他"
    listed = lib.list(project="官网改版")
    assert {d.name for d in listed} == {
        "登录页设计稿_终稿.docx",
        "回归测试报告.xlsx",
        "首页截图.png",
    }
    assert [d.name for d in lib.list(project="官网改版", folder="测试报告")] == [
        "回归测试报告.xlsx"
    ]
    assert len(lib.list(project="官网改版", all_versions=True)) == 4

    assert q.memory.indexer.drain().vector_error is None
    stats = q.memory.indexer.stats()
    assert stats.docs_by_kind.get("file", 0) >= 5
    # A rebuild from SQL makes the same file passages again.
    assert q.memory.indexer.rebuild().vector_error is None
    assert q.memory.indexer.stats().docs_by_kind["file"] == stats.docs_by_kind["file"]

    answer = q.memory.ask("找一下登录页的设计稿", filters=DocFilter(), now=clock.now())
    assert answer.found
    top = answer.sources[0]
    assert (top.kind, top.record_id) == ("file", second.id)  # the latest version first
    assert "第2版（最新版）" in answer.text and f"/files/{second.id}" in answer.text
    latest_report = q.memory.ask("最新的测试报告发我", filters=DocFilter(), now=clock.now())
    assert latest_report.found and latest_report.sources[0].record_id == report.id
    # The earlier version is still found, marked as such.
    hits = q.memory.search("登录页设计稿", filters=DocFilter(kinds=("file",)), limit=10).hits
    by_id = {h.doc.record_id: h.doc.text for h in hits}
    assert "旧版本" in by_id[first.id] and "最新版" in by_id[second.id]
    # An image has no text but is found by its name.
    found = q.memory.search("首页截图", filters=DocFilter(kinds=("file",)), limit=3).hits
    assert found and found[0].doc.record_id == image.id


def test_limits_and_bad_input_are_refused_in_chinese(q: Qunmi) -> None:
    lib = q.documents
    assert lib is not None
    with pytest.raises(FileTooLarge, match="文件太大"):
        lib.stage([b"x" * (512 * 1024)] * 3)
    assert not any((lib.root / "tmp").iterdir())  # nothing half-written is kept
    with pytest.raises(InvalidInput, match="文件是空的"):
        lib.stage([b""])
    with pytest.raises(InvalidInput, match="文件名不能为空"):
        _add(lib, "  ", b"hello")
    with pytest.raises(NotFound, match="找不到项目"):
        _add(lib, "a.txt", b"hello", project="不存在的项目")
    with pytest.raises(PermissionDenied, match="不是项目「官网改版」的成员"):
        _add(lib, "a.txt", b"hello", who="外人")
    doc = _add(lib, "需求.md", "# 登录页需求".encode())[0]
    with pytest.raises(InvalidInput, match="没有文件夹"):
        lib.move(doc.id, "杂物", actor="王磊")
    with pytest.raises(PermissionDenied):
        lib.get(doc.id, reader="外人")
    with pytest.raises(NotFound, match="找不到文件"):
        lib.get(999, reader="张伟")
    assert not any((lib.root / "tmp").iterdir())


def _token(client: TestClient, member: str) -> dict[str, str]:
    r = client.post(
        "/tokens", json={"member": member}, headers={"Authorization": f"Bearer {TOKEN}"}
    )
    assert r.status_code == 201, r.text
    return {"Authorization": f"Bearer {r.json()['token']}"}


def test_files_over_http(q: Qunmi, clock: FixedClock) -> None:
    q.settings = q.settings.model_copy(update={"api_token": SecretStr(TOKEN)})
    with TestClient(create_app(q, start_worker=False)) as client:
        wang, outsider = _token(client, "王磊"), _token(client, "外人")
        design = docx_bytes(["登录页视觉稿", "扫码登录入口"])
        r = client.post(
            "/files",
            files={"file": ("登录页设计稿_v1.docx", design)},
            data={"project": "官网改版"},
            headers=wang,
        )
        assert r.status_code == 201, r.text
        first = r.json()
        assert (first["folder"], first["version"], first["new"]) == ("设计稿", 1, True)
        with q.uow_factory() as uow:
            uploader = uow.members.by_display_name("王磊")
        assert uploader is not None and first["uploaded_by_id"] == uploader.id
        again = client.post(
            "/files",
            files={"file": ("登录页设计稿(1).docx", design)},
            data={"project": "官网改版"},
            headers=wang,
        )
        assert again.status_code == 200 and again.json()["id"] == first["id"]
        clock.advance(timedelta(days=1))
        r = client.post(
            "/files",
            files={"file": ("登录页设计稿_v2.docx", docx_bytes(["登录页视觉稿第二版"]))},
            data={"project": "官网改版"},
            headers=wang,
        )
        second = r.json()
        assert r.status_code == 201 and second["version"] == 2 and second["is_latest"]

        download = client.get(f"/files/{second['id']}", headers=wang)
        assert download.status_code == 200 and download.content.startswith(b"PK")
        assert "attachment" in download.headers["content-disposition"]
        assert client.get(f"/files/{second['id']}", headers=outsider).status_code == 403
        versions = client.get(f"/files/{second['id']}/versions", headers=wang).json()["items"]
        assert [(v["version"], v["is_latest"]) for v in versions] == [(2, True), (1, False)]

        moved = client.patch(f"/files/{second['id']}", json={"folder": "需求文档"}, headers=wang)
        assert moved.status_code == 200 and moved.json()["folder"] == "需求文档"
        listed = client.get(
            "/files", params={"project": "官网改版", "all_versions": True}, headers=wang
        )
        assert {i["folder"] for i in listed.json()["items"]} == {"需求文档"}
        assert len(client.get("/files", headers=wang).json()["items"]) == 1
        assert client.get("/files", headers=outsider).json()["items"] == []  # not their project
        denied = client.get("/files", params={"project": "官网改版"}, headers=outsider)
        assert denied.status_code == 403

        # Refusals: Chinese reasons, 4xx, never a 500.
        bad_folder = client.patch(f"/files/{second['id']}", json={"folder": "杂物"}, headers=wang)
        assert bad_folder.status_code == 422 and "没有文件夹" in bad_folder.json()["reason"]
        too_big = client.post(
            "/files", files={"file": ("大文件.txt", b"x" * (1024 * 1024 + 10))}, headers=wang
        )
        assert too_big.status_code == 413 and "文件太大" in too_big.json()["reason"]
        huge = client.post(
            "/files", files={"file": ("巨大.txt", b"x" * (3 * 1024 * 1024))}, headers=wang
        )
        assert huge.status_code == 413 and "太大" in huge.json()["reason"]
        empty = client.post("/files", files={"file": ("空.txt", b"")}, headers=wang)
        assert empty.status_code == 422 and "空" in empty.json()["reason"]
        no_file = client.post("/files", data={"project": "官网改版"}, headers=wang)
        assert no_file.status_code == 422
        stranger = client.post(
            "/files",
            files={"file": ("a.txt", b"hi")},
            data={"project": "官网改版"},
            headers=outsider,
        )
        assert stranger.status_code == 403 and "不是项目" in stranger.json()["reason"]
        unknown = client.post(
            "/files", files={"file": ("a.txt", b"hi")}, data={"project": "无此项目"}, headers=wang
        )
        assert unknown.status_code == 404 and "找不到项目" in unknown.json()["reason"]
        assert client.get("/files/99999", headers=wang).status_code == 404
        assert client.post("/files", files={"file": ("a.txt", b"hi")}).status_code == 401

        assert q.memory is not None and q.memory.indexer.drain().vector_error is None
        asked = client.post("/ask", json={"question": "登录页的设计稿在哪"}, headers=wang).json()
        assert asked["found"] and asked["sources"][0]["id"] == second["id"]
        assert asked["sources"][0]["link"] == f"/files/{second['id']}"


def test_files_cli(database_url: str, tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    from typer.testing import CliRunner

    from assistant.cli import app
    from tests.openai_server import scripted_server

    with scripted_server() as server:
        monkeypatch.chdir(tmp_path)
        monkeypatch.setenv("QUNMI_DATA_DIR", str(tmp_path / "data"))
        monkeypatch.setenv("QUNMI_DATABASE_URL", database_url)
        monkeypatch.setenv("QUNMI_ENGINE", "rules")
        monkeypatch.setenv("QUNMI_CHROMA__PATH", str(tmp_path / "chroma"))
        monkeypatch.setenv("QUNMI_EMBEDDINGS__BASE_URL", server.base_url)
        monkeypatch.setenv("QUNMI_EMBEDDINGS__MODEL", "emb-1")
        setup = bootstrap(Settings())
        with setup.uow_factory() as uow:
            admin = uow.members.add(Member(display_name="张伟", role=Role.ADMIN, created_at=NOW))
            uow.members.add(Member(display_name="外人", created_at=NOW))
            uow.projects.add(Project(name="官网改版", owner_id=admin.id, created_at=NOW))
            uow.commit()
        setup.close()
        plan = tmp_path / "测试计划_v1.md"
        plan.write_text("# 登录页回归测试\n扫码登录：通过", encoding="utf-8")
        runner = CliRunner()
        now = "2026-11-25T10:00:00+08:00"
        added = runner.invoke(
            app, ["files", "add", str(plan), "--project", "官网改版", "--now", now, "--json"]
        )
        assert added.exit_code == 0, added.output
        first = json.loads(added.stdout)
        assert (first["folder"], first["version"], first["new"]) == ("测试报告", 1, True)
        plan2 = tmp_path / "测试计划_v2.md"
        plan2.write_text("# 登录页回归测试\n扫码登录：通过\n短信登录：失败", encoding="utf-8")
        later = "2026-11-26T10:00:00+08:00"
        second = runner.invoke(
            app,
            [
                "files",
                "add",
                str(plan2),
                "-p",
                "官网改版",
                "--as",
                "张伟",
                "--now",
                later,
                "--json",
            ],
        )
        assert second.exit_code == 0, second.output
        assert json.loads(second.stdout)["version"] == 2
        listed = runner.invoke(app, ["files", "list", "--project", "官网改版", "--json"])
        items = json.loads(listed.stdout)["items"]
        assert [(i["name"], i["version"]) for i in items] == [("测试计划_v2.md", 2)]
        moved = runner.invoke(app, ["files", "move", str(first["id"]), "需求文档", "--json"])
        assert moved.exit_code == 0 and json.loads(moved.stdout)["folder"] == "需求文档"
        table = runner.invoke(app, ["files", "list", "--all-versions"])
        assert table.exit_code == 0 and "测试计划_v1.md" in table.stdout
        found = runner.invoke(
            app, ["search", "短信登录", "--kind", "file", "--json", "--now", later]
        )
        hits = json.loads(found.stdout)["hits"]
        assert hits and hits[0]["kind"] == "file" and "第2版（最新版）" in hits[0]["text"]

        refused = runner.invoke(app, ["files", "add", str(plan), "-p", "官网改版", "--as", "外人"])
        assert refused.exit_code == 1 and "不是项目" in refused.stderr
        missing = runner.invoke(app, ["files", "add", str(tmp_path / "nope.pdf")])
        assert missing.exit_code == 1 and "找不到文件" in missing.stderr
        wrong = runner.invoke(app, ["files", "move", str(first["id"]), "杂物"])
        assert wrong.exit_code == 1 and "没有文件夹" in wrong.stderr


def test_wecom_file_message_is_kept_in_the_folder_and_found(
    settings: Settings, clock: FixedClock, e5_embedder: Any, tmp_path: Path
) -> None:
    from assistant.services.worker import InProcessWorker
    from tests.doubles import RecordingNotifier
    from tests.integration.test_wecom_callbacks import wecom_settings
    from tests.wecom_fakes import FakeWeComAPI, ScriptedWeCom, app_xml

    design = docx_bytes(["登录页视觉稿终版", "扫码登录入口放在右上角"])
    api = FakeWeComAPI(media={"media-9": design}, directory={})
    q = bootstrap(
        wecom_settings(settings).model_copy(update={"chroma": ChromaSettings(path=tmp_path / "c")}),
        clock=clock,
        notifier=RecordingNotifier(),
        wecom_transport=api.transport(),
        embedder=e5_embedder,
    )
    try:
        with TestClient(create_app(q, start_worker=False, seed_demo=False)) as client:
            client.post("/members", json={"display_name": "王磊", "wecom_userid": "wanglei"})
            wecom = ScriptedWeCom(now=int(NOW.timestamp()))
            xml = app_xml(
                sender="wanglei",
                msg_type="file",
                create_time=wecom.now,
                msg_id="9101",
                MediaId="media-9",
                Title="登录页设计稿_终稿.docx",
            )
            for _ in range(2):  # WeCom redelivers: one file, kept once
                url, body = wecom.app_post(xml)
                assert client.post(url, content=body).status_code == 200
            assert InProcessWorker(q.processor).drain() == 1
        assert q.documents is not None
        kept = q.documents.list()
        assert [(d.name, d.folder, d.version) for d in kept] == [
            ("登录页设计稿_终稿.docx", "设计稿", 1)
        ]
        assert q.documents.path_of(kept[0]).read_bytes() == design
        with q.uow_factory() as uow:
            message = uow.messages.list(filters={"kind": "file"}).items[0]
        assert message.payload["document_id"] == kept[0].id
        assert "已存入文件夹「设计稿」" in str(message.result)
        assert q.memory is not None and q.memory.indexer.drain().vector_error is None
        answer = q.memory.ask("找一下登录页的设计稿", filters=DocFilter(), now=clock.now())
        assert answer.found and answer.sources[0].kind == "file"
        assert answer.sources[0].record_id == kept[0].id
    finally:
        q.close()


def test_asking_in_the_chat_answers_with_the_file(q: Qunmi, clock: FixedClock) -> None:
    from assistant.services.inbox import Inbound

    lib = q.documents
    assert lib is not None and q.memory is not None
    _add(lib, "登录页设计稿_v1.docx", docx_bytes(["登录页视觉稿", "扫码登录入口"]))
    clock.advance(timedelta(days=1))
    latest = _add(lib, "登录页设计稿_v2.docx", docx_bytes(["登录页视觉稿终版"]))[0]
    report = _add(lib, "回归测试报告.md", "# 回归测试\n登录：通过".encode())[0]
    assert q.memory.indexer.drain().vector_error is None
    with q.uow_factory() as uow:
        wang = uow.members.by_display_name("王磊")
        project = uow.projects.by_name("官网改版")
        assert project is not None
        # The project's own group: its people may all read its files (an answer in a group
        # stands only on what everyone in it may read, docs/permissions.md).
        uow.chats.add(
            Chat(
                name="官网群",
                channel="test",
                external_id="官网群",
                project_id=project.id,
                created_at=NOW,
            )
        )
        uow.commit()
    assert wang is not None
    replies = {}
    for text in ("找一下登录页的设计稿", "最新的测试报告发我"):
        clock.advance(timedelta(minutes=5))
        # 王磊 signed in (the project's files are for its members: docs/permissions.md).
        message, _ = q.inbox.receive(
            Inbound(
                channel="test",
                chat="官网群",
                sender="王磊",
                text=text,
                received_at=clock.now(),
                sender_id=wang.id,
            )
        )
        assert message.id is not None
        outcome = q.processor.process(message.id)
        assert [a["tool"] for a in outcome.actions] == ["ask"]
        replies[text] = outcome.cards[0]["text"]
    design = replies["找一下登录页的设计稿"]
    assert "「登录页设计稿_v2.docx」第2版（最新版）" in design and f"/files/{latest.id}" in design
    assert design.index("第2版") < design.index("第1版")  # the latest version first
    assert "「回归测试报告.md」" in replies["最新的测试报告发我"]
    assert f"/files/{report.id}" in replies["最新的测试报告发我"]


def test_concurrent_uploads_of_one_document_get_distinct_versions(q: Qunmi) -> None:
    from concurrent.futures import ThreadPoolExecutor

    lib = q.documents
    assert lib is not None

    def upload(n: int) -> int:
        return int(_add(lib, f"接口需求_v{n}.md", f"# 接口需求\n第{n}稿".encode())[0].version)

    with ThreadPoolExecutor(max_workers=4) as pool:
        versions = sorted(pool.map(upload, range(1, 7)))
    assert versions == [1, 2, 3, 4, 5, 6]
    latest = [d for d in lib.list(project="官网改版", all_versions=True) if d.is_latest]
    assert [d.version for d in latest] == [6]
