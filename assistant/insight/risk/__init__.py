"""Delay risk: which open tasks will slip, why, and what to do about it.

``observation`` is the neutral task-history representation (the SQL store and the external
evaluation data both map into it), ``features`` the one feature definition, ``prior`` the
transparent score for teams with little history, ``model`` the calibrated LightGBM,
``explain`` / ``advice`` the Chinese reasons and suggestions, ``service`` the use cases.
"""

from assistant.insight.risk.history import TeamHistory, TeamRecords
from assistant.insight.risk.observation import Neighbour, TaskObservation, TaskTimeline
from assistant.insight.risk.service import (
    ModelInfo,
    RiskConfig,
    RiskModelStore,
    RiskReport,
    RiskService,
    TaskHistorySource,
    TaskRisk,
    TrainOutcome,
)
from assistant.insight.risk.similar import KeywordSimilarTasks, SimilarTasks

__all__ = [
    "KeywordSimilarTasks",
    "ModelInfo",
    "Neighbour",
    "RiskConfig",
    "RiskModelStore",
    "RiskReport",
    "RiskService",
    "SimilarTasks",
    "TaskHistorySource",
    "TaskObservation",
    "TaskRisk",
    "TaskTimeline",
    "TeamHistory",
    "TeamRecords",
    "TrainOutcome",
]
