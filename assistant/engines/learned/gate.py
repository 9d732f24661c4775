"""``IntentGate``: the classifier's say over what the rules found.

The rules stay in charge of *what* a call says (titles, times, names); the classifier only
judges *whether* a message asks for an action, and of which kind:

* **veto** — the rules made calls, but the classifier is sure the message needs none
  (``P(none) ≥ veto_none``, and above the called tools' own probability by ``veto_margin``): a reported plan, a question to a colleague, an opinion, a
  notice. The calls are dropped and the confidence is lowered, so that a hybrid router may
  still ask the LLM.
* **drop** — one of several calls has a tool the classifier finds very unlikely
  (``P(tool) < drop_tool``): that call goes, the others stay.
* **single** — the rules made several tasks, the classifier is sure the message asks for one
  (``P(many:create_task) < single_task``): the first task stays ("…周三前发Jiayi" names a
  recipient, not a second assignee).
* **route** — the rules found nothing, but the classifier is sure the message asks for a task
  or a change to one (``P ≥ route_action``): no call is invented, the confidence drops so that
  the hybrid engine hands the message to the LLM.

The thresholds are calibrated by cross-validation over the training data
(``evals/train_intent.py``) and stored with the weights.
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from dataclasses import dataclass

from assistant.domain import ToolCall
from assistant.engines.learned.features import warm_up
from assistant.engines.learned.model import MANY_TASKS, NONE, IntentModel, default_model

__all__ = ["ROUTED_TOOLS", "GateThresholds", "IntentGate", "Verdict"]

ROUTED_TOOLS = ("create_task", "update_task")
"""Tools whose likely presence, when the rules found nothing, sends a message to the LLM."""


@dataclass(frozen=True, slots=True)
class GateThresholds:
    veto_none: float = 0.9
    # The veto also wants P(none) to beat the likeliest called tool by this much (-1: off).
    veto_margin: float = -1.0
    drop_tool: float = 0.02
    # Several tasks from the rules while P(many tasks) is below this: keep the first (0: off).
    single_task: float = 0.0
    route_action: float = 0.9

    @classmethod
    def from_mapping(cls, values: Mapping[str, float]) -> GateThresholds:
        base = cls()
        return cls(
            veto_none=float(values.get("veto_none", base.veto_none)),
            veto_margin=float(values.get("veto_margin", base.veto_margin)),
            drop_tool=float(values.get("drop_tool", base.drop_tool)),
            single_task=float(values.get("single_task", base.single_task)),
            route_action=float(values.get("route_action", base.route_action)),
        )


@dataclass(frozen=True, slots=True)
class Verdict:
    """The calls the gate lets through, and what it did."""

    calls: list[ToolCall]
    action: str  # keep | veto | drop | route
    note: str | None = None


def review(
    calls: Sequence[ToolCall], probs: Mapping[str, float], thresholds: GateThresholds
) -> Verdict:
    """The gate's rule, on the rules' calls and the classifier's probabilities."""
    if calls:
        none = probs.get(NONE, 0.0)
        called = max(probs.get(c.tool, 1.0) for c in calls)
        if none >= thresholds.veto_none and none >= called + thresholds.veto_margin:
            return Verdict([], "veto", f"分类器认为无需动作（{probs[NONE]:.2f}），未执行规则结果")
        kept = list(calls)
        notes: list[str] = []
        if len(kept) > 1:
            likely = [c for c in kept if probs.get(c.tool, 1.0) >= thresholds.drop_tool]
            if likely and len(likely) < len(kept):
                dropped = sorted({c.tool for c in kept} - {c.tool for c in likely})
                notes.append(f"分类器认为不太可能：{'、'.join(dropped)}")
                kept = likely
        tasks = [i for i, c in enumerate(kept) if c.tool == "create_task"]
        if len(tasks) > 1 and probs.get(MANY_TASKS, 1.0) < thresholds.single_task:
            # "周三前发Jiayi" names a recipient, not a second assignee: the first task stays.
            kept = [c for i, c in enumerate(kept) if i not in tasks[1:]]
            notes.append("分类器认为只有一个任务：保留第一个")
        if notes:
            return Verdict(kept, "drop", "；".join(notes))
        return Verdict(kept, "keep")
    best = max(ROUTED_TOOLS, key=lambda t: probs.get(t, 0.0))
    if probs.get(best, 0.0) >= thresholds.route_action:
        return Verdict([], "route", f"规则没读出动作，但分类器认为像 {best}：交给模型")
    return Verdict([], "keep")


class IntentGate:
    """The committed classifier with its calibrated thresholds (loaded once)."""

    def __init__(
        self, model: IntentModel | None = None, thresholds: GateThresholds | None = None
    ) -> None:
        self.model = model or default_model()
        self.thresholds = thresholds or GateThresholds.from_mapping(self.model.thresholds)
        warm_up()  # jieba's dictionary loads here, not on the first message

    def review(self, calls: Sequence[ToolCall], probs: Mapping[str, float]) -> Verdict:
        return review(calls, probs, self.thresholds)
