"""The LLM minutes engine: map-reduce over long transcripts with the prompts
``minutes_map`` and ``minutes_reduce``, output validated against one schema, every decision
and action item tied to a line of the transcript (its source is that line, verbatim).

Anything the model gets wrong in form — no JSON, a field of the wrong type, a line number
that is not in the part it was shown — is dropped or, when nothing usable is left, raises
``ModelError`` so that the caller falls back to the offline engine.
"""

from __future__ import annotations

import json
import re
from collections.abc import Sequence
from datetime import datetime
from typing import Any

from pydantic import BaseModel, Field, ValidationError, field_validator

from assistant.errors import ModelError
from assistant.insight.summaries.model import (
    ActionItem,
    Decision,
    MeetingContext,
    MinutesDraft,
    OpenQuestion,
    Topic,
    TranscriptLine,
)
from assistant.ports import ChatModel, ChatTurn
from prompts import render_prompt

__all__ = ["LLMMinutesEngine", "MinutesSchema"]


class _Topic(BaseModel):
    title: str = Field(min_length=1, max_length=100)
    summary: str = Field(default="", max_length=1000)


class _Decision(BaseModel):
    text: str = Field(min_length=1, max_length=500)
    line: int = Field(ge=0)


class _Action(BaseModel):
    owner: str | None = None
    title: str = Field(min_length=1, max_length=200)
    due: datetime | None = None
    line: int = Field(ge=0)

    @field_validator("due")
    @classmethod
    def _aware(cls, value: datetime | None) -> datetime | None:
        if value is not None and value.tzinfo is None:
            raise ValueError("due needs an offset")
        return value


class MinutesSchema(BaseModel):
    """What the model must answer, for one part (map) and for the whole (reduce)."""

    summary: str = Field(default="", max_length=2000)
    topics: list[_Topic] = Field(default_factory=list)
    decisions: list[_Decision] = Field(default_factory=list)
    action_items: list[_Action] = Field(default_factory=list)
    open_questions: list[_Decision] = Field(default_factory=list)


def _json_object(text: str) -> dict[str, Any]:
    match = re.search(r"\{.*\}", text, re.S)
    if match is None:
        raise ModelError("模型没有返回 JSON")
    try:
        data = json.loads(match.group(0))
    except json.JSONDecodeError as exc:
        raise ModelError(f"模型返回的 JSON 不合法：{exc.msg}") from exc
    if not isinstance(data, dict):
        raise ModelError("模型返回的不是 JSON 对象")
    return data


class LLMMinutesEngine:
    """Minutes by a chat model; ``offline`` supplies nothing but is there for the caller's
    fallback (``MinutesService``) and for the clean sentence text of each line."""

    name = "llm"

    def __init__(
        self,
        model: ChatModel,
        *,
        offline: Any = None,
        chunk_chars: int = 6000,
        timeout_seconds: float | None = None,
    ) -> None:
        self._model = model
        self._offline = offline
        self._chunk_chars = chunk_chars
        self._timeout = timeout_seconds

    def _ask(self, prompt: str) -> MinutesSchema:
        reply = self._model.complete(
            [ChatTurn(role="user", content=prompt)], timeout_seconds=self._timeout
        )
        try:
            return MinutesSchema.model_validate(_json_object(reply.text))
        except ValidationError as exc:
            raise ModelError(f"模型返回的纪要不符合格式：{exc.error_count()} 处错误") from exc

    def _parts(self, lines: Sequence[TranscriptLine]) -> list[list[int]]:
        parts: list[list[int]] = [[]]
        size = 0
        for i, line in enumerate(lines):
            if parts[-1] and size + len(line.text) > self._chunk_chars:
                parts.append([])
                size = 0
            parts[-1].append(i)
            size += len(line.text)
        return [p for p in parts if p]

    def minutes(self, lines: Sequence[TranscriptLine], context: MeetingContext) -> MinutesDraft:
        members = (
            "；".join(f"{k}: {'、'.join(v) or '—'}" for k, v in context.members.items())
            or "（未知）"
        )
        parts = self._parts(lines)
        drafts: list[MinutesSchema] = []
        for n, part in enumerate(parts, 1):
            text = "\n".join(f"[{i}] {lines[i].speaker or '发言人'}：{lines[i].text}" for i in part)
            draft = self._ask(
                render_prompt(
                    "minutes_map",
                    part=str(n),
                    parts=str(len(parts)),
                    start=context.start.isoformat(),
                    members=members,
                    transcript=text,
                )
            )
            allowed = set(part)
            draft.decisions = [d for d in draft.decisions if d.line in allowed]
            draft.action_items = [a for a in draft.action_items if a.line in allowed]
            draft.open_questions = [q for q in draft.open_questions if q.line in allowed]
            drafts.append(draft)
        if len(drafts) == 1:
            whole = drafts[0]
        else:
            whole = self._ask(
                render_prompt(
                    "minutes_reduce",
                    title=context.title or "会议",
                    start=context.start.isoformat(),
                    drafts="\n".join(d.model_dump_json() for d in drafts),
                )
            )
        return self._draft(whole, lines, context)

    def _draft(
        self, whole: MinutesSchema, lines: Sequence[TranscriptLine], context: MeetingContext
    ) -> MinutesDraft:
        n = len(lines)
        names = {k: k for k in context.members}
        for display, aliases in context.members.items():
            for alias in aliases:
                names.setdefault(alias, display)
        actions = []
        for a in whole.action_items:
            if a.line >= n:
                continue
            owner = names.get(a.owner or "") if a.owner else None
            actions.append(
                ActionItem(
                    title=a.title,
                    source=lines[a.line].text,
                    line=a.line,
                    owner=owner,
                    due=a.due.astimezone(context.start.tzinfo) if a.due else None,
                )
            )
        decisions = [
            Decision(d.text, lines[d.line].text, d.line) for d in whole.decisions if d.line < n
        ]
        questions = [
            OpenQuestion(q.text, lines[q.line].text, q.line)
            for q in whole.open_questions
            if q.line < n
        ]
        if not whole.summary and not decisions and not actions:
            raise ModelError("模型没有给出可用的纪要")
        return MinutesDraft(
            summary=whole.summary,
            topics=[Topic(t.title, t.summary) for t in whole.topics],
            decisions=decisions,
            action_items=actions,
            open_questions=questions,
            engine=self.name,
        )
