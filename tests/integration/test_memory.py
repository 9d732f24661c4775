"""Team memory end to end: real chat messages through the inbox, the real rule engine and
executor, the SQL keyword index, the real bundled e5 model and real Chroma, embedded and as a
``chroma run`` server."""

from __future__ import annotations

from datetime import datetime, timedelta
from pathlib import Path
from typing import Any

import pytest

from assistant.bootstrap import Qunmi, bootstrap
from assistant.clock import FixedClock
from assistant.domain import Member, MessageState, Role, ToolCall
from assistant.memory.ports import DocFilter, HistoryDoc
from assistant.services.inbox import Inbound
from assistant.settings import ChromaSettings, Settings
from storage.history.chroma import ChromaHistoryIndex, chroma_client_factory
from tests.chroma_server import ChromaServer, free_port
from tests.conftest import NOW, TZ
from tools.executor import CallContext

HISTORY = [
    ("官网改版群", "张伟", "启动会结论：首页主色调用蓝色，突出科技感"),
    ("官网改版群", "王磊", "设计稿v2放在共享盘 /设计/官网/首页_v2.fig"),
    ("支付对接群", "张伟", "支付对接这块先由陈刚负责，需要对接微信支付和支付宝"),
    ("官网改版群", "周杰", "首页蓝色太冷了，跟新VI不搭，换成绿色吧"),
    ("官网改版群", "张伟", "好的，那首页主色调改为品牌绿 #1F6F4A"),
    ("支付对接群", "张伟", "通知一下：支付对接改由吴昊负责，陈刚调去小程序项目"),
    ("全员群", "黄婷", "收到"),
]


@pytest.fixture(params=["embedded", "server"])
def chroma(request: pytest.FixtureRequest, tmp_path: Path) -> ChromaSettings:
    if request.param == "server":
        return ChromaSettings(
            url=request.getfixturevalue("chroma_server"), collection_prefix=f"t{free_port()}"
        )
    return ChromaSettings(path=tmp_path / "chroma")


def _qunmi(settings: Settings, clock: FixedClock, embedder: Any) -> Qunmi:
    return bootstrap(settings, clock=clock, embedder=embedder)


def _say(q: Qunmi, clock: FixedClock, chat: str, sender: str, text: str) -> int:
    message, _ = q.inbox.receive(
        Inbound(channel="test", chat=chat, sender=sender, text=text, received_at=clock.now())
    )
    assert message.id is not None
    outcome = q.processor.process(message.id)
    assert outcome.state == MessageState.DONE
    return message.id


def _history(q: Qunmi, clock: FixedClock) -> list[int]:
    ids = []
    for chat, sender, text in HISTORY:
        clock.advance(timedelta(hours=5))
        ids.append(_say(q, clock, chat, sender, text))
    return ids


def test_messages_are_indexed_searched_and_answered(
    settings: Settings, chroma: ChromaSettings, clock: FixedClock, e5_embedder: Any
) -> None:
    settings = settings.model_copy(update={"chroma": chroma, "console_url": "http://console"})
    q = _qunmi(settings, clock, e5_embedder)
    try:
        assert q.memory is not None
        ids = _history(q, clock)
        stats = q.memory.indexer.stats()
        assert stats.queued_records >= len(HISTORY)  # queued with the processing, not yet done
        report = q.memory.indexer.drain()
        assert report.vector_error is None
        stats = q.memory.indexer.stats()
        assert (stats.queued_records, stats.pending_vectors) == (0, 0)
        assert stats.docs_by_kind == {"message": len(HISTORY) - 1}  # "收到" is not kept
        assert q.memory.index().count() == len(HISTORY) - 1

        # Exact words (a file name) are found by keywords and by the hybrid ranking.
        result = q.memory.search("首页_v2.fig", filters=DocFilter(), limit=3)
        assert result.hits[0].doc.record_id == ids[1] and result.degraded is None
        keyword = q.memory.search("首页_v2.fig", filters=DocFilter(), mode="keyword")
        assert keyword.hits[0].doc.record_id == ids[1]

        # A paraphrase with no shared words is found by meaning.
        vector = q.memory.search("付款接入谁在管", filters=DocFilter(), mode="vector", limit=3)
        assert {h.doc.record_id for h in vector.hits} & {ids[2], ids[5]}

        # A decision reversed later: the later one stands, with who said it, when and a link.
        answer = q.memory.ask("谁负责支付对接", filters=DocFilter(), now=clock.now())
        assert answer.found and answer.sources[0].record_id == ids[5]
        assert answer.sources[0].sender == "张伟" and answer.sources[0].chat == "支付对接群"
        link = answer.sources[0].link or ""
        assert link.startswith("http://console/?chat=") and link.endswith(f"&message={ids[5]}")
        colour = q.memory.ask("首页改版之前怎么定的主色调", filters=DocFilter(), now=clock.now())
        assert colour.found and colour.sources[0].record_id in (ids[3], ids[4])

        # Nothing in the history answers this: an honest 没找到.
        none = q.memory.ask("年会定在哪里办", filters=DocFilter(), now=clock.now())
        assert not none.found and none.text.startswith("没找到") and not none.sources

        # As of an earlier moment, later messages are not seen.
        early = q.memory.ask("谁负责支付对接", filters=DocFilter(), now=NOW + timedelta(hours=16))
        assert early.found and early.sources[0].record_id == ids[2]

        # Filters: one chat, one kind.
        in_chat = q.memory.filters(chat="支付对接群")
        hits = q.memory.search("负责", filters=in_chat).hits
        assert hits and {h.doc.chat for h in hits} == {"支付对接群"}
        assert q.memory.search("负责", filters=q.memory.filters(kind="task")).hits == []
    finally:
        q.close()


def test_tasks_with_history_and_meetings_are_indexed_once_per_version(
    tmp_path: Path, clock: FixedClock, e5_embedder: Any
) -> None:
    settings = Settings(
        _env_file=None,  # type: ignore[call-arg]
        data_dir=tmp_path / "data",
        engine="rules",
        console_url="",
    )
    q = _qunmi(settings, clock, e5_embedder)
    try:
        assert q.memory is not None
        with q.uow_factory() as uow:
            uow.members.add(Member(display_name="王磊", role=Role.PM, created_at=NOW))
            uow.commit()
        created = q.executor.execute(
            ToolCall("create_task", {"title": "出登录页设计稿", "assignee": "王磊"}),
            CallContext(actor="王磊"),
        )
        assert created.ok
        q.memory.indexer.drain()
        first = q.memory.search("登录页设计稿", filters=q.memory.filters(kind="task")).hits
        assert len(first) == 1 and "出登录页设计稿" in first[0].doc.text

        q.memory.indexer.drain()  # nothing new: nothing changes
        assert q.memory.index().count() == 1
        clock.advance(timedelta(hours=2))
        q.executor.execute(
            ToolCall(
                "update_task",
                {"task": "登录页", "status": "blocked", "progress_note": "等第三方接口"},
            ),
            CallContext(actor="王磊"),
        )
        q.memory.indexer.drain()
        hits = q.memory.search("登录页为什么卡住了", filters=q.memory.filters(kind="task")).hits
        assert len(hits) == 1 and "等第三方接口" in hits[0].doc.text
        assert hits[0].doc.version != first[0].doc.version
        assert q.memory.index().count() == 1  # the old version is gone from the vector store

        q.executor.execute(
            ToolCall(
                "create_meeting",
                {"title": "首页改版讨论", "start": (NOW + timedelta(days=1)).isoformat()},
            ),
            CallContext(actor="王磊"),
        )
        with q.uow_factory() as uow:
            meeting = uow.meetings.list().items[0]
            meeting.transcript = "今天讨论首页改版。决定首页banner用视频背景，视频压到3MB以内。"
            uow.meetings.update(meeting)
            uow.commit()
        q.memory.indexer.drain()
        found = q.memory.search("banner 视频多大", filters=q.memory.filters(kind="transcript"))
        assert found.hits and found.hits[0].doc.title == "首页改版讨论"

        rebuilt = q.memory.indexer.rebuild()
        assert rebuilt.records >= 2 and q.memory.indexer.stats().pending_vectors == 0
        assert q.memory.index().count() == q.memory.indexer.stats().docs
    finally:
        q.close()


def test_with_chroma_down_messages_are_processed_and_indexed_once_it_is_back(
    tmp_path: Path, clock: FixedClock, e5_embedder: Any
) -> None:
    port = free_port()
    settings = Settings(
        _env_file=None,  # type: ignore[call-arg]
        data_dir=tmp_path / "data",
        engine="rules",
        console_url="",
        chroma=ChromaSettings(url=f"http://127.0.0.1:{port}"),
    )
    q = _qunmi(settings, clock, e5_embedder)
    server = ChromaServer(tmp_path / "chroma", port=port)
    try:
        assert q.memory is not None
        ids = _history(q, clock)
        report = q.memory.indexer.drain()
        assert report.vector_error and "向量库" in report.vector_error
        stats = q.memory.indexer.stats()
        assert stats.queued_records == 0 and stats.pending_vectors == len(HISTORY) - 1
        # Keyword search still answers, and says it is degraded.
        result = q.memory.search("首页_v2.fig", filters=DocFilter())
        assert result.degraded and result.hits[0].doc.record_id == ids[1]
        with pytest.raises(Exception, match="向量库"):
            q.memory.search("首页", filters=DocFilter(), mode="vector")

        server.start()
        assert q.memory.indexer.drain().vectors == 0  # still within the pause
        clock.advance(timedelta(minutes=10))
        assert q.memory.indexer.drain().vectors == len(HISTORY) - 1
        stats = q.memory.indexer.stats()
        assert stats.pending_vectors == 0 and stats.last_error is None
        assert q.memory.search("首页_v2.fig", filters=DocFilter()).degraded is None
    finally:
        q.close()
        server.stop()


def test_project_collections_and_filters(tmp_path: Path, e5_embedder: Any) -> None:
    index = ChromaHistoryIndex(
        connect=chroma_client_factory(url=None, path=str(tmp_path / "chroma")),
        embedder=e5_embedder,
        prefix="contract",
    )
    base = datetime(2026, 11, 1, 9, 0, tzinfo=TZ)
    docs = [
        HistoryDoc(
            source="message",
            record_id=n,
            kind="message",
            text=text,
            time=base + timedelta(days=n),
            version="v1",
            chat_id=chat,
            project_id=project,
        )
        for n, (text, chat, project) in enumerate(
            [
                ("官网首页用绿色", 1, 1),
                ("支付接口文档在 Apifox", 2, 2),
                ("官网上线推迟到22号", 1, 1),
                ("团建改到周五", 3, None),
            ]
        )
    ]
    index.upsert(docs)
    index.upsert(docs[:1])  # idempotent
    assert index.count() == 4
    project = index.search("官网", filters=DocFilter(project_ids=(1,)), limit=10)
    assert {h.doc.record_id for h in project} == {0, 2}
    chat = index.search("周五", filters=DocFilter(chat_ids=(3,)), limit=10)
    assert [h.doc.record_id for h in chat] == [3]
    late = index.search("官网", filters=DocFilter(since=base + timedelta(days=2)), limit=10)
    assert {h.doc.record_id for h in late} == {2, 3}
    index.delete([docs[0].doc_id])
    assert {h.doc.record_id for h in index.search("官网", filters=DocFilter(project_ids=(1,)))} == {
        2
    }
    assert index.search("官网", filters=DocFilter(project_ids=(9,))) == []
    index.reset()
    assert index.count() == 0


def test_meeting_minutes_are_indexed_and_found(
    tmp_path: Path, clock: FixedClock, e5_embedder: Any
) -> None:
    from assistant.domain import Minutes

    settings = Settings(
        _env_file=None,
        data_dir=tmp_path / "data",
        engine="rules",
        console_url="",
    )
    q = _qunmi(settings, clock, e5_embedder)
    try:
        assert q.memory is not None
        with q.uow_factory() as uow:
            minutes = uow.minutes.add(
                Minutes(
                    created_at=NOW,
                    updated_at=NOW,
                    title="支付评审会",
                    started_at=NOW,
                    summary="评审了退款流程和对账方案",
                    decisions=[{"text": "对账结果每天早上9点前发到运营群"}],
                    action_items=[{"owner": "吴昊", "title": "补退款接口的单元测试"}],
                )
            )
            uow.commit()
        q.memory.indexer.drain()
        found = q.memory.search("对账结果发到哪", filters=q.memory.filters(kind="minutes")).hits
        assert found and found[0].doc.source == "minutes"
        assert found[0].doc.record_id == minutes.id and "支付评审会" in found[0].doc.text
        assert "吴昊：补退款接口的单元测试" in found[0].doc.text

        with q.uow_factory() as uow:  # edited minutes replace the passage, not add one
            again = uow.minutes.get(minutes.id or 0)
            assert again is not None
            again.decisions = [{"text": "对账结果改为每天中午12点前发到财务群"}]
            uow.minutes.update(again)
            uow.commit()
        q.memory.indexer.drain()
        hits = q.memory.search("对账结果发到哪", filters=q.memory.filters(kind="minutes")).hits
        assert len(hits) == 1 and "财务群" in hits[0].doc.text
        assert q.memory.index().count() == 1
    finally:
        q.close()
