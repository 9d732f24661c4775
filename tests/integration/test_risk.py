"""Delay risk end to end: a team history driven through the executor, retraining, ranking,
reasons naming the planted causes, the chat query, ``GET /risk`` and the CLI contract."""

from __future__ import annotations

import json
from collections.abc import Iterator
from datetime import timedelta
from pathlib import Path

import pytest
from fastapi.testclient import TestClient
from typer.testing import CliRunner

from assistant.bootstrap import Qunmi, bootstrap
from assistant.clock import FixedClock
from assistant.domain import ToolCall
from assistant.services.inbox import Inbound
from assistant.services.risk_simulation import Simulation, simulate_history
from assistant.settings import Settings
from tests.conftest import NOW
from tools.executor import CallContext

PLANTED = {
    "overloaded": {"load", "record"},
    "moved": {"moved"},
    "silent": {"stale", "progress"},
    "blocked": {"blocked"},
}


@pytest.fixture(scope="module")
def team(tmp_path_factory: pytest.TempPathFactory) -> Iterator[tuple[Qunmi, Simulation]]:
    data = tmp_path_factory.mktemp("risk")
    settings = Settings(
        _env_file=None,  # type: ignore[call-arg]
        data_dir=data,
        database_url=f"sqlite:///{data / 'qunmi.db'}",
        engine="rules",
        console_url="",
    )
    clock = FixedClock(NOW)
    q = bootstrap(settings, clock=clock)
    sim = simulate_history(
        executor=q.executor, uow_factory=q.uow_factory, clock=clock, now=NOW, days=120
    )
    yield q, sim
    q.close()


def test_prior_speaks_until_there_is_history_then_the_trained_model(
    team: tuple[Qunmi, Simulation],
) -> None:
    q, sim = team
    assert q.risk is not None
    early = NOW - timedelta(days=85)
    report = q.risk.assess(now=early)
    assert report.model.kind == "prior" and report.model.finished_tasks < 50
    assert "先验" in report.model.note
    not_yet = q.risk.train(now=early)
    assert not not_yet.trained and "先验" in not_yet.reason
    assert q.risk.assess(now=NOW).model.kind == "prior"  # enough history, but never trained
    outcome = q.risk.train(now=NOW)
    assert outcome.trained and outcome.model is not None and outcome.model.version == 1
    assert outcome.model.finished_tasks == sim.finished >= 50
    assert q.risk.retrain_if_stale(now=NOW) is None  # nothing new has finished
    report = q.risk.assess(now=NOW)
    assert report.model.kind == "lightgbm" and report.model.version == 1


def test_planted_causes_rank_above_healthy_tasks_and_are_named(
    team: tuple[Qunmi, Simulation],
) -> None:
    q, sim = team
    assert q.risk is not None
    report = q.risk.assess(now=NOW)
    assert report.model.kind == "lightgbm"
    by_id = {t.task_id: t for t in report.tasks}
    showcase = [t for t in sim.tasks if t.showcase]
    healthy = [
        by_id[t.task_id].risk for t in showcase if t.cause == "healthy" and t.task_id in by_id
    ]
    planted = {
        t.cause: by_id[t.task_id]
        for t in showcase
        if t.cause != "healthy" and t.task_id in by_id and (t.due - NOW) < timedelta(days=2)
    }
    assert len(healthy) == 3 and set(planted) == set(PLANTED)
    for cause, risk in planted.items():
        assert risk.risk > max(healthy), (cause, risk.risk, healthy)
        assert risk.level in ("medium", "high")
        named = {r.factor for r in risk.reasons}
        assert named & PLANTED[cause], (cause, [r.text for r in risk.reasons])
        assert risk.suggestions, cause
    overloaded = planted["overloaded"]
    assert any("负责人手上还有" in r.text or "负责人以往" in r.text for r in overloaded.reasons)
    reassign = [s for s in overloaded.suggestions if s.action == "reassign"]
    assert reassign and reassign[0].calls[0]["args"]["assignee"] != "王磊"
    assert any("受阻" in r.text for r in planted["blocked"].reasons)
    assert any("截止时间已经改过3次" in r.text for r in planted["moved"].reasons)
    # Offered, never applied: the suggestions changed nothing in the store.
    with q.uow_factory() as uow:
        task = uow.tasks.get(overloaded.task_id)
        assert task is not None and task.assignee_id is not None
        assert uow.members.get(task.assignee_id).display_name == "王磊"  # type: ignore[union-attr]


def test_levels_for_alerts(team: tuple[Qunmi, Simulation]) -> None:
    q, _ = team
    assert q.risk is not None
    levels = q.risk.levels(now=NOW)
    report = q.risk.assess(now=NOW)
    assert levels == {t.task_id: t.level for t in report.tasks}


def test_chat_answers_which_tasks_may_slip(team: tuple[Qunmi, Simulation]) -> None:
    q, sim = team
    cards = []
    for text in ("哪些任务可能延期", "登录页设计稿会不会延期"):
        message, _ = q.inbox.receive(
            Inbound(channel="console", chat="官网改版群", sender="张三", text=text)
        )
        assert message.id is not None
        outcome = q.processor.process(message.id)
        assert not outcome.error
        cards.append(outcome.cards[0]["text"])
    listing, single = cards
    assert (
        listing.startswith("⏰")
        and "可能延期的任务" in listing
        and "原因：" in listing
        and "回复「" in listing
    )
    login = next(t for t in sim.tasks if t.showcase and t.title == "登录页设计稿")
    assert f"#{login.task_id}「登录页设计稿」的延期风险" in single and "原因：" in single
    assert "不会自动执行" in single


def test_suggested_call_applies_as_the_person_who_sends_it(team: tuple[Qunmi, Simulation]) -> None:
    q, sim = team
    assert q.risk is not None
    overloaded = next(t for t in sim.tasks if t.showcase and t.title == "登录页设计稿")
    risk = q.risk.assess(now=NOW, task_ids=[overloaded.task_id or 0]).tasks[0]
    for suggestion in risk.suggestions:
        call = suggestion.calls[0]
        result = q.executor.execute(ToolCall(call["tool"], call["args"]), CallContext(actor="张三"))
        assert result.ok, (suggestion, result.error)
        assert result.audit_id is not None  # audited and undoable like any change
        assert q.executor.undo(result.audit_id, actor="张三").ok


def test_get_risk_and_the_cli_contract(
    team: tuple[Qunmi, Simulation], monkeypatch: pytest.MonkeyPatch
) -> None:
    q, _ = team
    from api.app import create_app

    with TestClient(create_app(q, start_worker=False)) as client:
        body = client.get("/risk", params={"now": NOW.isoformat()}).json()
        assert client.get("/risk", params={"project": "没有这个项目"}).status_code == 404
        assert client.get("/risk", params={"now": "2026-11-25T10:00:00"}).status_code == 422
    assert set(body) == {"model", "tasks"} and body["model"]["kind"] == "lightgbm"
    risks = [t["risk"] for t in body["tasks"]]
    assert risks == sorted(risks, reverse=True) and all(0 <= r <= 1 for r in risks)
    first = body["tasks"][0]
    assert {
        "task_id",
        "title",
        "assignee",
        "due",
        "risk",
        "level",
        "reasons",
        "suggestions",
    } <= set(first)
    assert first["level"] in ("low", "medium", "high") and isinstance(first["reasons"][0], str)

    monkeypatch.setenv("QUNMI_DATA_DIR", str(q.settings.data_dir))
    monkeypatch.setenv("QUNMI_DATABASE_URL", q.settings.resolved_database_url)
    from assistant.cli import app

    runner = CliRunner()
    result = runner.invoke(
        app, ["risk", "--now", NOW.isoformat(), "--project", "官网改版", "--json"]
    )
    assert result.exit_code == 0, result.output
    assert json.loads(result.output) == body
    result = runner.invoke(app, ["risk", "--now", NOW.isoformat()])
    assert result.exit_code == 0 and "延期风险" in result.output and "模型 v1" in result.output
    result = runner.invoke(app, ["risk", "--now", "明天"])
    assert result.exit_code != 0 and "ISO 8601" in result.output


def test_store_adapters_on_every_backend(
    settings: Settings, clock: FixedClock, tmp_path: Path
) -> None:
    """The SQL history and the model versions, on SQLite and PostgreSQL."""
    from assistant.insight.risk.features import vector
    from assistant.insight.risk.history import TeamHistory
    from assistant.insight.risk.model import train_model

    q = bootstrap(settings, clock=clock)
    try:
        sim = simulate_history(
            executor=q.executor, uow_factory=q.uow_factory, clock=clock, now=NOW, days=40
        )
        assert q.risk is not None
        from storage.risk_history import SqlRiskModelStore, SqlTaskHistory

        records = SqlTaskHistory(q.db_engine).load()
        assert len(records.timelines) == len(sim.tasks)
        assert all(t.events and t.events[0].kind == "created" for t in records.timelines)
        scoring = SqlTaskHistory(q.db_engine).load(open_at=NOW)
        with_events = {t.id for t in scoring.timelines if t.events}
        assert with_events == {t.task_id for t in sim.open_tasks}
        examples = TeamHistory.build(records).examples()
        store = SqlRiskModelStore(q.db_engine)
        assert store.latest() is None
        model = train_model(
            [vector(e.observation) for e in examples],
            [e.late for e in examples],
            [e.group for e in examples],
            trained_at=NOW,
            finished_tasks=sim.finished,
        )
        first, second = store.save(model), store.save(model)
        assert (first.version, second.version) == (1, 2)
        latest = store.latest()
        assert latest is not None and latest.version == 2 and latest.booster == model.booster
        assert [v["version"] for v in store.versions()] == [1, 2]
    finally:
        q.close()
