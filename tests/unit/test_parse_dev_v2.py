"""Validity of the vocabulary-2 development set (evals/cases/parse_dev_v2.jsonl).

The set holds the failure kinds the integrator found on blind sets, written anew from
docs/conventions.md; these checks keep its lines well-formed, not its answers convenient.
"""

from __future__ import annotations

from datetime import datetime

from evals.parse_eval import DEFAULT_CASES, load_cases
from tools.vocabulary import TOOLS

DEV = DEFAULT_CASES.with_name("parse_dev_v2.jsonl")


def test_dev_cases_validate_and_use_display_names() -> None:
    cases = load_cases(DEV)
    assert len(cases) >= 100
    assert len({c.id for c in cases}) == len(cases)
    tools = {call.tool for c in cases for call in c.expected}
    # every tool of vocabulary 2 is exercised
    assert tools >= set(TOOLS) - {"add_member"}
    for case in cases:
        for call in case.expected:
            args = dict(call.args)
            TOOLS[call.tool].model_validate(args)
            for name in ("assignee", "member", "owner"):
                if name in args:
                    assert args[name] in case.members or args[name] == case.sender, case.id
            for name in ("start", "due", "deadline", "since", "until"):
                if name in args:
                    value = datetime.fromisoformat(args[name])
                    assert value.utcoffset() == case.now.utcoffset(), case.id
