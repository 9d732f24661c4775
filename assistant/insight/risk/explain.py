"""Explanations: the factors that push a task's risk up, in plain Chinese.

The scorer (the prior's terms, or the model's TreeSHAP contributions grouped by factor) says how
much each factor adds to the log-odds; this module keeps the factors that add the most and says
each with the task's own figures ("距截止只剩1天", "3天没有进展更新"). A factor is only said when
its value points the same way as its weight (a model may credit "10 days left" with a little
risk against a base rate; that is not worth telling anyone).
"""

from __future__ import annotations

import math
from collections.abc import Callable, Mapping
from dataclasses import dataclass

from assistant.insight.risk.observation import TaskObservation

__all__ = ["FACTOR_LABELS", "Reason", "explain"]

FACTOR_LABELS: dict[str, str] = {
    "time": "时间紧",
    "moved": "截止时间多次改动",
    "stale": "长时间没有进展更新",
    "blocked": "受阻",
    "progress": "进度落后于时间",
    "load": "负责人任务多",
    "record": "负责人以往常延期",
    "similar": "相似任务常延期",
    "reassigned": "多次换负责人",
    "priority": "优先级变动",
    "discussed": "反复沟通仍未完成",
    "kind": "这类工作容易延期",
    "project": "项目整体时间紧",
    "team": "团队近来常延期",
}

_KIND_WORDS = {
    "bug": "修复问题",
    "feature": "功能开发",
    "doc": "文档",
    "test": "测试",
    "task": "一般任务",
}


@dataclass(frozen=True, slots=True)
class Reason:
    factor: str
    text: str
    weight: float  # its share of the log-odds


def _days(value: float) -> str:
    if value < 1:
        hours = max(1, round(value * 24))
        return f"{hours}小时"
    return f"{round(value):d}天" if value >= 1.5 else "1天"


def _time(obs: TaskObservation) -> str | None:
    left = obs.days_left
    if left is None:
        return None
    if left < 0:
        return f"已经逾期{_days(-left)}"
    span = obs.planned_span_days or 0
    if left <= 3 or (span > 0 and left / span <= 0.25):
        used = f"（计划时间已用去{1 - left / span:.0%}）" if span > 0 and left / span < 0.8 else ""
        return f"距截止只剩{_days(left)}{used}"
    return None


def _stale(obs: TaskObservation) -> str | None:
    d = obs.days_since_update
    if d is None or d < 2:
        return None
    return f"{math.floor(d)}天没有进展更新"


def _moved(obs: TaskObservation) -> str | None:
    n = obs.due_changes or 0
    if n < 1:
        return None
    pushed = obs.due_pushed_days or 0
    return f"截止时间已经改过{n}次" + (f"（累计推迟{_days(pushed)}）" if pushed >= 0.5 else "")


def _blocked(obs: TaskObservation) -> str | None:
    days = obs.blocked_days or 0
    if obs.blocked_now:
        return "目前处于受阻状态" + (f"，已卡了{_days(days)}" if days >= 0.5 else "")
    if days >= 0.5:
        return f"之前受阻过{_days(days)}"
    return None


def _progress(obs: TaskObservation) -> str | None:
    left, span = obs.days_left, obs.planned_span_days
    if left is None or not span or span <= 0:
        return None
    used = 1 - max(0.0, min(1.0, left / span))
    if obs.progress is None:
        # Never having heard how far along it is, well into its time, is itself a signal.
        return (
            f"时间已过去{used:.0%}，还没有人报过进展"
            if used >= 0.3 and obs.updates is not None
            else None
        )
    if used - obs.progress < 0.15:
        return None
    return f"进展约{obs.progress:.0%}，时间却已过去{used:.0%}"


def _load(obs: TaskObservation) -> str | None:
    n = obs.assignee_open
    if n is None or n < 3:
        return None
    return f"负责人手上还有{n}个未完成的任务"


def _record(obs: TaskObservation) -> str | None:
    n, rate = obs.assignee_finished, obs.assignee_late_rate
    if not n or rate is None or n < 2 or rate < 0.3:
        return None
    return f"负责人以往完成的{n}个任务里有{round(rate * n)}个延期"


def _similar(obs: TaskObservation) -> str | None:
    nb = obs.neighbours
    if nb is None or nb.count < 2 or nb.late < 1 or (nb.late_share or 0) < 0.3:
        return None
    slip = f"，平均晚了{_days(nb.mean_slip_days)}" if nb.mean_slip_days else ""
    return f"相似的{nb.count}个任务里有{nb.late}个延期了{slip}"


def _reassigned(obs: TaskObservation) -> str | None:
    n = obs.assignee_changes or 0
    return f"已经换过{n}次负责人" if n >= 1 else None


def _priority(obs: TaskObservation) -> str | None:
    n = obs.priority_changes or 0
    return f"优先级改过{n}次" if n >= 1 else None


def _discussed(obs: TaskObservation) -> str | None:
    n = obs.updates or 0
    return f"已经来回更新了{n}次仍未完成" if n >= 4 else None


def _kind(obs: TaskObservation) -> str | None:
    if obs.kind in (None, "task", "other"):
        return None
    return f"{_KIND_WORDS.get(obs.kind or '', obs.kind)}类的工作在团队里较常延期"


def _project(obs: TaskObservation) -> str | None:
    left = obs.project_days_left
    if left is None or left > 7:
        return None
    more = f"，项目里还有{obs.project_open}个未完成的任务" if obs.project_open else ""
    return f"项目离截止只剩{_days(left)}{more}"


def _team(obs: TaskObservation) -> str | None:
    rate = obs.team_late_rate
    if rate is None or rate < 0.25:
        return None
    return f"团队最近完成的任务里有{rate:.0%}延期了"


_SAY: dict[str, Callable[[TaskObservation], str | None]] = {
    "time": _time,
    "stale": _stale,
    "moved": _moved,
    "blocked": _blocked,
    "progress": _progress,
    "load": _load,
    "record": _record,
    "similar": _similar,
    "reassigned": _reassigned,
    "priority": _priority,
    "discussed": _discussed,
    "kind": _kind,
    "project": _project,
    "team": _team,
}


def explain(
    obs: TaskObservation,
    contributions: Mapping[str, float],
    *,
    limit: int = 5,
    min_weight: float = 0.1,
) -> list[Reason]:
    """The factors that add most to the risk of ``obs``, strongest first, said in Chinese."""
    out: list[Reason] = []
    for factor, weight in sorted(contributions.items(), key=lambda kv: -kv[1]):
        if weight < min_weight:
            break
        say = _SAY.get(factor)
        text = say(obs) if say is not None else None
        if text:
            out.append(Reason(factor=factor, text=text, weight=round(weight, 3)))
        if len(out) >= limit:
            break
    return out
