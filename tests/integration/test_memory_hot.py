"""The in-memory copy of the memory's index (``assistant.memory.hot``) against the stores it
copies: the same BM25 as SQL and the same cosine ranking as Chroma (embedded and a ``chroma
run`` server), on SQLite and PostgreSQL; and copies in two apps on one database (the API and
the worker) following each other's writes through the change log, removals included."""

from __future__ import annotations

import json
from dataclasses import replace
from datetime import UTC, datetime, timedelta
from pathlib import Path
from typing import Any

import pytest
from typer.testing import CliRunner

from assistant.bootstrap import Qunmi, bootstrap
from assistant.clock import FixedClock
from assistant.memory.documents import fingerprint
from assistant.memory.hot import HotHistory
from assistant.memory.ports import DocFilter, HistoryDoc
from assistant.memory.search import HistorySearch
from assistant.memory.tokens import document_terms, normalize, query_terms
from assistant.settings import ChromaSettings, Settings
from evals.memory_eval import DEFAULT_HISTORY, DEFAULT_QUESTIONS, load_history, load_questions
from storage.history import repository
from storage.history.chroma import ChromaHistoryIndex, chroma_client_factory
from storage.history.feed import SqlHistoryFeed
from storage.migrate import upgrade
from storage.unit_of_work import make_engine, make_uow_factory
from tests.chroma_server import free_port
from tests.conftest import NOW

_LINES = 150  # of the development history: enough for ties, repeats and every filter


@pytest.fixture(params=["embedded", "server"])
def chroma_connect(request: pytest.FixtureRequest, tmp_path: Path) -> tuple[Any, str]:
    if request.param == "server":
        url = request.getfixturevalue("chroma_server")
        return chroma_client_factory(url=url, path=None), f"t{free_port()}"
    return chroma_client_factory(url=None, path=str(tmp_path / "chroma")), "hot"


def _corpus(uow_factory: Any, index: ChromaHistoryIndex) -> list[HistoryDoc]:
    """The first lines of the development history as passages: each chat its own project
    except the all-hands one, senders and chats as ids."""
    lines = sorted(load_history(DEFAULT_HISTORY), key=lambda h: h.time)[:_LINES]
    chats: dict[str, int] = {}
    senders: dict[str, int] = {}
    docs = []
    for n, line in enumerate(lines, start=1):
        chat_id = chats.setdefault(line.chat, len(chats) + 1)
        docs.append(
            HistoryDoc(
                source="message",
                record_id=n,
                kind="task" if n % 7 == 0 else "message",
                text=line.text,
                time=line.time,
                version=fingerprint(line.text),
                chat_id=chat_id,
                chat=line.chat,
                project_id=None if line.chat == "全员群" else chat_id,
                sender_id=senders.setdefault(line.sender, len(senders) + 1),
                sender=line.sender,
            )
        )
    with uow_factory() as uow:
        uow.history.replace_records([(d.record_key, [d], [document_terms(d.text)]) for d in docs])
        uow.commit()
    index.upsert(docs)
    with uow_factory() as uow:
        uow.history.vectors_done(uow.history.pending_vectors(limit=len(docs) + 1))
        uow.commit()
    return docs


def _filters(docs: list[HistoryDoc]) -> list[DocFilter]:
    middle = docs[len(docs) // 2].time
    return [
        DocFilter(),
        DocFilter(project_ids=(1,)),
        DocFilter(project_ids=(1, 2)),
        DocFilter(chat_ids=(2,)),
        DocFilter(kinds=("task",)),
        DocFilter(since=middle),
        DocFilter(until=middle),
        DocFilter(project_ids=(1,), since=middle - timedelta(days=7)),
    ]


def _scores(hits: list[Any], digits: int) -> list[float]:
    return [round(h.score, digits) for h in hits]


def _above_ties(hits: list[Any], digits: int) -> set[str]:
    """The passages ranked strictly above the last score shown (equal scores at the cut
    may be cut differently)."""
    if not hits:
        return set()
    last = round(hits[-1].score, digits)
    return {h.doc.doc_id for h in hits if round(h.score, digits) > last}


def test_the_copy_ranks_as_sql_and_chroma_do(
    database_url: str, chroma_connect: tuple[Any, str], e5_embedder: Any
) -> None:
    engine = make_engine(database_url)
    upgrade(engine)
    uow_factory = make_uow_factory(engine)
    connect, prefix = chroma_connect
    index = ChromaHistoryIndex(connect=connect, embedder=e5_embedder, prefix=prefix)
    try:
        docs = _corpus(uow_factory, index)
        hot = HotHistory(feed=SqlHistoryFeed(engine), index=lambda: index, background=False)
        hot.load()
        assert hot.ready and hot.status().docs == len(docs) == hot.status().vectors
        stores = HistorySearch(uow_factory=uow_factory, index=lambda: index)
        copied = HistorySearch(uow_factory=uow_factory, index=lambda: index, hot=hot)
        questions = [q.question for q in load_questions(DEFAULT_QUESTIONS)[:12]]
        compared = same_top = 0
        for question in questions:
            terms = query_terms(question)
            vector = e5_embedder.embed_query(question)
            for filters in _filters(docs):
                with uow_factory() as uow:
                    sql = uow.history.keyword_search(terms, filters=filters, limit=15)
                    assert hot.term_weights(terms) == pytest.approx(uow.history.term_weights(terms))
                    ids = [d.doc_id for d in docs[:40]]
                    assert hot.doc_terms(ids, terms) == uow.history.doc_terms(ids, terms)
                    assert hot.doc_terms(ids) == uow.history.doc_terms(ids)
                    within = uow.history.filtered_doc_ids(filters, limit=1000)
                mine = hot.keyword_search(terms, filters=filters, limit=15)
                assert _scores(mine, 9) == _scores(sql, 9)
                assert _above_ties(mine, 9) == _above_ties(sql, 9)
                assert all(filters.matches(h.doc) for h in mine)
                chroma = index.search(vector, filters=filters, limit=10, within=within)
                exact = hot.vector_search(vector, filters=filters, limit=10)
                assert exact is not None
                # Chroma returns float32 distances: equal to 1e-4, not always on the same
                # side of a 4th-digit rounding.
                assert [h.score for h in exact] == pytest.approx(
                    [h.score for h in chroma], abs=1e-4
                )
                assert _above_ties(exact, 4) == _above_ties(chroma, 4)
                a = stores.search(question, filters=filters, limit=5).hits
                b = copied.search(question, filters=filters, limit=5).hits
                compared += 1
                same_top += [normalize(h.doc.text) for h in a] == [normalize(h.doc.text) for h in b]
        # Equal scores are ordered by age in the copy and by the plan in SQL; the development
        # history repeats lines, so a few fused lists differ at the tail, never most.
        assert same_top >= 0.9 * compared
    finally:
        index.reset()
        engine.dispose()


def _settings(tmp_path: Path, database_url: str, url: str, prefix: str) -> Settings:
    return Settings(
        _env_file=None,  # type: ignore[call-arg]
        data_dir=tmp_path / "data",
        database_url=database_url,
        engine="rules",
        console_url="",
        chroma=ChromaSettings(url=url, collection_prefix=prefix),
    )


def _hot(q: Qunmi) -> HotHistory:
    assert q.memory is not None and q.memory.search_use_case.hot is not None
    return q.memory.search_use_case.hot


def _texts(q: Qunmi, query: str, **filters: Any) -> list[str]:
    assert q.memory is not None
    return [h.doc.text for h in q.memory.search(query, filters=DocFilter(**filters)).hits]


def test_two_apps_follow_each_others_writes_through_the_log(
    tmp_path: Path, database_url: str, chroma_server: str, e5_embedder: Any
) -> None:
    """The worker (A) indexes, the API (B) searches: B's copy sees A's new passages at its
    next search, and stops returning a passage A replaced and removed, though B never looked
    in between (the removal is only in the log)."""
    settings = _settings(tmp_path, database_url, chroma_server, f"t{free_port()}")
    clock = FixedClock(NOW)
    worker = bootstrap(settings, clock=clock, embedder=e5_embedder)
    api = bootstrap(settings, clock=clock, embedder=e5_embedder)
    try:
        assert api.memory is not None and worker.memory is not None
        copy = _hot(api)
        copy._background = False
        copy.load()
        assert copy.status().docs == 0
        index = worker.memory.index()
        base = NOW - timedelta(days=3)
        old = HistoryDoc(
            source="message",
            record_id=1,
            kind="message",
            text="首页主色调用蓝色，设计稿放在共享盘",
            time=base,
            version="v1",
            chat_id=1,
            project_id=1,
        )
        other = HistoryDoc(
            source="message",
            record_id=2,
            kind="message",
            text="支付对接由吴昊负责",
            time=base + timedelta(hours=1),
            version="v1",
            chat_id=2,
            project_id=2,
        )
        with worker.uow_factory() as uow:
            uow.history.replace_records(
                [(d.record_key, [d], [document_terms(d.text)]) for d in (old, other)]
            )
            uow.commit()
        # Keywords are searchable as soon as SQL has them; vectors once they are in Chroma.
        assert _texts(api, "设计稿放在哪") == [old.text]
        assert copy.status().docs == 2 and copy.status().vectors == 0
        assert worker.memory.indexer.index_vectors() == 2
        assert _texts(api, "谁负责支付", project_ids=(2,)) == [other.text]
        assert copy.status().vectors == 2
        assert copy.vector_search(
            e5_embedder.embed_query("支付谁负责"), filters=DocFilter(project_ids=(2,)), limit=5
        )

        # A replaces the first passage and finishes its vectors (the old row is deleted) before
        # B searches again.
        new = HistoryDoc(
            source="message",
            record_id=1,
            kind="message",
            text="首页主色调改为品牌绿，设计稿v2放在蓝湖",
            time=base + timedelta(hours=2),
            version="v2",
            chat_id=1,
            project_id=1,
        )
        with worker.uow_factory() as uow:
            uow.history.replace_record(new.record_key, [new], [document_terms(new.text)])
            uow.commit()
        assert worker.memory.indexer.index_vectors() == 2  # one upsert, one delete
        with worker.uow_factory() as uow:
            assert uow.history.get_docs([old.doc_id]) == {}
        assert index.vectors([old.doc_id]) == {}
        assert _texts(api, "首页主色调", project_ids=(1,)) == [new.text]
        status = copy.status()
        assert status.docs == 2 and status.vectors == 2
        assert copy.doc_terms([old.doc_id]) == {}
        assert status.seq == SqlHistoryFeed(worker.db_engine).head().seq
    finally:
        worker.close()
        api.close()


def test_a_copy_reloads_after_a_rebuild_and_when_the_log_was_pruned(
    tmp_path: Path, database_url: str, chroma_server: str, e5_embedder: Any, monkeypatch: Any
) -> None:
    settings = _settings(tmp_path, database_url, chroma_server, f"t{free_port()}")
    clock = FixedClock(NOW)
    q = bootstrap(settings, clock=clock, embedder=e5_embedder)
    try:
        assert q.memory is not None
        copy = _hot(q)
        copy._background = False
        copy.load()
        doc = HistoryDoc(
            source="message",
            record_id=7,
            kind="message",
            text="周报模板放在飞书文档",
            time=NOW - timedelta(days=1),
            version="v1",
            chat_id=1,
            project_id=1,
        )
        with q.uow_factory() as uow:
            uow.history.replace_records([(doc.record_key, [doc], [document_terms(doc.text)])])
            uow.commit()
        assert _texts(q, "周报模板") == [doc.text]
        epoch = SqlHistoryFeed(q.db_engine).head().epoch

        # A rebuild clears the passages (a new epoch): the copy starts again, not from its
        # number; here no records exist, so nothing comes back.
        q.memory.indexer.rebuild()
        assert SqlHistoryFeed(q.db_engine).head().epoch > epoch
        assert _texts(q, "周报模板") == []
        assert copy.ready and copy.status().docs == 0

        # Log entries older than a day are pruned; a copy that held an older number reloads.
        stale = HotHistory(feed=SqlHistoryFeed(q.db_engine), index=q.memory.index, background=False)
        stale.load()
        with q.uow_factory() as uow:
            uow.history.replace_records([(doc.record_key, [doc], [document_terms(doc.text)])])
            uow.commit()
        clock_later = datetime.now(UTC) + timedelta(days=2)
        monkeypatch.setattr(repository, "_PRUNE_EVERY", 1)
        monkeypatch.setattr(repository, "_now", lambda: clock_later)
        with q.uow_factory() as uow:
            uow.history.vectors_done(uow.history.pending_vectors(limit=10))
            uow.commit()
        head = SqlHistoryFeed(q.db_engine).head()
        assert head.floor > stale.status().seq
        assert stale.refresh() and stale.status().docs == 1
        assert stale.doc_terms([doc.doc_id])
    finally:
        q.close()


def test_eval_memory_prints_the_no_answer_threshold(tmp_path: Path) -> None:
    from assistant.cli import app

    result = CliRunner().invoke(
        app, ["eval", "memory", "--embedders", "", "--cache", str(tmp_path), "--json"]
    )
    assert result.exit_code == 0, result.output
    modes = json.loads(result.output[result.output.index("{") :])["modes"]  # after the progress
    assert [m["no_answer_threshold"] for m in modes] == [0.6]
    table = CliRunner().invoke(app, ["eval", "memory", "--embedders", "", "--cache", str(tmp_path)])
    assert table.exit_code == 0 and "没找到阈值" in table.output and "0.60" in table.output


def test_a_copy_compacts_after_many_removals_and_still_ranks_as_sql(tmp_path: Path) -> None:
    """Removed passages only leave marks behind; past half of the slots the copy starts
    afresh from what is alive, and BM25 stays what SQL computes (keywords only here)."""
    engine = make_engine(f"sqlite:///{tmp_path / 'compact.db'}")
    upgrade(engine)
    uow_factory = make_uow_factory(engine)
    lines = [h.text for h in load_history(DEFAULT_HISTORY)]
    docs = [
        HistoryDoc(
            source="message",
            record_id=n,
            kind="message",
            text=f"{lines[n % len(lines)]} 第{n}条",
            time=NOW - timedelta(minutes=5000 - n),
            version=f"v{n}",
            chat_id=n % 3 + 1,
            project_id=n % 3 + 1,
        )
        for n in range(5000)
    ]
    with uow_factory() as uow:
        uow.history.replace_records([(d.record_key, [d], [document_terms(d.text)]) for d in docs])
        uow.commit()
    hot = HotHistory(feed=SqlHistoryFeed(engine), index=None, background=False, freeze=False)
    hot.load()
    with uow_factory() as uow:  # most records lose their passage
        uow.history.replace_records([(d.record_key, [], []) for d in docs[:3500]])
        uow.commit()
    assert hot.refresh()
    assert hot._n == hot.status().docs == 1500  # compacted: no slot of a removed passage left
    for question in [q.question for q in load_questions(DEFAULT_QUESTIONS)[:15]]:
        terms = query_terms(question)
        for filters in (DocFilter(), DocFilter(project_ids=(2,))):
            with uow_factory() as uow:
                sql = uow.history.keyword_search(terms, filters=filters, limit=20)
            mine = hot.keyword_search(terms, filters=filters, limit=20)
            assert _scores(mine, 9) == _scores(sql, 9)
            assert _above_ties(mine, 9) == _above_ties(sql, 9)
            assert all(h.doc.record_id >= 3500 for h in mine)
    engine.dispose()


def _vector_hits(hot: HotHistory, vectors: list[Any]) -> list[list[tuple[str, float]]]:
    out = []
    for vector in vectors:
        for filters in (DocFilter(), DocFilter(project_ids=(1,)), DocFilter(kinds=("task",))):
            found = hot.vector_search(vector, filters=filters, limit=10)
            assert found is not None
            out.append([(h.doc.doc_id, h.score) for h in found])
    return out


def test_a_load_reads_the_vectors_the_last_one_kept(tmp_path: Path, e5_embedder: Any) -> None:
    """A full load keeps the vectors it attached in one file; the next load reads them from
    it (the store is asked only for the passages the file lacks) and ranks exactly alike. A
    damaged file is passed over, and replaced."""
    engine = make_engine(f"sqlite:///{tmp_path / 'kept.db'}")
    upgrade(engine)
    uow_factory = make_uow_factory(engine)
    index = ChromaHistoryIndex(
        connect=chroma_client_factory(url=None, path=str(tmp_path / "chroma")),
        embedder=e5_embedder,
        prefix="kept",
    )
    kept = tmp_path / "hot-vectors"

    def loaded() -> HotHistory:
        hot = HotHistory(
            feed=SqlHistoryFeed(engine), index=lambda: index, background=False, vector_dir=kept
        )
        hot.load()
        return hot

    try:
        docs = _corpus(uow_factory, index)
        vectors = [
            e5_embedder.embed_query(q.question) for q in load_questions(DEFAULT_QUESTIONS)[:8]
        ]
        first = loaded()
        assert first.vectors_from_file == 0 and first.status().vectors == len(docs)
        lists = sorted(kept.glob("*.ids"))
        assert len(lists) == 1 and len(list(kept.glob("*.npy"))) == 1
        second = loaded()
        assert second.vectors_from_file == len(docs) == second.status().vectors
        assert _vector_hits(second, vectors) == _vector_hits(first, vectors)

        new = replace(docs[0], record_id=10_000, text="新来的一条：首页改版定在周五", version="n1")
        with uow_factory() as uow:
            uow.history.replace_records([(new.record_key, [new], [document_terms(new.text)])])
            uow.commit()
        index.upsert([new])
        with uow_factory() as uow:
            uow.history.vectors_done(uow.history.pending_vectors(limit=10))
            uow.commit()
        third = loaded()  # the file lacks one: asked of the store, and the file rewritten
        assert third.vectors_from_file == len(docs)
        assert third.status().vectors == len(docs) + 1
        assert loaded().vectors_from_file == len(docs) + 1
        assert len(list(kept.glob("*.npy"))) == 1  # the older matrix is gone

        (ids_file,) = kept.glob("*.ids")
        ids_file.write_text("../../etc/passwd.npy\nmessage:1:0:x\n", encoding="utf-8")
        damaged = loaded()
        assert damaged.vectors_from_file == 0
        assert damaged.status().vectors == len(docs) + 1
        assert _vector_hits(damaged, vectors) == _vector_hits(third, vectors)
        assert loaded().vectors_from_file == len(docs) + 1  # written anew
    finally:
        index.reset()
        engine.dispose()
