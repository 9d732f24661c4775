"""Pure pieces of the memory: terms, cues, chunks and passages from records."""

from __future__ import annotations

from datetime import timedelta

from assistant.domain import Chat, Member, Message, MessageKind, MessageState
from assistant.memory.cues import (
    asked_attributes,
    asked_types,
    asks_latest,
    has_cjk,
    has_revision_cue,
    holds_type,
    is_question,
    who_verbs,
)
from assistant.memory.documents import chunk_text, message_docs
from assistant.memory.tokens import document_terms, query_terms
from tests.conftest import NOW


def test_terms_keep_names_files_and_numbers_and_drop_function_words() -> None:
    terms = document_terms("设计稿v2放在共享盘 /设计/官网/首页_v2.fig，测试环境 test.yunfan.com")
    assert {"设计稿", "共享盘", "v2.fig", "test.yunfan.com", "测试环境"} <= set(terms)
    assert query_terms("首页改版我们之前怎么定的？") == ["首页", "改版"]
    assert query_terms("ＶＰＮ换成什么了") == ["vpn", "换成"]  # full-width folded


def test_cues() -> None:
    assert is_question("测试环境什么时候有？") and is_question("银联这期先不做吗")
    assert is_question("谁负责支付") and not is_question("支付对接改由吴昊负责")
    assert has_revision_cue("对账时间改到每天凌晨2点") and has_revision_cue("上线推迟到11月22日")
    assert has_revision_cue("最新版以蓝湖上这个为准") and not has_revision_cue("今天下午茶有蛋糕")


def test_answer_types_asked_and_held() -> None:
    assert asked_types("发酵罐采购是谁批的") == ("who",)
    assert asked_types("酒标文件叫什么") == ("file",) and "file" in asked_types("配方链接发一下")
    assert asked_types("为什么改成罐装") == ("reason",)
    assert asked_types("Who approved the new fermenters?") == ("who",)
    assert asked_types("When will it launch?") == ("when",)
    assert asks_latest("桂花小麦最后定的哪天上市") and asks_latest("Which supplier do we use now?")
    # The sender is the answer to 谁 when the line says what they did or decided.
    assert holds_type("采购申请我批了，在预算内", "who")
    assert holds_type("打酒机我来搬", "who") and holds_type("同意赵敏的方案", "who")
    assert not holds_type("麦芽这个月的价格比上个月高了一些", "who")
    assert holds_type("终稿：酒标_终稿.ai 在共享盘", "file")
    assert holds_type("配方在这 https://docs.example.cn/recipe/v4", "file")
    assert not holds_type("酒标我这周出", "file")
    assert holds_type("主要是玻璃瓶运费太贵，破损也多", "reason")
    assert not holds_type("IPA下个月改成罐装", "reason")
    # A figure counts; a code (B12, IPA-330C) or an ordinal (第一批) does not.
    assert holds_type("2400支 入库了", "amount") and holds_type("对，两吨", "amount")
    assert not holds_type("B12批次今天装瓶", "amount")
    assert not holds_type("罐装IPA第一批B20下周装", "amount")
    assert has_cjk("B17批次") and not has_cjk("Dry hop batch B17 on day 5")


def test_who_questions_want_the_deed_they_name() -> None:
    assert "同意" in who_verbs("啤酒节双摊位的方案谁批的")
    assert who_verbs("酒花价格是谁去谈的") == ("谈",)
    assert "接手" in who_verbs("谁负责支付对接") and "接手" in who_verbs("支付现在是谁在跟")
    assert who_verbs("物流慢的问题反馈给谁了") == ("反馈",)
    verbs = who_verbs("桂花小麦的海报是谁批的")
    assert holds_type("同意赵敏的方案，就按这个搭", "who", verbs=verbs)
    assert not holds_type("海报我这周出", "who", verbs=verbs)  # a deed, not the one asked
    assert holds_type("找黄婷就行", "who", frozenset({"黄婷"}), verbs=verbs)  # a name


def test_asked_attributes_and_english_questions() -> None:
    assert asked_attributes("桂花小麦的IBU是多少") == ("ibu",)
    assert asked_attributes("禾丰酒花的联系人电话多少") == ("联系人电话",)
    # Not the category after the question word, nor the verb next to 谁, nor a reason.
    assert asked_attributes("官网首页最后用的什么颜色") == ()
    assert asked_attributes("谁负责支付对接") == () and asked_attributes("为什么改成罐装") == ()
    assert asked_attributes("官网改版的预算是多少") == ("预算",)
    # An English question also looks for the Chinese words of its own; a Chinese one does not
    # change, and English function words are not terms.
    terms = query_terms("Who approved the purchase?")
    assert {"approved", "purchase", "批准", "采购"} <= set(terms) and "the" not in terms
    assert query_terms("Who approved the purchase?", translate=False) == ["approved", "purchase"]
    assert query_terms("谁批的采购") == ["批", "采购"]


def test_chunks_overlap_and_cover_the_text() -> None:
    text = "。".join(f"第{i}句话讲的是会议里的第{i}个议题" for i in range(40)) + "。"
    chunks = chunk_text(text, size=120)
    assert len(chunks) > 3 and all(len(c) <= 160 for c in chunks)
    assert "第0句" in chunks[0] and "第39句" in chunks[-1]
    assert chunk_text("短") == ["短"] and chunk_text("   ") == []


def _message(text: str, n: int, kind: MessageKind = MessageKind.TEXT) -> Message:
    return Message(
        id=n,
        channel="test",
        external_id=str(n),
        text=text,
        received_at=NOW + timedelta(minutes=n),
        chat_id=1,
        sender_id=1,
        kind=kind,
        state=MessageState.DONE,
    )


def test_message_passages() -> None:
    chat, sender = Chat(id=1, name="小程序群"), Member(id=1, display_name="张伟")
    asked = message_docs(
        _message("小程序用 uni-app 还是原生写？", 1), chat=chat, sender=sender, project=None
    )
    reply = message_docs(
        _message("用 uni-app，一套代码", 2),
        chat=chat,
        sender=sender,
        project=None,
        previous=asked[0],
    )
    assert (
        reply[0].context == "小程序用 uni-app 还是原生写？"
        and reply[0].text == "用 uni-app，一套代码"
    )
    assert "小程序" in document_terms(reply[0].indexed_text)
    late = _message("用 uni-app，一套代码", 150)
    assert (
        message_docs(late, chat=chat, sender=sender, project=None, previous=asked[0])[0].context
        is None
    )
    # A terse line leaves its subject to the line before it (within two hours), a question
    # or not; a line that says enough by itself is searched alone.
    told = message_docs(_message("B12批次今天装瓶", 10), chat=chat, sender=sender, project=None)
    terse = message_docs(
        _message("2400支 入库了 3号冷库", 85),
        chat=chat,
        sender=sender,
        project=None,
        previous=told[0],
    )
    assert terse[0].context == "B12批次今天装瓶"
    assert "b12" in document_terms(terse[0].indexed_text)
    full = message_docs(
        _message("装瓶完成以后统一放到三号冷库，周四之前分一半送去门店", 85),
        chat=chat,
        sender=sender,
        project=None,
        previous=told[0],
    )
    assert full[0].context is None
    # Short, but with a figure: kept ("对，两吨"); short without one: not ("收到").
    assert message_docs(_message("对，两吨", 86), chat=chat, sender=sender, project=None)
    # An acknowledgement is not given the line before it as its subject.
    thanks = message_docs(
        _message("谢谢大家", 87), chat=chat, sender=sender, project=None, previous=told[0]
    )
    assert thanks[0].context is None
    assert message_docs(_message("收到", 3), chat=chat, sender=sender, project=None) == []
    voice = message_docs(
        _message("明天下午开会讨论首页", 4, MessageKind.VOICE),
        chat=chat,
        sender=sender,
        project=None,
    )
    assert voice[0].kind == "transcript"
    again = message_docs(
        _message("明天下午开会讨论首页", 4, MessageKind.VOICE),
        chat=chat,
        sender=sender,
        project=None,
    )
    assert again[0].doc_id == voice[0].doc_id  # stable per record and version
    pending = _message("还没处理完的消息内容", 5)
    pending.state = MessageState.RECEIVED
    assert message_docs(pending, chat=chat, sender=sender, project=None) == []
