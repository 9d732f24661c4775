"""The rule engine's stages for vocabulary 2: quantities, repairs, recurrence and the readers.

Expected values follow docs/conventions.md; "now" is Wednesday 2026-11-25 10:00 in Shanghai.
"""

from __future__ import annotations

from datetime import datetime
from typing import Any
from zoneinfo import ZoneInfo

import pytest

from assistant.engines.rules import parse_message
from assistant.engines.rules.quantities import find_money, find_shift, period_of
from assistant.engines.rules.recurrence import find_recurrence
from assistant.engines.rules.repairs import repair
from assistant.timeparse import parse_durations, parse_times

NOW = datetime(2026, 11, 25, 10, 0, tzinfo=ZoneInfo("Asia/Shanghai"))
SENDER = "陈静"
MEMBERS = {
    "陈静": ["陈经理"],
    "王磊": ["小王"],
    "李娜": ["娜娜"],
    "赵敏": ["敏敏"],
    "张伟": ["老张"],
}


def calls(text: str) -> list[tuple[str, dict[str, Any]]]:
    return [(c.tool, c.args) for c in parse_message(text, now=NOW, sender=SENDER, members=MEMBERS)]


def at(day: str, hm: str = "18:00") -> str:
    return f"2026-{day}T{hm}:00+08:00"


# --------------------------------------------------------------------------- quantities


@pytest.mark.parametrize(
    ("text", "amount"),
    [
        ("预算50万", 500000),
        ("花了1.5k", 1500),
        ("3千", 3000),
        ("12,000元", 12000),
        ("预算30w", 300000),
    ],
)
def test_money(text: str, amount: float) -> None:
    assert find_money(text) == amount


def test_a_bare_count_is_no_money() -> None:
    assert find_money("写3页") is None


@pytest.mark.parametrize(
    ("text", "minutes"),
    [
        ("推迟半小时", 30),
        ("往后推一个小时", 60),
        ("提前15分钟", -15),
        ("延后两天", 2880),
        ("push it back 30 minutes", 30),
    ],
)
def test_shift(text: str, minutes: int) -> None:
    shift = find_shift(text, list(parse_durations(text)))
    assert shift is not None and shift.minutes == minutes


def test_periods() -> None:
    week = parse_times("这周", NOW)[0]
    assert period_of(week) == (
        datetime(2026, 11, 23, tzinfo=NOW.tzinfo),
        datetime(2026, 11, 30, tzinfo=NOW.tzinfo),
    )
    today = parse_times("今天", NOW)[0]
    since, until = period_of(today) or (None, None)
    assert since is not None and until is not None and (until - since).days == 1


# --------------------------------------------------------------------------- repairs


def test_repairs_drop_the_bot_fillers_and_restarts() -> None:
    fixed = repair("@群秘 嗯 那个 明天 明天下午开会", [])
    assert fixed.addressed
    assert fixed.text == "明天下午开会"


def test_a_correction_replaces_the_same_kind_of_thing() -> None:
    def times(text: str) -> list[tuple[int, int]]:
        return [(t.start, t.end) for t in parse_times(text, NOW)]

    assert repair("周三 不对 周四之前交", [times]).text == "周四之前交"
    # no thing of the same kind after the cue: nothing is dropped
    assert repair("这个方案不对", [times]).text == "这个方案不对"


def test_a_quoted_message_is_context() -> None:
    assert repair("「小王：谁来？」 我来，周五前", []).text == "我来，周五前"


# --------------------------------------------------------------------------- recurrence


@pytest.mark.parametrize(
    ("text", "rule", "first"),
    [
        ("每周一上午10点", "FREQ=WEEKLY;BYDAY=MO", at("11-30", "10:00")),
        ("每天下午3点", "FREQ=DAILY", at("11-25", "15:00")),
        ("每天早上9点", "FREQ=DAILY", at("11-26", "09:00")),
        ("工作日下午5点", "FREQ=WEEKLY;BYDAY=MO,TU,WE,TH,FR", at("11-25", "17:00")),
        ("每两周周五下午", "FREQ=WEEKLY;INTERVAL=2;BYDAY=FR", at("11-27", "14:00")),
        ("每月20号上午", "FREQ=MONTHLY;BYMONTHDAY=20", at("12-20", "10:00")),
        ("每月第一个周一", "FREQ=MONTHLY;BYDAY=1MO", at("12-07", "10:00")),
        ("每月最后一个周三下午4点", "FREQ=MONTHLY;BYDAY=-1WE", at("11-25", "16:00")),
        ("从下周开始每周二上午", "FREQ=WEEKLY;BYDAY=TU", at("12-01", "10:00")),
        ("每周四下午两点，一共5次", "FREQ=WEEKLY;BYDAY=TH;COUNT=5", at("11-26", "14:00")),
    ],
)
def test_recurrence(text: str, rule: str, first: str) -> None:
    found = find_recurrence(text, NOW)
    assert found is not None
    assert found.rule == rule
    assert found.first.isoformat() == first


def test_no_recurrence_in_a_one_off_time() -> None:
    assert find_recurrence("周四下午两点开会", NOW) is None


# --------------------------------------------------------------------------- readers


def test_requests_to_qunmi() -> None:
    assert calls("小秘 把这周的讨论总结一下") == [("summarize", {"since": at("11-23", "00:00")})]
    assert calls("群秘，周报出一下") == [("report", {"kind": "weekly"})]
    assert calls("会前提醒先关了吧") == [("set_reminders", {"what": "meeting", "enabled": False})]
    assert calls("群秘 上回定的报价方案是什么来着") == [
        ("ask", {"question": "上回定的报价方案是什么"})
    ]
    assert calls("@娜娜 合同签了没有") == []


def test_queries_with_periods_and_kinds() -> None:
    assert calls("敏敏下周有哪些任务") == [
        (
            "query",
            {
                "kind": "my_tasks",
                "member": "赵敏",
                "since": at("11-30", "00:00"),
                "until": at("12-07", "00:00"),
            },
        )
    ]
    assert calls("哪些活快到期了") == [("query", {"kind": "due_soon"})]
    assert calls("被卡住的任务有哪些") == [("query", {"kind": "tasks", "status": ["blocked"]})]


def test_project_changes_and_milestones() -> None:
    assert calls("项目预算追加到60万") == [("update_project", {"budget": 600000})]
    assert calls("项目先停一下") == [("update_project", {"status": "paused"})]
    assert calls("里程碑：12月18号上线") == [
        ("create_milestone", {"title": "上线", "due": at("12-18")})
    ]


def test_task_changes() -> None:
    assert calls("数据迁移转给老张") == [("update_task", {"task": "数据迁移", "assignee": "张伟"})]
    assert calls("数据迁移优先级调低") == [("update_task", {"task": "数据迁移", "priority": "low"})]
    assert calls("数据迁移往后推两天") == [
        ("update_task", {"task": "数据迁移", "shift_minutes": 2880})
    ]
    assert calls("deploy script merged") == [
        ("update_task", {"task": "deploy script", "status": "done"})
    ]


def test_meeting_changes() -> None:
    assert calls("周会晚半小时开") == [
        ("reschedule_meeting", {"meeting": "周会", "shift_minutes": 30})
    ]
    assert calls("复盘会地点改到5楼会议室") == [
        ("update_meeting", {"meeting": "复盘会", "location": "5楼会议室"})
    ]
    assert calls("下周三的例会取消") == [
        ("cancel_meeting", {"meeting": "例会", "occurrence": "2026-12-02"})
    ]
    assert calls("我开会可能晚半小时到") == []


def test_recurring_meeting() -> None:
    (call,) = calls("每周五下午3点周会")
    assert call[0] == "create_meeting"
    assert call[1]["recurrence"] == "FREQ=WEEKLY;BYDAY=FR"
    assert call[1]["start"] == at("11-27", "15:00")
    assert call[1]["title"] == "周会"


def test_thinking_aloud_is_no_action() -> None:
    assert calls("我想想 要不下周再弄 算了再说吧") == []


def test_a_bare_verb_takes_its_object_from_the_report_or_the_quote() -> None:
    assert calls("验收报告已发，@敏敏 审一下") == [
        ("update_task", {"task": "验收报告", "status": "done"}),
        ("create_task", {"title": "审验收报告", "assignee": "赵敏"}),
    ]
    ((tool, args),) = calls("「老张：门禁卡谁去办？」 我去办，明天")
    assert tool == "create_task" and args["title"] == "办门禁卡" and args["assignee"] == SENDER
