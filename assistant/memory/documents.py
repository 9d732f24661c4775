"""Records → passages: what a message, a task with its history, or a meeting (with its
transcript) says, as ``HistoryDoc`` values. Pure functions over domain records."""

from __future__ import annotations

import hashlib
import re
from collections.abc import Mapping, Sequence
from datetime import datetime, timedelta, tzinfo

from assistant.domain import (
    Chat,
    Meeting,
    MeetingStatus,
    Member,
    Message,
    MessageKind,
    MessageState,
    Minutes,
    Project,
    Task,
    TaskEvent,
)
from assistant.files import Document
from assistant.memory.cues import is_question
from assistant.memory.ports import DocKind, HistoryDoc

__all__ = [
    "CHUNK_CHARS",
    "REPLY_WINDOW",
    "chunk_text",
    "file_docs",
    "fingerprint",
    "meeting_docs",
    "message_docs",
    "minutes_docs",
    "task_docs",
]

CHUNK_CHARS = 320
REPLY_WINDOW = timedelta(minutes=30)
# A terse line ("2400支 入库了 3号冷库", "发了 德邦 周四到") leaves its subject to the line
# before it in the chat: within this window it is searched with that line.
TERSE_CHARS = 16
THREAD_WINDOW = timedelta(hours=2)
_OVERLAP = 40
_SENTENCE_END = re.compile(r"(?<=[。！？!?；;\n])")
# What is too short to remember: acknowledgements, emoji, a lone word.
_MIN_WORD_CHARS = 4
_WORD_CHAR = re.compile(r"[0-9A-Za-z\u3400-\u9fff]")

_STATUS = {
    "todo": "待办",
    "in_progress": "进行中",
    "blocked": "受阻",
    "done": "已完成",
    "cancelled": "已取消",
}
_MEETING_STATUS = {"scheduled": "已安排", "cancelled": "已取消", "done": "已结束"}


def fingerprint(*parts: object) -> str:
    """A short, stable digest of everything a passage says and is filtered by."""
    raw = "\x1f".join("" if p is None else str(p) for p in parts)
    return hashlib.sha256(raw.encode()).hexdigest()[:12]


def chunk_text(text: str, size: int = CHUNK_CHARS) -> list[str]:
    """Split a long text into passages of about ``size`` characters at sentence ends, each
    starting with the tail of the previous one so that no sentence loses its context."""
    text = text.strip()
    if len(text) <= size:
        return [text] if text else []
    sentences = [s for s in _SENTENCE_END.split(text) if s.strip()]
    chunks: list[str] = []
    current = ""
    for sentence in sentences:
        while len(sentence) > size:  # a run-on transcript without punctuation
            head, sentence = sentence[:size], sentence[size:]
            if current:
                chunks.append(current)
                current = ""
            chunks.append(head)
        if current and len(current) + len(sentence) > size:
            chunks.append(current)
            current = current[-_OVERLAP:]
        current += sentence
    if current.strip() and (not chunks or current != chunks[-1][-len(current) :]):
        chunks.append(current)
    return [c.strip() for c in chunks if c.strip()]


_FIGURE = re.compile(r"\d|[一二两三四五六七八九十百千万半]\s*[\u3400-\u9fff]")


def _worth_keeping(text: str) -> bool:
    """Long enough to say something, or short with a figure in it ("对，两吨")."""
    chars = len(_WORD_CHAR.findall(text))
    return chars >= _MIN_WORD_CHARS or (chars >= 2 and bool(_FIGURE.search(text)))


_CODE = re.compile(r"[A-Za-z]{2,}|[A-Za-z]+\d|\d")


def _terse(text: str) -> bool:
    """A short line that states something (a figure, a code, a name in letters, or six
    characters or more), not an acknowledgement ("谢谢大家", "好的收到")."""
    chars = len(_WORD_CHAR.findall(text))
    if chars >= TERSE_CHARS:
        return False
    return chars >= 6 or bool(_FIGURE.search(text) or _CODE.search(text))


def _when(value: datetime | None, tz: tzinfo) -> str:
    if value is None:
        return ""
    local = value.astimezone(tz)
    return f"{local.month}月{local.day}日 {local:%H:%M}"


def _place(chat: Chat | None, project: Project | None) -> dict[str, int | str | None]:
    """Where a passage was said: its chat and project, by id and by name (for filters and for
    showing the source)."""
    return {
        "chat_id": chat.id if chat else None,
        "chat": chat.name if chat else None,
        "project_id": project.id if project else None,
        "project": project.name if project else None,
    }


def message_docs(
    message: Message,
    *,
    chat: Chat | None,
    sender: Member | None,
    project: Project | None,
    previous: HistoryDoc | None = None,
) -> list[HistoryDoc]:
    """A processed message as one passage (a voice note's transcript is kind ``transcript``);
    nothing for acknowledgements, emoji and messages not processed yet. ``previous`` is the
    message said before it in the chat: when that asked a question shortly before and this
    one does not ask, this one is taken as its answer and searched with it."""
    if message.id is None or message.state != MessageState.DONE:
        return []
    text = (message.text or "").strip()
    if not _worth_keeping(text):
        return []
    kind: DocKind = "transcript" if message.kind == MessageKind.VOICE else "message"
    common = {
        **_place(chat, project),
        "sender_id": sender.id if sender else None,
        "sender": sender.display_name if sender else None,
    }
    context = None
    if (
        previous is not None
        and previous.chat_id == common["chat_id"]
        and not is_question(text)
        and timedelta(0) <= message.received_at - previous.time
    ):
        gap = message.received_at - previous.time
        if (gap <= REPLY_WINDOW and is_question(previous.text)) or (
            gap <= THREAD_WINDOW and _terse(text)
        ):
            context = previous.text[:200]
    parts = chunk_text(text)
    version = fingerprint(text, kind, message.received_at.isoformat(), context, *common.values())
    return [
        HistoryDoc(
            source="message",
            record_id=message.id,
            kind=kind,
            text=part,
            time=message.received_at,
            version=version,
            part=n,
            context=context if n == 0 else None,
            **common,  # type: ignore[arg-type]
        )
        for n, part in enumerate(parts)
    ]


def _event_line(event: TaskEvent, names: Mapping[int, str], tz: tzinfo) -> str:
    who = names.get(event.actor_id or 0, "")
    when = _when(event.at, tz)
    note = f"（{event.note}）" if event.note else ""
    if event.kind == "status":
        old = _STATUS.get(event.old or "", event.old or "")
        change = f"状态 {old} → {_STATUS.get(event.new or '', event.new or '')}"
    elif event.kind == "due":
        try:
            due = _when(datetime.fromisoformat(event.new), tz) if event.new else "无"
        except ValueError:
            due = event.new or "无"
        change = f"截止时间改为 {due}"
    elif event.kind == "assignee":
        new = event.new or ""
        change = f"负责人改为 {names.get(int(new), new) if new.isdigit() else new or '无'}"
    elif event.kind == "created":
        change = "创建"
    elif event.kind == "note":
        change, note = f"进展：{event.note or ''}", ""
    elif event.kind == "undo":
        change = "撤销了上一次修改"
    else:
        change = event.kind
    return f"{when} {who} {change}{note}".strip()


def task_docs(
    task: Task,
    events: Sequence[TaskEvent],
    *,
    names: Mapping[int, str],
    chat: Chat | None,
    project: Project | None,
    tz: tzinfo,
) -> list[HistoryDoc]:
    """A task and its history (status changes, new due dates, notes) as one passage, dated
    by its latest change."""
    if task.id is None:
        return []
    head = [f"任务 #{task.id}「{task.title}」"]
    if task.assignee_id:
        head.append(f"负责人 {names.get(task.assignee_id, '')}")
    if task.due:
        head.append(f"截止 {_when(task.due, tz)}")
    head.append(f"状态 {_STATUS.get(task.status.value, task.status.value)}")
    lines = ["，".join(head)]
    if task.description:
        lines.append(task.description)
    lines.extend(_event_line(e, names, tz) for e in events)
    text = "\n".join(lines)
    moments = [task.created_at, *(e.at for e in events)]
    time = max((m for m in moments if m is not None), default=None)
    if time is None:
        return []
    creator = task.creator_id
    version = fingerprint(text, time.isoformat(), chat and chat.id, project and project.id)
    return [
        HistoryDoc(
            source="task",
            record_id=task.id,
            kind="task",
            text=part,
            time=time,
            version=version,
            part=n,
            title=task.title,
            chat_id=chat.id if chat else None,
            chat=chat.name if chat else None,
            project_id=project.id if project else None,
            project=project.name if project else None,
            sender_id=creator,
            sender=names.get(creator) if creator else None,
        )
        for n, part in enumerate(chunk_text(text, size=CHUNK_CHARS * 2))
    ]


def meeting_docs(
    meeting: Meeting,
    *,
    names: Mapping[int, str],
    chat: Chat | None,
    project: Project | None,
    tz: tzinfo,
) -> list[HistoryDoc]:
    """A meeting as one passage, and its attached transcript (if any) as ``transcript``
    passages of the same record."""
    if meeting.id is None or meeting.created_at is None:
        return []
    span = _when(meeting.start, tz)
    if meeting.end is not None:
        span += f"–{meeting.end.astimezone(tz):%H:%M}"
    parts = [f"会议 #{meeting.id}「{meeting.title}」{span}"]
    if meeting.location:
        parts.append(f"地点 {meeting.location}")
    if meeting.attendee_ids:
        parts.append("参会 " + "、".join(names.get(i, str(i)) for i in meeting.attendee_ids))
    if meeting.agenda:
        parts.append("议题 " + "；".join(meeting.agenda))
    if meeting.status != MeetingStatus.SCHEDULED:
        parts.append(_MEETING_STATUS.get(meeting.status.value, meeting.status.value))
    summary = "，".join(parts)
    organizer = meeting.organizer_id
    common = {
        **_place(chat, project),
        "sender_id": organizer,
        "sender": names.get(organizer) if organizer else None,
    }
    version = fingerprint(
        summary, meeting.transcript, meeting.created_at.isoformat(), *common.values()
    )
    docs = [
        HistoryDoc(
            source="meeting",
            record_id=meeting.id,
            kind="meeting",
            text=summary,
            time=meeting.created_at,
            version=version,
            title=meeting.title,
            **common,  # type: ignore[arg-type]
        )
    ]
    transcript = (meeting.transcript or "").strip()
    for n, part in enumerate(chunk_text(transcript), start=1):
        docs.append(
            HistoryDoc(
                source="meeting",
                record_id=meeting.id,
                kind="transcript",
                text=f"会议「{meeting.title}」录音：{part}",
                time=meeting.start,
                version=version,
                part=n,
                title=meeting.title,
                **common,  # type: ignore[arg-type]
            )
        )
    return docs


def _item(entry: object) -> str:
    if isinstance(entry, dict):
        for key in ("text", "title", "question", "summary"):
            value = entry.get(key)
            if isinstance(value, str) and value.strip():
                owner = entry.get("owner")
                return f"{owner}：{value.strip()}" if isinstance(owner, str) and owner else value
        return ""
    return str(entry or "").strip()


def minutes_docs(
    minutes: Minutes, *, chat: Chat | None, project: Project | None, tz: tzinfo
) -> list[HistoryDoc]:
    """Meeting minutes as passages of kind ``minutes``: the summary, the decisions, the
    action items and the open questions, under the meeting's title and date."""
    if minutes.id is None:
        return []
    moment = minutes.started_at or minutes.created_at
    title = minutes.title or "会议纪要"
    sections = [
        ("结论", [_item(d) for d in minutes.decisions]),
        ("待办", [_item(a) for a in minutes.action_items if a.get("state") != "dropped"]),
        ("待定问题", [_item(q) for q in minutes.open_questions]),
    ]
    lines = [f"{title}（{_when(moment, tz)}）纪要：{minutes.summary.strip()}".rstrip("：")]
    for label, items in sections:
        kept = [i for i in items if i]
        if kept:
            lines.append(f"{label}：" + "；".join(kept))
    text = "\n".join(lines)
    common = {
        **_place(chat, project),
    }
    version = fingerprint(text, moment.isoformat(), *common.values())
    return [
        HistoryDoc(
            source="minutes",
            record_id=minutes.id,
            kind="minutes",
            text=part,
            time=moment,
            version=version,
            part=n,
            title=title,
            **common,  # type: ignore[arg-type]
        )
        for n, part in enumerate(chunk_text(text))
    ]


def file_docs(
    document: Document,
    *,
    chat: Chat | None,
    project: Project | None,
    uploader: Member | None,
) -> list[HistoryDoc]:
    """A file in a project folder as passages of kind ``file``: its name, version, folder and
    download link, then its text in chunks (each under the same heading, so that a passage
    found by its words still says which file and version it is). A file without text (an
    image, an unknown type) is one passage: it is found by its name."""
    if document.id is None:
        return []
    state = "最新版" if document.is_latest else "旧版本"
    project_part = f"项目「{project.name}」" if project else ""
    heading = (
        f"文件「{document.name}」第{document.version}版（{state}），"
        f"{project_part}文件夹「{document.folder}」，下载 /files/{document.id}"
    )
    body = chunk_text(document.text or "")
    parts = [heading] if not body else [f"{heading}\n{part}" for part in body]
    common = {
        **_place(chat, project),
        "project_id": project.id if project else document.project_id,
        "sender_id": uploader.id if uploader else document.uploaded_by_id,
        "sender": uploader.display_name if uploader else None,
    }
    version = fingerprint(
        heading, document.sha256, document.created_at.isoformat(), *common.values()
    )
    return [
        HistoryDoc(
            source="file",
            record_id=document.id,
            kind="file",
            text=part,
            time=document.created_at,
            version=version,
            part=n,
            title=document.name,
            **common,  # type: ignore[arg-type]
        )
        for n, part in enumerate(parts)
    ]
