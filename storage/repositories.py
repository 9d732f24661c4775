"""SQLAlchemy repositories: rows in, domain records out."""

from __future__ import annotations

import dataclasses
from collections.abc import Sequence
from datetime import datetime
from enum import StrEnum
from typing import Any, ClassVar, Generic, TypeVar

from sqlalchemy import Select, case, func, insert, literal, or_, select, update
from sqlalchemy.dialects import postgresql, sqlite
from sqlalchemy.exc import IntegrityError
from sqlalchemy.orm import Session

from assistant.domain import (
    AuditEntry,
    Chat,
    Job,
    JobState,
    Meeting,
    MeetingStatus,
    Member,
    Message,
    MessageKind,
    MessageState,
    Milestone,
    Minutes,
    OutboxMessage,
    OutboxState,
    Priority,
    Project,
    ProjectStatus,
    Role,
    ScheduledJob,
    ScheduleState,
    Task,
    TaskEvent,
    TaskStatus,
    Worker,
)
from assistant.errors import Conflict, InvalidInput, NotFound
from assistant.identity import ApiToken, LoginLink
from assistant.unit_of_work import Page
from storage.orm import (
    ApiTokenRow,
    AuditRow,
    Base,
    ChatRow,
    JobRow,
    LeaseRow,
    LoginLinkRow,
    MeetingRow,
    MemberIdentityRow,
    MemberRow,
    MessageRow,
    MilestoneRow,
    MinutesRow,
    OutboxRow,
    ProjectRow,
    ScheduledJobRow,
    TaskEventRow,
    TaskRow,
    TZDateTime,
    WorkerRow,
    project_members,
)

D = TypeVar("D")
R = TypeVar("R", bound=Base)

_MAX_PAGE = 500
MAX_ID = 2**63 - 1
"""The largest integer a BIGINT column (and SQLite) holds: larger ones match nothing."""


def _storable(value: object) -> bool:
    return not isinstance(value, int) or isinstance(value, bool) or -MAX_ID <= value <= MAX_ID


class SqlRepository(Generic[D, R]):
    """Maps a dataclass onto a table by field name.

    ``enums`` converts string columns back to their enum; ``relations`` maps a list-of-ids field
    of the record onto a many-to-many relationship of member rows.
    """

    domain: ClassVar[type[Any]]
    row: ClassVar[type[Base]]
    enums: ClassVar[dict[str, type[StrEnum]]] = {}
    relations: ClassVar[dict[str, str]] = {}
    default_order: ClassVar[str] = "id"

    def __init__(self, session: Session) -> None:
        self.session = session

    # -- conversion -----------------------------------------------------------------------
    def _to_domain(self, row: Any) -> D:
        values: dict[str, Any] = {}
        for f in dataclasses.fields(self.domain):
            if f.name in self.relations:
                values[f.name] = sorted(m.id for m in getattr(row, self.relations[f.name]))
                continue
            value = getattr(row, f.name)
            if f.name in self.enums and value is not None:
                value = self.enums[f.name](value)
            elif isinstance(value, list):
                value = list(value)
            elif isinstance(value, dict):
                value = dict(value)
            values[f.name] = value
        return self.domain(**values)  # type: ignore[no-any-return]

    def _apply(self, row: Any, record: D) -> None:
        for f in dataclasses.fields(self.domain):
            if f.name == "id":
                continue
            value = getattr(record, f.name)
            if f.name in self.relations:
                ids = list(dict.fromkeys(value))
                members = (
                    list(self.session.scalars(select(MemberRow).where(MemberRow.id.in_(ids))))
                    if ids
                    else []
                )
                if len(members) != len(ids):
                    raise NotFound("有成员不存在", details={"member_ids": ids})
                setattr(row, self.relations[f.name], members)
                continue
            if isinstance(value, StrEnum):
                value = value.value
            elif isinstance(value, list):
                value = list(value)
            setattr(row, f.name, value)

    def _flush(self) -> None:
        try:
            self.session.flush()
        except IntegrityError as exc:
            raise Conflict("与已有记录冲突，没有做任何修改。", details={"integrity": True}) from exc

    # -- operations -----------------------------------------------------------------------
    def get(self, record_id: int) -> D | None:
        if not _storable(record_id):
            return None
        row = self.session.get(self.row, record_id)
        return None if row is None else self._to_domain(row)

    def add(self, record: D) -> D:
        row = self.row()
        self._apply(row, record)
        self.session.add(row)
        self._flush()
        return self._to_domain(row)

    def update(self, record: D) -> D:
        record_id = getattr(record, "id", None)
        row = self.session.get(self.row, record_id) if record_id is not None else None
        if row is None:
            raise NotFound(f"记录 {record_id} 不存在")
        self._apply(row, record)
        self._flush()
        return self._to_domain(row)

    def delete(self, record_id: int) -> None:
        row = self.session.get(self.row, record_id)
        if row is not None:
            self.session.delete(row)
            self._flush()

    def _filtered(self, stmt: Select[Any], filters: dict[str, Any]) -> Select[Any]:
        columns = self.row.__table__.columns
        for key, value in filters.items():
            if value is None:
                continue
            if key == "id_in":
                stmt = stmt.where(columns["id"].in_([int(v) for v in value]))
                continue
            if key == "id_not_in":
                stmt = stmt.where(columns["id"].not_in([int(v) for v in value]))
                continue
            if not _storable(value):
                raise InvalidInput(f"“{key}”的数值超出范围")
            if not self._special_filter_applies(key):
                if key not in columns:
                    raise InvalidInput(f"不支持按“{key}”筛选")
                col = columns[key]
                stmt = stmt.where(col == (value.value if isinstance(value, StrEnum) else value))
            else:
                stmt = self._special_filter(stmt, key, value)
        return stmt

    def _special_filter_applies(self, key: str) -> bool:
        return False

    def _special_filter(self, stmt: Select[Any], key: str, value: Any) -> Select[Any]:
        raise InvalidInput(f"不支持按“{key}”筛选")

    def list(
        self,
        *,
        filters: dict[str, Any] | None = None,
        limit: int = 100,
        offset: int = 0,
        order: str | None = None,
    ) -> Page[D]:
        if limit < 1 or offset < 0 or not _storable(offset):
            raise InvalidInput("limit 必须 ≥ 1，offset 必须在 0 到 2^63-1 之间")
        limit = min(limit, _MAX_PAGE)
        stmt = self._filtered(select(self.row), filters or {})
        total = self.session.scalar(select(func.count()).select_from(stmt.subquery())) or 0
        order_key = order or self.default_order
        descending = order_key.startswith("-")
        col_name = order_key.lstrip("-")
        columns = self.row.__table__.columns
        if col_name not in columns:
            raise InvalidInput(f"不支持按“{col_name}”排序")
        col = columns[col_name]
        stmt = stmt.order_by(col.desc() if descending else col.asc(), columns["id"].asc())
        rows = self.session.scalars(stmt.limit(limit).offset(offset)).all()
        return Page(
            items=[self._to_domain(r) for r in rows], total=total, limit=limit, offset=offset
        )


class SqlMemberRepository(SqlRepository[Member, MemberRow]):
    domain = Member
    row = MemberRow
    enums = {"role": Role}

    def all(self) -> list[Member]:
        return [
            self._to_domain(r)
            for r in self.session.scalars(select(MemberRow).order_by(MemberRow.id))
        ]

    def by_display_name(self, name: str) -> Member | None:
        row = self.session.scalar(select(MemberRow).where(MemberRow.display_name == name))
        return None if row is None else self._to_domain(row)

    def by_wecom_userid(self, userid: str) -> Member | None:
        row = self.session.scalar(select(MemberRow).where(MemberRow.wecom_userid == userid))
        return None if row is None else self._to_domain(row)


class SqlProjectRepository(SqlRepository[Project, ProjectRow]):
    domain = Project
    row = ProjectRow
    enums = {"status": ProjectStatus}
    relations = {"member_ids": "members"}

    def by_name(self, name: str) -> Project | None:
        row = self.session.scalar(select(ProjectRow).where(ProjectRow.name == name))
        return None if row is None else self._to_domain(row)

    def all(self) -> list[Project]:
        return [
            self._to_domain(r)
            for r in self.session.scalars(select(ProjectRow).order_by(ProjectRow.id))
        ]

    def role_of(self, project_id: int, member_id: int) -> str | None:
        """The member's role in the project ("pm" / "member"), ``None`` when not a member."""
        if not (_storable(project_id) and _storable(member_id)):
            return None
        self.session.flush()
        return self.session.scalar(
            select(project_members.c.role).where(
                project_members.c.project_id == project_id,
                project_members.c.member_id == member_id,
            )
        )

    def set_role(self, project_id: int, member_id: int, role: str) -> None:
        """Set the role of a member of the project; ``NotFound`` when not a member."""
        if role not in ("pm", "member"):
            raise InvalidInput(f"项目内角色只能是 pm 或 member，不能是“{role}”")
        self.session.flush()
        done = self.session.execute(
            update(project_members)
            .where(
                project_members.c.project_id == project_id,
                project_members.c.member_id == member_id,
            )
            .values(role=role)
        )
        if not getattr(done, "rowcount", 0):
            raise NotFound("这个成员不在该项目里", details={"member_id": member_id})
        self._flush()

    def roles(self, project_id: int) -> dict[int, str]:
        """Member id → role in the project."""
        rows = self.session.execute(
            select(project_members.c.member_id, project_members.c.role).where(
                project_members.c.project_id == project_id
            )
        )
        return {int(m): str(r) for m, r in rows}


class SqlChatRepository(SqlRepository[Chat, ChatRow]):
    domain = Chat
    row = ChatRow
    relations = {"member_ids": "members"}

    def by_external(self, channel: str, external_id: str) -> Chat | None:
        row = self.session.scalar(
            select(ChatRow).where(ChatRow.channel == channel, ChatRow.external_id == external_id)
        )
        return None if row is None else self._to_domain(row)


class SqlTaskRepository(SqlRepository[Task, TaskRow]):
    domain = Task
    row = TaskRow
    enums = {"status": TaskStatus, "priority": Priority}

    def _special_filter_applies(self, key: str) -> bool:
        return key in {"status_in", "open", "due_before", "due_after", "q"}

    def _special_filter(self, stmt: Select[Any], key: str, value: Any) -> Select[Any]:
        if key == "status_in":
            return stmt.where(TaskRow.status.in_([str(v) for v in value]))
        if key == "open":
            closed = [TaskStatus.DONE.value, TaskStatus.CANCELLED.value]
            return stmt.where(
                TaskRow.status.not_in(closed) if value else TaskRow.status.in_(closed)
            )
        if key == "due_before":
            return stmt.where(TaskRow.due.is_not(None), TaskRow.due < value)
        if key == "due_after":
            return stmt.where(TaskRow.due.is_not(None), TaskRow.due >= value)
        if key == "q":
            return stmt.where(TaskRow.title.contains(str(value)))
        return super()._special_filter(stmt, key, value)

    def add_event(self, event: TaskEvent) -> TaskEvent:
        row = TaskEventRow(
            task_id=event.task_id,
            kind=event.kind,
            at=event.at,
            actor_id=event.actor_id,
            old=event.old,
            new=event.new,
            note=event.note,
        )
        self.session.add(row)
        self._flush()
        return dataclasses.replace(event, id=row.id)

    def recent_open(
        self, *, assignee_id: int | None, since: datetime, limit: int = 100
    ) -> list[tuple[int, str]]:
        closed = [TaskStatus.DONE.value, TaskStatus.CANCELLED.value]
        assignee = (
            TaskRow.assignee_id.is_(None)
            if assignee_id is None
            else TaskRow.assignee_id == assignee_id
        )
        rows = self.session.execute(
            select(TaskRow.id, TaskRow.title)
            .where(TaskRow.status.not_in(closed), assignee, TaskRow.created_at >= since)
            .order_by(TaskRow.id.desc())
            .limit(limit)
        )
        return [(row.id, row.title) for row in rows]

    def open_titles(self, limit: int = 50) -> list[tuple[int, str]]:
        closed = [TaskStatus.DONE.value, TaskStatus.CANCELLED.value]
        rows = self.session.execute(
            select(TaskRow.id, TaskRow.title)
            .where(TaskRow.status.not_in(closed))
            .order_by(TaskRow.id.desc())
            .limit(limit)
        )
        return [(row.id, row.title) for row in rows]

    def events(self, task_id: int) -> list[TaskEvent]:
        rows = self.session.scalars(
            select(TaskEventRow).where(TaskEventRow.task_id == task_id).order_by(TaskEventRow.id)
        )
        return [_event(r) for r in rows]

    def events_between(
        self, since: datetime, until: datetime, *, kinds: Sequence[str] | None = None
    ) -> list[TaskEvent]:
        rows = self.session.scalars(
            select(TaskEventRow)
            .where(
                TaskEventRow.at > since,
                TaskEventRow.at <= until,
                *([TaskEventRow.kind.in_(list(kinds))] if kinds else []),
            )
            .order_by(TaskEventRow.id)
        )
        return [_event(r) for r in rows]


def _event(r: TaskEventRow) -> TaskEvent:
    return TaskEvent(
        id=r.id,
        task_id=r.task_id,
        kind=r.kind,
        at=r.at,
        actor_id=r.actor_id,
        old=r.old,
        new=r.new,
        note=r.note,
    )


class SqlMeetingRepository(SqlRepository[Meeting, MeetingRow]):
    domain = Meeting
    row = MeetingRow
    enums = {"status": MeetingStatus}
    relations = {"attendee_ids": "attendees"}
    default_order = "start"

    def _special_filter_applies(self, key: str) -> bool:
        return key in {"start_after", "start_before", "attendee_id", "q", "recurring"}

    def _special_filter(self, stmt: Select[Any], key: str, value: Any) -> Select[Any]:
        if key == "start_after":
            return stmt.where(MeetingRow.start >= value)
        if key == "start_before":
            return stmt.where(MeetingRow.start < value)
        if key == "attendee_id":
            return stmt.where(MeetingRow.attendees.any(MemberRow.id == int(value)))
        if key == "recurring":
            return stmt.where(
                MeetingRow.recurrence.is_not(None) if value else MeetingRow.recurrence.is_(None)
            )
        if key == "q":
            return stmt.where(MeetingRow.title.contains(str(value)))
        return super()._special_filter(stmt, key, value)

    def upcoming_titles(
        self, *, after: datetime, limit: int = 20
    ) -> list[tuple[int, str, datetime]]:
        rows = self.session.execute(
            select(MeetingRow.id, MeetingRow.title, MeetingRow.start)
            .where(MeetingRow.status == MeetingStatus.SCHEDULED.value, MeetingRow.start >= after)
            .order_by(MeetingRow.start, MeetingRow.id)
            .limit(limit)
        )
        return [(row.id, row.title, row.start) for row in rows]


class SqlMessageRepository(SqlRepository[Message, MessageRow]):
    """Filters: ``received_after`` / ``received_before`` (datetime) besides equality."""

    domain = Message
    row = MessageRow
    enums = {"kind": MessageKind, "state": MessageState}

    def _special_filter_applies(self, key: str) -> bool:
        return key in {"received_after", "received_before"}

    def _special_filter(self, stmt: Select[Any], key: str, value: Any) -> Select[Any]:
        if key == "received_after":
            return stmt.where(MessageRow.received_at >= value)
        if key == "received_before":
            return stmt.where(MessageRow.received_at < value)
        return super()._special_filter(stmt, key, value)

    def count_by_sender(
        self, since: datetime, until: datetime, *, chat_ids: Sequence[int] | None = None
    ) -> dict[int, int]:
        stmt = (
            select(MessageRow.sender_id, func.count())
            .where(
                MessageRow.sender_id.is_not(None),
                MessageRow.received_at > since,
                MessageRow.received_at <= until,
                MessageRow.kind != MessageKind.EVENT.value,
            )
            .group_by(MessageRow.sender_id)
        )
        if chat_ids is not None:
            stmt = stmt.where(MessageRow.chat_id.in_(list(chat_ids)))
        return {
            int(sender): int(n) for sender, n in self.session.execute(stmt) if sender is not None
        }

    def by_external(self, channel: str, external_id: str) -> Message | None:
        row = self.session.scalar(
            select(MessageRow).where(
                MessageRow.channel == channel, MessageRow.external_id == external_id
            )
        )
        return None if row is None else self._to_domain(row)

    def existing(self, keys: list[tuple[str, str]]) -> dict[tuple[str, str], Message]:
        if not keys:
            return {}
        found: dict[tuple[str, str], Message] = {}
        by_channel: dict[str, list[str]] = {}
        for channel, external_id in keys:
            by_channel.setdefault(channel, []).append(external_id)
        for channel, ids in by_channel.items():
            rows = self.session.scalars(
                select(MessageRow).where(
                    MessageRow.channel == channel, MessageRow.external_id.in_(ids)
                )
            )
            for row in rows:
                found[(row.channel, row.external_id)] = self._to_domain(row)
        return found

    def add_many(self, messages: list[Message]) -> list[Message]:
        if not messages:
            return []
        rows = [
            {
                "channel": m.channel,
                "external_id": m.external_id,
                "chat_id": m.chat_id,
                "sender_id": m.sender_id,
                "kind": m.kind.value,
                "text": m.text,
                "payload": m.payload,
                "received_at": m.received_at,
                "state": m.state.value,
                "attempts": m.attempts,
            }
            for m in messages
        ]
        try:
            ids = self.session.scalars(
                insert(MessageRow).returning(MessageRow.id, sort_by_parameter_order=True),
                rows,
            ).all()
        except IntegrityError as exc:
            raise Conflict("与已有记录冲突，没有做任何修改。", details={"integrity": True}) from exc
        return [dataclasses.replace(m, id=i) for m, i in zip(messages, ids, strict=True)]

    @staticmethod
    def _claimable(now: datetime) -> Any:
        """Received, or failed and due for a retry, or processing with an expired lease (the
        process that held it died)."""
        return or_(
            MessageRow.state == MessageState.RECEIVED.value,
            MessageRow.state.in_([MessageState.FAILED.value, MessageState.PROCESSING.value])
            & or_(MessageRow.next_attempt_at.is_(None), MessageRow.next_attempt_at <= now),
        )

    def due_for_processing(self, now: datetime, limit: int = 50) -> list[Message]:
        stmt = select(MessageRow).where(self._claimable(now)).order_by(MessageRow.id).limit(limit)
        return [self._to_domain(r) for r in self.session.scalars(stmt)]

    def claim(
        self, message_id: int, now: datetime, lease_until: datetime, owner: str | None = None
    ) -> bool:
        """Atomically take a message for processing; False when someone else holds it."""
        result = self.session.execute(
            update(MessageRow)
            .where(MessageRow.id == message_id, self._claimable(now))
            .values(
                state=MessageState.PROCESSING.value,
                next_attempt_at=lease_until,
                attempts=MessageRow.attempts + 1,
                claimed_by=owner,
            )
            .execution_options(synchronize_session=False)
        )
        return bool(getattr(result, "rowcount", 0) == 1)

    def holders(self, *, excluding: str) -> set[str]:
        rows = self.session.scalars(
            select(MessageRow.claimed_by)
            .where(
                MessageRow.state == MessageState.PROCESSING.value,
                MessageRow.claimed_by.is_not(None),
                MessageRow.claimed_by != excluding,
            )
            .distinct()
        )
        return {r for r in rows if r}

    def release(self, owners: set[str], now: datetime) -> int:
        if not owners:
            return 0
        result = self.session.execute(
            update(MessageRow)
            .where(
                MessageRow.state == MessageState.PROCESSING.value,
                MessageRow.claimed_by.in_(sorted(owners)),
                or_(MessageRow.next_attempt_at.is_(None), MessageRow.next_attempt_at > now),
            )
            .values(next_attempt_at=now)
            .execution_options(synchronize_session=False)
        )
        return int(getattr(result, "rowcount", 0) or 0)


class SqlAuditRepository(SqlRepository[AuditEntry, AuditRow]):
    domain = AuditEntry
    row = AuditRow

    def by_key(self, key: str) -> AuditEntry | None:
        row = self.session.scalar(select(AuditRow).where(AuditRow.idempotency_key == key))
        return None if row is None else self._to_domain(row)


class SqlMilestoneRepository(SqlRepository[Milestone, MilestoneRow]):
    """Filters: ``due_after`` / ``due_before`` (datetime), ``cancelled`` (bool, default False)."""

    domain = Milestone
    row = MilestoneRow
    default_order = "due"

    def _special_filter_applies(self, key: str) -> bool:
        return key in {"due_after", "due_before", "cancelled"}

    def list(
        self,
        *,
        filters: dict[str, Any] | None = None,
        limit: int = 100,
        offset: int = 0,
        order: str | None = None,
    ) -> Page[Milestone]:
        """Milestones whose creation was undone are left out unless ``cancelled`` is given."""
        wanted = {"cancelled": False, **(filters or {})}
        return super().list(filters=wanted, limit=limit, offset=offset, order=order)

    def _special_filter(self, stmt: Select[Any], key: str, value: Any) -> Select[Any]:
        if key == "cancelled":
            column = MilestoneRow.cancelled_at
            return stmt.where(column.is_not(None) if value else column.is_(None))
        if key == "due_after":
            return stmt.where(MilestoneRow.due >= value)
        if key == "due_before":
            return stmt.where(MilestoneRow.due < value)
        return super()._special_filter(stmt, key, value)


class SqlJobRepository(SqlRepository[Job, JobRow]):
    domain = Job
    row = JobRow
    enums = {"state": JobState}


class SqlWorkerRepository:
    def __init__(self, session: Session) -> None:
        self.session = session

    def beat(self, worker: Worker) -> None:
        row = self.session.get(WorkerRow, worker.id)
        if row is None:
            self.session.add(
                WorkerRow(
                    id=worker.id,
                    host=worker.host,
                    pid=worker.pid,
                    started_at=worker.started_at,
                    heartbeat_at=worker.heartbeat_at,
                )
            )
        else:
            row.heartbeat_at = worker.heartbeat_at
        self.session.flush()

    def get(self, worker_id: str) -> Worker | None:
        row = self.session.get(WorkerRow, worker_id)
        if row is None:
            return None
        return Worker(
            id=row.id,
            host=row.host,
            pid=row.pid,
            started_at=row.started_at,
            heartbeat_at=row.heartbeat_at,
        )

    def forget(self, worker_ids: set[str]) -> None:
        for worker_id in worker_ids:
            row = self.session.get(WorkerRow, worker_id)
            if row is not None:
                self.session.delete(row)
        self.session.flush()


def _insert_for(session: Session) -> Any:
    """The dialect's INSERT with ON CONFLICT support (SQLite and PostgreSQL both have it)."""
    name = session.get_bind().dialect.name
    if name == "postgresql":
        return postgresql.insert
    if name == "sqlite":
        return sqlite.insert
    raise InvalidInput(f"数据库 {name} 不支持调度所需的 ON CONFLICT")


def _column_values(record: Any) -> dict[str, Any]:
    out: dict[str, Any] = {}
    for f in dataclasses.fields(record):
        if f.name == "id":
            continue
        value = getattr(record, f.name)
        if isinstance(value, StrEnum):
            value = value.value
        elif isinstance(value, list):
            value = list(value)
        elif isinstance(value, dict):
            value = dict(value)
        out[f.name] = value
    return out


_PLAN_BATCH = 400


class SqlScheduleRepository(SqlRepository[ScheduledJob, ScheduledJobRow]):
    """Filters: ``due_before`` / ``due_after`` (datetime)."""

    domain = ScheduledJob
    row = ScheduledJobRow
    enums = {"state": ScheduleState}
    default_order = "due_at"

    def _special_filter_applies(self, key: str) -> bool:
        return key in {"due_before", "due_after"}

    def _special_filter(self, stmt: Select[Any], key: str, value: Any) -> Select[Any]:
        if key == "due_before":
            return stmt.where(ScheduledJobRow.due_at < value)
        if key == "due_after":
            return stmt.where(ScheduledJobRow.due_at >= value)
        return super()._special_filter(stmt, key, value)

    def plan(self, jobs: Sequence[ScheduledJob]) -> int:
        if not jobs:
            return 0
        insert = _insert_for(self.session)
        table = ScheduledJobRow.__table__
        changed = 0
        unique = list({job.key: job for job in jobs}.values())
        # One statement, compiled once, run for every row (executemany): a multi-row VALUES
        # literal would be compiled anew for each batch, which costs more than the work.
        stmt = insert(ScheduledJobRow)
        excluded = stmt.excluded
        stmt = stmt.on_conflict_do_update(
            index_elements=["key"],
            set_={
                "due_at": excluded.due_at,
                "state": ScheduleState.PENDING.value,
                "chat_id": excluded.chat_id,
                "member_id": excluded.member_id,
                "payload": excluded.payload,
                "updated_at": excluded.created_at,
            },
            where=(
                (table.c.state == ScheduleState.CANCELLED.value)
                | (
                    (table.c.state == ScheduleState.PENDING.value)
                    & (
                        (table.c.due_at != excluded.due_at)
                        | (table.c.chat_id.is_distinct_from(excluded.chat_id))
                        | (table.c.member_id.is_distinct_from(excluded.member_id))
                    )
                )
            ),
        ).returning(ScheduledJobRow.id)
        for start in range(0, len(unique), _PLAN_BATCH):
            rows = [_column_values(job) for job in unique[start : start + _PLAN_BATCH]]
            changed += len(self.session.execute(stmt, rows).all())
        return changed

    def cancel_unplanned(
        self,
        *,
        sources: Sequence[str] | None,
        kinds: Sequence[str],
        keep: set[str],
        after: datetime,
    ) -> int:
        stmt = select(ScheduledJobRow.id, ScheduledJobRow.key).where(
            ScheduledJobRow.state == ScheduleState.PENDING.value,
            ScheduledJobRow.kind.in_(list(kinds)),
            ScheduledJobRow.due_at > after,
        )
        if sources is not None:
            if not sources:
                return 0
            stmt = stmt.where(ScheduledJobRow.source.in_(list(sources)))
        ids = [row.id for row in self.session.execute(stmt) if row.key not in keep]
        for start in range(0, len(ids), _PLAN_BATCH):
            self.session.execute(
                update(ScheduledJobRow)
                .where(
                    ScheduledJobRow.id.in_(ids[start : start + _PLAN_BATCH]),
                    ScheduledJobRow.state == ScheduleState.PENDING.value,
                )
                .values(state=ScheduleState.CANCELLED.value, updated_at=after)
                .execution_options(synchronize_session=False)
            )
        return len(ids)

    def due(
        self, now: datetime, limit: int = 100, *, kinds: Sequence[str] | None = None
    ) -> list[ScheduledJob]:
        stmt = select(ScheduledJobRow).where(
            ScheduledJobRow.state == ScheduleState.PENDING.value,
            ScheduledJobRow.due_at <= now,
        )
        if kinds is not None:
            stmt = stmt.where(ScheduledJobRow.kind.in_(list(kinds)))
        stmt = stmt.order_by(ScheduledJobRow.due_at, ScheduledJobRow.id).limit(limit)
        return [self._to_domain(r) for r in self.session.scalars(stmt)]

    def next_due_at(self) -> datetime | None:
        value: datetime | None = self.session.scalar(
            select(func.min(ScheduledJobRow.due_at)).where(
                ScheduledJobRow.state == ScheduleState.PENDING.value
            )
        )
        return value

    def finish(
        self, job_id: int, *, state: str, now: datetime, result: dict[str, Any] | None = None
    ) -> bool:
        outcome = self.session.execute(
            update(ScheduledJobRow)
            .where(
                ScheduledJobRow.id == job_id,
                ScheduledJobRow.state == ScheduleState.PENDING.value,
            )
            .values(state=state, done_at=now, updated_at=now, result=result, error=None)
            .execution_options(synchronize_session=False)
        )
        return bool(getattr(outcome, "rowcount", 0) == 1)


class SqlOutboxRepository(SqlRepository[OutboxMessage, OutboxRow]):
    """Filters: ``scheduled`` (bool: produced by a scheduled job rather than a reply);
    ``chat_id_not_in`` (chat ids whose messages are left out: other people's own chats)."""

    domain = OutboxMessage
    row = OutboxRow
    enums = {"state": OutboxState}
    default_order = "id"

    def _special_filter_applies(self, key: str) -> bool:
        return key in ("scheduled", "chat_id_not_in")

    def _special_filter(self, stmt: Select[Any], key: str, value: Any) -> Select[Any]:
        if key == "scheduled":
            return stmt.where(
                OutboxRow.job_id.is_not(None) if value else OutboxRow.job_id.is_(None)
            )
        if key == "chat_id_not_in":
            ids = [int(v) for v in value]
            return stmt.where(or_(OutboxRow.chat_id.is_(None), OutboxRow.chat_id.not_in(ids)))
        return super()._special_filter(stmt, key, value)

    def add_once(self, message: OutboxMessage) -> OutboxMessage:
        if message.key is None:
            return self.add(message)
        insert = _insert_for(self.session)
        new_id = self.session.execute(
            insert(OutboxRow)
            .values(_column_values(message))
            .on_conflict_do_nothing(index_elements=["key"])
            .returning(OutboxRow.id)
        ).scalar()
        if new_id is not None:
            return dataclasses.replace(message, id=new_id)
        row = self.session.scalar(select(OutboxRow).where(OutboxRow.key == message.key))
        assert row is not None
        return self._to_domain(row)

    def claim_many(
        self, message_ids: Sequence[int], now: datetime, lease_until: datetime
    ) -> set[int]:
        if not message_ids:
            return set()
        rows = self.session.execute(
            update(OutboxRow)
            .where(OutboxRow.id.in_(list(message_ids)), self._claimable(now))
            .values(
                state=OutboxState.SENDING.value,
                next_attempt_at=lease_until,
                attempts=OutboxRow.attempts + 1,
            )
            .returning(OutboxRow.id)
            .execution_options(synchronize_session=False)
        )
        return {int(r) for r in rows.scalars()}

    def mark(self, message_ids: Sequence[int], **values: Any) -> None:
        if not message_ids:
            return
        clean = {k: (v.value if isinstance(v, StrEnum) else v) for k, v in values.items()}
        self.session.execute(
            update(OutboxRow)
            .where(OutboxRow.id.in_(list(message_ids)))
            .values(**clean)
            .execution_options(synchronize_session=False)
        )

    @staticmethod
    def _claimable(now: datetime) -> Any:
        return or_(
            (OutboxRow.state == OutboxState.PENDING.value)
            & or_(OutboxRow.next_attempt_at.is_(None), OutboxRow.next_attempt_at <= now),
            (OutboxRow.state == OutboxState.SENDING.value) & (OutboxRow.next_attempt_at <= now),
        )

    def claimable(
        self, now: datetime, limit: int = 100, ids: Sequence[int] | None = None
    ) -> list[OutboxMessage]:
        stmt = select(OutboxRow).where(self._claimable(now))
        if ids is not None:
            if not ids:
                return []
            stmt = stmt.where(OutboxRow.id.in_(list(ids)))
        stmt = stmt.order_by(OutboxRow.id).limit(limit)
        return [self._to_domain(r) for r in self.session.scalars(stmt)]

    def claim(self, message_id: int, now: datetime, lease_until: datetime) -> bool:
        result = self.session.execute(
            update(OutboxRow)
            .where(OutboxRow.id == message_id, self._claimable(now))
            .values(
                state=OutboxState.SENDING.value,
                next_attempt_at=lease_until,
                attempts=OutboxRow.attempts + 1,
            )
            .execution_options(synchronize_session=False)
        )
        return bool(getattr(result, "rowcount", 0) == 1)

    def parts_sent_since(self, bucket: str, since: datetime) -> int:
        total = self.session.scalar(
            select(func.coalesce(func.sum(OutboxRow.parts_sent), 0)).where(
                OutboxRow.bucket == bucket, OutboxRow.sent_at >= since
            )
        )
        return int(total or 0)


class SqlLeaseRepository:
    def __init__(self, session: Session) -> None:
        self.session = session

    def acquire(self, name: str, holder: str, now: datetime, until: datetime) -> bool:
        result = self.session.execute(
            update(LeaseRow)
            .where(
                LeaseRow.name == name, or_(LeaseRow.holder == holder, LeaseRow.expires_at <= now)
            )
            .values(
                holder=holder,
                expires_at=until,
                acquired_at=case(
                    (LeaseRow.holder == holder, LeaseRow.acquired_at),
                    # typed, so that it is stored as UTC like every other datetime
                    else_=literal(now, type_=TZDateTime()),
                ),
            )
            .execution_options(synchronize_session=False)
        )
        if getattr(result, "rowcount", 0) == 1:
            return True
        insert = _insert_for(self.session)
        inserted = self.session.execute(
            insert(LeaseRow)
            .values(name=name, holder=holder, expires_at=until, acquired_at=now)
            .on_conflict_do_nothing(index_elements=["name"])
            .returning(LeaseRow.name)
        )
        return inserted.scalar() is not None

    def release(self, name: str, holder: str) -> None:
        self.session.execute(
            update(LeaseRow)
            .where(LeaseRow.name == name, LeaseRow.holder == holder)
            .values(expires_at=LeaseRow.acquired_at)
            .execution_options(synchronize_session=False)
        )

    def holder(self, name: str, now: datetime) -> str | None:
        row = self.session.get(LeaseRow, name)
        if row is None or row.expires_at <= now:
            return None
        return row.holder


class SqlMinutesRepository(SqlRepository[Minutes, MinutesRow]):
    domain = Minutes
    row = MinutesRow

    def by_meeting(self, meeting_id: int) -> Minutes | None:
        row = self.session.scalar(select(MinutesRow).where(MinutesRow.meeting_id == meeting_id))
        return None if row is None else self._to_domain(row)


class SqlIdentityRepository:
    """Verified channel identities, per-person API tokens and one-time sign-in links."""

    def __init__(self, session: Session) -> None:
        self.session = session

    @staticmethod
    def _token(row: ApiTokenRow) -> ApiToken:
        return ApiToken(
            id=row.id,
            member_id=row.member_id,
            label=row.label,
            token_hash=row.token_hash,
            prefix=row.prefix,
            scopes=list(row.scopes or []),
            created_by_id=row.created_by_id,
            created_at=row.created_at,
            expires_at=row.expires_at,
            revoked_at=row.revoked_at,
            last_used_at=row.last_used_at,
        )

    # -- channel identities ---------------------------------------------------------------
    def member_for(self, channel: str, external_id: str) -> int | None:
        """The member the channel verified as ``external_id``, if linked."""
        return self.session.scalar(
            select(MemberIdentityRow.member_id).where(
                MemberIdentityRow.channel == channel, MemberIdentityRow.external_id == external_id
            )
        )

    def link(self, member_id: int, channel: str, external_id: str, now: datetime) -> None:
        self.session.add(
            MemberIdentityRow(
                member_id=member_id, channel=channel, external_id=external_id, created_at=now
            )
        )
        try:
            self.session.flush()
        except IntegrityError as exc:
            raise Conflict(
                f"渠道 {channel} 的身份“{external_id}”已经属于另一位成员",
                details={"integrity": True},
            ) from exc

    def identities_of(self, member_id: int) -> list[tuple[str, str]]:
        rows = self.session.execute(
            select(MemberIdentityRow.channel, MemberIdentityRow.external_id)
            .where(MemberIdentityRow.member_id == member_id)
            .order_by(MemberIdentityRow.id)
        ).all()
        return [(c, e) for c, e in rows]

    # -- API tokens -----------------------------------------------------------------------
    def add_token(self, token: ApiToken) -> ApiToken:
        row = ApiTokenRow(
            member_id=token.member_id,
            label=token.label,
            token_hash=token.token_hash,
            prefix=token.prefix,
            scopes=list(token.scopes),
            created_by_id=token.created_by_id,
            created_at=token.created_at,
            expires_at=token.expires_at,
            revoked_at=token.revoked_at,
            last_used_at=token.last_used_at,
        )
        self.session.add(row)
        self.session.flush()
        return self._token(row)

    def token_by_hash(self, token_hash: str) -> ApiToken | None:
        row = self.session.scalar(select(ApiTokenRow).where(ApiTokenRow.token_hash == token_hash))
        return None if row is None else self._token(row)

    def token(self, token_id: int) -> ApiToken | None:
        row = self.session.get(ApiTokenRow, token_id) if _storable(token_id) else None
        return None if row is None else self._token(row)

    def tokens(self, *, member_id: int | None = None) -> list[ApiToken]:
        stmt = select(ApiTokenRow).order_by(ApiTokenRow.id)
        if member_id is not None:
            stmt = stmt.where(ApiTokenRow.member_id == member_id)
        return [self._token(r) for r in self.session.scalars(stmt)]

    def any_active_token(self, now: datetime) -> bool:
        found = self.session.scalar(
            select(ApiTokenRow.id)
            .where(
                ApiTokenRow.revoked_at.is_(None),
                or_(ApiTokenRow.expires_at.is_(None), ApiTokenRow.expires_at > now),
            )
            .limit(1)
        )
        return found is not None

    def revoke_token(self, token_id: int, now: datetime) -> ApiToken | None:
        row = self.session.get(ApiTokenRow, token_id) if _storable(token_id) else None
        if row is None:
            return None
        if row.revoked_at is None:
            row.revoked_at = now
            self.session.flush()
        return self._token(row)

    def touch_token(self, token_id: int, now: datetime) -> None:
        self.session.execute(
            update(ApiTokenRow).where(ApiTokenRow.id == token_id).values(last_used_at=now)
        )

    # -- one-time sign-in links -------------------------------------------------------------
    def add_link(self, link: LoginLink) -> LoginLink:
        row = LoginLinkRow(
            member_id=link.member_id,
            token_hash=link.token_hash,
            created_at=link.created_at,
            expires_at=link.expires_at,
            used_at=link.used_at,
        )
        self.session.add(row)
        self.session.flush()
        link.id = row.id
        return link

    def links_since(self, member_id: int, since: datetime) -> int:
        """How many sign-in links ``member_id`` was sent since ``since``."""
        return int(
            self.session.scalar(
                select(func.count(LoginLinkRow.id)).where(
                    LoginLinkRow.member_id == member_id, LoginLinkRow.created_at >= since
                )
            )
            or 0
        )

    def use_link(self, token_hash: str, now: datetime) -> int | None:
        """Spend the link: the member it signs in, once, before it expires (else ``None``)."""
        row = self.session.scalar(select(LoginLinkRow).where(LoginLinkRow.token_hash == token_hash))
        if row is None or row.used_at is not None or row.expires_at <= now:
            return None
        spent = self.session.execute(
            update(LoginLinkRow)
            .where(LoginLinkRow.id == row.id, LoginLinkRow.used_at.is_(None))
            .values(used_at=now)
        )
        return row.member_id if getattr(spent, "rowcount", 0) == 1 else None
