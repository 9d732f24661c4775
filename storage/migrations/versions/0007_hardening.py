"""hardening: milestone tombstones, message lease owners, worker heartbeats

Revision ID: 0007_hardening
Revises: 0006_risk_models
Create Date: 2026-12-01 11:00:00
"""

from __future__ import annotations

import sqlalchemy as sa
from alembic import op

import storage.orm

revision = "0007_hardening"
down_revision = "0006_risk_models"
branch_labels = None
depends_on = None


def upgrade() -> None:
    with op.batch_alter_table("milestones", schema=None) as batch_op:
        batch_op.add_column(sa.Column("cancelled_at", storage.orm.TZDateTime(), nullable=True))
    with op.batch_alter_table("messages", schema=None) as batch_op:
        batch_op.add_column(sa.Column("claimed_by", sa.String(length=120), nullable=True))
    op.create_table(
        "workers",
        sa.Column("id", sa.String(length=120), nullable=False),
        sa.Column("host", sa.String(length=200), nullable=False),
        sa.Column("pid", sa.Integer(), nullable=False),
        sa.Column("started_at", storage.orm.TZDateTime(), nullable=False),
        sa.Column("heartbeat_at", storage.orm.TZDateTime(), nullable=False),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_workers")),
    )


def downgrade() -> None:
    op.drop_table("workers")
    with op.batch_alter_table("messages", schema=None) as batch_op:
        batch_op.drop_column("claimed_by")
    with op.batch_alter_table("milestones", schema=None) as batch_op:
        batch_op.drop_column("cancelled_at")
