"""Readings made explicit in round 4 (failure kinds of the fourth blind set), on sentences
written for these tests, in domains neither the dev sets nor the blind set use."""

from __future__ import annotations

from datetime import datetime
from typing import Any
from zoneinfo import ZoneInfo

import pytest

from assistant.engines.rules import parse_message
from evals.parse_eval import DEFAULT_CASES, load_cases
from tools.vocabulary import TOOLS

NOW = datetime(2026, 12, 2, 10, 0, tzinfo=ZoneInfo("Asia/Shanghai"))  # a Wednesday
MEMBERS = {"钱芳": ["芳姐"], "白涛": ["涛子", "小白"], "罗杰": ["Roger"], "宋雪": []}
SENDER = "宋雪"


def calls(text: str) -> list[tuple[str, dict[str, Any]]]:
    return [(c.tool, c.args) for c in parse_message(text, now=NOW, sender=SENDER, members=MEMBERS)]


def at(day: int, hm: str = "18:00", month: int = 12) -> str:
    return f"2026-{month:02d}-{day:02d}T{hm}:00+08:00"


@pytest.mark.parametrize(
    "text",
    [
        "物业那边说他们下周二前会把门禁卡做好",  # a third party's plan, reported
        "涛子说他周四会跟印刷厂对一下纸张",
        "【通知】下周一起食堂改为自助餐，请大家知悉",  # a notice
        "新版考勤制度已发群文件，请各位组长查收",
        "好的 这事交给我",  # accepting work named elsewhere
        "收到 包在我身上",
        "我觉得可以开个会 把明年的排期理一理",  # an opinion
        "芳姐在面试 等她忙完再说",  # someone is busy, the matter waits
        "罗杰在高铁上 等他到站再定",
        "好的 收到，我来安排",
    ],
)
def test_messages_that_report_announce_accept_or_defer_are_no_action(text: str) -> None:
    assert calls(text) == []


def test_a_reported_plan_does_not_hide_a_request_to_a_mention() -> None:
    found = calls("厂家说周五会到货 @小白 到了你清点一下")
    assert [tool for tool, _ in found] == ["create_task"]
    assert found[0][1]["assignee"] == "白涛"


def test_fronted_object_then_a_doer_with_a_bare_verb_is_one_task() -> None:
    found = calls("年度审计底稿 周五前 @芳姐 出一版")
    assert found == [("create_task", {"title": "出年度审计底稿", "assignee": "钱芳", "due": at(4)})]


def test_fronted_object_inside_one_clause_takes_the_verb_first() -> None:
    found = calls("投标文件 下周一前 @涛子 改一稿")
    assert found == [("create_task", {"title": "改投标文件", "assignee": "白涛", "due": at(7)})]


@pytest.mark.parametrize(
    ("text", "title"),
    [
        ("会议纪要我今天下班前整理好发芳姐", "整理会议纪要"),  # a member receives it
        ("报价单我明天核对完交给采购", "核对报价单"),
        ("值班表我周四前排好发群里", "排值班表"),
    ],
)
def test_self_task_with_a_recipient_is_the_senders(text: str, title: str) -> None:
    found = calls(text)
    assert len(found) == 1
    tool, args = found[0]
    assert tool == "create_task" and args["assignee"] == SENDER and args["title"] == title


def test_the_comma_parts_before_a_header_colon_give_the_items_their_due() -> None:
    found = calls("运动会器材周四前备齐，涛子负责：1. 跳绳 2. 接力棒")
    assert found == [
        ("create_task", {"title": "跳绳", "assignee": "白涛", "due": at(3)}),
        ("create_task", {"title": "接力棒", "assignee": "白涛", "due": at(3)}),
    ]


def test_a_connective_then_a_new_addressee_cuts_the_requests() -> None:
    found = calls("@芳姐 下午把展柜擦一遍 然后拍照发群里 还有涛子 你把价签换一下")
    assert [(args["title"], args["assignee"]) for _, args in found] == [
        ("擦展柜", "钱芳"),
        ("换价签", "白涛"),
    ]


@pytest.mark.parametrize(
    ("text", "task", "note"),
    [
        ("外墙喷涂刷了4层 还剩1层 明天弄完", "外墙喷涂", "刷了4层 还剩1层"),
        ("产品图已经修好12张了 还差3张", "产品图", "修好12张了 还差3张"),
        ("说明书翻译做到第45页了 剩下的周五继续", "说明书翻译", "做到第45页"),
    ],
)
def test_counted_progress_without_a_stock_cue(text: str, task: str, note: str) -> None:
    found = calls(text)
    assert found == [
        ("update_task", {"task": task, "status": "in_progress", "progress_note": note})
    ]


@pytest.mark.parametrize(
    ("text", "task", "note"),
    [
        ("打印机还是卡纸 等厂家配件", "打印机", "等厂家配件"),
        ("内网又崩了 我的报表导出卡着 等信息科恢复", "报表导出", "等信息科恢复"),
    ],
)
def test_blocked_without_the_word_names_the_work_not_the_cause(
    text: str, task: str, note: str
) -> None:
    found = calls(text)
    assert found == [("update_task", {"task": task, "status": "blocked", "progress_note": note})]


def test_a_meeting_with_an_outside_party_is_named_by_it() -> None:
    ((tool, args),) = calls("下周二和装修公司开个会 聊一下工期")
    assert tool == "create_meeting"
    assert args["title"] == "装修公司会议" and args["agenda"] == ["工期"]


def test_a_meeting_to_review_is_titled_by_what_it_reviews() -> None:
    ((_, args),) = calls("周四下午开会复盘一下年会彩排")
    assert args["title"] == "年会彩排复盘"


def test_a_phone_meeting_of_half_an_hour_with_a_topic() -> None:
    ((_, args),) = calls("后天上午11点开个半小时的电话会 跟印刷厂对一下交期")
    assert args["title"] == "交期讨论"
    assert args["duration_minutes"] == 30 and args["location"] == "电话"
    assert args["start"] == at(4, "11:00")


def test_a_platform_name_wins_over_online_and_makes_a_meeting() -> None:
    ((tool, args),) = calls("周四晚上8点线上 飞书会议 讨论寒假排班")
    assert tool == "create_meeting" and args["location"] == "飞书会议"
    assert args["title"] == "寒假排班讨论" and args["start"] == at(3, "20:00")


def test_a_campus_is_a_place() -> None:
    ((_, args),) = calls("周五上午10点在南湖校区开招生会")
    assert args["location"] == "南湖校区" and args["title"] == "招生会"


def test_a_new_request_to_a_mention_with_an_urgency_word_is_a_new_task() -> None:
    assert calls("@涛子 你联系下物业维修 加急") == [
        ("create_task", {"title": "联系物业维修", "assignee": "白涛", "priority": "urgent"})
    ]


def test_reminding_everyone_to_hand_in_is_one_task_without_a_doer() -> None:
    assert calls("提醒大家考勤表周四前交给我，过期不统计") == [
        ("create_task", {"title": "交考勤表", "due": at(3)})
    ]


# The development set of this round stays well-formed.
def test_dev_v4_cases_validate() -> None:
    cases = load_cases(DEFAULT_CASES.with_name("parse_dev_v4.jsonl"))
    assert len(cases) >= 40
    assert len({c.id for c in cases}) == len(cases)
    for case in cases:
        for call in case.expected:
            TOOLS[call.tool].model_validate(dict(call.args))
            for name in ("assignee", "member", "owner"):
                if name in call.args:
                    assert call.args[name] in case.members, case.id


def test_the_senders_remark_after_a_request_is_no_task_and_no_due() -> None:
    assert calls("@涛子 把验收报告发我 我周末看") == [
        ("create_task", {"title": "发验收报告", "assignee": "白涛"})
    ]


def test_what_someone_is_busy_with_after_a_reassignment_is_context() -> None:
    assert calls("客户回访改由涛子负责，芳姐先专心做年报") == [
        ("update_task", {"task": "客户回访", "assignee": "白涛"})
    ]


def test_team_open_tasks_of_a_period_are_tasks_not_mine() -> None:
    assert calls("这周还有哪些任务没完成的 列一下") == [
        ("query", {"kind": "tasks", "since": at(30, "00:00", 11), "until": at(7, "00:00")})
    ]


def test_a_project_just_taken_on_in_free_phrasing() -> None:
    assert calls("新接的【老城区改造】项目，芳姐牵头，成员涛子、Roger，1月15号交付，预算12万5") == [
        (
            "create_project",
            {
                "name": "老城区改造",
                "budget": 125000.0,
                "owner": "钱芳",
                "deadline": at(15, month=1).replace("2026", "2027"),
                "members": ["白涛", "罗杰"],
            },
        )
    ]


def test_a_repair_that_left_things_working_is_done() -> None:
    assert calls("物业师傅来过了 门禁换了个新的 现在正常了") == [
        ("update_task", {"task": "门禁", "status": "done"})
    ]


def test_a_reported_reason_of_a_cancellation_is_its_note() -> None:
    assert calls("主办方说场地取消了，展台搭建先不做了") == [
        (
            "update_task",
            {"task": "展台搭建", "status": "cancelled", "progress_note": "主办方说场地取消了"},
        )
    ]


def test_an_english_event_with_a_place_code_and_everyone() -> None:
    assert calls("Team huddle Friday 4pm in Room 201, everyone") == [
        (
            "create_meeting",
            {
                "title": "Team huddle",
                "start": at(4, "16:00"),
                "location": "Room 201",
                "attendees": "all",
                "remind_before_minutes": 15,
            },
        )
    ]


def test_a_voice_correction_of_urgency_keeps_the_last_and_drops_the_chatter() -> None:
    assert calls("嗯 @芳姐 你把菜单的价目改一下 加急啊 哦不 不急 有空再弄 对了明天降温") == [
        ("create_task", {"title": "改菜单的价目", "assignee": "钱芳", "priority": "low"})
    ]


def test_respective_parts_share_the_head_noun_and_a_holiday_in_it_is_no_due() -> None:
    assert calls("@芳姐 @涛子 分别负责东门和西门的春节值守") == [
        ("create_task", {"title": "东门春节值守", "assignee": "钱芳"}),
        ("create_task", {"title": "西门春节值守", "assignee": "白涛"}),
    ]


def test_a_holiday_before_a_deadline_marker_is_still_a_due() -> None:
    ((_, args),) = calls("@涛子 元旦前把值班表排好")
    # The day itself follows the time conventions (元旦前 → the evening before); it is a due.
    assert args["due"].startswith(("2026-12-31", "2027-01-01")) and args["title"] == "排值班表"


def test_a_lead_cue_is_no_title_and_the_verb_carries_to_a_part() -> None:
    assert calls("芳姐牵头写结题报告，涛子负责经费部分") == [
        ("create_task", {"title": "写结题报告", "assignee": "钱芳"}),
        ("create_task", {"title": "写经费部分", "assignee": "白涛"}),
    ]


@pytest.mark.parametrize(
    ("text", "title"),
    [
        ("我今晚把盘点表整理好发群里", "整理盘点表"),  # sending it on is not the work
        ("我明天把方案改好发你", "改方案"),
    ],
)
def test_a_self_task_with_sending_on_is_the_first_verb(text: str, title: str) -> None:
    ((tool, args),) = calls(text)
    assert tool == "create_task" and args["title"] == title and args["assignee"] == SENDER


def test_a_fronted_object_with_a_two_character_verb_after_the_doers() -> None:
    found = calls("员工手册 下周一前 @芳姐 @涛子 整理一版")
    assert [(a["title"], a["assignee"]) for _, a in found] == [
        ("整理员工手册", "钱芳"),
        ("整理员工手册", "白涛"),
    ]


def test_yixia_before_a_year_or_week_noun_is_no_time() -> None:
    ((tool, args),) = calls("下周二上午例会，每人讲一下年度目标")
    assert tool == "create_meeting" and args["agenda"] == ["年度目标"]
    assert args["start"] == at(8, "10:00")


def test_a_numbered_appliance_is_no_day_of_the_month() -> None:
    ((_, args),) = calls("3号冰柜还是不制冷 等厂家配件")
    assert args["task"] == "3号冰柜" and args["status"] == "blocked"


def test_a_reported_plan_then_a_request_to_a_member_is_not_silenced() -> None:
    found = calls("物业说周四会停水，@涛子 提前把水箱检查一下")
    assert [(tool, args["assignee"]) for tool, args in found] == [("create_task", "白涛")]


def test_a_continuation_with_a_file_word_is_no_search() -> None:
    found = calls("@芳姐 把仓库的消防栓检查一下 然后拍个视频发我 @涛子 你把门口的灯换了")
    assert [tool for tool, _ in found] == ["create_task", "create_task"]


def test_an_acceptance_word_before_a_self_task_is_no_title() -> None:
    ((_, args),) = calls("没问题 明天我来对接印刷厂")
    assert args["title"] == "对接印刷厂" and args["assignee"] == SENDER


def test_an_english_cancel_names_the_event_without_its_clock() -> None:
    assert calls("Tomorrow's 8am site walkthrough is off, the client can't make it") == [
        (
            "cancel_meeting",
            {"meeting": "site walkthrough", "reason": "the client can't make it"},
        )
    ]


def test_an_acceptance_of_a_quoted_question_takes_the_work_on() -> None:
    ((tool, args),) = calls("「芳姐：展板谁来做？」 没问题 交给我吧")
    assert tool == "create_task" and args["assignee"] == SENDER and "展板" in args["title"]


def test_a_repair_said_over_comma_parts_is_done() -> None:
    assert calls("电工来过了，配电箱换了个新的，现在好了") == [
        ("update_task", {"task": "配电箱", "status": "done"})
    ]


def test_an_error_fault_is_no_part_of_the_blocked_thing() -> None:
    ((_, args),) = calls("5号机还是报错，等厂家工程师上门")
    assert args == {"task": "5号机", "status": "blocked", "progress_note": "等厂家工程师上门"}


@pytest.mark.parametrize(
    ("text", "place"),
    [("明天下午3点总部开季度会", "总部"), ("周五上午9点去滨江分店开店务会", "滨江分店")],
)
def test_a_place_right_before_the_meeting_verb(text: str, place: str) -> None:
    ((tool, args),) = calls(text)
    assert tool == "create_meeting" and args["location"] == place


def test_hand_it_to_me_after_a_doer_is_no_task_of_the_sender() -> None:
    assert calls("@涛子 验收单周四前做好交给我") == [
        ("create_task", {"title": "做验收单", "assignee": "白涛", "due": at(3)})
    ]


def test_x_i_will_do_then_a_due_and_recipients() -> None:
    assert calls("排班表我来排 周五前发各位组长") == [
        ("create_task", {"title": "排排班表", "assignee": SENDER, "due": at(4)})
    ]


def test_a_reported_plan_before_a_request_sets_no_due_and_the_doer_is_kept() -> None:
    assert calls("物业说下周会来检查，涛子提前把配电房收拾好") == [
        ("create_task", {"title": "收拾配电房", "assignee": "白涛"})
    ]
