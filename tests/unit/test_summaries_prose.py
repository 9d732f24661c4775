"""The overall summary as written prose: words of speech left out as whole words, sentences run
on as the clauses of one paragraph within the length budget, and a reader without budget rights
losing only the clauses that give a figure (offline engine)."""

from __future__ import annotations

from datetime import datetime

from assistant.insight.summaries.model import MeetingContext, Sentence, TranscriptLine
from assistant.insight.summaries.offline import OfflineMinutesEngine
from assistant.insight.summaries.ranking import SentenceRanker, compose_summary, segment_topics
from assistant.insight.summaries.spoken import clean, written
from assistant.services.minutes import without_budget_figures

START = datetime.fromisoformat("2026-12-08T10:00:00+08:00")


def test_written_form_leaves_out_fillers_pronouns_and_linking_openers() -> None:
    assert written(clean("然后我们这个方案就是要在下周上线")) == "方案要在下周上线。"
    # A pronoun after a fronted topic is the clause's subject, and stays.
    assert written(clean("所以说这个预算的话我们下周再对一下吧")) == "预算我们下周再对一下。"
    assert written(clean("我们下周上线 所以大家抓紧")) == "下周上线，大家抓紧。"


def test_written_form_drops_words_of_speech_only_where_they_are_speech() -> None:
    # Pronouns as objects, 就 inside a clause, a demonstrative ending a clause: grammar, kept.
    assert (
        written(clean("复习资料 各年级组长下周二之前交给我"))
        == "复习资料，各年级组长下周二之前交给我。"
    )
    assert written(clean("各班自己在班里练一下队形就行")) == "各班自己在班里练一下队形就行。"
    assert written(clean("说到这个 我刚来那年运动会下大雨")) == "说到这个，刚来那年运动会下大雨。"
    # An opinion verb after the dropped speaker goes with it; a copula 就是 stays.
    assert written(clean("我看就不彩排了 各班自己练")) == "不彩排了，各班自己练。"
    assert written(clean("这就是最大的问题 得先解决")) == "这就是最大的问题，得先解决。"
    assert written(clean("这是一个很好的机会 我们有一个研究")) == "这是很好的机会，有研究。"


def test_written_form_keeps_determiners_that_say_which_or_how_many() -> None:
    # "这个月" is this month, "一个人" is one person: the words stay.
    assert written(clean("我们这个月上线")) == "这个月上线。"
    assert written(clean("大概要一个星期 一个人做不完")) == "大概要一个星期，一个人做不完。"
    assert "这个" not in written(clean("这个接口文档我们这周写完"))


def test_written_form_closes_the_pauses_speech_recognition_puts_around_numbers() -> None:
    assert (
        written(clean("一共有 1000 只股票 过去 9 年涨了不少"))
        == "一共有1000只股票，过去9年涨了不少。"
    )


def test_written_form_keeps_the_sentence_when_too_little_would_be_left() -> None:
    assert written("那你呢？") == "那你呢？"


def _sentences(texts: list[str]) -> list[Sentence]:
    return [Sentence(i, i, 0, len(t), t, t) for i, t in enumerate(texts)]


def test_paragraph_summary_runs_the_sentences_on_with_commas() -> None:
    texts = [
        "支付模块的重构放到下个迭代。",
        "支付模块的接口文档由后端组先出。",
        "登录页的改版方案已经评审通过？",
        "登录页的埋点要和数据组对齐。",
        "支付模块的回归测试需要两天。",
    ]
    ranker = SentenceRanker(_sentences(texts))
    topics = segment_topics(ranker)
    sentences = compose_summary(ranker, topics, budget=60)
    paragraph = compose_summary(ranker, topics, budget=60, paragraph=True)
    assert sentences.count("。") + sentences.count("？") >= 2
    # The same picks, one paragraph: commas inside, one stop at the end.
    assert paragraph == "，".join(p.rstrip("。？") for p in _stops(sentences)) + "。"
    assert paragraph.count("。") == 1 and paragraph.endswith("。") and "？" not in paragraph


def _stops(text: str) -> list[str]:
    out, cur = [], ""
    for ch in text:
        cur += ch
        if ch in "。？":
            out.append(cur)
            cur = ""
    return out


def test_offline_summary_is_one_paragraph_within_the_budget() -> None:
    turns = [
        ("王磊", "嗯 那个我们先说一下首页改版 这个方案我们上周评审过了 整体就是用蓝色的方案"),
        ("李娜", "对 然后登录页那边 我们这个交互稿这周能出来 登录页的埋点也要跟数据组对一下"),
        ("王磊", "好 那登录页就按这个来 然后支付模块的重构我觉得放到下个迭代吧 这个迭代时间不够"),
        ("赵强", "支付模块的接口文档我们后端组先出 回归测试大概要两天 测试环境那边我去申请"),
        ("李娜", "首页改版的图片资源设计那边周三给 然后首页的性能我们也要看一下 首屏现在太慢了"),
    ]
    engine = OfflineMinutesEngine(summary_chars=80)
    draft = engine.minutes([TranscriptLine(s, t) for s, t in turns], MeetingContext(start=START))
    assert draft.summary.endswith("。") and draft.summary.count("。") == 1
    assert len(draft.summary) <= 80 * 1.1 + 1
    for word in ("嗯", "那个", "我觉得"):
        assert word not in draft.summary
    # No clause opens with a speaker's pronoun or a linking word.
    clauses = draft.summary.rstrip("。").split("，")
    assert not [c for c in clauses if c.startswith(("我", "你", "所以", "但是", "然后"))]


def test_a_reader_without_budget_rights_loses_only_the_clauses_with_a_figure() -> None:
    record = {"summary": "首页用蓝色方案，项目预算定为48万，王磊周五前出登录页。"}
    assert without_budget_figures(record)["summary"] == "首页用蓝色方案，王磊周五前出登录页。"
    # A figure running over a comma takes both clauses with it.
    record = {"summary": "首页用蓝色方案，王磊出登录页，预算是，48万元。"}
    assert without_budget_figures(record)["summary"] == "首页用蓝色方案，王磊出登录页。"
