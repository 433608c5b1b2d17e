"""timers: due rows for deadline warnings, reminders, escalations and limitation warnings

Revision ID: 0002
Revises: 0001
Create Date: 2026-11-28 05:00:00

Written by hand (and checked against autogenerate): the sweep finds due timers through a
partial index on `due_at` over pending rows only, so its cost does not grow with the number of
fired and cancelled timers, nor with how many are pending far in the future.
"""
from __future__ import annotations

import sqlalchemy as sa
from alembic import op

import engine.store.db

revision = "0002"
down_revision = "0001"
branch_labels = None
depends_on = None


def upgrade() -> None:
    op.create_table(
        "timers",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("case_id", sa.Integer(), nullable=False),
        sa.Column("kind", sa.String(length=30), nullable=False),
        sa.Column("level", sa.Integer(), nullable=True),
        sa.Column("state", sa.String(length=40), nullable=True),
        sa.Column("started_by_event", sa.Integer(), nullable=False),
        sa.Column("due_at", engine.store.db.UtcDateTime(timezone=True), nullable=False),
        sa.Column("status", sa.String(length=12), nullable=False),
        sa.Column("claimed_by", sa.String(length=80), nullable=True),
        sa.Column("lease_until", engine.store.db.UtcDateTime(timezone=True), nullable=True),
        sa.Column("attempts", sa.Integer(), nullable=False),
        sa.Column("last_error", sa.Text(), nullable=True),
        sa.Column("created_at", engine.store.db.UtcDateTime(timezone=True), nullable=False),
        sa.Column("fired_at", engine.store.db.UtcDateTime(timezone=True), nullable=True),
        sa.Column("fired_event_seq", sa.Integer(), nullable=True),
        sa.Column("cancelled_at", engine.store.db.UtcDateTime(timezone=True), nullable=True),
        sa.ForeignKeyConstraint(["case_id"], ["cases.id"], name=op.f("fk_timers_case_id_cases")),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_timers")),
    )
    with op.batch_alter_table("timers", schema=None) as batch_op:
        batch_op.create_index(
            "ix_timers_pending_due", ["due_at"], unique=False,
            sqlite_where=sa.text("status = 'pending'"), postgresql_where=sa.text("status = 'pending'"),
        )
        batch_op.create_index("ix_timers_case_id_status", ["case_id", "status"], unique=False)

    with op.batch_alter_table("cases", schema=None) as batch_op:
        batch_op.add_column(sa.Column("escalation_level", sa.Integer(), server_default="0", nullable=False))
        batch_op.add_column(sa.Column("limitation_expires_on", sa.Date(), nullable=True))


def downgrade() -> None:
    with op.batch_alter_table("cases", schema=None) as batch_op:
        batch_op.drop_column("limitation_expires_on")
        batch_op.drop_column("escalation_level")

    with op.batch_alter_table("timers", schema=None) as batch_op:
        batch_op.drop_index("ix_timers_case_id_status")
        batch_op.drop_index("ix_timers_pending_due")

    op.drop_table("timers")
