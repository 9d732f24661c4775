"""Minutes and digests as use cases: make minutes of a meeting (from its recording's transcript,
an uploaded transcript, or the chat around it), store them linked to the meeting, turn their
action items into tasks when someone in the chat confirms them, and digest a stretch of chat.

Tasks are only ever created by the executor, as the person who confirmed, with an idempotency
key per minutes item: confirming twice, re-running the minutes or a redelivered message never
makes a second task for the same item.
"""

from __future__ import annotations

import hashlib
import json
import logging
import re
from collections.abc import Sequence
from dataclasses import dataclass, field
from datetime import datetime, timedelta, tzinfo
from typing import Any, Protocol

from assistant.domain import Meeting, Member, Message, Minutes, ToolCall
from assistant.errors import InvalidInput, NotFound, QunmiError
from assistant.insight.summaries.digest import Digest, DigestMessage, build_digest
from assistant.insight.summaries.model import MeetingContext, MinutesDraft, TranscriptLine
from assistant.insight.summaries.replies import CardReply, read_reply, read_summary_request
from assistant.memory.privacy import budget_spans, mentions_budget
from assistant.ports import Clock
from assistant.unit_of_work import UnitOfWork, UnitOfWorkFactory
from tools.executor import CallContext, Executor, ToolResult
from tools.scope import Applied, Scope
from tools.vocabulary import Summarize

__all__ = [
    "MinutesEngine",
    "MinutesService",
    "ReplyOutcome",
    "lines_from_text",
    "minutes_record",
]

log = logging.getLogger(__name__)

_SPEAKER = re.compile(r"^\s*(?P<who>[^\s：:，,。]{1,16})\s*[：:]\s*(?P<text>.+)$")
_MAX_LINES = 20_000
_MEETING_WINDOW = timedelta(hours=2)


class MinutesEngine(Protocol):
    """Transcript lines → minutes draft."""

    name: str

    def minutes(self, lines: Sequence[TranscriptLine], context: MeetingContext) -> MinutesDraft: ...


def lines_from_text(text: str) -> list[TranscriptLine]:
    """A transcript as text: one turn a line, "说话人：话" when the speaker is known; a JSON
    list of ``{"speaker", "text"}`` turns is read as such."""
    stripped = text.strip()
    if not stripped:
        raise InvalidInput("转写内容是空的")
    if stripped.startswith("[") or stripped.startswith("{"):
        try:
            data = json.loads(stripped)
        except json.JSONDecodeError as exc:
            raise InvalidInput(f"转写文件不是合法的 JSON：{exc.msg}（第 {exc.lineno} 行）") from exc
        turns = data.get("transcript", data.get("segments")) if isinstance(data, dict) else data
        if not isinstance(turns, list):
            raise InvalidInput('JSON 转写需要是 [{"speaker", "text"}] 的列表')
        out = []
        for turn in turns[:_MAX_LINES]:
            if isinstance(turn, dict) and str(turn.get("text", "")).strip():
                speaker = turn.get("speaker")
                out.append(TranscriptLine(str(speaker) if speaker else None, str(turn["text"])))
        if not out:
            raise InvalidInput("JSON 转写里没有任何文字")
        return out
    out = []
    for raw in stripped.splitlines()[:_MAX_LINES]:
        if not raw.strip():
            continue
        m = _SPEAKER.match(raw)
        if m is not None and len(m["who"]) <= 10:
            out.append(TranscriptLine(m["who"], m["text"].strip()))
        else:
            out.append(TranscriptLine(None, raw.strip()))
    return out


def _key(owner: str | None, source: str) -> str:
    folded = re.sub(r"\W", "", source)
    return hashlib.sha256(f"{owner or ''}\n{folded}".encode()).hexdigest()[:12]


def minutes_record(minutes: Minutes, tz: tzinfo) -> dict[str, Any]:
    """Stored minutes as JSON: the ``qunmi summarize --json`` contract plus ids and states."""
    return {
        "id": minutes.id,
        "meeting_id": minutes.meeting_id,
        "chat_id": minutes.chat_id,
        "title": minutes.title,
        "source": minutes.source,
        "engine": minutes.engine,
        "started_at": minutes.started_at.astimezone(tz).isoformat() if minutes.started_at else None,
        "summary": minutes.summary,
        "topics": minutes.topics,
        "decisions": minutes.decisions,
        "action_items": minutes.action_items,
        "open_questions": minutes.open_questions,
        "updated_at": minutes.updated_at.astimezone(tz).isoformat(),
    }


def without_budget_figures(record: dict[str, Any]) -> dict[str, Any]:
    """Minutes as a reader who may not see the project's budget gets them: items and summary
    sentences that give budget, spending or cost figures are left out (the rest stays)."""

    def says_budget(item: Any) -> bool:
        if isinstance(item, dict):
            return any(isinstance(v, str) and mentions_budget(v) for v in item.values())
        return isinstance(item, str) and mentions_budget(item)

    out = dict(record)
    for key in ("decisions", "action_items", "open_questions", "topics"):
        items = out.get(key)
        if isinstance(items, list):
            out[key] = [i for i in items if not says_budget(i)]
    summary = out.get("summary")
    if isinstance(summary, str) and mentions_budget(summary):
        out["summary"] = _without_spans(summary, budget_spans(summary))
    return out


_CLAUSE_END = re.compile(r"[。！？!?；;，,]+")


def _without_spans(text: str, spans: Sequence[tuple[int, int]]) -> str:
    """``text`` without every clause (up to and including its comma or stop) that overlaps one
    of ``spans``: a summary written as one run-on paragraph loses the clause with the figure,
    not the whole paragraph, and a figure running over a comma takes both clauses with it."""
    kept: list[str] = []
    pos = 0
    for m in [*_CLAUSE_END.finditer(text), None]:
        end = m.end() if m is not None else len(text)
        if end > pos and not any(a < end and pos < b for a, b in spans):
            kept.append(text[pos:end])
        pos = end
        if m is None:
            break
    out = "".join(kept)
    return out[:-1] + "。" if out.endswith(("，", ",")) else out


@dataclass(slots=True)
class ReplyOutcome:
    """What a chat reply to a minutes card did: the executor's results and a card."""

    results: list[ToolResult] = field(default_factory=list)
    text: str = ""


class MinutesService:
    """Use cases over minutes; one instance per process."""

    def __init__(
        self,
        *,
        uow_factory: UnitOfWorkFactory,
        clock: Clock,
        executor: Executor,
        tz: tzinfo,
        engine: MinutesEngine,
        fallback: MinutesEngine | None = None,
        workday_end_hour: int = 18,
        max_chat_messages: int = 3000,
    ) -> None:
        self._uow_factory = uow_factory
        self._clock = clock
        self._executor = executor
        self.tz = tz
        self._engine = engine
        self._fallback = fallback
        self._workday_end_hour = workday_end_hour
        self._max_chat_messages = max_chat_messages

    # -- drafting -------------------------------------------------------------------------
    def draft(self, lines: Sequence[TranscriptLine], context: MeetingContext) -> MinutesDraft:
        """Minutes by the configured engine; when it fails, by the offline fallback."""
        if not lines:
            raise InvalidInput("没有可以总结的内容")
        try:
            return self._engine.minutes(lines, context)
        except QunmiError as exc:
            if self._fallback is None:
                raise
            log.warning(
                "minutes engine %s failed (%s); falling back", self._engine.name, exc.reason
            )
            draft = self._fallback.minutes(lines, context)
            draft.notes.append(f"模型失败，改用离线引擎：{exc.reason}")
            return draft

    def _members(self, uow: UnitOfWork) -> dict[str, list[str]]:
        return {m.display_name: list(m.aliases) for m in uow.members.all()}

    def meeting_lines(self, uow: UnitOfWork, meeting: Meeting) -> tuple[list[TranscriptLine], str]:
        """The meeting's transcript when it has one, else the chat around it."""
        if meeting.transcript and meeting.transcript.strip():
            return lines_from_text(meeting.transcript), "recording"
        if meeting.chat_id is None:
            raise InvalidInput(
                f"会议 #{meeting.id}「{meeting.title}」还没有录音转写，也不在任何群里，没有可总结的内容"
            )
        end = meeting.end or meeting.start + _MEETING_WINDOW
        messages = self._messages(uow, meeting.chat_id, meeting.start - timedelta(minutes=10), end)
        names = {m.id: m.display_name for m in uow.members.all()}
        lines = [
            TranscriptLine(names.get(m.sender_id or -1), m.text) for m in messages if m.text.strip()
        ]
        if not lines:
            raise InvalidInput(
                f"会议 #{meeting.id}「{meeting.title}」还没有录音转写，会议时间段里群里也没有消息"
            )
        return lines, "messages"

    def _messages(
        self, uow: UnitOfWork, chat_id: int, since: datetime, until: datetime
    ) -> list[Message]:
        """The chat's messages in [since, until), oldest first, at most the newest N (bounded)."""
        page = uow.messages.list(
            filters={"chat_id": chat_id, "received_after": since, "received_before": until},
            limit=self._max_chat_messages,
            order="-received_at",
        )
        return list(reversed(page.items))

    def store(
        self,
        uow: UnitOfWork,
        draft: MinutesDraft,
        lines: Sequence[TranscriptLine],
        *,
        context: MeetingContext,
        source: str,
        meeting_id: int | None = None,
        chat_id: int | None = None,
        actor_id: int | None = None,
    ) -> Minutes:
        """Store a draft: new minutes, or the meeting's minutes updated in place, keeping what
        was confirmed or dropped (by item key) so that re-running never doubles a task."""
        now = self._clock.now()
        existing = uow.minutes.by_meeting(meeting_id) if meeting_id is not None else None
        old = {item["key"]: item for item in (existing.action_items if existing else [])}
        items: list[dict[str, Any]] = []
        for item in draft.action_items:
            data = item.to_dict()
            data["key"] = _key(item.owner, item.source)
            previous = old.pop(data["key"], None)
            if previous is not None and previous.get("state") in ("confirmed", "dropped"):
                items.append(previous)
                continue
            data["state"] = "proposed"
            data["task_id"] = None
            items.append(data)
        # Confirmed items the new run no longer finds are real tasks: they stay listed.
        items.extend(i for i in old.values() if i.get("state") == "confirmed")
        for n, data in enumerate(items, 1):
            data["n"] = n
        record = existing or Minutes(created_at=now, updated_at=now)
        record.meeting_id = meeting_id
        record.chat_id = chat_id if chat_id is not None else record.chat_id
        record.source = source
        record.engine = draft.engine
        record.title = context.title
        record.started_at = context.start
        record.summary = draft.summary
        record.topics = [t.to_dict() for t in draft.topics]
        record.decisions = [d.to_dict() for d in draft.decisions]
        record.open_questions = [q.to_dict() for q in draft.open_questions]
        record.action_items = items
        record.lines = [{"speaker": ln.speaker, "text": ln.text} for ln in lines]
        record.updated_at = now
        record.created_by_id = record.created_by_id or actor_id
        return uow.minutes.update(record) if existing else uow.minutes.add(record)

    def for_meeting(self, uow: UnitOfWork, meeting: Meeting, *, actor_id: int | None) -> Minutes:
        """Make (or remake) a meeting's minutes inside ``uow`` (the caller commits)."""
        lines, source = self.meeting_lines(uow, meeting)
        context = MeetingContext(
            start=meeting.start.astimezone(self.tz),
            members=self._members(uow),
            title=meeting.title,
            workday_end_hour=self._workday_end_hour,
        )
        draft = self.draft(lines, context)
        return self.store(
            uow,
            draft,
            lines,
            context=context,
            source=source,
            meeting_id=meeting.id,
            chat_id=meeting.chat_id,
            actor_id=actor_id,
        )

    def from_lines(
        self,
        lines: Sequence[TranscriptLine],
        *,
        start: datetime,
        meeting_id: int | None = None,
        title: str | None = None,
        actor_id: int | None = None,
        source: str = "transcript",
    ) -> Minutes:
        """Minutes of an uploaded transcript, stored (and linked when a meeting is given)."""
        with self._uow_factory() as uow:
            chat_id = None
            if meeting_id is not None:
                meeting = uow.meetings.get(meeting_id)
                if meeting is None:
                    raise NotFound(f"会议 #{meeting_id} 不存在")
                title = title or meeting.title
                start = meeting.start
                chat_id = meeting.chat_id
            context = MeetingContext(
                start=start.astimezone(self.tz),
                members=self._members(uow),
                title=title,
                workday_end_hour=self._workday_end_hour,
            )
            draft = self.draft(lines, context)
            minutes = self.store(
                uow,
                draft,
                lines,
                context=context,
                source=source,
                meeting_id=meeting_id,
                chat_id=chat_id,
                actor_id=actor_id,
            )
            uow.commit()
            return minutes

    def get(self, minutes_id: int) -> Minutes:
        with self._uow_factory() as uow:
            minutes = uow.minutes.get(minutes_id)
        if minutes is None:
            raise NotFound(f"会议纪要 #{minutes_id} 不存在")
        return minutes

    # -- the summarize tool ---------------------------------------------------------------
    def summarize(self, scope: Scope, args: Summarize) -> Applied:
        """Handler of the ``summarize`` tool: minutes of a meeting, or a digest of the chat."""
        scope.check("summarize")
        if args.meeting is not None:
            if args.since is not None or args.until is not None:
                raise InvalidInput("总结会议时不要同时给时间段")
            meeting = _meeting_any_time(scope, args.meeting)
            minutes = self.for_meeting(scope.uow, meeting, actor_id=scope.actor.id)
            record = minutes_record(minutes, scope.tz)
            project = scope.uow.projects.get(meeting.project_id) if meeting.project_id else None
            if not scope.sees_budget(project or scope.project(None)):
                record = without_budget_figures(record)
            return Applied(kind="minutes", record=record)
        if scope.chat_id is None:
            raise InvalidInput("请在群里使用，或者说明要总结哪个会议")
        until = args.until or scope.now + timedelta(seconds=1)
        since = args.since or until.astimezone(scope.tz).replace(
            hour=0, minute=0, second=0, microsecond=0
        )
        if until <= since:
            raise InvalidInput("总结的时间段结束必须晚于开始")
        # Budget figures said in the chat stay out of a digest asked for by a non-PM.
        project = scope.project(None)
        digest = self.digest_in(
            scope.uow,
            chat_id=scope.chat_id,
            since=since,
            until=until,
            hide_budget=not scope.sees_budget(project),
        )
        return Applied(kind="digest", summary=digest.to_dict())

    # -- digests --------------------------------------------------------------------------
    def digest_in(
        self,
        uow: UnitOfWork,
        *,
        chat_id: int,
        since: datetime,
        until: datetime,
        hide_budget: bool = False,
    ) -> Digest:
        chat = uow.chats.get(chat_id)
        if chat is None:
            raise NotFound(f"群 {chat_id} 不存在")
        members = uow.members.all()
        names = {m.id: m.display_name for m in members if m.id is not None}
        messages = [
            DigestMessage(
                sender=names.get(m.sender_id or -1),
                text=m.text,
                at=m.received_at.astimezone(self.tz),
                is_bot=bool(m.payload.get("from_bot")),
            )
            for m in self._messages(uow, chat_id, since, until)
            if not (hide_budget and mentions_budget(m.text))
        ]
        tasks = uow.tasks.list(
            filters={"project_id": chat.project_id} if chat.project_id else {},
            limit=500,
            order="-id",
        ).items
        events = {t.id: uow.tasks.events(t.id) for t in tasks if t.id is not None}
        return build_digest(
            messages,
            tasks=tasks,
            events=events,
            names=names,
            members={m.display_name: list(m.aliases) for m in members},
            since=since.astimezone(self.tz),
            until=until.astimezone(self.tz),
            chat=chat.name,
        )

    def digest(self, *, chat_id: int, since: datetime, until: datetime) -> Digest:
        """The digest of one chat over [since, until): for the chat command, the CLI and the
        scheduler's daily digest."""
        with self._uow_factory() as uow:
            return self.digest_in(uow, chat_id=chat_id, since=since, until=until)

    # -- the card's replies ---------------------------------------------------------------
    def waiting_card(
        self, chat_id: int, *, within: timedelta = timedelta(days=7)
    ) -> Minutes | None:
        """The newest minutes of the chat with items still waiting for confirmation."""
        since = self._clock.now() - within
        with self._uow_factory() as uow:
            page = uow.minutes.list(filters={"chat_id": chat_id}, limit=20, order="-updated_at")
        for minutes in page.items:
            if minutes.updated_at < since:
                break
            if any(i.get("state") == "proposed" for i in minutes.action_items):
                return minutes
        return None

    def reply(
        self, *, text: str, chat_id: int | None, actor: Member, message_id: int | None
    ) -> ReplyOutcome | None:
        """Apply a chat reply to the chat's waiting minutes card, or ``None`` when the message
        is no such reply (the engine reads it instead)."""
        if chat_id is None:
            return None
        wanted = read_reply(text)
        if wanted is None:
            asked = read_summary_request(text, self._clock.now().astimezone(self.tz))
            if asked is None:
                return None
            result = self._executor.execute(
                ToolCall("summarize", asked),
                CallContext(
                    actor=actor.id or actor.display_name, chat_id=chat_id, message_id=message_id
                ),
            )
            return ReplyOutcome(results=[result])
        minutes = self.waiting_card(chat_id)
        if minutes is None or minutes.id is None:
            return None
        return self.apply(minutes.id, wanted, actor=actor, message_id=message_id, chat_id=chat_id)

    def apply(
        self,
        minutes_id: int,
        wanted: CardReply,
        *,
        actor: Member,
        message_id: int | None = None,
        chat_id: int | None = None,
    ) -> ReplyOutcome:
        """Confirm, drop or edit items of one minutes card."""
        minutes = self.get(minutes_id)
        items = {int(i["n"]): i for i in minutes.action_items}
        numbers = [*wanted.confirm, *wanted.drop, *(e.n for e in wanted.edits)]
        unknown = [n for n in numbers if n not in items]
        if unknown:
            raise InvalidInput(
                f"纪要 #{minutes_id} 没有第 {'、'.join(map(str, unknown))} 条待办（共 {len(items)} 条）"
            )
        notes: list[str] = []
        for edit in wanted.edits:
            notes.append(self._edit(items[edit.n], edit.field, edit.value, minutes))
        for n in wanted.drop:
            item = items[n]
            if item.get("state") == "confirmed":
                notes.append(f"第{n}条已经建成任务 #{item.get('task_id')}，要取消请直接改任务")
            else:
                item["state"] = "dropped"
                notes.append(f"已去掉第{n}条「{item['title']}」")
        picks = (
            [n for n, i in items.items() if i.get("state") == "proposed"]
            if wanted.confirm_all
            else list(wanted.confirm)
        )
        results: list[ToolResult] = []
        for n in picks:
            item = items[n]
            if item.get("state") == "confirmed" and item.get("task_id"):
                notes.append(f"第{n}条已经是任务 #{item['task_id']}")
                continue
            if item.get("state") == "dropped" and not wanted.confirm_all:
                item["state"] = "proposed"
            if item.get("state") != "proposed":
                continue
            result = self._create_task(
                minutes, item, actor=actor, message_id=message_id, chat_id=chat_id
            )
            results.append(result)
            if result.ok and result.record:
                item["state"] = "confirmed"
                item["task_id"] = result.record.get("id")
        with self._uow_factory() as uow:
            stored = uow.minutes.get(minutes_id)
            if stored is None:
                raise NotFound(f"会议纪要 #{minutes_id} 不存在")
            stored.action_items = [items[n] for n in sorted(items)]
            stored.updated_at = self._clock.now()
            uow.minutes.update(stored)
            uow.commit()
        waiting = [i for i in items.values() if i.get("state") == "proposed"]
        if waiting:
            notes.append("还有待确认：" + "；".join(f"{i['n']}. {i['title']}" for i in waiting[:9]))
        return ReplyOutcome(results=results, text="\n".join(notes))

    def _edit(self, item: dict[str, Any], what: str, value: str, minutes: Minutes) -> str:
        if item.get("state") == "confirmed":
            return f"第{item['n']}条已经建成任务 #{item.get('task_id')}，请直接改任务"
        if what == "owner":
            with self._uow_factory() as uow:
                members = uow.members.all()
            from tools.resolve import resolve_member_name

            owner = resolve_member_name(value, actor=Member(display_name=value), members=members)
            item["owner"] = owner.display_name
            return f"第{item['n']}条负责人改为 {owner.display_name}"
        if what == "title":
            item["title"] = value[:200]
            return f"第{item['n']}条改为「{item['title']}」"
        from assistant.engines.rules.timeslots import due_instant, find_times

        times, _ = find_times(value, self._clock.now().astimezone(self.tz))
        due = due_instant(times[0], workday_end_hour=self._workday_end_hour) if times else None
        if due is None:
            raise InvalidInput(f"没看懂“{value}”是什么时间，例如“2改到周四”")
        item["due"] = due.isoformat()
        return f"第{item['n']}条截止改为 {due:%m月%d日 %H:%M}"

    def _create_task(
        self,
        minutes: Minutes,
        item: dict[str, Any],
        *,
        actor: Member,
        message_id: int | None,
        chat_id: int | None,
    ) -> ToolResult:
        where = f"会议纪要 #{minutes.id}" + (f"「{minutes.title}」" if minutes.title else "")
        line = item.get("line")
        description = (
            f"来自{where}"
            + (f"第 {int(line) + 1} 行" if line is not None else "")
            + f"：“{item['source']}”"
        )
        args: dict[str, Any] = {"title": item["title"][:200], "description": description[:4000]}
        if item.get("owner"):
            args["assignee"] = item["owner"]
        if item.get("due"):
            args["due"] = item["due"]
        ctx = CallContext(
            actor=actor.id or actor.display_name,
            chat_id=chat_id if chat_id is not None else minutes.chat_id,
            # One task per minutes item, whoever confirms it and however often.
            idempotency_key=f"minutes{minutes.id}-{item['key']}",
        )
        return self._executor.execute(ToolCall("create_task", args), ctx)


def _meeting_any_time(scope: Scope, ref: int | str) -> Meeting:
    """A meeting by number, or by words among the chat's recent and upcoming meetings (minutes
    are mostly asked for meetings that have just ended)."""
    from tools.resolve import parse_ref_id, pick_by_words

    meeting_id = parse_ref_id(ref)
    if meeting_id is not None:
        meeting = scope.uow.meetings.get(meeting_id)
        if meeting is None:
            raise NotFound(f"没有编号为 #{meeting_id} 的会议")
        return meeting
    recent = scope.uow.meetings.list(
        filters={
            "start_after": scope.now - timedelta(days=14),
            "start_before": scope.now + timedelta(days=1),
        },
        limit=200,
        order="-start",
    ).items
    if scope.chat_id is not None:
        in_chat = [m for m in recent if m.chat_id == scope.chat_id]
        recent = in_chat or recent
    words = str(ref).strip()
    if words in ("会", "会议", "刚才的会", "今天的会", "这个会", "刚才那个会"):
        past = [m for m in recent if m.start <= scope.now]
        if past:
            return past[0]
    return pick_by_words(
        words, recent, label=lambda m: " ".join([m.title, *m.agenda]), kind="最近的会议"
    )
