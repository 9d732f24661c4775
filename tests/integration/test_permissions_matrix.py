"""The permission matrix, exhaustively: every tool × standing × ownership, the expected answer
generated from ``tools.permissions.MATRIX`` and compared with what the executor really does on
a real database (SQLite, and PostgreSQL for the same cases)."""

from __future__ import annotations

import itertools
from collections.abc import Callable, Iterator
from dataclasses import dataclass
from datetime import timedelta
from typing import Any

import pytest

from assistant.bootstrap import Qunmi, bootstrap
from assistant.clock import FixedClock
from assistant.domain import Chat, Member, Project, Role, Task, ToolCall
from assistant.settings import Settings
from tests.conftest import NOW
from tests.doubles import ScriptedEngine
from tools.executor import CallContext, ToolResult
from tools.permissions import MATRIX, TOOL_ACTIONS, Ownership

PROJECT = "官网改版"
OTHER_PROJECT = "小程序"
LATER = (NOW + timedelta(days=2)).replace(hour=18).isoformat()

# The five standings the matrix is tested with, and the member who holds each.
ROLES = {
    "admin": "陈静",  # team-wide admin
    "pm_here": "张三",  # PM of 官网改版 (project role)
    "pm_other": "赵六",  # PM of 小程序 only, a plain member of 官网改版
    "member": "王磊",  # plain member of 官网改版
    "outsider": "孙七",  # a team member outside 官网改版
}
OWNER_OF_OTHERS = "刘八"  # owns the "someone else's" records


@dataclass(frozen=True)
class World:
    q: Qunmi
    ids: dict[str, int]
    chat_id: int
    project_id: int


@pytest.fixture
def world(settings: Settings, clock: FixedClock) -> Iterator[World]:
    q = bootstrap(settings, clock=clock, engine=ScriptedEngine())
    with q.uow_factory() as uow:
        ids: dict[str, int] = {}
        for name in [*ROLES.values(), OWNER_OF_OTHERS, "备用管理员"]:
            role = Role.ADMIN if name in ("陈静", "备用管理员") else Role.MEMBER
            member = uow.members.add(Member(display_name=name, role=role, created_at=NOW))
            assert member.id is not None
            ids[name] = member.id
        inside = [ids[n] for n in ("陈静", "张三", "赵六", "王磊", OWNER_OF_OTHERS)]
        project = uow.projects.add(
            Project(name=PROJECT, owner_id=ids["陈静"], member_ids=inside, created_at=NOW)
        )
        other = uow.projects.add(
            Project(
                name=OTHER_PROJECT,
                owner_id=ids["陈静"],
                member_ids=[ids["陈静"], ids["赵六"]],
                created_at=NOW,
            )
        )
        assert project.id is not None and other.id is not None
        uow.projects.set_role(project.id, ids["张三"], "pm")
        uow.projects.set_role(other.id, ids["赵六"], "pm")
        chat = uow.chats.add(
            Chat(
                name="官网群",
                channel="console",
                external_id="官网群",
                project_id=project.id,
                member_ids=list(ids.values()),
                created_at=NOW,
            )
        )
        assert chat.id is not None
        uow.commit()
    yield World(q, ids, chat.id, project.id)
    q.close()


def run(world: World, actor: str, tool: str, **args: Any) -> ToolResult:
    return world.q.executor.execute(
        ToolCall(tool, dict(args)), CallContext(actor=actor, chat_id=world.chat_id)
    )


def must(result: ToolResult) -> dict[str, Any]:
    assert result.ok, result.error
    return result.record or {}


# -- records each case acts on ------------------------------------------------------------
def a_task(world: World, actor: str, ownership: Ownership, n: int) -> int:
    """A fresh task in 官网改版: the actor's own, someone else's, or nobody's."""
    with world.q.uow_factory() as uow:
        other = world.ids[OWNER_OF_OTHERS]
        me = world.ids[actor]
        assignee = {"own": me, "other": other, "unassigned": None}[ownership.value]
        task = uow.tasks.add(
            Task(
                title=f"任务{n}号",
                assignee_id=assignee,
                creator_id=me if ownership == Ownership.OWN else other,
                project_id=world.project_id,
                created_at=NOW,
            )
        )
        uow.commit()
    assert task.id is not None
    return task.id


def a_meeting(world: World, actor: str, ownership: Ownership, n: int) -> int:
    organizer = {"own": actor, "other": OWNER_OF_OTHERS, "unassigned": None}[ownership.value]
    record = must(
        run(
            world,
            "陈静",
            "create_meeting",
            title=f"会议{n}号",
            start=(NOW + timedelta(days=1, minutes=n)).isoformat(),
        )
    )
    with world.q.uow_factory() as uow:
        meeting = uow.meetings.get(record["id"])
        assert meeting is not None
        meeting.organizer_id = world.ids[organizer] if organizer else None
        uow.meetings.update(meeting)
        uow.commit()
    return int(record["id"])


def a_member(world: World, n: int, role: Role = Role.MEMBER) -> str:
    name = f"新人{n}号"
    with world.q.uow_factory() as uow:
        member = uow.members.add(Member(display_name=name, role=role, created_at=NOW))
        project = uow.projects.get(world.project_id)
        assert project is not None and member.id is not None
        project.member_ids.append(member.id)
        uow.projects.update(project)
        uow.commit()
    return name


# -- the cases: one call per (tool, variant), the actions it takes, how to build it -----------
Call = Callable[[World, str, Ownership, int], tuple[str, dict[str, Any]]]


@dataclass(frozen=True)
class Case:
    name: str
    actions: tuple[str, ...]
    ownerships: tuple[Ownership, ...]
    build: Call


NONE = (Ownership.NONE,)
TASKY = (Ownership.OWN, Ownership.OTHER, Ownership.UNASSIGNED)


def _task_call(**change: Any) -> Call:
    def build(w: World, actor: str, own: Ownership, n: int) -> tuple[str, dict[str, Any]]:
        return "update_task", {"task": a_task(w, actor, own, n), **change}

    return build


def _meeting_call(tool: str, **change: Any) -> Call:
    def build(w: World, actor: str, own: Ownership, n: int) -> tuple[str, dict[str, Any]]:
        return tool, {"meeting": a_meeting(w, actor, own, n), **change}

    return build


def _undo(w: World, actor: str, own: Ownership, n: int) -> tuple[str, dict[str, Any]]:
    maker = actor if own == Ownership.OWN else OWNER_OF_OTHERS
    record = must(run(w, maker, "create_task", title=f"撤销用{n}号", assignee=maker))
    with w.q.uow_factory() as uow:
        entries = uow.audit.list(filters={"tool": "create_task"}, limit=500, order="-id").items
    entry = next(e for e in entries if (e.result.get("record") or {}).get("id") == record["id"])
    return "undo", {"audit_id": entry.id}


CASES = [
    Case(
        "create_project",
        ("create_project",),
        NONE,
        lambda w, a, o, n: ("create_project", {"name": f"新项目{n}"}),
    ),
    Case(
        "create_project+budget",
        ("create_project", "project.budget"),
        NONE,
        lambda w, a, o, n: ("create_project", {"name": f"新项目{n}", "budget": 1000}),
    ),
    Case(
        "update_project.deadline",
        ("project.update",),
        (Ownership.OTHER,),
        lambda w, a, o, n: ("update_project", {"deadline": LATER}),
    ),
    Case(
        "update_project.owner",
        ("project.owner",),
        NONE,
        lambda w, a, o, n: ("update_project", {"owner": a_member(w, n)}),
    ),
    Case(
        "update_project.budget",
        ("project.budget",),
        (Ownership.OTHER,),
        lambda w, a, o, n: ("update_project", {"budget": 5000 + n}),
    ),
    Case(
        "create_milestone",
        ("milestone.create",),
        (Ownership.OTHER,),
        lambda w, a, o, n: ("create_milestone", {"title": f"节点{n}", "due": LATER}),
    ),
    Case(
        "add_member.join",
        ("member.add",),
        NONE,
        lambda w, a, o, n: ("add_member", {"member": f"外援{n}号"}),
    ),
    Case(
        "add_member.project_pm",
        ("member.add", "role.project"),
        NONE,
        lambda w, a, o, n: ("add_member", {"member": a_member(w, n), "role": "pm"}),
    ),
    Case(
        "add_member.demote_admin",
        ("member.add", "role.team"),
        NONE,
        lambda w, a, o, n: (
            "add_member",
            {"member": a_member(w, n, Role.ADMIN), "role": "member"},
        ),
    ),
    Case(
        "add_member.grant_admin",
        ("member.add", "role.team"),
        NONE,
        lambda w, a, o, n: ("add_member", {"member": a_member(w, n), "role": "admin"}),
    ),
    Case(
        "create_task",
        ("task.create",),
        NONE,
        lambda w, a, o, n: ("create_task", {"title": f"新活{n}号", "assignee": OWNER_OF_OTHERS}),
    ),
    Case(
        "create_task+cost",
        ("task.create", "task.cost"),
        NONE,
        lambda w, a, o, n: ("create_task", {"title": f"采购{n}号", "cost": 300}),
    ),
    Case("update_task.status", ("task.update",), TASKY, _task_call(status="in_progress")),
    Case("update_task.due", ("task.update",), TASKY, _task_call(due=LATER)),
    Case("update_task.reassign", ("task.reassign",), TASKY, _task_call(assignee="王磊")),
    Case("update_task.cancel", ("task.cancel",), TASKY, _task_call(status="cancelled")),
    Case("update_task.cost", ("task.cost",), TASKY, _task_call(cost=99)),
    Case(
        "create_meeting",
        ("meeting.create",),
        NONE,
        lambda w, a, o, n: (
            "create_meeting",
            {"title": f"新会{n}号", "start": (NOW + timedelta(days=3)).isoformat()},
        ),
    ),
    Case(
        "reschedule_meeting",
        ("meeting.change",),
        TASKY,
        _meeting_call("reschedule_meeting", shift_minutes=30),
    ),
    Case(
        "update_meeting",
        ("meeting.change",),
        TASKY,
        _meeting_call("update_meeting", location="3楼"),
    ),
    Case("cancel_meeting", ("meeting.cancel",), TASKY, _meeting_call("cancel_meeting")),
    Case("query.tasks", ("query",), NONE, lambda w, a, o, n: ("query", {"kind": "tasks"})),
    Case("query.budget", ("budget.see",), NONE, lambda w, a, o, n: ("query", {"kind": "budget"})),
    Case(
        "summarize",
        ("summarize",),
        NONE,
        lambda w, a, o, n: ("summarize", {"since": (NOW - timedelta(days=1)).isoformat()}),
    ),
    Case(
        "set_reminders",
        ("reminders.set",),
        NONE,
        lambda w, a, o, n: ("set_reminders", {"what": "daily", "enabled": False}),
    ),
    Case("undo", ("undo",), (Ownership.OWN, Ownership.OTHER), _undo),
]


def expected(actions: tuple[str, ...], role: str, ownership: Ownership) -> bool:
    """What the matrix says, read straight from the table (not through the policy)."""
    for action in actions:
        rule = MATRIX[action]
        if role == "admin":
            continue
        if role == "pm_here" and rule.pm:
            continue
        if ownership in rule.member:
            continue
        return False
    return True


def test_the_cases_cover_every_tool_of_the_vocabulary() -> None:
    from tools.vocabulary import TOOLS

    tools_with_a_service = {"ask", "report"}  # ask: test_permissions_budget; report: not wired
    covered = {c.name.split(".")[0].split("+")[0] for c in CASES}
    assert set(TOOLS) - tools_with_a_service <= covered
    assert set(TOOL_ACTIONS) <= set(TOOLS) | {"undo"}
    actions = {a for c in CASES for a in c.actions}
    assert set(MATRIX) - {"ask", "report"} <= actions


@pytest.mark.parametrize("case", CASES, ids=[c.name for c in CASES])
def test_matrix(world: World, case: Case) -> None:
    mismatches = []
    tried = 0
    for n, (role, ownership) in enumerate(itertools.product(ROLES, case.ownerships), start=1):
        actor = ROLES[role]
        tool, args = case.build(world, actor, ownership, n)
        if tool == "undo":
            result = world.q.executor.undo(int(args["audit_id"]), actor=actor)
        else:
            result = run(world, actor, tool, **args)
        tried += 1
        allowed = expected(case.actions, role, ownership)
        denied = not result.ok and (result.error or {}).get("code") == "permission_denied"
        if allowed and not result.ok:
            mismatches.append((role, ownership.value, "refused", result.error))
        elif not allowed and not denied:
            mismatches.append((role, ownership.value, "allowed", result.error))
    assert tried == len(ROLES) * len(case.ownerships)
    assert not mismatches, mismatches


def test_the_docs_show_the_matrix_of_the_code() -> None:
    from pathlib import Path

    from tools.permissions import matrix_markdown

    doc = (Path(__file__).parents[2] / "docs" / "permissions.md").read_text(encoding="utf-8")
    assert matrix_markdown() in doc
