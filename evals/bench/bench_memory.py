"""Memory speed: indexing throughput and search latency at 10k and 100k passages, with and
without a project filter, next to raw Chroma queries on the same data.

Run: ``python -m evals.bench.bench_memory`` (``QUNMI_BENCH_MEMORY_SIZES=10000,100000``).

The passages are synthetic team chat (templates over subjects, people, numbers and files, in
20 projects). Embedding 100k texts with the bundled model would take an hour here, so the
corpus vectors come from a pool of 600 really embedded sentences (e5, cached on disk under
``data/cache``) plus a little noise; indexing throughput with the real model is measured on
its own, on fresh text. Built corpora are kept under ``data/bench/`` and reused. Search
latency is measured with the query vector already computed (the query cache a repeated
question hits); the model's own time per query is reported beside it.
"""

from __future__ import annotations

import os
import random
import shutil
import statistics
import time
from collections.abc import Callable
from datetime import datetime, timedelta
from pathlib import Path
from typing import Any
from zoneinfo import ZoneInfo

import numpy as np

from assistant.adapters.embeddings import CachingEmbedder, E5SmallEmbedder
from assistant.memory.documents import fingerprint
from assistant.memory.ports import DocFilter, HistoryDoc, Vectors
from assistant.memory.search import HistorySearch
from assistant.memory.tokens import document_terms
from evals.memory_eval import CachedEmbedder

TZ = ZoneInfo("Asia/Shanghai")
SIZES = [int(s) for s in os.environ.get("QUNMI_BENCH_MEMORY_SIZES", "10000,100000").split(",")]
QUERIES = int(os.environ.get("QUNMI_BENCH_MEMORY_QUERIES", "200"))
PROJECTS = 20
POOL = int(os.environ.get("QUNMI_BENCH_MEMORY_POOL", "600"))
ROOT = Path(os.environ.get("QUNMI_DATA_DIR", "data")) / "bench" / "memory"
CACHE = Path(os.environ.get("QUNMI_DATA_DIR", "data")) / "cache" / "embeddings"

_SUBJECTS = "首页 登录页 支付接口 退款流程 小程序 设计稿 测试报告 需求文档 周会 上线 备案 预算 对账 客服系统 埋点 海报 服务器 数据库 短信 物流 发票 合同 招聘 培训 直播".split()
_ACTIONS = "改成了 定为 推迟到 交给 放在 换成 确认了 取消了 提前到 更新为 还在等 已经完成".split()
_DETAILS = "绿色 方案B 11月22日 吴昊 共享盘 腾讯云 周五 3MB 8万 顺丰 MySQL v3 凌晨2点 2核4G 王磊 下周二 蓝湖 禅道".split()
_PEOPLE = "张伟 王磊 李娜 陈刚 吴昊 刘洋 赵敏 孙丽 周杰 黄婷".split()


def _sentence(rng: random.Random) -> str:
    return (
        f"{rng.choice(_SUBJECTS)}{rng.choice(['的方案', '这块', '的时间', '负责人', '文件'])}"
        f"{rng.choice(_ACTIONS)}{rng.choice(_DETAILS)}，{rng.choice(_PEOPLE)}"
        f"{rng.choice(['跟进', '确认一下', '有问题找我', '辛苦了', '今天搞定'])}"
    )


def _pool(embedder: Any) -> tuple[list[str], Vectors]:
    rng = random.Random(7)
    texts = list(dict.fromkeys(_sentence(rng) for _ in range(POOL * 2)))[:POOL]
    return texts, embedder.embed_documents(texts)


def _docs(n: int, texts: list[str], vectors: Vectors) -> tuple[list[HistoryDoc], Vectors]:
    rng = np.random.default_rng(n)
    pick = rng.integers(0, len(texts), size=n)
    noise = rng.standard_normal((n, vectors.shape[1])).astype(np.float32) * 0.01
    matrix = vectors[pick] + noise
    matrix /= np.linalg.norm(matrix, axis=1, keepdims=True)
    start = datetime(2026, 1, 1, 9, tzinfo=TZ)
    docs = []
    for i in range(n):
        project = i % PROJECTS + 1
        text = f"{texts[pick[i]]}（#{i}）"
        docs.append(
            HistoryDoc(
                source="message",
                record_id=i + 1,
                kind="message",
                text=text,
                time=start + timedelta(minutes=3 * i),
                version=fingerprint(text),
                chat_id=project,
                chat=f"项目{project}群",
                project_id=project,
                project=f"项目{project}",
                sender_id=i % len(_PEOPLE) + 1,
                sender=_PEOPLE[i % len(_PEOPLE)],
            )
        )
    return docs, matrix


def _percentiles(samples: list[float]) -> str:
    ordered = sorted(samples)
    p50 = statistics.median(ordered)
    p99 = ordered[min(len(ordered) - 1, int(len(ordered) * 0.99))]
    return f"p50 {p50 * 1000:6.2f} ms  p99 {p99 * 1000:6.2f} ms"


def _time(fn: Callable[[Any], Any], inputs: list[Any]) -> list[float]:
    fn(inputs[0])  # warm
    out = []
    for item in inputs:
        started = time.perf_counter()
        fn(item)
        out.append(time.perf_counter() - started)
    return out


def _build(
    n: int, docs: list[HistoryDoc], matrix: Vectors, embedder: Any
) -> tuple[Any, Any, float]:
    from storage.history.chroma import ChromaHistoryIndex, chroma_client_factory
    from storage.migrate import upgrade
    from storage.unit_of_work import make_engine, make_uow_factory

    where = ROOT / f"n{n}"
    ready = where / "ready"
    fresh = not ready.exists()
    if fresh:
        shutil.rmtree(where, ignore_errors=True)
        where.mkdir(parents=True)
    engine = make_engine(f"sqlite:///{where / 'bench.db'}")
    upgrade(engine)
    uow_factory = make_uow_factory(engine)
    index = ChromaHistoryIndex(
        connect=chroma_client_factory(url=None, path=str(where / "chroma")),
        embedder=embedder,
        prefix="bench",
    )
    rate = 0.0
    if fresh:
        started = time.perf_counter()
        for s in range(0, n, 2000):
            chunk = docs[s : s + 2000]
            with uow_factory() as uow:
                for doc in chunk:
                    uow.history.replace_record(doc.record_key, [doc], [document_terms(doc.text)])
                uow.commit()
            index.upsert(chunk, vectors=matrix[s : s + 2000])
        rate = n / (time.perf_counter() - started)
        ready.write_text(str(rate))
    else:
        rate = float(ready.read_text())
    return uow_factory, index, rate


def main() -> None:
    model = E5SmallEmbedder()
    embedder = CachingEmbedder(CachedEmbedder(model, CACHE))
    print("== memory: embedding the vector pool (cached after the first run)")
    texts, vectors = _pool(embedder)

    # Indexing with the real model, end to end (terms, SQL, embedding, Chroma), on fresh text.
    rng = random.Random(int(time.time()))
    fresh = [f"{_sentence(rng)} {rng.random():.6f}" for _ in range(200)]
    started = time.perf_counter()
    fresh_vectors = model.embed_documents(fresh)
    embed_rate = len(fresh) / (time.perf_counter() - started)
    query_times = _time(lambda t: model.embed_query(t), [f"{t}？" for t in fresh[:50]])
    print(f"e5-small embedding: {embed_rate:.0f} passages/s; one query {_percentiles(query_times)}")
    del fresh_vectors

    rng = random.Random(11)
    questions = [
        f"{rng.choice(_SUBJECTS)}{rng.choice(['怎么定的', '谁负责', '放在哪', '什么时候'])}"
        for _ in range(QUERIES)
    ]
    for q in questions:
        embedder.embed_query(q)  # the query cache, as for a repeated question
    qvecs = [embedder.embed_query(q) for q in questions]
    for n in SIZES:
        _size(n, texts, vectors, embedder, questions, qvecs)


def _size(
    n: int,
    texts: list[str],
    vectors: Vectors,
    embedder: Any,
    questions: list[str],
    qvecs: list[Vectors],
) -> None:
    docs, matrix = _docs(n, texts, vectors)
    uow_factory, index, rate = _build(n, docs, matrix, embedder)
    print(
        f"\n== {n:,} passages ({PROJECTS} projects); bulk indexing {rate:.0f} passages/s "
        "(SQL terms + Chroma main and project collections, vectors precomputed)"
    )
    main_col = index._collection()
    projects = [(i, i % PROJECTS + 1) for i in range(len(qvecs))]
    include = ["metadatas", "documents", "distances"]
    search = HistorySearch(uow_factory=uow_factory, index=lambda: index)

    def raw(v: Vectors) -> Any:
        return main_col.query(query_embeddings=[v], n_results=10, include=include)

    def raw_where(p: tuple[int, int]) -> Any:
        return main_col.query(
            query_embeddings=[qvecs[p[0]]],
            n_results=10,
            where={"project_id": p[1]},
            include=include,
        )

    def ours(v: Vectors) -> Any:
        return index.search(v, limit=10)

    def ours_project(p: tuple[int, int]) -> Any:
        return index.search(qvecs[p[0]], filters=DocFilter(project_ids=(p[1],)), limit=10)

    def keyword(q: str) -> Any:
        return _keyword(uow_factory, q, DocFilter())

    def keyword_project(p: tuple[int, int]) -> Any:
        return _keyword(uow_factory, questions[p[0]], DocFilter(project_ids=(p[1],)))

    def hybrid(q: str) -> Any:
        return search.search(q, limit=10)

    def hybrid_project(p: tuple[int, int]) -> Any:
        return search.search(questions[p[0]], filters=DocFilter(project_ids=(p[1],)), limit=10)

    rows: list[tuple[str, Callable[[Any], Any], list[Any]]] = [
        ("raw Chroma, top 10", raw, list(qvecs)),
        ("raw Chroma, where project", raw_where, projects[:50]),
        ("vector index, top 10", ours, list(qvecs)),
        ("vector index, project filter", ours_project, projects),
        ("keyword (BM25, SQLite)", keyword, questions),
        ("keyword, project filter", keyword_project, projects),
        ("hybrid search, top 10", hybrid, questions),
        ("hybrid search, project filter", hybrid_project, projects),
    ]
    for label, fn, inputs in rows:
        print(f"  {label:32s} {_percentiles(_time(fn, inputs))}  ({len(inputs)} queries)")


def _keyword(uow_factory: Any, query: str, filters: DocFilter) -> Any:
    from assistant.memory.tokens import query_terms

    with uow_factory() as uow:
        return uow.history.keyword_search(query_terms(query), filters=filters, limit=30)


if __name__ == "__main__":
    main()
