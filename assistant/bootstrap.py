"""The composition root: the one place that knows every concrete adapter.

``bootstrap(settings)`` builds the object graph once per process; the API, the CLI, the workers
and the tests all go through it, with doubles passed in where a test needs them.
"""

from __future__ import annotations

import logging
from dataclasses import dataclass, field
from typing import Any

from assistant.clock import SystemClock
from assistant.errors import InvalidInput
from assistant.ports import Clock, Engine, Notifier
from assistant.services.inbox import Inbox, MessageProcessor, ProcessorConfig
from assistant.settings import Settings
from assistant.unit_of_work import UnitOfWorkFactory
from tools.executor import Executor, ExecutorConfig
from tools.permissions import PermissionPolicy, RolePolicy

__all__ = ["Qunmi", "bootstrap", "build_engine"]

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
    notifier: Notifier | None = None
    db_engine: Any = None
    extras: dict[str, Any] = field(default_factory=dict)

    def close(self) -> None:
        if self.db_engine is not None:
            self.db_engine.dispose()


def build_engine(settings: Settings, name: str | None = None) -> Engine:
    """The message engine chosen by ``QUNMI_ENGINE`` (or ``name``)."""
    choice = name or settings.resolved_engine
    if choice == "rules":
        from assistant.engines.rules import RuleEngine

        return RuleEngine()
    if choice in ("llm", "hybrid"):
        if not settings.llm.configured:
            raise InvalidInput(
                f"QUNMI_ENGINE={choice} 需要配置 QUNMI_LLM__BASE_URL 或 QUNMI_LLM__API_KEY"
            )
        from assistant.engines.factory import build_llm_engine

        llm_engine: Engine = build_llm_engine(settings, choice)
        return llm_engine
    raise InvalidInput(f"未知的引擎：{choice}（可选 rules / llm / hybrid）")


def bootstrap(
    settings: Settings | None = None,
    *,
    migrate: bool = True,
    clock: Clock | None = None,
    engine: Engine | None = None,
    notifier: Notifier | None = None,
    policy: PermissionPolicy | None = None,
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
    executor = Executor(
        uow_factory=uow_factory,
        clock=clock,
        config=ExecutorConfig(
            tz=tz, default_remind_before_minutes=settings.default_remind_before_minutes
        ),
        policy=policy or RolePolicy(),
    )
    engine = engine or build_engine(settings)
    inbox = Inbox(uow_factory=uow_factory, clock=clock, max_chars=settings.max_message_chars)
    processor = MessageProcessor(
        uow_factory=uow_factory,
        engine=engine,
        executor=executor,
        clock=clock,
        notifier=notifier,
        config=ProcessorConfig(
            tz=tz,
            console_url=settings.console_url,
            workday_end_hour=settings.workday_end_hour,
            default_remind_before_minutes=settings.default_remind_before_minutes,
        ),
    )
    return Qunmi(
        settings=settings,
        clock=clock,
        uow_factory=uow_factory,
        executor=executor,
        engine=engine,
        inbox=inbox,
        processor=processor,
        notifier=notifier,
        db_engine=db_engine,
    )
