"""A project's owner is its PM by an explicit role, not by owning it: an admin can take the role
away; the project can be handed over ("把项目负责人改成X"), which is a role change (judged as one,
held for “确认” from the chat, undoable as one); old databases get their owners' role once."""

from __future__ import annotations

import json
from collections.abc import Iterator
from typing import Any

import pytest

from assistant.bootstrap import Qunmi, bootstrap
from assistant.clock import FixedClock
from assistant.domain import Chat, Member, Project, Role, ToolCall
from assistant.services.inbox import Inbound, Outcome
from assistant.services.roster import owners_are_pms
from assistant.settings import Settings
from tests.conftest import NOW
from tools.executor import CallContext

CHAT = "官网改版群"
PROJECT = "官网改版"
BUDGET = 480000


@pytest.fixture
def app(settings: Settings, clock: FixedClock) -> Iterator[Qunmi]:
    """The rule engine; 陈静 admin, 张三 PM (team-wide role member), 王磊 / 李四 / 赵六 members.
    张三 creates 官网改版 in the chat with a budget, owned by 王磊."""
    q = bootstrap(settings, clock=clock)
    with q.uow_factory() as uow:
        ids = [
            uow.members.add(Member(display_name=n, role=r, created_at=NOW)).id
            for n, r in (
                ("陈静", Role.ADMIN),
                ("张三", Role.PM),
                ("王磊", Role.MEMBER),
                ("李四", Role.MEMBER),
                ("赵六", Role.MEMBER),
            )
        ]
        chat = uow.chats.add(
            Chat(
                name=CHAT,
                channel="console",
                external_id=CHAT,
                member_ids=[i for i in ids if i is not None],
                created_at=NOW,
            )
        )
        uow.commit()
    made = q.executor.execute(
        ToolCall(
            "create_project",
            {"name": PROJECT, "owner": "王磊", "budget": BUDGET, "members": ["李四", "赵六"]},
        ),
        CallContext(actor="张三", chat_id=chat.id),
    )
    assert made.ok, made.error
    yield q
    q.close()


def _say(q: Qunmi, sender: str, text: str) -> Outcome:
    message, _ = q.inbox.receive(Inbound(channel="console", chat=CHAT, sender=sender, text=text))
    assert message.id is not None
    return q.processor.process(message.id)


def _as(q: Qunmi, actor: str, tool: str, **args: Any) -> dict[str, Any]:
    with q.uow_factory() as uow:
        chat = uow.chats.list(filters={}, limit=1).items[0]
    return q.executor.execute(
        ToolCall(tool, dict(args)), CallContext(actor=actor, chat_id=chat.id)
    ).to_dict()


def _project(q: Qunmi) -> Project:
    with q.uow_factory() as uow:
        project = uow.projects.by_name(PROJECT)
    assert project is not None
    return project


def _role(q: Qunmi, name: str) -> str | None:
    with q.uow_factory() as uow:
        member = uow.members.by_display_name(name)
        project = uow.projects.by_name(PROJECT)
        assert member is not None and member.id is not None
        assert project is not None and project.id is not None
        return uow.projects.role_of(project.id, member.id)


def _owner(q: Qunmi) -> str:
    with q.uow_factory() as uow:
        project = uow.projects.by_name(PROJECT)
        assert project is not None and project.owner_id is not None
        owner = uow.members.get(project.owner_id)
    assert owner is not None
    return owner.display_name


def _cards(outcome: Outcome) -> str:
    return json.dumps(outcome.cards, ensure_ascii=False)


def test_the_owner_is_pm_by_role_and_an_admin_can_take_it_away(app: Qunmi) -> None:
    """Regression (issue 13): the owner counted as PM whatever their project role said."""
    assert _owner(app) == "王磊" and _role(app, "王磊") == "pm"
    assert _as(app, "王磊", "query", kind="budget")["ok"]  # a PM sees the budget
    assert _as(app, "王磊", "add_member", member="李四", role="pm", project=PROJECT)["ok"]
    # The admin sets the owner to a plain member of the project.
    assert _as(app, "陈静", "add_member", member="王磊", role="member", project=PROJECT)["ok"]
    assert _owner(app) == "王磊" and _role(app, "王磊") == "member"
    refused = _as(app, "王磊", "query", kind="budget")
    assert not refused["ok"] and refused["error"]["code"] == "permission_denied"
    refused = _as(app, "王磊", "add_member", member="赵六", role="pm", project=PROJECT)
    assert not refused["ok"] and refused["error"]["code"] == "permission_denied"
    assert _role(app, "赵六") == "member"
    # Still the owner: they may move their own project's deadline (the matrix's owner row).
    assert _as(app, "王磊", "update_project", deadline="2027-01-15T18:00:00+08:00")["ok"]


def test_handover_from_the_chat_waits_for_confirmation(app: Qunmi) -> None:
    asked = _say(app, "张三", "把项目负责人改成李四")
    assert [r["kind"] for r in asked.results] == ["pending"]
    assert "负责人改为 李四" in _cards(asked) and "确认" in _cards(asked)
    assert _owner(app) == "王磊" and _role(app, "李四") == "member"
    # A plain member can neither confirm it nor use it up.
    denied = _say(app, "赵六", "确认")
    assert not denied.results and "不能确认" in _cards(denied)
    confirmed = _say(app, "张三", "确认")
    assert [r["ok"] for r in confirmed.results] == [True]
    assert _owner(app) == "李四" and _role(app, "李四") == "pm"
    assert _role(app, "王磊") == "pm"  # the previous owner keeps their role until changed
    assert _as(app, "李四", "query", kind="budget")["ok"]


def test_handover_is_judged_as_a_role_change(app: Qunmi) -> None:
    # A member cannot hand the project over, nor take it (refused at once, not held).
    for actor, owner in (("赵六", "李四"), ("赵六", "赵六"), ("李四", "李四")):
        result = _as(app, actor, "update_project", owner=owner)
        assert not result["ok"] and result["error"]["code"] == "permission_denied", (actor, owner)
    outcome = _say(app, "赵六", "项目负责人改为赵六")
    assert outcome.results and not outcome.results[0]["ok"]
    assert "负责人" in _cards(outcome) and _owner(app) == "王磊"
    # The project's PM cannot hand it to an admin (a change of an admin's roles).
    result = _as(app, "王磊", "update_project", owner="陈静")
    assert not result["ok"] and result["error"]["code"] == "permission_denied"
    # The PM hands it on; the admin may take it over themselves (they gain nothing by it).
    assert _as(app, "王磊", "update_project", owner="李四")["ok"]
    assert _owner(app) == "李四" and _role(app, "李四") == "pm"
    assert _as(app, "陈静", "update_project", owner="陈静")["ok"] and _owner(app) == "陈静"


def test_undoing_a_handover_gives_the_role_back(app: Qunmi) -> None:
    handed = _as(app, "王磊", "update_project", owner="李四")
    assert handed["ok"] and _role(app, "李四") == "pm"
    # The new owner cannot undo the handover made by someone else (not their entry).
    assert not app.executor.undo(int(handed["audit_id"]), actor="李四").ok
    undone = app.executor.undo(int(handed["audit_id"]), actor="王磊")
    assert undone.ok, undone.error
    assert _owner(app) == "王磊" and _role(app, "李四") == "member"


def test_a_handover_to_someone_outside_the_project_adds_them_and_undo_removes_them(
    app: Qunmi,
) -> None:
    with app.uow_factory() as uow:
        uow.members.add(Member(display_name="孙七", created_at=NOW))
        uow.commit()
    handed = _as(app, "陈静", "update_project", owner="孙七")
    assert handed["ok"] and _role(app, "孙七") == "pm"
    assert app.executor.undo(int(handed["audit_id"]), actor="陈静").ok
    assert _role(app, "孙七") is None and _owner(app) == "王磊"


def test_old_databases_get_their_owners_role_once(settings: Settings, clock: FixedClock) -> None:
    """A project stored before per-project roles: its owner is a plain member row. The first
    start gives the owner the PM role; a later change by an admin is not overruled."""
    q = bootstrap(settings, clock=clock)
    try:
        with q.uow_factory() as uow:
            owner = uow.members.add(Member(display_name="王磊", created_at=NOW))
            other = uow.members.add(Member(display_name="李四", created_at=NOW))
            assert owner.id is not None and other.id is not None
            uow.projects.add(
                Project(name="老项目", owner_id=owner.id, member_ids=[other.id], created_at=NOW)
            )
            uow.commit()
        # The marker of this database was written at bootstrap: run the fix as on an old one.
        with q.uow_factory() as uow:
            marker = uow.jobs.list(filters={"kind": "data_fix:owners_are_pms"}, limit=5).items
        assert len(marker) == 1
        from storage.unit_of_work import make_engine, make_uow_factory

        engine = make_engine(settings.resolved_database_url)
        fresh = make_uow_factory(engine)
        with fresh() as uow:
            job = uow.jobs.get(int(marker[0].id or 0))
            assert job is not None
            job.kind = "data_fix:done_before"
            uow.jobs.update(job)
            uow.commit()
        assert owners_are_pms(fresh, clock) == 1
        with fresh() as uow:
            project = uow.projects.by_name("老项目")
            assert project is not None and project.id is not None
            assert uow.projects.role_of(project.id, owner.id) == "pm"
            assert uow.projects.role_of(project.id, other.id) == "member"
            uow.projects.set_role(project.id, owner.id, "member")  # an admin's later change
            uow.commit()
        assert owners_are_pms(fresh, clock) == 0
        with fresh() as uow:
            assert uow.projects.role_of(project.id, owner.id) == "member"
        engine.dispose()
    finally:
        q.close()
