"""Builds the LLM-backed engines from settings (called by ``assistant.bootstrap``)."""

from __future__ import annotations

from typing import Literal

from assistant.engines.agent import AgentConfig, AgentEngine
from assistant.engines.hybrid import HybridEngine
from assistant.errors import InvalidInput
from assistant.ports import ChatModel, Engine
from assistant.settings import Settings

__all__ = ["agent_config", "build_llm_engine"]


def agent_config(settings: Settings) -> AgentConfig:
    """The loop's bounds: ``max_turns`` model calls, each within its timeout and retries."""
    llm = settings.llm
    per_call = llm.timeout_seconds * (llm.max_retries + 1)
    return AgentConfig(max_turns=max(1, llm.max_turns), time_budget_seconds=max(1.0, per_call * 2))


def build_llm_engine(
    settings: Settings,
    choice: Literal["llm", "hybrid"] | str,
    *,
    model: ChatModel | None = None,
) -> Engine:
    """``llm``: the agent, the rule engine as its fallback. ``hybrid``: rules first, then the
    agent. ``model`` replaces the configured endpoint (tests)."""
    from assistant.adapters.llm import LangChainChatModel
    from assistant.engines.rules import RuleEngine

    chat_model: ChatModel = model or LangChainChatModel.from_settings(settings.llm)
    gate = None
    if settings.understanding.learned:
        from assistant.engines.learned import IntentGate

        gate = IntentGate()
    rules = RuleEngine(gate=gate)
    agent = AgentEngine(chat_model, tz=settings.tz, fallback=rules, config=agent_config(settings))
    if choice == "llm":
        return agent
    if choice == "hybrid":
        return HybridEngine(rules, agent)
    raise InvalidInput(f"未知的引擎：{choice}（可选 llm / hybrid）")
