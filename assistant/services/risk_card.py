"""The reply card of a ``risk`` query: the tasks likely to slip, why, and what could be done."""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from datetime import datetime, tzinfo
from typing import Any

from assistant.services.cards import when

__all__ = ["render_risk"]

_LEVEL = {"high": "🔴 高", "medium": "🟠 中", "low": "🟢 低"}


def _model_line(model: Mapping[str, Any]) -> str:
    if model.get("kind") == "lightgbm":
        return f"（{model.get('note', '')}；建议不会自动执行，回复对应的话即可）"
    return f"（{model.get('note', '先验评分')}；建议不会自动执行，回复对应的话即可）"


def _suggestions(task: Mapping[str, Any], limit: int) -> list[str]:
    return [
        f"  👉 {s['text']}：回复「{s['command']}」" for s in task.get("suggestions", [])[:limit]
    ]


def render_risk(
    summary: Mapping[str, Any],
    records: Sequence[Mapping[str, Any]],
    tz: tzinfo,
    now: datetime | None,
) -> str:
    model = summary.get("model") or {}
    if "task_id" in summary:
        label = f"#{summary['task_id']}「{summary.get('title', '')}」"
        if summary.get("closed"):
            return f"✅ 任务 {label} 已经{'完成' if summary['closed'] == 'done' else '取消'}了，不存在延期风险。"
        if summary.get("no_due"):
            return f"❓ 任务 {label} 还没有截止时间，没法判断会不会延期；可以先给它定个截止时间。"
        if not records:
            return f"❓ 没能评估任务 {label} 的延期风险。"
        task = records[0]
        lines = [f"🔮 任务 {label}的延期风险：{_LEVEL[task['level']]}（{task['risk']:.0%}）"]
        if task.get("due"):
            lines.append(
                f"截止 {when(task['due'], tz, now)}"
                + (f" · 负责人 {task['assignee']}" if task.get("assignee") else "")
            )
        if task.get("reasons"):
            lines.append("原因：" + "；".join(task["reasons"]))
        elif task["level"] == "low":
            lines.append("目前看进展正常。")
        lines.extend(_suggestions(task, 3))
        lines.append(_model_line(model))
        return "\n".join(lines)
    scope = f"项目「{summary['project']}」" if summary.get("project") else ""
    if summary.get("member"):
        scope += f"{summary['member']}的"
    if not records:
        total = summary.get("open_with_due", 0)
        return f"👍 {scope}{total}个有截止时间的未完成任务目前都没有明显的延期风险。\n{_model_line(model)}"
    lines = [
        f"⏰ {scope}可能延期的任务（{summary.get('count', len(records))}个，其中高风险{summary.get('high', 0)}个）"
    ]
    for task in records:
        head = f"· {_LEVEL[task['level']]} {task['risk']:.0%} #{task['task_id']}「{task['title']}」"
        if task.get("assignee"):
            head += f" · {task['assignee']}"
        if task.get("due"):
            head += f" · 截止 {when(task['due'], tz, now)}"
        lines.append(head)
        if task.get("reasons"):
            lines.append("  原因：" + "；".join(task["reasons"][:3]))
        lines.extend(_suggestions(task, 1))
    lines.append(_model_line(model))
    return "\n".join(lines)
