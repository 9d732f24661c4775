"""Round-5 minutes kinds: short first-person commitments, requests with the object fronted,
delegation, jobs given to a group; narrative, rules, floor logistics, negative instructions,
musing, tag questions and restarts that are no items; dues in scope; rules, limits, targets,
staffing, choices and negative decisions; confirmations that point back; matters left open
(offline engine)."""

from __future__ import annotations

from datetime import datetime

from assistant.insight.summaries.model import MeetingContext, MinutesDraft, TranscriptLine
from assistant.insight.summaries.offline import OfflineMinutesEngine
from assistant.insight.summaries.speakers import recognise_speakers

START = datetime.fromisoformat("2026-12-08T10:00:00+08:00")  # a Tuesday
MEMBERS = {"江涛": ["涛哥"], "孟瑶": ["瑶瑶"], "童欣": ["小童"], "崔健": ["老崔"]}


def _minutes(turns: list[tuple[str | None, str]]) -> MinutesDraft:
    lines = [TranscriptLine(s, t) for s, t in turns]
    return OfflineMinutesEngine().minutes(lines, MeetingContext(start=START, members=MEMBERS))


def _at(iso: str) -> datetime:
    return datetime.fromisoformat(iso)


def test_short_first_person_commitments_with_a_time_or_a_fronted_object() -> None:
    draft = _minutes(
        [
            ("孟瑶", "报销单 我周四给财务"),
            ("童欣", "打印纸没了 我下午就在网上下单"),
            ("崔健", "门禁又坏了 能修 我自己弄"),
        ]
    )
    by_owner = {a.owner: a for a in draft.action_items}
    assert set(by_owner) == {"孟瑶", "童欣", "崔健"}
    assert "报销单" in by_owner["孟瑶"].title
    assert by_owner["孟瑶"].due == _at("2026-12-10T18:00:00+08:00")
    assert by_owner["童欣"].due == _at("2026-12-08T18:00:00+08:00")
    assert "门禁" in by_owner["崔健"].title and by_owner["崔健"].due is None


def test_a_request_with_its_object_fronted_goes_to_the_one_named() -> None:
    draft = _minutes(
        [
            ("江涛", "瑶瑶你手上那几家老客户 这周都回访一下"),
            ("江涛", "老崔你负责的那批退货 今天下班前都要点完"),
        ]
    )
    by_owner = {a.owner: a for a in draft.action_items}
    assert set(by_owner) == {"孟瑶", "崔健"}
    assert "回访" in by_owner["孟瑶"].title + by_owner["孟瑶"].source
    assert by_owner["孟瑶"].due == _at("2026-12-11T18:00:00+08:00")
    assert by_owner["崔健"].due == _at("2026-12-08T18:00:00+08:00")


def test_a_job_given_to_a_group_is_one_item_without_an_owner() -> None:
    draft = _minutes([("江涛", "年度总结 各部门下周一之前交给我")])
    (item,) = draft.action_items
    assert item.owner is None and "年度总结" in item.title
    assert item.due == _at("2026-12-14T18:00:00+08:00")


def test_narrative_descriptions_musing_and_reports_are_not_items() -> None:
    draft = _minutes(
        [
            ("童欣", "上个月那单 最后还是老崔开车过去给客户送的"),
            ("崔健", "那时候小童还没来 这些账都是我记的"),
            ("江涛", "小童刚来两个月 很多流程还不熟"),
            ("江涛", "展会要不要去 这个我再想想 下次再说"),
            ("孟瑶", "周报我昨天发群里了"),
            ("江涛", "瑶瑶这周干得不错"),
        ]
    )
    assert draft.action_items == []


def test_floor_talk_negative_instructions_tag_questions_and_restarts_are_not_items() -> None:
    draft = _minutes(
        [
            ("江涛", "小童你把麦关一下 有杂音"),
            ("江涛", "老崔你别打岔 先把正事说完"),
            ("江涛", "瑶瑶你把上周的问题清单念一下"),
            ("江涛", "老崔你先别订酒店 等行程定了再说"),
            ("江涛", "小童你能做到吧 别又迟到"),
            ("孟瑶", "发布会那我定在下周三 不对 场地还没谈好"),
            ("江涛", "老崔你留一下 我跟你讲讲报价的事"),
        ]
    )
    assert draft.action_items == []


def test_a_rule_or_penalty_announced_is_a_decision_not_an_item() -> None:
    draft = _minutes(
        [
            ("江涛", "从今天开始 谁再迟到超过十分钟 一次罚二十"),
            ("江涛", "样品以后当天归还 不能带回家"),
        ]
    )
    assert draft.action_items == []
    texts = [d.text for d in draft.decisions]
    assert any("罚二十" in t for t in texts)
    assert any("当天归还" in t and "不能带回家" in t for t in texts)


def test_a_due_from_someone_elses_clause_or_a_vague_time_is_no_due() -> None:
    draft = _minutes(
        [
            ("江涛", "厂家说新货下周五才能到 瑶瑶你先把旧的库存盘一下"),
            ("孟瑶", "好"),
            ("江涛", "这两天 老崔先顶一下前台"),
        ]
    )
    by_owner = {a.owner: a for a in draft.action_items}
    assert set(by_owner) == {"孟瑶", "崔健"}
    assert all(a.due is None for a in draft.action_items)


def test_the_deadline_in_the_next_clause_or_turn_of_the_same_job() -> None:
    draft = _minutes(
        [
            ("江涛", "小童 下周的值班表你排一下 排好了 周四之前发群里"),
            ("童欣", "好"),
            ("江涛", "老崔你今天先去仓库看一下货"),
            ("崔健", "行"),
            ("江涛", "看完了 照片拍好 明天下班前发我"),
        ]
    )
    by_owner = {a.owner: a for a in draft.action_items}
    assert set(by_owner) == {"童欣", "崔健"}
    assert by_owner["童欣"].due == _at("2026-12-10T18:00:00+08:00")
    assert by_owner["崔健"].due == _at("2026-12-09T18:00:00+08:00")


def test_delegation_through_rang_and_the_acceptance_with_its_due() -> None:
    draft = _minutes(
        [
            ("江涛", "客户的回访 我让瑶瑶跟"),
            ("孟瑶", "好的涛哥 我周五之前把名单过一遍"),
        ]
    )
    (item,) = draft.action_items
    assert item.owner == "孟瑶"
    assert item.due == _at("2026-12-11T18:00:00+08:00")


def test_limits_targets_staffing_choices_and_negative_decisions() -> None:
    draft = _minutes(
        [
            ("江涛", "本月的目标 签约十五家 回款八十万"),
            ("江涛", "差旅费一次别超过三千"),
            ("江涛", "这周老崔先开三号车"),
            ("江涛", "巡店分两组 我一组 瑶瑶带小童一组"),
            ("童欣", "投影仪有两台 用哪台"),
            ("江涛", "用那台新的"),
            ("崔健", "年会还请不请乐队"),
            ("江涛", "乐队今年不请了"),
        ]
    )
    texts = " | ".join(d.text for d in draft.decisions)
    for part in ("签约十五家", "三千", "三号车", "两组", "那台新的", "不请了"):
        assert part in texts, part
    assert draft.action_items == []


def test_a_confirmation_settles_what_was_said_before_it() -> None:
    draft = _minutes(
        [
            ("孟瑶", "那培训就放在周六上午吧"),
            ("江涛", "行 这个就这么定"),
            ("崔健", "以后报价单都要两个人复核 我们组就按这个执行"),
        ]
    )
    sources = [d.source for d in draft.decisions]
    assert "那培训就放在周六上午吧" in sources
    assert not any(s.strip().endswith(("就这么定", "按这个执行")) for s in sources)
    assert len(draft.decisions) == 2


def test_fragments_restarts_doubt_questions_and_costs_are_not_decisions() -> None:
    draft = _minutes(
        [
            ("崔健", "上次那个活 最后推到半夜才干完"),
            ("孟瑶", "那我定在月底 不对 要等他们回话"),
            ("江涛", "这个我还拿不准"),
            ("童欣", "宣传册现在还印不印"),
            ("崔健", "换一台新的一年两千多"),
            ("江涛", "明年的房租房东说要涨 还没拍板"),
        ]
    )
    assert draft.decisions == []


def test_waits_and_doubts_are_open_questions_and_hearsay_is_not() -> None:
    draft = _minutes(
        [
            ("孟瑶", "团建还没定日子 等他们回复吧"),
            ("童欣", "据说隔壁公司加了三百多个群"),
            ("崔健", "展台要不要换 这个不是今天能定的 等总部定了一起说"),
            ("童欣", "昨天客户又来闹 还摔了个杯子 我也头疼"),
        ]
    )
    sources = [q.source for q in draft.open_questions]
    assert len(sources) == 2
    assert any("团建" in s for s in sources)
    assert any("不是今天能定" in s for s in sources)


def test_a_deferral_the_meeting_decides_is_a_decision_not_an_open_question() -> None:
    draft = _minutes([("江涛", "小程序的事 先不搞 等明年再说")])
    assert [q.source for q in draft.open_questions] == []
    assert any("先不搞" in d.text for d in draft.decisions)


def test_a_label_left_over_is_the_member_left_over() -> None:
    lines = [
        TranscriptLine("发言人1", "瑶瑶你把报价发我"),
        TranscriptLine("发言人2", "好的"),
        TranscriptLine("发言人1", "小童你把合同打印一下"),
        TranscriptLine("发言人3", "行"),
    ]
    members = {"江涛": [], "孟瑶": ["瑶瑶"], "童欣": ["小童"]}
    assert recognise_speakers(lines, members).labels == {
        "发言人2": "孟瑶",
        "发言人3": "童欣",
        "发言人1": "江涛",
    }
    members_with_absent = {**members, "崔健": ["老崔"]}
    assert "发言人1" not in recognise_speakers(lines, members_with_absent).labels


def test_you_and_a_partner_the_one_called_does_it() -> None:
    draft = _minutes(
        [
            ("江涛", "瑶瑶 你跟老崔把展位图和物料清单对一下"),
            ("孟瑶", "行"),
        ]
    )
    (item,) = draft.action_items
    assert item.owner == "孟瑶"


def test_handed_to_a_member_through_rang_without_a_job_of_its_own() -> None:
    draft = _minutes(
        [
            ("江涛", "下周的客户答谢会谁来跟"),
            ("崔健", "我让小童跟 她比较熟"),
            ("童欣", "好的"),
        ]
    )
    assert [a.owner for a in draft.action_items] == ["童欣"]


def test_two_members_jobs_in_one_turn_have_their_own_sources_and_dues() -> None:
    draft = _minutes([("江涛", "小童你下周一之前把方案给我 老崔周三之前把预算给我")])
    by_owner = {a.owner: a for a in draft.action_items}
    assert set(by_owner) == {"童欣", "崔健"}
    assert by_owner["童欣"].source == "小童你下周一之前把方案给我"
    assert by_owner["崔健"].source == "老崔周三之前把预算给我"
    assert by_owner["童欣"].due == _at("2026-12-14T18:00:00+08:00")
    assert by_owner["崔健"].due == _at("2026-12-09T18:00:00+08:00")


def test_soft_requests_to_the_one_named() -> None:
    draft = _minutes(
        [
            ("江涛", "小童你门店那边可以先盘一下"),
            ("江涛", "老崔你看看物流那边怎么配合"),
        ]
    )
    assert sorted(str(a.owner) for a in draft.action_items) == ["崔健", "童欣"]


def test_a_request_to_find_out_and_a_frequency_set() -> None:
    draft = _minutes(
        [
            ("江涛", "瑶瑶你问问供应商里面有没有能开专票的 找一家来报价"),
            ("江涛", "各门店每周盘点一次 周日晚上盘"),
        ]
    )
    assert [a.owner for a in draft.action_items] == ["孟瑶"]
    assert any("每周盘点一次" in d.text for d in draft.decisions)


def test_a_request_put_as_a_question_is_the_job_of_the_one_who_takes_it_on() -> None:
    draft = _minutes(
        [
            ("江涛", "小童你明天能不能把对账单做出来"),
            ("童欣", "可以 明天下午给你"),
        ]
    )
    (item,) = draft.action_items
    assert item.owner == "童欣" and "对账单" in item.title
    assert item.due == _at("2026-12-09T18:00:00+08:00")


def test_a_fragment_cut_off_by_a_filler_is_read_with_what_follows() -> None:
    draft = _minutes(
        [
            ("江涛", "那个老崔啊 你下午 嗯 去税务局把发票领一下"),
            ("崔健", "好的"),
            ("江涛", "我们这个季度的目标啊 就是 回款三百万"),
            ("江涛", "折扣的话 不能低于九折"),
        ]
    )
    (item,) = draft.action_items
    assert item.owner == "崔健" and "发票" in item.title
    assert item.due == _at("2026-12-08T18:00:00+08:00")
    texts = " | ".join(d.text for d in draft.decisions)
    assert "回款三百万" in texts and "九折" in texts


def test_personal_choices_estimates_guesses_and_past_targets_are_not_decisions() -> None:
    draft = _minutes(
        [
            ("崔健", "那我就不去了"),
            ("童欣", "这个活至少要三天"),
            ("孟瑶", "他们以后可能不接了"),
            ("江涛", "上次的目标是三十组 没完成"),
        ]
    )
    assert draft.decisions == []
