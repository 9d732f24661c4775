"""``qunmi summarize`` (minutes of a transcript file or a meeting, a digest of a chat) and
``qunmi eval summary``."""

from __future__ import annotations

import json
from datetime import datetime
from pathlib import Path
from typing import Annotated, Any

import typer

__all__ = ["register"]


def register(app: typer.Typer, eval_app: typer.Typer) -> None:
    app.command("summarize")(summarize)
    eval_app.command("summary")(eval_summary)


def _fail(reason: str) -> None:
    from rich.console import Console

    Console(stderr=True).print(f"[red]✗[/red] {reason}")
    raise typer.Exit(1)


def _when(value: str | None, tz: Any, what: str) -> datetime | None:
    if value is None:
        return None
    try:
        dt = datetime.fromisoformat(value)
    except ValueError:
        _fail(f"{what}“{value}”不是 ISO 8601 时间，例如 2026-11-27T18:00:00+08:00")
        raise
    return dt if dt.tzinfo is not None else dt.replace(tzinfo=tz)


def summarize(
    file: Annotated[
        Path | None, typer.Argument(help="转写文件：每行一段“说话人：话”，或 JSON 列表")
    ] = None,
    meeting: Annotated[
        int | None, typer.Option("--meeting", help="会议编号：生成并保存它的纪要")
    ] = None,
    chat: Annotated[
        str | None, typer.Option("--chat", help="群（编号或名字）：总结这段时间的讨论")
    ] = None,
    since: Annotated[
        str | None, typer.Option(help="群聊总结的开始（ISO 8601），默认当天零点")
    ] = None,
    until: Annotated[str | None, typer.Option(help="群聊总结的结束（不含），默认现在")] = None,
    now: Annotated[
        str | None, typer.Option("--now", help="现在（ISO 8601）：转写文件的会议开始时间")
    ] = None,
    as_json: Annotated[bool, typer.Option("--json", help="输出 JSON")] = False,
) -> None:
    """会议纪要（决定、待办、遗留问题）或群聊摘要。"""
    from rich.console import Console

    from assistant.bootstrap import bootstrap
    from assistant.errors import QunmiError
    from assistant.insight.summaries.digest import render_digest
    from assistant.services.cards import render_minutes
    from assistant.services.minutes import lines_from_text, minutes_record
    from assistant.settings import Settings

    if sum(x is not None for x in (file, meeting, chat)) != 1:
        _fail("请给且只给一个：转写文件、--meeting 或 --chat")
    if (since or until) and chat is None:
        _fail("--since / --until 只用于 --chat")
    settings = Settings()
    console = Console()
    try:
        q = bootstrap(settings, engine=_Idle())
    except QunmiError as exc:
        _fail(exc.reason)
        raise
    tz = settings.tz
    at = _when(now, tz, "--now") or q.clock.now()
    minutes_service = q.minutes
    assert minutes_service is not None
    try:
        if file is not None:
            try:
                text = file.read_text(encoding="utf-8")
            except (OSError, UnicodeDecodeError) as exc:
                _fail(f"读不了文件 {file}：{exc}")
                raise
            from assistant.insight.summaries.model import MeetingContext

            lines = lines_from_text(text)
            with q.uow_factory() as uow:
                members = {m.display_name: list(m.aliases) for m in uow.members.all()}
            draft = minutes_service.draft(
                lines, MeetingContext(start=at.astimezone(tz), members=members, title=file.stem)
            )
            data = draft.to_dict()
            card = render_minutes(
                {
                    **data,
                    "id": "—",
                    "title": file.stem,
                    "action_items": [
                        {**a, "n": n, "state": "proposed"}
                        for n, a in enumerate(data["action_items"], 1)
                    ],
                },
                tz=tz,
                now=at,
            )
        elif meeting is not None:
            with q.uow_factory() as uow:
                found = uow.meetings.get(meeting)
                if found is None:
                    _fail(f"会议 #{meeting} 不存在")
                assert found is not None
                stored = minutes_service.for_meeting(uow, found, actor_id=None)
                uow.commit()
            data = minutes_record(stored, tz)
            card = render_minutes(data, tz=tz, now=at)
        else:
            assert chat is not None
            with q.uow_factory() as uow:
                found_chat = (uow.chats.get(int(chat)) if chat.isdigit() else None) or next(
                    (c for c in uow.chats.list(limit=500).items if chat in (c.name, c.external_id)),
                    None,
                )
            if found_chat is None or found_chat.id is None:
                _fail(f"找不到群“{chat}”")
                raise typer.Exit(1)
            end = _when(until, tz, "--until") or at
            start = _when(since, tz, "--since") or end.astimezone(tz).replace(
                hour=0, minute=0, second=0, microsecond=0
            )
            if end <= start:
                _fail("--until 必须晚于 --since")
            data = minutes_service.digest(chat_id=found_chat.id, since=start, until=end).to_dict()
            card = render_digest(data)
    except QunmiError as exc:
        _fail(exc.reason)
        raise
    finally:
        q.close()
    if as_json:
        print(json.dumps(data, ensure_ascii=False, indent=2))
    else:
        console.print(card, markup=False, highlight=False)


class _Idle:
    name = "none"

    def understand(self, message: Any, context: Any) -> list[Any]:
        return []


def eval_summary(
    vcsum: Annotated[
        Path | None, typer.Option(help="VCSum vcsum_test_meetings.jsonl 的路径")
    ] = None,
    cases: Annotated[Path | None, typer.Option(help="会议 gold 集（meetings.jsonl 格式）")] = None,
    check_floors: Annotated[
        bool, typer.Option("--check-floors", help="低于底线时退出码为 1")
    ] = False,
    floors: Annotated[
        Path | None, typer.Option(help="底线文件，默认 evals/floors/summary.json")
    ] = None,
    skip_vcsum: Annotated[bool, typer.Option("--skip-vcsum", help="只评会议要素")] = False,
    learned: Annotated[
        bool, typer.Option("--learned/--no-learned", help="是否在提示语法之上用学习层")
    ] = True,
) -> None:
    """评测会议纪要：VCSum ROUGE-L（字级、词级）和决定/待办/遗留问题的 P/R/F1。"""
    from evals.summary_run import main

    raise typer.Exit(
        main(
            vcsum=vcsum,
            cases=cases,
            check_floors=check_floors,
            floors=floors,
            skip_vcsum=skip_vcsum,
            learned=learned,
        )
    )
