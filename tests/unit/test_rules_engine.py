"""The rule engine against docs/conventions.md: what each kind of message must become.

Expected values are worked out from the conventions by hand (now = Wednesday 2026-11-25 10:00
+08:00), not copied from the engine's output.
"""

from __future__ import annotations

from datetime import datetime, timedelta, timezone
from typing import Any

import pytest

from assistant.domain import ChatContext, IncomingMessage, ToolCall
from assistant.engines.rules import RuleEngine, parse_message
from assistant.ports import Engine
from tools.vocabulary import TOOLS

TZ = timezone(timedelta(hours=8))
NOW = datetime(2026, 11, 25, 10, 0, tzinfo=TZ)  # a Wednesday
SENDER = "张三"
MEMBERS: dict[str, list[str]] = {
    "张三": [],
    "李四": ["老李"],
    "王磊": ["小王", "王工"],
    "陈经理": ["老陈"],
    "赵敏": ["小赵"],
    "刘洋": ["小刘", "Leo"],
}


def at(day: int, hour: int, minute: int = 0, month: int = 11) -> str:
    return datetime(2026, month, day, hour, minute, tzinfo=TZ).isoformat()


def validate(call: ToolCall) -> None:
    """Every call must pass the vocabulary's pydantic model.

    A meeting with no time at all is emitted without ``start`` (the conventions: the executor
    asks back); the vocabulary model requires ``start``, so that one field is filled in here.
    """
    args: dict[str, Any] = dict(call.args)
    if call.tool == "create_meeting" and "start" not in args:
        args["start"] = NOW.isoformat()
    TOOLS[call.tool].model_validate(args)


def parse(text: str, *, sender: str = SENDER, now: datetime = NOW) -> list[ToolCall]:
    calls = parse_message(text, now=now, sender=sender, members=MEMBERS)
    for call in calls:
        validate(call)
    return calls


def one(text: str, tool: str) -> dict[str, Any]:
    calls = parse(text)
    assert [c.tool for c in calls] == [tool], (text, [c.to_dict() for c in calls])
    return calls[0].args


def test_rule_engine_is_an_engine() -> None:
    engine = RuleEngine()
    assert isinstance(engine, Engine)
    assert engine.name == "rules"
    context = ChatContext(now=NOW, sender=SENDER, members=MEMBERS)
    analysis = engine.analyse(
        IncomingMessage(text="明天开个会讨论首页改版", sender=SENDER), context
    )
    assert 0.0 <= analysis.confidence <= 1.0
    assert analysis.calls == engine.understand(
        IncomingMessage(text="明天开个会讨论首页改版", sender=SENDER), context
    )


# --- meetings -------------------------------------------------------------------------------


def test_meeting_tomorrow_with_agenda_defaults() -> None:
    args = one("明天开个会讨论首页改版", "create_meeting")
    assert args["start"] == at(26, 10)
    assert args["agenda"] == ["首页改版"]
    assert args["attendees"] == "all"
    assert args["remind_before_minutes"] == 15
    assert "首页改版" in args["title"]


def test_meeting_clock_place_and_several_agenda_items() -> None:
    args = one("周四下午3点在3楼大会议室开会，讨论需求评审、排期和上线计划", "create_meeting")
    assert args["start"] == at(26, 15)
    assert args["location"] == "3楼大会议室"
    assert args["agenda"] == ["需求评审", "排期", "上线计划"]


def test_meeting_part_of_day_defaults_to_its_hour() -> None:
    assert one("下周一下午开个复盘会", "create_meeting")["start"] == at(30, 14)
    assert one("明天上午开个会", "create_meeting")["start"] == at(26, 10)
    assert one("后天晚上约个会聊聊年会节目", "create_meeting")["start"] == at(27, 19)


def test_meeting_named_attendees_include_the_sender() -> None:
    args = one("明天下午两点跟小王和老李开个会，对一下接口", "create_meeting")
    assert sorted(args["attendees"]) == sorted(["王磊", "李四", "张三"])
    assert args["start"] == at(26, 14)


def test_meeting_mentions_are_attendees() -> None:
    args = one("@小王 @小赵 明天上午10点半开个短会过一下排期", "create_meeting")
    assert sorted(args["attendees"]) == sorted(["王磊", "赵敏", "张三"])
    assert args["start"] == at(26, 10, 30)


def test_meeting_everyone() -> None:
    args = one("全员注意：周五上午九点开周会", "create_meeting")
    assert args["attendees"] == "all"
    assert args["start"] == at(27, 9)
    assert "周会" in args["title"]


def test_meeting_range_duration_online_and_reminder() -> None:
    args = one("明天下午3点到4点开个线上会，腾讯会议", "create_meeting")
    assert args["start"] == at(26, 15)
    assert args["end"] == at(26, 16)
    assert args["location"] in ("腾讯会议", "线上")
    args = one("周五上午10点开一个小时的评审会，提前半小时提醒大家", "create_meeting")
    assert args["duration_minutes"] == 60
    assert args["remind_before_minutes"] == 30


def test_meeting_english_mixed() -> None:
    args = one("明天3pm开个sync，过一下Q4 roadmap", "create_meeting")
    assert args["start"] == at(26, 15)
    assert args["agenda"] == ["Q4 roadmap"]


def test_meeting_voice_transcript_without_punctuation() -> None:
    args = one("那个明天下午三点大家开个会讨论一下新版本的发布计划", "create_meeting")
    assert args["start"] == at(26, 15)
    assert args["attendees"] == "all"
    assert any("发布计划" in item for item in args["agenda"])


def test_meeting_with_no_time_is_emitted_without_start() -> None:
    args = one("找个时间开个会吧", "create_meeting")
    assert "start" not in args


def test_reschedule_meeting() -> None:
    args = one("会改到周四下午", "reschedule_meeting")
    assert args == {"meeting": "会", "start": at(26, 14)}
    args = one("周会挪到下周二上午十点", "reschedule_meeting")
    assert "周会" in args["meeting"]
    assert args["start"] == at(1, 10, month=12)


def test_cancel_meeting_with_reason() -> None:
    args = one("明天的周会取消，因为老板出差", "cancel_meeting")
    assert "周会" in args["meeting"]
    assert "出差" in args["reason"]
    assert one("今天下午的评审会不开了", "cancel_meeting")["meeting"]


# --- tasks ----------------------------------------------------------------------------------


def test_task_with_mention_and_deadline() -> None:
    args = one("@小王 周五前把登录页设计稿出了", "create_task")
    assert args["assignee"] == "王磊"
    assert args["due"] == at(27, 18)
    assert args["title"] == "出登录页设计稿"
    assert "priority" not in args


def test_task_self_assignment() -> None:
    args = one("这个bug我来修", "create_task")
    assert args["assignee"] == SENDER
    assert "修" in args["title"] and "bug" in args["title"]
    assert one("这个我来跟", "create_task")["assignee"] == SENDER


def test_task_each_of_several_people() -> None:
    calls = parse("@小王 @小赵 你们俩分别负责前端和后端")
    assert [c.tool for c in calls] == ["create_task", "create_task"]
    by_person = {c.args["assignee"]: c.args["title"] for c in calls}
    assert set(by_person) == {"王磊", "赵敏"}
    assert "前端" in by_person["王磊"] and "后端" in by_person["赵敏"]


def test_task_pairs_in_one_sentence() -> None:
    calls = parse("小王做登录页，老李写接口文档，下周一前都要完成")
    tasks = {c.args["assignee"]: c.args for c in calls if c.tool == "create_task"}
    assert set(tasks) == {"王磊", "李四"}
    assert "登录页" in tasks["王磊"]["title"]
    assert "接口文档" in tasks["李四"]["title"]


def test_task_numbered_list() -> None:
    calls = parse(
        "本周任务：\n1. @小王 登录页设计稿，周五前\n2. @小赵 注册接口联调\n3. 我来写测试用例"
    )
    assert [c.tool for c in calls] == ["create_task"] * 3
    assert [c.args.get("assignee") for c in calls] == ["王磊", "赵敏", SENDER]
    assert calls[0].args["due"] == at(27, 18)
    assert "测试用例" in calls[2].args["title"]


def test_task_priorities() -> None:
    assert one("@小刘 紧急！把线上支付的bug修一下", "create_task")["priority"] == "urgent"
    assert one("@小王 尽快把周报交了", "create_task")["priority"] == "high"
    assert one("@小赵 下周把文档整理一下，不急", "create_task")["priority"] == "low"


def test_task_due_week_and_end_of_day() -> None:
    assert one("@老李 这周把接口文档写完", "create_task")["due"] == at(27, 18)
    assert one("@小赵 今天下班前把测试报告发我", "create_task")["due"] == at(25, 18)
    assert one("@小王 月底前完成性能优化", "create_task")["due"] == at(30, 18)


def test_task_voice_transcript_several_people() -> None:
    calls = parse("这周五之前小王把设计稿出了老李把接口写完我来写测试用例")
    people = [c.args.get("assignee") for c in calls if c.tool == "create_task"]
    assert people == ["王磊", "李四", SENDER]


def test_unknown_person_is_kept_as_written() -> None:
    args = one("@小孙 明天把合同寄出去", "create_task")
    assert args["assignee"] == "小孙"
    assert args["due"] == at(26, 18)


def test_alias_and_english_name_resolve_to_display_name() -> None:
    assert one("@王工 周五前把服务器迁移完", "create_task")["assignee"] == "王磊"
    assert one("@Leo 明天把日志查一下", "create_task")["assignee"] == "刘洋"


def test_meeting_and_tasks_in_one_message() -> None:
    calls = parse("明天下午三点开会讨论首页改版，小王周五前把设计稿出了，老李负责接口")
    tools = [c.tool for c in calls]
    assert tools[0] == "create_meeting"
    assert tools.count("create_task") == 2
    assert calls[0].args["start"] == at(26, 15)


# --- status updates -------------------------------------------------------------------------


def test_status_done_in_progress_blocked_cancelled() -> None:
    assert one("登录页搞定了", "update_task") == {"task": "登录页", "status": "done"}
    assert one("我开始做支付了", "update_task") == {"task": "支付", "status": "in_progress"}
    args = one("支付接口还卡着，等第三方", "update_task")
    assert args["task"] == "支付接口"
    assert args["status"] == "blocked"
    assert "第三方" in args["progress_note"]
    assert one("导出功能不做了", "update_task") == {"task": "导出功能", "status": "cancelled"}


def test_status_by_task_number_and_new_due() -> None:
    assert one("#12 做完了", "update_task") == {"task": 12, "status": "done"}
    args = one("登录页延到下周一", "update_task")
    assert args["task"] == "登录页"
    assert args["due"] == at(30, 18)


# --- queries and projects -------------------------------------------------------------------


@pytest.mark.parametrize(
    ("text", "kind"),
    [
        ("我还有哪些任务", "my_tasks"),
        ("我的任务", "my_tasks"),
        ("项目进度怎么样", "progress"),
        ("现在进展如何？", "progress"),
        ("有没有逾期的", "overdue"),
        ("哪些任务超期了", "overdue"),
        ("这周有什么会", "meetings"),
        ("今天有会吗", "meetings"),
    ],
)
def test_queries(text: str, kind: str) -> None:
    args = one(text, "query")
    assert args["kind"] == kind
    assert "member" not in args


def test_query_about_someone_else() -> None:
    assert one("小王还有哪些任务？", "query") == {"kind": "my_tasks", "member": "王磊"}


def test_create_project() -> None:
    args = one("新建项目【官网改版】，负责人陈经理，12月20号上线", "create_project")
    assert args == {"name": "官网改版", "owner": "陈经理", "deadline": at(20, 18, month=12)}
    assert one("立项：小程序重构，老陈负责", "create_project")["owner"] == "陈经理"


# --- no action ------------------------------------------------------------------------------


@pytest.mark.parametrize(
    "text",
    [
        "谢谢大家",
        "辛苦了！",
        "好的收到",
        "哈哈哈哈",
        "👍👍",
        "[强][强]",
        "昨天的会开得不错",
        "下周三是不是放假？",
        "我明天请假",
        "小王下午请假了",
        "我觉得这个方案挺好的",
        "这个需求为什么要这么做？",
        "今天天气真好",
        "上周的会议纪要发群里了",
        "刚才开会说的事情大家都清楚了吧",
        "你们中午吃什么",
        "@小王 登录页做完了吗？",
        "明天要不要开个会？",
        "我在开会，晚点回复",
        "",
        "   ",
    ],
)
def test_no_action(text: str) -> None:
    assert parse(text) == [], text


# --- the details docs/conventions.md settles for the rule engine ------------------------------


def test_deadline_said_once_covers_everyone() -> None:
    calls = parse("小王做交互稿，小赵做视觉稿，我来做需求文档，下周三前都要完成")
    assert [c.args["assignee"] for c in calls] == ["王磊", "赵敏", SENDER]
    assert {c.args["due"] for c in calls} == {at(2, 18, month=12)}


def test_list_items_inherit_from_their_header() -> None:
    calls = parse("以下任务本周内完成：1. @小王 登录页 2. @小赵 注册页")
    assert [(c.args["assignee"], c.args["due"]) for c in calls] == [
        ("王磊", at(27, 18)),
        ("赵敏", at(27, 18)),
    ]


def test_list_items_with_name_after_the_work() -> None:
    calls = parse("1、登录页设计 小王 周五\n2、接口开发 老李 下周二")
    assert [(c.args["title"], c.args["assignee"], c.args["due"]) for c in calls] == [
        ("登录页设计", "王磊", at(27, 18)),
        ("接口开发", "李四", at(1, 18, month=12)),
    ]


def test_people_only_talked_about_are_not_assignees() -> None:
    args = one("跟小王对接一下接口，周四前搞定", "create_task")
    assert "assignee" not in args
    assert "接口" in args["title"]


def test_names_joined_by_and_are_all_assignees() -> None:
    calls = parse("请小王和小赵在周四前完成竞品分析")
    assert [c.args["assignee"] for c in calls] == ["王磊", "赵敏"]
    assert all(c.args["title"] == "完成竞品分析" for c in calls)


def test_everyone_task_has_no_assignee() -> None:
    args = one("各位周五前把周报交一下", "create_task")
    assert "assignee" not in args
    assert args["due"] == at(27, 18)
    assert "周报" in args["title"]


def test_attending_people_join_the_meeting_not_a_task() -> None:
    args = one("明天下午3点评审会，@小王 @李四 参加", "create_meeting")
    assert sorted(args["attendees"]) == sorted(["王磊", "李四", SENDER])


def test_due_with_only_a_part_of_the_day() -> None:
    assert one("@小王 明天上午把周报发群里", "create_task")["due"] == at(26, 12)
    assert one("@小赵 今晚之前把版本打出来", "create_task")["due"] == at(25, 22)


def test_announced_meeting_without_a_verb() -> None:
    args = one("明早九点半站会", "create_meeting")
    assert args["start"] == at(26, 9, 30)
    assert args["title"] == "站会"
    args = one("周四下午3点需求评审会，大家准时参加", "create_meeting")
    assert args["title"] == "需求评审会"
    assert args["attendees"] == "all"


def test_meeting_agenda_from_ba_clause() -> None:
    args = one("下周一上午开个会吧，把这个季度的目标定一下", "create_meeting")
    assert args["start"] == at(30, 10)
    assert any("季度" in item for item in args["agenda"])


def test_reschedule_to_clock_keeps_the_named_day() -> None:
    assert one("把明天的会提前到9点", "reschedule_meeting")["start"] == at(26, 9)
    assert one("下周的周会挪到周三", "reschedule_meeting")["start"] == at(2, 10, month=12)


def test_relative_shift_without_new_time_is_a_shift() -> None:
    # Vocabulary 2: a move with no new time is a relative move of the meeting.
    (call,) = parse("明天的会推迟半小时")
    assert call.tool == "reschedule_meeting"
    assert call.args == {"meeting": "会", "shift_minutes": 30}


def test_status_needs_task_words() -> None:
    assert parse("搞定了") == []
    assert one("我把PRD更新了", "update_task") == {"task": "PRD", "status": "done"}


def test_handover_and_add_member() -> None:
    assert one("登录页交给小赵负责", "update_task") == {"task": "登录页", "assignee": "赵敏"}
    args = one("把小孙拉进官网改版项目，角色项目经理", "add_member")
    assert args == {"member": "小孙", "project": "官网改版", "role": "pm"}


@pytest.mark.parametrize(
    "text",
    [
        "小王加班到很晚",
        "老李写得很好",
        "我先去吃饭了",
        "明天的会我晚点到",
        "下午那个会我参加不了",
        "我觉得可以先开个会对齐一下",
        "这个需求要不要做？",
        "小王辛苦了",
    ],
)
def test_more_no_action(text: str) -> None:
    assert parse(text) == [], text


def test_traditional_characters() -> None:
    args = one("明天下午開個會討論首頁改版", "create_meeting")
    assert args["start"] == at(26, 14)
    assert args["agenda"] == ["首页改版"]


def test_long_voice_transcript_meeting_then_tasks() -> None:
    calls = parse(
        "嗯那个下周三下午三点我们在大会议室开个会然后主要是讨论一下明年的预算还有人员的安排"
        "大家都要参加哈然后小王你这周把那个竞品分析做一下"
    )
    assert [c.tool for c in calls] == ["create_meeting", "create_task"]
    meeting, task = calls[0].args, calls[1].args
    assert meeting["start"] == at(2, 15, month=12)
    assert meeting["location"] == "大会议室"
    assert meeting["agenda"] == ["明年的预算", "人员的安排"]
    assert task["assignee"] == "王磊"
    assert task["due"] == at(27, 18)
    assert "竞品分析" in task["title"]


def test_time_that_names_a_thing_is_not_a_due() -> None:
    args = one("老陈 周一的会议纪要发一下", "create_task")
    assert args["assignee"] == "陈经理"
    assert "due" not in args
    assert "会议纪要" in args["title"]
