"""What a question asks for must be what a passage says: the cues behind "没找到"."""

from __future__ import annotations

import pytest

from assistant.memory.cues import (
    asked_attributes,
    asked_types,
    asks_status,
    codes,
    contrasted,
    holds_near,
    holds_type,
    is_open,
    masked,
)


@pytest.mark.parametrize(
    "text",
    [
        "年终奖怎么发还没定，等老板从外地回来再议",
        "车间要不要换新的定位仪，下次开会再议",
        "体检时间待定",
        "供应商还在谈，价格等下周再定",
    ],
)
def test_open_matters(text: str) -> None:
    assert is_open(text)


@pytest.mark.parametrize(
    "text", ["最终定了：10月15号上市", "店庆活动定在12月8号", "改到周四下午2点"]
)
def test_settled_matters(text: str) -> None:
    assert not is_open(text)


def test_a_question_about_the_status_is_answered_by_open() -> None:
    assert asks_status("年终奖的方案定了没")
    assert not asks_status("年终奖怎么发")


def test_money_is_asked_apart_from_counts() -> None:
    assert asked_types("空调加氟多少钱一瓶") == ("price",)
    assert asked_types("博世雨刮片进了多少对") == ("amount",)
    # 价格 as the subject of a who-question asks for a person, not a sum
    assert asked_types("酒花价格是谁去谈的") == ("who",)


@pytest.mark.parametrize(
    ("text", "holds"),
    [
        ("前片一套380，后片一套260，含税", True),
        ("每台每次保养按420算，月结", True),
        ("上个月总共花了8.6万", True),
        ("原厂件要等10天，副厂件明天就到", False),
        ("美孚机油补了30桶", False),
        ("首保改到周四下午2点", False),
    ],
)
def test_what_holds_a_price(text: str, holds: bool) -> None:
    assert holds_type(text, "price") is holds


def test_the_question_s_own_numbers_are_no_answer() -> None:
    named = codes("2号举升机厂家哪天来修")
    assert named == ("2",)
    assert holds_type("2号举升机修好了", "when")  # 2号 reads as a date ...
    assert not holds_type(masked("2号举升机修好了", named), "when")  # ... but is the machine
    assert holds_type(masked("2号举升机厂家说周四来修", named), "when")
    assert masked("12号和2号", ("2",)) == "12号和□号"


def test_attributes_asked() -> None:
    assert asked_attributes("博世刹车片的质保期多久") == ("质保期",)
    assert "到期" in asked_attributes("出租车队的保养合同哪天到期")
    assert asked_attributes("雅阁变速箱保养哪天做完的") == ("做完",)
    # 几号 picks out the noun after it: the stall is the answer's kind, not a predicate
    assert asked_attributes("啤酒节我们是几号摊位") == ()


def test_a_sibling_of_the_asked_word() -> None:
    assert contrasted("桂花小麦罐装的零售价多少", {"罐装"}, {"瓶装", "零售价"}) == (
        "罐装",
        "瓶装",
    )
    # the noun a question word picks out is answered by a value of its kind
    assert contrasted("横幅订的什么颜色", {"颜色"}, {"红色", "横幅"}) is None
    # pointing modifiers and grammar heads are no siblings
    assert contrasted("地砖多少钱一片", {"一片"}, {"每片"}) is None
    assert contrasted("拉格为什么要降到10度", {"降到"}, {"收到"}) is None


def test_a_length_of_time_is_asked_apart_from_a_moment() -> None:
    assert asked_types("开放日要表演多久") == ("duration",)
    assert asked_types("秋游什么时候出发") == ("when",)
    assert asked_types("多久能到货") == ("when", "duration")  # how soon: a day answers too
    assert holds_type("用户申请后3个工作日内处理完", "duration")
    assert holds_type("表演大概20分钟", "duration")
    assert not holds_type("家长开放日定在11月20号下午3点", "duration")


def test_a_time_next_to_what_is_asked() -> None:
    listed = "这个月重点：出租车队的保养合同、店庆活动的场地布置和礼品采购、月底前完成仓库盘点"
    assert holds_near(listed, "when", ("盘点",))
    assert not holds_near(listed, "when", ("合同",))
    assert holds_near("合同月底到期", "when", ("合同",))  # a short line only needs to hold it
