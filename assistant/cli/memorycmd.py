"""Team memory commands: ``qunmi search``, ``qunmi ask``, ``qunmi index rebuild|status``,
``qunmi import chat`` and ``qunmi eval memory``."""

from __future__ import annotations

import hashlib
import json
from datetime import datetime
from pathlib import Path
from typing import TYPE_CHECKING, Annotated, Any, Literal, NoReturn

import typer
from rich.console import Console
from rich.progress import BarColumn, MofNCompleteColumn, Progress, TextColumn, TimeElapsedColumn
from rich.table import Table

from assistant.cli.batch import parse_now

if TYPE_CHECKING:
    from assistant.bootstrap import Qunmi
    from assistant.memory.indexer import IndexReport
    from assistant.memory.privacy import ReaderView

console = Console()
err_console = Console(stderr=True)

NowOpt = Annotated[
    str | None,
    typer.Option("--now", help="当前时间（ISO 8601，带偏移）；默认为设置时区的当前时间"),
]
JsonOpt = Annotated[bool, typer.Option("--json", help="输出 JSON")]
ChatOpt = Annotated[str | None, typer.Option("--chat", "-c", help="只看这个群")]
ProjectOpt = Annotated[str | None, typer.Option("--project", "-p", help="只看这个项目")]
KindOpt = Annotated[
    str | None,
    typer.Option("--kind", "-k", help="只看这一类：message/transcript/task/meeting/minutes/file"),
]


def _fail(reason: str, code: int = 1) -> NoReturn:
    err_console.print(f"[red]✗[/red] {reason}")
    raise typer.Exit(code)


def _progress() -> Progress:
    return Progress(
        TextColumn("{task.description}"),
        BarColumn(),
        MofNCompleteColumn(),
        TimeElapsedColumn(),
        console=err_console,
        transient=False,
    )


def _wire(*, with_engine: bool = False, clock: Any = None, quiet: bool = False) -> Qunmi:
    from assistant.bootstrap import bootstrap
    from assistant.cli.core import _Idle
    from assistant.errors import QunmiError
    from assistant.settings import Settings, WeComSettings

    settings = Settings()
    # One command, one search: loading the in-memory copy of the index would cost more than
    # asking the stores once.
    settings = settings.model_copy(
        update={"memory": settings.memory.model_copy(update={"hot_index": False})}
    )
    if quiet:  # replaying history: nothing goes out to the chats
        settings = settings.model_copy(update={"wecom": WeComSettings()})
    try:
        return bootstrap(settings, engine=None if with_engine else _Idle(), clock=clock)
    except QunmiError as exc:
        _fail(exc.reason)


def _catch_up(q: Qunmi, *, show: bool = False) -> IndexReport | None:
    """Index what is waiting before reading the memory (nothing runs in the background for a
    one-off command)."""
    assert q.memory is not None
    stats = q.memory.indexer.stats()
    if not stats.queued_records and not stats.pending_vectors:
        return None
    if not show:
        return q.memory.indexer.drain(max_seconds=120)
    with _progress() as bar:
        task = bar.add_task("索引", total=stats.queued_records + stats.pending_vectors)
        report = q.memory.indexer.drain(
            progress=lambda done, total: bar.update(task, completed=done, total=total),
            max_seconds=None,
        )
        bar.update(task, completed=bar.tasks[0].total or 0)
    return report


def _view(q: Qunmi, reader: str) -> ReaderView:
    """What ``reader`` may read of the memory; the operator without ``--as`` reads all."""
    assert q.memory is not None
    with q.uow_factory() as uow:
        viewer = q.executor.find_actor(uow, reader)
    return q.memory.view(viewer, q.executor.policy)


def _warn_degraded(reason: str | None) -> None:
    if reason:
        err_console.print(f"[yellow]注意：向量检索不可用，只按关键词查找（{reason}）[/yellow]")


def register(app: typer.Typer, eval_app: typer.Typer) -> None:
    index_app = typer.Typer(help="历史索引：重建、查看状态", no_args_is_help=True)
    import_app = typer.Typer(help="导入：把已有的群聊记录导进来", no_args_is_help=True)
    app.add_typer(index_app, name="index")
    app.add_typer(import_app, name="import")

    @app.command()
    def search(
        query: Annotated[str, typer.Argument(help="要找的内容")],
        chat: ChatOpt = None,
        project: ProjectOpt = None,
        kind: KindOpt = None,
        mode: Annotated[
            Literal["hybrid", "keyword", "vector"], typer.Option(help="检索方式")
        ] = "hybrid",
        limit: Annotated[int, typer.Option(min=1, max=50, help="最多几条")] = 10,
        reader: Annotated[
            str | None,
            typer.Option("--as", help="以谁的身份搜：只看他能看的（别的项目的文件、预算不显示）"),
        ] = None,
        now: NowOpt = None,
        as_json: JsonOpt = False,
    ) -> None:
        """在群聊记录、任务和会议里搜索，最相关的在前。"""
        from assistant.errors import QunmiError
        from assistant.memory.views import search_record

        moment = parse_now(now)
        q = _wire()
        try:
            assert q.memory is not None
            _catch_up(q)
            filters = q.memory.filters(chat=chat, project=project, kind=kind, until=moment)
            hide = _view(q, reader) if reader is not None else None
            result = q.memory.search(query, filters=filters, limit=limit, mode=mode, hide=hide)
        except QunmiError as exc:
            _fail(exc.reason)
            return
        finally:
            q.close()
        _warn_degraded(result.degraded)
        payload = search_record(result, q.settings.tz, q.memory.answerer)
        if as_json:
            print(json.dumps({"hits": payload["hits"]}, ensure_ascii=False, indent=2))
            return
        if not payload["hits"]:
            console.print("没找到相关的记录。")
            return
        table = Table(title=f"搜索「{query}」")
        for col in ("#", "类型", "时间", "群", "谁", "内容", "分数"):
            table.add_column(col)
        for n, hit in enumerate(payload["hits"], start=1):
            table.add_row(
                str(n),
                hit["kind"],
                hit["time"][5:16].replace("T", " "),
                hit["chat"] or "",
                hit["sender"] or "",
                hit["text"][:60],
                f"{hit['score']:.3f}",
            )
        console.print(table)

    @app.command()
    def ask(
        question: Annotated[str, typer.Argument(help="问题，例如：首页改版我们之前怎么定的？")],
        chat: ChatOpt = None,
        project: ProjectOpt = None,
        asker: Annotated[
            str | None,
            typer.Option("--as", help="谁在问：只用他能看的（别的项目的文件、预算不用）"),
        ] = None,
        now: NowOpt = None,
        as_json: JsonOpt = False,
    ) -> None:
        """问群秘以前说过、定过的事：给出简短回答和出处，找不到就说没找到。"""
        from assistant.errors import QunmiError

        moment = parse_now(now)
        q = _wire()
        try:
            assert q.memory is not None
            _catch_up(q)
            filters = q.memory.filters(chat=chat, project=project)
            hide = _view(q, asker) if asker is not None else None
            answer = q.memory.ask(question, filters=filters, now=moment, asker=asker, hide=hide)
        except QunmiError as exc:
            _fail(exc.reason)
            return
        finally:
            q.close()
        _warn_degraded(answer.degraded)
        if as_json:
            print(json.dumps(answer.to_dict(), ensure_ascii=False, indent=2))
            return
        console.print(answer.text, markup=False, soft_wrap=True)

    @index_app.command("rebuild")
    def index_rebuild(now: NowOpt = None) -> None:
        """从 SQL 记录重建整个历史索引（关键词和向量），显示进度。"""
        from assistant.clock import FixedClock

        q = _wire(clock=FixedClock(parse_now(now)) if now else None)
        try:
            assert q.memory is not None
            with _progress() as bar:
                task = bar.add_task("重建索引", total=None)
                report = q.memory.indexer.rebuild(
                    progress=lambda done, total: bar.update(task, completed=done, total=total)
                )
                bar.update(task, completed=bar.tasks[0].completed, total=bar.tasks[0].completed)
        finally:
            q.close()
        console.print(
            f"重建完成：{report.records} 条记录 → {report.docs_written} 段文字，"
            f"{report.vectors} 个向量，用时 {report.seconds:.1f} 秒"
        )
        if report.vector_error:
            err_console.print(
                f"[yellow]向量库暂时不可用（{report.vector_error}），关键词索引已就绪，"
                "向量会在服务运行时自动补上[/yellow]"
            )

    @index_app.command("status")
    def index_status(now: NowOpt = None, as_json: JsonOpt = False) -> None:
        """索引里有多少内容、还有多少在排队、向量库最近的错误。"""
        from assistant.memory.views import stats_record

        q = _wire()
        try:
            assert q.memory is not None
            record = stats_record(q.memory.indexer.stats(), q.settings.tz, now=parse_now(now))
            try:
                record["vectors_in_store"] = q.memory.index().count()
            except Exception as exc:  # noqa: BLE001 - status must show, whatever the store does
                record["vectors_in_store"] = None
                record["store_error"] = getattr(exc, "reason", str(exc))
            record["collection"] = q.memory.index().name
        finally:
            q.close()
        if as_json:
            print(json.dumps(record, ensure_ascii=False, indent=2))
            return
        table = Table(title="历史索引")
        table.add_column("项目")
        table.add_column("数值", justify="right")
        table.add_row("已索引（段）", str(record["docs"]))
        for kind, n in record["docs_by_kind"].items():
            table.add_row(f"  {kind}", str(n))
        table.add_row("待处理的记录", str(record["queued_records"]))
        table.add_row("待写入向量库", str(record["pending_vectors"]))
        table.add_row("滞后（秒）", str(record["lag_seconds"]))
        table.add_row("向量库里的向量", str(record["vectors_in_store"]))
        table.add_row("集合", str(record["collection"]))
        table.add_row("向量模型", str(record["embedder"] or "（还没有写入过）"))
        if record.get("last_error") or record.get("store_error"):
            table.add_row("向量库错误", str(record.get("store_error") or record["last_error"]))
        console.print(table)

    @import_app.command("chat")
    def import_chat(
        file: Annotated[
            Path, typer.Argument(help='JSONL 文件，每行 {"time","chat","sender","text"}')
        ],
        now: NowOpt = None,
        as_json: JsonOpt = False,
    ) -> None:
        """按时间顺序导入群聊记录：每条按它自己的时间处理（“明天”指那条消息的第二天），
        建出任务和会议并写入历史索引。重复导入不会重复处理。"""
        moment = parse_now(now)
        rows, problems = _read_chat_export(file, moment)
        for problem in problems:
            err_console.print(f"[yellow]{problem}[/yellow]")
        if not rows and problems:
            _fail("文件里没有可以导入的消息")
        report = _import(rows, moment)
        report["skipped_lines"] = len(problems)
        if as_json:
            print(json.dumps(report, ensure_ascii=False, indent=2))
            return
        console.print(
            f"导入完成：新消息 {report['imported']} 条，已导入过 {report['already']} 条，"
            f"处理失败 {report['failed']} 条；新建任务 {report['tasks']} 个、会议 {report['meetings']} 个；"
            f"索引 {report['indexed_docs']} 段"
        )
        if report["vector_error"]:
            err_console.print(
                f"[yellow]向量库暂时不可用（{report['vector_error']}），会在服务运行时补上[/yellow]"
            )
        if report["failed"]:
            raise typer.Exit(1)

    @eval_app.command("memory")
    def eval_memory(
        history: Annotated[
            Path | None, typer.Option("--history", help="历史消息 JSONL（默认开发集）")
        ] = None,
        questions: Annotated[
            Path | None, typer.Option("--questions", help="问题 JSONL（默认开发集）")
        ] = None,
        embedders: Annotated[
            str, typer.Option("--embedders", help="要比较的向量模型，逗号分隔；api 表示配置的接口")
        ] = "e5-small,use-m3",
        cache: Annotated[
            Path | None, typer.Option("--cache", help="段落向量的缓存目录（默认 数据目录/cache）")
        ] = None,
        check_floors: Annotated[
            bool, typer.Option("--check-floors", help="对照下限文件，低于下限时退出码为 1")
        ] = False,
        floors: Annotated[
            Path | None, typer.Option("--floors", help="下限文件（默认 evals/floors/memory.json）")
        ] = None,
        show_failures: Annotated[
            int, typer.Option("--show-failures", min=0, help="混合检索打印前 N 条没答好的问题")
        ] = 0,
        as_json: JsonOpt = False,
    ) -> None:
        """记忆检索评测：关键词、向量（每个模型）、混合检索的 recall@5、MRR、无答案正确率并排比较。"""
        _eval_memory(
            history=history,
            questions=questions,
            embedders=embedders,
            cache=cache,
            check_floors=check_floors,
            floors=floors,
            show_failures=show_failures,
            as_json=as_json,
        )


# -- import ----------------------------------------------------------------------------------
def _read_chat_export(path: Path, now: datetime) -> tuple[list[dict[str, Any]], list[str]]:
    if not path.is_file():
        _fail(f"找不到文件：{path}", code=2)
    rows: list[dict[str, Any]] = []
    problems: list[str] = []
    with path.open(encoding="utf-8", errors="replace") as fh:
        for lineno, line in enumerate(fh, start=1):
            if not line.strip():
                continue
            try:
                row = json.loads(line)
                if not isinstance(row, dict):
                    raise ValueError("每行应是一个 JSON 对象")
                missing = [k for k in ("time", "chat", "sender", "text") if not row.get(k)]
                if missing:
                    raise ValueError(f"缺少字段 {'、'.join(missing)}")
                moment = datetime.fromisoformat(str(row["time"]))
                if moment.tzinfo is None:
                    raise ValueError(f"时间需要带时区偏移：{row['time']}")
                if moment > now:
                    raise ValueError(f"时间 {row['time']} 晚于当前时间 {now.isoformat()}")
                text = str(row["text"])
                if len(text) > 20_000:
                    raise ValueError("消息太长")
            except (ValueError, TypeError) as exc:
                problems.append(f"第 {lineno} 行跳过：{exc}")
                continue
            rows.append(
                {
                    "line": lineno,
                    "time": moment,
                    "chat": str(row["chat"]).strip(),
                    "sender": str(row["sender"]).strip(),
                    "text": text,
                }
            )
    rows.sort(key=lambda r: (r["time"], r["line"]))
    return rows, problems


def _import(rows: list[dict[str, Any]], now: datetime) -> dict[str, Any]:
    from assistant.clock import FixedClock
    from assistant.domain import MessageState
    from assistant.errors import QunmiError
    from assistant.services.inbox import Inbound

    clock = FixedClock(now)
    q = _wire(with_engine=True, clock=clock, quiet=True)
    counts = {"imported": 0, "already": 0, "failed": 0, "tasks": 0, "meetings": 0}
    try:
        with _progress() as bar:
            task = bar.add_task("导入消息", total=len(rows))
            for row in rows:
                clock.at = row["time"]  # each message is processed as of its own time
                digest = hashlib.sha256(
                    f"{row['chat']}\n{row['sender']}\n{row['time'].isoformat()}\n{row['text']}".encode()
                ).hexdigest()[:32]
                try:
                    message, is_new = q.inbox.receive(
                        Inbound(
                            channel="import",
                            chat=row["chat"],
                            sender=row["sender"],
                            text=row["text"],
                            external_id=f"imp-{digest}",
                            received_at=row["time"],
                        )
                    )
                    assert message.id is not None
                    if message.state == MessageState.DONE:
                        counts["already"] += 1
                    else:
                        outcome = q.processor.process(message.id)
                        if outcome.state != MessageState.DONE:
                            counts["failed"] += 1
                            err_console.print(f"第 {row['line']} 行处理失败：{outcome.error}")
                        else:
                            counts["imported" if is_new else "already"] += 1
                            for result in outcome.results:
                                if result.get("ok") and not result.get("replayed"):
                                    if result.get("tool") == "create_task":
                                        counts["tasks"] += 1
                                    elif result.get("tool") == "create_meeting":
                                        counts["meetings"] += 1
                except QunmiError as exc:
                    counts["failed"] += 1
                    err_console.print(f"第 {row['line']} 行没有导入：{exc.reason}")
                bar.advance(task)
        clock.at = now
        assert q.memory is not None
        report = _catch_up(q, show=True)
    finally:
        q.close()
    return {
        **counts,
        "indexed_docs": report.docs_written if report else 0,
        "vector_error": report.vector_error if report else None,
    }


# -- eval ------------------------------------------------------------------------------------
def _pct(value: float | None) -> str:
    return "—" if value is None else f"{value * 100:.1f}%"


def _rule(mode_name: str) -> str:
    """The no-answer rule the eval's answerer used for a mode ("混合 (e5-small-q4)")."""
    from assistant.memory.answer import AnswerConfig

    mode = (
        "keyword"
        if mode_name.startswith("关键词")
        else ("vector" if mode_name.startswith("向量") else "hybrid")
    )
    return AnswerConfig().describe(mode)


def _eval_memory(
    *,
    history: Path | None,
    questions: Path | None,
    embedders: str,
    cache: Path | None,
    check_floors: bool,
    floors: Path | None,
    show_failures: int,
    as_json: bool,
) -> None:
    from assistant.adapters.embeddings import build_embedder, local_embedder
    from assistant.settings import Settings
    from evals import memory_eval as me

    settings = Settings()
    cache_dir = cache or settings.data_dir / "cache" / "embeddings"
    chosen = []
    for name in [n.strip() for n in embedders.split(",") if n.strip()]:
        try:
            inner = (
                build_embedder(settings.embeddings)
                if name == "api"
                else local_embedder(name, cache_dir=settings.model_cache_dir)
            )
        except ValueError:
            _fail(f"不认识的向量模型“{name}”（可选 e5-small / use-m3 / api）", code=2)
        if name == "api" and not settings.embeddings.api_configured:
            _fail("要评测 api 需要配置 QUNMI_EMBEDDINGS__BASE_URL", code=2)
        chosen.append(me.CachedEmbedder(inner, cache_dir))
    history_file = history or me.DEFAULT_HISTORY
    questions_file = questions or me.DEFAULT_QUESTIONS
    try:
        reports, timings = me.evaluate(
            history_path=history_file,
            questions_path=questions_file,
            embedders=chosen,
            tz=settings.tz,
            progress=lambda what: err_console.print(f"[dim]已建好 {what} 的索引[/dim]"),
        )
    except (OSError, ValueError) as exc:
        _fail(f"读不了评测数据：{exc}", code=2)
        return
    failures: list[str] = []
    if check_floors:
        floors_file = floors or Path(me.__file__).parent / "floors" / "memory.json"
        try:
            wanted = json.loads(floors_file.read_text(encoding="utf-8"))
        except (OSError, ValueError) as exc:
            _fail(f"读不了下限文件：{exc}", code=2)
            return
        by_name = {r.name: r.to_dict() for r in reports}
        for mode, limits in wanted.items():
            if mode.startswith("_"):
                continue
            got = by_name.get(mode)
            if got is None:
                failures.append(f"{mode}：没有评测这个模式")
                continue
            for metric, floor in limits.items():
                value = got.get(metric)
                if value is None or value < floor:
                    failures.append(f"{mode} {metric} = {value}，下限 {floor}")
    if as_json:
        print(
            json.dumps(
                {
                    "history": str(history_file),
                    "questions": str(questions_file),
                    "modes": [r.to_dict() for r in reports],
                    "index_seconds": {k: round(v, 2) for k, v in timings.items()},
                    "no_answer_rule": {r.name: _rule(r.name) for r in reports},
                    "floor_failures": failures,
                },
                ensure_ascii=False,
                indent=2,
            )
        )
    else:
        first = reports[0]
        console.print(
            f"[bold]记忆检索评测[/bold]  {history_file.name} × {questions_file.name}"
            f"（{first.questions} 个问题，{first.answerable} 个有答案）"
        )
        table = Table()
        for col in (
            "模式",
            "recall@5",
            "MRR",
            "无答案正确率",
            "答出率",
            "新说法在前",
            "延迟 p50 / p99 (ms)",
            "没找到阈值",
        ):
            table.add_column(col, justify="left" if col == "模式" else "right")
        for r in reports:
            table.add_row(
                r.name,
                _pct(r.recall_at_5),
                f"{r.mrr:.3f}",
                _pct(r.no_answer_accuracy),
                _pct(r.answered),
                f"{_pct(r.newer_first)}（{r.superseded_cases}）",
                f"{r.latency_p50_ms:.1f} / {r.latency_p99_ms:.1f}",
                f"{r.threshold:.2f}",
            )
        console.print(table)
        for r in reports:
            console.print(f"没找到规则 {r.name}：{_rule(r.name)}", style="dim")
        console.print(
            "没找到阈值：最相关的段落相关度低于它就回答“没找到”（AnswerConfig.thresholds，"
            "在开发集上用 learn_threshold 学得）",
            style="dim",
        )
        console.print(
            "建索引用时：" + "，".join(f"{k} {v:.1f} 秒" for k, v in timings.items()),
            style="dim",
        )
        if show_failures:
            hybrid = next((r for r in reports if r.name.startswith("混合")), reports[-1])
            shown = 0
            for result in hybrid.results:
                q = result.question
                rank = result.first_answer_rank
                ok = (rank == 1 and result.answered) if q.answers else not result.answered
                if ok:
                    continue
                shown += 1
                console.print(
                    f"{q.id} {q.question}  答案 {list(q.answers) or '无'}  排名 {rank}  "
                    f"回答了 {result.answered}  前五 {result.ranked[:5]}",
                    markup=False,
                )
                if shown >= show_failures:
                    break
        if check_floors:
            if failures:
                err_console.print("低于下限：\n  " + "\n  ".join(failures))
            else:
                console.print("所有指标都达到下限。")
    if failures:
        raise typer.Exit(1)
