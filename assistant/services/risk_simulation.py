"""A simulated team history, driven through the product itself.

Tasks are created, updated, blocked, moved, reassigned and finished by tool calls through the
executor, as the team's members, with the clock moved to each event's moment. Lateness comes
from planted causes, each of which leaves observable traces in the store:

- ``overloaded``: the assignee already holds many open tasks (one member gets a large share
  of the work, and the more they hold the more they slip);
- ``moved``: the due date is pushed two or three times, and the task still ends late;
- ``silent``: nobody says anything about the task after it is created;
- ``blocked``: the task is blocked for days (waiting on a third party), mostly on 接口联调 work,
  so similar tasks slip too;
- ``healthy``: regular progress notes, and it is finished before the due date (mostly).

At ``now`` a few showcase tasks stay open, one per cause plus healthy ones due as soon, so
that ``qunmi risk`` has something to rank and explain. Deterministic for a seed.
"""

from __future__ import annotations

import heapq
import random
from dataclasses import dataclass, field
from datetime import datetime, time, timedelta
from typing import Any

from assistant.clock import FixedClock
from assistant.domain import Member, Role, ToolCall
from assistant.errors import QunmiError
from assistant.services.demo import DEMO_PROJECT, seed_demo
from assistant.unit_of_work import UnitOfWorkFactory
from tools.executor import CallContext, Executor

__all__ = ["CAUSES", "SimulatedTask", "Simulation", "simulate_history"]

CAUSES = ("overloaded", "moved", "silent", "blocked")
PM = "张三"
EXTRA_MEMBERS: tuple[tuple[str, str], ...] = (("赵敏", "小赵"), ("刘洋", "小刘"))
OVERLOADED = "王磊"
_AREAS = ("登录页", "首页", "支付", "订单列表", "个人中心", "搜索", "消息通知", "后台报表")
_WORKS = ("设计稿", "前端开发", "接口联调", "测试用例", "文案", "性能优化")
_P_LATE = {"healthy": 0.08, "overloaded": 0.8, "moved": 0.75, "silent": 0.75, "blocked": 0.85}


@dataclass
class SimulatedTask:
    title: str
    assignee: str
    created: datetime
    due: datetime
    cause: str
    finish: datetime | None  # None: still open at ``now``
    showcase: bool = False
    task_id: int | None = None


@dataclass
class Simulation:
    now: datetime
    tasks: list[SimulatedTask] = field(default_factory=list)
    calls: int = 0
    failures: list[str] = field(default_factory=list)

    @property
    def open_tasks(self) -> list[SimulatedTask]:
        return [t for t in self.tasks if t.finish is None or t.finish > self.now]

    @property
    def finished(self) -> int:
        return sum(1 for t in self.tasks if t.finish is not None and t.finish <= self.now)


def _at(day: datetime, hour: int, minute: int = 0) -> datetime:
    return datetime.combine(day.date(), time(hour, minute), tzinfo=day.tzinfo)


def _workday(value: datetime) -> datetime:
    while value.weekday() >= 5:
        value += timedelta(days=1)
    return value


class _Planner:
    def __init__(self, rng: random.Random, members: list[str], now: datetime) -> None:
        self.rng = rng
        self.members = members
        self.now = now
        self.events: list[tuple[datetime, int, str, dict[str, Any], SimulatedTask]] = []
        self._seq = 0
        self.tasks: list[SimulatedTask] = []

    def push(self, at: datetime, actor: str, call: dict[str, Any], task: SimulatedTask) -> None:
        if at > self.now:
            return
        self._seq += 1
        heapq.heappush(self.events, (at, self._seq, actor, call, task))

    def open_count(self, member: str, at: datetime) -> int:
        return sum(
            1
            for t in self.tasks
            if t.assignee == member and t.created <= at and (t.finish is None or t.finish > at)
        )

    def plan(self, task: SimulatedTask, late: bool) -> None:
        """The events of one task, from creation to its end (those after ``now`` are dropped)."""
        rng, span = self.rng, task.due - task.created
        self.tasks.append(task)
        self.push(
            task.created,
            PM,
            {
                "tool": "create_task",
                "args": {
                    "title": task.title,
                    "assignee": task.assignee,
                    "due": task.due.isoformat(),
                    "project": DEMO_PROJECT,
                },
            },
            task,
        )
        due = task.due
        started = task.created + span * (0.4 if task.cause == "overloaded" else 0.15)
        if task.cause != "silent":
            self.push(started, task.assignee, _update(status="in_progress"), task)
        if task.cause == "moved":
            # A showcase task is pushed by a day, three days running; history ones at random.
            moves = 3 if task.showcase else rng.choice((2, 3))
            for i in range(moves):
                due = due + timedelta(days=1 if task.showcase else rng.randint(1, 3))
                when = (
                    task.created + timedelta(days=i + 1)
                    if task.showcase
                    else task.created + span * (0.3 + 0.2 * i)
                )
                self.push(when, PM, _update(due=due.isoformat()), task)
        unblocked: datetime | None = None
        if task.cause == "blocked":
            blocked_at = task.created + span * 0.3
            self.push(
                blocked_at, task.assignee, _update(status="blocked", note="等第三方接口"), task
            )
            if not task.showcase:  # a showcase task is still blocked now
                unblocked = blocked_at + timedelta(days=rng.uniform(2, 4))
                self.push(
                    unblocked,
                    task.assignee,
                    _update(status="in_progress", note="接口通了，继续"),
                    task,
                )
        if task.showcase:
            task.due = due
            return
        if late:
            finish = due + timedelta(days=rng.uniform(0.6, 4))
        else:
            finish = task.created + (due - task.created) * rng.uniform(0.5, 0.95)
        if unblocked is not None:
            finish = max(finish, unblocked + timedelta(hours=12))
        # Nothing happens to a task after it is done.
        self.events = [e for e in self.events if e[4] is not task or e[0] < finish]
        heapq.heapify(self.events)
        # Progress notes are common whatever the cause (only silent tasks never get any), so
        # that a note's absence is not itself the planted cause.
        duration = finish - task.created
        if task.cause == "healthy" and rng.random() < 0.75:
            self.push(task.created + duration * 0.5, task.assignee, _update(note="写了一半"), task)
            self.push(task.created + duration * 0.85, task.assignee, _update(note="差不多了"), task)
        elif task.cause in ("overloaded", "moved") and rng.random() < 0.7:
            note = "刚开始" if task.cause == "overloaded" else "写了一半"
            self.push(task.created + duration * 0.4, task.assignee, _update(note=note), task)
        task.finish = finish
        task.due = due
        self.push(finish, task.assignee, _update(status="done"), task)


def _update(**fields: Any) -> dict[str, Any]:
    args = {k if k != "note" else "progress_note": v for k, v in fields.items()}
    return {"tool": "update_task", "args": args}


def _plan_history(rng: random.Random, members: list[str], now: datetime, days: int) -> _Planner:
    planner = _Planner(rng, members, now)
    start = _at(now - timedelta(days=days), 9)
    weights = [4.0 if m == OVERLOADED else 1.0 for m in members]
    day = start
    while day < now - timedelta(days=10):
        if day.weekday() < 5:
            for _ in range(rng.choice((1, 1, 2, 2, 3))):
                created = _at(day, rng.randint(9, 16), rng.choice((0, 15, 30, 45)))
                assignee = rng.choices(members, weights)[0]
                work = rng.choice(_WORKS)
                title = f"{rng.choice(_AREAS)}{work}"
                due = _at(_workday(created + timedelta(days=rng.randint(2, 8))), 18)
                if planner.open_count(assignee, created) >= 4:
                    cause = "overloaded"
                else:
                    roll = rng.random()
                    blocked_share = 0.5 if work == "接口联调" else 0.1
                    if roll < blocked_share:
                        cause = "blocked"
                    elif roll < blocked_share + 0.22:
                        cause = "moved"
                    elif roll < blocked_share + 0.36:
                        cause = "silent"
                    else:
                        cause = "healthy"
                task = SimulatedTask(title, assignee, created, due, cause, None)
                planner.plan(task, late=rng.random() < _P_LATE[cause])
        day += timedelta(days=1)
    return planner


def _plan_showcase(planner: _Planner, now: datetime) -> None:
    """Open tasks at ``now``: one per planted cause, and healthy ones due about as soon."""
    rng = planner.rng
    light = [m for m in planner.members if m != OVERLOADED]

    def task(title: str, assignee: str, age_days: float, due_days: float, cause: str) -> None:
        created = now - timedelta(days=age_days)
        due = _at(now + timedelta(days=due_days), 18)
        planner.plan(
            SimulatedTask(title, assignee, created, due, cause, None, showcase=True), late=True
        )

    # The overloaded member holds several open tasks at once.
    for i, area in enumerate(("后台报表", "个人中心", "搜索", "首页", "订单列表")):
        task(f"{area}文案", OVERLOADED, 2 + i, 3 + i, "overloaded")
    task("登录页设计稿", OVERLOADED, 4, 1, "overloaded")
    task("订单列表性能优化", light[0], 5, -2, "moved")  # pushed three times: due in a day
    task("消息通知测试用例", light[1], 6, 1.5, "silent")
    task("支付接口联调", light[2 % len(light)], 5, 1.5, "blocked")
    for i, area in enumerate(("首页", "个人中心", "搜索")):
        member = light[(i + 1) % len(light)]
        created = now - timedelta(days=4)
        due = _at(now + timedelta(days=2 + i), 18)
        healthy = SimulatedTask(
            f"{area}前端开发", member, created, due, "healthy", None, showcase=True
        )
        planner.plan(healthy, late=False)
        planner.push(created + timedelta(days=1), member, _update(note="写了一半"), healthy)
        planner.push(
            now - timedelta(hours=rng.randint(2, 20)),
            member,
            _update(note="差不多了，80%"),
            healthy,
        )


def simulate_history(
    *,
    executor: Executor,
    uow_factory: UnitOfWorkFactory,
    clock: FixedClock,
    now: datetime,
    days: int = 120,
    seed: int = 7,
) -> Simulation:
    """Drive a team history ending at ``now`` through ``executor`` (whose clock is ``clock``)."""
    rng = random.Random(seed)
    clock.at = now - timedelta(days=days + 1)
    seed_demo(uow_factory=uow_factory, clock=clock)
    with uow_factory() as uow:
        for name, alias in EXTRA_MEMBERS:
            if uow.members.by_display_name(name) is None:
                uow.members.add(
                    Member(
                        display_name=name, aliases=[alias], role=Role.MEMBER, created_at=clock.now()
                    )
                )
        uow.commit()
        members = [m.display_name for m in uow.members.all() if m.display_name != PM]
    planner = _plan_history(rng, members, now, days)
    _plan_showcase(planner, now)
    sim = Simulation(now=now, tasks=planner.tasks)
    while planner.events:
        at, seq, actor, call, task = heapq.heappop(planner.events)
        clock.at = max(clock.at, at)
        args = dict(call["args"])
        if call["tool"] == "update_task":
            if task.task_id is None:
                continue
            args["task"] = task.task_id
        result = executor.execute(
            ToolCall(call["tool"], args),
            CallContext(actor=actor, idempotency_key=f"sim-{seed}-{seq}"),
        )
        sim.calls += 1
        batch = 2
        while (
            not result.ok
            and call["tool"] == "create_task"
            and (result.error or {}).get("code") == "likely_duplicate"
            and batch < 10
        ):
            # As the reply asks, a person says how the new task differs: the next batch.
            args["title"] = f"{call['args']['title']}（第{batch}批）"
            task.title = args["title"]
            result = executor.execute(
                ToolCall(call["tool"], args),
                CallContext(actor=actor, idempotency_key=f"sim-{seed}-{seq}-{batch}"),
            )
            sim.calls += 1
            batch += 1
        if not result.ok:
            sim.failures.append(f"{call['tool']} {args}: {(result.error or {}).get('reason')}")
            continue
        if call["tool"] == "create_task" and result.record is not None:
            task.task_id = int(result.record["id"])
    clock.at = now
    if sim.failures:
        raise QunmiError("模拟历史时有操作失败：" + "；".join(sim.failures[:3]))
    return sim
