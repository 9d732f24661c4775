"""Project membership and roles kept in step with the team: the owners' PM role, and the
members of a project following its group chat's roster (``RosterSync``)."""

from __future__ import annotations

from assistant.domain import Job, JobState
from assistant.ports import Clock
from assistant.unit_of_work import UnitOfWorkFactory

__all__ = ["OWNERS_ARE_PMS", "owners_are_pms"]

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
