"""The offline minutes engine's parts: spoken-text cleaning, the card reply grammar, speaker
recognition, cue grammars, ROUGE-L, and the development meetings' floors."""

from __future__ import annotations

from datetime import datetime
from pathlib import Path

from assistant.insight.summaries.model import MeetingContext, TranscriptLine
from assistant.insight.summaries.offline import OfflineMinutesEngine
from assistant.insight.summaries.replies import Edit, read_reply, read_summary_request
from assistant.insight.summaries.speakers import recognise_speakers
from assistant.insight.summaries.spoken import clean, split_line
from evals.minutes_eval import load_meetings, score_minutes
from evals.summary_eval import rouge_l

START = datetime.fromisoformat("2026-11-16T10:00:00+08:00")  # a Monday
MEMBERS = {"王磊": ["小王"], "李娜": ["娜娜"], "赵强": ["老赵"], "陈静": ["陈总"]}


def test_clean_drops_fillers_resolves_restarts_and_homophones() -> None:
    assert clean("嗯那个我这边周三不对周四之前把登陆页以经改好的稿子发出来") == (
        "我这边周四之前把登录页已经改好的稿子发出来。"
    )
    assert clean("对对对 这个这个我也遇到过") == "这个我也遇到过。"
    assert clean("那短信这个要不要换一家").endswith("？")


def test_split_line_keeps_raw_spans_and_cuts_long_runs() -> None:
    text = "好 那我们开始吧 然后我先说一下这周的进度 登录页那块已经做完了。接口还没好"
    spans = split_line(text)
    assert all(text[a:b].strip() for a, b in spans)
    assert len(spans) >= 3
    long_run = "我们" + "这个方案" * 40
    assert all(b - a <= 60 for a, b in split_line(long_run))


def test_card_reply_grammar() -> None:
    assert read_reply("确认").confirm_all  # type: ignore[union-attr]
    assert read_reply("确认1、3").confirm == (1, 3)  # type: ignore[union-attr]
    assert read_reply("去掉第二条").drop == (2,)  # type: ignore[union-attr]
    assert read_reply("2改到周四").edits == (Edit(2, "due", "周四"),)  # type: ignore[union-attr]
    assert read_reply("2给老李").edits == (Edit(2, "owner", "老李"),)  # type: ignore[union-attr]
    assert read_reply("登录页搞定了") is None
    now = datetime.fromisoformat("2026-11-18T18:00:00+08:00")
    assert read_summary_request("总结一下今天群里聊了什么", now) == {
        "since": "2026-11-18T00:00:00+08:00"
    }
    assert read_summary_request("这周讨论了什么", now)["since"].startswith("2026-11-16")  # type: ignore[index]
    assert read_summary_request("出一下刚才周会的纪要", now) == {"meeting": "周会"}
    assert read_summary_request("登录页搞定了", now) is None


def test_speaker_labels_are_recognised_from_who_answers_whom() -> None:
    lines = [
        TranscriptLine("说话人1", "浩子你能帮我造一点测试数据吗"),
        TranscriptLine("说话人2", "可以啊 我明天给你造好"),
        TranscriptLine("说话人1", "好"),
    ]
    speakers = recognise_speakers(lines, {"孙浩": ["浩子"], "吴敏": ["敏姐"], "钱多": []})
    assert speakers.labels == {"说话人2": "孙浩"}
    assert speakers.by_line[1] == "孙浩"
    # With one label and one member left, the label is that member (round 5: by elimination).
    speakers = recognise_speakers(lines, {"孙浩": ["浩子"], "吴敏": ["敏姐"]})
    assert speakers.labels == {"说话人2": "孙浩", "说话人1": "吴敏"}


def test_minutes_of_a_short_meeting() -> None:
    lines = [
        TranscriptLine("陈静", "嗯 那就这么定了 登录就只做短信验证码 密码那个先不做了"),
        TranscriptLine("王磊", "好的 那我这边周三不对周四之前把登录页的新稿子出出来"),
        TranscriptLine("陈静", "老赵你下周一之前把接口文档准备一下"),
        TranscriptLine("赵强", "行"),
        TranscriptLine("陈静", "积分比例这个事情今天确实定不了 下次再说"),
    ]
    draft = OfflineMinutesEngine().minutes(lines, MeetingContext(start=START, members=MEMBERS))
    items = {(a.owner, a.due.isoformat() if a.due else None) for a in draft.action_items}
    assert ("王磊", "2026-11-19T18:00:00+08:00") in items
    assert ("赵强", "2026-11-23T18:00:00+08:00") in items
    assert any("短信验证码" in d.text for d in draft.decisions)
    assert any("定不了" in q.source for q in draft.open_questions)
    for item in draft.action_items:
        assert item.source in lines[item.line].text
    assert draft.summary and len(draft.summary) <= 300


def test_rouge_l_char_and_word() -> None:
    assert rouge_l("会议决定上线延期", "会议决定上线延期", "char") == 100.0
    assert 0 < rouge_l("上线延期到下月", "会议决定上线延期", "word") < 100
    assert rouge_l("", "会议", "char") == 0.0


def test_development_meetings_meet_their_floors() -> None:
    cases = Path(__file__).resolve().parents[2] / "evals" / "cases" / "minutes_dev.jsonl"
    engine = OfflineMinutesEngine()

    def run(m):  # type: ignore[no-untyped-def]
        lines = [TranscriptLine(s, t) for s, t in m.transcript]
        return engine.minutes(lines, MeetingContext(start=m.start, members=m.members)).to_dict()

    report = score_minutes(load_meetings(cases), run)
    assert report.totals["action_items"].f1 >= 0.8
    assert report.owner_accuracy >= 0.9


def test_minutes_for_a_reader_without_budget_rights_leave_budget_figures_out() -> None:
    from assistant.services.minutes import without_budget_figures

    record = {
        "summary": "会上定了首页改版方案。项目预算定为48万。王磊周五前出登录页。",
        "decisions": [
            {"text": "首页用蓝色方案", "source": "那就蓝色"},
            {"text": "预算定为48万", "source": "预算就48万吧"},
        ],
        "action_items": [
            {"title": "出登录页", "owner": "王磊", "source": "王磊周五前出登录页"},
            {"title": "付设计费", "owner": "李四", "source": "这次设计费花了3万2千元 李四去付"},
        ],
        "open_questions": [{"text": "预算的事下周再说", "source": "预算的事下周再说"}],
        "topics": [],
    }
    out = without_budget_figures(record)
    assert out["summary"] == "会上定了首页改版方案。王磊周五前出登录页。"
    assert [d["text"] for d in out["decisions"]] == ["首页用蓝色方案"]
    assert [a["title"] for a in out["action_items"]] == ["出登录页"]
    # Talking about the budget without a figure gives nothing away.
    assert out["open_questions"] == record["open_questions"]
    assert record["decisions"][1]["text"] == "预算定为48万"  # the stored minutes are untouched
