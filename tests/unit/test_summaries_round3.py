"""Round-3 minutes kinds: jobs handed to someone by name, offers taken up by an assignment,
requests whose due comes in the answer, polite requests, reports of finished work, history and
tag questions, and speakers who are not yet team members (offline engine)."""

from __future__ import annotations

from datetime import datetime

from assistant.insight.summaries.model import MeetingContext, MinutesDraft, TranscriptLine
from assistant.insight.summaries.offline import OfflineMinutesEngine
from assistant.insight.summaries.speakers import with_participants

START = datetime.fromisoformat("2026-12-07T09:30:00+08:00")  # a Monday
MEMBERS = {"钱多多": ["钱总"], "韩梅": ["梅子"], "蔡坤": ["老蔡"], "宋佳琪": ["佳琪"]}


def _minutes(
    turns: list[tuple[str | None, str]], members: dict[str, list[str]] | None = None
) -> MinutesDraft:
    lines = [TranscriptLine(s, t) for s, t in turns]
    context = MeetingContext(start=START, members=MEMBERS if members is None else members)
    return OfflineMinutesEngine().minutes(lines, context)


def test_a_job_handed_to_a_member_by_name_is_theirs_and_titled_by_the_job() -> None:
    draft = _minutes(
        [
            ("钱多多", "展厅的灯这块还是老蔡负责"),
            ("钱多多", "样册印刷坏了一批 这事就交给梅子了 周三之前重印或者退货"),
            ("钱多多", "官网的备案让佳琪弄 我回头跟她说"),
        ]
    )
    by_owner = {a.owner: a for a in draft.action_items}
    assert set(by_owner) == {"蔡坤", "韩梅", "宋佳琪"}
    assert "灯" in by_owner["蔡坤"].title and "负责" not in by_owner["蔡坤"].title
    assert "样册" in by_owner["韩梅"].title and "重印" in by_owner["韩梅"].title
    assert by_owner["韩梅"].due == datetime.fromisoformat("2026-12-09T18:00:00+08:00")
    assert "备案" in by_owner["宋佳琪"].title and "跟她说" not in by_owner["宋佳琪"].title


def test_an_offer_taken_up_by_the_assignment_is_one_item_with_the_assignments_job() -> None:
    draft = _minutes(
        [
            ("钱多多", "年会场地谁来订"),
            ("蔡坤", "这个我来吧 我去年订过"),
            ("钱多多", "行 那老蔡你订 周五之前把合同签回来"),
            ("韩梅", "抽奖那个我来吧"),
        ]
    )
    items = sorted(draft.action_items, key=lambda a: a.line)
    assert [a.owner for a in items] == ["蔡坤", "韩梅"]
    assert "合同" in items[0].title and items[0].line == 2
    assert items[0].due == datetime.fromisoformat("2026-12-11T18:00:00+08:00")
    assert "抽奖" in items[1].title


def test_an_offer_answering_who_will_do_it_takes_the_question_for_its_job() -> None:
    draft = _minutes([("钱多多", "客户答谢会的礼品谁来弄"), ("宋佳琪", "那我来吧")])
    (item,) = draft.action_items
    assert item.owner == "宋佳琪" and "礼品" in item.title


def test_a_request_asking_when_gets_its_due_from_the_answer_and_its_object_from_before() -> None:
    draft = _minutes(
        [
            ("蔡坤", "物流的报价我还没汇总"),
            ("钱多多", "那你汇总一下 什么时候能给我"),
            ("蔡坤", "周四吧"),
        ]
    )
    (item,) = draft.action_items
    assert item.owner == "蔡坤"
    assert "报价" in item.title
    assert item.due == datetime.fromisoformat("2026-12-10T18:00:00+08:00")


def test_polite_requests_with_any_verb_are_read_and_titled_without_the_politeness() -> None:
    draft = _minutes([("钱多多", "要不麻烦梅子这周顺便帮忙把发票再核一遍 上个月有张开错了")])
    (item,) = draft.action_items
    assert item.owner == "韩梅"
    assert item.title.startswith(("把发票", "发票")) and "麻烦" not in item.title


def test_reports_of_finished_work_history_and_tag_questions_are_not_tasks() -> None:
    draft = _minutes(
        [
            ("蔡坤", "我上周已经把样品寄给两家经销商了"),
            ("韩梅", "但是有人说颜色太深 我调了一下色号 第二版好多了"),
            ("钱多多", "宣传片原来是佳琪做 佳琪下周休假对吧"),
            ("宋佳琪", "我还有个问题"),
        ]
    )
    assert draft.action_items == []


def test_speakers_who_are_not_members_can_still_own_work() -> None:
    turns: list[tuple[str | None, str]] = [
        ("欧阳倩", "展台的搭建图我来画 周二之前发大家"),
        ("发言人2", "好的"),
    ]
    draft = _minutes(turns, members={})
    (item,) = draft.action_items
    assert item.owner == "欧阳倩"
    participants = with_participants({}, [TranscriptLine(s, t) for s, t in turns])
    assert set(participants) == {"欧阳倩"}  # a recorder's label is not a person
    assert with_participants({}, [TranscriptLine("张晓雯", "好")]) == {"张晓雯": ["晓雯"]}


def test_labelled_speakers_a_topic_handed_with_this_and_who_writes_questions() -> None:
    draft = _minutes(
        [
            ("发言人1", "那告警也要加 这个老蔡你来 下周一上线"),
            ("发言人2", "行 没问题"),
            ("发言人3", "另外 复盘报告谁写"),
            ("发言人2", "我写吧 周五发出来"),
        ]
    )
    items = sorted(draft.action_items, key=lambda a: a.line)
    assert [a.owner for a in items] == ["蔡坤", "蔡坤"]  # 发言人2 answered when called on
    assert "告警" in items[0].title
    assert items[0].due == datetime.fromisoformat("2026-12-14T18:00:00+08:00")
    assert items[1].title == "写复盘报告"
    assert items[1].due == datetime.fromisoformat("2026-12-11T18:00:00+08:00")


def test_a_deferral_that_points_back_is_the_question_just_asked() -> None:
    draft = _minutes(
        [
            ("韩梅", "那个退款的方案 要不要给老客户多补一张券"),
            ("钱多多", "这个我跟老板商量一下 明天给你们答复"),
        ]
    )
    (question,) = draft.open_questions
    assert "券" in question.text and "商量" in question.text


def test_the_one_called_on_at_the_head_of_a_turn_owns_it_unless_the_speaker_says_i() -> None:
    draft = _minutes(
        [
            ("钱多多", "佳琪 周三之前把展会的物料表更新一下 发群里"),
            ("宋佳琪", "收到"),
            ("韩梅", "钱总 我下周一把合同初稿给您"),
        ]
    )
    by_owner = {a.owner: a for a in draft.action_items}
    assert set(by_owner) == {"宋佳琪", "韩梅"}
    assert "物料表" in by_owner["宋佳琪"].title
    assert by_owner["宋佳琪"].due == datetime.fromisoformat("2026-12-09T18:00:00+08:00")
    assert "合同初稿" in by_owner["韩梅"].title and "钱总" not in by_owner["韩梅"].title
