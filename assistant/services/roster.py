"""Project membership and roles kept in step with the team: the owners' PM role
(``owners_are_pms``), and the members of a project following its WeCom group chats
(``RosterSync``).

WeCom sends a self-built app no events when people join or leave an app group chat, so the
roster is read back: the ``roster_sync`` kind of scheduled work (every ``every``, one hour by
default) reads ``appchat/get`` for each WeCom group chat linked to a project (through the WeCom
client, ``read_roster``) and, in the scheduler's transaction:

- people in the group that Qunmi knows (by WeCom userid) join the chat and the project;
- people with a WeCom userid who are in neither of the project's groups any more leave the chat
  and lose their project membership — except admins (never demoted, never dropped: their
  rights are team-wide) and the project's PMs and owner, who stay and are reported to the
  admins once, privately (a PM leaving the group is a decision for an admin, not a sync);
- people without a WeCom identity (console-only) are left alone;
- when a group's roster cannot be read, nobody leaves that project in this pass.
"""

from __future__ import annotations

import math
from collections.abc import Callable, Sequence
from dataclasses import dataclass, field
from datetime import UTC, datetime, timedelta
from typing import Any

from assistant.domain import Chat, Job, JobState, Member, Project, Role, ScheduledJob
from assistant.errors import QunmiError
from assistant.ports import Clock, OutgoingCard
from assistant.services.group_cards import private_chat
from assistant.services.scheduler.core import PlanContext, Produced, RunOutcome
from assistant.unit_of_work import UnitOfWork, UnitOfWorkFactory

__all__ = ["OWNERS_ARE_PMS", "RosterReport", "RosterSync", "owners_are_pms", "sync_rosters"]

WECOM = "wecom"
LEFT_KEY = "roster_left"  # chat setting: member id → when a PM was first seen gone

OWNERS_ARE_PMS = "data_fix:owners_are_pms"


def owners_are_pms(uow_factory: UnitOfWorkFactory, clock: Clock) -> int:
    """Once per database: give every project's owner the explicit PM role in it.

    Until per-project roles were explicit, an owner counted as the PM whatever their row said;
    projects made before those roles existed (migration 0009) stored owners as plain members.
    Done once (a ``jobs`` row marks it), so an admin who later takes the role away is not
    overruled at the next start; returns how many owners it promoted."""
    now = clock.now()
    with uow_factory() as uow:
        if uow.jobs.list(filters={"kind": OWNERS_ARE_PMS}, limit=1).items:
            return 0
        fixed = 0
        for project in uow.projects.all():
            owner = project.owner_id
            if project.id is None or owner is None or uow.members.get(owner) is None:
                continue
            role = uow.projects.role_of(project.id, owner)
            if role is None:
                project.member_ids.append(owner)
                uow.projects.update(project)
            if role != "pm":
                uow.projects.set_role(project.id, owner, "pm")
                fixed += 1
        uow.jobs.add(
            Job(
                kind=OWNERS_ARE_PMS,
                state=JobState.DONE,
                created_at=now,
                updated_at=now,
                result={"promoted": fixed},
            )
        )
        uow.commit()
    return fixed


@dataclass(slots=True)
class RosterReport:
    """What one pass did, per project name."""

    joined: dict[str, list[str]] = field(default_factory=dict)
    left: dict[str, list[str]] = field(default_factory=dict)
    kept: dict[str, list[str]] = field(default_factory=dict)  # PMs / owners gone from the group
    unreadable: list[str] = field(default_factory=list)  # chats whose roster failed
    newly_kept: list[tuple[Project, Member]] = field(default_factory=list)

    def to_dict(self) -> dict[str, Any]:
        return {
            "joined": self.joined,
            "left": self.left,
            "kept": self.kept,
            "unreadable": self.unreadable,
        }


def _linked_chats(uow: UnitOfWork) -> dict[int, list[Chat]]:
    """Project id → its WeCom group chats that exist in WeCom."""
    out: dict[int, list[Chat]] = {}
    offset = 0
    while True:
        page = uow.chats.list(filters={"channel": WECOM}, limit=500, offset=offset, order="id")
        for chat in page.items:
            if (
                chat.project_id is not None
                and (chat.external_id or "").startswith("chat:")
                and chat.settings.get("wecom_create") != "pending"
            ):
                out.setdefault(chat.project_id, []).append(chat)
        offset += len(page.items)
        if len(page.items) < 500:
            return out


class _People:
    """Members and their WeCom userids, read once per pass."""

    def __init__(self, uow: UnitOfWork) -> None:
        self._uow = uow
        self.by_id = {m.id: m for m in uow.members.all() if m.id is not None}
        self._by_userid = {m.wecom_userid: m for m in self.by_id.values() if m.wecom_userid}
        self._linked: dict[str, Member | None] = {}
        self._has_wecom: dict[int, bool] = {}

    def for_userid(self, userid: str) -> Member | None:
        if userid not in self._linked:
            linked = self._uow.identities.member_for(WECOM, userid)
            self._linked[userid] = self.by_id.get(linked) if linked else self._by_userid.get(userid)
        return self._linked[userid]

    def has_wecom(self, member_id: int) -> bool:
        """Whether WeCom knows this member (so a WeCom roster can speak for them)."""
        if member_id not in self._has_wecom:
            member = self.by_id.get(member_id)
            self._has_wecom[member_id] = member is not None and (
                bool(member.wecom_userid)
                or any(c == WECOM for c, _ in self._uow.identities.identities_of(member_id))
            )
        return self._has_wecom[member_id]

    def name(self, member_id: int) -> str:
        member = self.by_id.get(member_id)
        return member.display_name if member is not None else str(member_id)


def sync_rosters(
    uow: UnitOfWork, read_roster: Callable[[str], Sequence[str]], now: datetime
) -> RosterReport:
    """One pass over every linked project group (see the module docstring); not committed."""
    report = RosterReport()
    people = _People(uow)
    for project_id, chats in _linked_chats(uow).items():
        project = uow.projects.get(project_id)
        if project is None or project.id is None:
            continue
        roster: set[int] = set()
        complete = True
        for chat in chats:
            try:
                userids = read_roster((chat.external_id or "").removeprefix("chat:"))
            except QunmiError as exc:
                complete = False
                report.unreadable.append(f"{chat.name}：{exc.reason}")
                continue
            present = {m.id for u in userids if (m := people.for_userid(u)) is not None and m.id}
            roster |= present
            gone = {i for i in chat.member_ids if i not in present and people.has_wecom(i)}
            if gone or present - set(chat.member_ids):
                chat.member_ids = [i for i in chat.member_ids if i not in gone] + sorted(
                    present - set(chat.member_ids)
                )
                uow.chats.update(chat)
        joined = sorted(roster - set(project.member_ids))
        if joined:
            project.member_ids.extend(joined)
            report.joined[project.name] = [people.name(i) for i in joined]
        left: list[int] = []
        kept: list[Member] = []
        if complete:
            for member_id in project.member_ids:
                member = people.by_id.get(member_id)
                if member is None or member_id in roster or not people.has_wecom(member_id):
                    continue
                if member.role == Role.ADMIN:
                    continue  # team-wide rights; never demoted or dropped by a sync
                is_pm = (
                    member.role == Role.PM
                    or project.owner_id == member_id
                    or uow.projects.role_of(project.id, member_id) == "pm"
                )
                if is_pm:
                    kept.append(member)
                else:
                    left.append(member_id)
        if left:
            project.member_ids = [i for i in project.member_ids if i not in left]
            report.left[project.name] = [people.name(i) for i in left]
        if joined or left:
            uow.projects.update(project)
        if kept:
            report.kept[project.name] = [m.display_name for m in kept]
        _remember_kept(uow, chats[0], project, kept, roster, now, report)
    return report


def _remember_kept(
    uow: UnitOfWork,
    chat: Chat,
    project: Project,
    kept: list[Member],
    roster: set[int],
    now: datetime,
    report: RosterReport,
) -> None:
    """Which kept PMs are news (first seen gone): those are reported; one back in the group
    is forgotten, so leaving again is news again."""
    seen: dict[str, str] = dict(chat.settings.get(LEFT_KEY) or {})
    before = dict(seen)
    for member in kept:
        key = str(member.id)
        if key not in seen:
            seen[key] = now.isoformat()
            report.newly_kept.append((project, member))
    for key in list(seen):
        if int(key) in roster:
            del seen[key]
    if seen != before:
        chat.settings = {**chat.settings, LEFT_KEY: seen}
        uow.chats.update(chat)


@dataclass(slots=True)
class RosterSync:
    """The ``roster_sync`` kind of scheduled work (see the module docstring)."""

    read_roster: Callable[[str], Sequence[str]]
    every: timedelta = timedelta(hours=1)
    name: str = "roster_sync"
    sources: tuple[str, ...] = ()
    switch: str | None = None

    def plan(
        self, ctx: PlanContext, source: str | None, since: datetime, until: datetime
    ) -> list[ScheduledJob]:
        if source is not None:
            return []
        step = int(self.every.total_seconds())
        # Slots after ``now - every`` only: after a stop, one pass catches up, not one a slot.
        start = max(since, ctx.now - self.every).timestamp()
        jobs = []
        at = (math.floor(start / step) + 1) * step
        while at < until.timestamp():
            due = datetime.fromtimestamp(at, UTC)
            jobs.append(
                ScheduledJob(
                    kind=self.name,
                    key=f"{self.name}:{due:%Y%m%dT%H%M%SZ}",
                    due_at=due,
                    created_at=ctx.now,
                )
            )
            at += step
        return jobs

    def run(self, ctx: PlanContext, job: ScheduledJob) -> RunOutcome:
        if ctx.now - job.due_at >= self.every:
            return RunOutcome.expired("同步晚了太久（服务停过），由下一次同步处理")
        report = sync_rosters(ctx.uow, self.read_roster, ctx.now)
        admins = [m for m in ctx.uow.members.all() if m.role == Role.ADMIN and m.id is not None]
        messages = []
        for project, member in report.newly_kept:
            text = (
                f"⚠️ 项目「{project.name}」的项目经理 {member.display_name} 已经不在项目群里了。"
                f"{member.display_name} 仍是这个项目的项目经理，群秘没有改动；如需调整，请说"
                f"“把{member.display_name}在{project.name}里改成普通成员”或“把项目负责人改成某人”。"
            )
            for admin in admins:
                own = private_chat(ctx.uow, admin, ctx.now)
                messages.append(
                    Produced(
                        card=OutgoingCard(text=text, chat=own.name, chat_id=own.id, kind="alert"),
                        recipients=[],
                        coalescible=False,
                    )
                )
        changed = sum(map(len, report.joined.values())) + sum(map(len, report.left.values()))
        return RunOutcome(
            messages=messages,
            result=report.to_dict(),
            note=f"群成员同步：{changed} 人加入或离开项目" if changed else None,
        )
