"""The parsing evaluation: how well an engine turns gold chat messages into tool calls.

The gold set (``evals/cases/parse_gold.jsonl``) is written by hand from ``docs/conventions.md``.
This module loads it, runs any :class:`~assistant.ports.Engine` over it and scores the
predictions. The matching rules are documented in ``evals/cases/README.md``; in short:

* A predicted action **matches** an expected one when the tool is the same and the tool's
  *key fields* agree (``KEY_FIELDS``). Per message, predictions and expectations are paired by
  the best assignment: most matches first, then most correct fields.
* For every matched pair each argument is compared by its field rule (``field_correct``), which
  gives the per-field accuracy. A message is an **exact match** when it has as many predicted
  as expected actions and every one is matched with all its fields correct.
* Free text is compared by :func:`char_overlap` (an F1 over characters) against
  ``TEXT_THRESHOLD``; times as instants; names exactly; attendees as sets.

Nothing here does I/O except :func:`load_cases`, :func:`load_floors` and :func:`build_engine`.
"""

from __future__ import annotations

import importlib
import json
import math
import re
import time
import unicodedata
from collections import Counter
from collections.abc import Iterable, Mapping, Sequence
from dataclasses import dataclass, field, replace
from datetime import datetime
from pathlib import Path
from typing import TYPE_CHECKING, Any

from assistant.domain import ChatContext, IncomingMessage, ToolCall
from assistant.errors import QunmiError

if TYPE_CHECKING:
    from assistant.ports import Engine

__all__ = [
    "DEFAULT_CASES",
    "DEFAULT_FLOORS",
    "FIELD_DEFAULTS",
    "KEY_FIELDS",
    "TEXT_THRESHOLD",
    "CaseResult",
    "EngineUnavailable",
    "GoldCase",
    "PairResult",
    "Report",
    "build_engine",
    "char_overlap",
    "check_floors",
    "evaluate",
    "field_correct",
    "keys_match",
    "load_cases",
    "load_floors",
    "match_actions",
    "score_case",
    "summarize",
]

_HERE = Path(__file__).resolve().parent
DEFAULT_CASES = _HERE / "cases" / "parse_gold.jsonl"
DEFAULT_FLOORS = _HERE / "floors" / "parse.json"

TEXT_THRESHOLD = 0.5
"""Minimum :func:`char_overlap` for two free-text values to count as the same."""

TIME_FIELDS = frozenset({"start", "end", "due", "deadline", "since", "until"})
DATE_FIELDS = frozenset({"occurrence"})
NAME_FIELDS = frozenset({"assignee", "member", "owner"})
TEXT_FIELDS = frozenset(
    {
        "title",
        "task",
        "meeting",
        "location",
        "name",
        "progress_note",
        "reason",
        "description",
        "project",
        "question",
    }
)
NAME_SET_FIELDS = frozenset({"attendees", "members", "add_attendees", "remove_attendees"})
RRULE_FIELDS = frozenset({"recurrence"})
TEXT_LIST_FIELDS = frozenset({"agenda"})

FIELD_DEFAULTS: dict[str, Any] = {"priority": "normal", "remind_before_minutes": 15}
"""A missing argument equals its default: the executor fills these in anyway."""

LENIENT_FIELDS = frozenset({"description", "project"})
"""Compared only when the gold answer states them: an extra note or project is no error."""

KEY_FIELDS: dict[str, tuple[str, ...]] = {
    "create_task": ("title", "assignee"),
    "create_meeting": ("start",),
    "update_task": ("task",),
    "reschedule_meeting": ("meeting",),
    "cancel_meeting": ("meeting",),
    "query": ("kind", "member"),
    "create_project": ("name",),
    "add_member": ("member",),
    "update_project": ("project",),
    "create_milestone": ("title",),
    "update_meeting": ("meeting",),
    "ask": ("question",),
    "summarize": ("meeting", "since"),
    "report": ("kind", "project"),
    "set_reminders": ("what", "enabled"),
}
"""The fields that decide which action a prediction is; the others are scored per field."""

_STRIP = re.compile(r"[\s\W_]+", re.UNICODE)


class EngineUnavailable(RuntimeError):
    """The engine asked for is not built yet or cannot be configured here."""


# --------------------------------------------------------------------------- cases


@dataclass(frozen=True, slots=True)
class GoldCase:
    """One gold message and the tool calls the conventions expect from it."""

    id: str
    text: str
    now: datetime
    sender: str
    members: dict[str, list[str]]
    expected: list[ToolCall]
    tags: list[str] = field(default_factory=list)

    def context(self) -> ChatContext:
        return ChatContext(now=self.now, sender=self.sender, members=dict(self.members))

    def message(self) -> IncomingMessage:
        return IncomingMessage(text=self.text, sender=self.sender)

    @property
    def no_action(self) -> bool:
        return not self.expected


def _case_from_json(raw: Mapping[str, Any], where: str) -> GoldCase:
    try:
        now = datetime.fromisoformat(str(raw["now"]))
        if now.tzinfo is None:
            raise ValueError(f"{where}: now 缺少时区偏移")
        expected = [ToolCall(tool=str(a["tool"]), args=dict(a["args"])) for a in raw["expected"]]
        members = {str(k): [str(x) for x in v] for k, v in dict(raw.get("members", {})).items()}
        return GoldCase(
            id=str(raw["id"]),
            text=str(raw["text"]),
            now=now,
            sender=str(raw["sender"]),
            members=members,
            expected=expected,
            tags=[str(t) for t in raw.get("tags", [])],
        )
    except (KeyError, TypeError, ValueError) as exc:
        raise ValueError(f"{where}: 用例格式不对：{exc}") from exc


def load_cases(path: Path = DEFAULT_CASES) -> list[GoldCase]:
    """Read a JSONL gold file; blank lines and lines starting with ``//`` are skipped."""
    cases: list[GoldCase] = []
    with path.open(encoding="utf-8") as handle:
        for lineno, line in enumerate(handle, start=1):
            stripped = line.strip()
            if not stripped or stripped.startswith("//"):
                continue
            cases.append(_case_from_json(json.loads(stripped), f"{path.name}:{lineno}"))
    return cases


# --------------------------------------------------------------------------- comparing


def _normalize_text(value: Any) -> str:
    text = unicodedata.normalize("NFKC", str(value)).lower()
    return _STRIP.sub("", text)


def char_overlap(a: Any, b: Any) -> float:
    """F1 over the multisets of characters of ``a`` and ``b``.

    Both sides are NFKC-normalized (full-width to half-width), lower-cased and stripped of
    whitespace, punctuation and symbols first. Two empty strings score 1.0; one empty 0.0.
    """
    left, right = Counter(_normalize_text(a)), Counter(_normalize_text(b))
    if not left and not right:
        return 1.0
    common = sum((left & right).values())
    if common == 0:
        return 0.0
    precision = common / sum(right.values())
    recall = common / sum(left.values())
    return 2 * precision * recall / (precision + recall)


def _as_instant(value: Any) -> datetime | None:
    if isinstance(value, datetime):
        parsed = value
    elif isinstance(value, str):
        try:
            parsed = datetime.fromisoformat(value.strip())
        except ValueError:
            return None
    else:
        return None
    return parsed if parsed.tzinfo is not None else None


def _name_set(value: Any) -> frozenset[str] | str | None:
    if value is None:
        return None
    if isinstance(value, str):
        return "all" if value.strip().lower() == "all" else frozenset({value.strip()})
    if isinstance(value, Iterable):
        return frozenset(str(v).strip() for v in value)
    return None


def _text_list_equal(expected: Any, predicted: Any) -> bool:
    exp = [str(x) for x in expected] if isinstance(expected, list) else [str(expected)]
    pred = [str(x) for x in predicted] if isinstance(predicted, list) else [str(predicted)]
    if len(exp) != len(pred):
        return False
    remaining = list(pred)
    for item in exp:
        best = max(remaining, key=lambda cand: char_overlap(item, cand))
        if char_overlap(item, best) < TEXT_THRESHOLD:
            return False
        remaining.remove(best)
    return True


def _rrule_parts(value: Any) -> dict[str, frozenset[str]] | None:
    """An RRULE as {part: set of values}: the order of parts and of BYDAY days is free."""
    parts: dict[str, frozenset[str]] = {}
    for chunk in str(value).upper().removeprefix("RRULE:").split(";"):
        key, sep, val = chunk.strip().partition("=")
        if not sep:
            continue
        parts[key] = frozenset(v.strip() for v in val.split(","))
    if parts.get("INTERVAL") == frozenset({"1"}):
        parts.pop("INTERVAL")
    return parts or None


def field_correct(name: str, expected: Any, predicted: Any) -> bool:
    """Whether one argument of a matched pair is right, by the field's rule.

    ``None`` stands for a missing argument; :data:`FIELD_DEFAULTS` fill in missing values
    first. A missing value equals only a missing value.
    """
    if expected is None:
        expected = FIELD_DEFAULTS.get(name)
    if predicted is None:
        predicted = FIELD_DEFAULTS.get(name)
    if expected is None or predicted is None:
        return expected is None and predicted is None
    if name in TIME_FIELDS:
        exp_t, pred_t = _as_instant(expected), _as_instant(predicted)
        return exp_t is not None and pred_t is not None and exp_t == pred_t
    if name in DATE_FIELDS:
        return str(expected).strip()[:10] == str(predicted).strip()[:10]
    if name in RRULE_FIELDS:
        return _rrule_parts(expected) == _rrule_parts(predicted)
    if isinstance(expected, list) and name == "status":
        return isinstance(predicted, list) and set(map(str, expected)) == set(map(str, predicted))
    if name in NAME_FIELDS:
        return str(expected).strip() == str(predicted).strip()
    if name in NAME_SET_FIELDS:
        return _name_set(expected) == _name_set(predicted)
    if name in TEXT_LIST_FIELDS:
        return _text_list_equal(expected, predicted)
    if name in TEXT_FIELDS:
        return char_overlap(expected, predicted) >= TEXT_THRESHOLD
    if isinstance(expected, bool) or isinstance(predicted, bool):
        return expected is predicted
    if isinstance(expected, int | float) and isinstance(predicted, int | float):
        return math.isclose(float(expected), float(predicted))
    return str(expected).strip() == str(predicted).strip()


def keys_match(expected: ToolCall, predicted: ToolCall) -> bool:
    """Whether two calls are the same action: same tool and the tool's key fields agree."""
    if expected.tool != predicted.tool:
        return False
    return all(
        field_correct(key, expected.args.get(key), predicted.args.get(key))
        for key in KEY_FIELDS.get(expected.tool, ())
    )


def compared_fields(expected: ToolCall, predicted: ToolCall) -> list[str]:
    """The argument names scored for a matched pair, sorted."""
    names = set(expected.args) | {n for n in predicted.args if n not in LENIENT_FIELDS}
    return sorted(names)


@dataclass(frozen=True, slots=True)
class PairResult:
    """One matched (expected, predicted) pair and its per-field verdicts."""

    expected: ToolCall
    predicted: ToolCall
    fields: dict[str, bool]

    @property
    def all_correct(self) -> bool:
        return all(self.fields.values())


def _pair(expected: ToolCall, predicted: ToolCall) -> PairResult:
    verdicts = {
        name: field_correct(name, expected.args.get(name), predicted.args.get(name))
        for name in compared_fields(expected, predicted)
    }
    return PairResult(expected=expected, predicted=predicted, fields=verdicts)


_EXACT_ASSIGNMENT_LIMIT = 12


def match_actions(expected: Sequence[ToolCall], predicted: Sequence[ToolCall]) -> list[PairResult]:
    """Pair predictions with expectations: most matches, then most correct fields.

    Exact (a dynamic programme over subsets of the predictions) while there are at most
    ``_EXACT_ASSIGNMENT_LIMIT`` predictions; greedy beyond that.
    """
    candidates: dict[tuple[int, int], PairResult] = {}
    for i, exp in enumerate(expected):
        for j, pred in enumerate(predicted):
            if keys_match(exp, pred):
                candidates[(i, j)] = _pair(exp, pred)

    def weight(pair: PairResult) -> tuple[int, int]:
        return (1, sum(pair.fields.values()))

    if len(predicted) > _EXACT_ASSIGNMENT_LIMIT:
        chosen: list[PairResult] = []
        used_i: set[int] = set()
        used_j: set[int] = set()
        for (i, j), pair in sorted(candidates.items(), key=lambda kv: weight(kv[1]), reverse=True):
            if i not in used_i and j not in used_j:
                chosen.append(pair)
                used_i.add(i)
                used_j.add(j)
        return chosen

    # best[mask] = (matches, correct fields, pairs) after deciding the expected calls so far.
    best: dict[int, tuple[int, int, tuple[PairResult, ...]]] = {0: (0, 0, ())}
    for i in range(len(expected)):
        step: dict[int, tuple[int, int, tuple[PairResult, ...]]] = {}
        for mask, (matches, correct, pairs) in best.items():
            options = [(mask, matches, correct, pairs)]
            for j in range(len(predicted)):
                candidate = candidates.get((i, j))
                if candidate is not None and not mask & (1 << j):
                    w = weight(candidate)
                    options.append(
                        (mask | (1 << j), matches + w[0], correct + w[1], (*pairs, candidate))
                    )
            for new_mask, m, c, p in options:
                if new_mask not in step or (m, c) > step[new_mask][:2]:
                    step[new_mask] = (m, c, p)
        best = step
    return list(max(best.values(), key=lambda v: (v[0], v[1]))[2])


# --------------------------------------------------------------------------- scoring


@dataclass(frozen=True, slots=True)
class CaseResult:
    """One gold case after the engine has read it."""

    case: GoldCase
    predicted: list[ToolCall]
    pairs: list[PairResult]
    seconds: float
    error: str | None = None
    invalid_calls: int = 0
    tokens: int | None = None
    route: str | None = None

    @property
    def tp(self) -> int:
        return len(self.pairs)

    @property
    def fp(self) -> int:
        return len(self.predicted) - len(self.pairs)

    @property
    def fn(self) -> int:
        return len(self.case.expected) - len(self.pairs)

    @property
    def exact(self) -> bool:
        return (
            self.error is None
            and len(self.predicted) == len(self.case.expected)
            and len(self.pairs) == len(self.case.expected)
            and all(p.all_correct for p in self.pairs)
        )


def _count_invalid(calls: Sequence[ToolCall]) -> int:
    from pydantic import ValidationError

    from tools.vocabulary import TOOLS

    invalid = 0
    for call in calls:
        model = TOOLS.get(call.tool)
        if model is None:
            invalid += 1
            continue
        try:
            model.model_validate(call.args)
        except ValidationError:
            invalid += 1
    return invalid


def score_case(
    case: GoldCase, predicted: Sequence[ToolCall], *, seconds: float = 0.0, error: str | None = None
) -> CaseResult:
    """Score one case's predictions against its gold answer."""
    calls = list(predicted)
    return CaseResult(
        case=case,
        predicted=calls,
        pairs=match_actions(case.expected, calls),
        seconds=seconds,
        error=error,
        invalid_calls=_count_invalid(calls),
    )


def evaluate(engine: Engine, cases: Sequence[GoldCase]) -> list[CaseResult]:
    """Run ``engine`` over every case, timing each message. An exception counts as no
    actions and is recorded on the result."""
    results: list[CaseResult] = []
    for case in cases:
        message, context = case.message(), case.context()
        started = time.perf_counter()
        error: str | None = None
        try:
            predicted = list(engine.understand(message, context))
        except Exception as exc:  # an engine bug must not stop the whole run
            predicted, error = [], f"{type(exc).__name__}: {exc}"
        elapsed = time.perf_counter() - started
        result = score_case(case, predicted, seconds=elapsed, error=error)
        # LLM engines say what a message cost; the rule engine has nothing to report.
        usage = getattr(engine, "last_usage", None)
        tokens = usage.get("total_tokens") if isinstance(usage, dict) else None
        route = getattr(engine, "last_route", None)
        results.append(
            replace(
                result,
                tokens=tokens if isinstance(tokens, int) else None,
                route=route if isinstance(route, str) else None,
            )
        )
    return results


def _prf(tp: int, fp: int, fn: int) -> tuple[float, float, float]:
    precision = tp / (tp + fp) if tp + fp else 1.0
    recall = tp / (tp + fn) if tp + fn else 1.0
    f1 = 2 * precision * recall / (precision + recall) if precision + recall else 0.0
    return precision, recall, f1


def _percentile(values: Sequence[float], q: float) -> float:
    """Nearest-rank percentile (``q`` in 0..100) of ``values``; 0.0 when empty."""
    if not values:
        return 0.0
    ordered = sorted(values)
    rank = max(1, math.ceil(q / 100 * len(ordered)))
    return ordered[min(rank, len(ordered)) - 1]


@dataclass(frozen=True, slots=True)
class TagRow:
    tag: str
    cases: int
    exact_match: float
    action_f1: float | None
    """``None`` when the tag's cases expect no actions at all (F1 means nothing there)."""


@dataclass(frozen=True, slots=True)
class ToolRow:
    """Figures of one tool: its calls matched, its cases exact, calls invented on quiet messages."""

    tool: str
    expected: int
    predicted: int
    matched: int
    action_f1: float
    cases: int
    exact_match: float
    all_fields_correct: float
    invented_on_no_action: int


@dataclass(frozen=True, slots=True)
class Report:
    """The figures ``qunmi eval parse`` prints."""

    cases: int
    expected_actions: int
    predicted_actions: int
    matched_actions: int
    action_precision: float
    action_recall: float
    action_f1: float
    exact_match: float
    no_action_cases: int
    no_action_accuracy: float
    field_accuracy: dict[str, tuple[int, int]]
    tags: list[TagRow]
    latency_p50_ms: float
    latency_p99_ms: float
    errors: int
    invalid_calls: int
    tokens_per_message: float | None = None
    routes: dict[str, int] = field(default_factory=dict)
    tools: list[ToolRow] = field(default_factory=list)
    tool_field_accuracy: dict[str, tuple[int, int]] = field(default_factory=dict)

    def figures(self) -> dict[str, float]:
        """The headline numbers that floors can be set on."""
        return {
            "action_precision": self.action_precision,
            "action_recall": self.action_recall,
            "action_f1": self.action_f1,
            "exact_match": self.exact_match,
            "no_action_accuracy": self.no_action_accuracy,
        }

    def to_json(self) -> dict[str, Any]:
        return {
            **self.figures(),
            "cases": self.cases,
            "expected_actions": self.expected_actions,
            "predicted_actions": self.predicted_actions,
            "matched_actions": self.matched_actions,
            "no_action_cases": self.no_action_cases,
            "field_accuracy": {
                name: {"correct": c, "total": t, "accuracy": c / t if t else 1.0}
                for name, (c, t) in sorted(self.field_accuracy.items())
            },
            "tags": [
                {
                    "tag": r.tag,
                    "cases": r.cases,
                    "exact_match": r.exact_match,
                    "action_f1": r.action_f1,
                }
                for r in self.tags
            ],
            "tools": [
                {
                    "tool": r.tool,
                    "expected": r.expected,
                    "predicted": r.predicted,
                    "matched": r.matched,
                    "action_f1": r.action_f1,
                    "cases": r.cases,
                    "exact_match": r.exact_match,
                    "all_fields_correct": r.all_fields_correct,
                    "invented_on_no_action": r.invented_on_no_action,
                }
                for r in self.tools
            ],
            "tool_field_accuracy": {
                name: {"correct": c, "total": t, "accuracy": c / t if t else 1.0}
                for name, (c, t) in sorted(self.tool_field_accuracy.items())
            },
            "latency_p50_ms": self.latency_p50_ms,
            "latency_p99_ms": self.latency_p99_ms,
            "errors": self.errors,
            "invalid_calls": self.invalid_calls,
            "tokens_per_message": self.tokens_per_message,
            "routes": self.routes,
        }


def summarize(results: Sequence[CaseResult]) -> Report:
    """Aggregate case results into the report's figures (micro-averaged over actions)."""
    tp = sum(r.tp for r in results)
    fp = sum(r.fp for r in results)
    fn = sum(r.fn for r in results)
    precision, recall, f1 = _prf(tp, fp, fn)

    fields: dict[str, list[int]] = {}
    for result in results:
        for pair in result.pairs:
            for name, ok in pair.fields.items():
                slot = fields.setdefault(name, [0, 0])
                slot[0] += int(ok)
                slot[1] += 1

    by_tag: dict[str, list[CaseResult]] = {}
    for result in results:
        for tag in result.case.tags:
            by_tag.setdefault(tag, []).append(result)
    tag_rows = []
    for tag in sorted(by_tag):
        group = by_tag[tag]
        _, _, tag_f1 = _prf(
            sum(r.tp for r in group), sum(r.fp for r in group), sum(r.fn for r in group)
        )
        tag_rows.append(
            TagRow(
                tag=tag,
                cases=len(group),
                exact_match=sum(r.exact for r in group) / len(group),
                action_f1=tag_f1 if any(r.case.expected for r in group) else None,
            )
        )

    no_action = [r for r in results if r.case.no_action]
    latencies = [r.seconds * 1000 for r in results]
    tool_rows, tool_fields = _per_tool(results)
    return Report(
        cases=len(results),
        expected_actions=tp + fn,
        predicted_actions=tp + fp,
        matched_actions=tp,
        action_precision=precision,
        action_recall=recall,
        action_f1=f1,
        exact_match=sum(r.exact for r in results) / len(results) if results else 0.0,
        no_action_cases=len(no_action),
        no_action_accuracy=(
            sum(not r.predicted for r in no_action) / len(no_action) if no_action else 1.0
        ),
        field_accuracy={name: (c, t) for name, (c, t) in fields.items()},
        tags=tag_rows,
        latency_p50_ms=_percentile(latencies, 50),
        latency_p99_ms=_percentile(latencies, 99),
        errors=sum(r.error is not None for r in results),
        invalid_calls=sum(r.invalid_calls for r in results),
        tokens_per_message=(
            sum(counted) / len(counted)
            if (counted := [r.tokens for r in results if r.tokens is not None])
            else None
        ),
        routes=dict(Counter(r.route for r in results if r.route)),
        tools=tool_rows,
        tool_field_accuracy=tool_fields,
    )


def _per_tool(results: Sequence[CaseResult]) -> tuple[list[ToolRow], dict[str, tuple[int, int]]]:
    """Per tool: action F1 of its calls, exact match of the cases that expect it, the share of
    its matched calls with every field right, and calls of it invented on no-action messages;
    per ``tool.field``: accuracy over its matched pairs."""
    names = sorted(
        {c.tool for r in results for c in r.case.expected}
        | {c.tool for r in results for c in r.predicted}
    )
    rows: list[ToolRow] = []
    fields: dict[str, list[int]] = {}
    for result in results:
        for pair in result.pairs:
            for name, ok in pair.fields.items():
                slot = fields.setdefault(f"{pair.expected.tool}.{name}", [0, 0])
                slot[0] += int(ok)
                slot[1] += 1
    for tool in names:
        expected = sum(1 for r in results for c in r.case.expected if c.tool == tool)
        predicted = sum(1 for r in results for c in r.predicted if c.tool == tool)
        pairs = [p for r in results for p in r.pairs if p.expected.tool == tool]
        matched = len(pairs)
        _, _, f1 = _prf(matched, predicted - matched, expected - matched)
        cases = [r for r in results if any(c.tool == tool for c in r.case.expected)]
        rows.append(
            ToolRow(
                tool=tool,
                expected=expected,
                predicted=predicted,
                matched=matched,
                action_f1=f1,
                cases=len(cases),
                exact_match=sum(r.exact for r in cases) / len(cases) if cases else 0.0,
                all_fields_correct=sum(p.all_correct for p in pairs) / matched if matched else 0.0,
                invented_on_no_action=sum(
                    1 for r in results if r.case.no_action for c in r.predicted if c.tool == tool
                ),
            )
        )
    return rows, {name: (c, t) for name, (c, t) in fields.items()}


# --------------------------------------------------------------------------- floors


def load_floors(path: Path = DEFAULT_FLOORS) -> dict[str, float]:
    """Read the floors file: ``{"action_f1": 0.5, ...}``; keys starting with ``_`` are notes."""
    raw = json.loads(path.read_text(encoding="utf-8"))
    return {str(k): float(v) for k, v in raw.items() if not str(k).startswith("_")}


def check_floors(report: Report, floors: Mapping[str, float]) -> list[str]:
    """The figures below their floor, as Chinese lines; empty when all are met.

    A floor on a figure the report does not have is itself a failure (a typo must not pass).
    """
    figures = report.figures()
    failures: list[str] = []
    for name, floor in sorted(floors.items()):
        value = figures.get(name)
        if value is None:
            failures.append(f"{name}：没有这个指标（下限 {floor:.3f}）")
        elif value + 1e-12 < floor:
            failures.append(f"{name}：{value:.3f} 低于下限 {floor:.3f}")
    return failures


# --------------------------------------------------------------------------- engines


def build_engine(name: str) -> Engine:
    """The engine to evaluate, imported lazily; :class:`EngineUnavailable` when not ready."""
    if name == "rules":
        try:
            module = importlib.import_module("assistant.engines.rules")
        except ImportError as exc:
            raise EngineUnavailable(
                f"规则引擎还不可用：无法导入 assistant.engines.rules（{exc}）"
            ) from exc
        engine_cls = getattr(module, "RuleEngine", None)
        if engine_cls is None:
            raise EngineUnavailable("规则引擎还不可用：assistant.engines.rules 里没有 RuleEngine")
        from assistant.settings import Settings

        try:
            if Settings().understanding.learned:
                from assistant.engines.learned import IntentGate

                engine: Engine = engine_cls(gate=IntentGate())
            else:
                engine = engine_cls()
        except (TypeError, QunmiError, OSError, ValueError) as exc:
            raise EngineUnavailable(f"规则引擎无法创建：{exc}") from exc
        return engine
    if name in ("llm", "hybrid"):
        try:
            bootstrap = importlib.import_module("assistant.bootstrap")
        except ImportError as exc:
            raise EngineUnavailable(f"{name} 引擎尚不可用：还没有 assistant.bootstrap") from exc
        factory = getattr(bootstrap, "build_engine", None)
        if factory is None:
            raise EngineUnavailable(f"{name} 引擎尚不可用：assistant.bootstrap 还没有 build_engine")
        from assistant.settings import Settings

        try:
            built: Engine = factory(Settings(), name)
        except QunmiError as exc:
            raise EngineUnavailable(f"{name} 引擎无法创建：{exc}") from exc
        return built
    raise EngineUnavailable(f"未知的引擎：{name}（可选 rules / llm / hybrid）")
