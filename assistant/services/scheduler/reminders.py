"""What the scheduler sends out of the box: meeting reminders (every occurrence of a recurring
meeting), task deadlines (due soon → the assignee, overdue → the assignee), the daily overdue
summary to each group (@所有人 when something critical is overdue), and countdowns to
milestones and project deadlines ("距离上线还剩7天")."""

from __future__ import annotations

from collections.abc import Callable, Iterator, Mapping, Sequence
from dataclasses import dataclass, field
from datetime import UTC, date, datetime, time, timedelta, tzinfo
from typing import Any

from dateutil.rrule import rrulestr

from assistant.domain import (
    Chat,
    Meeting,
    MeetingStatus,
    Member,
    Milestone,
    Priority,
    Project,
    ProjectStatus,
    Recipient,
    ScheduledJob,
    Task,
)
from assistant.ports import OutgoingCard
from assistant.services.cards import when
from assistant.services.scheduler.core import JobKind, PlanContext, Produced, RunOutcome
from assistant.unit_of_work import Repository

__all__ = [
    "Countdowns",
    "MeetingReminders",
    "OverdueSummary",
    "ReminderOptions",
    "RiskAlerts",
    "TaskDeadlines",
    "builtin_kinds",
    "meeting_occurrences",
]

_PAGE = 500
_EPOCH = datetime(1970, 1, 1, tzinfo=UTC)
_CRITICAL = (Priority.HIGH, Priority.URGENT)


@dataclass(frozen=True, slots=True)
class ReminderOptions:
    due_soon_before: Sequence[timedelta] = (timedelta(days=1), timedelta(hours=2))
    overdue_after: timedelta = timedelta(0)
    daily_summary_at: time = time(9, 30)
    countdown_days: Sequence[int] = (30, 14, 7, 3, 1, 0)
    countdown_at: time = time(9, 30)
    mention_all_over: int = 10
    critical_milestone_window: timedelta = timedelta(days=7)


def _options(ctx: PlanContext) -> ReminderOptions:
    options = ctx.options
    return options if isinstance(options, ReminderOptions) else ReminderOptions()


def _every(repo: Repository[Any], filters: dict[str, Any]) -> Iterator[Any]:
    offset = 0
    while True:
        page = repo.list(filters=filters, limit=_PAGE, offset=offset, order="id")
        yield from page.items
        offset += len(page.items)
        if len(page.items) < _PAGE:
            return


def _source_id(source: str | None, prefix: str) -> int | None:
    if source is None:
        return None
    head, _, tail = source.partition(":")
    return int(tail) if head == prefix and tail.isdigit() else -1


def _utc_key(at: datetime) -> str:
    return at.astimezone(UTC).strftime("%Y%m%dT%H%M%SZ")


def _recipient(member: Member | None) -> list[Recipient]:
    if member is None:
        return []
    return [Recipient(name=member.display_name, member_id=member.id, userid=member.wecom_userid)]


@dataclass(slots=True)
class _People:
    """Members by id, read once per context."""

    by_id: dict[int, Member] = field(default_factory=dict)

    @classmethod
    def of(cls, ctx: PlanContext) -> _People:
        cached = ctx.cache.get("people")
        if not isinstance(cached, _People):
            cached = cls({m.id: m for m in ctx.uow.members.all() if m.id is not None})
            ctx.cache["people"] = cached
        return cached


# -- meetings --------------------------------------------------------------------------------


def _local_until(value: str, tz: tzinfo) -> str:
    """UNTIL as a local wall time, to go with a local DTSTART (dateutil wants them alike)."""
    if value.endswith("Z"):
        at = datetime.strptime(value, "%Y%m%dT%H%M%SZ").replace(tzinfo=UTC).astimezone(tz)
        return at.strftime("%Y%m%dT%H%M%S")
    if "T" not in value:
        return value + "T235959"
    return value


def meeting_occurrences(
    meeting: Meeting, tz: tzinfo, since: datetime, until: datetime
) -> list[datetime]:
    """The meeting's starts in [since, until): one for a single meeting, each of the RRULE's
    for a recurring one (``meeting.start`` the first), without the cancelled dates."""
    if not meeting.recurrence:
        return [meeting.start] if since <= meeting.start < until else []
    parts = []
    for chunk in meeting.recurrence.removeprefix("RRULE:").split(";"):
        key, _, value = chunk.partition("=")
        if key.upper() == "UNTIL":
            value = _local_until(value.upper(), tz)
        parts.append(f"{key}={value}")
    start = meeting.start.astimezone(tz)
    rule = rrulestr(";".join(parts), dtstart=start.replace(tzinfo=None))
    lo = since.astimezone(tz).replace(tzinfo=None)
    hi = until.astimezone(tz).replace(tzinfo=None)
    skipped = set(meeting.skipped_dates)
    out: list[datetime] = []
    for naive in rule.xafter(lo, inc=True):
        if naive >= hi:
            break
        at = naive.replace(tzinfo=tz)
        if at.date().isoformat() not in skipped:
            out.append(at)
    return out


def _prefetch(ctx: PlanContext, jobs: Sequence[ScheduledJob], prefix: str, repo: Any) -> None:
    ids = [i for j in jobs if (i := _source_id(j.source, prefix)) is not None and i > 0]
    ids = [i for i in dict.fromkeys(ids) if (prefix, i) not in ctx.cache]
    for start in range(0, len(ids), _PAGE):
        chunk = ids[start : start + _PAGE]
        found = {r.id: r for r in repo.list(filters={"id_in": chunk}, limit=_PAGE).items}
        for i in chunk:
            ctx.cache[(prefix, i)] = found.get(i)


def _meeting(ctx: PlanContext, meeting_id: int) -> Meeting | None:
    found: Meeting | None = ctx.cached(
        ("meeting", meeting_id), lambda: ctx.uow.meetings.get(meeting_id)
    )
    return found


def _task(ctx: PlanContext, task_id: int) -> Task | None:
    found: Task | None = ctx.cached(("task", task_id), lambda: ctx.uow.tasks.get(task_id))
    return found


class MeetingReminders:
    """``remind_before_minutes`` before each occurrence, to the meeting's chat, @ its attendees.
    A moved meeting plans new keys (the old reminder is cancelled); a cancelled one plans none."""

    name: str = "meeting_reminder"
    sources: tuple[str, ...] = ("meeting",)
    switch: str | None = "meeting"

    def prefetch(self, ctx: PlanContext, jobs: Sequence[ScheduledJob]) -> None:
        _prefetch(ctx, jobs, "meeting", ctx.uow.meetings)

    def _meetings(self, ctx: PlanContext, source: str | None, since: datetime) -> list[Meeting]:
        meeting_id = _source_id(source, "meeting")
        if meeting_id is not None:
            found = _meeting(ctx, meeting_id) if meeting_id > 0 else None
            return [found] if found is not None else []
        scheduled = MeetingStatus.SCHEDULED
        single = _every(
            ctx.uow.meetings,
            {"status": scheduled, "recurring": False, "start_after": since},
        )
        recurring = _every(ctx.uow.meetings, {"status": scheduled, "recurring": True})
        return [*single, *recurring]

    def plan(
        self, ctx: PlanContext, source: str | None, since: datetime, until: datetime
    ) -> list[ScheduledJob]:
        jobs: list[ScheduledJob] = []
        for meeting in self._meetings(ctx, source, since):
            if meeting.status != MeetingStatus.SCHEDULED or meeting.id is None:
                continue
            offsets = sorted({int(m) for m in meeting.remind_before_minutes if int(m) >= 0})
            if not offsets:
                continue
            widest = timedelta(minutes=max(offsets))
            try:
                starts = meeting_occurrences(meeting, ctx.tz, since, until + widest)
            except (ValueError, TypeError):
                continue  # a rule dateutil cannot read: nothing to plan (validated on input)
            for start in starts:
                for minutes in offsets:
                    due = start - timedelta(minutes=minutes)
                    if not since <= due < until:
                        continue
                    if meeting.created_at is not None and due < meeting.created_at:
                        continue  # created inside its own reminder window: the card said it
                    jobs.append(
                        ScheduledJob(
                            kind=self.name,
                            key=f"{self.name}:{meeting.id}:{_utc_key(start)}:{minutes}",
                            due_at=due,
                            created_at=ctx.now,
                            source=f"meeting:{meeting.id}",
                            chat_id=meeting.chat_id,
                            payload={"start": start.isoformat(), "minutes": minutes},
                        )
                    )
        return jobs

    def run(self, ctx: PlanContext, job: ScheduledJob) -> RunOutcome:
        meeting = _meeting(ctx, _source_id(job.source, "meeting") or 0)
        assert meeting is not None  # wanted() checked it
        start = datetime.fromisoformat(job.payload["start"])
        end = start + ((meeting.end - meeting.start) if meeting.end else timedelta(hours=1))
        if ctx.now >= end:
            return RunOutcome.expired("会议已经结束，提醒来得太晚")
        tz = ctx.tz
        left = round((start - ctx.now).total_seconds() / 60)
        if left <= 0:
            head = f"⏰ 会议「{meeting.title}」已经开始了（{start.astimezone(tz):%H:%M}）"
        elif left >= 60 * 24:
            head = f"⏰ 会议提醒：「{meeting.title}」明天 {start.astimezone(tz):%H:%M} 开始"
        elif left >= 90:
            head = f"⏰ 会议提醒：「{meeting.title}」{left // 60} 小时后开始"
        else:
            head = f"⏰ 会议提醒：「{meeting.title}」{max(left, 1)} 分钟后开始"
        lines = [head, f"时间：{when(start.isoformat(), tz, ctx.now)}"]
        if meeting.location:
            lines.append(f"地点：{meeting.location}")
        if meeting.agenda:
            lines.append("议题：" + "；".join(meeting.agenda))
        people = _People.of(ctx)
        attendees = [people.by_id[i] for i in meeting.attendee_ids if i in people.by_id]
        many = len(attendees) > _options(ctx).mention_all_over
        recipients = [] if many else [r for m in attendees for r in _recipient(m)]
        chat = ctx.chat(meeting.chat_id)
        card = OutgoingCard(
            text="\n".join(lines),
            chat=chat.name if chat else None,
            chat_id=meeting.chat_id,
            kind="reminder",
            mention_all=many,
        )
        return RunOutcome(messages=[Produced(card=card, recipients=recipients)])


# -- tasks -----------------------------------------------------------------------------------


class _TaskHomes:
    """The chats a task belongs to: the one it was created in, else its project's chats."""

    @classmethod
    def of(cls, ctx: PlanContext) -> _TaskHomes:
        cached = ctx.cache.get("homes")
        if not isinstance(cached, _TaskHomes):
            cached = cls(ctx)
            ctx.cache["homes"] = cached
        return cached

    def __init__(self, ctx: PlanContext) -> None:
        self._ctx = ctx
        self._by_project: dict[int, list[int]] | None = None
        self._message_chat: dict[int, int | None] = {}

    def _projects(self) -> dict[int, list[int]]:
        if self._by_project is None:
            by_project: dict[int, list[int]] = {}
            for chat in _every(self._ctx.uow.chats, {}):
                if chat.project_id is not None and chat.id is not None:
                    by_project.setdefault(chat.project_id, []).append(chat.id)
                    self._ctx._chats[chat.id] = chat
            self._by_project = by_project
        return self._by_project

    def chats(self, task: Task) -> list[int]:
        if task.source_message_id is not None:
            if task.source_message_id not in self._message_chat:
                message = self._ctx.uow.messages.get(task.source_message_id)
                self._message_chat[task.source_message_id] = message.chat_id if message else None
            chat_id = self._message_chat[task.source_message_id]
            if chat_id is not None:
                return [chat_id]
        if task.project_id is not None:
            return self._projects().get(task.project_id, [])
        return []

    def first(self, task: Task) -> int | None:
        homes = self.chats(task)
        return homes[0] if homes else None


def _tasks(ctx: PlanContext, source: str | None) -> list[Task]:
    task_id = _source_id(source, "task")
    if task_id is not None:
        found = _task(ctx, task_id) if task_id > 0 else None
        return [found] if found is not None else []
    return list(_every(ctx.uow.tasks, {"open": True, "due_after": _EPOCH}))


def _left_words(delta: timedelta) -> str:
    minutes = int(delta.total_seconds() // 60)
    if minutes >= 24 * 60:
        return f"{minutes // (24 * 60)} 天"
    if minutes >= 60:
        return f"{minutes // 60} 小时"
    return f"{max(minutes, 1)} 分钟"


def _task_title(task: Task) -> str:
    return f"#{task.id}「{task.title}」"


class TaskDeadlines:
    """Due soon (``due_soon_before``, moved back into working hours) and overdue (moved on to
    working hours) reminders, each to the task's chat @ its assignee, once per due time."""

    name: str = "task_deadline"
    sources: tuple[str, ...] = ("task",)
    switch: str | None = "deadline"

    def prefetch(self, ctx: PlanContext, jobs: Sequence[ScheduledJob]) -> None:
        _prefetch(ctx, jobs, "task", ctx.uow.tasks)

    def plan(
        self, ctx: PlanContext, source: str | None, since: datetime, until: datetime
    ) -> list[ScheduledJob]:
        options = _options(ctx)
        homes = _TaskHomes.of(ctx)
        jobs: list[ScheduledJob] = []
        for task in _tasks(ctx, source):
            if task.id is None or task.due is None or not task.status.is_open:
                continue
            chat_id = None
            planned: set[datetime] = set()
            wanted: list[tuple[str, datetime, dict[str, Any]]] = []
            for before in sorted(options.due_soon_before, reverse=True):
                at = ctx.hours.last_working_before(task.due - before)
                if task.created_at is not None and at < task.created_at:
                    continue
                if at >= task.due or at in planned:
                    continue
                planned.add(at)
                minutes = int(before.total_seconds() // 60)
                wanted.append((f"soon:{minutes}", at, {"what": "soon", "minutes": minutes}))
            overdue_at = ctx.hours.next_working(task.due + options.overdue_after)
            wanted.append(("overdue", overdue_at, {"what": "overdue"}))
            for tag, at, payload in wanted:
                if not since <= at < until:
                    continue
                if chat_id is None:
                    chat_id = homes.first(task)
                jobs.append(
                    ScheduledJob(
                        kind=self.name,
                        key=f"{self.name}:{task.id}:{_utc_key(task.due)}:{tag}",
                        due_at=at,
                        created_at=ctx.now,
                        source=f"task:{task.id}",
                        chat_id=chat_id,
                        member_id=task.assignee_id,
                        payload=payload,
                    )
                )
        return jobs

    def run(self, ctx: PlanContext, job: ScheduledJob) -> RunOutcome:
        task = _task(ctx, _source_id(job.source, "task") or 0)
        assert task is not None and task.due is not None
        people = _People.of(ctx)
        assignee = people.by_id.get(task.assignee_id) if task.assignee_id else None
        due_words = when(task.due.isoformat(), ctx.tz, ctx.now)
        if job.payload.get("what") == "soon":
            if ctx.now >= task.due:
                return RunOutcome.expired("已经过了截止时间（逾期提醒会接着发）")
            later = ctx.uow.schedule.list(
                filters={
                    "source": job.source,
                    "kind": self.name,
                    "state": "pending",
                    "due_after": job.due_at + timedelta(seconds=1),
                    "due_before": ctx.now + timedelta(seconds=1),
                },
                limit=5,
            ).items
            if any(j.payload.get("what") == "soon" for j in later):
                return RunOutcome.expired("同一任务有更近的到期提醒也到了，只发那一条")
            text = (
                f"⏰ 任务快到期了：{_task_title(task)}\n"
                f"截止 {due_words}（还剩 {_left_words(task.due - ctx.now)}）"
            )
        else:
            late = ctx.now - task.due
            since = (
                f"已逾期 {_left_words(late)}" if late >= timedelta(minutes=1) else "已到截止时间"
            )
            text = f"⚠️ 任务已逾期：{_task_title(task)}\n截止 {due_words}（{since}）"
            if task.priority in _CRITICAL:
                text += (
                    "\n这是"
                    + ("🔴紧急" if task.priority == Priority.URGENT else "🟠高优先级")
                    + "任务"
                )
        if assignee is None:
            text += "\n（还没有负责人，请项目经理安排）"
        else:
            text += "\n完成了请回复“搞定了”，需要延期请说新的时间"
        chat = ctx.chat(job.chat_id)
        card = OutgoingCard(
            text=text,
            chat=chat.name if chat else None,
            chat_id=job.chat_id,
            kind="reminder" if job.payload.get("what") == "soon" else "alert",
        )
        return RunOutcome(messages=[Produced(card=card, recipients=_recipient(assignee))])


class OverdueSummary:
    """Every workday at ``daily_summary_at``, one card per chat listing its overdue tasks,
    @ their assignees — @所有人 when one of them is critical (urgent or high priority, or in a
    project whose milestone is due within a week or already past). Nothing overdue, no card."""

    name: str = "overdue_summary"
    sources: tuple[str, ...] = ("chat",)
    switch: str | None = "daily"

    def plan(
        self, ctx: PlanContext, source: str | None, since: datetime, until: datetime
    ) -> list[ScheduledJob]:
        options = _options(ctx)
        chat_id = _source_id(source, "chat")
        if chat_id is not None:
            found = ctx.uow.chats.get(chat_id) if chat_id > 0 else None
            chats: list[Chat] = [found] if found is not None else []
        else:
            chats = list(_every(ctx.uow.chats, {}))
        days: list[datetime] = []
        day = since.astimezone(ctx.tz).date()
        last = until.astimezone(ctx.tz).date()
        while day <= last:
            at = datetime.combine(day, options.daily_summary_at, tzinfo=ctx.tz)
            if ctx.hours.is_workday(day) and since <= at < until:
                days.append(at)
            day += timedelta(days=1)
        return [
            ScheduledJob(
                kind=self.name,
                key=f"{self.name}:{chat.id}:{at.date().isoformat()}",
                due_at=at,
                created_at=ctx.now,
                source=f"chat:{chat.id}",
                chat_id=chat.id,
            )
            for chat in chats
            if chat.id is not None
            for at in days
        ]

    def run(self, ctx: PlanContext, job: ScheduledJob) -> RunOutcome:
        chat = ctx.chat(job.chat_id)
        if chat is None:
            return RunOutcome.cancelled("群已经不在了")
        if ctx.now.astimezone(ctx.tz).date() != job.due_at.astimezone(ctx.tz).date():
            return RunOutcome.expired("那天的日报已经过了（服务停了一整天）")
        homes = _TaskHomes.of(ctx)
        overdue = [
            t
            for t in _every(ctx.uow.tasks, {"open": True, "due_before": ctx.now})
            if chat.id in homes.chats(t)
        ]
        if not overdue:
            return RunOutcome(note="没有逾期任务")
        overdue.sort(key=lambda t: (t.due or ctx.now, t.id or 0))
        people = _People.of(ctx)
        soon = ctx.now + _options(ctx).critical_milestone_window
        at_risk_projects = {
            m.project_id
            for m in _every(ctx.uow.milestones, {"done": False, "due_before": soon})
            if m.project_id is not None
        }
        critical = [
            t for t in overdue if t.priority in _CRITICAL or t.project_id in at_risk_projects
        ]
        lines = [f"📋 逾期任务日报（{len(overdue)} 个）"]
        for task in overdue[:30]:
            who = people.by_id.get(task.assignee_id) if task.assignee_id else None
            due = task.due or ctx.now
            mark = "❗" if task in critical else "·"
            lines.append(
                f"{mark} {_task_title(task)} · {who.display_name if who else '未指派'}"
                f" · 已逾期 {_left_words(ctx.now - due)}"
            )
        if len(overdue) > 30:
            lines.append(f"……还有 {len(overdue) - 30} 个，见控制台")
        if critical:
            lines.append(f"⚠️ 其中 {len(critical)} 个是关键任务，请大家留意进度")
        recipients: list[Recipient] = []
        if not critical:
            assignees = dict.fromkeys(t.assignee_id for t in overdue if t.assignee_id)
            recipients = [r for i in assignees for r in _recipient(people.by_id.get(i or 0))]
        card = OutgoingCard(
            text="\n".join(lines),
            chat=chat.name,
            chat_id=chat.id,
            kind="alert",
            mention_all=bool(critical),
        )
        return RunOutcome(messages=[Produced(card=card, recipients=recipients)])


# -- milestones and project deadlines --------------------------------------------------------


class Countdowns:
    """ "距离上线还剩7天" at ``countdown_days`` before each open milestone and each active
    project's deadline, at ``countdown_at`` on a workday (a point that falls on a day off moves to
    the next workday, saying the days then left), to every chat of the project."""

    name: str = "countdown"
    sources: tuple[str, ...] = ("milestone", "project")
    switch: str | None = "countdown"

    def _targets(
        self, ctx: PlanContext, source: str | None
    ) -> list[tuple[str, int, str, datetime, int | None]]:
        """(source, id, title, due, project id) of each thing counted down to."""
        out: list[tuple[str, int, str, datetime, int | None]] = []
        milestone_id = _source_id(source, "milestone")
        project_id = _source_id(source, "project")
        milestones: list[Milestone] = []
        projects: list[Project] = []
        if source is None:
            milestones = list(
                _every(
                    ctx.uow.milestones, {"done": False, "due_after": ctx.now - timedelta(days=1)}
                )
            )
            projects = [p for p in ctx.uow.projects.all() if p.deadline is not None]
        elif milestone_id is not None and milestone_id > 0:
            found = ctx.uow.milestones.get(milestone_id)
            milestones = [found] if found is not None else []
        elif project_id is not None and project_id > 0:
            project = ctx.uow.projects.get(project_id)
            projects = [project] if project is not None else []
        for m in milestones:
            if not m.done and m.id is not None:
                out.append((f"milestone:{m.id}", m.id, m.title, m.due, m.project_id))
        for p in projects:
            if p.deadline is not None and p.status == ProjectStatus.ACTIVE and p.id is not None:
                out.append((f"project:{p.id}", p.id, f"项目「{p.name}」截止", p.deadline, p.id))
        return out

    def plan(
        self, ctx: PlanContext, source: str | None, since: datetime, until: datetime
    ) -> list[ScheduledJob]:
        options = _options(ctx)
        jobs: list[ScheduledJob] = []
        by_project: dict[int, list[int]] = {}
        for chat in _every(ctx.uow.chats, {}):
            if chat.project_id is not None and chat.id is not None:
                by_project.setdefault(chat.project_id, []).append(chat.id)
        for src, _ident, _title, due, project_id in self._targets(ctx, source):
            chats = by_project.get(project_id or -1, [])
            if not chats:
                continue
            due_day = due.astimezone(ctx.tz).date()
            seen: set[date] = set()
            for days in sorted(set(options.countdown_days), reverse=True):
                day = ctx.hours.next_workday(due_day - timedelta(days=days))
                if day > due_day or day in seen:
                    continue
                seen.add(day)
                at = min(datetime.combine(day, options.countdown_at, tzinfo=ctx.tz), due)
                if not since <= at < until:
                    continue
                for chat_id in chats:
                    jobs.append(
                        ScheduledJob(
                            kind=self.name,
                            key=f"{self.name}:{src}:{_utc_key(due)}:{days}:{chat_id}",
                            due_at=at,
                            created_at=ctx.now,
                            source=src,
                            chat_id=chat_id,
                            payload={"days": days},
                        )
                    )
        return jobs

    def run(self, ctx: PlanContext, job: ScheduledJob) -> RunOutcome:
        target = next(iter(self._targets(ctx, job.source)), None)
        assert target is not None
        _src, _ident, title, due, project_id = target
        left = (due.astimezone(ctx.tz).date() - ctx.now.astimezone(ctx.tz).date()).days
        if left < 0:
            return RunOutcome.expired("已经过了")
        day_words = when(due.isoformat(), ctx.tz, ctx.now)
        label = title if title.startswith("项目") else f"「{title}」"
        if left == 0:
            text = f"🏁 今天就是{label}（{day_words}）"
        else:
            text = f"⏳ 距离{label}还剩{left}天（{day_words}）"
        if project_id is not None:
            open_count = ctx.uow.tasks.list(
                filters={"open": True, "project_id": project_id}, limit=1
            ).total
            overdue = ctx.uow.tasks.list(
                filters={"open": True, "project_id": project_id, "due_before": ctx.now}, limit=1
            ).total
            text += f"\n项目里还有 {open_count} 个未完成任务"
            if overdue:
                text += f"，其中 {overdue} 个已逾期"
        chat = ctx.chat(job.chat_id)
        card = OutgoingCard(
            text=text, chat=chat.name if chat else None, chat_id=job.chat_id, kind="reminder"
        )
        return RunOutcome(messages=[Produced(card=card, recipients=[])])


def builtin_kinds() -> list[JobKind]:
    """The kinds Qunmi schedules by itself (others register theirs with the scheduler)."""
    return [MeetingReminders(), TaskDeadlines(), OverdueSummary(), Countdowns()]


class RiskAlerts:
    """Delay-risk alerts, once per change of level: every ``every`` of working time the current
    levels (from the risk model: ``levels(now) -> {task id: "low" | "medium" | "high"}``) are
    compared with those the previous check stored; a task that became high risk → its chat
    @ the assignee; a milestone whose project has a task newly at high risk and is due within
    ``milestone_window`` → its project's chats @所有人. Registered by the composition root once
    a risk model is part of the instance (``scheduler.register(RiskAlerts(service.levels))``).
    """

    name: str = "risk_alert"
    sources: tuple[str, ...] = ()
    switch: str | None = "risk"

    def __init__(
        self,
        levels: Callable[[datetime], Mapping[int, str]],
        *,
        every: timedelta = timedelta(minutes=30),
        milestone_window: timedelta = timedelta(days=14),
    ) -> None:
        self._levels = levels
        self._every = every
        self._window = milestone_window

    def plan(
        self, ctx: PlanContext, source: str | None, since: datetime, until: datetime
    ) -> list[ScheduledJob]:
        if source not in (None, "risk"):
            return []
        step = self._every.total_seconds()
        first = datetime.fromtimestamp((since.timestamp() // step + 1) * step, tz=ctx.tz)
        jobs: list[ScheduledJob] = []
        slot = first
        while slot < until:
            if ctx.hours.is_working(slot):
                jobs.append(
                    ScheduledJob(
                        kind=self.name,
                        key=f"{self.name}:{_utc_key(slot)}",
                        due_at=slot,
                        created_at=ctx.now,
                        source="risk",
                    )
                )
            slot += self._every
        return jobs

    def _previous(self, ctx: PlanContext) -> dict[str, str]:
        done = ctx.uow.schedule.list(
            filters={"kind": self.name, "state": "done"}, limit=1, order="-due_at"
        ).items
        return dict((done[0].result or {}).get("levels", {})) if done else {}

    def run(self, ctx: PlanContext, job: ScheduledJob) -> RunOutcome:
        later = ctx.uow.schedule.list(
            filters={
                "kind": self.name,
                "state": "pending",
                "due_after": job.due_at + timedelta(seconds=1),
                "due_before": ctx.now + timedelta(seconds=1),
            },
            limit=1,
        ).total
        if later:
            return RunOutcome.expired("后面还有一次检查也到了，只做那一次")
        previous = self._previous(ctx)
        current = {str(k): str(v) for k, v in self._levels(ctx.now).items()}
        risen = [
            int(t) for t, level in current.items() if level == "high" and previous.get(t) != "high"
        ]
        homes = _TaskHomes.of(ctx)
        people = _People.of(ctx)
        messages: list[Produced] = []
        high_by_project: dict[int, list[Task]] = {}
        for task_id in sorted(int(t) for t, level in current.items() if level == "high"):
            task = _task(ctx, task_id)
            if task is not None and task.status.is_open and task.project_id is not None:
                high_by_project.setdefault(task.project_id, []).append(task)
        for task_id in sorted(risen):
            task = _task(ctx, task_id)
            if task is None or not task.status.is_open:
                continue
            assignee = people.by_id.get(task.assignee_id) if task.assignee_id else None
            due = f" · 截止 {when(task.due.isoformat(), ctx.tz, ctx.now)}" if task.due else ""
            for chat_id in homes.chats(task)[:1]:
                chat = ctx.chat(chat_id)
                card = OutgoingCard(
                    text=f"🚨 延期风险高：{_task_title(task)}{due}\n请评估进度，需要帮忙或延期请在群里说",
                    chat=chat.name if chat else None,
                    chat_id=chat_id,
                    kind="alert",
                )
                messages.append(Produced(card=card, recipients=_recipient(assignee)))
        for milestone in _every(
            ctx.uow.milestones, {"done": False, "due_before": ctx.now + self._window}
        ):
            tasks = high_by_project.get(milestone.project_id or -1)
            key = f"m{milestone.id}"
            current[key] = "high" if tasks else "low"
            if not tasks or previous.get(key) == "high" or milestone.due < ctx.now:
                continue
            names = "、".join(_task_title(t) for t in tasks[:5])
            for chat_id in homes._projects().get(milestone.project_id or -1, []):
                chat = ctx.chat(chat_id)
                card = OutgoingCard(
                    text=(
                        f"🚨 里程碑「{milestone.title}」（{when(milestone.due.isoformat(), ctx.tz, ctx.now)}）有延期风险：{names}"
                    ),
                    chat=chat.name if chat else None,
                    chat_id=chat_id,
                    kind="alert",
                    mention_all=True,
                )
                messages.append(Produced(card=card, recipients=[]))
        return RunOutcome(messages=messages, result={"levels": current})
