"""retry keys: what the first request with a key produced, so a retry never acts twice

Revision ID: 0013
Revises: 0012
Create Date: 2026-12-02 06:45:00

One row per (scope, key), written in the transaction of the case change it records
(engine/cases/idempotency.py); the unique constraint is what makes two concurrent requests with
one key act once. `created_at` is indexed for the job that deletes keys past their hours.
"""
from __future__ import annotations

import sqlalchemy as sa
from alembic import op

from engine.store.db import UtcDateTime

revision = "0013"
down_revision = "0012"
branch_labels = None
depends_on = None


def upgrade() -> None:
    op.create_table(
        "retry_keys",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("scope", sa.String(length=64), nullable=False),
        sa.Column("key", sa.String(length=255), nullable=False),
        sa.Column("fingerprint", sa.String(length=64), nullable=False),
        sa.Column("case_id", sa.Integer(), nullable=False),
        sa.Column("reference", sa.String(length=30), nullable=False),
        sa.Column("state", sa.String(length=40), nullable=False),
        sa.Column("version", sa.Integer(), nullable=False),
        sa.Column("event_seq", sa.Integer(), nullable=False),
        sa.Column("created_at", UtcDateTime(), nullable=False),
        sa.ForeignKeyConstraint(["case_id"], ["cases.id"], name=op.f("fk_retry_keys_case_id_cases"), ondelete="CASCADE"),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_retry_keys")),
        sa.UniqueConstraint("scope", "key", name="uq_retry_keys_scope_key"),
    )
    op.create_index(op.f("ix_retry_keys_created_at"), "retry_keys", ["created_at"], unique=False)


def downgrade() -> None:
    op.drop_index(op.f("ix_retry_keys_created_at"), table_name="retry_keys")
    op.drop_table("retry_keys")
