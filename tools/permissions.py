"""The permission hook: every tool call is checked as the *sender*, never as the bot."""

from __future__ import annotations

from dataclasses import dataclass
from typing import Protocol

from assistant.domain import Meeting, Member, Project, Role, Task
from assistant.errors import PermissionDenied

__all__ = ["AllowAll", "PermissionPolicy", "RolePolicy", "Target"]


@dataclass(frozen=True, slots=True)
class Target:
    """What a call touches, for the policy to judge."""

    task: Task | None = None
    meeting: Meeting | None = None
    project: Project | None = None
    changes: frozenset[str] = frozenset()
    new_role: str | None = None


class PermissionPolicy(Protocol):
    """Raises ``PermissionDenied`` (with a Chinese reason) when ``actor`` may not make the call."""

    def check(self, *, actor: Member, tool: str, target: Target) -> None: ...


class AllowAll:
    def check(self, *, actor: Member, tool: str, target: Target) -> None:
        return None


def _manager(member: Member) -> bool:
    return member.role in (Role.ADMIN, Role.PM)


class RolePolicy:
    """Default rules until fine-grained roles arrive:

    - anyone may create projects, tasks and meetings and update their own tasks;
    - changing someone else's task (not assigned to or created by you) needs PM or admin;
    - reassigning a task needs PM, admin, or being its creator;
    - rescheduling or cancelling a meeting needs its organizer, a PM or an admin;
    - granting the admin or pm role needs an admin (a PM may grant pm);
    - changing a project or adding its milestones needs its owner, a PM or an admin;
    - budgets and costs (``see_budget``) are for PMs and admins only.
    """

    def check(self, *, actor: Member, tool: str, target: Target) -> None:
        if _manager(actor) and not (tool == "add_member" and target.new_role == "admin"):
            return
        if tool in ("update_project", "create_milestone"):
            if target.project is None or target.project.owner_id != actor.id:
                raise PermissionDenied("只有项目负责人、项目经理或管理员可以修改项目和里程碑")
        if tool == "see_budget":
            raise PermissionDenied("只有项目经理和管理员可以查看预算和费用")
        if tool == "update_task" and target.task is not None:
            task = target.task
            own = actor.id in (task.assignee_id, task.creator_id) or task.assignee_id is None
            if (
                "assignee" in target.changes
                and actor.id != task.creator_id
                and task.assignee_id is not None
                and task.assignee_id != actor.id
            ):
                raise PermissionDenied("只有任务创建人、项目经理或管理员可以改派别人的任务")
            if not own:
                raise PermissionDenied(
                    "这是别人的任务：只有负责人、创建人、项目经理或管理员可以修改"
                )
        if tool in ("reschedule_meeting", "cancel_meeting") and target.meeting is not None:
            if target.meeting.organizer_id not in (None, actor.id):
                raise PermissionDenied("只有会议组织者、项目经理或管理员可以改期或取消这个会")
        if tool == "add_member" and target.new_role in ("admin", "pm"):
            if target.new_role == "admin" and actor.role != Role.ADMIN:
                raise PermissionDenied("只有管理员可以设置管理员")
            if not _manager(actor):
                raise PermissionDenied("只有项目经理或管理员可以设置角色")
        if tool == "undo" and target.task is not None and not _manager(actor):
            raise PermissionDenied("只有操作人本人、项目经理或管理员可以撤销")
