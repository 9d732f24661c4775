"""Reply cards: short Chinese confirmations, answers and questions for the chat."""

from __future__ import annotations

from collections.abc import Sequence
from datetime import datetime, tzinfo
from typing import Any

from assistant.ports import OutgoingCard
from tools.executor import ToolResult

__all__ = ["render_result", "render_results", "when"]

_WEEKDAYS = "一二三四五六日"
_STATUS = {
    "todo": "待办",
    "in_progress": "进行中",
    "blocked": "受阻",
    "done": "已完成",
    "cancelled": "已取消",
}
_PRIORITY = {"urgent": "🔴紧急", "high": "🟠高优先级", "low": "低优先级"}


def when(value: str | None, tz: tzinfo, now: datetime | None = None) -> str:
    """``11月27日(周五) 18:00``; the year only when it is not this year."""
    if not value:
        return ""
    dt = datetime.fromisoformat(value).astimezone(tz)
    year = "" if now is None or now.astimezone(tz).year == dt.year else f"{dt.year}年"
    return f"{year}{dt.month}月{dt.day}日(周{_WEEKDAYS[dt.weekday()]}) {dt:%H:%M}"


def _task_line(t: dict[str, Any], tz: tzinfo, now: datetime | None) -> str:
    parts = [f"#{t['id']}「{t['title']}」"]
    if t.get("assignee"):
        parts.append(f"负责人 {t['assignee']}")
    if t.get("due"):
        parts.append(f"截止 {when(t['due'], tz, now)}")
    if t.get("priority") in _PRIORITY:
        parts.append(_PRIORITY[t["priority"]])
    if t.get("status") and t["status"] != "todo":
        parts.append(_STATUS.get(t["status"], t["status"]))
    return " · ".join(parts)


def _meeting_line(m: dict[str, Any], tz: tzinfo, now: datetime | None) -> str:
    parts = [f"#{m['id']}「{m['title']}」", when(m.get("start"), tz, now)]
    if m.get("location"):
        parts.append(m["location"])
    return " · ".join(p for p in parts if p)


def render_result(
    result: ToolResult, *, tz: tzinfo, now: datetime | None = None, console_url: str = ""
) -> OutgoingCard:
    if not result.ok:
        error = result.error or {}
        reason = error.get("reason", "没能完成这个操作")
        if error.get("code") == "ambiguous" or "补充" in reason:
            return OutgoingCard(text=f"❓ {reason}", kind="question")
        return OutgoingCard(text=f"⚠️ {reason}", kind="error")
    rec = result.record or {}
    link = (
        f"\n{console_url.rstrip('/')}/#{result.kind}-{rec.get('id')}"
        if console_url and rec.get("id")
        else ""
    )
    mentions: list[str] = []
    if result.tool == "create_task":
        if rec.get("assignee"):
            mentions.append(rec["assignee"])
        text = "✅ 已记下任务 " + _task_line(rec, tz, now)
    elif result.tool == "update_task":
        status = rec.get("status", "")
        verb = {
            "done": "🎉 已完成",
            "in_progress": "▶️ 开始处理",
            "blocked": "⛔ 受阻",
            "cancelled": "🚫 已取消",
        }.get(status, "✏️ 已更新")
        text = f"{verb} 任务 " + _task_line(rec, tz, now)
        if rec.get("progress_note"):
            text += f"\n进展：{rec['progress_note']}"
    elif result.tool == "create_meeting":
        attendees = "全员" if rec.get("attendees_all") else "、".join(rec.get("attendees", []))
        lines = [f"📅 已安排会议 {_meeting_line(rec, tz, now)}"]
        if rec.get("end") and rec.get("start"):
            minutes = int(
                (
                    datetime.fromisoformat(rec["end"]) - datetime.fromisoformat(rec["start"])
                ).total_seconds()
                // 60
            )
            lines.append(f"时长 {minutes} 分钟")
        lines.append(f"参会：{attendees}")
        if rec.get("agenda"):
            lines.append("议题：" + "；".join(rec["agenda"]))
        if rec.get("remind_before_minutes"):
            lines.append(f"会前 {rec['remind_before_minutes'][0]} 分钟提醒")
        text = "\n".join(lines)
    elif result.tool == "reschedule_meeting":
        text = f"🔁 会议改期 #{rec['id']}「{rec['title']}」：{when(rec.get('previous_start'), tz, now)} → {when(rec.get('start'), tz, now)}"
    elif result.tool == "cancel_meeting":
        text = f"🚫 已取消会议 {_meeting_line(rec, tz, now)}"
        if rec.get("reason"):
            text += f"（{rec['reason']}）"
    elif result.tool == "create_project":
        text = f"📁 已新建项目「{rec['name']}」"
        if rec.get("owner"):
            text += f" · 负责人 {rec['owner']}"
        if rec.get("deadline"):
            text += f" · 截止 {when(rec['deadline'], tz, now)}"
    elif result.tool == "add_member":
        text = f"👤 已添加成员 {rec.get('display_name')}"
        if rec.get("project"):
            text += f" 到项目「{rec['project']}」"
    elif result.tool == "undo":
        text = f"↩️ 已撤销：{(result.summary or {}).get('what', '')}"
        link = ""
    elif result.tool == "query":
        return OutgoingCard(text=_render_query(result, tz, now), kind="answer")
    else:
        text = f"✅ {result.tool} 完成"
    if result.tool != "undo" and result.audit_id:
        text += "\n（回复“撤销”可撤回）"
    return OutgoingCard(text=text + link, mentions=tuple(mentions), kind="confirm")


def _render_query(result: ToolResult, tz: tzinfo, now: datetime | None) -> str:
    summary = result.summary or {}
    records = result.records or []
    if result.kind == "progress":
        counts = summary.get("counts", {})
        title = f"📊 项目「{summary['project']}」进度" if summary.get("project") else "📊 项目进度"
        lines = [
            title,
            f"共 {summary.get('total', 0)} 个任务：已完成 {counts.get('done', 0)}，进行中 {counts.get('in_progress', 0)}，"
            f"待办 {counts.get('todo', 0)}，受阻 {counts.get('blocked', 0)}；完成率 {summary.get('done_ratio', 0):.0%}",
        ]
        if summary.get("overdue"):
            lines.append(f"⚠️ 逾期 {summary['overdue']} 个")
        if "days_left" in summary:
            lines.append(f"⏳ 距离截止还剩 {summary['days_left']} 天")
        lines.extend("· " + _task_line(t, tz, now) for t in records[:10])
        return "\n".join(lines)
    if result.kind == "meetings":
        if not records:
            return f"📅 接下来 {summary.get('days', 7)} 天没有安排会议。"
        return "\n".join(
            [
                f"📅 接下来的会议（{len(records)}）",
                *("· " + _meeting_line(m, tz, now) for m in records[:20]),
            ]
        )
    if summary.get("overdue"):
        if not records:
            return "👍 目前没有逾期的任务。"
        return "\n".join(
            [
                f"⚠️ 逾期任务（{len(records)}）",
                *("· " + _task_line(t, tz, now) for t in records[:20]),
            ]
        )
    who = summary.get("member", "")
    if not records:
        return f"👍 {who} 目前没有未完成的任务。"
    return "\n".join(
        [
            f"📋 {who} 的未完成任务（{len(records)}）",
            *("· " + _task_line(t, tz, now) for t in records[:20]),
        ]
    )


def render_results(
    results: Sequence[ToolResult], *, tz: tzinfo, now: datetime | None = None, console_url: str = ""
) -> list[OutgoingCard]:
    return [render_result(r, tz=tz, now=now, console_url=console_url) for r in results]
