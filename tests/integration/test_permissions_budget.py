"""Budgets only for the project's PM and admins: on the memory's answers (real index, real e5
model, real Chroma) and on the records the executor returns."""

from __future__ import annotations

import json
from datetime import timedelta
from typing import Any

from assistant.bootstrap import bootstrap
from assistant.clock import FixedClock
from assistant.domain import MessageState, Role, ToolCall
from assistant.services.inbox import Inbound
from assistant.settings import ChromaSettings, Settings
from tools.executor import CallContext

HISTORY = [
    ("张伟", "官网改版的预算定了48万，目前已经花了12万元"),
    ("王磊", "设计稿v2放在共享盘 /设计/官网/首页_v2.fig"),
    ("张伟", "官网改版预算的事下周一再开会对一下"),
]


def test_budget_passages_are_not_answered_to_members(
    settings: Settings, clock: FixedClock, e5_embedder: Any, tmp_path: Any
) -> None:
    settings = settings.model_copy(update={"chroma": ChromaSettings(path=tmp_path / "chroma")})
    q = bootstrap(settings, clock=clock, embedder=e5_embedder)
    try:
        for sender, text in HISTORY:
            clock.advance(timedelta(minutes=5))
            message, _ = q.inbox.receive(
                Inbound(
                    channel="test", chat="官网群", sender=sender, text=text, received_at=clock.now()
                )
            )
            assert message.id is not None
            assert q.processor.process(message.id).state == MessageState.DONE
        with q.uow_factory() as uow:
            boss = uow.members.by_display_name("张伟")
            assert boss is not None
            boss.role = Role.PM
            uow.members.update(boss)
            uow.commit()
        assert q.memory is not None
        q.memory.indexer.drain()

        def ask(actor: str) -> str:
            result = q.executor.execute(
                ToolCall("ask", {"question": "官网改版预算是多少"}), CallContext(actor=actor)
            )
            assert result.ok, result.error
            return json.dumps(result.summary, ensure_ascii=False)

        pm = ask("张伟")
        assert "48万" in pm
        member = ask("王磊")
        assert "48万" not in member and "12万" not in member
        assert (
            "下周一再开会" in member or "没找到" in member
        )  # the passage without figures may show

        # The same over REST: /search and /ask read as the authenticated person.
        from fastapi.testclient import TestClient

        from api.app import create_app

        with TestClient(create_app(q, start_worker=False)) as client:

            def rest(path: str, params: dict[str, str]) -> str:
                r = client.get(path, params=params)
                assert r.status_code == 200, r.text
                return r.text

            assert "48万" in rest("/search", {"q": "官网改版预算", "actor": "张伟"})
            found = rest("/search", {"q": "官网改版预算", "actor": "王磊"})
            assert "48万" not in found and "12万" not in found
            r = client.post("/ask", json={"question": "官网改版预算是多少", "asker": "王磊"})
            assert r.status_code == 200 and "48万" not in r.text and "12万" not in r.text
            r = client.post("/ask", json={"question": "官网改版预算是多少", "asker": "张伟"})
            assert r.status_code == 200 and "48万" in r.text
    finally:
        q.close()


def test_cli_shows_budgets_only_to_the_pm_and_admins(tmp_path: Any, monkeypatch: Any) -> None:
    from typer.testing import CliRunner

    from assistant.cli import app
    from assistant.settings import Settings as LiveSettings

    monkeypatch.setenv("QUNMI_DATA_DIR", str(tmp_path / "data"))
    monkeypatch.delenv("QUNMI_DATABASE_URL", raising=False)
    monkeypatch.setenv("QUNMI_ENGINE", "rules")
    monkeypatch.chdir(tmp_path)
    runner = CliRunner()

    def run(*args: str) -> str:
        result = runner.invoke(app, list(args))
        assert result.exit_code == 0, result.output
        return result.output

    run("members", "add", "张三", "--role", "pm")
    run("members", "add", "王磊")
    run("projects", "create", "官网改版", "--as", "张三", "--member", "王磊")
    q = bootstrap(LiveSettings())
    try:
        done = q.executor.execute(
            ToolCall("update_project", {"project": "官网改版", "budget": 480000, "spent": 1200}),
            CallContext(actor="张三"),
        )
        assert done.ok, done.error
    finally:
        q.close()
    for who in (None, "王磊"):
        args = ["projects", "list", "--json", *(["--as", who] if who else [])]
        shown = json.loads(run(*args))
        assert "budget" not in shown[0] and "480000" not in json.dumps(shown)
        assert "480000" not in run("projects", "list", *(["--as", who] if who else []))
    assert json.loads(run("projects", "list", "--json", "--as", "张三"))[0]["budget"] == 480000
    assert "480000" not in run("audit", "list", "--json") and "480000" not in run("audit", "list")


def test_rest_records_and_audit_carry_no_budget(settings: Settings, clock: FixedClock) -> None:
    from fastapi.testclient import TestClient

    from api.app import create_app
    from assistant.domain import Member

    q = bootstrap(settings, clock=clock)
    try:
        with q.uow_factory() as uow:
            uow.members.add(Member(display_name="张三", role=Role.PM, created_at=clock.now()))
            uow.commit()
        made = q.executor.execute(
            ToolCall("create_project", {"name": "官网改版", "budget": 480000}),
            CallContext(actor="张三"),
        )
        assert made.ok and made.record is not None and made.record["budget"] == 480000
        with TestClient(create_app(q, start_worker=False)) as client:
            token = q.settings.api_token
            headers = {"Authorization": f"Bearer {token.get_secret_value()}"} if token else {}
            for path in ("/projects", f"/projects/{made.record['id']}", "/audit"):
                response = client.get(path, headers=headers)
                assert response.status_code == 200, response.text
                assert "480000" not in response.text
    finally:
        q.close()


def test_chat_digest_leaves_budget_figures_out_for_members(
    settings: Settings, clock: FixedClock
) -> None:
    q = bootstrap(settings, clock=clock)
    try:
        said = [
            ("张伟", "决定：官网改版预算定为48万元，本周先花5万做设计"),
            ("王磊", "决定：首页主色调改为品牌绿"),
        ]
        chat_id = None
        for sender, text in said:
            clock.advance(timedelta(minutes=5))
            message, _ = q.inbox.receive(
                Inbound(
                    channel="test", chat="官网群", sender=sender, text=text, received_at=clock.now()
                )
            )
            assert message.id is not None
            q.processor.process(message.id)
            chat_id = message.chat_id
        with q.uow_factory() as uow:
            boss = uow.members.by_display_name("张伟")
            assert boss is not None
            boss.role = Role.PM
            uow.members.update(boss)
            uow.commit()
        since = (clock.now() - timedelta(hours=1)).isoformat()

        def digest(actor: str) -> str:
            result = q.executor.execute(
                ToolCall("summarize", {"since": since}), CallContext(actor=actor, chat_id=chat_id)
            )
            assert result.ok, result.error
            return json.dumps(result.summary, ensure_ascii=False)

        assert "48万" in digest("张伟")
        member = digest("王磊")
        assert "48万" not in member and "品牌绿" in member
    finally:
        q.close()
