"""Projects and members."""

from __future__ import annotations

from typing import Any

from assistant.domain import Member, Milestone, Project, ProjectStatus, Role
from assistant.errors import Conflict, InvalidInput, NotFound
from tools.permissions import Target
from tools.records import member_record, milestone_record, project_record
from tools.scope import Applied, Scope
from tools.vocabulary import AddMember, CreateMilestone, CreateProject, UpdateProject

__all__ = ["add_member", "create_milestone", "create_project", "update_project"]


def create_project(scope: Scope, args: CreateProject) -> Applied:
    uow = scope.uow
    if uow.projects.by_name(args.name) is not None:
        raise Conflict(f"项目“{args.name}”已经存在")
    scope.check(
        "create_project",
        Target(changes=frozenset({"budget"} if args.budget is not None else ())),
    )
    owner = scope.member(args.owner) if args.owner else scope.actor
    member_ids = [owner.id, scope.actor.id]
    for name in args.members or []:
        member_ids.append(scope.member(name).id)
    project = uow.projects.add(
        Project(
            name=args.name,
            owner_id=owner.id,
            deadline=args.deadline,
            budget=args.budget,
            member_ids=[i for i in dict.fromkeys(member_ids) if i is not None],
            created_at=scope.now,
        )
    )
    assert project.id is not None and owner.id is not None
    uow.projects.set_role(project.id, owner.id, "pm")  # the owner is the project's PM
    linked_chat = None
    if scope.chat_id is not None and scope.project_id is None:
        chat = uow.chats.get(scope.chat_id)
        if chat is not None:
            chat.project_id = project.id
            uow.chats.update(chat)
            linked_chat = chat.id
    record = project_record(project, scope.names, scope.tz, show_budget=args.budget is not None)
    return Applied(
        kind="project",
        record=record,
        undo={"op": "delete", "kind": "project", "id": project.id, "unlink_chat": linked_chat},
    )


def add_member(scope: Scope, args: AddMember) -> Applied:
    """Add someone to the project (and chat), optionally setting a role: ``admin`` is team-wide;
    ``pm`` / ``member`` are the role *in the project* (named, or the chat's), or the legacy
    team-wide role when no project is in play."""
    uow = scope.uow
    project = scope.project(args.project)
    try:
        existing: Member | None = scope.member(args.member)
    except NotFound:
        existing = None
    team_wide = args.role == "admin" or project is None
    subject_role = None
    if existing is not None and project is not None and project.id is not None:
        assert existing.id is not None
        subject_role = uow.projects.role_of(project.id, existing.id)
    if existing is not None and not team_wide and existing.role != Role.MEMBER:
        # Setting a project role on an admin or team-wide PM would read as demoting them:
        # it is a change of their team-wide standing, judged as one.
        team_wide = args.role is not None and existing.role.value != args.role
    scope.check(
        "add_member",
        Target(
            project=project,
            new_role=args.role,
            subject=existing,
            subject_project_role=subject_role,
            team_wide=team_wide,
            admins=sum(1 for m in scope.members if m.role == Role.ADMIN),
        ),
    )
    created = existing is None
    if existing is None:
        member = uow.members.add(
            Member(
                display_name=args.member.lstrip("@＠"),
                role=Role(args.role) if args.role and team_wide else Role.MEMBER,
                created_at=scope.now,
            )
        )
        scope.members.append(member)
    else:
        member = existing
    old_role = member.role
    if args.role and team_wide and not created and member.role != Role(args.role):
        member.role = Role(args.role)
        member = uow.members.update(member)
    added_to_project = None
    if project is not None and member.id not in project.member_ids:
        project.member_ids.append(member.id)  # type: ignore[arg-type]
        uow.projects.update(project)
        added_to_project = project.id
    old_project_role = subject_role
    if args.role in ("pm", "member") and not team_wide and project is not None:
        assert project.id is not None and member.id is not None
        uow.projects.set_role(project.id, member.id, args.role)
    added_to_chat = None
    if scope.chat_id is not None and member.id not in scope.chat_member_ids:
        chat = uow.chats.get(scope.chat_id)
        if chat is not None:
            chat.member_ids.append(member.id)  # type: ignore[arg-type]
            uow.chats.update(chat)
            added_to_chat = chat.id
    record = member_record(member)
    record["project"] = project.name if project else None
    if project is not None and project.id is not None and member.id is not None:
        record["project_role"] = uow.projects.role_of(project.id, member.id)
    return Applied(
        kind="member",
        record=record,
        undo={
            "op": "member",
            "id": member.id,
            "created": created,
            "old_role": old_role.value,
            "project_id": added_to_project,
            "chat_id": added_to_chat,
            "role_project_id": project.id if project is not None else None,
            "old_project_role": old_project_role,
        },
    )


def _target_project(scope: Scope, name: str | None) -> Project:
    project = scope.project(name)
    if project is None:
        raise InvalidInput("请说明是哪个项目，或在项目群里说。")
    return project


def update_project(scope: Scope, args: UpdateProject) -> Applied:
    project = _target_project(scope, args.project)
    changes = {
        name
        for name in ("deadline", "budget", "spent", "owner", "status")
        if getattr(args, name) is not None
    }
    if not changes:
        raise InvalidInput("没有要修改的内容：请说明截止时间、预算、花费、负责人或状态。")
    new_owner = scope.member(args.owner) if args.owner is not None else None
    uow = scope.uow
    owner_role = None
    if new_owner is not None and project.id is not None and new_owner.id is not None:
        owner_role = uow.projects.role_of(project.id, new_owner.id)
    scope.check(
        "update_project",
        Target(
            project=project,
            changes=frozenset(changes),
            subject=new_owner,
            new_role="pm" if new_owner is not None else None,
            subject_project_role=owner_role,
        ),
    )
    before: dict[str, Any] = {
        "deadline": project.deadline.isoformat() if project.deadline else None,
        "budget": project.budget,
        "spent": project.spent,
        "owner_id": project.owner_id,
        "status": project.status.value,
    }
    if args.deadline is not None:
        project.deadline = args.deadline
    if args.budget is not None:
        project.budget = args.budget
    if args.spent is not None:
        project.spent = args.spent
    if new_owner is not None:
        project.owner_id = new_owner.id
        if new_owner.id is not None and new_owner.id not in project.member_ids:
            project.member_ids.append(new_owner.id)
    if args.status is not None:
        project.status = ProjectStatus(args.status)
    project = uow.projects.update(project)
    if new_owner is not None and project.id is not None and new_owner.id is not None:
        # The owner is the project's PM: an explicit role (the previous owner keeps theirs;
        # an admin or the new PM changes it with add_member).
        uow.projects.set_role(project.id, new_owner.id, "pm")
        before["owner_role"] = {"member_id": new_owner.id, "role": owner_role}
    record = project_record(
        project, scope.names, scope.tz, show_budget=bool(changes & {"budget", "spent"})
    )
    record["changes"] = sorted(changes)
    return Applied(
        kind="project",
        record=record,
        undo={"op": "restore", "kind": "project", "id": project.id, "fields": before},
    )


def create_milestone(scope: Scope, args: CreateMilestone) -> Applied:
    project = _target_project(scope, args.project)
    scope.check("create_milestone", Target(project=project))
    milestone = scope.uow.milestones.add(
        Milestone(
            title=args.title,
            due=args.due,
            project_id=project.id,
            creator_id=scope.actor.id,
            created_at=scope.now,
        )
    )
    record = milestone_record(milestone, scope.tz)
    record["project"] = project.name
    record["days_left"] = (
        args.due.astimezone(scope.tz).date() - scope.now.astimezone(scope.tz).date()
    ).days
    return Applied(
        kind="milestone",
        record=record,
        undo={"op": "delete", "kind": "milestone", "id": milestone.id},
    )
