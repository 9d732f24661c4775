"""documents: project document folders (files, their versions, extracted text)

Revision ID: 0010_documents
Revises: 0009_roles_identity
Create Date: 2026-12-01 15:05:00
"""

from __future__ import annotations

import sqlalchemy as sa
from alembic import op

import storage.orm

revision = "0010_documents"
down_revision = "0009_roles_identity"
branch_labels = None
depends_on = None


def upgrade() -> None:
    op.create_table(
        "documents",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("project_id", sa.Integer(), nullable=True),
        sa.Column("chat_id", sa.Integer(), nullable=True),
        sa.Column("folder", sa.String(length=40), nullable=False),
        sa.Column("name", sa.String(length=300), nullable=False),
        sa.Column("doc_key", sa.String(length=300), nullable=False),
        sa.Column("version", sa.Integer(), nullable=False),
        sa.Column("sha256", sa.String(length=64), nullable=False),
        sa.Column("size", sa.Integer(), nullable=False),
        sa.Column("content_type", sa.String(length=200), nullable=False),
        sa.Column("stored_path", sa.String(length=500), nullable=False),
        sa.Column("text", sa.Text(), nullable=True),
        sa.Column("uploaded_by_id", sa.Integer(), nullable=True),
        sa.Column("created_at", storage.orm.TZDateTime(timezone=True), nullable=False),
        sa.Column("is_latest", sa.Boolean(), nullable=False),
        sa.ForeignKeyConstraint(
            ["project_id"],
            ["projects.id"],
            name=op.f("fk_documents_project_id_projects"),
            ondelete="SET NULL",
        ),
        sa.ForeignKeyConstraint(
            ["chat_id"], ["chats.id"], name=op.f("fk_documents_chat_id_chats"), ondelete="SET NULL"
        ),
        sa.ForeignKeyConstraint(
            ["uploaded_by_id"],
            ["members.id"],
            name=op.f("fk_documents_uploaded_by_id_members"),
            ondelete="SET NULL",
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_documents")),
        sa.UniqueConstraint("project_id", "doc_key", "version", name="uq_documents_version"),
    )
    op.create_index("ix_documents_project_folder", "documents", ["project_id", "folder"])
    op.create_index(op.f("ix_documents_project_id"), "documents", ["project_id"])
    op.create_index(op.f("ix_documents_doc_key"), "documents", ["doc_key"])


def downgrade() -> None:
    op.drop_index(op.f("ix_documents_doc_key"), table_name="documents")
    op.drop_index(op.f("ix_documents_project_id"), table_name="documents")
    op.drop_index("ix_documents_project_folder", table_name="documents")
    op.drop_table("documents")
