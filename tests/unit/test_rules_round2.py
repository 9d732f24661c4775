"""Round-two readings of the rule engine, on sentences written for these tests."""

from __future__ import annotations

from datetime import datetime
from typing import Any
from zoneinfo import ZoneInfo

from assistant.engines.rules import parse_message

NOW = datetime(2026, 11, 25, 10, 0, tzinfo=ZoneInfo("Asia/Shanghai"))  # a Wednesday
MEMBERS = {"周敏": ["敏姐"], "韩东": ["东子", "老韩"], "许可": [], "唐宁": []}
SENDER = "唐宁"


def calls(text: str) -> list[tuple[str, dict[str, Any]]]:
    return [(c.tool, c.args) for c in parse_message(text, now=NOW, sender=SENDER, members=MEMBERS)]


def test_trailing_doer_joins_the_task_before_it() -> None:
    assert calls("周五前把招标文件整理好，东子负责") == [
        (
            "create_task",
            {"title": "整理招标文件", "due": "2026-11-27T18:00:00+08:00", "assignee": "韩东"},
        )
    ]


def test_trailing_self_cue_is_the_sender_not_a_followup_task() -> None:
    (call,) = calls("下周一前把培训课件改好，我来")
    assert call[1]["assignee"] == SENDER and call[1]["title"] == "改培训课件"


def test_trailing_priority_clause_sets_priority() -> None:
    (call,) = calls("明天前把报销单交了，敏姐负责，加急")
    assert (call[1]["assignee"], call[1]["priority"]) == ("周敏", "urgent")


def test_self_as_doer_mid_sentence() -> None:
    (call,) = calls("验收报告我周四之前写完")
    assert call[1]["assignee"] == SENDER and call[1]["title"] == "写验收报告"


def test_self_when_free_is_low_priority() -> None:
    (call,) = calls("我有空再把测试环境的日志清理一下")
    assert call[1]["assignee"] == SENDER and call[1]["priority"] == "low"


def test_work_sent_to_me_has_no_assignee() -> None:
    (call,) = calls("各位，周五下班前把考勤表交给我")
    assert call[0] == "create_task" and "assignee" not in call[1]


def test_non_member_word_is_never_an_assignee() -> None:
    for tool, args in calls("明天施工队进场，施工负责人到门口签到"):
        assert args.get("assignee") != "施工", (tool, args)


def test_urgency_sentence_sets_next_task() -> None:
    (call,) = calls("十万火急！@许可 官网挂了 马上重启")
    assert call[1]["priority"] == "urgent" and call[1]["assignee"] == "许可"


def test_named_meeting_kind_has_no_agenda() -> None:
    (call,) = calls("明天下午三点开个供应商对账会")
    assert call[1]["title"] == "供应商对账会" and "agenda" not in call[1]


def test_named_meeting_with_agenda_keeps_name() -> None:
    (call,) = calls("周五上午十点开个年度采购会，讨论供应商和预算")
    assert call[1]["title"] == "年度采购会"
    assert call[1]["agenda"] == ["供应商", "预算"]


def test_online_is_a_location_not_a_title() -> None:
    (call,) = calls("明天下午4点开个线上会")
    assert call[1]["title"] == "会议" and call[1]["location"] == "线上"


def test_place_before_meeting_verb() -> None:
    (call,) = calls("后天上午9点在物流中心开个安全会")
    assert call[1]["location"] == "物流中心"
    (call,) = calls("明早8点仓库门口集合，开个班前会")
    assert call[1]["location"] == "仓库门口" and call[1]["title"] == "班前会"


def test_place_said_with_didian() -> None:
    (call,) = calls("周四下午2点开个复盘会，地点二楼培训室")
    assert call[1]["location"] == "二楼培训室" and "agenda" not in call[1]


def test_clock_then_floor_is_a_place() -> None:
    (call,) = calls("明天上午十点五楼会议室开会")
    assert call[1]["start"] == "2026-11-26T10:00:00+08:00"
    assert call[1]["location"] == "五楼会议室"


def test_meeting_fixed_at_a_time() -> None:
    (call,) = calls("季度表彰会定在12月3号下午3点")
    assert call == (
        "create_meeting",
        {
            "title": "季度表彰会",
            "start": "2026-12-03T15:00:00+08:00",
            "attendees": "all",
            "remind_before_minutes": 15,
        },
    )


def test_recurring_meeting_is_no_one_off() -> None:
    assert calls("例会以后每周二下午三点开") == []


def test_english_day_words_in_a_meeting() -> None:
    (call,) = calls("tomorrow 3pm 开个会过一下排期")
    assert call[1]["start"] == "2026-11-26T15:00:00+08:00"


def test_cancel_reason_after_and_before() -> None:
    (call,) = calls("周四的评审会取消，客户还没给需求")
    assert call == ("cancel_meeting", {"meeting": "评审会", "reason": "客户还没给需求"})
    (call,) = calls("客户临时改需求，明天的评审会取消了")
    assert call == ("cancel_meeting", {"meeting": "评审会", "reason": "客户临时改需求"})
    (call,) = calls("取消明天的复盘会，老韩出差")
    assert call == ("cancel_meeting", {"meeting": "复盘会", "reason": "老韩出差"})


def test_in_progress_report_with_more_verbs() -> None:
    assert calls("宣传册我在画了") == [("update_task", {"task": "宣传册", "status": "in_progress"})]
    assert calls("二楼的打印机在修了") == [
        ("update_task", {"task": "二楼的打印机", "status": "in_progress"})
    ]


def test_query_someones_remaining_tasks() -> None:
    assert calls("@许可 的任务还剩几个") == [("query", {"kind": "my_tasks", "member": "许可"})]


def test_leave_to_attend_a_meeting_is_no_action() -> None:
    assert calls("我明天上午请假去开运动会") == []
