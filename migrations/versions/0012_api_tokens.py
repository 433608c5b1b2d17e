"""api tokens: per-user keys for the JSON API, stored as a keyed hash

Revision ID: 0012
Revises: 0011
Create Date: 2026-12-02 06:40:00

A token is shown once when issued; only HMAC-SHA256 of it (keyed from the app's secret) is kept,
with its first characters to recognise it, its expiry, its revocation and its last use.
"""
from __future__ import annotations

import sqlalchemy as sa
from alembic import op

import engine.store.db

revision = "0012"
down_revision = "0011"
branch_labels = None
depends_on = None


def upgrade() -> None:
    op.create_table(
        "api_tokens",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("user_id", sa.Integer(), nullable=False),
        sa.Column("token_hash", sa.String(length=64), nullable=False),
        sa.Column("prefix", sa.String(length=16), nullable=False),
        sa.Column("label", sa.String(length=200), nullable=False),
        sa.Column("created_at", engine.store.db.UtcDateTime(), nullable=False),
        sa.Column("expires_at", engine.store.db.UtcDateTime(), nullable=True),
        sa.Column("revoked_at", engine.store.db.UtcDateTime(), nullable=True),
        sa.Column("last_used_at", engine.store.db.UtcDateTime(), nullable=True),
        sa.ForeignKeyConstraint(["user_id"], ["users.id"], name=op.f("fk_api_tokens_user_id_users"), ondelete="CASCADE"),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_api_tokens")),
        sa.UniqueConstraint("token_hash", name=op.f("uq_api_tokens_token_hash")),
    )
    op.create_index(op.f("ix_api_tokens_user_id"), "api_tokens", ["user_id"], unique=False)


def downgrade() -> None:
    op.drop_index(op.f("ix_api_tokens_user_id"), table_name="api_tokens")
    op.drop_table("api_tokens")
