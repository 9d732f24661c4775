"""Foundation commands: serve, projects, members, tasks, meetings, say, audit.

They go through ``bootstrap`` and the same executor and inbox as the API, so the CLI and the
chat do exactly the same thing.
"""

from __future__ import annotations

import json
from datetime import datetime
from typing import TYPE_CHECKING, Annotated, Any, NoReturn

import typer
from rich.console import Console
from rich.table import Table

if TYPE_CHECKING:
    from assistant.bootstrap import Qunmi
    from tools.executor import ToolResult

console = Console()
err_console = Console(stderr=True)

ActorOpt = Annotated[str, typer.Option("--as", "-a", help="谁在操作（成员名字或别名）")]
JsonOpt = Annotated[bool, typer.Option("--json", help="输出 JSON")]


def _qunmi(with_engine: bool = False, now: str | None = None) -> Qunmi:
    """Wire the app; record commands skip loading a message engine. ``now`` (``--now``) fixes
    the clock."""
    from assistant.bootstrap import bootstrap
    from assistant.cli.batch import parse_now
    from assistant.clock import FixedClock
    from assistant.errors import QunmiError
    from assistant.settings import Settings

    clock = FixedClock(parse_now(now)) if now is not None else None
    try:
        return bootstrap(Settings(), engine=None if with_engine else _Idle(), clock=clock)
    except QunmiError as exc:
        _fail(exc.reason)


class _Idle:
    """Record commands do not read chat messages, so they need no engine loaded."""

    name = "none"

    def understand(self, message: Any, context: Any) -> list[Any]:
        return []


def _fail(reason: str, code: int = 1) -> NoReturn:
    err_console.print(f"[red]✗[/red] {reason}")
    raise typer.Exit(code)


_SELF_WORDS = frozenset({"我", "本人", "自己", "我自己"})


def _sender_name(given: str | None) -> str:
    """Who speaks from the command line: a member's name, never the pronoun 我."""
    import getpass

    name = (given or "").strip()
    if not name:
        try:
            name = getpass.getuser()
        except (KeyError, OSError):
            name = ""
    if not name:
        _fail("请用 --sender 写明发送人的名字")
    if name in _SELF_WORDS:
        _fail(f"发送人要写成员的名字（例如 --sender 张三），“{name}”不是名字")
    return name


def _parse_due(value: str | None, q: Qunmi, now: str | None = None) -> str | None:
    """A due as the chat reads it: ISO 8601, or a Chinese time ("周五前", "明天下午");
    a date without a clock time is due at the end of the workday."""
    if value is None:
        return None
    text = value.strip()
    try:
        dt = datetime.fromisoformat(text)
    except ValueError:
        dt = None
    if dt is not None:
        if len(text) <= 10:  # a date only: "2026-11-27"
            dt = dt.replace(hour=q.settings.workday_end_hour)
        if dt.tzinfo is None:
            dt = dt.replace(tzinfo=q.settings.tz)
        return dt.isoformat()
    from assistant.cli.batch import parse_now
    from assistant.engines.rules.timeslots import due_instant
    from assistant.timeparse import parse_times

    reference = parse_now(now) if now is not None else q.clock.now()
    found = parse_times(text, reference)
    due = due_instant(found[0], workday_end_hour=q.settings.workday_end_hour) if found else None
    if due is None:
        _fail(f"截止时间“{value}”看不懂，例如 2026-11-27T18:00:00+08:00、2026-11-27 或 周五前")
    return due.isoformat()


def _parse_time(value: str | None, q: Qunmi, what: str) -> str | None:
    if value is None:
        return None
    try:
        dt = datetime.fromisoformat(value)
    except ValueError:
        _fail(f"{what}“{value}”不是 ISO 8601 时间，例如 2026-11-27T18:00:00+08:00")
    if dt.tzinfo is None:
        dt = dt.replace(tzinfo=q.settings.tz)
    return dt.isoformat()


def _apply(q: Qunmi, tool: str, args: dict[str, Any], actor: str, as_json: bool) -> ToolResult:
    from assistant.domain import ToolCall
    from assistant.services.cards import render_result
    from tools.executor import CallContext

    result = q.executor.execute(
        ToolCall(tool, {k: v for k, v in args.items() if v is not None}), CallContext(actor=actor)
    )
    if as_json:
        print(json.dumps(result.to_dict(), ensure_ascii=False, indent=2))
    else:
        card = render_result(result, tz=q.settings.tz, now=q.clock.now())
        (console if result.ok else err_console).print(card.text)
    if not result.ok:
        raise typer.Exit(1)
    return result


def _table(title: str, columns: list[str], rows: list[list[Any]]) -> None:
    table = Table(title=title, show_lines=False)
    for col in columns:
        table.add_column(col)
    for row in rows:
        table.add_row(*("" if v is None else str(v) for v in row))
    console.print(table)


def register(app: typer.Typer, eval_app: typer.Typer) -> None:
    del eval_app
    projects = typer.Typer(help="项目：列出、新建", no_args_is_help=True)
    members = typer.Typer(help="成员：列出、添加、设置别名和角色", no_args_is_help=True)
    tasks = typer.Typer(help="任务：列出、新建、更新", no_args_is_help=True)
    meetings = typer.Typer(help="会议：列出、安排", no_args_is_help=True)
    audit = typer.Typer(help="操作记录：列出、撤销", no_args_is_help=True)
    app.add_typer(projects, name="projects")
    app.add_typer(members, name="members")
    app.add_typer(tasks, name="tasks")
    app.add_typer(meetings, name="meetings")
    app.add_typer(audit, name="audit")

    @app.command()
    def serve(
        host: Annotated[str, typer.Option(help="监听地址")] = "127.0.0.1",
        port: Annotated[int, typer.Option(help="端口")] = 8000,
    ) -> None:
        """启动 Qunmi 服务（API、控制台、后台处理）。"""
        import uvicorn

        from api.app import create_app
        from assistant.errors import QunmiError
        from assistant.settings import Settings

        settings = Settings()
        try:
            from assistant.bootstrap import bootstrap

            q = bootstrap(settings)
        except QunmiError as exc:
            _fail(exc.reason)
        console.print(
            f"群秘 Qunmi 在 http://{host}:{port} 上运行（引擎：{q.engine.name}，数据库：{q.settings.resolved_database_url.split('@')[-1]}）"
        )
        uvicorn.run(create_app(q, seed_demo=True), host=host, port=port, log_level="info")

    @app.command()
    def say(
        text: Annotated[str, typer.Argument(help="消息内容")],
        chat: Annotated[str, typer.Option("--chat", "-c", help="群名称")] = "默认群",
        sender: Annotated[
            str | None,
            typer.Option(
                "--sender",
                "-s",
                envvar="QUNMI_CLI_SENDER",
                help="发送人（成员名字）；不填时用本机登录名",
            ),
        ] = None,
        now: Annotated[
            str | None, typer.Option("--now", help="消息的时间（ISO 8601，带偏移）；默认为现在")
        ] = None,
        as_json: JsonOpt = False,
    ) -> None:
        """以某人的身份往群里发一条消息，走与 API 相同的路径，打印群秘的回复卡片。"""
        from assistant.errors import QunmiError
        from assistant.services.inbox import Inbound

        sender = _sender_name(sender)
        q = _qunmi(with_engine=True, now=now)
        try:
            message, _ = q.inbox.receive(
                Inbound(channel="cli", chat=chat, sender=sender, text=text)
            )
            assert message.id is not None
            outcome = q.processor.process(message.id)
        except QunmiError as exc:
            _fail(exc.reason)
        finally:
            q.close()
        if as_json:
            print(json.dumps(outcome.to_dict(), ensure_ascii=False, indent=2))
            return
        if outcome.error:
            _fail(f"处理失败（已记录，稍后重试）：{outcome.error}")
        if not outcome.cards:
            console.print("[dim]（群秘没有需要做的事）[/dim]")
        for card in outcome.cards:
            console.print(card["text"])
            console.print()

    # -- projects -------------------------------------------------------------------------
    @projects.command("list")
    def projects_list(
        as_json: JsonOpt = False,
        actor: Annotated[
            str | None, typer.Option("--as", "-a", help="谁在看（预算只给项目经理和管理员）")
        ] = None,
    ) -> None:
        """列出项目。预算和花费只在 --as 是该项目的项目经理或管理员时显示。"""
        from tools.permissions import sees_budget
        from tools.records import display_names, project_record

        q = _qunmi()
        with q.uow_factory() as uow:
            names = display_names(uow.members.all())
            viewer = q.executor.find_actor(uow, actor) if actor else None
            items = []
            for p in uow.projects.all():
                role = None
                if viewer is not None and viewer.id is not None and p.id is not None:
                    role = uow.projects.role_of(p.id, viewer.id)
                shown = sees_budget(viewer, p, role)
                items.append(project_record(p, names, q.settings.tz, show_budget=shown))
        if as_json:
            print(json.dumps(items, ensure_ascii=False, indent=2))
            return
        _table(
            "项目",
            ["id", "名称", "负责人", "截止", "成员", "预算/花费"],
            [
                [
                    p["id"],
                    p["name"],
                    p["owner"],
                    p["deadline"],
                    "、".join(p["members"]),
                    f"{p['budget']}/{p['spent']}" if "budget" in p else "（仅项目经理可见）",
                ]
                for p in items
            ],
        )

    @projects.command("create")
    def projects_create(
        name: str,
        actor: ActorOpt,
        owner: Annotated[str | None, typer.Option(help="负责人")] = None,
        deadline: Annotated[str | None, typer.Option(help="截止时间 ISO 8601")] = None,
        member: Annotated[
            list[str] | None, typer.Option("--member", "-m", help="成员（可重复）")
        ] = None,
        as_json: JsonOpt = False,
    ) -> None:
        """新建项目（通过 create_project 工具调用）。"""
        q = _qunmi()
        _apply(
            q,
            "create_project",
            {
                "name": name,
                "owner": owner,
                "deadline": _parse_time(deadline, q, "截止时间"),
                "members": member,
            },
            actor,
            as_json,
        )

    # -- members --------------------------------------------------------------------------
    @members.command("list")
    def members_list(as_json: JsonOpt = False) -> None:
        """列出成员。"""
        from tools.records import member_record

        q = _qunmi()
        with q.uow_factory() as uow:
            items = [member_record(m) for m in uow.members.all()]
        if as_json:
            print(json.dumps(items, ensure_ascii=False, indent=2))
            return
        _table(
            "成员",
            ["id", "名字", "别名", "角色", "企业微信"],
            [
                [m["id"], m["display_name"], "、".join(m["aliases"]), m["role"], m["wecom_userid"]]
                for m in items
            ],
        )

    @members.command("add")
    def members_add(
        name: str,
        alias: Annotated[
            list[str] | None, typer.Option("--alias", help="别名/昵称（可重复）")
        ] = None,
        role: Annotated[str, typer.Option(help="admin / pm / member")] = "member",
        wecom_userid: Annotated[str | None, typer.Option(help="企业微信 userid")] = None,
    ) -> None:
        """直接登记一个成员（团队初始化用）。"""
        from assistant.domain import Member, Role
        from assistant.identity import clean_label, normalise_name

        if role not in ("admin", "pm", "member"):
            _fail("角色只能是 admin / pm / member")
        name = clean_label(name)
        if not name:
            _fail("名字去掉不可见字符后是空的")
        q = _qunmi()
        aliases = [clean_label(a) for a in alias or [] if clean_label(a)]
        with q.uow_factory() as uow:
            same = uow.members.by_display_name(name)
            for other in uow.members.all():
                if same is not None and other.id == same.id:
                    continue
                # Names are labels compared after normalisation (lookalikes collide).
                taken = {normalise_name(n) for n in other.names}
                clash = [n for n in [name, *aliases] if normalise_name(n) in taken]
                if clash:
                    _fail(f"名字“{clash[0]}”已经是成员 {other.display_name} 的名字或别名")
            if same is not None:
                # Already registered (the demo team has 张三): adding them again is not an
                # error as long as it says the same thing; new aliases are added.
                if same.role.value != role:
                    _fail(
                        f"成员 {name} 已经登记过，角色是 {same.role.value}，不是 {role}；没有改动"
                    )
                added = [a for a in aliases if a not in same.names]
                if added:
                    same.aliases = [*same.aliases, *added]
                    same = uow.members.update(same)
                    uow.commit()
                console.print(
                    f"👤 成员 {same.display_name} 已经登记过（#{same.id}，{same.role.value}）"
                    + (f"，补上了别名：{'、'.join(added)}" if added else "，没有改动")
                )
                return
            member = uow.members.add(
                Member(
                    display_name=name,
                    aliases=aliases,
                    role=Role(role),
                    wecom_userid=wecom_userid,
                    created_at=q.clock.now(),
                )
            )
            if wecom_userid and member.id is not None:
                uow.identities.link(member.id, "wecom", wecom_userid, q.clock.now())
            uow.commit()
        console.print(
            f"👤 已添加成员 {member.display_name}（#{member.id}，{member.role.value}）"
            + (f"，别名：{'、'.join(aliases)}" if aliases else "")
        )

    @members.command("alias")
    def members_alias(
        name: str,
        alias: Annotated[list[str], typer.Argument(help="要加上的别名")],
    ) -> None:
        """给成员加别名（小王、老李、陈经理……）。"""
        q = _qunmi()
        with q.uow_factory() as uow:
            member = uow.members.by_display_name(name)
            if member is None:
                _fail(f"找不到成员“{name}”")
            for other in uow.members.all():
                if other.id != member.id and any(a in other.names for a in alias):
                    _fail(f"别名已被成员 {other.display_name} 使用")
            member.aliases = list(dict.fromkeys([*member.aliases, *alias]))
            uow.members.update(member)
            uow.commit()
        console.print(f"✏️ {name} 的别名：{'、'.join(member.aliases)}")

    # -- tasks ----------------------------------------------------------------------------
    @tasks.command("list")
    def tasks_list(
        assignee: Annotated[str | None, typer.Option(help="负责人")] = None,
        status: Annotated[
            str | None, typer.Option(help="todo / in_progress / blocked / done / cancelled")
        ] = None,
        all_: Annotated[bool, typer.Option("--all", help="包括已完成和已取消")] = False,
        as_json: JsonOpt = False,
    ) -> None:
        """列出任务（默认只列未完成的）。"""
        from assistant.domain import Member
        from assistant.errors import QunmiError
        from tools.records import display_names, task_record
        from tools.resolve import resolve_member_name

        q = _qunmi()
        with q.uow_factory() as uow:
            everyone = uow.members.all()
            filters: dict[str, Any] = {"status": status}
            if not all_ and status is None:
                filters["open"] = True
            if assignee:
                try:
                    filters["assignee_id"] = resolve_member_name(
                        assignee, actor=Member(display_name=""), members=everyone
                    ).id
                except QunmiError as exc:
                    _fail(exc.reason)
            try:
                page = uow.tasks.list(filters=filters, limit=500, order="id")
            except QunmiError as exc:
                _fail(exc.reason)
        names = display_names(everyone)
        items = [task_record(t, names, q.settings.tz) for t in page.items]
        if as_json:
            print(json.dumps(items, ensure_ascii=False, indent=2))
            return
        _table(
            f"任务（{page.total}）",
            ["#", "标题", "负责人", "截止", "优先级", "状态"],
            [
                [
                    t["id"],
                    t["title"],
                    t["assignee"],
                    (t["due"] or "")[:16],
                    t["priority"],
                    t["status"],
                ]
                for t in items
            ],
        )

    @tasks.command("create")
    def tasks_create(
        title: str,
        actor: ActorOpt,
        assignee: Annotated[str | None, typer.Option(help="负责人")] = None,
        due: Annotated[
            str | None, typer.Option(help="截止时间：ISO 8601、日期或中文（周五前、明天下午）")
        ] = None,
        priority: Annotated[str | None, typer.Option(help="low / normal / high / urgent")] = None,
        project: Annotated[str | None, typer.Option(help="项目名")] = None,
        now: Annotated[
            str | None, typer.Option("--now", help="读中文截止时间的参考时间（ISO 8601，带偏移）")
        ] = None,
        as_json: JsonOpt = False,
    ) -> None:
        """新建任务（通过 create_task 工具调用）。"""
        q = _qunmi()
        _apply(
            q,
            "create_task",
            {
                "title": title,
                "assignee": assignee,
                "due": _parse_due(due, q, now),
                "priority": priority,
                "project": project,
            },
            actor,
            as_json,
        )

    @tasks.command("update")
    def tasks_update(
        task: Annotated[str, typer.Argument(help="任务编号或能认出任务的词")],
        actor: ActorOpt,
        status: Annotated[
            str | None, typer.Option(help="todo / in_progress / blocked / done / cancelled")
        ] = None,
        due: Annotated[str | None, typer.Option(help="新的截止时间")] = None,
        assignee: Annotated[str | None, typer.Option(help="新的负责人")] = None,
        note: Annotated[str | None, typer.Option(help="进展说明")] = None,
        now: Annotated[
            str | None, typer.Option("--now", help="读中文截止时间的参考时间（ISO 8601，带偏移）")
        ] = None,
        as_json: JsonOpt = False,
    ) -> None:
        """更新任务（通过 update_task 工具调用）。"""
        q = _qunmi()
        ref: int | str = int(task) if task.isdigit() else task
        _apply(
            q,
            "update_task",
            {
                "task": ref,
                "status": status,
                "due": _parse_due(due, q, now),
                "assignee": assignee,
                "progress_note": note,
            },
            actor,
            as_json,
        )

    # -- meetings -------------------------------------------------------------------------
    @meetings.command("list")
    def meetings_list(as_json: JsonOpt = False) -> None:
        """列出已安排的会议。"""
        from tools.records import display_names, meeting_record

        q = _qunmi()
        with q.uow_factory() as uow:
            names = display_names(uow.members.all())
            items = [
                meeting_record(m, names, q.settings.tz)
                for m in uow.meetings.list(filters={"status": "scheduled"}, limit=500).items
            ]
        if as_json:
            print(json.dumps(items, ensure_ascii=False, indent=2))
            return
        _table(
            "会议",
            ["#", "标题", "开始", "地点", "参会", "议题"],
            [
                [
                    m["id"],
                    m["title"],
                    (m["start"] or "")[:16],
                    m["location"],
                    "、".join(m["attendees"]),
                    "；".join(m["agenda"]),
                ]
                for m in items
            ],
        )

    @meetings.command("create")
    def meetings_create(
        title: str,
        actor: ActorOpt,
        start: Annotated[str, typer.Option(help="开始时间 ISO 8601")],
        minutes: Annotated[int | None, typer.Option(help="时长（分钟）")] = None,
        attendee: Annotated[
            list[str] | None, typer.Option("--attendee", help="参会人（可重复；不填为全员）")
        ] = None,
        agenda: Annotated[list[str] | None, typer.Option("--agenda", help="议题（可重复）")] = None,
        location: Annotated[str | None, typer.Option(help="地点")] = None,
        as_json: JsonOpt = False,
    ) -> None:
        """安排会议（通过 create_meeting 工具调用）。"""
        q = _qunmi()
        _apply(
            q,
            "create_meeting",
            {
                "title": title,
                "start": _parse_time(start, q, "开始时间"),
                "duration_minutes": minutes,
                "attendees": attendee or "all",
                "agenda": agenda,
                "location": location,
            },
            actor,
            as_json,
        )

    # -- audit ----------------------------------------------------------------------------
    @audit.command("list")
    def audit_list(
        limit: Annotated[int, typer.Option(min=1, max=500)] = 20, as_json: JsonOpt = False
    ) -> None:
        """最近的操作记录（预算和费用不显示）。"""
        from tools.records import display_names, without_budget

        q = _qunmi()
        with q.uow_factory() as uow:
            entries = uow.audit.list(limit=limit, order="-id").items
            names = display_names(uow.members.all())
        if as_json:
            print(
                json.dumps(
                    [
                        {
                            "id": e.id,
                            "tool": e.tool,
                            "arguments": without_budget(e.arguments),
                            "actor": names.get(e.actor_id or 0),
                            "at": e.at.isoformat(),
                            "undone": e.undone_at is not None,
                        }
                        for e in entries
                    ],
                    ensure_ascii=False,
                    indent=2,
                )
            )
            return
        _table(
            "操作记录",
            ["#", "时间", "操作人", "工具", "参数", "已撤销"],
            [
                [
                    e.id,
                    e.at.astimezone(q.settings.tz).strftime("%m-%d %H:%M"),
                    names.get(e.actor_id or 0),
                    e.tool,
                    json.dumps(without_budget(e.arguments), ensure_ascii=False)[:60],
                    "是" if e.undone_at else "",
                ]
                for e in entries
            ],
        )

    @audit.command("undo")
    def audit_undo(audit_id: int, actor: ActorOpt) -> None:
        """撤销一次操作。"""
        from assistant.services.cards import render_result

        q = _qunmi()
        result = q.executor.undo(audit_id, actor=actor)
        card = render_result(result, tz=q.settings.tz)
        (console if result.ok else err_console).print(card.text)
        if not result.ok:
            raise typer.Exit(1)
