"""``SqlDocumentRepository``: files in project folders, with their versions."""

from __future__ import annotations

import hashlib
from collections.abc import Sequence

from sqlalchemy import ColumnElement, func, literal, select, update
from sqlalchemy.exc import IntegrityError
from sqlalchemy.orm import Session

from assistant.errors import Conflict
from assistant.files import Document
from storage.orm import DocumentRow

__all__ = ["SqlDocumentRepository"]

_FIELDS = (
    "project_id",
    "chat_id",
    "folder",
    "name",
    "doc_key",
    "version",
    "sha256",
    "size",
    "content_type",
    "stored_path",
    "text",
    "uploaded_by_id",
    "created_at",
    "is_latest",
)


def _document(row: DocumentRow) -> Document:
    return Document(id=row.id, **{name: getattr(row, name) for name in _FIELDS})


def _same_project(project_id: int | None) -> ColumnElement[bool]:
    if project_id is None:
        return DocumentRow.project_id.is_(None)
    return DocumentRow.project_id == project_id


class SqlDocumentRepository:
    def __init__(self, session: Session) -> None:
        self.session = session

    def get(self, document_id: int) -> Document | None:
        row = self.session.get(DocumentRow, document_id)
        return None if row is None else _document(row)

    def lock(self, project_id: int | None, doc_key: str) -> None:
        """Hold the document until the transaction ends (PostgreSQL: an advisory lock on
        its key; SQLite: its one write lock, taken now by an empty update), so that
        concurrent uploads number their versions one after another."""
        if self.session.get_bind().dialect.name == "sqlite":
            self.session.execute(
                update(DocumentRow).where(literal(False)).values(is_latest=DocumentRow.is_latest)
            )
            return
        if self.session.get_bind().dialect.name != "postgresql":
            return
        digest = hashlib.sha256(f"documents:{project_id}:{doc_key}".encode()).digest()
        key = int.from_bytes(digest[:8], "big", signed=True)
        self.session.execute(select(func.pg_advisory_xact_lock(key)))

    def latest(self, project_id: int | None, doc_key: str) -> Document | None:
        row = self.session.scalar(
            select(DocumentRow)
            .where(_same_project(project_id), DocumentRow.doc_key == doc_key)
            .order_by(DocumentRow.version.desc())
            .limit(1)
        )
        return None if row is None else _document(row)

    def add_version(self, document: Document) -> Document:
        same = (_same_project(document.project_id), DocumentRow.doc_key == document.doc_key)
        top = self.session.scalar(select(func.max(DocumentRow.version)).where(*same))
        # Earlier versions are no longer the latest; they are loaded so that the change
        # capture sees them change (their passages say "旧版本" from now on).
        for old in self.session.scalars(
            select(DocumentRow).where(*same, DocumentRow.is_latest.is_(True))
        ):
            old.is_latest = False
        document.version = (top or 0) + 1
        document.is_latest = True
        row = DocumentRow(**{name: getattr(document, name) for name in _FIELDS})
        self.session.add(row)
        try:
            self.session.flush()
        except IntegrityError as exc:  # another upload took this version number just now
            self.session.rollback()
            raise Conflict(
                "同一文件正被同时上传，请重试", details={"version": document.version}
            ) from exc
        document.id = row.id
        return document

    def versions(self, document_id: int) -> list[Document]:
        row = self.session.get(DocumentRow, document_id)
        if row is None:
            return []
        rows = self.session.scalars(
            select(DocumentRow)
            .where(_same_project(row.project_id), DocumentRow.doc_key == row.doc_key)
            .order_by(DocumentRow.version.desc())
        )
        return [_document(r) for r in rows]

    def move(self, document_id: int, folder: str) -> Document | None:
        row = self.session.get(DocumentRow, document_id)
        if row is None:
            return None
        for version in self.session.scalars(
            select(DocumentRow).where(
                _same_project(row.project_id),
                DocumentRow.doc_key == row.doc_key,
            )
        ):
            version.folder = folder
        self.session.flush()
        return _document(row)

    def list(
        self,
        *,
        project_ids: Sequence[int] | None = None,
        folder: str | None = None,
        latest_only: bool = True,
        limit: int = 200,
    ) -> list[Document]:
        stmt = select(DocumentRow)
        if project_ids is not None:
            stmt = stmt.where(DocumentRow.project_id.in_(list(project_ids)))
        if folder is not None:
            stmt = stmt.where(DocumentRow.folder == folder)
        if latest_only:
            stmt = stmt.where(DocumentRow.is_latest.is_(True))
        stmt = stmt.order_by(DocumentRow.created_at.desc(), DocumentRow.id.desc()).limit(limit)
        return [_document(r) for r in self.session.scalars(stmt)]
