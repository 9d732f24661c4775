"""Pure pieces of the memory: terms, cues, chunks and passages from records."""

from __future__ import annotations

from datetime import timedelta

from assistant.domain import Chat, Member, Message, MessageKind, MessageState
from assistant.memory.cues import has_revision_cue, is_question
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
    late = _message("用 uni-app，一套代码", 90)
    assert (
        message_docs(late, chat=chat, sender=sender, project=None, previous=asked[0])[0].context
        is None
    )
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
