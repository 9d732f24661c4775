"""The ``report`` tool ("出一下周报"), answered by the report service.

The composition root registers ``report_tool(service)``. Budgets are in the report only when
the acting person may see them (``scope.sees_budget``: the project's PM and admins).
"""

from __future__ import annotations

from typing import TYPE_CHECKING

from tools.scope import Applied, Handler, Scope
from tools.vocabulary import Report

if TYPE_CHECKING:
    from assistant.insight.reports.service import ReportService

__all__ = ["report_tool"]


def report_tool(service: ReportService) -> Handler:
    def handle(scope: Scope, args: Report) -> Applied:
        project = scope.project(args.project)
        report = service.weekly(
            project=project,
            now=scope.now,
            show_budget=scope.sees_budget(project),
            uow=scope.uow,
        )
        return Applied(kind="weekly_report", summary=report.data)

    return handle
