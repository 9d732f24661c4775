"""``GET /reports/weekly`` (the report's figures and card, JSON) and
``GET /reports/weekly/charts/{name}.png`` (one chart, for the dashboard)."""

from __future__ import annotations

from datetime import datetime
from typing import Annotated, Any

from fastapi import APIRouter, Query
from fastapi.responses import Response

from api.deps import PrincipalDep, QunmiDep, acting_as
from assistant.adapters.charts import CHART_NAMES
from assistant.bootstrap import Qunmi
from assistant.errors import InvalidInput, NotFound
from assistant.insight.reports import find_project
from tools.permissions import sees_budget

router = APIRouter(tags=["reports"])

ProjectQ = Annotated[str | None, Query(max_length=200, description="项目名；不填为全部项目")]
NowQ = Annotated[datetime | None, Query(description="统计截止时刻，ISO 8601 带时区；默认现在")]
ActorQ = Annotated[
    str | None,
    Query(
        max_length=200,
        description="谁在看（成员名或编号）：只能是登录的本人（本机模式下可指定）；"
        "项目经理和管理员能看到预算",
    ),
]


def _sees_budget(q: Qunmi, actor: str | int, project: str | None) -> bool:
    """Whether ``actor`` (the authenticated reader) may see the project's budget: its PM
    (by project role or ownership) and admins."""
    with q.uow_factory() as uow:
        member = q.executor.find_actor(uow, actor)
        found = find_project(uow, project)
        role = None
        if found is not None and found.id is not None and member.id is not None:
            role = uow.projects.role_of(found.id, member.id)
    return sees_budget(member, found, role, q.executor.policy)


def _check_now(now: datetime | None) -> None:
    if now is not None and now.tzinfo is None:
        raise InvalidInput("now 需要带时区，例如 2026-11-30T09:00:00+08:00")


@router.get("/reports/weekly")
def weekly_report(
    q: QunmiDep,
    principal: PrincipalDep,
    project: ProjectQ = None,
    now: NowQ = None,
    actor: ActorQ = None,
) -> dict[str, Any]:
    """The weekly report of ``project``: figures (docs/reports.md), the chat card, and the
    names of the charts (``/reports/weekly/charts/{name}.png``)."""
    _check_now(now)
    if q.reports is None:
        raise InvalidInput("周报没有在这个实例上启用")
    report = q.reports.weekly(
        project=project,
        now=now,
        show_budget=_sees_budget(q, acting_as(q, principal, actor), project),
        charts=False,
    )
    data = dict(report.data)
    data["charts"] = list(CHART_NAMES)
    data.pop("images", None)
    return data


@router.get(
    "/reports/weekly/charts/{name}.png",
    response_class=Response,
    responses={200: {"content": {"image/png": {}}}},
)
def weekly_chart(q: QunmiDep, name: str, project: ProjectQ = None, now: NowQ = None) -> Response:
    """One chart of the weekly report as PNG: status, gantt, burndown or members."""
    _check_now(now)
    if name not in CHART_NAMES:
        raise NotFound(f"没有叫“{name}”的图表（可选 {'、'.join(CHART_NAMES)}）")
    if q.reports is None:
        raise InvalidInput("周报没有在这个实例上启用")
    png = q.reports.chart(name, project=project, now=now)
    return Response(content=png, media_type="image/png", headers={"Cache-Control": "no-store"})
