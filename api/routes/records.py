"""Projects, members, chats, tasks, meetings and the audit log.

Changes go through the tool executor (validation, names, permissions, audit, undo), so the
REST API and the chat do exactly the same thing.
"""

from __future__ import annotations

from typing import Annotated, Any, Literal

from fastapi import APIRouter, Query, status

from api.auth import Principal
from api.deps import PrincipalDep, QunmiDep, acting_as
from api.routes.common import ToolFailed, run_tool
from api.schemas import (
    AuditPublic,
    ChatCreate,
    ChatPublic,
    ChatUpdate,
    IdFilter,
    Limit,
    MeetingCancel,
    MeetingCreate,
    MeetingPublic,
    MeetingReschedule,
    MemberCreate,
    MemberPublic,
    MemberUpdate,
    Offset,
    PagePublic,
    ProjectCreate,
    ProjectPublic,
    RecordId,
    TaskCreate,
    TaskDetail,
    TaskPublic,
    TaskUpdate,
    UndoRequest,
)
from assistant.domain import Chat, Member, Project, Role
from assistant.errors import Conflict, InvalidInput, NotFound, PermissionDenied
from assistant.identity import clean_label, normalise_name
from assistant.services.group_cards import others_private_chats
from assistant.services.identity import find_member
from tools.executor import ToolResult
from tools.permissions import sees_budget
from tools.records import (
    chat_record,
    display_names,
    iso,
    meeting_record,
    member_record,
    project_record,
    task_record,
    without_budget,
)
from tools.resolve import resolve_member_name
from tools.vocabulary import AwareTime

router = APIRouter()

_TOOL_FIELDS = {"actor", "idempotency_key", "chat_id"}


def _tool_args(body: Any) -> dict[str, Any]:
    return {k: v for k, v in body.model_dump(mode="json").items() if k not in _TOOL_FIELDS}


def _run(q: QunmiDep, who: Principal, tool: str, body: Any, args: dict[str, Any]) -> ToolResult:
    """Apply ``tool`` as the authenticated person (a body ``actor`` naming someone else is
    refused), with the body's chat and idempotency key."""
    return run_tool(
        q,
        tool,
        args,
        actor=acting_as(q, who, body.actor),
        chat_id=body.chat_id,
        idempotency_key=body.idempotency_key,
    )


# -- members ---------------------------------------------------------------------------------
@router.get("/members", response_model=PagePublic[MemberPublic], tags=["members"])
def list_members(
    q: QunmiDep,
    role: Literal["admin", "pm", "member"] | None = None,
    limit: Limit = 100,
    offset: Offset = 0,
) -> dict[str, Any]:
    with q.uow_factory() as uow:
        page = uow.members.list(filters={"role": role}, limit=limit, offset=offset)
    return {
        "items": [member_record(m) for m in page.items],
        "total": page.total,
        "limit": page.limit,
        "offset": page.offset,
    }


@router.get("/members/{member_id}", response_model=MemberPublic, tags=["members"])
def get_member(q: QunmiDep, member_id: RecordId) -> dict[str, Any]:
    with q.uow_factory() as uow:
        member = uow.members.get(member_id)
    if member is None:
        raise NotFound(f"成员 {member_id} 不存在")
    return member_record(member)


def _check_names_free(uow: Any, names_: list[str], *, except_id: int | None = None) -> None:
    """Names are labels compared after normalisation: "陈静" with a zero-width space or an RTL
    mark, or in full-width letters, is the same name as "陈静" and is refused."""
    for name in names_:
        if not normalise_name(name):
            raise InvalidInput(f"名字“{name}”去掉不可见字符后是空的")
    for other in uow.members.all():
        if other.id == except_id:
            continue
        taken = {normalise_name(n) for n in other.names}
        clash = [n for n in names_ if normalise_name(n) in taken]
        if clash:
            raise Conflict(
                f"名字“{clash[0]}”已经是成员 {other.display_name} 的名字或别名（看起来一样的名字也算）"
            )


def _acting_member(
    q: QunmiDep, uow: Any, who: Principal, claimed: str | int | None
) -> Member | None:
    """The member acting (``None``: the local operator or the bootstrap token, trusted)."""
    if who.kind == "bootstrap" or (who.kind == "local" and claimed is None):
        return None
    actor = acting_as(q, who, claimed)
    found = find_member(uow, actor)
    if found is None:
        raise NotFound(f"找不到操作人“{actor}”")
    return found


@router.post(
    "/members", response_model=MemberPublic, status_code=status.HTTP_201_CREATED, tags=["members"]
)
def create_member(q: QunmiDep, who: PrincipalDep, body: MemberCreate) -> dict[str, Any]:
    """Register a member directly (team setup; admins only, or the local operator); in the chat,
    ``add_member`` does the same."""
    display_name = clean_label(body.display_name)
    aliases = [clean_label(a) for a in body.aliases if clean_label(a)]
    with q.uow_factory() as uow:
        actor = _acting_member(q, uow, who, None)
        if actor is not None and actor.role != Role.ADMIN:
            raise PermissionDenied("只有管理员可以直接登记成员")
        _check_names_free(uow, [display_name, *aliases])
        if body.wecom_userid and uow.identities.member_for("wecom", body.wecom_userid):
            raise Conflict(f"企业微信账号 {body.wecom_userid} 已经属于另一位成员")
        member = uow.members.add(
            Member(
                display_name=display_name,
                aliases=aliases,
                wecom_userid=body.wecom_userid,
                role=Role(body.role),
                created_at=q.clock.now(),
            )
        )
        if body.wecom_userid and member.id is not None:
            uow.identities.link(member.id, "wecom", body.wecom_userid, q.clock.now())
        uow.commit()
    return member_record(member)


@router.patch("/members/{member_id}", response_model=MemberPublic, tags=["members"])
def update_member(
    q: QunmiDep, who: PrincipalDep, member_id: RecordId, body: MemberUpdate
) -> dict[str, Any]:
    """Rename a member, set aliases, or change the role (roles: admins only, never one's own)."""
    with q.uow_factory() as uow:
        member = uow.members.get(member_id)
        if member is None:
            raise NotFound(f"成员 {member_id} 不存在")
        actor = _acting_member(q, uow, who, body.actor)
        if actor is not None and actor.id != member.id and actor.role != Role.ADMIN:
            raise PermissionDenied("只能修改自己的名字和别名；修改别人需要管理员")
        if body.role is not None and body.role != member.role.value:
            if actor is not None and actor.role != Role.ADMIN:
                raise PermissionDenied("只有管理员可以修改角色")
            if actor is not None and actor.id == member.id:
                raise PermissionDenied("不能修改自己的角色")
            if member.role == Role.ADMIN and not any(
                m.role == Role.ADMIN and m.id != member.id for m in uow.members.all()
            ):
                raise PermissionDenied("不能取消最后一位管理员的管理员角色")
            member.role = Role(body.role)
        if body.display_name is not None:
            member.display_name = clean_label(body.display_name)
        if body.aliases is not None:
            member.aliases = [clean_label(a) for a in body.aliases if clean_label(a)]
        _check_names_free(uow, member.names, except_id=member.id)
        member = uow.members.update(member)
        uow.commit()
    return member_record(member)


# -- projects --------------------------------------------------------------------------------
@router.get("/projects", response_model=PagePublic[ProjectPublic], tags=["projects"])
def list_projects(
    q: QunmiDep,
    who: PrincipalDep,
    status_: Annotated[
        Literal["active", "paused", "done", "archived"] | None, Query(alias="status")
    ] = None,
    limit: Limit = 100,
    offset: Offset = 0,
) -> dict[str, Any]:
    """Projects; budget and spent only for the viewer's projects as PM, or for admins."""
    with q.uow_factory() as uow:
        page = uow.projects.list(filters={"status": status_}, limit=limit, offset=offset)
        lookup = display_names(uow.members.all())
        viewer = _viewer(q, who, uow)
        items = [
            project_record(p, lookup, q.settings.tz, show_budget=_sees(q, uow, viewer, p))
            for p in page.items
        ]
    return {"items": items, "total": page.total, "limit": page.limit, "offset": page.offset}


@router.get("/projects/{project_id}", response_model=ProjectPublic, tags=["projects"])
def get_project(q: QunmiDep, who: PrincipalDep, project_id: RecordId) -> dict[str, Any]:
    with q.uow_factory() as uow:
        project = uow.projects.get(project_id)
        lookup = display_names(uow.members.all())
        if project is None:
            raise NotFound(f"项目 {project_id} 不存在")
        shown = _sees(q, uow, _viewer(q, who, uow), project)
    return project_record(project, lookup, q.settings.tz, show_budget=shown)


def _viewer(q: QunmiDep, who: Principal, uow: Any) -> Member | None:
    """Who reads: the authenticated member; the local operator reads as the first admin.
    Anyone else (the bootstrap token) sees no budgets."""
    try:
        actor = acting_as(q, who, None)
    except PermissionDenied:
        return None
    member: Member | None = (
        uow.members.get(actor) if isinstance(actor, int) else q.executor.find_actor(uow, actor)
    )
    return member


def _sees(q: QunmiDep, uow: Any, viewer: Member | None, project: Project) -> bool:
    role = None
    if viewer is not None and viewer.id is not None and project.id is not None:
        role = uow.projects.role_of(project.id, viewer.id)
    return sees_budget(viewer, project, role, q.executor.policy)


@router.post(
    "/projects",
    response_model=ProjectPublic,
    status_code=status.HTTP_201_CREATED,
    tags=["projects"],
)
def create_project(q: QunmiDep, who: PrincipalDep, body: ProjectCreate) -> dict[str, Any]:
    result = _run(q, who, "create_project", body, _tool_args(body))
    return result.record or {}


# -- chats -----------------------------------------------------------------------------------
def _member_ids(q: QunmiDep, uow: Any, wanted: list[str]) -> list[int]:
    everyone = uow.members.all()
    placeholder = Member(display_name="")
    return [
        member_id
        for n in wanted
        if (member_id := resolve_member_name(n, actor=placeholder, members=everyone).id) is not None
    ]


@router.get("/chats", response_model=PagePublic[ChatPublic], tags=["chats"])
def list_chats(
    q: QunmiDep, who: PrincipalDep, limit: Limit = 100, offset: Offset = 0
) -> dict[str, Any]:
    """Chats, without other people's own chats with Qunmi."""
    with q.uow_factory() as uow:
        hidden = (
            []
            if who.kind == "local"
            else others_private_chats(uow, who.member.id if who.member else None)
        )
        page = uow.chats.list(filters={"id_not_in": hidden or None}, limit=limit, offset=offset)
        lookup = display_names(uow.members.all())
    return {
        "items": [chat_record(c, lookup) for c in page.items],
        "total": page.total,
        "limit": page.limit,
        "offset": page.offset,
    }


@router.post(
    "/chats", response_model=ChatPublic, status_code=status.HTTP_201_CREATED, tags=["chats"]
)
def create_chat(q: QunmiDep, body: ChatCreate) -> dict[str, Any]:
    with q.uow_factory() as uow:
        if uow.chats.by_external("console", body.name) is not None:
            raise Conflict(f"群“{body.name}”已经存在")
        project_id = None
        if body.project:
            project = uow.projects.by_name(body.project)
            if project is None:
                raise NotFound(f"找不到项目“{body.project}”")
            project_id = project.id
        chat = uow.chats.add(
            Chat(
                name=body.name,
                channel="console",
                external_id=body.name,
                project_id=project_id,
                member_ids=_member_ids(q, uow, body.members),
                created_at=q.clock.now(),
            )
        )
        uow.commit()
        lookup = display_names(uow.members.all())
    return chat_record(chat, lookup)


@router.patch("/chats/{chat_id}", response_model=ChatPublic, tags=["chats"])
def update_chat(q: QunmiDep, chat_id: RecordId, body: ChatUpdate) -> dict[str, Any]:
    with q.uow_factory() as uow:
        chat = uow.chats.get(chat_id)
        if chat is None:
            raise NotFound(f"群 {chat_id} 不存在")
        if body.name is not None:
            chat.name = body.name
        if body.project is not None:
            project = uow.projects.by_name(body.project)
            if project is None:
                raise NotFound(f"找不到项目“{body.project}”")
            chat.project_id = project.id
        if body.members is not None:
            chat.member_ids = _member_ids(q, uow, body.members)
        chat = uow.chats.update(chat)
        uow.commit()
        lookup = display_names(uow.members.all())
    return chat_record(chat, lookup)


# -- tasks -----------------------------------------------------------------------------------
@router.get("/tasks", response_model=PagePublic[TaskPublic], tags=["tasks"])
def list_tasks(
    q: QunmiDep,
    status_: Annotated[
        Literal["todo", "in_progress", "blocked", "done", "cancelled"] | None, Query(alias="status")
    ] = None,
    assignee: Annotated[str | None, Query(max_length=200)] = None,
    project_id: IdFilter = None,
    open_: Annotated[bool | None, Query(alias="open")] = None,
    search: Annotated[str | None, Query(max_length=200)] = None,
    order: Literal["id", "-id", "due", "-due", "created_at", "-created_at"] = "id",
    limit: Limit = 100,
    offset: Offset = 0,
) -> dict[str, Any]:
    with q.uow_factory() as uow:
        everyone = uow.members.all()
        assignee_id = None
        if assignee:
            assignee_id = resolve_member_name(
                assignee, actor=Member(display_name=""), members=everyone
            ).id
        page = uow.tasks.list(
            filters={
                "status": status_,
                "assignee_id": assignee_id,
                "project_id": project_id,
                "open": open_,
                "q": search,
            },
            limit=limit,
            offset=offset,
            order=order,
        )
    lookup = display_names(everyone)
    return {
        "items": [task_record(t, lookup, q.settings.tz) for t in page.items],
        "total": page.total,
        "limit": page.limit,
        "offset": page.offset,
    }


@router.get("/tasks/{task_id}", response_model=TaskDetail, tags=["tasks"])
def get_task(q: QunmiDep, task_id: RecordId) -> dict[str, Any]:
    with q.uow_factory() as uow:
        task = uow.tasks.get(task_id)
        if task is None:
            raise NotFound(f"任务 #{task_id} 不存在")
        events = uow.tasks.events(task_id)
        lookup = display_names(uow.members.all())
    out = task_record(task, lookup, q.settings.tz)
    out["events"] = [
        {
            "kind": e.kind,
            "at": iso(e.at, q.settings.tz),
            "actor_id": e.actor_id,
            "old": e.old,
            "new": e.new,
            "note": e.note,
        }
        for e in events
    ]
    return out


@router.post(
    "/tasks", response_model=TaskPublic, status_code=status.HTTP_201_CREATED, tags=["tasks"]
)
def create_task(q: QunmiDep, who: PrincipalDep, body: TaskCreate) -> dict[str, Any]:
    result = _run(q, who, "create_task", body, _tool_args(body))
    return result.record or {}


@router.patch("/tasks/{task_id}", response_model=TaskPublic, tags=["tasks"])
def update_task(
    q: QunmiDep, who: PrincipalDep, task_id: RecordId, body: TaskUpdate
) -> dict[str, Any]:
    args = _tool_args(body)
    args["task"] = task_id
    result = _run(q, who, "update_task", body, args)
    return result.record or {}


# -- meetings --------------------------------------------------------------------------------
@router.get("/meetings", response_model=PagePublic[MeetingPublic], tags=["meetings"])
def list_meetings(
    q: QunmiDep,
    status_: Annotated[
        Literal["scheduled", "cancelled", "done"] | None, Query(alias="status")
    ] = None,
    start_after: Annotated[AwareTime | None, Query()] = None,
    start_before: Annotated[AwareTime | None, Query()] = None,
    limit: Limit = 100,
    offset: Offset = 0,
) -> dict[str, Any]:
    with q.uow_factory() as uow:
        page = uow.meetings.list(
            filters={"status": status_, "start_after": start_after, "start_before": start_before},
            limit=limit,
            offset=offset,
            order="start",
        )
        lookup = display_names(uow.members.all())
    return {
        "items": [meeting_record(m, lookup, q.settings.tz) for m in page.items],
        "total": page.total,
        "limit": page.limit,
        "offset": page.offset,
    }


@router.get("/meetings/{meeting_id}", response_model=MeetingPublic, tags=["meetings"])
def get_meeting(q: QunmiDep, meeting_id: RecordId) -> dict[str, Any]:
    with q.uow_factory() as uow:
        meeting = uow.meetings.get(meeting_id)
        lookup = display_names(uow.members.all())
    if meeting is None:
        raise NotFound(f"会议 #{meeting_id} 不存在")
    return meeting_record(meeting, lookup, q.settings.tz)


@router.post(
    "/meetings",
    response_model=MeetingPublic,
    status_code=status.HTTP_201_CREATED,
    tags=["meetings"],
)
def create_meeting(q: QunmiDep, who: PrincipalDep, body: MeetingCreate) -> dict[str, Any]:
    result = _run(q, who, "create_meeting", body, _tool_args(body))
    return result.record or {}


@router.post("/meetings/{meeting_id}/reschedule", response_model=MeetingPublic, tags=["meetings"])
def reschedule_meeting(
    q: QunmiDep, who: PrincipalDep, meeting_id: RecordId, body: MeetingReschedule
) -> dict[str, Any]:
    args = _tool_args(body)
    args["meeting"] = meeting_id
    result = _run(q, who, "reschedule_meeting", body, args)
    return result.record or {}


@router.post("/meetings/{meeting_id}/cancel", response_model=MeetingPublic, tags=["meetings"])
def cancel_meeting(
    q: QunmiDep, who: PrincipalDep, meeting_id: RecordId, body: MeetingCancel
) -> dict[str, Any]:
    args = _tool_args(body)
    args["meeting"] = meeting_id
    result = _run(q, who, "cancel_meeting", body, args)
    return result.record or {}


# -- audit -----------------------------------------------------------------------------------
@router.get("/audit", response_model=PagePublic[AuditPublic], tags=["audit"])
def list_audit(
    q: QunmiDep,
    tool: Annotated[str | None, Query(max_length=60)] = None,
    actor_id: IdFilter = None,
    message_id: IdFilter = None,
    limit: Limit = 100,
    offset: Offset = 0,
) -> dict[str, Any]:
    with q.uow_factory() as uow:
        page = uow.audit.list(
            filters={"tool": tool, "actor_id": actor_id, "message_id": message_id},
            limit=limit,
            offset=offset,
            order="-id",
        )
    tz = q.settings.tz
    items = [
        {
            "id": e.id,
            "tool": e.tool,
            "arguments": without_budget(e.arguments),
            "at": iso(e.at, tz),
            "actor_id": e.actor_id,
            "message_id": e.message_id,
            "result": without_budget(e.result),
            "undoable": e.undo is not None and e.undone_at is None,
            "undone_at": iso(e.undone_at, tz),
        }
        for e in page.items
    ]
    return {"items": items, "total": page.total, "limit": page.limit, "offset": page.offset}


@router.post("/audit/{audit_id}/undo", tags=["audit"])
def undo(q: QunmiDep, who: PrincipalDep, audit_id: RecordId, body: UndoRequest) -> dict[str, Any]:
    result = q.executor.undo(audit_id, actor=acting_as(q, who, body.actor))
    if not result.ok:
        raise ToolFailed(result)
    return result.to_dict()
