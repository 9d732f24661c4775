"""Round-three readings of the rule engine, on sentences written for these tests."""

from __future__ import annotations

from datetime import datetime
from typing import Any
from zoneinfo import ZoneInfo

from assistant.engines.rules import parse_message

NOW = datetime(2026, 11, 25, 10, 0, tzinfo=ZoneInfo("Asia/Shanghai"))  # a Wednesday
MEMBERS = {"周敏": ["敏姐"], "韩东": ["东子", "老韩"], "许可": [], "唐宁": [], "郑强": ["老郑"]}
SENDER = "唐宁"


def calls(text: str) -> list[tuple[str, dict[str, Any]]]:
    return [(c.tool, c.args) for c in parse_message(text, now=NOW, sender=SENDER, members=MEMBERS)]


# 1. The person called at the start is spoken to, not the doer, when someone else does it.
def test_leading_vocative_is_not_the_doer_when_the_sender_takes_it() -> None:
    assert calls("敏姐，招聘海报我来改") == [
        ("create_task", {"title": "改招聘海报", "assignee": SENDER})
    ]


def test_leading_vocative_is_the_doer_when_nobody_else_is() -> None:
    (call,) = calls("老郑，周五前把合同改一下")
    assert call[1]["assignee"] == "郑强"


def test_a_row_of_mentions_are_all_doers() -> None:
    people = [a["assignee"] for _, a in calls("@东子 @许可 周五前把日志清理一下")]
    assert people == ["韩东", "许可"]


# 2. A line that only calls someone belongs to the request on the next lines.
def test_mention_line_then_urgency_then_request() -> None:
    assert calls("@许可\n加急！\n把发票抬头改一下") == [
        ("create_task", {"title": "改发票抬头", "assignee": "许可", "priority": "urgent"})
    ]


# 3. Items under a header take who and when from it, with or without a verb.
def test_numbered_items_without_verbs_under_a_header() -> None:
    got = calls("东子下周一前搞定：1. 样品寄送 2. 报价单核对")
    assert [a["title"] for _, a in got] == ["样品寄送", "报价单核对"]
    assert {a["assignee"] for _, a in got} == {"韩东"}
    assert {a["due"] for _, a in got} == {"2026-11-30T18:00:00+08:00"}


def test_inline_items_after_a_colon() -> None:
    for text in ("东子这周内完成：样品寄送、报价单核对", "东子这周内完成：样品寄送；报价单核对"):
        got = calls(text)
        assert [a["title"] for _, a in got] == ["样品寄送", "报价单核对"], text
        assert all(a["assignee"] == "韩东" for _, a in got)
        assert all(a["due"] == "2026-11-27T18:00:00+08:00" for _, a in got)


def test_newline_items_under_a_header() -> None:
    got = calls("东子这周内完成：\n样品寄送\n报价单核对")
    assert [a["title"] for _, a in got] == ["样品寄送", "报价单核对"]


def test_a_label_colon_is_not_a_list_of_jobs() -> None:
    (call,) = calls("明天开会讨论：预算、排期")
    assert call[0] == "create_meeting" and call[1]["agenda"] == ["预算", "排期"]


# 4. update_task names the job, not the report about it.
def test_task_named_before_a_part_report() -> None:
    assert calls("会议室投影仪维修的零件昨天到了，修好了") == [
        ("update_task", {"task": "会议室投影仪维修", "status": "done"})
    ]


def test_counted_progress_is_in_progress_with_a_note() -> None:
    (call,) = calls("客户满意度电访打了12个，还剩5个")
    assert call[1]["task"] == "客户满意度电访"
    assert call[1]["status"] == "in_progress" and "还剩5个" in call[1]["progress_note"]


def test_reported_cancel_cue_is_the_reason_not_the_news() -> None:
    (call,) = calls("老板说经费砍了，宣传片的拍摄先不做了")
    assert call[1]["status"] == "cancelled" and "宣传片" in call[1]["task"]


# 5. Titles keep the verb-object core.
def test_title_drops_wrapping_words() -> None:
    (call,) = calls("东子帮忙看一下打印机卡纸的事情")
    assert call[1]["title"] == "看打印机卡纸"
    (call,) = calls("许可你把周报给大家发一下")
    assert call[1]["title"] == "发周报"


# 6. Scheduled events that are not called 会 are cancelled and moved like meetings.
def test_cancel_an_event_noun() -> None:
    assert calls("周五的路演取消，投资人来不了") == [
        ("cancel_meeting", {"meeting": "路演", "reason": "投资人来不了"})
    ]


def test_reschedule_an_event_noun() -> None:
    assert calls("下午的面试推迟到周四上午10点") == [
        ("reschedule_meeting", {"meeting": "面试", "start": "2026-11-26T10:00:00+08:00"})
    ]


def test_a_meeting_deliverable_is_a_task() -> None:
    assert calls("年会海报推迟到12月20号") == [
        ("update_task", {"task": "年会海报", "due": "2026-12-20T18:00:00+08:00"})
    ]


def test_meeting_moved_from_one_day_to_another() -> None:
    (call,) = calls("质量分析会从周五改到下周一下午4点")
    assert call == (
        "reschedule_meeting",
        {"meeting": "质量分析会", "start": "2026-11-30T16:00:00+08:00"},
    )


# 7. "X我来V，<time>给你们看": the sender does V X by then.
def test_self_taken_job_with_a_handover_time() -> None:
    assert calls("宣传册我来出，周四给你们看") == [
        (
            "create_task",
            {"title": "出宣传册", "assignee": SENDER, "due": "2026-11-26T18:00:00+08:00"},
        )
    ]


# 8. The thing before 的进度 is the project asked about.
def test_progress_of_a_named_thing() -> None:
    assert calls("会员系统2.0的进度怎么样") == [
        ("query", {"kind": "progress", "project": "会员系统2.0"})
    ]
    assert calls("东子那边进度怎么样") == [("query", {"kind": "progress"})]


# 9. The reason of a block, also said in the next comma part.
def test_blocked_reason_in_the_next_part() -> None:
    (call,) = calls("数据迁移被运维卡着，他们说要等下周的窗口")
    assert call[1]["task"] == "数据迁移" and call[1]["progress_note"] == "等下周的窗口"


# 10. Meetings said by what happens in them.
def test_interview_with_a_time_is_a_meeting() -> None:
    (call,) = calls("周五下午视频面试一个候选人")
    assert call[0] == "create_meeting"
    assert call[1]["title"] == "面试候选人" and call[1]["start"] == "2026-11-27T14:00:00+08:00"


def test_going_over_something_with_someone_is_a_meeting() -> None:
    (call,) = calls("周四上午10点跟供应商过报价，腾讯会议，@东子")
    assert call[0] == "create_meeting"
    assert call[1]["agenda"] == ["报价"] and call[1]["location"] == "腾讯会议"
    assert call[1]["attendees"] == ["韩东", SENDER]


def test_agenda_leaves_out_the_people_called() -> None:
    (call,) = calls("明天3pm过一下招聘方案 @许可")
    assert call[1]["agenda"] == ["招聘方案"]


def test_english_meeting_kind_is_the_title() -> None:
    (call,) = calls("下周一开sprint planning")
    assert call[1]["title"] == "sprint planning"


def test_place_name_with_jia_is_no_new_member() -> None:
    tools = [t for t, _ in calls("下周一下午3点跟班加罗尔团队开workshop")]
    assert tools == ["create_meeting"]


# 11. English nouns in queries.
def test_english_nouns_in_queries() -> None:
    assert calls("我还有哪些todo") == [("query", {"kind": "my_tasks"})]
    assert calls("东子的task还剩哪些") == [("query", {"kind": "my_tasks", "member": "韩东"})]
    # Vocabulary 2: the period asked about is the query's since/until.
    assert calls("今天有meeting吗") == [
        (
            "query",
            {
                "kind": "meetings",
                "since": "2026-11-25T00:00:00+08:00",
                "until": "2026-11-26T00:00:00+08:00",
            },
        )
    ]
