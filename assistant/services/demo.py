"""The demo team the web console starts with."""

from __future__ import annotations

from assistant.domain import Chat, Member, Project, Role
from assistant.ports import Clock
from assistant.unit_of_work import UnitOfWorkFactory

__all__ = ["DEMO_CHAT", "DEMO_PROJECT", "seed_demo"]

DEMO_PROJECT = "官网改版"
DEMO_CHAT = "官网改版群"

_TEAM: tuple[tuple[str, list[str], Role], ...] = (
    ("张三", ["老张"], Role.PM),
    ("王磊", ["小王"], Role.MEMBER),
    ("李四", ["老李"], Role.MEMBER),
    ("陈静", ["陈经理"], Role.ADMIN),
)


def seed_demo(*, uow_factory: UnitOfWorkFactory, clock: Clock) -> bool:
    """Create the demo team, project 官网改版 and its console chat 官网改版群 — only in a database
    with no members yet. Returns whether anything was created."""
    now = clock.now()
    with uow_factory() as uow:
        if uow.members.all():
            return False
        members = [
            uow.members.add(
                Member(display_name=name, aliases=list(aliases), role=role, created_at=now)
            )
            for name, aliases, role in _TEAM
        ]
        ids = [m.id for m in members if m.id is not None]
        project = uow.projects.add(
            Project(name=DEMO_PROJECT, owner_id=ids[0], member_ids=ids, created_at=now)
        )
        assert project.id is not None
        uow.projects.set_role(project.id, ids[0], "pm")  # the owner is the project's PM
        uow.chats.add(
            Chat(
                name=DEMO_CHAT,
                channel="console",
                external_id=DEMO_CHAT,
                project_id=project.id,
                member_ids=ids,
                created_at=now,
            )
        )
        uow.commit()
    return True
