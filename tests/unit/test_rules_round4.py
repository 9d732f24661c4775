"""Round-four readings of the rule engine (failure kinds of the third blind round), on
sentences written for these tests, in domains the dev sets do not use."""

from __future__ import annotations

from datetime import datetime
from typing import Any
from zoneinfo import ZoneInfo

import pytest

from assistant.engines.rules import parse_message
from assistant.engines.rules.quantities import chinese_amount, find_money
from evals.parse_eval import DEFAULT_CASES, load_cases
from tools.vocabulary import TOOLS

NOW = datetime(2026, 12, 2, 10, 0, tzinfo=ZoneInfo("Asia/Shanghai"))  # a Wednesday
MEMBERS = {"钱芳": ["芳姐"], "白涛": ["涛子", "小白"], "罗杰": ["Roger"], "宋雪": []}
SENDER = "宋雪"


def calls(text: str) -> list[tuple[str, dict[str, Any]]]:
    return [(c.tool, c.args) for c in parse_message(text, now=NOW, sender=SENDER, members=MEMBERS)]


def at(day: int, hm: str = "18:00", month: int = 12) -> str:
    return f"2026-{month:02d}-{day:02d}T{hm}:00+08:00"


# Money in Chinese numerals, with the spoken shortcut of a last digit.
@pytest.mark.parametrize(
    ("raw", "value"),
    [
        ("八十万", 800_000),
        ("一百五十万", 1_500_000),
        ("三十二万六千", 326_000),
        ("三十二万六", 326_000),
        ("三千二", 3_200),
        ("一万二", 12_000),
        ("一千零五", 1_005),
        ("一亿两千万", 120_000_000),
    ],
)
def test_chinese_amounts(raw: str, value: int) -> None:
    assert chinese_amount(raw) == value


def test_a_bare_small_numeral_is_no_amount_but_units_are() -> None:
    assert find_money("报价三页") is None
    assert find_money("报价两千五") == 2500
    assert find_money("预算1.2w") == 12000


def test_budget_spent_and_cost_in_chinese_numerals() -> None:
    assert calls("预算调成六十五万") == [("update_project", {"budget": 650000})]
    assert calls("到现在一共花了十二万三") == [("update_project", {"spent": 123000})]
    assert calls("展架制作 供应商报价一千八") == [
        ("update_task", {"task": "展架制作", "cost": 1800})
    ]


def test_project_named_by_possessor() -> None:
    assert calls("门店翻新的预算还剩多少") == [("query", {"kind": "budget", "project": "门店翻新"})]
    assert calls("门店翻新的本周简报发一下") == [
        ("report", {"kind": "weekly", "project": "门店翻新"})
    ]


# Milestones with a milestone word, several at once, date first or event first.
def test_milestone_list_date_first() -> None:
    assert calls("关键节点：12月12号 图纸会审 12月30号 主体封顶") == [
        ("create_milestone", {"title": "图纸会审", "due": at(12)}),
        ("create_milestone", {"title": "主体封顶", "due": at(30)}),
    ]


def test_milestone_event_first() -> None:
    assert calls("复赛报名节点定在12月9号") == [
        ("create_milestone", {"title": "复赛报名", "due": at(9)})
    ]


# Finished work without a stock cue word.
@pytest.mark.parametrize("text", ["申报材料递上去了", "场地订上了", "样品寄出去了"])
def test_result_complements_are_done(text: str) -> None:
    ((tool, args),) = calls(text)
    assert tool == "update_task" and args["status"] == "done"


# Reminders named by their noun; 逾期汇总 is a reminder, not an overdue query.
def test_reminder_nouns() -> None:
    assert calls("逾期汇总先关掉") == [("set_reminders", {"what": "daily", "enabled": False})]
    assert calls("提醒全关") == [("set_reminders", {"what": "all", "enabled": False})]


# Meeting details.
def test_remind_before_the_meeting_is_no_duration() -> None:
    ((_, args),) = calls("周四下午3点开会讨论冬季菜单，会前半小时提醒一下大家")
    assert args["remind_before_minutes"] == 30 and "duration_minutes" not in args


def test_unchanged_place_is_no_value() -> None:
    assert [t for t, _ in calls("周会改到周五上午10点，地点不变")] == ["reschedule_meeting"]


def test_attendee_clause_after_a_new_meeting() -> None:
    ((tool, args),) = calls("明天下午两点开排期会，用腾讯会议，@涛子 线上参加")
    assert tool == "create_meeting"
    assert args["location"] == "腾讯会议" and args["attendees"] == ["白涛", SENDER]


def test_recurrence_count() -> None:
    ((_, args),) = calls("每周五下午4点开读书分享会，一共开八次")
    assert "COUNT=8" in args["recurrence"]


# Cancel reasons and reason clauses.
def test_cancel_reason_going_elsewhere() -> None:
    ((_, args),) = calls("明天的晨会取消，我要去总部开会")
    assert args["reason"] == "我要去总部开会"


def test_reason_clause_after_a_move_is_no_task() -> None:
    assert [t for t, _ in calls("下午的面试往后推半小时，候选人还在路上")] == ["reschedule_meeting"]


def test_context_clause_before_a_request_is_no_task() -> None:
    assert calls("周五区里要来检查，麻烦@小白 把灭火器检查一遍") == [
        ("create_task", {"title": "检查灭火器", "assignee": "白涛"})
    ]


def test_bare_clock_keeps_the_part_of_day_of_the_moved_meeting() -> None:
    ((tool, args),) = calls("晚上的彩排改到9点")
    assert tool == "reschedule_meeting" and args["start"] == at(2, "21:00")


# No action: questions to colleagues, leave notes, evaluations of the past.
@pytest.mark.parametrize(
    "text",
    [
        "@涛子 冷库温度调好没",
        "@Roger is the booth ready?",
        "请假半天 去医院复查",
        "上午的开业活动挺顺利",
        "下周一是不是要盘点来着？",
    ],
)
def test_no_action(text: str) -> None:
    assert calls(text) == []


# A holiday inside a noun phrase is no time; a list header with a colon is no query.
def test_holiday_inside_a_title_and_header() -> None:
    got = calls("节后几件事请落实：@涛子 汇总春节期间的退货单；@芳姐 更新排班表")
    assert [t for t, _ in got] == ["create_task", "create_task"]
    assert "春节" in got[0][1]["title"] and "due" not in got[0][1]


# English.
def test_english_move_cancel_and_query() -> None:
    assert calls("Moving today's briefing to 5pm") == [
        ("reschedule_meeting", {"meeting": "briefing", "start": at(2, "17:00")})
    ]
    assert calls("Thursday's demo is cancelled") == [("cancel_meeting", {"meeting": "demo"})]
    ((tool, args),) = calls("@qunmi what meetings do I have this week")
    assert tool == "query" and args["kind"] == "meetings"


def test_english_recurring_title() -> None:
    ((_, args),) = calls("Menu review w/ chefs every Mon 3pm")
    assert args["title"] == "Menu review"


def test_topic_said_before_the_cue() -> None:
    ((_, args),) = calls("明天上午十点 展位布置 大家碰一下")
    assert args["agenda"] == ["展位布置"] and args["title"] == "展位布置讨论"


# The development set of this round stays well-formed.
def test_dev_v3_cases_validate() -> None:
    cases = load_cases(DEFAULT_CASES.with_name("parse_dev_v3.jsonl"))
    assert len(cases) >= 80
    assert len({c.id for c in cases}) == len(cases)
    for case in cases:
        for call in case.expected:
            TOOLS[call.tool].model_validate(dict(call.args))
            for name in ("assignee", "member", "owner"):
                if name in call.args:
                    assert call.args[name] in case.members, case.id


# Voice and word order.
def test_voice_correction_of_a_deadline_keeps_the_task() -> None:
    ((tool, args),) = calls("那个涛子啊 明天早上六点半之前把菜拉到3号仓 不对不对 是六点之前")
    assert tool == "create_task" and args["assignee"] == "白涛"
    assert args["due"] == at(3, "06:00") and "仓" in args["title"]


def test_fronted_object_with_a_recipient() -> None:
    ((_, args),) = calls("门头招牌我来换 周五前给你们看")
    assert args == {"title": "换门头招牌", "assignee": SENDER, "due": at(4)}


def test_reason_after_a_task_and_ascii_alias_after_chinese() -> None:
    assert [t for t, _ in calls("@小白 周五前把台账整理好，芳姐要带去总部汇报")] == ["create_task"]
    assert calls("门店巡检那个活 转给Roger") == [
        ("update_task", {"task": "门店巡检", "assignee": "罗杰"})
    ]


def test_english_move_keeps_the_old_day_in_the_senders_offset() -> None:
    now = datetime.fromisoformat("2026-12-02T10:00:00-08:00")
    got = parse_message("Moving tomorrow's sync to 10:30am", now=now, sender="Amy", members=["Amy"])
    assert [(c.tool, c.args) for c in got] == [
        ("reschedule_meeting", {"meeting": "sync", "start": "2026-12-03T10:30:00-08:00"})
    ]
    got = parse_message("Move Friday's retro to Monday 2pm", now=now, sender="Amy", members=["Amy"])
    assert got[0].args["start"] == "2026-12-07T14:00:00-08:00"


def test_shared_deadline_of_the_doers_together() -> None:
    got = calls("@小白 核对上月账单 @芳姐 联系物流，两位周五下班前弄好就行")
    assert [(a["assignee"], a["due"]) for _, a in got] == [("白涛", at(4)), ("钱芳", at(4))]


def test_a_plan_verb_in_a_list_item() -> None:
    got = calls("月底前：@芳姐 更新价签，@小白 清点库存")
    assert [a["assignee"] for _, a in got] == ["钱芳", "白涛"]
    assert all(a["due"] == at(31) for _, a in got)
