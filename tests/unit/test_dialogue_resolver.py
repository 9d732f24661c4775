"""The dialogue resolver through the rule engine: answers, corrections and references read
against a dialogue state passed in as data (``evals/cases/dialogue_dev.json``, dev cases written
from docs/conventions.md), and what the state must never change."""

from __future__ import annotations

from typing import Any

import pytest

from assistant.domain import ChatContext, DialogueState, IncomingMessage
from assistant.engines.rules.engine import RuleEngine
from evals.dialogue_cases import CASES, NOW
from evals.dialogue_cases import state as _state


def _read(text: str, state: DialogueState) -> tuple[list[dict[str, Any]], str | None]:
    context = ChatContext(now=NOW, sender=CASES["sender"], members=CASES["members"], dialogue=state)
    analysis = RuleEngine().analyse(IncomingMessage(text=text, sender=CASES["sender"]), context)
    return [c.to_dict() for c in analysis.calls], analysis.dialogue


@pytest.mark.parametrize(
    "case", CASES["cases"], ids=[f"{c['state']}:{c['text']}" for c in CASES["cases"]]
)
def test_dev_case(case: dict[str, Any]) -> None:
    calls, _ = _read(case["text"], _state(CASES["states"][case["state"]]))
    assert calls == case["calls"]


def test_the_kind_of_resolution_is_reported() -> None:
    states = CASES["states"]
    assert _read("第二个", _state(states["q_done"]))[1] == "answer"
    assert _read("不对，是周四", _state(states["task"]))[1] == "correction"
    assert _read("它改到3点", _state(states["meeting"]))[1] == "reference"
    assert _read("明天下午3点开会", _state(states["meeting"]))[1] is None
    assert _read("move it to 3pm", _state(states["meeting"]))[1] == "reference"
    assert _read("make it urgent", _state(states["task"]))[1] == "reference"


@pytest.mark.parametrize(
    "text",
    [
        "明天下午3点开会讨论首页改版",
        "@小王 周五前把登录页设计稿出了",
        "我还有哪些任务",
        "谢谢大家",
        "登录页搞定了",
        "不对不对，明天下午三点开会",
        "不是，我明天请假",
        "刚才开会说的那个方案大家再看看",
        "其它任务明天再说",
        "评审会挪到下午4点",
        "明天下午3点开会讨论支付流程",
        "move the sync to 3pm",
        "add Kevin to the sync",
        "Login page done",
        "I think that's fine",
        "thanks, that works",
    ],
)
def test_a_message_of_its_own_reads_the_same_with_any_state(text: str) -> None:
    """A message that is neither an answer, a correction nor a reference is read as if there
    were no state at all."""
    plain, _ = _read(text, DialogueState())
    for spec in CASES["states"].values():
        assert _read(text, _state(spec))[0] == plain
