"""The learned layer: features, the committed model, the gate's rule and its effect."""

from __future__ import annotations

from datetime import datetime, timedelta, timezone
from pathlib import Path

import numpy as np
import pytest

from assistant.domain import ChatContext, IncomingMessage, ToolCall
from assistant.engines.learned import NONE, GateThresholds, IntentGate, IntentModel, default_model
from assistant.engines.learned.features import (
    AT_MARK,
    TIME_MARK,
    abstract,
    hash_features,
    message_features,
)
from assistant.engines.learned.gate import review
from assistant.engines.learned.model import DEFAULT_WEIGHTS, MANY_TASKS
from assistant.engines.rules import RuleEngine
from assistant.engines.rules.people import Roster
from assistant.engines.rules.timeslots import find_times
from tools.vocabulary import TOOLS

CST = timezone(timedelta(hours=8))
NOW = datetime(2026, 11, 25, 10, 0, tzinfo=CST)
MEMBERS = {"张伟": ["老张"], "王磊": ["小王"], "李娜": ["娜娜"], "Kevin Zhou": ["Kevin"]}


def _ctx(sender: str = "张伟") -> ChatContext:
    return ChatContext(now=NOW, sender=sender, members=MEMBERS)


# --------------------------------------------------------------------------- features


def test_people_and_times_become_placeholders() -> None:
    text = "@小王 周五前把合同发我"
    times, _ = find_times(text, NOW)
    flat = abstract(text, Roster(MEMBERS, "张伟").find(text), times)
    assert flat.startswith(AT_MARK.lower())
    assert TIME_MARK.lower() in flat and "周五" not in flat and "小王" not in flat


def test_messages_that_differ_only_in_names_and_times_share_their_features() -> None:
    a = message_features("@小王 周五前把合同发我", _ctx())
    b = message_features("@Kevin 明天前把合同发我", _ctx())
    assert set(a) == set(b)


def test_signals_for_questions_negation_and_reported_speech() -> None:
    feats = set(message_features("娜娜说她不用去开会了吗？", _ctx()))
    assert {"sig:qmark", "sig:neg", "sig:reported", "sig:q_particle_end"} <= feats
    english = set(message_features("don't cancel the sync with Kevin", _ctx()))
    assert "sig:neg" in english and "en2:cancel|the" in english


def test_a_time_ahead_and_a_time_behind_are_told_apart() -> None:
    assert "sig:time_ahead" in message_features("明天下午3点开会", _ctx())
    assert "sig:time_behind" in message_features("昨天下午3点开过会了", _ctx())


def test_hashing_is_stable_and_in_range() -> None:
    feats = message_features("@小王 周五前把合同发我", _ctx())
    first = hash_features(feats, 1 << 16)
    again = hash_features(list(reversed(feats)), 1 << 16)
    assert sorted(first.tolist()) == sorted(again.tolist())
    assert first.min() >= 0 and first.max() < 1 << 16
    assert len(first) == len(set(first.tolist()))


# --------------------------------------------------------------------------- the model


def test_committed_model_loads_with_every_tool_and_calibrated_thresholds() -> None:
    model = default_model()
    assert model is default_model()  # loaded once
    assert set(model.labels) == {NONE, MANY_TASKS, *TOOLS}
    assert model.weights.shape == (model.dim, len(model.labels))
    assert {"veto_none", "drop_tool", "route_action"} <= set(model.thresholds)
    assert DEFAULT_WEIGHTS.stat().st_size < 5 * 1024 * 1024
    cv = model.meta["cv"]
    assert cv["cases"] > 500


def test_save_and_load_keep_the_scores(tmp_path: Path) -> None:
    model = default_model()
    path = tmp_path / "m.npz"
    model.save(path)
    again = IntentModel.load(path)
    ix = hash_features(message_features("@小王 周五前把合同发我", _ctx()), model.dim)
    assert np.allclose(model.scores(ix), again.scores(ix), atol=1e-6)
    assert again.thresholds == model.thresholds


def test_the_model_reads_clear_messages() -> None:
    model = default_model()
    task = model.predict("@小王 周五前把合同发我", _ctx())
    assert task["create_task"] > 0.5 > task[NONE]
    meeting = model.predict("明天下午3点在3楼会议室开个需求评审会 @娜娜 @小王", _ctx())
    assert meeting["create_meeting"] > 0.5
    chat = model.predict("哈哈哈 今天食堂的红烧肉不错", _ctx())
    assert chat[NONE] > 0.5


# --------------------------------------------------------------------------- the gate's rule

TH = GateThresholds(
    veto_none=0.5, veto_margin=0.1, drop_tool=0.05, single_task=0.2, route_action=0.8
)
TASK = ToolCall(tool="create_task", args={"title": "发合同", "assignee": "王磊"})
MEETING = ToolCall(tool="create_meeting", args={"title": "评审会", "start": NOW.isoformat()})


def test_veto_when_no_action_is_likely() -> None:
    verdict = review([TASK], {NONE: 0.8, "create_task": 0.1}, TH)
    assert verdict.action == "veto" and verdict.calls == []


def test_no_veto_when_the_called_tool_is_as_likely() -> None:
    verdict = review([TASK], {NONE: 0.6, "create_task": 0.55}, TH)
    assert verdict.action == "keep" and verdict.calls == [TASK]


def test_an_unlikely_tool_among_several_is_dropped() -> None:
    verdict = review([MEETING, TASK], {NONE: 0.0, "create_meeting": 0.9, "create_task": 0.01}, TH)
    assert verdict.action == "drop" and verdict.calls == [MEETING]


def test_a_lone_call_is_never_dropped_only_vetoed() -> None:
    verdict = review([TASK], {NONE: 0.2, "create_task": 0.01}, TH)
    assert verdict.calls == [TASK]


def test_two_tasks_become_one_when_one_is_asked_for() -> None:
    second = ToolCall(tool="create_task", args={"title": "发合同", "assignee": "李娜"})
    probs = {NONE: 0.0, "create_task": 0.9, MANY_TASKS: 0.05}
    assert review([TASK, second], probs, TH).calls == [TASK]
    assert review([TASK, second], {**probs, MANY_TASKS: 0.7}, TH).calls == [TASK, second]


def test_route_when_the_rules_found_nothing_but_a_task_is_likely() -> None:
    assert review([], {NONE: 0.05, "update_task": 0.9}, TH).action == "route"
    assert review([], {NONE: 0.9, "update_task": 0.05}, TH).action == "keep"


# --------------------------------------------------------------------------- in the engine


def test_the_gated_engine_vetoes_a_reported_plan_and_keeps_a_request() -> None:
    plain, gated = RuleEngine(), RuleEngine(gate=IntentGate())
    reported = IncomingMessage(text="老李说他下周打算把服务器迁移一下", sender="张伟")
    assert plain.analyse(reported, _ctx()).calls  # the rules alone read a task
    analysis = gated.analyse(reported, _ctx())
    assert analysis.calls == [] and analysis.confidence < 0.8
    request = IncomingMessage(text="@小王 周五前把登录页设计稿出一下", sender="张伟")
    assert [c.tool for c in gated.understand(request, _ctx())] == ["create_task"]


def test_the_switch_builds_the_engine_with_or_without_the_gate(
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    from assistant.bootstrap import build_rule_engine
    from assistant.settings import Settings

    monkeypatch.setenv("QUNMI_UNDERSTANDING__LEARNED", "false")
    assert build_rule_engine(Settings()).gate is None
    monkeypatch.setenv("QUNMI_UNDERSTANDING__LEARNED", "true")
    assert isinstance(build_rule_engine(Settings()).gate, IntentGate)
