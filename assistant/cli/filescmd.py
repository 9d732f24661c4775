"""Project document folders: ``qunmi files add|list|move``."""

from __future__ import annotations

import json
from pathlib import Path
from typing import TYPE_CHECKING, Annotated, Any, NoReturn

import typer
from rich.console import Console
from rich.table import Table

if TYPE_CHECKING:
    from assistant.bootstrap import Qunmi
    from assistant.files import Document

console = Console()
err_console = Console(stderr=True)

ProjectOpt = Annotated[str | None, typer.Option("--project", "-p", help="项目名")]
ActorOpt = Annotated[
    str | None, typer.Option("--as", "-a", help="谁在操作（成员名字）；默认第一位管理员")
]
JsonOpt = Annotated[bool, typer.Option("--json", help="输出 JSON")]
NowOpt = Annotated[
    str | None, typer.Option("--now", help="当前时间（ISO 8601，带偏移）；默认为现在")
]


def _fail(reason: str, code: int = 1) -> NoReturn:
    err_console.print(f"[red]✗[/red] {reason}")
    raise typer.Exit(code)


def _wire(now: str | None = None) -> Qunmi:
    from assistant.cli.core import _qunmi

    return _qunmi(now=now)


def _actor(q: Qunmi, name: str | None) -> str | int:
    if name is not None:
        return name
    from assistant.domain import Role

    with q.uow_factory() as uow:
        admin = next((m for m in uow.members.all() if m.role == Role.ADMIN), None)
    if admin is None or admin.id is None:
        _fail("还没有管理员：请用 --as 指定操作人")
    return admin.id


def _record(q: Qunmi, document: Document) -> dict[str, Any]:
    from tools.records import iso

    return {
        "id": document.id,
        "name": document.name,
        "folder": document.folder,
        "version": document.version,
        "is_latest": document.is_latest,
        "project_id": document.project_id,
        "size": document.size,
        "content_type": document.content_type,
        "has_text": bool(document.text),
        "created_at": iso(document.created_at, q.settings.tz),
        "download": f"/files/{document.id}",
    }


def register(app: typer.Typer, eval_app: typer.Typer) -> None:
    files = typer.Typer(help="项目文件夹：上传、列出、移动文件", no_args_is_help=True)
    app.add_typer(files, name="files")

    @files.command("add")
    def add(
        path: Annotated[Path, typer.Argument(help="要上传的文件")],
        project: ProjectOpt = None,
        folder: Annotated[
            str | None, typer.Option("--folder", "-f", help="文件夹；不填则自动归类")
        ] = None,
        actor: ActorOpt = None,
        now: NowOpt = None,
        as_json: JsonOpt = False,
    ) -> None:
        """把文件存进项目文件夹：同名文件（去掉 v2、_终稿、(1) 等版本标记）算新版本。"""
        from assistant.errors import QunmiError

        if not path.is_file():
            _fail(f"找不到文件 {path}")
        q = _wire(now)
        try:
            assert q.documents is not None
            with path.open("rb") as stream:
                staged = q.documents.stage_stream(stream)
            document, new = q.documents.add(
                staged, name=path.name, uploader=_actor(q, actor), project=project, folder=folder
            )
            if q.memory is not None:
                q.memory.indexer.drain(max_seconds=120)
            record = _record(q, document) | {"new": new}
        except QunmiError as exc:
            _fail(exc.reason)
        finally:
            q.close()
        if as_json:
            console.print_json(json.dumps(record, ensure_ascii=False))
            return
        state = "新版本" if new else "内容和最新版相同，没有新增"
        console.print(
            f"[green]✓[/green] #{record['id']} {record['name']} 第{record['version']}版"
            f"（{state}），文件夹「{record['folder']}」"
        )

    @files.command("list")
    def list_files(
        project: ProjectOpt = None,
        folder: Annotated[str | None, typer.Option("--folder", "-f", help="只看这个文件夹")] = None,
        all_versions: Annotated[bool, typer.Option("--all-versions", help="列出旧版本")] = False,
        as_json: JsonOpt = False,
    ) -> None:
        """列出项目文件夹里的文件，最新的在前。"""
        from assistant.errors import QunmiError

        q = _wire()
        try:
            assert q.documents is not None
            docs = q.documents.list(project=project, folder=folder, all_versions=all_versions)
            records = [_record(q, d) for d in docs]
        except QunmiError as exc:
            _fail(exc.reason)
        finally:
            q.close()
        if as_json:
            console.print_json(json.dumps({"items": records}, ensure_ascii=False))
            return
        if not records:
            console.print("没有文件")
            return
        table = Table("编号", "文件夹", "文件", "版本", "大小", "上传时间")
        for r in records:
            mark = "（最新）" if r["is_latest"] else ""
            table.add_row(
                str(r["id"]),
                r["folder"],
                r["name"],
                f"第{r['version']}版{mark}",
                f"{r['size']:,} B",
                r["created_at"] or "",
            )
        console.print(table)

    @files.command("move")
    def move(
        document_id: Annotated[int, typer.Argument(help="文件编号", min=1)],
        folder: Annotated[str, typer.Argument(help="目标文件夹")],
        actor: ActorOpt = None,
        as_json: JsonOpt = False,
    ) -> None:
        """把文件（连同它的所有版本）移到另一个文件夹。"""
        from assistant.errors import QunmiError

        q = _wire()
        try:
            assert q.documents is not None
            document = q.documents.move(document_id, folder, actor=_actor(q, actor))
            if q.memory is not None:
                q.memory.indexer.drain(max_seconds=120)
            record = _record(q, document)
        except QunmiError as exc:
            _fail(exc.reason)
        finally:
            q.close()
        if as_json:
            console.print_json(json.dumps(record, ensure_ascii=False))
            return
        console.print(f"[green]✓[/green] #{record['id']} {record['name']} → 「{record['folder']}」")
