"""Reply cards: short Chinese confirmations, answers and questions for the chat."""

from __future__ import annotations

from collections.abc import Sequence
from datetime import datetime, timedelta, tzinfo
from typing import Any

from assistant.insight.summaries.digest import render_digest
from assistant.ports import OutgoingCard
from tools.executor import ToolResult

__all__ = ["describe_recurrence", "render_minutes", "render_result", "render_results", "when"]

_WEEKDAYS = "一二三四五六日"
_STATUS = {
    "todo": "待办",
    "in_progress": "进行中",
    "blocked": "受阻",
    "done": "已完成",
    "cancelled": "已取消",
}
_PRIORITY = {"urgent": "🔴紧急", "high": "🟠高优先级", "low": "低优先级"}
_DAY_CODES = {"MO": "一", "TU": "二", "WE": "三", "TH": "四", "FR": "五", "SA": "六", "SU": "日"}
_REMINDER_NAMES = {
    "all": "全部提醒",
    "daily": "每日提醒",
    "meeting": "会前提醒",
    "deadline": "任务到期提醒",
    "countdown": "里程碑倒计时",
    "weekly_report": "每周简报",
    "risk": "延期风险预警",
}
_PROJECT_STATUS = {"active": "进行中", "paused": "已暂停", "done": "已完成", "archived": "已归档"}


def _money(value: float | None) -> str:
    if value is None:
        return "未设置"
    if value >= 10_000:
        return f"{value / 10_000:g}万元"
    return f"{value:g}元"


def describe_recurrence(rule: str | None) -> str:
    """``FREQ=WEEKLY;BYDAY=MO`` → ``每周一``, in the words the team used."""
    if not rule:
        return ""
    parts = dict(p.split("=", 1) for p in rule.split(";") if "=" in p)
    interval = int(parts.get("INTERVAL", "1"))
    days = parts.get("BYDAY", "")
    freq = parts.get("FREQ", "")
    out = ""
    if freq == "DAILY":
        out = "每天" if interval == 1 else f"每{interval}天"
    elif freq == "WEEKLY":
        codes = [d[-2:] for d in days.split(",") if d]
        every = "每周" if interval == 1 else ("每两周" if interval == 2 else f"每{interval}周")
        if codes == ["MO", "TU", "WE", "TH", "FR"]:
            out = "工作日每天" if interval == 1 else f"{every}的工作日"
        else:
            out = every + "、".join(_DAY_CODES.get(c, c) for c in codes)
    elif freq == "MONTHLY":
        every = "每月" if interval == 1 else f"每{interval}个月"
        if parts.get("BYMONTHDAY"):
            out = every + "、".join(
                ("最后一天" if d == "-1" else f"{d}号") for d in parts["BYMONTHDAY"].split(",")
            )
        elif days:
            words = []
            for d in days.split(","):
                n, code = d[:-2], d[-2:]
                nth = "最后一个" if n == "-1" else (f"第{n}个" if n else "每个")
                words.append(f"{nth}周{_DAY_CODES.get(code, code)}")
            out = every + "、".join(words)
        else:
            out = every
    elif freq == "YEARLY":
        out = "每年"
    if parts.get("COUNT"):
        out += f"，共{parts['COUNT']}次"
    if parts.get("UNTIL"):
        until = parts["UNTIL"][:8]
        out += f"，到{int(until[4:6])}月{int(until[6:8])}日"
    return out


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
        if error.get("code") in ("ambiguous", "likely_duplicate") or "补充" in reason:
            candidates = (error.get("details") or {}).get("candidates") or []
            if len(candidates) > 1:
                # The answer is read with the chat's dialogue state (assistant.services.dialogue).
                if "name" in candidates[0]:
                    reason += "\n回复名字或“第二个”即可。"
                else:
                    reason += "\n回复编号（如 #4）或“第二个”即可；都要就说“两个都…”。"
            return OutgoingCard(text=f"❓ {reason}", kind="question")
        return OutgoingCard(text=f"⚠️ {reason}", kind="error")
    if result.kind == "pending":  # waits for “确认” (tools.pending)
        return OutgoingCard(text=str((result.summary or {}).get("text", "")), kind="question")
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
        if "priority" in rec.get("changes", []) and rec.get("priority") == "normal":
            text += " · 普通优先级"
        if rec.get("cost") is not None:
            text += f" · 费用 {_money(rec['cost'])}"
        if rec.get("progress_note"):
            text += f"\n进展：{rec['progress_note']}"
    elif result.tool == "create_meeting":
        attendees = "全员" if rec.get("attendees_all") else "、".join(rec.get("attendees", []))
        lines = [f"📅 已安排会议 {_meeting_line(rec, tz, now)}"]
        if rec.get("recurrence"):
            lines[0] = f"📅 已安排例会 {_meeting_line(rec, tz, now)}（起）"
            lines.append(f"重复：{describe_recurrence(rec['recurrence'])}，每次都会提醒")
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
    elif result.tool == "update_meeting":
        lines = [f"✏️ 已修改会议 {_meeting_line(rec, tz, now)}"]
        changes = set(rec.get("changes", []))
        if "title" in changes:
            lines.append(f"标题：{rec.get('title')}")
        if "location" in changes:
            lines.append(f"地点：{rec.get('location')}")
        if "agenda" in changes:
            lines.append("议题：" + "；".join(rec.get("agenda", [])))
        if rec.get("added_attendees"):
            lines.append("新增参会：" + "、".join(rec["added_attendees"]))
        if rec.get("removed_attendees"):
            lines.append("不再参会：" + "、".join(rec["removed_attendees"]))
        if "remind_before_minutes" in changes and rec.get("remind_before_minutes"):
            lines.append(f"会前 {rec['remind_before_minutes'][0]} 分钟提醒")
        text = "\n".join(lines)
    elif result.tool == "cancel_meeting":
        if rec.get("cancelled_occurrence"):
            day = datetime.fromisoformat(rec["cancelled_occurrence"])
            text = (
                f"🚫 已取消 {day.month}月{day.day}日(周{_WEEKDAYS[day.weekday()]}) 这一次的"
                f"「{rec['title']}」，之后照常"
            )
        else:
            text = f"🚫 已取消会议 {_meeting_line(rec, tz, now)}"
        if rec.get("reason"):
            text += f"（{rec['reason']}）"
    elif result.tool == "update_project":
        changes = set(rec.get("changes", []))
        parts = [f"📁 已更新项目「{rec['name']}」"]
        if "deadline" in changes:
            parts.append(f"截止 {when(rec.get('deadline'), tz, now)}")
        if "owner" in changes and rec.get("owner"):
            parts.append(f"负责人 {rec['owner']}")
        if "status" in changes:
            parts.append(_PROJECT_STATUS.get(rec.get("status", ""), rec.get("status", "")))
        if "budget" in changes:
            parts.append(f"预算 {_money(rec.get('budget'))}")
        if "spent" in changes:
            parts.append(f"已花费 {_money(rec.get('spent'))}")
        text = " · ".join(parts)
    elif result.tool == "create_milestone":
        text = f"🏁 已添加里程碑「{rec['title']}」 · {when(rec.get('due'), tz, now)}"
        if rec.get("project"):
            text += f" · 项目「{rec['project']}」"
        if rec.get("days_left") is not None and rec["days_left"] >= 0:
            text += f"\n⏳ 距离{rec['title']}还剩 {rec['days_left']} 天，到时会按设置倒计时提醒"
    elif result.tool == "set_reminders":
        name = _REMINDER_NAMES.get(rec.get("what", ""), rec.get("what", ""))
        state = "已打开" if rec.get("enabled") else "已关闭"
        text = f"🔔 本群{state}{name}"
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
    elif result.tool == "ask":
        return OutgoingCard(text=str((result.summary or {}).get("answer", "")), kind="answer")
    elif result.tool == "report":
        summary = result.summary or {}
        return OutgoingCard(
            text=str(summary.get("card", "")),
            kind="report",
            images=tuple(str(p) for p in (summary.get("images") or {}).values()),
        )
    elif result.tool == "summarize":
        if result.kind == "digest":
            return OutgoingCard(text=render_digest(result.summary or {}), kind="answer")
        return OutgoingCard(
            text=render_minutes(rec, tz=tz, now=now) + link,
            mentions=tuple(
                dict.fromkeys(
                    i["owner"]
                    for i in rec.get("action_items", [])
                    if i.get("owner") and i.get("state") == "proposed"
                )
            ),
            kind="answer",
        )
    else:
        text = f"✅ {result.tool} 完成"
    if result.tool != "undo" and result.audit_id:
        text += "\n（回复“撤销”可撤回）"
    return OutgoingCard(text=text + link, mentions=tuple(mentions), kind="confirm")


_ITEM_STATE = {"confirmed": "✅", "dropped": "🚫", "proposed": "⬜"}


def render_minutes(rec: dict[str, Any], *, tz: tzinfo, now: datetime | None = None) -> str:
    """The minutes card: summary, topics, decisions, action items to confirm, open questions."""
    title = f"「{rec['title']}」" if rec.get("title") else ""
    lines = [f"📝 会议纪要{title}（#{rec.get('id')}）"]
    if rec.get("summary"):
        lines.append(rec["summary"])
    if rec.get("topics"):
        lines.append("💬 议题：")
        lines.extend(f"{i}. {t['title']}" for i, t in enumerate(rec["topics"][:8], 1))
    if rec.get("decisions"):
        lines.append("✅ 决定：")
        lines.extend(f"· {d['text']}" for d in rec["decisions"][:10])
    items = rec.get("action_items", [])
    if items:
        lines.append("📌 待办：")
        for item in items[:20]:
            parts = [f"{_ITEM_STATE.get(item.get('state', ''), '⬜')} {item['n']}. "]
            parts.append(f"{item['owner']}：" if item.get("owner") else "（未指定）：")
            parts.append(item["title"])
            if item.get("due"):
                parts.append(f" · 截止 {when(item['due'], tz, now)}")
            if item.get("task_id"):
                parts.append(f" · 任务 #{item['task_id']}")
            lines.append("".join(parts))
            lines.append(f"　↳ “{item['source']}”")
    if rec.get("open_questions"):
        lines.append("❓ 待定：")
        lines.extend(f"· {q['text']}" for q in rec["open_questions"][:6])
    if any(i.get("state") == "proposed" for i in items):
        lines.append("回复“确认”把待办全部建成任务，或“确认1、3”“去掉2”“2改到周四”“2给老李”。")
    return "\n".join(lines)


def _render_query(result: ToolResult, tz: tzinfo, now: datetime | None) -> str:
    summary = result.summary or {}
    records = result.records or []
    if result.kind == "risk":
        from assistant.services.risk_card import render_risk

        return render_risk(summary, records, tz, now)
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
        period = _period_words(summary, tz, now)
        if not records:
            if period:
                return f"📅 {period}没有安排会议。"
            return f"📅 接下来 {summary.get('days', 7)} 天没有安排会议。"
        heading = f"📅 {period}的会议" if period else "📅 接下来的会议"
        return "\n".join(
            [
                f"{heading}（{len(records)}）",
                *(
                    "· "
                    + _meeting_line(m, tz, now)
                    + (f" · {describe_recurrence(m['recurrence'])}" if m.get("recurrence") else "")
                    for m in records[:20]
                ),
            ]
        )
    if result.kind == "budget":
        lines = [
            f"💰 项目「{summary.get('project')}」预算 {_money(summary.get('budget'))}，"
            f"已花费 {_money(summary.get('spent'))}"
        ]
        if summary.get("remaining") is not None:
            lines.append(f"剩余 {_money(summary['remaining'])}")
        if summary.get("task_costs") is not None:
            lines.append(f"任务费用合计 {_money(summary['task_costs'])}")
        return "\n".join(lines)
    period = _period_words(summary, tz, now)
    if summary.get("overdue"):
        if not records:
            return "👍 目前没有逾期的任务。"
        heading = f"⚠️ 逾期任务（{len(records)}）"
    elif summary.get("due_soon_hours"):
        if not records:
            return f"👍 接下来 {summary['due_soon_hours']} 小时内没有要到期的任务。"
        heading = f"⏰ {summary['due_soon_hours']} 小时内到期的任务（{len(records)}）"
    else:
        who = summary.get("member", "")
        status = "、".join(_STATUS.get(x, x) for x in summary.get("status", []))
        what = f"{status}的任务" if status else "未完成任务"
        owner = (
            f"{who} 的"
            if who
            else ("项目「" + summary["project"] + "」的" if summary.get("project") else "大家的")
        )
        if not records:
            return f"👍 {owner}{period}没有{what}。"
        heading = f"📋 {owner}{period}{what}（{len(records)}）"
    return "\n".join([heading, *("· " + _task_line(t, tz, now) for t in records[:20])])


def _period_words(summary: dict[str, Any], tz: tzinfo, now: datetime | None) -> str:
    """``11月23日至29日`` for a period [since, until); the end is shown inclusive."""
    since = summary.get("since")
    until = summary.get("until")
    first = datetime.fromisoformat(since).astimezone(tz).date() if since else None
    last = (
        (datetime.fromisoformat(until).astimezone(tz) - timedelta(microseconds=1)).date()
        if until
        else None
    )
    if first and last:
        if first == last:
            return f"{first.month}月{first.day}日"
        tail = f"{last.day}日" if last.month == first.month else f"{last.month}月{last.day}日"
        return f"{first.month}月{first.day}日至{tail}"
    if first:
        return f"{first.month}月{first.day}日起"
    if last:
        return f"{last.month}月{last.day}日及以前"
    return ""


def render_results(
    results: Sequence[ToolResult], *, tz: tzinfo, now: datetime | None = None, console_url: str = ""
) -> list[OutgoingCard]:
    """One card per result; the calls of one pending action (a bulk change waits for one
    “确认”) share one card, the last one, which lists them all."""
    last_of: dict[object, int] = {}
    for i, r in enumerate(results):
        if r.ok and r.kind == "pending":
            last_of[(r.summary or {}).get("pending_id")] = i
    return [
        render_result(r, tz=tz, now=now, console_url=console_url)
        for i, r in enumerate(results)
        if not (r.ok and r.kind == "pending") or last_of[(r.summary or {}).get("pending_id")] == i
    ]
