"""Round-4 minutes kinds: history of earlier commitments, waits, excuses and capacity talk,
questions put to someone, standing roles, the closing recap, one commitment over several
turns, partners and people outside the team (offline engine)."""

from __future__ import annotations

from datetime import datetime

import pytest

from assistant.insight.summaries.model import MeetingContext, MinutesDraft, TranscriptLine
from assistant.insight.summaries.offline import OfflineMinutesEngine
from assistant.timeparse import parse_times

START = datetime.fromisoformat("2026-12-07T09:30:00+08:00")  # a Monday
MEMBERS = {"付磊": ["磊哥"], "唐甜": ["甜甜"], "包宇": ["小包"], "温雅": ["雅姐"]}


def _minutes(turns: list[tuple[str | None, str]]) -> MinutesDraft:
    lines = [TranscriptLine(s, t) for s, t in turns]
    return OfflineMinutesEngine().minutes(lines, MeetingContext(start=START, members=MEMBERS))


def test_an_earlier_commitment_told_back_is_history_not_a_new_item() -> None:
    draft = _minutes(
        [
            ("温雅", "官网改版小包你上次说你来做 现在到哪一步了"),
            ("包宇", "首页做完了"),
            ("温雅", "客户名单就按甜甜之前说的来 先打老客户"),
        ]
    )
    assert draft.action_items == []


def test_a_wait_and_an_excuse_are_not_items_and_stay_out_of_the_title() -> None:
    draft = _minutes(
        [
            ("唐甜", "展台搭建等场馆的图纸出来再说 我们先不动"),
            ("付磊", "这周我这边缺人 宣传册顾不过来"),
            ("温雅", "甜甜 你把嘉宾名单整理一下"),
            ("唐甜", "可以 不过我手上的报销已经挺满了 周三之前给你吧"),
        ]
    )
    (item,) = draft.action_items
    assert item.owner == "唐甜" and "名单" in item.title
    assert "满" not in item.title and "报销" not in item.title
    assert item.due == datetime.fromisoformat("2026-12-09T18:00:00+08:00")


def test_a_question_or_chit_chat_put_to_someone_is_not_an_item() -> None:
    draft = _minutes(
        [
            ("包宇", "磊哥 你用的那个录音笔是不是上次那个牌子的"),
            ("付磊", "对 挺好用的"),
            ("温雅", "小包 你那边有没有好一点的印刷厂 可以推荐一下"),
        ]
    )
    assert draft.action_items == []


def test_standing_roles_of_a_kickoff_are_not_action_items() -> None:
    draft = _minutes(
        [
            ("温雅", "先把分工说一下 这个项目我来当PM 法务部分磊哥来把关"),
            ("温雅", "设计这块甜甜负责 开发这块小包负责"),
            ("包宇", "行 我明天把开发排期发群里"),
        ]
    )
    (item,) = draft.action_items
    assert item.owner == "包宇" and "排期" in item.title


def test_the_closing_recap_adds_no_items_and_owns_nothing_anew() -> None:
    draft = _minutes(
        [
            ("温雅", "甜甜你周四之前把场地合同签了"),
            ("唐甜", "好"),
            ("温雅", "磊哥你明天把报价单发给客户"),
            ("付磊", "没问题"),
            ("温雅", "好 我总结一下 甜甜周四前签合同 磊哥明天发报价 小包跟一下物流"),
        ]
    )
    assert sorted(str(a.owner) for a in draft.action_items) == ["付磊", "唐甜"]
    assert all(a.line < 4 for a in draft.action_items)


def test_one_job_said_twice_in_a_sentence_is_one_item_with_the_job_and_its_due() -> None:
    draft = _minutes([("温雅", "那对账让甜甜帮一下 甜甜你周五之前把十一月的账对一遍")])
    (item,) = draft.action_items
    assert item.owner == "唐甜" and "账" in item.title
    assert item.due == datetime.fromisoformat("2026-12-11T18:00:00+08:00")


def test_a_side_remark_on_a_job_is_not_its_own_item() -> None:
    draft = _minutes(
        [
            ("温雅", "磊哥 你把年会的流程排一下"),
            ("温雅", "别到时候又临时改来改去"),
        ]
    )
    (item,) = draft.action_items
    assert item.owner == "付磊" and "流程" in item.title


def test_the_doer_is_not_the_partner_nor_someone_outside_the_team() -> None:
    draft = _minutes(
        [
            ("温雅", "小包你把设备清单列一下 到时候跟磊哥对一下数量"),
            ("付磊", "我让仓库的小金去盘一下库存"),
        ]
    )
    by_owner = {a.owner: a for a in draft.action_items}
    assert set(by_owner) == {"包宇", "付磊"}
    assert "清单" in by_owner["包宇"].title
    assert "库存" in by_owner["付磊"].title and "小金" not in by_owner["付磊"].title


def test_self_commitments_with_huitou_and_for_ones_own_team_are_the_speakers() -> None:
    draft = _minutes(
        [
            ("付磊", "我回头把租赁合同再看一下 看看有没有违约条款"),
            ("唐甜", "物料进货 我们这边来写申请单"),
        ]
    )
    by_owner = {a.owner: a for a in draft.action_items}
    assert set(by_owner) == {"付磊", "唐甜"}
    assert "合同" in by_owner["付磊"].title and "回头" not in by_owner["付磊"].title
    assert "申请单" in by_owner["唐甜"].title and "们" not in by_owner["唐甜"].title


def test_facts_remarks_examples_offers_and_floor_talk_are_not_decisions() -> None:
    draft = _minutes(
        [
            ("温雅", "先说采购这边吧"),
            ("付磊", "这批是将近三千件的量 只有十天了"),
            ("温雅", "这个必须做"),
            ("唐甜", "比如说先发华东的单子"),
            ("包宇", "那这个我来吧"),
        ]
    )
    assert draft.decisions == []


def test_an_answer_to_whether_to_do_it_still_decides() -> None:
    draft = _minutes([("付磊", "退货要不要走新流程"), ("温雅", "要做 这个必须做")])
    assert len(draft.decisions) == 1


def test_a_recurring_meeting_agreed_is_a_decision_and_a_revised_value_is_one() -> None:
    draft = _minutes(
        [
            ("温雅", "以后每周一周四上午十点开个二十分钟的站会"),
            ("付磊", "复盘会放在哪天"),
            ("温雅", "月底最后一个周五吧"),
            ("温雅", "每月最后一个周五下午两点 开一小时"),
        ]
    )
    texts = [d.text for d in draft.decisions]
    assert any("站会" in t for t in texts)
    assert sum("周五" in t for t in texts) == 1
    assert any("两点" in t for t in texts)


def test_a_deferral_decided_is_a_decision_and_its_matter_stays_open() -> None:
    draft = _minutes(
        [
            ("包宇", "新门店的装修上次说要换一家 还在跟两家公司谈价格"),
            ("温雅", "那这个先放一放 等小包谈完再说"),
        ]
    )
    assert any("放一放" in d.text for d in draft.decisions)
    (question,) = draft.open_questions
    assert "装修" in question.text


def test_pending_matters_are_open_and_warnings_or_remarks_are_not() -> None:
    draft = _minutes(
        [
            ("付磊", "展位的位置还要跟主办方商量"),
            ("唐甜", "年终奖的方案尚未决定"),
            ("包宇", "还有报销 别到时候又对不清楚"),
            ("温雅", "新来的不知道规矩 多带一带"),
        ]
    )
    texts = [q.text for q in draft.open_questions]
    assert len(texts) == 2
    assert any("展位" in t for t in texts) and any("年终奖" in t for t in texts)


def test_following_someones_proposal_is_a_decision_not_a_job_for_them() -> None:
    draft = _minutes([("温雅", "年会场地就按甜甜说的来 订湖边那家")])
    assert draft.action_items == []
    assert len(draft.decisions) == 1


@pytest.mark.parametrize(
    ("text", "value"),
    [
        ("内部定一个十二月九号", "2026-12-09"),
        ("定一个十二月二十号前交稿", "2026-12-20"),
        ("一个十二月三十号的截止", "2026-12-30"),
    ],
)
def test_a_chinese_numeral_date_after_yige_is_read_whole(text: str, value: str) -> None:
    (found,) = parse_times(text, START)
    assert found.value is not None and found.value.date().isoformat() == value


def test_a_count_of_months_after_ge_is_still_no_date() -> None:
    assert all(f.value is None or "月" not in f.text for f in parse_times("做了三个月", START))


def test_a_due_said_as_yige_date_reaches_the_action_item() -> None:
    draft = _minutes([("温雅", "小包你把验收报告写一下 内部定一个十二月十五号")])
    (item,) = draft.action_items
    assert item.due is not None and item.due.date().isoformat() == "2026-12-15"


def test_an_acceptance_with_a_time_brings_the_due_and_a_later_own_job_stays_separate() -> None:
    draft = _minutes(
        [
            ("温雅", "新品发布 甜甜你那边先出个方案"),
            ("唐甜", "好的 我周四之前给你"),
            ("唐甜", "到时候我跟磊哥对一下场地的档期 别跟年会撞了"),
        ]
    )
    items = sorted(draft.action_items, key=lambda a: a.line)
    assert [a.owner for a in items] == ["唐甜", "唐甜"]
    assert items[0].due == datetime.fromisoformat("2026-12-10T18:00:00+08:00")
    assert "档期" in items[1].title and "别" not in items[1].title
    assert "到时候" not in items[1].title


def test_a_vague_time_in_the_acceptance_is_no_due() -> None:
    draft = _minutes([("温雅", "小包你去订会议室"), ("包宇", "好 我这两天就去订")])
    (item,) = draft.action_items
    assert item.owner == "包宇" and item.due is None


def test_a_labelled_speaker_answering_a_question_put_to_them_is_recognised() -> None:
    draft = _minutes(
        [
            ("发言人1", "小包 你那边有没有认识的律师"),
            ("发言人2", "没有 我回头问问同学"),
            ("发言人1", "体检报告 我让前台的小芳打印五十份"),
        ]
    )
    by_owner = {a.owner: a for a in draft.action_items}
    assert "同学" in by_owner["包宇"].title
    assert set(by_owner) == {"包宇"}  # 发言人1 is not known: the delegation has no owner


def test_a_job_handed_out_in_parallel_is_one_item_per_member_with_its_own_object() -> None:
    draft = _minutes([("温雅", "年终盘点 甜甜你把A区的货架点一遍 B区小包 C区磊哥")])
    by_owner = {a.owner: a for a in draft.action_items}
    assert set(by_owner) == {"唐甜", "包宇", "付磊"}
    assert "A区" in by_owner["唐甜"].title and "B区" not in by_owner["唐甜"].title
    assert "B区" in by_owner["包宇"].title and "货架" in by_owner["包宇"].title
    assert "C区" in by_owner["付磊"].title


def test_a_festival_that_names_the_occasion_is_no_due() -> None:
    draft = _minutes([("温雅", "春节排班 小包你把值班表做一下")])
    (item,) = draft.action_items
    assert item.owner == "包宇" and item.due is None


def test_a_conditional_request_is_the_addressees_and_huiqu_commits_the_speaker() -> None:
    draft = _minutes(
        [
            ("温雅", "磊哥你那边有没有靠谱的搬家公司"),
            ("付磊", "我回去翻翻聊天记录 找到了跟甜甜说一下"),
            ("温雅", "甜甜 你拿到搬家公司的报价了发我一份"),
        ]
    )
    by_owner = {a.owner: a for a in draft.action_items}
    assert set(by_owner) == {"付磊", "唐甜"}
    assert "聊天记录" in by_owner["付磊"].title and "报价" in by_owner["唐甜"].title


def test_a_pending_matter_stays_open_as_said_and_chit_chat_lends_it_no_subject() -> None:
    draft = _minutes(
        [
            ("付磊", "小包 你那个新买的键盘好用吗"),
            ("包宇", "还行"),
            ("温雅", "年会礼品 甜甜你去找供应商要个报价"),
            ("唐甜", "不过要看报价 太贵的话就换一家"),
        ]
    )
    (question,) = draft.open_questions
    assert "报价" in question.text and "键盘" not in question.text


def test_titles_keep_the_job_without_answer_words_reasons_or_reassurance() -> None:
    draft = _minutes(
        [
            ("温雅", "场地押金这块 磊哥你来付一下"),
            ("付磊", "行 我来付 这个你们不用担心"),
            ("唐甜", "是我们的问题 报名表的错别字我今天就改"),
        ]
    )
    titles = [a.title for a in draft.action_items]
    assert titles and all(not t.startswith(("行", "好", "是我们的问题")) for t in titles)
    assert all("不用担心" not in t for t in titles)
    assert any("错别字" in t for t in titles)


def test_an_acceptance_with_an_earlier_deadline_moves_the_due_and_titles_lose_stray_dao() -> None:
    draft = _minutes(
        [
            ("温雅", "小包 你这周五之前把场地定下来"),
            ("包宇", "没问题 我周四前给你答复"),
            ("付磊", "宣传这块我让设计的小宋出一版海报"),
        ]
    )
    by_owner = {a.owner: a for a in draft.action_items}
    assert by_owner["包宇"].due == datetime.fromisoformat("2026-12-10T18:00:00+08:00")
    assert "到" not in by_owner["包宇"].title and "场地" in by_owner["包宇"].title
    assert "海报" in by_owner["付磊"].title


@pytest.mark.parametrize(
    "said",
    ["我下周出差 不在公司", "我周五要去医院", "我来说两句", "我去年做过类似的", "我会议室订好了"],
)
def test_absence_floor_talk_and_work_done_are_no_items(said: str) -> None:
    assert _minutes([("温雅", said)]).action_items == []


def test_a_job_around_an_absence_is_still_an_item() -> None:
    draft = _minutes([("温雅", "我出差之前把合同发你"), ("付磊", "我明天去体检中心把报告拿回来")])
    assert sorted(str(a.owner) for a in draft.action_items) == ["付磊", "温雅"]


@pytest.mark.parametrize("said", ["我们必须得加快进度了", "大家要做好准备", "不然就改到周四"])
def test_exhortations_and_alternatives_are_not_decisions(said: str) -> None:
    assert _minutes([("温雅", said)]).decisions == []


@pytest.mark.parametrize("said", ["以后大家都要准时交周报", "以后周报不要超过一页"])
def test_a_standing_rule_from_now_on_is_a_decision(said: str) -> None:
    assert len(_minutes([("温雅", said)]).decisions) == 1


def test_one_commitment_over_several_turns_is_one_item_with_the_last_due() -> None:
    draft = _minutes(
        [
            ("温雅", "小包 供应商的合同你跟一下"),
            ("包宇", "好 我周三之前签回来"),
            ("温雅", "对 合同一定要周三前签回来 不然赶不上"),
            ("包宇", "行 我催一下 争取周二就签"),
            ("温雅", "嗯 不用搞得太正式 邮件确认也行"),
        ]
    )
    (item,) = draft.action_items
    assert item.owner == "包宇" and "合同" in item.title
    assert item.due == datetime.fromisoformat("2026-12-08T18:00:00+08:00")


def test_a_bare_verb_accepted_takes_the_job_of_the_request() -> None:
    draft = _minutes([("温雅", "甜甜 你帮我问问场地那边能不能便宜点"), ("唐甜", "可以 我明天问")])
    (item,) = draft.action_items
    assert item.owner == "唐甜" and "场地" in item.title


@pytest.mark.parametrize("said", ["小包你看着办吧", "甜甜你也可以参考一下别人的做法"])
def test_discretion_and_suggestions_are_no_items(said: str) -> None:
    assert _minutes([("温雅", said)]).action_items == []


@pytest.mark.parametrize(
    "said", ["场地还在等报价", "预算还没批下来", "具体时间要看甲方", "供应商那边还没回复"]
)
def test_a_matter_waiting_on_others_is_open(said: str) -> None:
    (question,) = _minutes([("温雅", said)]).open_questions
    assert question.text.startswith(said[:2])


def test_what_the_speaker_has_not_done_yet_is_not_an_open_matter() -> None:
    assert _minutes([("温雅", "我还没回复他")]).open_questions == []


@pytest.mark.parametrize(
    "recap",
    [
        "最后确认一下 甜甜周四前签合同 小包跟一下物流",
        "那我们过一下今天的待办 甜甜周四前签合同 小包跟一下物流",
    ],
)
def test_other_closing_recaps_add_no_items(recap: str) -> None:
    draft = _minutes(
        [
            ("温雅", "甜甜你周四之前把场地合同签了"),
            ("唐甜", "好"),
            ("付磊", "好的"),
            ("温雅", recap),
        ]
    )
    assert [a.owner for a in draft.action_items] == ["唐甜"]


def test_reporting_back_is_part_of_the_job_and_a_question_about_a_purchase_is_none() -> None:
    draft = _minutes(
        [
            ("付磊", "雅姐 你那个新买的耳机是哪个牌子的"),
            ("温雅", "索尼的"),
            ("唐甜", "那我回头打电话催一下房东"),
            ("温雅", "可以 甜甜你问到了跟我说一声"),
            ("付磊", "台账我让助理小钟做一个模板"),
            ("温雅", "押金这块让甜甜先帮你整理收据"),
        ]
    )
    items = sorted(draft.action_items, key=lambda a: a.line)
    assert [a.owner for a in items] == ["唐甜", "付磊", "唐甜"]
    assert "房东" in items[0].title
    assert "小钟" not in items[1].title and "模板" in items[1].title
    assert items[2].title.startswith("整理")


def test_the_partner_after_gen_is_not_the_doer_but_joint_doers_both_are() -> None:
    alone = _minutes([("温雅", "到时候跟磊哥对一下排班")])
    assert [a.owner for a in alone.action_items] == ["温雅"]
    assert "磊哥" not in alone.action_items[0].title
    assert not alone.action_items[0].title.startswith("跟")
    named = _minutes([("温雅", "磊哥跟甜甜对一下排班")])
    assert [a.owner for a in named.action_items] == ["付磊"]
    joint = _minutes([("温雅", "小包和甜甜把清单对一下")])
    assert sorted(str(a.owner) for a in joint.action_items) == ["包宇", "唐甜"]
