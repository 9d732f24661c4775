"""The parsing scorer on small hand-made examples, and the gold set's own validity."""

from __future__ import annotations

import json
from collections.abc import Sequence
from datetime import datetime
from pathlib import Path
from typing import Any

import pytest

from assistant.domain import ChatContext, IncomingMessage, ToolCall
from evals.parse_eval import (
    DEFAULT_CASES,
    GoldCase,
    Report,
    char_overlap,
    check_floors,
    evaluate,
    field_correct,
    keys_match,
    load_cases,
    load_floors,
    match_actions,
    score_case,
    summarize,
)
from tools.vocabulary import TOOLS

NOW = datetime.fromisoformat("2026-11-25T10:00:00+08:00")
MEMBERS = {"张伟": ["老张"], "王磊": ["小王"], "李娜": ["娜娜"]}


def call(tool: str, **args: Any) -> ToolCall:
    return ToolCall(tool=tool, args=args)


def case(
    text: str, expected: list[ToolCall], *, tags: Sequence[str] = (), id: str = "x"
) -> GoldCase:
    return GoldCase(
        id=id,
        text=text,
        now=NOW,
        sender="张伟",
        members=MEMBERS,
        expected=expected,
        tags=list(tags),
    )


class ScriptedEngine:
    """A hand-written engine double: answers by message text, records what it was asked."""

    name = "scripted"

    def __init__(self, answers: dict[str, list[ToolCall]], *, fail_on: str | None = None) -> None:
        self.answers = answers
        self.fail_on = fail_on
        self.seen: list[tuple[IncomingMessage, ChatContext]] = []

    def understand(self, message: IncomingMessage, context: ChatContext) -> list[ToolCall]:
        self.seen.append((message, context))
        if message.text == self.fail_on:
            raise RuntimeError("boom")
        return list(self.answers.get(message.text, []))


# --------------------------------------------------------------------- char overlap


def test_char_overlap_is_f1_over_characters() -> None:
    assert char_overlap("首页改版讨论", "首页改版") == pytest.approx(0.8)
    assert char_overlap("会", "开会") == pytest.approx(2 * 0.5 * 1 / 1.5)
    assert char_overlap("登录页", "登录页") == 1.0
    assert char_overlap("登录页", "周报") == 0.0


def test_char_overlap_ignores_punctuation_space_case_and_width() -> None:
    assert char_overlap("Review PR #231", "review pr 231") == 1.0
    assert char_overlap("ＡＰＩ限流", "api 限流！") == 1.0
    assert char_overlap("", "") == 1.0
    assert char_overlap("", "x") == 0.0


def test_char_overlap_counts_repeated_characters_once_each() -> None:
    # expected 6 chars, predicted 2 of them: P = 1, R = 1/3 -> F1 = 0.5
    assert char_overlap("哈哈哈哈哈哈", "哈哈") == pytest.approx(0.5)


# --------------------------------------------------------------------- field rules


def test_times_compare_as_instants() -> None:
    assert field_correct("due", "2026-11-27T18:00:00+08:00", "2026-11-27T10:00:00+00:00")
    assert not field_correct("due", "2026-11-27T18:00:00+08:00", "2026-11-27T18:00:00+09:00")
    assert not field_correct("start", "2026-11-27T18:00:00+08:00", "2026-11-27T18:00:00")
    assert field_correct(
        "start", "2026-11-27T18:00:00+08:00", datetime.fromisoformat("2026-11-27T18:00:00+08:00")
    )
    assert not field_correct("due", "2026-11-27T18:00:00+08:00", "周五")


def test_missing_values_and_defaults() -> None:
    assert field_correct("priority", None, "normal")
    assert field_correct("priority", "normal", None)
    assert not field_correct("priority", None, "high")
    assert field_correct("remind_before_minutes", 15, None)
    assert not field_correct("remind_before_minutes", 30, None)
    assert not field_correct("due", None, "2026-11-27T18:00:00+08:00")
    assert not field_correct("due", "2026-11-27T18:00:00+08:00", None)
    assert field_correct("due", None, None)


def test_names_exact_and_attendees_as_sets() -> None:
    assert field_correct("assignee", "王磊", " 王磊 ")
    assert not field_correct("assignee", "王磊", "小王")
    assert field_correct("attendees", ["张伟", "李娜"], ["李娜", "张伟"])
    assert not field_correct("attendees", ["张伟", "李娜"], ["张伟"])
    assert field_correct("attendees", "all", "all")
    assert not field_correct("attendees", "all", ["张伟", "李娜", "王磊"])


def test_free_text_and_agenda() -> None:
    assert field_correct("title", "出登录页设计稿", "登录页设计稿")
    assert not field_correct("title", "出登录页设计稿", "周报")
    assert field_correct("agenda", ["需求排期", "技术债"], ["技术债讨论", "需求排期"])
    assert not field_correct("agenda", ["需求排期", "技术债"], ["需求排期"])
    assert field_correct("task", 12, "#12")


# --------------------------------------------------------------------- matching


def test_keys_decide_which_action_it_is() -> None:
    exp = call(
        "create_task", title="出登录页设计稿", assignee="王磊", due="2026-11-27T18:00:00+08:00"
    )
    assert keys_match(exp, call("create_task", title="登录页设计稿", assignee="王磊"))
    assert not keys_match(exp, call("create_task", title="登录页设计稿", assignee="李娜"))
    assert not keys_match(exp, call("create_task", title="登录页设计稿"))
    assert not keys_match(exp, call("update_task", task="出登录页设计稿"))
    meeting = call("create_meeting", title="周会", start="2026-11-26T15:00:00+08:00")
    assert keys_match(
        meeting, call("create_meeting", title="别的", start="2026-11-26T07:00:00+00:00")
    )
    assert not keys_match(
        meeting, call("create_meeting", title="周会", start="2026-11-26T14:00:00+08:00")
    )


def test_best_assignment_prefers_more_correct_fields() -> None:
    due = "2026-11-27T18:00:00+08:00"
    expected = [
        call("create_task", title="出春节海报", assignee="王磊", due=due),
        call("create_task", title="出春节海报的文案", assignee="王磊"),
    ]
    # Both predictions key-match both expectations; the best pairing crosses them over.
    predicted = [
        call("create_task", title="出春节海报文案", assignee="王磊"),
        call("create_task", title="出春节海报", assignee="王磊", due=due),
    ]
    pairs = match_actions(expected, predicted)
    assert len(pairs) == 2
    assert all(p.all_correct for p in pairs)
    assert {id(p.predicted) for p in pairs} == {id(x) for x in predicted}


def test_best_assignment_maximizes_matches_first() -> None:
    expected = [
        call("create_task", title="写周报", assignee="王磊"),
        call("create_task", title="订会议室", assignee="王磊"),
    ]
    predicted = [call("create_task", title="写周报", assignee="王磊")]
    pairs = match_actions(expected, predicted)
    assert len(pairs) == 1
    assert pairs[0].expected is expected[0]


def test_exact_match_needs_same_count_and_all_fields() -> None:
    exp = [call("create_task", title="出设计稿", assignee="王磊", due="2026-11-27T18:00:00+08:00")]
    right = score_case(
        case("a", exp),
        [call("create_task", title="出设计稿", assignee="王磊", due="2026-11-27T18:00:00+08:00")],
    )
    wrong_due = score_case(
        case("a", exp),
        [call("create_task", title="出设计稿", assignee="王磊", due="2026-11-28T18:00:00+08:00")],
    )
    extra = score_case(case("a", exp), [*right.predicted, call("query", kind="my_tasks")])
    assert right.exact and (right.tp, right.fp, right.fn) == (1, 0, 0)
    assert (
        not wrong_due.exact
        and wrong_due.tp == 1
        and wrong_due.pairs[0].fields
        == {
            "assignee": True,
            "due": False,
            "title": True,
        }
    )
    assert not extra.exact and (extra.tp, extra.fp, extra.fn) == (1, 1, 0)
    assert score_case(case("b", []), []).exact
    assert not score_case(case("b", []), [call("query", kind="my_tasks")]).exact


def test_lenient_fields_only_scored_when_expected() -> None:
    exp = [call("create_task", title="写周报")]
    result = score_case(
        case("a", exp), [call("create_task", title="写周报", description="每周五", project="官网")]
    )
    assert result.exact


# --------------------------------------------------------------------- run and summarize


def _run() -> tuple[ScriptedEngine, Report]:
    due = "2026-11-27T18:00:00+08:00"
    cases = [
        case(
            "任务",
            [call("create_task", title="出设计稿", assignee="王磊", due=due)],
            tags=["task"],
            id="a",
        ),
        case(
            "两个",
            [call("create_task", title="改文案", assignee="李娜"), call("query", kind="overdue")],
            tags=["task", "query"],
            id="b",
        ),
        case("谢谢", [], tags=["no_action"], id="c"),
        case("哈哈", [], tags=["no_action"], id="d"),
        case("崩溃", [call("query", kind="progress")], tags=["query"], id="e"),
    ]
    engine = ScriptedEngine(
        {
            "任务": [
                call(
                    "create_task",
                    title="出设计稿",
                    assignee="王磊",
                    due="2026-11-28T18:00:00+08:00",
                )
            ],
            "两个": [
                call("create_task", title="改文案", assignee="李娜"),
                call("query", kind="overdue"),
            ],
            "哈哈": [call("create_task", title="哈哈")],
        },
        fail_on="崩溃",
    )
    return engine, summarize(evaluate(engine, cases))


def test_summary_arithmetic() -> None:
    engine, report = _run()
    # TP: a(1) + b(2) = 3; FP: d(1) = 1; FN: e(1) = 1
    assert (report.matched_actions, report.predicted_actions, report.expected_actions) == (3, 4, 4)
    assert report.action_precision == pytest.approx(0.75)
    assert report.action_recall == pytest.approx(0.75)
    assert report.action_f1 == pytest.approx(0.75)
    assert report.exact_match == pytest.approx(2 / 5)  # b and c
    assert report.no_action_cases == 2
    assert report.no_action_accuracy == pytest.approx(0.5)
    assert report.field_accuracy["due"] == (0, 1)
    assert report.field_accuracy["title"] == (2, 2)
    assert report.errors == 1
    assert report.invalid_calls == 0
    tags = {row.tag: row for row in report.tags}
    assert tags["task"].cases == 2 and tags["task"].exact_match == pytest.approx(0.5)
    assert tags["query"].action_f1 == pytest.approx(0.8)  # TP 2, FN 1
    assert tags["no_action"].action_f1 is None and tags["no_action"].exact_match == 0.5
    assert report.latency_p50_ms >= 0 and report.latency_p99_ms >= report.latency_p50_ms
    message, context = engine.seen[0]
    assert message.text == "任务" and message.sender == "张伟"
    assert context.now == NOW and context.sender == "张伟" and context.members == MEMBERS
    json.dumps(report.to_json(), ensure_ascii=False)


def test_invalid_calls_are_counted() -> None:
    result = score_case(
        case("a", []), [call("create_task", title="x", due="明天"), call("fly", to="moon")]
    )
    assert result.invalid_calls == 2


def test_floors() -> None:
    _, report = _run()
    assert check_floors(report, {"action_f1": 0.7, "no_action_accuracy": 0.5}) == []
    failures = check_floors(report, {"action_f1": 0.8, "exact_match": 0.3, "nonsense": 0.1})
    assert len(failures) == 2
    assert any(line.startswith("action_f1") for line in failures)
    assert any(line.startswith("nonsense") for line in failures)


def test_floors_file_is_readable(tmp_path: Path) -> None:
    floors = load_floors()
    assert {"action_f1", "exact_match", "no_action_accuracy"} <= set(floors)
    path = tmp_path / "floors.json"
    path.write_text('{"_note": "x", "action_f1": 0.9}', encoding="utf-8")
    assert load_floors(path) == {"action_f1": 0.9}


# --------------------------------------------------------------------- the gold set


@pytest.fixture(scope="module")
def gold() -> list[GoldCase]:
    return load_cases(DEFAULT_CASES)


def test_gold_set_size_ids_and_no_action_share(gold: list[GoldCase]) -> None:
    assert len(gold) >= 220
    ids = [c.id for c in gold]
    assert len(ids) == len(set(ids))
    share = sum(c.no_action for c in gold) / len(gold)
    assert 0.17 <= share <= 0.25


def test_gold_actions_validate_against_the_vocabulary(gold: list[GoldCase]) -> None:
    for c in gold:
        assert c.now.tzinfo is not None, c.id
        assert c.sender in c.members, c.id
        assert c.tags, c.id
        for expected in c.expected:
            assert expected.tool in TOOLS, (c.id, expected.tool)
            TOOLS[expected.tool].model_validate(expected.args)


def test_gold_times_carry_the_case_offset(gold: list[GoldCase]) -> None:
    for c in gold:
        for expected in c.expected:
            for key in ("start", "end", "due", "deadline"):
                if key in expected.args:
                    value = datetime.fromisoformat(expected.args[key])
                    assert value.utcoffset() == c.now.utcoffset(), (c.id, key)
                    assert value >= c.now.replace(hour=0, minute=0), (c.id, key)


def test_gold_names_are_display_names(gold: list[GoldCase]) -> None:
    for c in gold:
        for expected in c.expected:
            args = expected.args
            names = [args[k] for k in ("assignee", "member", "owner") if k in args]
            for key in ("attendees", "members"):
                if isinstance(args.get(key), list):
                    names.extend(args[key])
            for name in names:
                assert name in c.members, (c.id, name)


def test_gold_set_scores_perfectly_against_itself(gold: list[GoldCase]) -> None:
    echo = ScriptedEngine({c.text: c.expected for c in gold})
    report = summarize(evaluate(echo, gold))
    assert report.exact_match == 1.0
    assert report.action_f1 == 1.0
    assert report.no_action_accuracy == 1.0


@pytest.mark.parametrize(
    ("name", "expected", "predicted", "same"),
    [
        ("recurrence", "FREQ=WEEKLY;BYDAY=MO,WE", "byday=we,mo;freq=weekly", True),
        ("recurrence", "FREQ=WEEKLY;BYDAY=MO", "FREQ=WEEKLY;INTERVAL=1;BYDAY=MO", True),
        ("recurrence", "FREQ=WEEKLY;BYDAY=MO", "FREQ=WEEKLY;INTERVAL=2;BYDAY=MO", False),
        ("occurrence", "2026-12-07", "2026-12-07", True),
        ("occurrence", "2026-12-07", "2026-12-08", False),
        ("since", "2026-11-23T00:00:00+08:00", "2026-11-22T16:00:00+00:00", True),
        ("status", ["blocked", "todo"], ["todo", "blocked"], True),
        ("status", ["blocked"], ["blocked", "todo"], False),
        ("add_attendees", ["王磊", "李四"], ["李四", "王磊"], True),
        ("enabled", False, False, True),
        ("enabled", False, True, False),
        ("shift_minutes", 30, 30, True),
        ("question", "首页改版之前怎么定的", "首页改版怎么定的", True),
    ],
)
def test_vocabulary_2_field_rules(
    name: str, expected: object, predicted: object, same: bool
) -> None:
    assert field_correct(name, expected, predicted) is same
