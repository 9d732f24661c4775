"""The ``weekly_report`` kind of scheduled work: every week, on ``weekday`` at ``at`` (a day
off moves it to the next workday), the weekly report of each active project goes to each of
its chats — the card, then the charts as image messages — through the outbox. A chat turns it
off with ``set_reminders weekly_report``; a project with no tasks and no meetings yet gets
none.

A group sees the report, so budgets are never in it (they are for PMs and admins, who ask
for the report themselves).
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import UTC, date, datetime, time, timedelta

from assistant.domain import ProjectStatus, ScheduledJob
from assistant.insight.reports.service import ReportService, WeeklyReport
from assistant.ports import OutgoingCard
from assistant.services.scheduler.core import PlanContext, Produced, RunOutcome

__all__ = ["WeeklyReports"]

_PAGE = 500


def _source_id(source: str | None) -> int | None:
    """The project id of ``project:N``; -1 for any other source; ``None`` for all."""
    if source is None:
        return None
    head, _, tail = source.partition(":")
    return int(tail) if head == "project" and tail.isdigit() else -1


@dataclass(slots=True)
class WeeklyReports:
    """Plans and sends the weekly report (see the module docstring)."""

    reports: ReportService
    weekday: int = 0
    at: time = time(9, 0)
    late_after: timedelta = timedelta(hours=12)
    name: str = "weekly_report"
    sources: tuple[str, ...] = ("project",)
    switch: str | None = "weekly_report"

    def _send_times(self, ctx: PlanContext, since: datetime, until: datetime) -> list[datetime]:
        tz = ctx.tz
        first: date = since.astimezone(tz).date() - timedelta(days=7)
        last: date = until.astimezone(tz).date()
        day = first + timedelta(days=(self.weekday - first.weekday()) % 7)
        out: list[datetime] = []
        while day <= last:
            sent_on = ctx.hours.next_workday(day)
            at = datetime.combine(sent_on, self.at, tzinfo=tz)
            if since <= at < until:
                out.append(at)
            day += timedelta(days=7)
        return out

    def plan(
        self, ctx: PlanContext, source: str | None, since: datetime, until: datetime
    ) -> list[ScheduledJob]:
        wanted = _source_id(source)
        if wanted == -1:
            return []
        times = self._send_times(ctx, since, until)
        if not times:
            return []
        active = {
            p.id
            for p in ctx.uow.projects.all()
            if p.status == ProjectStatus.ACTIVE
            and p.id is not None
            and (wanted is None or p.id == wanted)
        }
        filters = {} if wanted is None else {"project_id": wanted}
        jobs: list[ScheduledJob] = []
        offset = 0
        while True:
            page = ctx.uow.chats.list(filters=filters, limit=_PAGE, offset=offset, order="id")
            for chat in page.items:
                if chat.project_id not in active or chat.id is None:
                    continue
                for at in times:
                    stamp = at.astimezone(UTC).strftime("%Y%m%dT%H%M%SZ")
                    jobs.append(
                        ScheduledJob(
                            kind=self.name,
                            key=f"{self.name}:{chat.project_id}:{chat.id}:{stamp}",
                            due_at=at,
                            created_at=ctx.now,
                            source=f"project:{chat.project_id}",
                            chat_id=chat.id,
                        )
                    )
            offset += len(page.items)
            if len(page.items) < _PAGE:
                return jobs

    def run(self, ctx: PlanContext, job: ScheduledJob) -> RunOutcome:
        if ctx.now - job.due_at > self.late_after:
            return RunOutcome.expired("周报晚了太久（服务停过），不再补发")
        project_id = _source_id(job.source)
        project = ctx.uow.projects.get(project_id) if project_id and project_id > 0 else None
        if project is None:
            return RunOutcome.cancelled("项目已不存在")
        report: WeeklyReport = ctx.cached(
            ("weekly_report", project.id, job.due_at),
            lambda: self.reports.weekly(
                project=project, now=job.due_at, show_budget=False, uow=ctx.uow
            ),
        )
        t = report.data["tasks"]
        if not (t["total"] or t["cancelled"] or report.data["meetings_held"]):
            # Like the daily summary with nothing overdue: a project without any work yet
            # gets no report of zeros.
            return RunOutcome(note="项目里还没有任务和会议，本周不发周报")
        chat = ctx.chat(job.chat_id)
        card = OutgoingCard(
            text=report.card,
            chat=chat.name if chat else None,
            chat_id=job.chat_id,
            kind="report",
            images=tuple(str(p) for p in report.images.values()),
        )
        return RunOutcome(
            messages=[Produced(card=card, recipients=[], coalescible=False)],
            result={"charts": list(report.images), "project_id": project.id},
        )
