"""vocabulary 2: recurring meetings, task cost, project spending, milestones, chat settings

Revision ID: 0003_vocabulary_v2
Revises: 0002
Create Date: 2026-12-01 10:30:00
"""

from __future__ import annotations

import sqlalchemy as sa
from alembic import op

import storage.orm

revision = "0003_vocabulary_v2"
down_revision = "0002"
branch_labels = None
depends_on = None


def upgrade() -> None:
    with op.batch_alter_table("meetings", schema=None) as batch_op:
        batch_op.add_column(sa.Column("recurrence", sa.String(length=200), nullable=True))
        batch_op.add_column(
            sa.Column("skipped_dates", sa.JSON(), nullable=False, server_default="[]")
        )
    with op.batch_alter_table("tasks", schema=None) as batch_op:
        batch_op.add_column(sa.Column("cost", sa.Float(), nullable=True))
    with op.batch_alter_table("projects", schema=None) as batch_op:
        batch_op.add_column(sa.Column("spent", sa.Float(), nullable=True))
    with op.batch_alter_table("chats", schema=None) as batch_op:
        batch_op.add_column(sa.Column("settings", sa.JSON(), nullable=False, server_default="{}"))
    op.create_table(
        "milestones",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("title", sa.String(length=500), nullable=False),
        sa.Column("due", storage.orm.TZDateTime(timezone=True), nullable=False),
        sa.Column("project_id", sa.Integer(), nullable=True),
        sa.Column("creator_id", sa.Integer(), nullable=True),
        sa.Column("done", sa.Boolean(), nullable=False),
        sa.Column("created_at", storage.orm.TZDateTime(timezone=True), nullable=False),
        sa.ForeignKeyConstraint(
            ["project_id"],
            ["projects.id"],
            name=op.f("fk_milestones_project_id_projects"),
            ondelete="CASCADE",
        ),
        sa.ForeignKeyConstraint(
            ["creator_id"],
            ["members.id"],
            name=op.f("fk_milestones_creator_id_members"),
            ondelete="SET NULL",
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_milestones")),
    )
    with op.batch_alter_table("milestones", schema=None) as batch_op:
        batch_op.create_index(batch_op.f("ix_milestones_due"), ["due"], unique=False)
        batch_op.create_index(batch_op.f("ix_milestones_project_id"), ["project_id"], unique=False)


def downgrade() -> None:
    with op.batch_alter_table("milestones", schema=None) as batch_op:
        batch_op.drop_index(batch_op.f("ix_milestones_project_id"))
        batch_op.drop_index(batch_op.f("ix_milestones_due"))
    op.drop_table("milestones")
    with op.batch_alter_table("chats", schema=None) as batch_op:
        batch_op.drop_column("settings")
    with op.batch_alter_table("projects", schema=None) as batch_op:
        batch_op.drop_column("spent")
    with op.batch_alter_table("tasks", schema=None) as batch_op:
        batch_op.drop_column("cost")
    with op.batch_alter_table("meetings", schema=None) as batch_op:
        batch_op.drop_column("skipped_dates")
        batch_op.drop_column("recurrence")
