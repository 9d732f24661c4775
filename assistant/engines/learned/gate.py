"""``IntentGate``: the classifier's say over what the rules found.

The rules stay in charge of *what* a call says (titles, times, names); the classifier only
judges *whether* a message asks for an action, and of which kind:

* **veto** — the rules made calls, but the classifier is sure the message needs none
  (``P(none) ≥ veto_none``): a reported plan, a question to a colleague, an opinion, a
  notice. The calls are dropped and the confidence is lowered, so that a hybrid router may
  still ask the LLM.
* **drop** — one of several calls has a tool the classifier finds very unlikely
  (``P(tool) < drop_tool``): that call goes, the others stay.
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
from assistant.engines.learned.model import NONE, IntentModel, default_model

__all__ = ["ROUTED_TOOLS", "GateThresholds", "IntentGate", "Verdict"]

ROUTED_TOOLS = ("create_task", "update_task")
"""Tools whose likely presence, when the rules found nothing, sends a message to the LLM."""


@dataclass(frozen=True, slots=True)
class GateThresholds:
    veto_none: float = 0.9
    drop_tool: float = 0.02
    route_action: float = 0.9

    @classmethod
    def from_mapping(cls, values: Mapping[str, float]) -> GateThresholds:
        base = cls()
        return cls(
            veto_none=float(values.get("veto_none", base.veto_none)),
            drop_tool=float(values.get("drop_tool", base.drop_tool)),
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
        if probs.get(NONE, 0.0) >= thresholds.veto_none:
            return Verdict([], "veto", f"分类器认为无需动作（{probs[NONE]:.2f}），未执行规则结果")
        if len(calls) > 1:
            kept = [c for c in calls if probs.get(c.tool, 1.0) >= thresholds.drop_tool]
            if kept and len(kept) < len(calls):
                dropped = sorted({c.tool for c in calls} - {c.tool for c in kept})
                return Verdict(kept, "drop", f"分类器认为不太可能：{'、'.join(dropped)}")
        return Verdict(list(calls), "keep")
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
