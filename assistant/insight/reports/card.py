"""The weekly report as a Markdown card for the chat: Chinese, short lines for a phone, and at
most ``limit`` UTF-8 bytes (the group robot takes 4096)."""

from __future__ import annotations

from datetime import datetime
from typing import Any

__all__ = ["render_weekly_card"]

_LEVEL = {"high": "高", "medium": "中", "low": "低"}
_CHART_NAMES = {"status": "状态", "gantt": "甘特图", "burndown": "燃尽图", "members": "成员"}


def _pct(value: float | None) -> str:
    return "—" if value is None else f"{value * 100:.0f}%"


def _day(value: str) -> str:
    d = datetime.fromisoformat(value)
    return f"{d.month}月{d.day}日"


def _money(value: float) -> str:
    return f"{value / 10_000:.1f}万" if abs(value) >= 10_000 else f"{value:,.0f}元"


def _lines(report: dict[str, Any], *, members: int, risks: int, tasks: int) -> list[str]:
    t = report["tasks"]
    period = report["period"]
    title = f"「{report['project']}」" if report.get("project") else "全部项目"
    out = [
        f"**📊 {title}周报** {_day(period['start'])}–{_day(period['end'])}",
        f"> 完成率 **{_pct(t['completion_rate'])}**（{t['done']}/{t['total']}）"
        f" · 本周准时率 **{_pct(t['on_time_rate'])}**"
        f"（{t['finished_on_time']}/{t['finished_with_due']}）",
        f"- 本周新建 {t['created']} 项，完成 {t['finished']} 项",
        f"- 本周延期 {t['delays']} 项；改期顺延 {t['slips']} 次"
        + (f"（{t['slipped_tasks']} 项，共 {t['slip_days']:.1f} 天）" if t["slips"] else ""),
        f"- 当前逾期 **{t['overdue']}** 项 · 本周开会 {report['meetings_held']} 场",
    ]
    overdue = report.get("overdue_tasks") or []
    if overdue and tasks:
        out.append("**逾期任务**")
        for o in overdue[:tasks]:
            who = o.get("assignee") or "未分配"
            out.append(f"- #{o['id']}「{o['title']}」{who} · 截止{_day(o['due'])}")
        if len(overdue) > tasks:
            out.append(f"- 另有 {len(overdue) - tasks} 项")
    active = [m for m in report.get("members") or [] if m["tasks_done"] or m["messages"]]
    if active and members:
        out.append(f"**成员**（前 {min(members, len(active))} 位，共 {len(active)} 位活跃）")
        for m in active[:members]:
            out.append(
                f"- {m['name']}：完成 {m['tasks_done']} · 准时 {_pct(m['on_time_rate'])}"
                f" · 发言 {m['messages']}"
            )
    risk = report.get("risks")
    if risk is not None:
        shown = [r for r in risk.get("tasks", []) if r.get("level") in ("high", "medium")]
        out.append("**主要风险**" + (f"（{risk['note']}）" if risk.get("note") else ""))
        if not shown:
            out.append("- 暂无中高风险任务")
        for r in shown[:risks]:
            reason = f" · {r['reasons'][0]}" if r.get("reasons") else ""
            out.append(
                f"- #{r['task_id']}「{r['title']}」{r.get('assignee') or '未分配'}"
                f" · {_LEVEL.get(r['level'], r['level'])} {r['risk'] * 100:.0f}%{reason}"
            )
    upcoming = [m for m in report.get("milestones") or [] if not m["done"] and m["days_left"] >= 0]
    if upcoming:
        out.append("**里程碑**")
        for m in upcoming[:3]:
            out.append(f"- {m['title']} {_day(m['due'])}（还剩 {m['days_left']} 天）")
    budget = report.get("budget")
    if budget:
        out.append(
            f"**预算** 已花费 {_money(budget['spent'])} / {_money(budget['budget'])}"
            f"（{_pct(budget['spent_rate'])}）"
        )
    charts = report.get("charts") or []
    if charts:
        out.append("图表：" + "、".join(_CHART_NAMES.get(c, c) for c in charts) + "（见下图）")
    return out


def render_weekly_card(report: dict[str, Any], *, limit: int = 4096) -> str:
    """The card for ``report`` (``WeeklyFigures.to_dict()`` plus ``charts``): lists shrink
    until it fits in ``limit`` bytes."""
    for members, risks, tasks in ((5, 3, 3), (3, 3, 2), (3, 2, 0), (0, 1, 0), (0, 0, 0)):
        text = "\n".join(_lines(report, members=members, risks=risks, tasks=tasks))
        if len(text.encode()) <= limit:
            return text
    return text.encode()[:limit].decode(errors="ignore")
