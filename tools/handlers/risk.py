"""The ``risk`` query ("哪些任务可能延期", "登录页会不会延期"), answered by the risk service.

The composition root registers ``risk_query(service)`` as the ``query`` handler: it answers
``kind="risk"`` and hands every other kind to the task-store query.
"""

from __future__ import annotations

from typing import TYPE_CHECKING

from assistant.errors import InvalidInput
from tools.handlers.queries import query
from tools.scope import Applied, Handler, Scope
from tools.vocabulary import Query

if TYPE_CHECKING:
    from assistant.insight.risk.service import RiskService

__all__ = ["risk_query"]

MAX_LISTED = 10


def risk_query(service: RiskService) -> Handler:
    def handle(scope: Scope, args: Query) -> Applied:
        if args.kind != "risk":
            return query(scope, args)
        return _risk(service, scope, args)

    return handle


def _risk(service: RiskService, scope: Scope, args: Query) -> Applied:
    tz = scope.tz
    if args.task is not None:
        task = scope.task(args.task)
        assert task.id is not None
        summary: dict[str, object] = {"task_id": task.id, "title": task.title}
        if not task.status.is_open:
            summary["closed"] = task.status.value
            return Applied(kind="risk", records=[], summary=summary)
        if task.due is None:
            summary["no_due"] = True
            return Applied(kind="risk", records=[], summary=summary)
        report = service.assess(now=scope.now, task_ids=[task.id])
        summary["model"] = report.model.to_dict(tz)
        return Applied(kind="risk", records=[t.to_dict(tz) for t in report.tasks], summary=summary)
    if args.since is not None or args.until is not None:
        raise InvalidInput("延期风险查询不按时间段筛选；可以指定项目、负责人或某个任务")
    project = scope.project(args.project)
    member = scope.member(args.member) if args.member else None
    report = service.assess(now=scope.now, project=project.name if project else None)
    tasks = [t for t in report.tasks if member is None or t.assignee == member.display_name]
    at_risk = [t for t in tasks if t.level != "low"]
    summary = {
        "model": report.model.to_dict(tz),
        "open_with_due": len(tasks),
        "count": len(at_risk),
        "high": sum(1 for t in at_risk if t.level == "high"),
    }
    if project is not None:
        summary["project"] = project.name
    if member is not None:
        summary["member"] = member.display_name
    return Applied(
        kind="risk", records=[t.to_dict(tz) for t in at_risk[:MAX_LISTED]], summary=summary
    )
