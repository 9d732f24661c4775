"""The dialogue dev cases (``evals/cases/dialogue_dev.json``) and their states as domain data."""

from __future__ import annotations

import json
from datetime import datetime
from pathlib import Path
from typing import Any

from assistant.domain import Candidate, DialogueState, OpenQuestion, TouchedRecord

__all__ = ["CASES", "NOW", "state"]

CASES: dict[str, Any] = json.loads(
    (Path(__file__).resolve().parent / "cases" / "dialogue_dev.json").read_text("utf-8")
)
NOW = datetime.fromisoformat(CASES["now"])


def state(spec: dict[str, Any]) -> DialogueState:
    """A case file's state: ``question`` (candidates as [id, label]) and ``recent`` records."""
    question = None
    if "question" in spec:
        q = spec["question"]
        question = OpenQuestion(
            tool=q["tool"],
            args=q["args"],
            slot=q["slot"],
            kind=q["kind"],
            candidates=tuple(Candidate(i, label) for i, label in q["candidates"]),
            asked_at=NOW,
            asked_of=CASES["sender"],
            written=q["written"],
        )
    recent = tuple(
        TouchedRecord(
            kind=r["kind"],
            id=r["id"],
            title=r["title"],
            tool=r["tool"],
            created=r["created"],
            at=NOW,
            by=r["by"],
            for_names=tuple(r["for_names"]),
            fields=r["fields"],
        )
        for r in spec.get("recent", [])
    )
    return DialogueState(question=question, recent=recent)
