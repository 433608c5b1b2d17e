"""timer retries: a timer that cannot fire now waits a backoff instead of failing

Revision ID: 0008
Revises: 0007
Create Date: 2026-12-02 04:00:00

`timers.next_attempt_at` is when a timer handed back (its case busy, a conflict, its definition
version not yet loaded) may be claimed again; NULL means "at its due time". Timers, outbox rows
and digests now share one claim, lease and backoff mechanism (engine/jobs/leases.py).
"""
from __future__ import annotations

import sqlalchemy as sa
from alembic import op

import engine.store.db

revision = "0008"
down_revision = "0007"
branch_labels = None
depends_on = None


def upgrade() -> None:
    with op.batch_alter_table("timers") as batch:
        batch.add_column(sa.Column("next_attempt_at", engine.store.db.UtcDateTime(timezone=True), nullable=True))
    op.create_index(
        "ix_timers_failed", "timers", ["id"],
        sqlite_where=sa.text("status = 'failed'"), postgresql_where=sa.text("status = 'failed'"),
    )  # fmt: skip


def downgrade() -> None:
    op.drop_index("ix_timers_failed", table_name="timers")
    with op.batch_alter_table("timers") as batch:
        batch.drop_column("next_attempt_at")
