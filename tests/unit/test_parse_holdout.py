"""Validity of the held-out parsing set (evals/cases/parse_holdout.jsonl).

The held-out set is written by a different author from the gold set and is never used while
developing an engine; these checks only keep its lines well-formed against the vocabulary and the
conventions (display names, offsets, share of no-action messages).
"""

from __future__ import annotations

import json
from datetime import datetime
from pathlib import Path
from typing import Any

import pytest

from evals.parse_eval import load_cases
from tools.vocabulary import TOOLS

HOLDOUT = Path(__file__).resolve().parents[2] / "evals" / "cases" / "parse_holdout.jsonl"
TIME_FIELDS = ("start", "end", "due", "deadline")
NAME_FIELDS = ("assignee", "member", "owner")
LIST_NAME_FIELDS = ("attendees", "members")
CATEGORIES = {
    "task",
    "meeting",
    "reschedule",
    "cancel",
    "update",
    "query",
    "project",
    "add_member",
    "mixed",
    "no_action",
}


def _load() -> list[dict[str, Any]]:
    with HOLDOUT.open(encoding="utf-8") as handle:
        return [
            json.loads(line)
            for line in handle
            if line.strip() and not line.lstrip().startswith("//")
        ]


CASES = _load()


def _names(args: dict[str, Any]) -> list[str]:
    names = [args[key] for key in NAME_FIELDS if isinstance(args.get(key), str)]
    for key in LIST_NAME_FIELDS:
        value = args.get(key)
        if isinstance(value, list):
            names.extend(value)
    return names


def test_size_ids_and_no_action_share() -> None:
    assert len(CASES) >= 150
    ids = [case["id"] for case in CASES]
    assert len(set(ids)) == len(ids)
    assert all(case_id.startswith("h") for case_id in ids)
    share = sum(1 for case in CASES if not case["expected"]) / len(CASES)
    assert 0.15 <= share <= 0.25, share


def test_scorer_loads_the_set() -> None:
    assert len(load_cases(HOLDOUT)) == len(CASES)


@pytest.mark.parametrize("case", CASES, ids=[case["id"] for case in CASES])
def test_case_is_well_formed(case: dict[str, Any]) -> None:
    assert set(case) == {"id", "text", "now", "sender", "members", "expected", "tags"}
    assert case["text"].strip()
    now = datetime.fromisoformat(case["now"])
    assert now.utcoffset() is not None, "now needs an offset"
    assert case["sender"] in case["members"]
    assert CATEGORIES & set(case["tags"]), "a category tag is required"
    assert ("no_action" in case["tags"]) == (not case["expected"])
    display_names = set(case["members"])
    for call in case["expected"]:
        assert set(call) == {"tool", "args"}
        tool, args = call["tool"], call["args"]
        TOOLS[tool].model_validate(args)
        for key in TIME_FIELDS:
            if key in args:
                value = datetime.fromisoformat(args[key])
                assert value.utcoffset() == now.utcoffset(), (key, args[key])
        for name in _names(args):
            assert name in display_names, name
        if tool == "create_meeting":
            assert "remind_before_minutes" in args
