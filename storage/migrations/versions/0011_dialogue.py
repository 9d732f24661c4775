"""dialogue: the chats' dialogue state (open questions, records just touched)

Revision ID: 0011_dialogue
Revises: 0010_documents
Create Date: 2026-12-01 16:40:00
"""

from __future__ import annotations

import sqlalchemy as sa
from alembic import op

import storage.orm

revision = "0011_dialogue"
down_revision = "0010_documents"
branch_labels = None
depends_on = None


def upgrade() -> None:
    op.create_table(
        "dialogue_entries",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("chat_id", sa.Integer(), nullable=False),
        sa.Column("member_id", sa.Integer(), nullable=False),
        sa.Column("kind", sa.String(length=20), nullable=False),
        sa.Column("message_id", sa.Integer(), nullable=True),
        sa.Column("record_kind", sa.String(length=20), nullable=True),
        sa.Column("record_id", sa.Integer(), nullable=True),
        sa.Column("payload", sa.JSON(), nullable=False),
        sa.Column("created_at", storage.orm.TZDateTime(timezone=True), nullable=False),
        sa.Column("expires_at", storage.orm.TZDateTime(timezone=True), nullable=False),
        sa.Column("closed_at", storage.orm.TZDateTime(timezone=True), nullable=True),
        sa.ForeignKeyConstraint(
            ["chat_id"],
            ["chats.id"],
            name=op.f("fk_dialogue_entries_chat_id_chats"),
            ondelete="CASCADE",
        ),
        sa.ForeignKeyConstraint(
            ["member_id"],
            ["members.id"],
            name=op.f("fk_dialogue_entries_member_id_members"),
            ondelete="CASCADE",
        ),
        sa.ForeignKeyConstraint(
            ["message_id"],
            ["messages.id"],
            name=op.f("fk_dialogue_entries_message_id_messages"),
            ondelete="SET NULL",
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_dialogue_entries")),
    )
    op.create_index(
        "ix_dialogue_entries_chat_member",
        "dialogue_entries",
        ["chat_id", "member_id", "kind", "expires_at"],
    )
    op.create_index(op.f("ix_dialogue_entries_expires_at"), "dialogue_entries", ["expires_at"])


def downgrade() -> None:
    op.drop_index(op.f("ix_dialogue_entries_expires_at"), table_name="dialogue_entries")
    op.drop_index("ix_dialogue_entries_chat_member", table_name="dialogue_entries")
    op.drop_table("dialogue_entries")
