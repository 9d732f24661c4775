"""Round-6 minutes kinds: an open question is the turn that raises it (a bare deferral in a
reply is linked back to it), questions raised again ("上次也没定"), floor control and one's own
musing are not open; staged plans, echoes and picks, quantities, negative choices, hand-overs
and rotas are decisions, openings and emphasis are not; acceptances that start a job of their
own, any unit as a group owner, self-corrections; absences and floor passing are no items
(offline engine, cue grammars)."""

from __future__ import annotations

from datetime import datetime

from assistant.insight.summaries.model import MeetingContext, MinutesDraft, TranscriptLine
from assistant.insight.summaries.offline import OfflineMinutesEngine

START = datetime.fromisoformat("2026-12-08T10:00:00+08:00")  # a Tuesday
MEMBERS = {"欧宁": ["宁姐"], "车辉": ["小车"], "柯蓝": ["蓝蓝"], "原野": ["老原"]}


def _minutes(turns: list[tuple[str | None, str]]) -> MinutesDraft:
    lines = [TranscriptLine(s, t) for s, t in turns]
    return OfflineMinutesEngine().minutes(lines, MeetingContext(start=START, members=MEMBERS))


def _at(iso: str) -> datetime:
    return datetime.fromisoformat(iso)


def test_a_bare_deferral_reports_the_question_it_answers() -> None:
    draft = _minutes(
        [
            ("车辉", "年会的抽奖环节 今年要不要请外面的主持人"),
            ("欧宁", "这个我还没想好 先挂着吧"),
        ]
    )
    (question,) = draft.open_questions
    assert question.line == 0
    assert "主持人" in question.text and "主持人" in question.source


def test_a_deferral_after_a_what_if_question_links_back_across_a_turn() -> None:
    draft = _minutes(
        [
            ("柯蓝", "宁姐 要是展会那天样品还没到怎么办 是空运还是先用旧样品"),
            ("车辉", "旧样品我看了一下 还能用"),
            ("欧宁", "今天先定不了 等物流那边回话再说"),
        ]
    )
    assert [q.line for q in draft.open_questions] == [0]
    assert "样品" in draft.open_questions[0].text


def test_a_question_raised_again_is_open_and_floor_control_adds_nothing() -> None:
    draft = _minutes(
        [
            ("原野", "还有一个就是 加班餐的标准 到底要不要提高 上次也没定"),
            ("欧宁", "好了好了 餐标的事会后再说 先把排期过了"),
        ]
    )
    (question,) = draft.open_questions
    assert question.line == 0 and "加班餐" in question.text


def test_thinking_aloud_about_ones_own_job_is_not_open() -> None:
    draft = _minutes([("车辉", "打印机那个卡纸的毛病 我弄了一上午还没头绪 我再想想 先放一放")])
    assert draft.open_questions == []


def test_a_staged_plan_after_a_rejection_is_a_decision_not_an_open_question() -> None:
    draft = _minutes([("欧宁", "一次全换不行 成本太高 先拿三楼试 用一个月 看看效果再说")])
    assert draft.open_questions == []
    (decision,) = draft.decisions
    assert "三楼试" in decision.source


def test_echoes_picks_quantities_and_negative_choices_are_decisions() -> None:
    draft = _minutes(
        [
            ("柯蓝", "团建是周六还是周日"),
            ("原野", "周六吧 周日大家要陪孩子"),
            ("车辉", "押金收多少 三百够吗"),
            ("欧宁", "三百可以 就三百"),
            ("欧宁", "前台的收银机增加到三台"),
            ("欧宁", "宣传册这次就别印了 发电子版"),
        ]
    )
    lines = {d.line for d in draft.decisions}
    assert {1, 3, 4, 5} <= lines


def test_openings_and_emphasis_are_not_decisions() -> None:
    draft = _minutes(
        [
            ("欧宁", "好 人齐了 那我们就开始吧"),
            ("欧宁", "那你先说一下上个月的数吧"),
            ("车辉", "退货率太高了 这个必须改"),
        ]
    )
    assert draft.decisions == []


def test_a_rota_is_a_decision_not_a_job() -> None:
    draft = _minutes([("欧宁", "下周让蓝蓝顶一下班 我跟老原轮着值夜")])
    assert draft.action_items == []
    assert len(draft.decisions) == 1


def test_an_acceptance_that_starts_a_job_of_its_own_is_another_item() -> None:
    draft = _minutes(
        [
            ("欧宁", "小车 你把展位的物料清单列一下 周四给我"),
            ("车辉", "明白 我今天先把易拉宝数出来"),
        ]
    )
    titles = sorted(a.title for a in draft.action_items)
    assert len(titles) == 2 and any("易拉宝" in t for t in titles)
    by_line = {a.line: a for a in draft.action_items}
    assert by_line[0].due == _at("2026-12-10T18:00:00+08:00")
    assert by_line[1].due == _at("2026-12-08T18:00:00+08:00")


def test_any_unit_addressed_as_a_group_owns_a_job_with_a_deadline() -> None:
    draft = _minutes(
        [
            ("欧宁", "各个仓库这周五之前把盘点表报给蓝蓝"),
            ("欧宁", "各个片区的组长 明天下班前把值班表发给老原"),
            ("欧宁", "大家手上的发票 下周一之前都交给小车"),
        ]
    )
    assert [a.owner for a in draft.action_items] == [None, None, None]
    assert [a.due for a in draft.action_items] == [
        _at("2026-12-11T18:00:00+08:00"),
        _at("2026-12-09T18:00:00+08:00"),
        _at("2026-12-14T18:00:00+08:00"),
    ]


def test_a_commitment_inside_a_self_correction_takes_the_corrected_due() -> None:
    draft = _minutes([("原野", "我周三 不对 周三我值班 那就周四下午把报价单改好")])
    (item,) = draft.action_items
    assert item.owner == "原野" and "报价单" in item.title
    assert item.due == _at("2026-12-10T18:00:00+08:00")
    assert draft.decisions == []


def test_absence_notices_and_floor_passing_are_no_items() -> None:
    draft = _minutes(
        [
            ("欧宁", "蓝蓝你先来吧 说说招聘的情况"),
            ("柯蓝", "下周我要去杭州参加培训 周四周五不在 有事微信"),
        ]
    )
    assert draft.action_items == []


def test_the_answer_to_a_question_put_to_someone_by_name_tells_who_speaks() -> None:
    draft = _minutes(
        [
            ("发言人1", "蓝蓝 那仓库漏水的事呢"),
            ("发言人2", "防水层我找物业 明天上午之前我把报价发群里"),
            ("发言人2", "宁姐 新系统要不要全部换掉"),
            ("发言人1", "全部换不行 风险太大 先拿一个仓试 跑两周 看看再说"),
        ]
    )
    (item,) = draft.action_items
    assert item.owner == "柯蓝" and item.due == _at("2026-12-09T12:00:00+08:00")
