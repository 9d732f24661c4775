"""The delay-risk use cases: assess open tasks, train and retrain the model, levels for alerts.

Over three ports: ``TaskHistorySource`` (the store's task timelines), ``RiskModelStore``
(versioned trained models) and ``SimilarTasks`` (built from the finished tasks; the keyword one
by default, the team memory's when it is wired).
"""

from __future__ import annotations

import gc
import logging
import math
from collections.abc import Callable, Iterator, Sequence
from contextlib import contextmanager
from dataclasses import dataclass, field
from datetime import datetime, timedelta, tzinfo
from typing import Any, Literal, Protocol

import numpy as np

from assistant.errors import NotFound
from assistant.insight.risk.advice import Candidate, Suggestion, TaskRef, suggest
from assistant.insight.risk.batch import examples_batch, observe_open
from assistant.insight.risk.explain import Reason, explain
from assistant.insight.risk.features import matrix
from assistant.insight.risk.history import FinishedTask, TeamHistory, TeamRecords
from assistant.insight.risk.model import GbmParams, RiskModel, TrainedModel, train_model
from assistant.insight.risk.observation import TaskObservation, TaskTimeline
from assistant.insight.risk.prior import prior_columns, prior_logits
from assistant.insight.risk.similar import KeywordSimilarTasks, SimilarTasks
from assistant.ports import Clock

__all__ = [
    "ModelInfo",
    "RiskConfig",
    "RiskModelStore",
    "RiskReport",
    "RiskService",
    "TaskHistorySource",
    "TaskRisk",
    "TrainOutcome",
]

log = logging.getLogger(__name__)

Level = Literal["low", "medium", "high"]
LEVEL_WORDS = {"low": "低", "medium": "中", "high": "高"}


class TaskHistorySource(Protocol):
    """The team's tasks as timelines, with members and projects."""

    def load(self, *, open_at: datetime | None = None) -> TeamRecords:
        """Everything; with ``open_at``, events only for the tasks open at that moment (what
        scoring needs), outcomes for all finished ones."""
        ...


class RiskModelStore(Protocol):
    """Trained models, versioned; the newest is the one that speaks."""

    def latest(self) -> TrainedModel | None: ...

    def save(self, model: TrainedModel) -> TrainedModel:
        """Store ``model`` as the next version and return it with its version set."""
        ...


@dataclass(frozen=True, slots=True)
class RiskConfig:
    tz: tzinfo
    min_finished: int = 50  # below this the prior speaks
    high: float = 0.6
    medium: float = 0.3
    neighbours_k: int = 5
    retrain_after: timedelta = timedelta(hours=24)
    retrain_growth: float = 0.1  # or when finished tasks grew by this share
    workday_end_hour: int = 18
    params: GbmParams = field(default_factory=GbmParams)

    def level(self, risk: float) -> Level:
        return "high" if risk >= self.high else "medium" if risk >= self.medium else "low"


@dataclass(frozen=True, slots=True)
class ModelInfo:
    """Which scorer spoke, and why."""

    kind: Literal["prior", "lightgbm"]
    finished_tasks: int
    min_finished: int
    version: int | None = None
    trained_at: datetime | None = None
    cv_auc: float | None = None
    note: str = ""

    def to_dict(self, tz: tzinfo) -> dict[str, Any]:
        return {
            "kind": self.kind,
            "version": self.version,
            "trained_at": self.trained_at.astimezone(tz).isoformat() if self.trained_at else None,
            "finished_tasks": self.finished_tasks,
            "min_finished": self.min_finished,
            "cv_auc": self.cv_auc,
            "note": self.note,
        }


@dataclass(frozen=True, slots=True)
class TaskRisk:
    task_id: int
    title: str
    assignee: str | None
    due: datetime | None
    risk: float
    level: Level
    reasons: tuple[Reason, ...]
    suggestions: tuple[Suggestion, ...]
    project: str | None = None
    status: str = "todo"

    def to_dict(self, tz: tzinfo) -> dict[str, Any]:
        return {
            "task_id": self.task_id,
            "title": self.title,
            "assignee": self.assignee,
            "due": self.due.astimezone(tz).isoformat() if self.due else None,
            "risk": round(self.risk, 3),
            "level": self.level,
            "reasons": [r.text for r in self.reasons],
            "suggestions": [s.to_dict() for s in self.suggestions],
            "factors": [{"factor": r.factor, "weight": r.weight} for r in self.reasons],
            "project": self.project,
            "status": self.status,
        }


@dataclass(frozen=True, slots=True)
class RiskReport:
    model: ModelInfo
    tasks: tuple[TaskRisk, ...]
    now: datetime

    def to_dict(self, tz: tzinfo) -> dict[str, Any]:
        """The ``qunmi risk --json`` / ``GET /risk`` contract: riskiest first."""
        return {
            "model": self.model.to_dict(tz),
            "tasks": [t.to_dict(tz) for t in self.tasks],
        }


@dataclass(frozen=True, slots=True)
class TrainOutcome:
    trained: bool
    finished_tasks: int
    model: TrainedModel | None = None
    reason: str = ""
    seconds: float = 0.0


SimilarFactory = Callable[[Sequence[FinishedTask]], SimilarTasks]


class RiskService:
    """Delay risk for a team's open tasks."""

    def __init__(
        self,
        *,
        history: TaskHistorySource,
        models: RiskModelStore,
        clock: Clock,
        config: RiskConfig,
        similar: SimilarFactory = KeywordSimilarTasks,
    ) -> None:
        self._history = history
        self._models = models
        self._clock = clock
        self.config = config
        self._similar = similar
        self._loaded: tuple[int | None, RiskModel] | None = None
        self._index: tuple[list[FinishedTask], SimilarTasks] | None = None

    # -- scoring --------------------------------------------------------------------------
    def _team(self, *, open_at: datetime | None) -> TeamHistory:
        # Tens of thousands of small objects, none of them in a cycle: the cyclic collector
        # would walk the whole heap several times over while they are made, for nothing.
        with _collector_paused():
            return TeamHistory.build(
                self._history.load(open_at=open_at),
                similar=self._similar_index,
                neighbours_k=self.config.neighbours_k,
            )

    def _similar_index(self, finished: Sequence[FinishedTask]) -> SimilarTasks:
        """The similar-task index of ``finished``, reused while the finished tasks are the
        same ones (equal in every field) as at the previous call: its search caches answers,
        so scoring the same open tasks again searches nothing."""
        cached = self._index
        if cached is not None and cached[0] == finished:
            return cached[1]
        index = self._similar(finished)
        self._index = (list(finished), index)
        return index

    def _model(self, finished: int) -> tuple[RiskModel | None, ModelInfo]:
        need = self.config.min_finished
        if finished < need:
            return None, ModelInfo(
                kind="prior",
                finished_tasks=finished,
                min_finished=need,
                note=f"团队已完成的任务只有{finished}个（少于{need}个），由透明的先验评分给出风险",
            )
        trained = self._models.latest()
        if trained is None:
            return None, ModelInfo(
                kind="prior",
                finished_tasks=finished,
                min_finished=need,
                note="还没有训练过模型（运行 qunmi risk train），暂由先验评分给出风险",
            )
        if self._loaded is None or self._loaded[0] != trained.version:
            self._loaded = (trained.version, RiskModel(trained))
        return self._loaded[1], ModelInfo(
            kind="lightgbm",
            finished_tasks=finished,
            min_finished=need,
            version=trained.version,
            trained_at=trained.trained_at,
            cv_auc=trained.metrics.get("cv_auc"),
            note=f"模型 v{trained.version}，用{trained.finished_tasks}个已完成任务训练",
        )

    def assess(
        self,
        *,
        now: datetime | None = None,
        project: str | None = None,
        task_ids: Sequence[int] | None = None,
        explain_all: bool = True,
        detail: bool = True,
    ) -> RiskReport:
        """Every task open at ``now`` that has a due date (of ``project``, or the given ids),
        riskiest first, with reasons and suggestions (for every task with ``explain_all``,
        else for the medium and high ones; none without ``detail``: risk and level only)."""
        now = now or self._clock.now()
        team = self._team(open_at=now)
        project_id = self._project_id(team.records, project)
        wanted = set(task_ids) if task_ids is not None else None
        open_tasks = [
            t
            for t in team.records.timelines
            if _open_at(t, now)
            and t.due is not None
            and (project_id is None or t.project_id == project_id)
            and (wanted is None or t.id in wanted)
        ]
        finished = sum(1 for f in team.finished if f.finished_at <= now)
        model, info = self._model(finished)
        batch, hits = observe_open(team, open_tasks, now)
        x = matrix(batch.columns)
        contributions: list[dict[str, float]] | None = None
        if model is not None and detail and explain_all:
            probs, contributions = model.explain(x)
            risks = [float(p) for p in probs]
        elif model is not None and detail:
            # TreeSHAP only for the tasks that get reasons (medium and high).
            risks = [float(p) for p in model.predict(x)]
            needed = [i for i, r in enumerate(risks) if self.config.level(r) != "low"]
            contributions = [{} for _ in risks]
            if needed:
                for i, c in zip(needed, model.explain(x[needed])[1], strict=True):
                    contributions[i] = c
        elif model is not None:
            risks = [float(p) for p in model.predict(x)]
        else:
            risks = (1.0 / (1.0 + np.exp(-prior_logits(batch.columns)))).tolist()
            # The prior's terms are its explanation.
            terms = prior_columns(batch.columns)
            contributions = [
                {f: float(v[i]) for f, v in terms.items() if not math.isnan(v[i])}
                for i in range(len(open_tasks) if detail else 0)
            ]
        levels = [self.config.level(r) for r in risks]
        wanted_detail = [detail and (explain_all or lv != "low") for lv in levels]
        neighbours = hits.lists() if any(wanted_detail) else [[] for _ in open_tasks]
        candidates = self._candidates(team, now) if any(wanted_detail) else []
        names = team.records.members
        projects = {p.id: p.name for p in team.records.projects}
        out: list[TaskRisk] = []
        for i, t in enumerate(open_tasks):
            risk, level = risks[i], levels[i]
            reasons: list[Reason] = []
            suggestions: list[Suggestion] = []
            assignee_id = None if math.isnan(batch.assignee[i]) else int(batch.assignee[i])
            due = (
                None
                if math.isnan(batch.due[i])
                else datetime.fromtimestamp(float(batch.due[i]), now.tzinfo)
            )
            assignee = names.get(assignee_id) if assignee_id is not None else None
            if wanted_detail[i]:
                obs = batch.observation(i, now)
                assert contributions is not None
                reasons = explain(obs, contributions[i])
                ref = TaskRef(
                    id=t.id, title=t.title, assignee=assignee, assignee_id=assignee_id, due=due
                )
                if level != "low":
                    suggestions = suggest(
                        obs,
                        reasons,
                        task=ref,
                        neighbours=neighbours[i],
                        candidates=candidates,
                        now=now,
                        tz=self.config.tz,
                        workday_end_hour=self.config.workday_end_hour,
                    )
            out.append(
                TaskRisk(
                    task_id=t.id,
                    title=t.title,
                    assignee=assignee,
                    due=due,
                    risk=risk,
                    level=level,
                    reasons=tuple(reasons),
                    suggestions=tuple(suggestions),
                    project=projects.get(t.project_id) if t.project_id is not None else None,
                    status=batch.table.statuses[int(batch.status[i])],
                )
            )
        out.sort(key=lambda r: (-r.risk, r.due or now, r.task_id))
        return RiskReport(model=info, tasks=tuple(out), now=now)

    def levels(self, *, now: datetime | None = None) -> dict[int, Level]:
        """The current risk level of every open task with a due date, by task id: what an alert
        scheduler compares with the previous tick to alert on a change of level only."""
        report = self.assess(now=now, explain_all=False, detail=False)
        return {t.task_id: t.level for t in report.tasks}

    def observations(self, *, now: datetime | None = None) -> list[TaskObservation]:
        """The open tasks as observed now (for benchmarks and debugging)."""
        now = now or self._clock.now()
        team = self._team(open_at=now)
        return [team.observe(t, now) for t in team.records.timelines if _open_at(t, now) and t.due]

    # -- training -------------------------------------------------------------------------
    def train(self, *, now: datetime | None = None, force: bool = False) -> TrainOutcome:
        """Train a new model version on every finished task with a due date; with fewer than
        ``min_finished`` of them nothing is trained (unless ``force``) and the prior speaks."""
        import time

        started = time.perf_counter()
        now = now or self._clock.now()
        team = self._team(open_at=None)
        finished = sum(1 for f in team.finished if f.finished_at <= now)
        if finished < self.config.min_finished and not force:
            return TrainOutcome(
                trained=False,
                finished_tasks=finished,
                reason=f"已完成且有截止时间的任务只有{finished}个，少于{self.config.min_finished}个，继续使用先验评分",
            )
        examples = examples_batch(team)
        keep = examples.batch.at <= now.timestamp()
        labels = examples.late[keep]
        if len(set(labels.tolist())) < 2:
            return TrainOutcome(
                trained=False,
                finished_tasks=finished,
                reason="历史任务要么全部按时、要么全部延期，没法学出区别，继续使用先验评分",
            )
        model = train_model(
            matrix(examples.batch.columns)[keep],
            labels,
            [g for g, k in zip(examples.groups, keep.tolist(), strict=True) if k],
            trained_at=now,
            finished_tasks=finished,
            params=self.config.params,
        )
        saved = self._models.save(model)
        return TrainOutcome(
            trained=True,
            finished_tasks=finished,
            model=saved,
            seconds=time.perf_counter() - started,
        )

    def retrain_if_stale(self, *, now: datetime | None = None) -> TrainOutcome | None:
        """Retrain when the newest model is older than ``retrain_after`` and the finished tasks
        grew, or grew by ``retrain_growth``; for the scheduler's periodic job."""
        now = now or self._clock.now()
        latest = self._models.latest()
        if latest is None:
            outcome = self.train(now=now)
            return outcome if outcome.trained else None
        team = self._team(open_at=now)
        finished = sum(1 for f in team.finished if f.finished_at <= now)
        grew = finished - latest.finished_tasks
        old = now - latest.trained_at >= self.config.retrain_after
        if grew > 0 and (old or grew >= self.config.retrain_growth * latest.finished_tasks):
            return self.train(now=now)
        return None

    # -- helpers --------------------------------------------------------------------------
    @staticmethod
    def _project_id(records: TeamRecords, project: str | None) -> int | None:
        if not project:
            return None
        exact = [p for p in records.projects if p.name == project]
        if exact:
            return exact[0].id
        close = [p for p in records.projects if project in p.name or p.name in project]
        if len(close) == 1:
            return close[0].id
        raise NotFound(f"找不到项目“{project}”", details={"project": project})

    @staticmethod
    def _candidates(team: TeamHistory, now: datetime) -> list[Candidate]:
        out = []
        for member_id, name in team.records.members.items():
            finished, late = team.record(member_id, now)
            out.append(
                Candidate(
                    member_id=member_id,
                    name=name,
                    open_tasks=team.open_count(member_id, now),
                    finished=finished,
                    late=late,
                )
            )
        return out


@contextmanager
def _collector_paused() -> Iterator[None]:
    """The cyclic garbage collector off for the block (reference counting still frees
    everything acyclic), back to how it was after."""
    was = gc.isenabled()
    gc.disable()
    try:
        yield
    finally:
        if was:
            gc.enable()


def _open_at(t: TaskTimeline, now: datetime) -> bool:
    if t.created_at > now or t.status == "cancelled":
        return False
    if t.status == "done":
        return t.completed_at is not None and t.completed_at > now
    return True
