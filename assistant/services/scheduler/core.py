"""The scheduler: scheduled work lives in the SQL store, never in memory.

Each *kind* of job (meeting reminders, deadlines, the daily overdue summary, countdowns, and
whatever other parts register: digests, weekly reports, risk alerts) says two things:

- ``plan``: which jobs it wants for a source (``meeting:12``) or for all of them, due in a
  window. Planning is idempotent: jobs are stored by a key that names their cause and time
  (``meeting_reminder:12:2026-11-26T07:00:00+00:00:15``), so planning twice stores once; a key no
  longer wanted (the meeting moved, was cancelled, the task was done) is cancelled, a new one
  inserted. Changes made through the executor are planned in the same transaction as the change
  itself; a periodic reconcile over every source catches the rest and extends the horizon of
  recurring things.
- ``run``: the messages a due job sends. It checks first that the job is still wanted (re-plans
  its source) and whether the chat switched that kind off.

A due job runs in one transaction that stores its messages in the outbox *and* marks the job
done — conditionally on it still being pending. A process killed mid-run leaves either both or
neither; a second scheduler (a lost lease) loses the race and rolls back. So a restart, a deploy
or several workers never lose, skip or double a reminder. One scheduler runs at a time: the
holder of a lease (``SqlLease`` in the database, ``RedisLease`` among Redis workers).
"""

from __future__ import annotations

import logging
import os
import socket
import uuid
from collections.abc import Callable, Iterable, Sequence
from dataclasses import dataclass, field
from datetime import datetime, timedelta, tzinfo
from typing import Any, Protocol

from assistant.domain import Chat, Recipient, ScheduledJob, ScheduleState
from assistant.ports import Clock, Lease, OutgoingCard
from assistant.services.background import BackgroundLoop
from assistant.services.outbox import Outbox
from assistant.services.scheduler.hours import TeamHours
from assistant.unit_of_work import UnitOfWork, UnitOfWorkFactory
from tools.handlers.chats import reminders_enabled

__all__ = [
    "JobKind",
    "PlanContext",
    "Produced",
    "RunOutcome",
    "Scheduler",
    "SchedulerConfig",
    "SchedulerLoop",
    "SqlLease",
    "TickReport",
    "job_record",
]

log = logging.getLogger(__name__)

LEADER_LEASE = "scheduler"


@dataclass(frozen=True, slots=True)
class SchedulerConfig:
    tz: tzinfo
    horizon: timedelta = timedelta(hours=48)
    grace: timedelta = timedelta(hours=6)
    reconcile_every: timedelta = timedelta(minutes=10)
    max_attempts: int = 5
    base_backoff: timedelta = timedelta(seconds=30)
    batch: int = 200
    chunk: int = 50


@dataclass(slots=True)
class PlanContext:
    """What a kind works with: the unit of work, the time, the team's hours, its settings."""

    uow: UnitOfWork
    now: datetime
    tz: tzinfo
    hours: TeamHours
    options: Any = None
    cache: dict[Any, Any] = field(default_factory=dict)  # what a kind reads once per pass
    _chats: dict[int, Chat | None] = field(default_factory=dict)

    def cached(self, key: object, load: Callable[[], Any]) -> Any:
        """``load()`` once per context (a pass over a chunk of jobs shares one)."""
        if key not in self.cache:
            self.cache[key] = load()
        return self.cache[key]

    def chat(self, chat_id: int | None) -> Chat | None:
        if chat_id is None:
            return None
        if chat_id not in self._chats:
            self._chats[chat_id] = self.uow.chats.get(chat_id)
        return self._chats[chat_id]


@dataclass(frozen=True, slots=True)
class Produced:
    """One message a job sends. ``coalescible``: may share a channel message with others for
    the same chat (reminders do; a report does not)."""

    card: OutgoingCard
    recipients: Sequence[Recipient] | None = None
    coalescible: bool = True


@dataclass(frozen=True, slots=True)
class RunOutcome:
    """What running a job came to: messages, or a reason to send none."""

    messages: Sequence[Produced] = ()
    state: ScheduleState = ScheduleState.DONE
    note: str | None = None
    result: dict[str, Any] = field(
        default_factory=dict
    )  # kept with the job (the next run reads it)

    @classmethod
    def cancelled(cls, note: str) -> RunOutcome:
        return cls(state=ScheduleState.CANCELLED, note=note)

    @classmethod
    def expired(cls, note: str) -> RunOutcome:
        return cls(state=ScheduleState.EXPIRED, note=note)


class JobKind(Protocol):
    """A kind of scheduled work. ``sources`` are the record types it plans for (``meeting``,
    ``task``…, matched against ``source`` as ``type:id``); ``switch`` is the per-chat reminder
    switch (``set_reminders``) that turns it off, or ``None``.

    Register one with ``Scheduler.register``; a kind whose producer is not part of this
    instance is simply not registered, and its stored jobs wait untouched."""

    name: str
    sources: tuple[str, ...]
    switch: str | None

    def plan(
        self, ctx: PlanContext, source: str | None, since: datetime, until: datetime
    ) -> list[ScheduledJob]:
        """The jobs wanted for ``source`` (every source when ``None``) due in [since, until)."""
        ...

    def run(self, ctx: PlanContext, job: ScheduledJob) -> RunOutcome:
        """The messages for a due job that is still wanted."""
        ...


@dataclass(slots=True)
class JobRun:
    job_id: int
    kind: str
    key: str
    state: str
    due_at: datetime
    outbox_ids: list[int] = field(default_factory=list)
    note: str | None = None

    def to_dict(self, tz: tzinfo) -> dict[str, Any]:
        return {
            "job_id": self.job_id,
            "kind": self.kind,
            "key": self.key,
            "state": self.state,
            "due_at": self.due_at.astimezone(tz).isoformat(),
            "outbox_ids": self.outbox_ids,
            "note": self.note,
        }


@dataclass(slots=True)
class TickReport:
    """One pass: what was planned, which jobs ran (and to what end), what the outbox sent."""

    now: datetime
    planned: int = 0
    cancelled: int = 0
    runs: list[JobRun] = field(default_factory=list)
    sent: list[Any] = field(default_factory=list)
    leader: bool = True


class Scheduler:
    """Plans and runs scheduled work (see the module docstring)."""

    def __init__(
        self,
        *,
        uow_factory: UnitOfWorkFactory,
        clock: Clock,
        outbox: Outbox,
        hours: TeamHours,
        config: SchedulerConfig,
        options: Any = None,
        kinds: Iterable[JobKind] = (),
    ) -> None:
        self._uow_factory = uow_factory
        self._clock = clock
        self._outbox = outbox
        self.hours = hours
        self.config = config
        self.options = options
        self._kinds: dict[str, JobKind] = {}
        self._last_reconcile: datetime | None = None
        for kind in kinds:
            self.register(kind)

    # -- the registry ---------------------------------------------------------------------

    def register(self, kind: JobKind) -> None:
        """Add a kind of scheduled work (the composition root does this for each producer)."""
        self._kinds[kind.name] = kind

    @property
    def kinds(self) -> dict[str, JobKind]:
        return dict(self._kinds)

    def _context(self, uow: UnitOfWork, now: datetime) -> PlanContext:
        return PlanContext(
            uow=uow, now=now, tz=self.config.tz, hours=self.hours, options=self.options
        )

    # -- planning -------------------------------------------------------------------------

    def plan_changes(self, uow: UnitOfWork, sources: Sequence[str]) -> int:
        """Re-plan the jobs of changed records (``task:5``…) inside the caller's unit of work,
        so that a change and its reminders commit together."""
        now = self._clock.now()
        ctx = self._context(uow, now)
        changed = 0
        for source in dict.fromkeys(sources):
            kind_of_source = source.split(":", 1)[0]
            for kind in self._kinds.values():
                if kind_of_source in kind.sources:
                    changed += self._plan(ctx, kind, source)
        return changed

    def _plan(self, ctx: PlanContext, kind: JobKind, source: str | None) -> int:
        now = ctx.now
        jobs = kind.plan(ctx, source, now - self.config.grace, now + self.config.horizon)
        planned = ctx.uow.schedule.plan(jobs)
        ctx.uow.schedule.cancel_unplanned(
            sources=None if source is None else [source],
            kinds=[kind.name],
            keep={j.key for j in jobs},
            after=now,
        )
        return planned

    def reconcile(self, now: datetime | None = None) -> tuple[int, int]:
        """Plan every kind over every source up to the horizon. Returns (planned, cancelled)."""
        now = now or self._clock.now()
        planned = cancelled = 0
        for kind in self._kinds.values():
            with self._uow_factory() as uow:
                ctx = self._context(uow, now)
                jobs = kind.plan(ctx, None, now - self.config.grace, now + self.config.horizon)
                planned += uow.schedule.plan(jobs)
                cancelled += uow.schedule.cancel_unplanned(
                    sources=None, kinds=[kind.name], keep={j.key for j in jobs}, after=now
                )
                uow.commit()
        self._last_reconcile = now
        return planned, cancelled

    def reconcile_due(self, now: datetime) -> bool:
        last = self._last_reconcile
        return last is None or now - last >= self.config.reconcile_every or now < last

    # -- running --------------------------------------------------------------------------

    def wanted(self, ctx: PlanContext, kind: JobKind, job: ScheduledJob) -> bool:
        """Whether ``job`` is still what its kind would plan for its source now."""
        window = timedelta(days=2)
        since = job.due_at - window
        until = job.due_at + window
        return any(j.key == job.key for j in kind.plan(ctx, job.source, since, until))

    def run_due(
        self, now: datetime | None = None, *, keep_alive: Callable[[], bool] | None = None
    ) -> list[JobRun]:
        """Run every job due at ``now`` (chunk by chunk, each in one transaction)."""
        now = now or self._clock.now()
        runs: list[JobRun] = []
        kinds = list(self._kinds)
        while True:
            with self._uow_factory() as uow:
                due = uow.schedule.due(now, self.config.batch, kinds=kinds)
            if not due:
                break
            for start in range(0, len(due), self.config.chunk):
                if keep_alive is not None and not keep_alive():
                    log.warning("scheduler lease lost mid-pass; stopping")
                    return runs
                chunk = due[start : start + self.config.chunk]
                runs.extend(self._run_chunk(chunk, now))
            if len(due) < self.config.batch:
                break
        return runs

    def _run_chunk(self, jobs: list[ScheduledJob], now: datetime) -> list[JobRun]:
        try:
            with self._uow_factory() as uow:
                ctx = self._context(uow, now)
                self._prefetch(ctx, jobs)
                runs = [self._run_one(ctx, job) for job in jobs]
                if any(r is None for r in runs):
                    raise _Lost()
                uow.commit()
            return [r for r in runs if r is not None]
        except Exception as exc:  # noqa: BLE001 - fall back to one job per transaction
            if not isinstance(exc, _Lost):
                log.warning(
                    "a chunk of %d jobs failed (%s); running them one by one", len(jobs), exc
                )
        out: list[JobRun] = []
        for job in jobs:
            try:
                with self._uow_factory() as uow:
                    run = self._run_one(self._context(uow, now), job)
                    if run is None:
                        continue  # someone else ran it
                    uow.commit()
                    out.append(run)
            except Exception as exc:  # noqa: BLE001 - a failing job must not stop the others
                log.exception("scheduled job %s (%s) failed", job.id, job.kind)
                out.append(self._fail(job, exc, now))
        return out

    def _prefetch(self, ctx: PlanContext, jobs: list[ScheduledJob]) -> None:
        """Let kinds read what a chunk of their jobs needs in one query (optional)."""
        for name in {j.kind for j in jobs}:
            prefetch = getattr(self._kinds[name], "prefetch", None)
            if prefetch is not None:
                prefetch(ctx, [j for j in jobs if j.kind == name])

    def _run_one(self, ctx: PlanContext, job: ScheduledJob) -> JobRun | None:
        """Run ``job`` in ``ctx``'s unit of work; ``None`` when it is no longer pending."""
        assert job.id is not None
        uow, now = ctx.uow, ctx.now
        kind = self._kinds[job.kind]
        chat = ctx.chat(job.chat_id)
        if not self.wanted(ctx, kind, job):
            outcome = RunOutcome.cancelled("它的来源已经变了（改期、取消、完成或删除）")
        elif (
            kind.switch is not None
            and chat is not None
            and not reminders_enabled(chat.settings, kind.switch)
        ):
            outcome = RunOutcome.cancelled(f"本群关闭了这类提醒（{kind.switch}）")
        else:
            outcome = kind.run(ctx, job)
        ids: list[int] = []
        for i, produced in enumerate(outcome.messages):
            row = self._outbox.put(
                uow,
                produced.card,
                now=now,
                key=f"job:{job.key}:{i}",
                job_id=job.id,
                coalescible=produced.coalescible,
                recipients=produced.recipients,
            )
            if row.id is not None:
                ids.append(row.id)
        result: dict[str, Any] = {**outcome.result, "outbox": ids}
        if outcome.note:
            result["note"] = outcome.note
        if not uow.schedule.finish(job.id, state=outcome.state.value, now=now, result=result):
            return None
        return JobRun(
            job_id=job.id,
            kind=job.kind,
            key=job.key,
            state=outcome.state.value,
            due_at=job.due_at,
            outbox_ids=ids,
            note=outcome.note,
        )

    def _fail(self, job: ScheduledJob, exc: Exception, now: datetime) -> JobRun:
        reason = getattr(exc, "reason", None) or f"{type(exc).__name__}: {exc}"
        state = ScheduleState.PENDING
        with self._uow_factory() as uow:
            stored = uow.schedule.get(job.id or 0)
            if stored is not None and stored.state == ScheduleState.PENDING:
                stored.attempts += 1
                stored.error = str(reason)[:2000]
                stored.updated_at = now
                if stored.attempts >= self.config.max_attempts:
                    stored.state = ScheduleState.FAILED
                else:
                    stored.due_at = now + self.config.base_backoff * (2 ** (stored.attempts - 1))
                state = stored.state
                uow.schedule.update(stored)
                uow.commit()
        return JobRun(
            job_id=job.id or 0,
            kind=job.kind,
            key=job.key,
            state="retry" if state == ScheduleState.PENDING else state.value,
            due_at=job.due_at,
            note=str(reason),
        )

    def tick(
        self,
        now: datetime | None = None,
        *,
        deliver: bool = True,
        keep_alive: Callable[[], bool] | None = None,
        force_reconcile: bool = False,
    ) -> TickReport:
        """One pass: reconcile when due, run what is due, send what the outbox holds."""
        now = now or self._clock.now()
        report = TickReport(now=now)
        if force_reconcile or self.reconcile_due(now):
            report.planned, report.cancelled = self.reconcile(now)
        report.runs = self.run_due(now, keep_alive=keep_alive)
        if any(r.outbox_ids for r in report.runs):
            self._outbox.wake()
        if deliver:
            while True:
                sent = self._outbox.deliver()
                report.sent.extend(sent)
                if not sent:
                    break
        return report

    def now(self) -> datetime:
        return self._clock.now()

    def next_due_at(self) -> datetime | None:
        with self._uow_factory() as uow:
            return uow.schedule.next_due_at()


class _Lost(Exception):
    """A job of the chunk was run by someone else meanwhile."""


class SqlLease:
    """A ``Lease`` kept in the ``leases`` table (works on SQLite and PostgreSQL alike)."""

    def __init__(self, *, uow_factory: UnitOfWorkFactory, clock: Clock, name: str) -> None:
        self._uow_factory = uow_factory
        self._clock = clock
        self.name = name

    def acquire(self, holder: str, seconds: float) -> bool:
        now = self._clock.now()
        with self._uow_factory() as uow:
            ok = uow.leases.acquire(self.name, holder, now, now + timedelta(seconds=seconds))
            uow.commit()
        return ok

    def release(self, holder: str) -> None:
        with self._uow_factory() as uow:
            uow.leases.release(self.name, holder)
            uow.commit()


def holder_name() -> str:
    """Who this process is, for the lease table: host, pid and a random tail."""
    return f"{socket.gethostname()[:60]}:{os.getpid()}:{uuid.uuid4().hex[:8]}"


class SchedulerLoop(BackgroundLoop):
    """Runs ``tick`` every ``interval`` seconds while this process holds the leader lease."""

    def __init__(
        self,
        scheduler: Scheduler,
        lease: Lease,
        *,
        interval: float = 1.0,
        lease_seconds: float = 30.0,
        deliver: bool = False,
    ) -> None:
        super().__init__(name="qunmi-scheduler", stop_timeout=15.0)
        self._scheduler = scheduler
        self._lease = lease
        self._interval = interval
        self._lease_seconds = lease_seconds
        self._deliver = deliver
        self.holder = holder_name()
        self.leader = False
        self.ticks = 0

    def _keep_alive(self) -> bool:
        self.leader = self._lease.acquire(self.holder, self._lease_seconds)
        return self.leader and not self._stop.is_set()

    def _wait(self) -> float:
        """Until the next job is due, but no longer than ``interval`` (a job planned meanwhile
        by another process is seen within that)."""
        if not self.leader:
            return self._interval
        try:
            due = self._scheduler.next_due_at()
        except Exception:  # noqa: BLE001 - the database may blink; look again soon
            return self._interval
        if due is None:
            return self._interval
        left = (due - self._scheduler.now()).total_seconds()
        return min(max(left, 0.02), self._interval)

    def _loop(self) -> None:
        while not self._stop.is_set():
            try:
                self._step_aside()
                if self._keep_alive():
                    self._scheduler.tick(deliver=self._deliver, keep_alive=self._keep_alive)
                    self.ticks += 1
            except Exception:  # noqa: BLE001 - the scheduler must outlive a bad moment
                log.exception("scheduler tick failed")
            self._wake.wait(self._wait())
            self._wake.clear()
        if self.leader:
            try:
                self._lease.release(self.holder)
            except Exception:  # noqa: BLE001 - the lease runs out by itself anyway
                log.warning("releasing the scheduler lease failed")


def job_record(j: ScheduledJob, tz: tzinfo) -> dict[str, Any]:
    return {
        "id": j.id,
        "kind": j.kind,
        "key": j.key,
        "source": j.source,
        "due_at": j.due_at.astimezone(tz).isoformat(),
        "chat_id": j.chat_id,
        "member_id": j.member_id,
        "state": j.state.value,
        "attempts": j.attempts,
        "error": j.error,
        "result": j.result,
        "done_at": j.done_at.astimezone(tz).isoformat() if j.done_at else None,
    }
