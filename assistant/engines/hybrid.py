"""``HybridEngine``: the rule engine answers what it is sure of, the agent takes the rest.

The router asks ``RuleEngine.analyse`` for its calls and a confidence (0–1). The rules keep the
message when the confidence reaches ``threshold`` *and* nothing in the text points outside the
message itself (a reference such as “刚才那个会” or “上面说的”, which only the agent can resolve
against the chat's tasks and meetings) *and* the message is short enough for clause rules
(``max_rule_chars``). Everything else goes to the agent, whose own failure falls back to the
rules (see ``assistant.engines.agent``).

Should the rule engine lack ``analyse``, a plain heuristic stands in: the rules keep a message
they produced calls for, and a message with neither calls nor any action word (pure chat).
"""

from __future__ import annotations

import re
from dataclasses import dataclass
from typing import Any, Protocol, runtime_checkable

from assistant.domain import ChatContext, IncomingMessage, ToolCall
from assistant.engines.agent import AgentEngine
from assistant.ports import AgentOutcome, ApplyCall, Engine, PlannedApply

__all__ = ["HybridEngine", "Route"]

# Words that refer to something said or scheduled before: the rules cannot see that far.
_REFERENCE = re.compile(
    r"刚才|刚刚|上面|前面说|之前说|之前那|那个会|这个会|那个任务|这个任务|那件事|这件事|那俩|那两个|它|改回|照旧|同上|还是按"
)
# Words that usually ask for an action; used only when the rules give no confidence.
_ACTION = re.compile(r"会|任务|安排|负责|截止|之前|搞定|完成|取消|改到|挪到|延到|提醒|项目|进度|查")


@runtime_checkable
class _Analyser(Protocol):
    def analyse(self, message: IncomingMessage, context: ChatContext) -> Any: ...


@dataclass(frozen=True, slots=True)
class Route:
    """Where a message went and why."""

    engine: str  # rules | llm
    confidence: float | None
    reason: str
    calls: list[ToolCall]


class HybridEngine:
    """Rules first when they are sure; the LLM agent otherwise."""

    name = "hybrid"

    def __init__(
        self,
        rules: Engine,
        agent: AgentEngine,
        *,
        threshold: float = 0.8,
        max_rule_chars: int = 120,
    ) -> None:
        self.rules = rules
        self.agent = agent
        self.threshold = threshold
        self.max_rule_chars = max_rule_chars
        self.last_route: str | None = None
        self.last_decision: Route | None = None
        self.last_usage: dict[str, Any] | None = None

    def route(self, message: IncomingMessage, context: ChatContext) -> Route:
        """Decide who handles ``message``; the rule engine's calls come along."""
        text = message.text.strip()
        if isinstance(self.rules, _Analyser):
            analysis = self.rules.analyse(message, context)
            calls = list(analysis.calls)
            confidence: float | None = float(analysis.confidence)
            resolved = getattr(analysis, "dialogue", None)
        else:
            calls = self.rules.understand(message, context)
            confidence = None
            resolved = None
        if resolved and confidence is not None and confidence >= self.threshold:
            # The dialogue state (passed in with the context) told the rules what it refers to.
            return Route("rules", confidence, f"按对话状态解析（{resolved}）", calls)
        if _REFERENCE.search(text):
            return Route("llm", confidence, "消息引用了之前的内容", calls)
        if len(text) > self.max_rule_chars:
            return Route("llm", confidence, f"消息超过 {self.max_rule_chars} 字", calls)
        if confidence is None:
            if calls or not _ACTION.search(text):
                return Route("rules", None, "规则引擎给出了结果（无置信度）", calls)
            return Route("llm", None, "规则引擎没有结果", calls)
        if confidence >= self.threshold:
            return Route("rules", confidence, f"规则置信度 {confidence:.2f}", calls)
        return Route(
            "llm", confidence, f"规则置信度 {confidence:.2f} 低于 {self.threshold:.2f}", calls
        )

    def understand(self, message: IncomingMessage, context: ChatContext) -> list[ToolCall]:
        decision = self.route(message, context)
        self.last_decision = decision
        if decision.engine == "rules":
            self.last_route, self.last_usage = "rules", None
            return decision.calls
        calls = self.agent.understand(message, context)
        self.last_route, self.last_usage = self.agent.last_route, self.agent.last_usage
        return calls

    def run(self, message: IncomingMessage, context: ChatContext, apply: ApplyCall) -> AgentOutcome:
        decision = self.route(message, context)
        self.last_decision = decision
        route_record = {
            "engine": decision.engine,
            "confidence": decision.confidence,
            "reason": decision.reason,
        }
        if decision.engine == "rules":
            if isinstance(apply, PlannedApply):
                apply.expect(decision.calls)  # a bulk change waits whole, as on the rule path
            for call in decision.calls:
                apply(call)
            self.last_route, self.last_usage = "rules", None
            return AgentOutcome(route="rules", record={"route": route_record})
        outcome = self.agent.run(message, context, apply)
        outcome.record["route"] = route_record
        self.last_route, self.last_usage = outcome.route, self.agent.last_usage
        return outcome
