"""Membership follows the WeCom group: the scheduled ``roster_sync`` reads appchat/get (the local
fake of the WeCom API) for each linked project group; joiners become members, leavers lose their
project membership, admins are never demoted or dropped, a PM who left stays and is reported to
the admins once, privately; an unreadable roster removes nobody."""

from __future__ import annotations

from datetime import timedelta

from assistant.clock import FixedClock
from assistant.domain import Member, Role, ToolCall
from tests.conftest import NOW
from tests.integration.test_identity_wecom_projects import World, world  # noqa: F401 - fixture
from tools.executor import CallContext

PROJECT = "数据看板"


def _setup(w: World) -> str:
    """陈静 (admin) makes 数据看板 owned by 张三 in WeCom; the group is created with both."""
    with w.q.uow_factory() as uow:
        for name, userid in (("李四", "lisi"), ("赵六", "zhaoliu")):
            uow.members.add(Member(display_name=name, wecom_userid=userid, created_at=NOW))
        uow.members.add(Member(display_name="孙七", created_at=NOW))  # console only
        uow.commit()
    w.say("chenjing", f"新建项目【{PROJECT}】，负责人张三，截止12月20日", "9301")
    assert w.q.extras["project_chats"].sync() == 1
    chat_id = next(iter(w.api.appchats))
    # 孙七 (no WeCom identity) is added to the project from the console.
    assert w.q.executor.execute(
        _call("add_member", member="孙七", project=PROJECT), _ctx("陈静")
    ).ok
    return chat_id


def _call(tool: str, **args: object) -> ToolCall:
    return ToolCall(tool, dict(args))


def _ctx(actor: str) -> CallContext:
    return CallContext(actor=actor)


def _tick(w: World, clock: FixedClock) -> list[dict[str, object]]:
    clock.advance(timedelta(hours=1))
    report = w.q.scheduler.tick(now=clock.now(), force_reconcile=True)
    return [r.to_dict(w.q.settings.tz) for r in report.runs if r.kind == "roster_sync"]


def _members(w: World) -> set[str]:
    with w.q.uow_factory() as uow:
        project = uow.projects.by_name(PROJECT)
        assert project is not None
        return {m.display_name for i in project.member_ids if (m := uow.members.get(i)) is not None}


def _role(w: World, name: str) -> str | None:
    with w.q.uow_factory() as uow:
        project = uow.projects.by_name(PROJECT)
        member = uow.members.by_display_name(name)
        assert project is not None and project.id is not None
        assert member is not None and member.id is not None
        return uow.projects.role_of(project.id, member.id)


def _to(w: World, userid: str) -> list[str]:
    return [str(m) for m in w.api.sent if m.get("touser") == userid]


def test_joiners_join_and_leavers_leave(world: World, clock: FixedClock) -> None:  # noqa: F811
    chat_id = _setup(world)
    roster = world.api.appchats[chat_id]["userlist"]
    roster.extend(["wanglei", "lisi"])  # added in WeCom itself
    runs = _tick(world, clock)
    assert len(runs) == 1 and runs[0]["state"] == "done"
    assert {"王磊", "李四"} <= _members(world)
    assert _role(world, "王磊") == "member"
    with world.q.uow_factory() as uow:
        chat = uow.chats.by_external("wecom", f"chat:{chat_id}")
        wang = uow.members.by_display_name("王磊")
    assert chat is not None and wang is not None and wang.id in chat.member_ids

    roster.remove("wanglei")  # 王磊 left the group
    _tick(world, clock)
    assert "王磊" not in _members(world) and "李四" in _members(world)
    assert "孙七" in _members(world)  # no WeCom identity: not the group's to decide
    with world.q.uow_factory() as uow:
        chat = uow.chats.by_external("wecom", f"chat:{chat_id}")
    assert chat is not None and wang.id not in chat.member_ids
    # Back in the group: back in the project.
    roster.append("wanglei")
    _tick(world, clock)
    assert "王磊" in _members(world)


def test_admins_are_never_dropped_and_a_pm_who_left_is_reported_once(
    world: World,  # noqa: F811
    clock: FixedClock,
) -> None:
    chat_id = _setup(world)
    roster = world.api.appchats[chat_id]["userlist"]
    roster.extend(["lisi", "zhaoliu"])
    _tick(world, clock)
    assert world.q.executor.execute(
        _call("add_member", member="李四", project=PROJECT, role="pm"), _ctx("陈静")
    ).ok
    for userid in ("chenjing", "zhangsan", "lisi"):  # the admin, the owner, a PM leave
        roster.remove(userid)
    before = len(_to(world, "chenjing"))
    _tick(world, clock)
    members = _members(world)
    assert {"陈静", "张三", "李四"} <= members  # nobody with rights is dropped by a sync
    assert _role(world, "张三") == "pm" and _role(world, "李四") == "pm"
    with world.q.uow_factory() as uow:
        chen = uow.members.by_display_name("陈静")
    assert chen is not None and chen.role == Role.ADMIN
    reports = _to(world, "chenjing")[before:]  # the admin's own WeCom chat
    assert len(reports) == 2 and all("不在项目群里" in r for r in reports)
    assert any("张三" in r for r in reports) and any("李四" in r for r in reports)
    assert not any("不在项目群里" in r for r in _to(world, "zhaoliu"))
    _tick(world, clock)
    assert len(_to(world, "chenjing")) == before + 2  # reported once, not every hour


def test_an_unreadable_roster_removes_nobody(world: World, clock: FixedClock) -> None:  # noqa: F811
    chat_id = _setup(world)
    world.api.appchats[chat_id]["userlist"].append("wanglei")
    _tick(world, clock)
    assert "王磊" in _members(world)
    del world.api.appchats[chat_id]  # WeCom answers "chat not found"
    runs = _tick(world, clock)
    assert len(runs) == 1 and runs[0]["state"] == "done"
    with world.q.uow_factory() as uow:
        job = uow.schedule.get(int(str(runs[0]["job_id"])))
    assert job is not None and job.result is not None and job.result["unreadable"]
    assert {"王磊", "张三", "陈静"} <= _members(world)


def test_one_sync_an_hour_and_none_for_a_stop_long_past(
    world: World,  # noqa: F811
    clock: FixedClock,
) -> None:
    _setup(world)
    assert len(_tick(world, clock)) == 1
    assert _tick_without_advance(world, clock) == []  # the same hour: done already
    clock.advance(timedelta(hours=10))  # the service was down
    runs = _tick(world, clock)
    done = [r for r in runs if r["state"] == "done"]
    assert len(done) == 1  # one catch-up pass, not eleven (the stale slots are dropped)
    assert all(r["state"] in ("done", "cancelled", "expired") for r in runs)


def _tick_without_advance(w: World, clock: FixedClock) -> list[dict[str, object]]:
    report = w.q.scheduler.tick(now=clock.now(), force_reconcile=True)
    return [r.to_dict(w.q.settings.tz) for r in report.runs if r.kind == "roster_sync"]
