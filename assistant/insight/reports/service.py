"""The weekly report use case: read a project's records, compute the figures, draw the charts,
write the card. Budgets appear only when the caller says the reader may see them."""

from __future__ import annotations

import re
import time
from collections.abc import Callable, Mapping, Sequence
from dataclasses import dataclass, field
from datetime import datetime, timedelta, tzinfo
from pathlib import Path
from typing import Any, Protocol

from assistant.domain import MeetingStatus, Project, Task
from assistant.errors import NotFound
from assistant.insight.reports.card import render_weekly_card
from assistant.insight.reports.figures import (
    ReportRecords,
    RiskDigest,
    WeeklyFigures,
    weekly_figures,
)
from assistant.ports import Clock
from assistant.unit_of_work import UnitOfWork, UnitOfWorkFactory

__all__ = [
    "ChartRenderer",
    "ReportService",
    "RiskSource",
    "WeeklyReport",
    "find_project",
    "risk_candidates",
    "risk_digest",
]

_PAGE = 500


class ChartRenderer(Protocol):
    """Draws one chart of a report (``names``) as PNG bytes."""

    names: tuple[str, ...]

    def render(self, name: str, report: Mapping[str, Any]) -> bytes: ...

    def render_all(self, report: Mapping[str, Any], out_dir: Path) -> dict[str, Path]: ...


RiskSource = Callable[[datetime, str | None, Sequence[int]], RiskDigest | None]
"""The riskiest of the given open tasks of a project (or all) at a time."""

RISK_CANDIDATES = 200


@dataclass(slots=True)
class WeeklyReport:
    figures: WeeklyFigures
    data: dict[str, Any]
    card: str
    images: dict[str, Path] = field(default_factory=dict)
    seconds: dict[str, float] = field(default_factory=dict)


def find_project(uow: UnitOfWork, name: str | None) -> Project | None:
    """The project called ``name`` (or whose name contains it, when only one does); ``None``
    for no name (the report then covers every project)."""
    if not name:
        return None
    project = uow.projects.by_name(name)
    if project is not None:
        return project
    candidates = [p for p in uow.projects.all() if name in p.name or p.name in name]
    if len(candidates) == 1:
        return candidates[0]
    raise NotFound(f"找不到项目“{name}”", details={"project": name})


def _all(list_page: Callable[[int], Any]) -> list[Any]:
    out: list[Any] = []
    offset = 0
    while True:
        page = list_page(offset)
        out.extend(page.items)
        offset += len(page.items)
        if not page.items or offset >= page.total:
            return out


class ReportService:
    """Weekly reports of a project (or of everything)."""

    def __init__(
        self,
        *,
        uow_factory: UnitOfWorkFactory,
        clock: Clock,
        tz: tzinfo,
        out_dir: Path,
        renderer: ChartRenderer | None = None,
        risk: RiskSource | None = None,
        days: int = 7,
        gantt_limit: int = 30,
        keep_charts: timedelta = timedelta(days=14),
    ) -> None:
        self._uow_factory = uow_factory
        self._clock = clock
        self.tz = tz
        self.out_dir = out_dir
        self.renderer = renderer
        self._risk = risk
        self.days = days
        self.gantt_limit = gantt_limit
        self.keep_charts = keep_charts

    def load(self, uow: UnitOfWork, *, project: Project | None, now: datetime) -> ReportRecords:
        """Everything the figures need, in a handful of queries."""
        start = now - timedelta(days=self.days)
        members = uow.members.all()
        names = {m.id: m.display_name for m in members if m.id is not None}
        filters: dict[str, Any] = {} if project is None else {"project_id": project.id}
        tasks: list[Task] = _all(
            lambda off: uow.tasks.list(filters=filters, limit=_PAGE, offset=off, order="id")
        )
        chats = _all(lambda off: uow.chats.list(filters=filters, limit=_PAGE, offset=off))
        chat_ids = [c.id for c in chats if c.id is not None]
        meetings = [
            m
            for m in _all(
                lambda off: uow.meetings.list(
                    filters={"start_before": now}, limit=_PAGE, offset=off, order="id"
                )
            )
            if m.status != MeetingStatus.CANCELLED
            and (project is None or m.project_id == project.id or m.chat_id in chat_ids)
        ]
        milestones = _all(lambda off: uow.milestones.list(filters=filters, limit=_PAGE, offset=off))
        return ReportRecords(
            project=project,
            names=names,
            member_ids=list(project.member_ids) if project is not None else list(names),
            tasks=tasks,
            due_events=uow.tasks.events_between(start, now, kinds=["due"]),
            messages_by_sender=uow.messages.count_by_sender(
                start, now, chat_ids=None if project is None else chat_ids
            ),
            meetings=meetings,
            milestones=milestones,
        )

    def weekly(
        self,
        *,
        project: str | Project | None = None,
        now: datetime | None = None,
        show_budget: bool = False,
        charts: bool = True,
        uow: UnitOfWork | None = None,
    ) -> WeeklyReport:
        """The report for the ``days`` before ``now``: figures, card and (``charts``) PNGs."""
        now = now or self._clock.now()
        seconds: dict[str, float] = {}
        t0 = time.perf_counter()
        if uow is None:
            with self._uow_factory() as own:
                proj = project if isinstance(project, Project) else find_project(own, project)
                records = self.load(own, project=proj, now=now)
        else:
            proj = project if isinstance(project, Project) else find_project(uow, project)
            records = self.load(uow, project=proj, now=now)
        seconds["load"] = time.perf_counter() - t0
        t1 = time.perf_counter()
        if self._risk is not None:
            records.risks = self._risk(
                now, proj.name if proj else None, risk_candidates(records, now)
            )
        seconds["risk"] = time.perf_counter() - t1
        t2 = time.perf_counter()
        figures = weekly_figures(
            records,
            now=now,
            tz=self.tz,
            days=self.days,
            gantt_limit=self.gantt_limit,
            show_budget=show_budget,
        )
        data = figures.to_dict()
        seconds["figures"] = time.perf_counter() - t2
        images: dict[str, Path] = {}
        if charts and self.renderer is not None:
            t3 = time.perf_counter()
            out_dir = self._chart_dir(proj, now)
            _prune(out_dir.parent, keep=self.keep_charts, current=out_dir)
            images = self.renderer.render_all(data, out_dir)
            seconds["charts"] = time.perf_counter() - t3
        data["charts"] = list(images)
        data["images"] = {name: str(path) for name, path in images.items()}
        card = render_weekly_card(data)
        data["card"] = card
        return WeeklyReport(figures=figures, data=data, card=card, images=images, seconds=seconds)

    def chart(
        self,
        name: str,
        *,
        project: str | None = None,
        now: datetime | None = None,
        show_budget: bool = False,
    ) -> bytes:
        """One chart of the report as PNG bytes (for the dashboard)."""
        if self.renderer is None:
            raise NotFound("这个实例没有启用图表")
        report = self.weekly(project=project, now=now, show_budget=show_budget, charts=False)
        return self.renderer.render(name, report.data)

    def _chart_dir(self, project: Project | None, now: datetime) -> Path:
        slug = "all" if project is None else f"p{project.id}"
        stamp = re.sub(r"[^0-9T]", "", now.astimezone(self.tz).strftime("%Y%m%dT%H%M%S"))
        return self.out_dir / slug / stamp


def _prune(folder: Path, *, keep: timedelta, current: Path) -> None:
    """Drop chart folders of ``folder`` written more than ``keep`` ago. Well past the outbox's
    retries (a message is dead within a day), so no message still waiting loses its images."""
    if not folder.is_dir():
        return
    cutoff = time.time() - keep.total_seconds()
    for old in folder.iterdir():
        if old == current or not old.is_dir():
            continue
        try:
            if old.stat().st_mtime < cutoff:
                for file in old.iterdir():
                    file.unlink()
                old.rmdir()
        except OSError:
            continue  # another process pruned it first, or a file is busy: next time


def risk_candidates(records: ReportRecords, now: datetime) -> list[int]:
    """The tasks whose delay risk the report ranks: open (not done or cancelled), due after
    ``now``, the ``RISK_CANDIDATES`` due soonest. Overdue tasks are already late: the report
    lists them as overdue."""
    upcoming = [
        t
        for t in records.tasks
        if t.status.is_open and t.due is not None and t.due > now and t.id is not None
    ]
    upcoming.sort(key=lambda t: (t.due, t.id))
    return [t.id for t in upcoming[:RISK_CANDIDATES] if t.id is not None]


def risk_digest(risk: Any, *, top: int = 5) -> RiskSource:
    """A ``RiskSource`` over the delay-risk service: its riskiest open tasks, and which scorer
    spoke (the prior, when no model is trained yet, says so)."""

    def source(now: datetime, project: str | None, task_ids: Sequence[int]) -> RiskDigest | None:
        if not task_ids:
            return RiskDigest(model="none", note="没有即将到期的未完成任务")
        report = risk.assess(now=now, project=project, task_ids=list(task_ids), explain_all=False)
        info = report.model
        tz = risk.config.tz
        tasks = [t.to_dict(tz) for t in report.tasks if t.level != "low"][:top]
        for t in tasks:
            t.pop("suggestions", None)
            t.pop("factors", None)
        note = info.note if info.kind == "prior" else ""
        return RiskDigest(model=info.kind, note=note, tasks=tasks)

    return source
