"""``qunmi parse``: read one chat message (or a JSONL batch) with the offline rule engine."""

from __future__ import annotations

import json
from collections.abc import Mapping, Sequence
from datetime import datetime
from pathlib import Path
from typing import TYPE_CHECKING, Annotated, Any

import typer

from assistant.cli.batch import parse_now

if TYPE_CHECKING:
    from assistant.engines.rules import Analysis, RuleEngine

__all__ = ["parse_members", "register"]


def parse_members(raw: str | None) -> dict[str, list[str]]:
    """``"王磊:小王/王工,李四"`` → ``{"王磊": ["小王", "王工"], "李四": []}``."""
    out: dict[str, list[str]] = {}
    if not raw:
        return out
    for item in raw.replace("，", ",").split(","):
        item = item.strip()
        if not item:
            continue
        name, _, aliases = item.replace("：", ":").partition(":")
        name = name.strip()
        if not name:
            continue
        out[name] = [a.strip() for a in aliases.replace("／", "/").split("/") if a.strip()]
    return out


def _members_from_json(value: Any) -> dict[str, list[str]]:
    if value is None:
        return {}
    if isinstance(value, Mapping):
        out: dict[str, list[str]] = {}
        for name, aliases in value.items():
            if isinstance(aliases, str):
                aliases = [aliases]
            if aliases is not None and not isinstance(aliases, Sequence):
                raise ValueError("members 的别名应是字符串列表")
            out[str(name)] = [str(a) for a in (aliases or [])]
        return out
    if isinstance(value, list):
        return {str(name): [] for name in value}
    if isinstance(value, str):
        return parse_members(value)
    raise ValueError("members 应是名字列表或 {名字: [别名]} 对象")


def _analyse(text: str, now: datetime, sender: str, members: dict[str, list[str]]) -> Analysis:
    from assistant.domain import ChatContext, IncomingMessage

    context = ChatContext(now=now, sender=sender, members=members)
    return _rule_engine().analyse(IncomingMessage(text=text, sender=sender), context)


def _rule_engine() -> RuleEngine:
    """The rule engine as the settings build it (with the learned gate unless switched off)."""
    from assistant.bootstrap import build_rule_engine
    from assistant.settings import Settings

    return build_rule_engine(Settings())


def _run_batch(path: Path, default_sender: str) -> int:
    from assistant.cli.batch import run_batch
    from assistant.domain import ChatContext, IncomingMessage

    engine = _rule_engine()

    def handle(row: dict[str, Any], text: str, now: datetime) -> dict[str, Any]:
        sender = str(row.get("sender") or default_sender)
        context = ChatContext(
            now=now, sender=sender, members=_members_from_json(row.get("members"))
        )
        calls = engine.understand(IncomingMessage(text=text, sender=sender), context)
        return {"actions": [c.to_dict() for c in calls]}

    return run_batch(path, handle)


_TOOL_LABELS = {
    "create_task": "新建任务",
    "update_task": "更新任务",
    "create_meeting": "安排会议",
    "reschedule_meeting": "改期会议",
    "cancel_meeting": "取消会议",
    "create_project": "新建项目",
    "add_member": "添加成员",
    "query": "查询",
}
_ARG_LABELS = {
    "title": "标题",
    "assignee": "负责人",
    "due": "截止",
    "priority": "优先级",
    "task": "任务",
    "status": "状态",
    "progress_note": "进展",
    "start": "开始",
    "end": "结束",
    "duration_minutes": "时长（分钟）",
    "attendees": "参会人",
    "agenda": "议题",
    "location": "地点",
    "remind_before_minutes": "提前提醒（分钟）",
    "meeting": "会议",
    "reason": "原因",
    "name": "项目名",
    "owner": "负责人",
    "deadline": "截止",
    "members": "成员",
    "kind": "类型",
    "member": "成员",
    "project": "项目",
}


def _render(text: str, analysis: Analysis) -> None:
    from rich.console import Console
    from rich.table import Table

    console = Console()
    console.print(f"[bold]消息[/bold]  {text}")
    if not analysis.calls:
        console.print("[dim]不需要动作。[/dim]")
    for i, call in enumerate(analysis.calls, start=1):
        console.print(
            f"[bold]{i}. {_TOOL_LABELS.get(call.tool, call.tool)}[/bold]  [dim]{call.tool}[/dim]"
        )
        table = Table(show_header=False)
        table.add_column("参数", style="cyan")
        table.add_column("值")
        for key, value in call.args.items():
            shown = (
                "全员"
                if value == "all"
                else ("、".join(value) if isinstance(value, list) else str(value))
            )
            table.add_row(_ARG_LABELS.get(key, key), shown)
        console.print(table)
    console.print(f"[dim]把握 {analysis.confidence:.2f}[/dim]")
    for note in analysis.notes:
        console.print(f"[dim]· {note}[/dim]")


def register(app: typer.Typer, eval_app: typer.Typer) -> None:
    del eval_app

    @app.command("parse")
    def parse_cmd(
        text: Annotated[str | None, typer.Argument(help="一条群聊消息")] = None,
        now: Annotated[
            str | None,
            typer.Option("--now", help="参考时间（ISO 8601，带偏移）；默认为设置时区的当前时间"),
        ] = None,
        sender: Annotated[str, typer.Option("--sender", help="发消息的人")] = "我",
        members: Annotated[
            str | None,
            typer.Option("--members", help="群成员，逗号分隔；别名写成 王磊:小王/王工"),
        ] = None,
        as_json: Annotated[bool, typer.Option("--json", help="输出 JSON")] = False,
        batch: Annotated[
            Path | None,
            typer.Option("--batch", help='JSONL 文件，每行 {"id","text","now","sender","members"}'),
        ] = None,
    ) -> None:
        """用离线规则引擎把一条消息解析成工具调用（会议、任务、查询……）。"""
        if batch is not None:
            raise typer.Exit(_run_batch(batch, sender))
        if text is None:
            typer.echo("请给出要解析的消息，或用 --batch 指定 JSONL 文件。", err=True)
            raise typer.Exit(2)
        member_map = parse_members(members)
        analysis = _analyse(text, parse_now(now), sender, member_map)
        if as_json:
            payload = {"actions": [c.to_dict() for c in analysis.calls]}
            typer.echo(json.dumps(payload, ensure_ascii=False))
        else:
            _render(text, analysis)
