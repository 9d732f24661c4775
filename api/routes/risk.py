"""``GET /risk``: the delay risk of open tasks, riskiest first (the ``qunmi risk --json`` shape)."""

from __future__ import annotations

from datetime import datetime
from typing import Annotated, Any

from fastapi import APIRouter, Query

from api.deps import QunmiDep
from assistant.errors import InvalidInput

router = APIRouter(tags=["risk"])


@router.get("/risk")
def get_risk(
    q: QunmiDep,
    project: Annotated[str | None, Query(max_length=200, description="项目名")] = None,
    now: Annotated[datetime | None, Query(description="评估时刻，ISO 8601 带时区")] = None,
) -> dict[str, Any]:
    """Every open task with a due date: risk (0–1), level, reasons and suggested commands."""
    if now is not None and now.tzinfo is None:
        raise InvalidInput("now 需要带时区，例如 2026-11-25T10:00:00+08:00")
    if q.risk is None:
        raise InvalidInput("延期风险预测没有在这个实例上启用")
    report = q.risk.assess(now=now, project=project)
    return report.to_dict(q.settings.tz)
