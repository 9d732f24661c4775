"""Round-2 minutes kinds: addressee and acceptance, deadline-first commitments, floor
management, policies and settled values, revisions, doubts and deferrals (offline engine)."""

from __future__ import annotations

from datetime import datetime
from pathlib import Path

from assistant.insight.summaries.model import MeetingContext, MinutesDraft, TranscriptLine
from assistant.insight.summaries.offline import OfflineMinutesEngine
from evals.minutes_eval import load_meetings, score_minutes

START = datetime.fromisoformat("2026-12-02T10:00:00+08:00")  # a Wednesday
MEMBERS = {"方宁": ["宁姐"], "邓超": ["超哥"], "白露": ["露露"], "严华": ["老严"]}


def _minutes(turns: list[tuple[str, str]]) -> MinutesDraft:
    lines = [TranscriptLine(s, t) for s, t in turns]
    return OfflineMinutesEngine().minutes(lines, MeetingContext(start=START, members=MEMBERS))


def test_acceptance_binds_the_request_to_the_acceptor_with_its_due() -> None:
    draft = _minutes(
        [
            ("方宁", "露露 你这周五之前 把展位的报价单整理好"),
            ("白露", "好的 我周四就发你"),
            ("严华", "超哥 海报那边能不能帮我问一下印刷厂"),
            ("邓超", "行 我下午去问一下印刷厂"),
        ]
    )
    by_owner = {a.owner: a for a in draft.action_items}
    assert set(by_owner) == {"白露", "邓超"}
    assert by_owner["白露"].due is not None and by_owner["白露"].due.day == 3  # Thursday
    assert "报价单" in by_owner["白露"].source
    assert "印刷厂" in by_owner["邓超"].title


def test_floor_management_and_questions_are_not_tasks() -> None:
    draft = _minutes(
        [
            ("方宁", "不等了 我们先开 今天主要两个事 展位 海报"),
            ("方宁", "超哥你先把展位情况说一下"),
            ("邓超", "展位现在订了两个 还差一个 我插一下 那个灯光你想怎么弄"),
            ("严华", "那灯光就来不及了啊"),
        ]
    )
    assert draft.action_items == []


def test_policies_settled_values_and_the_last_revision() -> None:
    draft = _minutes(
        [
            ("方宁", "以后所有物料 必须提前三天报备 没报备的一律不进场"),
            ("邓超", "那展位费 先按八千"),
            ("方宁", "改成一万吧"),
            ("方宁", "算了 还是九千 就这么定了"),
            ("严华", "那得十几万吧"),
        ]
    )
    texts = [d.text for d in draft.decisions]
    assert any("必须提前三天报备" in t and "一律不进场" in t for t in texts)
    assert any("九千" in t for t in texts)
    assert not any("一万" in t or "十几万" in t for t in texts)


def test_doubts_are_open_questions_and_empty_deferrals_join_them() -> None:
    draft = _minutes(
        [
            ("白露", "听说主办方要把开幕提前一天"),
            ("方宁", "这个谁也说不准 有消息再说"),
            ("邓超", "灯光到底用暖光还是冷光"),
            ("方宁", "今天也定不了"),
            ("严华", "好 今天就到这 下次在说"),
        ]
    )
    sources = [q.source for q in draft.open_questions]
    assert len(sources) == 2
    assert any("开幕提前" in s for s in sources)
    assert any("暖光还是冷光" in s for s in sources)


def test_round2_development_meetings() -> None:
    cases = Path(__file__).resolve().parents[2] / "evals" / "cases" / "minutes_dev_v2.jsonl"
    engine = OfflineMinutesEngine()

    def run(m):  # type: ignore[no-untyped-def]
        lines = [TranscriptLine(s, t) for s, t in m.transcript]
        return engine.minutes(lines, MeetingContext(start=m.start, members=m.members)).to_dict()

    report = score_minutes(load_meetings(cases), run)
    assert report.totals["action_items"].f1 >= 0.85
    assert report.totals["decisions"].f1 >= 0.8
    assert report.totals["open_questions"].f1 >= 0.75


def test_the_one_called_on_owns_a_request_to_send_to_the_speaker() -> None:
    draft = _minutes([("方宁", "老严 周三之前把预算表发我"), ("严华", "好")])
    assert [(a.owner, a.due.isoformat() if a.due else None) for a in draft.action_items] == [
        ("严华", "2026-12-02T18:00:00+08:00")
    ]


def test_settled_values_keep_their_subject() -> None:
    draft = _minutes(
        [
            ("方宁", "同意调解 底线十二万"),
            ("邓超", "那收购价呢"),
            ("方宁", "那就三块二 保底每斤三块二"),
        ]
    )
    texts = [d.text for d in draft.decisions]
    assert any("调解" in t and "十二万" in t for t in texts)
    assert any(t.startswith("三块二") for t in texts)


def test_a_due_moved_in_the_next_turn_wins() -> None:
    draft = _minutes(
        [
            ("方宁", "老严 周三之前把预算表发我"),
            ("严华", "周三来不及 周四吧"),
            ("方宁", "那就周四"),
        ]
    )
    assert [a.due.isoformat() if a.due else None for a in draft.action_items] == [
        "2026-12-03T18:00:00+08:00"
    ]
