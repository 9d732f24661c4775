"""Project document folders: files sent to a group or uploaded are stored under the project,
their text extracted, put in a folder, and kept as versions of one document.

The bytes go to ``<data_dir>/files/<sha256[:2]>/<sha256>`` (written in chunks while their hash
and size are computed, so an upload is never held in memory whole); the record goes to
``uow.documents``, whose change capture queues it for the memory (kind ``file``).
"""

from __future__ import annotations

import hashlib
import os
import secrets
from collections.abc import Callable, Iterable
from dataclasses import dataclass
from pathlib import Path, PurePath
from typing import BinaryIO

from assistant.domain import Member, Project, Role
from assistant.errors import Conflict, InvalidInput, NotFound, PermissionDenied
from assistant.files import (
    FOLDERS,
    Document,
    FileTooLarge,
    classify_folder,
    content_type_for,
    document_key,
    extract_text,
)
from assistant.ports import Clock
from assistant.unit_of_work import UnitOfWork, UnitOfWorkFactory
from tools.permissions import sees_project_files

__all__ = ["DocumentLibrary", "Staged"]

_CHUNK = 1024 * 1024
_MAX_NAME = 200
_EXTRACT_LIMIT = 50 * 1024 * 1024  # bytes read for text; bigger files are kept without text


@dataclass(frozen=True, slots=True)
class Staged:
    """An upload written to a temporary file, with its digest and size."""

    path: Path
    sha256: str
    size: int


def _clean_name(name: str | None) -> str:
    base = PurePath((name or "").replace("\\", "/")).name.strip()
    base = "".join(ch for ch in base if ch.isprintable())
    if not base or base in {".", ".."}:
        raise InvalidInput("文件名不能为空")
    if len(base) > _MAX_NAME:
        raise InvalidInput(f"文件名太长（{len(base)} 个字符），最多 {_MAX_NAME} 个")
    return base


def _may_write(member: Member, project: Project | None, role: str | None) -> bool:
    # One rule for the folders and the memory's file passages (tools/permissions.py).
    return sees_project_files(member, project, role)


class DocumentLibrary:
    """Stores, versions, classifies and lists the files of project folders."""

    def __init__(
        self,
        *,
        uow_factory: UnitOfWorkFactory,
        root: Path,
        clock: Clock,
        max_bytes: int,
        read_image: Callable[[bytes], str] | None = None,
    ) -> None:
        self._uow_factory = uow_factory
        self.root = root
        self._clock = clock
        self.max_bytes = max_bytes
        self.read_image = read_image  # OCR for pictures; None: pictures are found by name

    # -- bytes ------------------------------------------------------------------------------
    def stage(self, chunks: Iterable[bytes]) -> Staged:
        """Write an upload to a temporary file in chunks; ``FileTooLarge`` (nothing kept)
        past ``max_bytes``, ``InvalidInput`` for an empty file."""
        tmp = self.root / "tmp"
        tmp.mkdir(parents=True, exist_ok=True)
        path = tmp / f"upload-{secrets.token_hex(8)}"
        digest = hashlib.sha256()
        size = 0
        try:
            with path.open("wb") as out:
                for chunk in chunks:
                    size += len(chunk)
                    if size > self.max_bytes:
                        raise FileTooLarge(
                            f"文件太大，最多 {self.max_bytes // 1024 // 1024} MB",
                            details={"max_bytes": self.max_bytes},
                        )
                    digest.update(chunk)
                    out.write(chunk)
            if size == 0:
                raise InvalidInput("文件是空的")
        except BaseException:
            path.unlink(missing_ok=True)
            raise
        return Staged(path=path, sha256=digest.hexdigest(), size=size)

    def stage_stream(self, stream: BinaryIO) -> Staged:
        return self.stage(iter(lambda: stream.read(_CHUNK), b""))

    def path_of(self, document: Document) -> Path:
        return self.root / document.stored_path

    # -- records ----------------------------------------------------------------------------
    def add(
        self,
        staged: Staged,
        *,
        name: str | None,
        uploader: int | str | None,
        project: str | int | None = None,
        chat_id: int | None = None,
        declared_type: str | None = None,
        folder: str | None = None,
    ) -> tuple[Document, bool]:
        """Keep a staged upload as the newest version of its document. Returns the document
        and whether it is new: the same bytes as the latest version add nothing."""
        try:
            clean = _clean_name(name)
            if folder is not None and folder not in FOLDERS:
                raise InvalidInput(f"没有文件夹“{folder}”，可选：{'、'.join(FOLDERS)}")
            text = None
            if staged.size <= _EXTRACT_LIMIT:
                text = (
                    extract_text(clean, staged.path.read_bytes(), read_image=self.read_image).text
                    or None
                )
            for attempt in range(3):
                try:
                    return self._add_once(
                        staged,
                        clean=clean,
                        text=text,
                        uploader=uploader,
                        project=project,
                        chat_id=chat_id,
                        declared_type=declared_type,
                        folder=folder,
                    )
                except Conflict:
                    # Two uploads of one document at once took the same version number:
                    # the next attempt numbers after the winner.
                    if attempt == 2:
                        raise
            raise AssertionError("unreachable")
        finally:
            staged.path.unlink(missing_ok=True)

    def _add_once(
        self,
        staged: Staged,
        *,
        clean: str,
        text: str | None,
        uploader: int | str | None,
        project: str | int | None,
        chat_id: int | None,
        declared_type: str | None,
        folder: str | None,
    ) -> tuple[Document, bool]:
        with self._uow_factory() as uow:
            member = self._member(uow, uploader)
            chat = uow.chats.get(chat_id) if chat_id is not None else None
            if chat_id is not None and chat is None:
                raise NotFound(f"找不到群 #{chat_id}")
            target = self._project(uow, project)
            if target is None and chat is not None and chat.project_id:
                target = uow.projects.get(chat.project_id)
            self._check(uow, member, target)
            project_id = target.id if target else None
            key = document_key(clean)
            uow.documents.lock(project_id, key)
            latest = uow.documents.latest(project_id, key)
            if latest is not None and latest.sha256 == staged.sha256:
                return latest, False
            stored = Path(staged.sha256[:2]) / staged.sha256
            document = Document(
                name=clean,
                doc_key=key,
                folder=folder or (latest.folder if latest else classify_folder(clean, text)),
                version=0,
                sha256=staged.sha256,
                size=staged.size,
                content_type=content_type_for(clean, declared_type),
                stored_path=stored.as_posix(),
                created_at=self._clock.now(),
                project_id=project_id,
                chat_id=chat.id if chat else None,
                text=text,
                uploaded_by_id=member.id if member else None,
            )
            final = self.root / stored
            final.parent.mkdir(parents=True, exist_ok=True)
            if not final.exists():  # content-addressed: the same bytes are stored once
                os.replace(staged.path, final)
            document = uow.documents.add_version(document)
            uow.commit()
            return document, True

    def get(self, document_id: int, *, reader: int | str | None) -> Document:
        with self._uow_factory() as uow:
            document = uow.documents.get(document_id)
            if document is None:
                raise NotFound(f"找不到文件 #{document_id}")
            member = self._member(uow, reader)
            project = uow.projects.get(document.project_id) if document.project_id else None
            self._check(uow, member, project)
            return document

    def versions(self, document_id: int) -> list[Document]:
        with self._uow_factory() as uow:
            return uow.documents.versions(document_id)

    def move(self, document_id: int, folder: str, *, actor: int | str | None) -> Document:
        if folder not in FOLDERS:
            raise InvalidInput(f"没有文件夹“{folder}”，可选：{'、'.join(FOLDERS)}")
        with self._uow_factory() as uow:
            document = uow.documents.get(document_id)
            if document is None:
                raise NotFound(f"找不到文件 #{document_id}")
            member = self._member(uow, actor)
            project = uow.projects.get(document.project_id) if document.project_id else None
            self._check(uow, member, project)
            moved = uow.documents.move(document_id, folder)
            uow.commit()
        assert moved is not None
        return moved

    def list(
        self,
        *,
        project: str | int | None = None,
        folder: str | None = None,
        all_versions: bool = False,
        reader: int | str | None = None,
    ) -> list[Document]:
        """Newest first. With a ``reader``, only the files of projects they may see (admins:
        all); without one (the local operator), everything."""
        if folder is not None and folder not in FOLDERS:
            raise InvalidInput(f"没有文件夹“{folder}”，可选：{'、'.join(FOLDERS)}")
        with self._uow_factory() as uow:
            target = self._project(uow, project)
            member = self._member(uow, reader)
            if member is not None and target is not None:
                self._check(uow, member, target)
            docs = uow.documents.list(
                project_ids=[target.id or 0] if target else None,
                folder=folder,
                latest_only=not all_versions,
            )
            if member is None or member.role == Role.ADMIN or target is not None:
                return docs
            visible: dict[int, bool] = {}
            for project_id in {d.project_id for d in docs if d.project_id is not None}:
                found = uow.projects.get(project_id)
                role = uow.projects.role_of(project_id, member.id or 0)
                visible[project_id] = _may_write(member, found, role)
            return [d for d in docs if d.project_id is None or visible.get(d.project_id)]

    # -- pieces -----------------------------------------------------------------------------
    @staticmethod
    def _member(uow: UnitOfWork, who: int | str | None) -> Member | None:
        if who is None:
            return None
        member = uow.members.get(who) if isinstance(who, int) else None
        if member is None and isinstance(who, str):
            member = uow.members.by_display_name(who) or uow.members.by_wecom_userid(who)
        if member is None:
            raise NotFound(f"找不到成员“{who}”")
        return member

    @staticmethod
    def _project(uow: UnitOfWork, project: str | int | None) -> Project | None:
        if project is None or project == "":
            return None
        found = (
            uow.projects.get(project) if isinstance(project, int) else uow.projects.by_name(project)
        )
        if found is None:
            raise NotFound(f"找不到项目“{project}”")
        return found

    @staticmethod
    def _check(uow: UnitOfWork, member: Member | None, project: Project | None) -> None:
        if member is None:
            raise PermissionDenied("需要登录的成员身份才能操作项目文件")
        role = (
            uow.projects.role_of(project.id, member.id)
            if project is not None and project.id is not None and member.id is not None
            else None
        )
        if not _may_write(member, project, role):
            assert project is not None
            raise PermissionDenied(
                f"{member.display_name} 不是项目「{project.name}」的成员，不能查看或修改它的文件"
            )
