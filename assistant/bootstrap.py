"""The composition root: the one place that knows every concrete adapter.

``bootstrap(settings)`` builds the object graph once per process; the API, the CLI, the workers
and the tests all go through it, with doubles passed in where a test needs them.
"""

from __future__ import annotations

import logging
from collections.abc import Callable
from dataclasses import dataclass, field
from datetime import timedelta
from pathlib import Path
from typing import TYPE_CHECKING, Any

from assistant.clock import SystemClock
from assistant.errors import InvalidInput
from assistant.ports import ChatModel, Clock, Engine, Notifier, Transcriber
from assistant.services.dialogue import DialogueMemory
from assistant.services.documents import DocumentLibrary
from assistant.services.inbox import Inbox, MessageProcessor, ProcessorConfig
from assistant.services.inbox_writer import InboxWriter
from assistant.services.minutes import MinutesEngine, MinutesService
from assistant.services.outbox import Outbox, OutboxSender
from assistant.services.roster import RosterSync, owners_are_pms
from assistant.services.scheduler import (
    ReminderOptions,
    RiskAlerts,
    Scheduler,
    SchedulerConfig,
    SchedulerLoop,
    SqlLease,
    TeamHours,
    builtin_kinds,
)
from assistant.services.summary_jobs import SummaryJobs
from assistant.services.transcription import TranscriptionJobs
from assistant.settings import Settings
from assistant.unit_of_work import UnitOfWorkFactory
from tools.executor import Executor, ExecutorConfig
from tools.pending import PendingActions
from tools.permissions import PermissionPolicy, RolePolicy

if TYPE_CHECKING:
    from assistant.engines.rules import RuleEngine
    from assistant.insight.reports.service import ReportService
    from assistant.insight.risk.service import RiskService
    from assistant.memory.service import Memory

__all__ = [
    "Qunmi",
    "bootstrap",
    "build_engine",
    "build_rule_engine",
    "build_memory",
    "build_reports",
    "build_risk",
    "build_scheduler",
]

log = logging.getLogger(__name__)


@dataclass
class Qunmi:
    """Everything a process needs, wired."""

    settings: Settings
    clock: Clock
    uow_factory: UnitOfWorkFactory
    executor: Executor
    engine: Engine
    inbox: Inbox
    processor: MessageProcessor
    outbox: Outbox
    scheduler: Scheduler
    notifier: Notifier | None = None
    transcriptions: TranscriptionJobs | None = None
    memory: Memory | None = None
    risk: RiskService | None = None
    reports: ReportService | None = None
    minutes: MinutesService | None = None
    summary_jobs: SummaryJobs | None = None
    db_engine: Any = None
    inbox_writer: InboxWriter | None = None
    """Stores channel messages with group commit (many requests, one transaction)."""
    check_audio: Callable[[Path], None] | None = None
    """Refuses an uploaded file that is not decodable audio (``TranscriptionError``)."""
    documents: DocumentLibrary | None = None
    """Project document folders (files under ``<data_dir>/files``)."""
    extras: dict[str, Any] = field(default_factory=dict)

    def background(self) -> list[Any]:
        """The loops a serving process runs besides the inbox worker: the scheduler (while
        it holds the leader lease) and the outbox sender."""
        loops: list[Any] = [OutboxSender(self.outbox, interval=1.0)]
        if self.settings.reminders.enabled:
            loops.insert(0, self.scheduler_loop())
        if self.extras.get("project_chats") is not None:
            from assistant.adapters.wecom.project_chats import ProjectChatLoop

            loops.append(ProjectChatLoop(self.extras["project_chats"]))
        return loops

    def scheduler_loop(self) -> SchedulerLoop:
        """The scheduler under a lease: in the database, or in Redis with ``QUNMI_QUEUE=redis``."""
        r = self.settings.reminders
        lease: Any
        if self.settings.queue == "redis":
            from redis import Redis

            from assistant.adapters.queue.redis_lease import RedisLease

            lease = RedisLease(
                Redis.from_url(self.settings.redis_url),
                name=f"{self.settings.redis_prefix}:lease:scheduler",
            )
        else:
            # Leases run on real time even when the app runs on a test's fixed clock.
            lease = SqlLease(
                uow_factory=self.uow_factory, clock=SystemClock(self.settings.tz), name="scheduler"
            )
        return SchedulerLoop(
            self.scheduler, lease, interval=r.tick_seconds, lease_seconds=float(r.lease_seconds)
        )

    def close(self) -> None:
        for closer in self.extras.get("closers", []):
            closer()
        if self.memory is not None:
            self.memory.close()
        if self.db_engine is not None:
            self.db_engine.dispose()


def build_rule_engine(settings: Settings) -> RuleEngine:
    """The rule engine, with the learned gate when ``QUNMI_UNDERSTANDING__LEARNED`` is on."""
    from assistant.engines.rules import RuleEngine

    if not settings.understanding.learned:
        return RuleEngine()
    from assistant.engines.learned import IntentGate

    return RuleEngine(gate=IntentGate())


def build_engine(settings: Settings, name: str | None = None) -> Engine:
    """The message engine chosen by ``QUNMI_ENGINE`` (or ``name``)."""
    choice = name or settings.resolved_engine
    if choice == "rules":
        return build_rule_engine(settings)
    if choice in ("llm", "hybrid"):
        if not settings.llm.configured:
            raise InvalidInput(
                f"QUNMI_ENGINE={choice} 需要配置 QUNMI_LLM__BASE_URL 或 QUNMI_LLM__API_KEY"
            )
        from assistant.engines.factory import build_llm_engine

        llm_engine: Engine = build_llm_engine(settings, choice)
        return llm_engine
    raise InvalidInput(f"未知的引擎：{choice}（可选 rules / llm / hybrid）")


def build_scheduler(
    settings: Settings, *, uow_factory: UnitOfWorkFactory, clock: Clock, outbox: Outbox
) -> Scheduler:
    """The scheduler with the kinds Qunmi ships; other parts ``register`` theirs."""
    r = settings.reminders
    tz = settings.tz
    return Scheduler(
        uow_factory=uow_factory,
        clock=clock,
        outbox=outbox,
        hours=TeamHours(
            tz=tz,
            work_start=r.work_start,
            work_end=r.work_end,
            quiet_start=r.quiet_start,
            quiet_end=r.quiet_end,
            skip_weekends=r.skip_weekends,
            public_holidays=r.public_holidays,
        ),
        config=SchedulerConfig(
            tz=tz,
            horizon=timedelta(hours=r.horizon_hours),
            grace=timedelta(minutes=r.grace_minutes),
            reconcile_every=timedelta(minutes=r.reconcile_minutes),
            max_attempts=r.max_attempts,
        ),
        options=ReminderOptions(
            due_soon_before=tuple(timedelta(minutes=m) for m in r.due_soon_before_minutes),
            overdue_after=timedelta(minutes=r.overdue_after_minutes),
            daily_summary_at=r.daily_summary_at,
            countdown_days=tuple(r.countdown_days),
            countdown_at=r.countdown_at,
            mention_all_over=r.mention_all_over,
        ),
        kinds=builtin_kinds(),
    )


def build_memory(
    settings: Settings,
    *,
    uow_factory: UnitOfWorkFactory,
    clock: Clock,
    answer_model: ChatModel | None = None,
    embedder: Any = None,
    db_engine: Any = None,
) -> Memory:
    """The memory: the configured embedder, Chroma embedded under the data directory or a
    server (``QUNMI_CHROMA__URL``), the SQL keyword index, the in-memory copy of both that
    searches read (with ``db_engine``, unless ``QUNMI_MEMORY__HOT_INDEX=false``), and the
    answerer (generated with the LLM when one is configured). Nothing connects or loads until
    first used."""
    import threading

    from assistant.memory.answer import Answerer
    from assistant.memory.indexer import HistoryIndexer
    from assistant.memory.ports import HistoryIndex
    from assistant.memory.search import HistorySearch
    from assistant.memory.service import Memory

    built: list[HistoryIndex] = []
    lock = threading.Lock()

    def index() -> HistoryIndex:
        if not built:
            with lock:
                if not built:
                    from assistant.adapters.embeddings import build_embedder
                    from storage.history.chroma import ChromaHistoryIndex, chroma_client_factory

                    chroma = settings.chroma
                    path = chroma.path or settings.data_dir / "chroma"
                    if not chroma.url:
                        path.mkdir(parents=True, exist_ok=True)
                    built.append(
                        ChromaHistoryIndex(
                            connect=chroma_client_factory(
                                url=chroma.url,
                                path=str(path),
                                timeout_seconds=chroma.timeout_seconds,
                            ),
                            embedder=embedder
                            or build_embedder(
                                settings.embeddings, cache_dir=settings.model_cache_dir
                            ),
                            prefix=chroma.collection_prefix,
                            where=chroma.url or "embedded",
                        )
                    )
        return built[0]

    model = answer_model
    if model is None and settings.llm.configured:
        from assistant.adapters.llm import LangChainChatModel

        model = LangChainChatModel.from_settings(settings.llm)
    hot = None
    if db_engine is not None and settings.memory.hot_index:
        from assistant.memory.hot import HotHistory
        from storage.history.feed import SqlHistoryFeed

        hot = HotHistory(
            feed=SqlHistoryFeed(db_engine),
            index=index,
            max_lag=settings.memory.hot_max_lag_seconds,
            brute_max=settings.memory.hot_brute_max,
            vector_dir=settings.data_dir / "cache" / "hot-vectors",
        )
    search = HistorySearch(uow_factory=uow_factory, index=index, hot=hot)
    answerer = Answerer(
        search=search,
        uow_factory=uow_factory,
        tz=settings.tz,
        console_url=settings.console_url,
        model=model,
    )
    indexer = HistoryIndexer(
        uow_factory=uow_factory,
        index=index,
        clock=clock,
        tz=settings.tz,
        vector_batch=settings.memory.index_batch,
    )
    return Memory(
        uow_factory=uow_factory,
        search_use_case=search,
        answerer=answerer,
        indexer=indexer,
        index=index,
        interval=settings.memory.index_interval_seconds,
    )


def build_risk(settings: Settings, *, clock: Clock, db_engine: Any) -> RiskService:
    """The delay-risk service over the SQL task store, with model versions kept in SQL.

    Similar finished tasks come from ``KeywordSimilarTasks`` (title words); the team memory's
    semantic search replaces it by passing its ``SimilarTasks`` class as ``similar=`` here."""
    from assistant.insight.risk import RiskConfig, RiskService
    from assistant.insight.risk.model import GbmParams
    from storage.risk_history import SqlRiskModelStore, SqlTaskHistory

    cfg = settings.risk
    return RiskService(
        history=SqlTaskHistory(db_engine),
        models=SqlRiskModelStore(db_engine),
        clock=clock,
        config=RiskConfig(
            tz=settings.tz,
            min_finished=cfg.min_finished,
            high=cfg.high,
            medium=cfg.medium,
            neighbours_k=cfg.neighbours,
            retrain_after=timedelta(hours=cfg.retrain_after_hours),
            workday_end_hour=settings.workday_end_hour,
            params=GbmParams(threads=cfg.threads),
        ),
    )


def build_reports(
    settings: Settings, *, uow_factory: UnitOfWorkFactory, clock: Clock, risk: Any = None
) -> ReportService:
    """Weekly reports with matplotlib charts in the CJK font setup installs, top risks from the
    risk service (its prior speaks, and says so, until a model is trained)."""
    from assistant.adapters.charts import MatplotlibChartRenderer
    from assistant.insight.reports.service import ReportService, risk_digest

    return ReportService(
        uow_factory=uow_factory,
        clock=clock,
        tz=settings.tz,
        out_dir=settings.data_dir / "reports",
        renderer=MatplotlibChartRenderer(font=settings.reports.font),
        risk=risk_digest(risk) if risk is not None else None,
        days=settings.reports.days,
        gantt_limit=settings.reports.gantt_limit,
    )


def build_minutes_engine(settings: Settings) -> tuple[MinutesEngine, MinutesEngine | None]:
    """The minutes engine and its fallback: the LLM (map-reduce) with the offline engine
    behind it when a model is configured and wanted, else the offline engine alone."""
    from assistant.insight.summaries.offline import OfflineMinutesEngine

    offline = OfflineMinutesEngine(
        summary_chars=settings.summaries.summary_chars,
        learned=settings.summaries.learned_minutes,
    )
    choice = settings.summaries.engine
    if choice == "offline" or (choice == "auto" and not settings.llm.configured):
        return offline, None
    if not settings.llm.configured:
        raise InvalidInput(
            "QUNMI_SUMMARIES__ENGINE=llm 需要配置 QUNMI_LLM__BASE_URL 或 QUNMI_LLM__API_KEY"
        )
    from assistant.adapters.llm import LangChainChatModel
    from assistant.insight.summaries.llm import LLMMinutesEngine

    model = LangChainChatModel.from_settings(settings.llm)
    return (
        LLMMinutesEngine(
            model,
            offline=offline,
            chunk_chars=settings.summaries.llm_chunk_chars,
            timeout_seconds=settings.llm.timeout_seconds,
        ),
        offline,
    )


def bootstrap(
    settings: Settings | None = None,
    *,
    migrate: bool = True,
    clock: Clock | None = None,
    engine: Engine | None = None,
    notifier: Notifier | None = None,
    policy: PermissionPolicy | None = None,
    transcriber: Transcriber | None = None,
    wecom_transport: Any = None,
    answer_model: ChatModel | None = None,
    embedder: Any = None,
) -> Qunmi:
    from storage.migrate import upgrade
    from storage.unit_of_work import make_engine, make_uow_factory

    settings = settings or Settings()
    tz = settings.tz
    clock = clock or SystemClock(tz)
    db_engine = make_engine(settings.resolved_database_url)
    if migrate:
        upgrade(db_engine)
    uow_factory = make_uow_factory(db_engine)
    if migrate:
        owners_are_pms(uow_factory, clock)
    policy = policy or RolePolicy()
    # Role changes and cancellations asked for in the chat wait for “确认” (tools.pending).
    pending = PendingActions(uow_factory=uow_factory, clock=clock, policy=policy)
    executor = Executor(
        uow_factory=uow_factory,
        clock=clock,
        config=ExecutorConfig(
            tz=tz, default_remind_before_minutes=settings.default_remind_before_minutes
        ),
        policy=policy,
        pending=pending,
    )
    # The dialogue state: changes made outside a chat message count as just touched too.
    dialogue = DialogueMemory(
        question_ttl=timedelta(minutes=settings.dialogue_question_minutes),
        recent_window=timedelta(minutes=settings.dialogue_recent_minutes),
    )
    executor.observe_applied(dialogue.touched_elsewhere)
    engine = engine or build_engine(settings)
    inbox = Inbox(uow_factory=uow_factory, clock=clock, max_chars=settings.max_message_chars)
    inbox_writer = InboxWriter(inbox)
    minutes_engine, minutes_fallback = build_minutes_engine(settings)
    minutes = MinutesService(
        uow_factory=uow_factory,
        clock=clock,
        executor=executor,
        tz=tz,
        engine=minutes_engine,
        fallback=minutes_fallback,
        workday_end_hour=settings.workday_end_hour,
        max_chat_messages=settings.summaries.max_chat_messages,
    )
    executor.register("summarize", minutes.summarize)
    memory = build_memory(
        settings,
        uow_factory=uow_factory,
        clock=clock,
        answer_model=answer_model,
        embedder=embedder,
        db_engine=db_engine,
    )
    executor.register("ask", memory.ask_tool)

    def minutes_replies(
        text: str, chat_id: int | None, sender: Any, message_id: int | None
    ) -> tuple[list[Any], str] | None:
        outcome = minutes.reply(text=text, chat_id=chat_id, actor=sender, message_id=message_id)
        return None if outcome is None else (list(outcome.results), outcome.text)

    from assistant.adapters.transcribers.voice_notes import VoiceNotes
    from assistant.adapters.wecom.intake import WeComIntake
    from assistant.adapters.wecom.wiring import build_wecom

    shared: list[Transcriber] = [transcriber] if transcriber is not None else []

    def _shared_transcriber() -> Transcriber:
        """One transcriber per process, built on first use (the model loads lazily)."""
        if not shared:
            from assistant.adapters.transcribers import build_transcriber

            shared.append(
                build_transcriber(settings.whisper, data_dir=settings.data_dir, llm=settings.llm)
            )
        return shared[0]

    _transcriber = _shared_transcriber

    wecom = build_wecom(
        settings,
        clock=clock,
        uow_factory=uow_factory,
        inner=notifier,
        transcriber=_transcriber,
        transport=wecom_transport,
    )
    notifier = wecom.notifier or notifier
    outbox = Outbox(uow_factory=uow_factory, clock=clock, notifier=notifier)
    scheduler = build_scheduler(settings, uow_factory=uow_factory, clock=clock, outbox=outbox)
    if settings.reminders.enabled:
        executor.observe(scheduler.plan_changes)
    project_chats = None
    if wecom.client is not None and settings.wecom.api_configured:
        from assistant.adapters.wecom.project_chats import ProjectChats

        # A new project gets its WeCom group (planned with the project, created by a loop).
        project_chats = ProjectChats(
            uow_factory=uow_factory, clock=clock, client=wecom.client, salt=settings.wecom.corp_id
        )
        executor.observe(project_chats.plan)
        # Members follow the groups: WeCom sends apps no member events, so read them back.
        scheduler.register(RosterSync(read_roster=wecom.client.appchat_members))
    wecom_intake = WeComIntake(
        inbox=inbox,
        uow_factory=uow_factory,
        clock=clock,
        directory=wecom.client.user_name
        if wecom.client is not None and settings.wecom.api_configured
        else None,
        bot_name=settings.wecom.bot_name,
        response_url_allowed=wecom.response_urls.allows,
        store=inbox_writer.receive,
    )
    from assistant.adapters import ocr

    documents = DocumentLibrary(
        uow_factory=uow_factory,
        clock=clock,
        root=settings.data_dir / "files",
        max_bytes=settings.max_file_mb * 1024 * 1024,
        read_image=ocr.ImageReader() if settings.ocr_images and ocr.available() else None,
    )
    wecom_files = None
    if wecom.client is not None and (settings.wecom.api_configured or wecom.bot_crypto):
        from assistant.adapters.wecom.files import WeComFiles

        wecom_files = WeComFiles(
            client=wecom.client,
            library=documents,
            bot_crypto=wecom.bot_crypto,
            app_api=settings.wecom.api_configured,
        )
    processor = MessageProcessor(
        uow_factory=uow_factory,
        engine=engine,
        executor=executor,
        clock=clock,
        outbox=outbox,
        transcribe=VoiceNotes(
            _shared_transcriber,
            fetch=wecom.voice.fetch if wecom.voice is not None else None,
            language=settings.whisper.language,
            use_terms=settings.whisper.prompt_chat_terms,
        ),
        replies=[pending.reply, minutes_replies],
        files=wecom_files,
        dialogue=dialogue,
        config=ProcessorConfig(
            tz=tz,
            lease=timedelta(seconds=settings.inbox_lease_seconds),
            console_url=settings.console_url,
            workday_end_hour=settings.workday_end_hour,
            default_remind_before_minutes=settings.default_remind_before_minutes,
        ),
    )
    risk = build_risk(settings, clock=clock, db_engine=db_engine)
    from tools.handlers.risk import risk_query

    executor.register("query", risk_query(risk))

    from assistant.adapters.audio import check_audio as _check_audio

    def check_audio(path: Path) -> None:
        _check_audio(path, max_seconds=settings.whisper.max_audio_seconds)

    # Delay-risk alerts: the risk model's levels, compared check to check by the scheduler.
    scheduler.register(RiskAlerts(lambda now: risk.levels(now=now)))
    reports = build_reports(settings, uow_factory=uow_factory, clock=clock, risk=risk)
    from tools.handlers.reports import report_tool

    executor.register("report", report_tool(reports))
    if settings.reports.enabled:
        from assistant.services.weekly_report import WeeklyReports

        scheduler.register(
            WeeklyReports(reports, weekday=settings.reports.weekday, at=settings.reports.at)
        )
    return Qunmi(
        settings=settings,
        check_audio=check_audio,
        inbox_writer=inbox_writer,
        clock=clock,
        uow_factory=uow_factory,
        executor=executor,
        engine=engine,
        inbox=inbox,
        processor=processor,
        outbox=outbox,
        scheduler=scheduler,
        notifier=notifier,
        transcriptions=TranscriptionJobs(
            uow_factory=uow_factory,
            clock=clock,
            transcriber=_shared_transcriber,
            media_dir=settings.data_dir / "media",
            check_audio=check_audio,
        ),
        memory=memory,
        documents=documents,
        minutes=minutes,
        summary_jobs=SummaryJobs(uow_factory=uow_factory, clock=clock, minutes=minutes),
        db_engine=db_engine,
        risk=risk,
        reports=reports,
        extras={
            "wecom": wecom,
            "wecom_intake": wecom_intake,
            "project_chats": project_chats,
            "closers": [inbox_writer.close, wecom_intake.close, wecom.close],
        },
    )
