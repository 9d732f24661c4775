"""Project document folders over HTTP: upload a file, list a project's folders, download a
version, move a document to another folder."""

from __future__ import annotations

from typing import Annotated, Any
from urllib.parse import quote

from fastapi import APIRouter, File, Form, Query, UploadFile
from fastapi.responses import FileResponse, JSONResponse
from pydantic import BaseModel, ConfigDict, Field
from starlette.concurrency import run_in_threadpool

from api.deps import PrincipalDep, QunmiDep, acting_as
from api.schemas import MAX_ID, RecordId
from assistant.bootstrap import Qunmi
from assistant.errors import InvalidInput, NotFound
from assistant.files import FOLDERS, Document
from assistant.services.documents import DocumentLibrary
from tools.records import iso

__all__ = ["document_record", "router"]

router = APIRouter(tags=["files"])

_ACTOR = "以谁的身份（本机模式；登录后只能是本人，不填即本人）"
_ActorQuery = Annotated[str | None, Query(max_length=100, description=_ACTOR)]


class FileUpdate(BaseModel):
    model_config = ConfigDict(extra="forbid")

    folder: str = Field(min_length=1, max_length=40, description="、".join(FOLDERS))
    actor: str | None = Field(
        default=None, max_length=100, description="操作人（本机模式；登录后只能是本人）"
    )


def _library(q: Qunmi) -> DocumentLibrary:
    if q.documents is None:
        raise InvalidInput("这个实例没有启用项目文件夹")
    return q.documents


def document_record(q: Qunmi, document: Document) -> dict[str, Any]:
    return {
        "id": document.id,
        "name": document.name,
        "folder": document.folder,
        "version": document.version,
        "is_latest": document.is_latest,
        "project_id": document.project_id,
        "chat_id": document.chat_id,
        "size": document.size,
        "content_type": document.content_type,
        "sha256": document.sha256,
        "has_text": bool(document.text),
        "uploaded_by_id": document.uploaded_by_id,
        "created_at": iso(document.created_at, q.settings.tz),
        "download": f"/files/{document.id}",
    }


@router.post(
    "/files",
    status_code=201,
    responses={200: {"description": "同样的内容已经存过：返回已有的那一版"}},
)
async def upload_file(
    q: QunmiDep,
    who: PrincipalDep,
    file: Annotated[
        UploadFile, File(description="文件：PDF / DOCX / XLSX / Markdown / 文本，其他类型只存不读")
    ],
    project: Annotated[str | None, Form(max_length=200, description="项目名")] = None,
    chat_id: Annotated[int | None, Form(ge=1, le=MAX_ID, description="来自哪个群")] = None,
    folder: Annotated[
        str | None, Form(max_length=40, description="不填则按文件名和内容自动归类")
    ] = None,
    actor: Annotated[str | None, Form(max_length=100, description=_ACTOR)] = None,
) -> Any:
    """Store a file under its project: a file named like an earlier one (without version marks
    such as v2 / _终稿 / (1)) is its next version; the same bytes again add nothing (200)."""
    library = _library(q)
    uploader = acting_as(q, who, actor)
    staged = await run_in_threadpool(library.stage_stream, file.file)
    document, new = await run_in_threadpool(
        library.add,
        staged,
        name=file.filename,
        uploader=uploader,
        project=project,
        chat_id=chat_id,
        declared_type=file.content_type,
        folder=folder,
    )
    body = document_record(q, document) | {"new": new}
    return body if new else JSONResponse(status_code=200, content=body)


@router.get("/files")
def list_files(
    q: QunmiDep,
    who: PrincipalDep,
    project: Annotated[str | None, Query(max_length=200)] = None,
    folder: Annotated[str | None, Query(max_length=40)] = None,
    all_versions: bool = False,
    actor: _ActorQuery = None,
) -> dict[str, Any]:
    """The files of a project (or of every project the reader may see), newest first; latest
    versions only unless ``all_versions``."""
    docs = _library(q).list(
        project=project, folder=folder, all_versions=all_versions, reader=acting_as(q, who, actor)
    )
    return {"items": [document_record(q, d) for d in docs], "folders": list(FOLDERS)}


@router.get(
    "/files/{document_id}",
    response_class=FileResponse,
    responses={200: {"description": "文件内容", "content": {"*/*": {}}}},
)
def download_file(
    q: QunmiDep, who: PrincipalDep, document_id: RecordId, actor: _ActorQuery = None
) -> FileResponse:
    """The file's bytes, under its name."""
    library = _library(q)
    document = library.get(document_id, reader=acting_as(q, who, actor))
    path = library.path_of(document)
    if not path.is_file():
        raise NotFound(f"文件 #{document_id} 的内容不在存储里了")
    return FileResponse(
        path,
        media_type=document.content_type,
        headers={"Content-Disposition": f"attachment; filename*=UTF-8''{quote(document.name)}"},
    )


@router.get("/files/{document_id}/versions")
def file_versions(
    q: QunmiDep, who: PrincipalDep, document_id: RecordId, actor: _ActorQuery = None
) -> dict[str, Any]:
    library = _library(q)
    library.get(document_id, reader=acting_as(q, who, actor))
    return {"items": [document_record(q, d) for d in library.versions(document_id)]}


@router.patch("/files/{document_id}")
def move_file(
    q: QunmiDep, who: PrincipalDep, document_id: RecordId, body: FileUpdate
) -> dict[str, Any]:
    """Move a document (every version of it) to another folder."""
    library = _library(q)
    document = library.move(document_id, body.folder, actor=acting_as(q, who, body.actor))
    return document_record(q, document)
