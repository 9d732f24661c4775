"""The SQL side of delay risk: task timelines for the feature code, and stored model versions.

``SqlTaskHistory`` reads tasks, their events, members, projects and milestones with a handful
of column-only queries (no ORM objects), which is what keeps scoring 10,000 open tasks under a
second. ``SqlRiskModelStore`` keeps every trained model as a numbered version.
"""

from __future__ import annotations

from collections import defaultdict
from datetime import datetime

from sqlalchemy import Engine, func, or_, select
from sqlalchemy.orm import Session

from assistant.insight.risk.history import ProjectInfo, TeamRecords
from assistant.insight.risk.model import TrainedModel
from assistant.insight.risk.observation import TaskTimeline, TimelineEvent
from storage.orm import MemberRow, MilestoneRow, ProjectRow, RiskModelRow, TaskEventRow, TaskRow

__all__ = ["SqlRiskModelStore", "SqlTaskHistory"]

_CLOSED = ("done", "cancelled")


class SqlTaskHistory:
    """``TaskHistorySource`` over the task store."""

    def __init__(self, engine: Engine) -> None:
        self._engine = engine

    def load(self, *, open_at: datetime | None = None) -> TeamRecords:
        # A Core connection, not an ORM session: plain rows, without the ORM's loading layer.
        with self._engine.connect() as session:
            members = dict(
                session.execute(select(MemberRow.id, MemberRow.display_name)).tuples().all()
            )
            milestones: dict[int, list[tuple[datetime, bool]]] = defaultdict(list)
            for project_id, due, done in session.execute(
                select(MilestoneRow.project_id, MilestoneRow.due, MilestoneRow.done)
            ).tuples():
                if project_id is not None:
                    milestones[project_id].append((due, bool(done)))
            projects = [
                ProjectInfo(
                    id=pid, name=name, deadline=deadline, milestones=tuple(milestones.get(pid, ()))
                )
                for pid, name, deadline in session.execute(
                    select(ProjectRow.id, ProjectRow.name, ProjectRow.deadline)
                ).tuples()
            ]
            timelines: dict[int, TaskTimeline] = {}
            for row in session.execute(
                select(
                    TaskRow.id,
                    TaskRow.title,
                    TaskRow.created_at,
                    TaskRow.status,
                    TaskRow.due,
                    TaskRow.priority,
                    TaskRow.assignee_id,
                    TaskRow.project_id,
                    TaskRow.completed_at,
                ).order_by(TaskRow.id)
            ).tuples():
                timelines[row[0]] = TaskTimeline(
                    id=row[0],
                    title=row[1],
                    created_at=row[2],
                    status=row[3],
                    due=row[4],
                    priority=row[5],
                    assignee_id=row[6],
                    project_id=row[7],
                    completed_at=row[8],
                )
            events = select(
                TaskEventRow.task_id,
                TaskEventRow.at,
                TaskEventRow.kind,
                TaskEventRow.old,
                TaskEventRow.new,
                TaskEventRow.note,
            ).order_by(TaskEventRow.task_id, TaskEventRow.id)
            if open_at is not None:
                # Scoring needs the events of the tasks open then; finished ones only their outcome.
                still_open = select(TaskRow.id).where(
                    or_(
                        TaskRow.status.not_in(_CLOSED),
                        (TaskRow.status == "done") & (TaskRow.completed_at > open_at),
                    )
                )
                events = events.where(TaskEventRow.task_id.in_(still_open))
            for task_id, at, kind, old, new, note in session.execute(events).tuples():
                timeline = timelines.get(task_id)
                if timeline is not None:
                    timeline.events.append(
                        TimelineEvent(at=at, kind=kind, old=old, new=new, note=note)
                    )
        for timeline in timelines.values():
            # Ids follow insertion order; a replayed history may carry equal timestamps.
            timeline.events.sort(key=lambda e: e.at)
        return TeamRecords(members=members, projects=projects, timelines=list(timelines.values()))


class SqlRiskModelStore:
    """``RiskModelStore`` in the ``risk_models`` table: one row per version, never overwritten."""

    def __init__(self, engine: Engine) -> None:
        self._engine = engine

    def latest(self) -> TrainedModel | None:
        with Session(self._engine) as session:
            row = session.scalars(
                select(RiskModelRow).order_by(RiskModelRow.version.desc()).limit(1)
            ).first()
            return None if row is None else TrainedModel.from_dict(row.body)

    def versions(self) -> list[dict[str, object]]:
        with Session(self._engine) as session:
            rows = session.execute(
                select(
                    RiskModelRow.version,
                    RiskModelRow.trained_at,
                    RiskModelRow.finished_tasks,
                    RiskModelRow.examples,
                    RiskModelRow.cv_auc,
                ).order_by(RiskModelRow.version)
            ).tuples()
            return [
                {
                    "version": v,
                    "trained_at": t,
                    "finished_tasks": f,
                    "examples": e,
                    "cv_auc": a,
                }
                for v, t, f, e, a in rows
            ]

    def save(self, model: TrainedModel) -> TrainedModel:
        from dataclasses import replace

        with Session(self._engine) as session, session.begin():
            version = (session.scalar(select(func.max(RiskModelRow.version))) or 0) + 1
            saved = replace(model, version=version)
            session.add(
                RiskModelRow(
                    version=version,
                    trained_at=model.trained_at,
                    finished_tasks=model.finished_tasks,
                    examples=model.examples,
                    cv_auc=model.metrics.get("cv_auc"),
                    body=saved.to_dict(),
                )
            )
        return saved
