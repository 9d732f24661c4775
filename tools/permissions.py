"""Who may do what: the permission matrix, in one place, and the policy that applies it.

Every tool call is judged as the *sender* (never as the bot) against ``MATRIX``: the executor
refuses to commit a call that was not judged (``tools.executor``). docs/permissions.md shows
the same table; tests/integration/test_permissions_matrix.py generates its cases from it.

A call is judged with the actor's *standing* towards the record it touches:

- ``admin``: team-wide administrator (``members.role == "admin"``);
- ``pm``: project manager of the target's project (``project_members.role == "pm"``: an
  explicit role — the owner is given it when the project is made or handed over, and an admin
  can take it away like anyone's), or a legacy team-wide PM (``members.role == "pm"`` means
  "PM of every project"); with no project in play, only the team-wide PM counts;
- ``member``: everyone else (a plain member, the PM of *another* project, an outsider);

and, for a member, the *ownership* of the record: ``own`` (task assigned to or created by the
actor, meeting they organise, project they own, audit entry they made), ``other`` (someone
else's) or ``unassigned`` (a task nobody is assigned to, a meeting without organiser).
"""

from __future__ import annotations

from dataclasses import dataclass
from enum import StrEnum
from typing import Protocol

from assistant.domain import Meeting, Member, Project, Role, Task
from assistant.errors import PermissionDenied

__all__ = [
    "MATRIX",
    "TOOL_ACTIONS",
    "AllowAll",
    "Ownership",
    "PermissionPolicy",
    "RolePolicy",
    "Rule",
    "Standing",
    "Target",
    "actions_for",
    "ownership_of",
    "sees_budget",
    "sees_project_files",
]


class Standing(StrEnum):
    ADMIN = "admin"
    PM = "pm"
    MEMBER = "member"


class Ownership(StrEnum):
    OWN = "own"
    OTHER = "other"
    UNASSIGNED = "unassigned"
    NONE = "none"  # the action touches no record (creating, reading)


@dataclass(frozen=True, slots=True)
class Rule:
    """One row of the matrix: who may take the action. ``member`` lists the ownerships for
    which a plain member may; ``pm`` says whether the project's PM may (admins always may,
    except where the role rules below say otherwise)."""

    label: str
    pm: bool
    member: frozenset[Ownership]
    refusal: str


_ALL = frozenset(Ownership)
_OWN = frozenset({Ownership.OWN})
_NOBODY: frozenset[Ownership] = frozenset()

MATRIX: dict[str, Rule] = {
    "create_project": Rule("新建项目", True, _NOBODY, "只有项目经理或管理员可以新建项目"),
    "project.update": Rule(
        "改项目截止/状态", True, _OWN, "只有项目负责人、项目经理或管理员可以修改项目"
    ),
    "project.owner": Rule(
        "更换项目负责人（新负责人成为项目经理，需确认）",
        True,
        _NOBODY,
        "只有管理员或该项目的项目经理可以更换项目负责人",
    ),
    "project.budget": Rule(
        "设置或修改预算、花费", True, _NOBODY, "只有项目经理和管理员可以设置或修改预算和花费"
    ),
    "milestone.create": Rule(
        "加里程碑", True, _OWN, "只有项目负责人、项目经理或管理员可以添加里程碑"
    ),
    "member.add": Rule("把人加入项目/群（不改角色）", True, _ALL, ""),
    "role.project": Rule(
        "设置项目内角色（pm / member）",
        True,
        _NOBODY,
        "只有管理员或该项目的项目经理可以设置项目内的角色",
    ),
    "role.team": Rule(
        "设置全队角色（admin / 全队 pm / member）",
        False,
        _NOBODY,
        "只有管理员可以设置或撤销管理员和全队项目经理",
    ),
    "task.create": Rule("建任务（可指派给别人）", True, _ALL, ""),
    "task.update": Rule(
        "改任务状态/截止/优先级/进展",
        True,
        _OWN,
        "这不是你的任务：只有负责人、创建人、项目经理或管理员可以修改",
    ),
    "task.reassign": Rule(
        "改派任务",
        True,
        _OWN,
        "只有任务负责人、创建人、项目经理或管理员可以改派这个任务",
    ),
    "task.cancel": Rule(
        "取消任务",
        True,
        _OWN,
        "只有任务负责人、创建人、项目经理或管理员可以取消这个任务",
    ),
    "task.cost": Rule("填写或修改任务费用", True, _NOBODY, "只有项目经理和管理员可以填写任务费用"),
    "meeting.create": Rule("安排会议", True, _ALL, ""),
    "meeting.change": Rule(
        "改期/修改会议",
        True,
        _OWN,
        "只有会议组织者、项目经理或管理员可以修改这个会",
    ),
    "meeting.cancel": Rule(
        "取消会议", True, _OWN, "只有会议组织者、项目经理或管理员可以取消这个会"
    ),
    "query": Rule("查询任务、进度、会议、风险", True, _ALL, ""),
    "budget.see": Rule(
        "查看预算、花费、任务费用", True, _NOBODY, "只有项目经理和管理员可以查看预算和费用"
    ),
    "ask": Rule("查历史记录（预算段落只给项目经理，项目文件只给项目成员）", True, _ALL, ""),
    "summarize": Rule("总结群聊/会议纪要", True, _ALL, ""),
    "report": Rule("项目简报（预算只给项目经理）", True, _ALL, ""),
    "reminders.set": Rule("开关本群提醒", True, _ALL, ""),
    "undo": Rule("撤销一次操作", True, _OWN, "只有操作人本人、项目经理或管理员可以撤销"),
}
"""Action → who may take it. Admins may take every action (role rules aside)."""

TOOL_ACTIONS: dict[str, tuple[str, ...]] = {
    "create_project": ("create_project", "project.budget"),
    "update_project": ("project.update", "project.owner", "project.budget"),
    "create_milestone": ("milestone.create",),
    "add_member": ("member.add", "role.project", "role.team"),
    "create_task": ("task.create", "task.cost"),
    "update_task": ("task.update", "task.reassign", "task.cancel", "task.cost"),
    "create_meeting": ("meeting.create",),
    "reschedule_meeting": ("meeting.change",),
    "update_meeting": ("meeting.change",),
    "cancel_meeting": ("meeting.cancel",),
    "query": ("query", "budget.see"),
    "ask": ("ask",),
    "summarize": ("summarize",),
    "report": ("report",),
    "set_reminders": ("reminders.set",),
    "undo": ("undo",),
}
"""Tool → the actions of the matrix one of its calls may take (docs and tests use this)."""


@dataclass(frozen=True, slots=True)
class Target:
    """What a call touches, for the policy to judge.

    ``project`` is the target's project (the task's, the meeting's, the named one, or the chat's);
    ``project_role`` the actor's role in it ("pm", "member" or ``None`` when not a member);
    ``changes`` the fields changed; ``new_status`` a task's new status. For role changes:
    ``subject`` (whose role), ``new_role``, ``team_wide`` (the team-wide role, not the
    project's) and ``admins`` (how many admins the team has now). ``owner_id`` is who owns an
    audit entry (for ``undo``).
    """

    task: Task | None = None
    meeting: Meeting | None = None
    project: Project | None = None
    project_role: str | None = None
    changes: frozenset[str] = frozenset()
    new_status: str | None = None
    new_role: str | None = None
    subject: Member | None = None
    subject_project_role: str | None = None
    team_wide: bool = False
    admins: int = 0
    owner_id: int | None = None


class PermissionPolicy(Protocol):
    """Raises ``PermissionDenied`` (with a Chinese reason) when ``actor`` may not make the call."""

    def check(self, *, actor: Member, tool: str, target: Target) -> None: ...


class AllowAll:
    def check(self, *, actor: Member, tool: str, target: Target) -> None:
        return None


def standing_of(actor: Member, target: Target) -> Standing:
    if actor.role == Role.ADMIN:
        return Standing.ADMIN
    if actor.role == Role.PM:  # legacy team-wide PM: PM of every project
        return Standing.PM
    if target.project is not None and target.project_role == "pm":
        return Standing.PM
    return Standing.MEMBER


def ownership_of(actor: Member, tool: str, target: Target) -> Ownership:
    if target.task is not None:
        task = target.task
        if actor.id is not None and actor.id in (task.assignee_id, task.creator_id):
            return Ownership.OWN
        return Ownership.UNASSIGNED if task.assignee_id is None else Ownership.OTHER
    if target.meeting is not None:
        organizer = target.meeting.organizer_id
        if organizer is None:
            return Ownership.UNASSIGNED
        return Ownership.OWN if organizer == actor.id else Ownership.OTHER
    if target.owner_id is not None or tool == "undo":
        return Ownership.OWN if target.owner_id == actor.id else Ownership.OTHER
    if tool in ("project.update", "milestone.create") and target.project is not None:
        owner = target.project.owner_id
        if owner is None:
            return Ownership.UNASSIGNED
        return Ownership.OWN if owner == actor.id else Ownership.OTHER
    return Ownership.NONE


def actions_for(tool: str, target: Target) -> list[str]:
    """The matrix actions one call takes, from the tool and what it changes."""
    changes = target.changes
    if tool == "create_project":
        return ["create_project", *(["project.budget"] if "budget" in changes else [])]
    if tool == "update_project":
        out = []
        if changes - {"budget", "spent", "owner"}:
            out.append("project.update")
        if "owner" in changes:
            out.append("project.owner")
        if changes & {"budget", "spent"}:
            out.append("project.budget")
        return out or ["project.update"]
    if tool == "create_milestone":
        return ["milestone.create"]
    if tool == "add_member":
        if (
            target.new_role is None
            or (target.subject is None and target.new_role == "member")
            or (target.subject is not None and _role_unchanged(target))
        ):
            return ["member.add"]
        return ["member.add", "role.team" if target.team_wide else "role.project"]
    if tool == "create_task":
        return ["task.create", *(["task.cost"] if "cost" in changes else [])]
    if tool == "update_task":
        cancels = target.new_status == "cancelled"
        out = ["task.cancel"] if cancels else []
        if "assignee" in changes:
            out.append("task.reassign")
        if changes - {"assignee", "cost", *(["status"] if cancels else [])}:
            out.append("task.update")
        if "cost" in changes:
            out.append("task.cost")
        return out or ["task.update"]
    if tool == "create_meeting":
        return ["meeting.create"]
    if tool in ("reschedule_meeting", "update_meeting"):
        return ["meeting.change"]
    if tool == "cancel_meeting":
        return ["meeting.cancel"]
    if tool == "set_reminders":
        return ["reminders.set"]
    if tool == "see_budget":
        return ["budget.see"]
    if tool in MATRIX:
        return [tool]
    raise PermissionDenied(f"没有为“{tool}”定义权限，已拒绝")


def _role_unchanged(target: Target) -> bool:
    subject = target.subject
    assert subject is not None
    if target.team_wide:
        return subject.role.value == target.new_role
    return target.subject_project_role == target.new_role


class RolePolicy:
    """Applies ``MATRIX``, then the rules of role changes:

    - only admins change team-wide roles (admin, legacy team-wide pm); an admin's roles in
      a project are changed only by admins too;
    - the PM of a project may set ``pm`` / ``member`` *in that project* (not on admins);
    - nobody changes their own role (nor makes themselves a project's owner);
    - nobody demotes the last admin.

    ``project.owner`` (handing a project over) is judged as setting the new owner's role in
    the project to ``pm``.
    """

    def check(self, *, actor: Member, tool: str, target: Target) -> None:
        for action in actions_for(tool, target):
            self._check_action(actor, action, target)

    def _check_action(self, actor: Member, action: str, target: Target) -> None:
        rule = MATRIX[action]
        standing = standing_of(actor, target)
        if action.startswith("role.") or action == "project.owner":
            # Handing a project over makes the new owner its PM: a role change, judged as one.
            self._check_role_change(actor, action, standing, target)
            return
        if standing == Standing.ADMIN:
            return
        if standing == Standing.PM and rule.pm:
            return
        if standing == Standing.MEMBER and ownership_of(actor, action, target) in rule.member:
            return
        raise PermissionDenied(rule.refusal, details={"action": action})

    @staticmethod
    def _check_role_change(actor: Member, action: str, standing: Standing, target: Target) -> None:
        subject = target.subject
        if action == "project.owner" and subject is not None and subject.id == actor.id:
            if standing == Standing.MEMBER:  # an admin or the PM gains nothing by it
                raise PermissionDenied(
                    "不能把项目负责人改成自己，请让管理员或项目经理来改", details={"action": action}
                )
            return
        if subject is not None and subject.id == actor.id:
            raise PermissionDenied("不能修改自己的角色，请让管理员来改", details={"action": action})
        if standing != Standing.ADMIN:
            if action == "role.team" or standing != Standing.PM:
                raise PermissionDenied(MATRIX[action].refusal, details={"action": action})
            if subject is not None and subject.role == Role.ADMIN:
                raise PermissionDenied("只有管理员可以修改管理员的角色", details={"action": action})
        demotes_admin = (
            action == "role.team"
            and subject is not None
            and subject.role == Role.ADMIN
            and target.new_role != "admin"
        )
        if demotes_admin and target.admins <= 1:
            raise PermissionDenied(
                "这是团队最后一位管理员，不能撤销；请先设置另一位管理员",
                details={"action": action},
            )


def sees_budget(
    actor: Member | None,
    project: Project | None,
    project_role: str | None,
    policy: PermissionPolicy | None = None,
) -> bool:
    """Whether ``actor`` may see the budget of ``project`` (surfaces outside the executor:
    the CLI, the REST records)."""
    if actor is None:
        return False
    try:
        (policy or RolePolicy()).check(
            actor=actor,
            tool="see_budget",
            target=Target(project=project, project_role=project_role),
        )
    except PermissionDenied:
        return False
    return True


def sees_project_files(
    actor: Member | None, project: Project | None, project_role: str | None
) -> bool:
    """Whether ``actor`` may read the files filed under ``project`` (download them, list them,
    find their passages in the memory): its members (any role in it, its owner, its member
    list), admins and team-wide PMs. Files filed under no project are everyone's; nobody's
    credential (``None``) reads no project's files."""
    if project is None:
        return True
    if actor is None:
        return False
    if actor.role in (Role.ADMIN, Role.PM):  # a team-wide PM is PM of every project
        return True
    return (
        project_role is not None
        or (actor.id is not None and actor.id == project.owner_id)
        or (actor.id is not None and actor.id in project.member_ids)
    )


def matrix_markdown() -> str:
    """The matrix as the Markdown table of docs/permissions.md (a test keeps them equal)."""
    tools_of: dict[str, list[str]] = {}
    for tool, actions in TOOL_ACTIONS.items():
        for action in actions:
            tools_of.setdefault(action, []).append(tool)

    def cell(ok: bool) -> str:
        return "✅" if ok else "❌"

    lines = [
        "| action | tools | what | admin | PM of the project | member: own | member: other's | member: unassigned |",
        "|---|---|---|---|---|---|---|---|",
    ]
    for action, rule in MATRIX.items():
        if rule.member >= {Ownership.NONE, Ownership.OWN, Ownership.OTHER}:
            own = other = unassigned = "✅"
        else:
            own = cell(Ownership.OWN in rule.member)
            other = cell(Ownership.OTHER in rule.member)
            unassigned = cell(Ownership.UNASSIGNED in rule.member)
        admin = "✅ (not own role, not last admin)" if action.startswith("role.") else "✅"
        pm = cell(rule.pm) + {
            "role.project": " (not on admins, not own)",
            "project.owner": " (not to admins)",
        }.get(action, "")
        tools = ", ".join(f"`{t}`" for t in tools_of.get(action, [action]))
        lines.append(
            f"| `{action}` | {tools} | {rule.label} | {admin} | {pm} | {own} | {other} | {unassigned} |"
        )
    return "\n".join(lines)
