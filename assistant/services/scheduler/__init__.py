"""Scheduled work in the SQL store, run once by one leader: see ``core``."""

from assistant.services.scheduler.core import (
    JobKind,
    PlanContext,
    Produced,
    RunOutcome,
    Scheduler,
    SchedulerConfig,
    SchedulerLoop,
    SqlLease,
    TickReport,
)
from assistant.services.scheduler.hours import TeamHours
from assistant.services.scheduler.reminders import ReminderOptions, RiskAlerts, builtin_kinds

__all__ = [
    "JobKind",
    "PlanContext",
    "Produced",
    "ReminderOptions",
    "RiskAlerts",
    "RunOutcome",
    "Scheduler",
    "SchedulerConfig",
    "SchedulerLoop",
    "SqlLease",
    "TeamHours",
    "TickReport",
    "builtin_kinds",
]
