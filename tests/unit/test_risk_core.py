"""Delay risk, pure parts: observations replayed from events, features, prior, reasons, advice."""

from __future__ import annotations

import copy
import itertools
import random
from datetime import datetime, timedelta
from zoneinfo import ZoneInfo

import numpy as np
import pytest

from assistant.clock import FixedClock
from assistant.insight.risk.advice import Candidate, TaskRef, suggest
from assistant.insight.risk.batch import examples_batch, observe_open
from assistant.insight.risk.explain import explain
from assistant.insight.risk.features import FEATURE_NAMES, FEATURES, matrix, vector
from assistant.insight.risk.history import ProjectInfo, TeamHistory, TeamRecords
from assistant.insight.risk.metrics import auc
from assistant.insight.risk.model import RiskModel, TrainedModel, fit_platt, train_model
from assistant.insight.risk.observation import (
    Neighbour,
    NeighbourSummary,
    ObserveContext,
    TaskObservation,
    TaskTimeline,
    TimelineEvent,
    kind_from_title,
    observe,
    progress_from_note,
)
from assistant.insight.risk.prior import prior_logits, prior_score, prior_terms
from assistant.insight.risk.service import RiskConfig, RiskService
from assistant.insight.risk.similar import (
    KeywordSimilarTasks,
    NeighbourHits,
    SimilarQuery,
    title_tokens,
)

TZ = ZoneInfo("Asia/Shanghai")
T0 = datetime(2026, 11, 2, 10, 0, tzinfo=TZ)


def _day(n: float) -> datetime:
    return T0 + timedelta(days=n)


def test_observe_replays_only_what_had_happened() -> None:
    timeline = TaskTimeline(
        id=1,
        title="登录页设计稿",
        created_at=T0,
        status="done",
        due=_day(9),
        completed_at=_day(10),
        assignee_id=3,
        events=[
            TimelineEvent(T0, "created", new="todo"),
            TimelineEvent(_day(1), "status", old="todo", new="in_progress"),
            TimelineEvent(_day(2), "due", old=_day(5).isoformat(), new=_day(7).isoformat()),
            TimelineEvent(_day(3), "status", old="in_progress", new="blocked", note="等接口"),
            TimelineEvent(_day(5), "status", old="blocked", new="in_progress"),
            TimelineEvent(_day(6), "note", note="写了一半"),
            TimelineEvent(_day(6.5), "due", old=_day(7).isoformat(), new=_day(9).isoformat()),
            TimelineEvent(_day(7), "assignee", old="2", new="3"),
            TimelineEvent(_day(10), "status", old="in_progress", new="done"),
        ],
        project_id=None,
    )
    early = observe(timeline, _day(0.5), ObserveContext())
    assert early.due == _day(5)  # the due date as it stood then, before it was moved
    assert early.updates == 0 and early.due_changes == 0 and early.status == "todo"
    assert early.assignee_id == 2
    mid = observe(timeline, _day(4), ObserveContext())
    assert mid.blocked_now and mid.blocked_days == pytest.approx(1.0)
    assert mid.due == _day(7) and mid.due_changes == 1 and mid.due_pushed_days == pytest.approx(2)
    late = observe(timeline, _day(8), ObserveContext())
    assert not late.blocked_now and late.blocked_days == pytest.approx(2.0)
    assert late.progress == 0.5 and late.due == _day(9) and late.due_changes == 2
    assert late.assignee_id == 3 and late.assignee_changes == 1
    assert late.days_since_update == pytest.approx(1.0)
    assert late.status == "in_progress"


@pytest.mark.parametrize(
    ("note", "share"),
    [
        ("写了一半", 0.5),
        ("差不多了", 0.9),
        ("快好了", 0.9),
        ("完成了80%", 0.8),
        ("还没开始", 0.0),
        ("刚开始", 0.1),
        ("搞定了", 1.0),
        ("等第三方接口", None),
        (None, None),
    ],
)
def test_progress_notes(note: str | None, share: float | None) -> None:
    assert progress_from_note(note) == share


def test_kinds_and_tokens() -> None:
    assert kind_from_title("修复登录报错") == "bug"
    assert kind_from_title("写接口文档") == "doc"
    assert kind_from_title("登录页设计稿") == "task"
    assert {"登录", "录页"} <= title_tokens("登录页设计稿 v2")
    assert "v2" in title_tokens("登录页设计稿 v2")


def _obs(**kw: object) -> TaskObservation:
    base: dict[str, object] = {
        "key": "1",
        "at": _day(4),
        "opened_at": T0,
        "due": _day(8),
        "title": "首页前端开发",
        "updates": 2,
        "days_since_update": 0.5,
        "assignee_open": 1,
    }
    base.update(kw)
    return TaskObservation(**base)  # type: ignore[arg-type]


def test_vector_matches_the_feature_table_and_marks_the_unobserved() -> None:
    row = vector(_obs(progress=None, neighbours=None))
    assert len(row) == len(FEATURES) == len(FEATURE_NAMES)
    named = dict(zip(FEATURE_NAMES, row, strict=True))
    assert named["days_left"] == pytest.approx(4) and named["share_left"] == pytest.approx(0.5)
    assert np.isnan(named["progress"]) and np.isnan(named["similar_count"])
    behind = dict(zip(FEATURE_NAMES, vector(_obs(progress=0.1)), strict=True))
    assert behind["progress_gap"] == pytest.approx(0.4)


def test_prior_rises_with_each_planted_signal() -> None:
    healthy = _obs()
    assert prior_score(healthy) < 0.3
    for worse in (
        _obs(at=_day(7.5)),  # half a day left
        _obs(days_since_update=5.0),
        _obs(due_changes=3),
        _obs(blocked_now=True, blocked_days=2.0),
        _obs(assignee_open=8),
        _obs(assignee_finished=10, assignee_late_rate=0.8),
        _obs(neighbours=NeighbourSummary(count=5, late=4, mean_slip_days=2.0)),
    ):
        assert prior_score(worse) > prior_score(healthy) + 0.05
    assert prior_score(_obs(at=_day(9))) > 0.8  # already overdue


def test_reasons_name_the_causes_with_the_figures() -> None:
    obs = _obs(
        at=_day(7),
        days_since_update=3.2,
        assignee_open=7,
        neighbours=NeighbourSummary(count=5, late=4, mean_slip_days=2.0),
    )
    texts = [r.text for r in explain(obs, prior_terms(obs))]
    assert "距截止只剩1天（计划时间已用去88%）" in texts
    assert "3天没有进展更新" in texts
    assert "负责人手上还有7个未完成的任务" in texts
    assert "相似的5个任务里有4个延期了，平均晚了2天" in texts
    # A factor whose value is healthy is not said, whatever weight a model gives it.
    assert explain(_obs(), {"stale": 1.0, "load": 1.0}) == []


def test_suggestions_name_who_and_when() -> None:
    obs = _obs(
        at=_day(7),
        assignee_id=2,
        assignee_open=7,
        days_since_update=4.0,
        neighbours=NeighbourSummary(count=3, late=1, mean_slip_days=1.0),
    )
    neighbours = [
        Neighbour(10, "首页前端开发", _day(-3), slip_days=-1, duration_days=11, assignee_id=3),
        Neighbour(11, "首页前端联调", _day(-2), slip_days=-0.5, duration_days=12, assignee_id=4),
        Neighbour(12, "首页前端改版", _day(-1), slip_days=2, duration_days=13, assignee_id=2),
    ]
    candidates = [
        Candidate(2, "王磊", open_tasks=7, finished=10, late=6),
        Candidate(3, "李四", open_tasks=3, finished=8, late=1),
        Candidate(4, "刘洋", open_tasks=1, finished=5, late=0),
    ]
    ref = TaskRef(id=5, title="首页前端开发", assignee="王磊", assignee_id=2, due=obs.due)
    reasons = explain(obs, prior_terms(obs))
    out = {
        s.action: s
        for s in suggest(
            obs, reasons, task=ref, neighbours=neighbours, candidates=candidates, now=obs.at, tz=TZ
        )
    }
    assert set(out) == {"reassign", "move_due", "sync"}
    assert "刘洋" in out["reassign"].text  # the least loaded of those who did similar work on time
    assert out["reassign"].calls[0] == {
        "tool": "update_task",
        "args": {"task": 5, "assignee": "刘洋"},
    }
    # Similar tasks took 12 days (median) from creation: 11月14日, a Saturday, so Monday 18:00.
    assert out["move_due"].calls[0]["args"]["due"] == "2026-11-16T18:00:00+08:00"
    assert "11月16日(周一)" in out["move_due"].command
    assert out["sync"].calls[0]["tool"] == "create_meeting"


def test_auc_matches_pair_counting() -> None:
    rng = random.Random(1)
    y = [rng.random() < 0.3 for _ in range(200)]
    s = [round(rng.random(), 1) + (0.3 if v else 0) for v in y]
    pairs = [
        (a, b)
        for (a, ya), (b, yb) in itertools.product(zip(s, y, strict=True), repeat=2)
        if ya and not yb
    ]
    brute = sum(1.0 if a > b else 0.5 if a == b else 0.0 for a, b in pairs) / len(pairs)
    assert auc(y, s) == pytest.approx(brute)


def test_platt_recovers_a_known_calibration() -> None:
    rng = np.random.default_rng(3)
    margins = rng.normal(size=4000)
    labels = rng.random(4000) < 1 / (1 + np.exp(-(2.0 * margins - 1.0)))
    a, b = fit_platt(margins, labels)
    assert a == pytest.approx(2.0, abs=0.25) and b == pytest.approx(-1.0, abs=0.2)


def test_model_learns_a_planted_signal_and_round_trips() -> None:
    rng = random.Random(5)
    rows, labels, groups = [], [], []
    for i in range(400):
        stale = rng.uniform(0, 8)
        obs = _obs(days_since_update=stale, assignee_open=rng.randint(0, 3))
        rows.append(vector(obs))
        labels.append(rng.random() < (0.85 if stale > 4 else 0.1))
        groups.append(str(i))
    trained = train_model(rows, labels, groups, trained_at=T0, finished_tasks=400)
    assert trained.metrics["cv_auc"] > 0.75
    model = RiskModel(TrainedModel.from_dict(trained.to_dict()))
    probs, contributions = model.explain([vector(_obs(days_since_update=7.0)), vector(_obs())])
    assert probs[0] > 0.6 > 0.3 > probs[1]
    top = max(contributions[0], key=lambda k: contributions[0][k])
    assert top == "stale"


def test_team_history_is_point_in_time() -> None:
    def task(
        i: int, assignee: int, created: float, due: float, done: float | None, title: str
    ) -> TaskTimeline:
        return TaskTimeline(
            id=i,
            title=title,
            created_at=_day(created),
            status="done" if done is not None else "in_progress",
            due=_day(due),
            assignee_id=assignee,
            completed_at=_day(done) if done is not None else None,
            project_id=1,
        )

    records = TeamRecords(
        members={1: "王磊", 2: "李四"},
        projects=[ProjectInfo(id=1, name="官网改版", deadline=_day(30))],
        timelines=[
            task(1, 1, 0, 3, 5, "登录页设计稿"),  # late, finished on day 5
            task(2, 1, 1, 6, 4, "登录页前端开发"),  # on time, finished on day 4
            task(3, 1, 2, 9, None, "首页文案"),
            task(4, 2, 2, 9, None, "登录页前端联调"),
        ],
    )
    team = TeamHistory.build(records)
    three = team.timeline(3)
    assert three is not None
    at_3 = team.context(three, _day(3))
    assert at_3.assignee_open == 2 and at_3.assignee_finished == 0  # nothing finished yet
    at_6 = team.context(three, _day(6))
    assert at_6.assignee_open == 0 and at_6.assignee_finished == 2
    assert at_6.assignee_late_rate == pytest.approx(0.5)
    assert at_6.project_days_left == pytest.approx(24)
    four = team.timeline(4)
    assert four is not None
    assert [n.task_id for n in team.neighbours(four, _day(4.5))] == [2]  # task 1 not yet finished
    assert sorted(n.task_id for n in team.neighbours(four, _day(6))) == [1, 2]
    examples = team.examples()
    assert {e.group for e in examples} == {"1", "2"}
    assert all(e.observation.at < _day(5) for e in examples if e.group == "1")
    assert all(e.late for e in examples if e.group == "1")


def _random_team(seed: int, tasks: int = 120) -> TeamRecords:
    """Timelines with every kind of event, in random order and at random moments."""
    rng = random.Random(seed)
    words = ("登录页", "首页", "支付", "设计稿", "接口联调", "测试用例", "文案", "bug修复")
    timelines = []
    for i in range(1, tasks + 1):
        created = rng.uniform(0, 40)
        due = created + rng.uniform(0.5, 9)
        done = created + rng.uniform(0.3, 12) if rng.random() < 0.7 else None
        status = "done" if done is not None else rng.choice(("todo", "in_progress", "blocked"))
        events = [TimelineEvent(_day(created), "created", new="todo")]
        moments = sorted(
            rng.uniform(created, done or created + 10) for _ in range(rng.randint(0, 7))
        )
        current_due = due
        for at in moments:
            kind = rng.choice(("status", "due", "assignee", "priority", "note", "undo"))
            if kind in ("status", "undo"):
                new = rng.choice(("in_progress", "blocked", "todo", ""))
                events.append(TimelineEvent(_day(at), kind, new=new or None))
            elif kind == "due":
                moved = current_due + rng.uniform(-1, 4)
                events.append(
                    TimelineEvent(
                        _day(at),
                        "due",
                        old=_day(current_due).isoformat(),
                        new=_day(moved).isoformat(),
                    )
                )
                current_due = moved
            elif kind == "assignee":
                events.append(
                    TimelineEvent(
                        _day(at), "assignee", old=str(rng.randint(1, 4)), new=str(rng.randint(1, 4))
                    )
                )
            elif kind == "priority":
                events.append(
                    TimelineEvent(
                        _day(at), "priority", old=rng.choice(("high", "low", "")), new="normal"
                    )
                )
            else:
                events.append(
                    TimelineEvent(
                        _day(at), "note", note=rng.choice(("写了一半", "80%", "在等", None))
                    )
                )
        if done is not None:
            events.append(TimelineEvent(_day(done), "status", new="done"))
        timelines.append(
            TaskTimeline(
                id=i,
                title=f"{rng.choice(words)}{rng.choice(words)}",
                created_at=_day(created),
                status=status,
                due=_day(current_due),
                priority=rng.choice(("normal", "high", "low", "urgent")),
                assignee_id=rng.choice((1, 2, 3, 4, None)),
                project_id=rng.choice((1, 2, None)),
                completed_at=_day(done) if done is not None else None,
                events=events,
            )
        )
    return TeamRecords(
        members={1: "王磊", 2: "李四", 3: "刘洋", 4: "张伟"},
        projects=[
            ProjectInfo(
                id=1,
                name="官网改版",
                deadline=_day(45),
                milestones=((_day(20), False), (_day(30), True)),
            ),
            ProjectInfo(id=2, name="小程序"),
        ],
        timelines=timelines,
    )


@pytest.mark.parametrize("seed", [1, 2, 3])
def test_batch_observation_matches_the_replay_of_each_task(seed: int) -> None:
    """The array path (scoring and training at scale) observes exactly what ``observe`` does."""
    team = TeamHistory.build(_random_team(seed))
    for now in (_day(15), _day(30), _day(60)):
        open_ = [
            t
            for t in team.records.timelines
            if t.created_at <= now and (t.completed_at is None or t.completed_at > now)
        ]
        assert open_
        batch, _ = observe_open(team, open_, now)
        scalar = np.array([vector(team.observe(t, now)) for t in open_])
        np.testing.assert_allclose(matrix(batch.columns), scalar, rtol=1e-9, atol=1e-9)
        for i, t in enumerate(open_):
            assert batch.observation(i, now).status == team.observe(t, now).status
    examples = examples_batch(team)
    reference = team.examples()
    assert examples.groups == [e.group for e in reference]
    assert examples.late.tolist() == [e.late for e in reference]
    np.testing.assert_allclose(
        matrix(examples.batch.columns),
        np.array([vector(e.observation) for e in reference]),
        rtol=1e-9,
        atol=1e-9,
    )
    prior = prior_logits(examples.batch.columns)
    expected = [
        np.log(prior_score(e.observation) / (1 - prior_score(e.observation))) for e in reference
    ]
    np.testing.assert_allclose(prior, expected, rtol=1e-6)


class _Records:
    """A ``TaskHistorySource`` over records held in memory (the store's port, not a fake of
    the code under test): what it returns can be changed between calls."""

    def __init__(self, records: TeamRecords) -> None:
        self.records = records

    def load(self, *, open_at: datetime | None = None) -> TeamRecords:
        return copy.deepcopy(self.records)


class _NoModels:
    def latest(self) -> TrainedModel | None:
        return None

    def save(self, model: TrainedModel) -> TrainedModel:
        raise AssertionError("not trained here")


def _service(source: _Records) -> RiskService:
    return RiskService(
        history=source,
        models=_NoModels(),
        clock=FixedClock(_day(30)),
        config=RiskConfig(tz=TZ, min_finished=10**6),
    )


def test_repeated_scoring_reuses_the_index_and_sees_every_change() -> None:
    """Scoring again reuses the similar-task index and its answers while the finished tasks
    are the same; once one more task finishes, the answer is that of a fresh service."""
    source = _Records(_random_team(4, tasks=200))
    service = _service(source)
    now = _day(30)
    first = service.assess(now=now).to_dict(TZ)
    index = service._index
    again = service.assess(now=now).to_dict(TZ)
    assert again == first
    assert service._index is index  # nothing finished in between: the same index
    # One open task finishes late; its title is one that other open tasks share.
    open_ = [t for t in source.records.timelines if t.completed_at is None and t.due is not None]
    done = open_[0]
    done.status, done.completed_at = "done", now - timedelta(hours=1)
    done.events.append(TimelineEvent(done.completed_at, "status", new="done"))
    changed = service.assess(now=now).to_dict(TZ)
    assert service._index is not index
    assert changed == _service(source).assess(now=now).to_dict(TZ)
    assert [t["task_id"] for t in changed["tasks"]] != [t["task_id"] for t in first["tasks"]]


def test_cached_hits_equal_a_fresh_search() -> None:
    team = _random_team(5, tasks=200)
    finished = TeamHistory.build(team).finished
    queries = [
        SimilarQuery(title=t.title, before=_day(d), exclude=t.id)
        for t in team.timelines
        for d in (10, 25, 50)
    ]
    index = KeywordSimilarTasks(finished)

    def flat(hits: NeighbourHits) -> list[tuple[int, float, float]]:
        return list(
            zip(
                hits.query.tolist(), hits.finished_at.tolist(), hits.slip_days.tolist(), strict=True
            )
        )

    once = flat(index.hits_many(queries, k=5))
    assert once and flat(index.hits_many(queries, k=5)) == once
    assert flat(KeywordSimilarTasks(finished).hits_many(queries, k=5)) == once
    # Asked in another order and mixed with new queries: the same answer per query.
    shuffled = list(reversed(queries))
    expected = flat(KeywordSimilarTasks(finished).hits_many(shuffled, k=5))
    assert flat(index.hits_many(shuffled, k=5)) == expected
