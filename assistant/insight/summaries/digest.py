"""Chat digests: what a group talked about over a period — topics, decisions, tasks created,
finished and slipping, questions nobody answered, and who is waiting on whom. Chit-chat is
skipped. Pure code over records handed in; the caller bounds how many messages it reads.
"""

from __future__ import annotations

import re
from collections.abc import Mapping, Sequence
from dataclasses import dataclass, field
from datetime import datetime, timedelta
from typing import Any

from assistant.domain import Task, TaskEvent, TaskStatus
from assistant.engines.rules.people import Roster
from assistant.insight.summaries.cues import find_decisions
from assistant.insight.summaries.model import TranscriptLine
from assistant.insight.summaries.ranking import SentenceRanker, compose_summary, segment_topics
from assistant.insight.summaries.spoken import is_chitchat, split_transcript

__all__ = ["Digest", "DigestMessage", "build_digest", "render_digest"]

_QUESTION = re.compile(
    r"[？?]\s*$|(?:吗|呢|么)[。!！~\s]*$|^(?:谁|有没有人|哪位|请问)|怎么办|怎么弄|在哪"
)
_ANSWER_WINDOW = timedelta(hours=24)


@dataclass(frozen=True, slots=True)
class DigestMessage:
    sender: str | None
    text: str
    at: datetime
    is_bot: bool = False


@dataclass(slots=True)
class Digest:
    chat: str
    since: datetime
    until: datetime
    messages: int = 0
    participants: list[str] = field(default_factory=list)
    summary: str = ""
    topics: list[dict[str, str]] = field(default_factory=list)
    decisions: list[str] = field(default_factory=list)
    tasks_created: list[dict[str, Any]] = field(default_factory=list)
    tasks_done: list[dict[str, Any]] = field(default_factory=list)
    tasks_slipping: list[dict[str, Any]] = field(default_factory=list)
    unanswered: list[dict[str, Any]] = field(default_factory=list)
    waiting: list[dict[str, Any]] = field(default_factory=list)

    def to_dict(self) -> dict[str, Any]:
        return {
            "chat": self.chat,
            "since": self.since.isoformat(),
            "until": self.until.isoformat(),
            "messages": self.messages,
            "participants": self.participants,
            "summary": self.summary,
            "topics": self.topics,
            "decisions": self.decisions,
            "tasks_created": self.tasks_created,
            "tasks_done": self.tasks_done,
            "tasks_slipping": self.tasks_slipping,
            "unanswered": self.unanswered,
            "waiting": self.waiting,
        }


def _task(task: Task, names: Mapping[int, str]) -> dict[str, Any]:
    return {
        "id": task.id,
        "title": task.title,
        "assignee": names.get(task.assignee_id) if task.assignee_id else None,
        "due": task.due.isoformat() if task.due else None,
        "status": task.status.value,
    }


def _in(at: datetime | None, since: datetime, until: datetime) -> bool:
    return at is not None and since <= at < until


def build_digest(
    messages: Sequence[DigestMessage],
    *,
    tasks: Sequence[Task],
    events: Mapping[int, Sequence[TaskEvent]],
    names: Mapping[int, str],
    members: Mapping[str, Sequence[str]],
    since: datetime,
    until: datetime,
    chat: str,
) -> Digest:
    """The digest of ``messages`` (oldest first) and of the tasks touched in [since, until)."""
    talk = [
        m for m in messages if not m.is_bot and not is_chitchat(m.text) and len(m.text.strip()) > 3
    ]
    digest = Digest(chat=chat, since=since, until=until, messages=len(messages))
    digest.participants = sorted({m.sender for m in messages if m.sender})
    lines = [TranscriptLine(m.sender, m.text) for m in talk]
    sentences = split_transcript(lines)
    if sentences:
        ranker = SentenceRanker(sentences)
        topics = segment_topics(ranker, max_topics=5)
        digest.topics = [{"title": t.title, "summary": t.summary} for t in topics]
        digest.summary = compose_summary(ranker, topics, budget=200)
        digest.decisions = [d.text for d in find_decisions(sentences, lines, limit=8)]
    for task in tasks:
        if _in(task.created_at, since, until):
            digest.tasks_created.append(_task(task, names))
        if task.status == TaskStatus.DONE and _in(task.completed_at, since, until):
            digest.tasks_done.append(_task(task, names))
        if task.status.is_open and task.due is not None:
            pushed = any(
                e.kind == "due" and _in(e.at, since, until) and (e.old or "") < (e.new or "")
                for e in events.get(task.id or -1, ())
            )
            if task.due < until or pushed:
                entry = _task(task, names)
                entry["why"] = "逾期" if task.due < until else "延期"
                digest.tasks_slipping.append(entry)
    roster = Roster({k: list(v) for k, v in members.items()}, "")
    for i, m in enumerate(talk):
        if m.sender is None or not _QUESTION.search(m.text.strip()):
            continue
        called = [p.name for p in roster.find(m.text) if p.known and p.name != m.sender]
        later = [x for x in talk[i + 1 :] if x.at - m.at <= _ANSWER_WINDOW]
        if called:
            if not any(x.sender in called for x in later):
                digest.waiting.append(
                    {
                        "who": m.sender,
                        "on": called[0],
                        "text": m.text.strip()[:120],
                        "at": m.at.isoformat(),
                    }
                )
        elif not any(x.sender not in (None, m.sender) for x in later):
            digest.unanswered.append(
                {"sender": m.sender, "text": m.text.strip()[:120], "at": m.at.isoformat()}
            )
    digest.unanswered = digest.unanswered[-10:]
    digest.waiting = digest.waiting[-10:]
    return digest


def _day(value: str) -> str:
    at = datetime.fromisoformat(value)
    return f"{at.month}月{at.day}日"


def render_digest(data: Mapping[str, Any]) -> str:
    """The digest card for the chat (markdown-light Chinese text)."""
    since, until = data["since"], data["until"]
    last = (datetime.fromisoformat(until) - timedelta(microseconds=1)).isoformat()
    period = _day(since) if _day(since) == _day(last) else f"{_day(since)}至{_day(last)}"
    out = [f"🗒️ {period}群聊摘要（{data['messages']} 条消息）"]
    if not data["messages"]:
        out.append("这段时间群里没有消息。")
        return "\n".join(out)
    if data.get("summary"):
        out.append(data["summary"])
    if data.get("topics"):
        out.append("💬 讨论：" + "；".join(t["title"] for t in data["topics"]))
    if data.get("decisions"):
        out.append("✅ 决定：")
        out.extend(f"· {d}" for d in data["decisions"][:6])
    counts = []
    if data.get("tasks_created"):
        counts.append(f"新建 {len(data['tasks_created'])}")
    if data.get("tasks_done"):
        counts.append(f"完成 {len(data['tasks_done'])}")
    if data.get("tasks_slipping"):
        counts.append(f"逾期或延期 {len(data['tasks_slipping'])}")
    if counts:
        out.append("📋 任务：" + "，".join(counts))
        for t in data.get("tasks_slipping", [])[:5]:
            who = f"（{t['assignee']}）" if t.get("assignee") else ""
            out.append(f"· ⚠️ #{t['id']}「{t['title']}」{who}{t.get('why', '')}")
    if data.get("unanswered"):
        out.append("❓ 还没人回答：")
        out.extend(f"· {q['sender']}：{q['text']}" for q in data["unanswered"][:5])
    if data.get("waiting"):
        out.append("⏳ 等待回复：")
        out.extend(f"· {w['who']} 在等 {w['on']}：{w['text']}" for w in data["waiting"][:5])
    return "\n".join(out)
