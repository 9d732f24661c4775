"""Weekly reports: figures over a project's records, the chat card, and the use case that
draws the charts (docs/reports.md)."""

from assistant.insight.reports.card import render_weekly_card
from assistant.insight.reports.figures import (
    MemberActivity,
    ReportRecords,
    RiskDigest,
    WeeklyFigures,
    meeting_occurrences,
    weekly_figures,
)
from assistant.insight.reports.service import (
    ChartRenderer,
    ReportService,
    RiskSource,
    WeeklyReport,
    find_project,
    risk_digest,
)

__all__ = [
    "ChartRenderer",
    "MemberActivity",
    "ReportRecords",
    "ReportService",
    "RiskDigest",
    "RiskSource",
    "WeeklyFigures",
    "WeeklyReport",
    "find_project",
    "meeting_occurrences",
    "render_weekly_card",
    "risk_digest",
    "weekly_figures",
]
