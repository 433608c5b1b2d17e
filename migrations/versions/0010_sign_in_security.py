"""sign-in security: a session generation and a failed sign-in window on each user

Revision ID: 0010
Revises: 0009
Create Date: 2026-12-02 04:00:00

`session_generation` is carried in every session and remember cookie; signing out, changing
the password and disabling the account advance it, so a captured cookie stops working on the
server. `failed_logins` and `failed_logins_since` count wrong passwords per account within a
window, in the database, so the lockout holds across processes and restarts.
"""
from __future__ import annotations

import sqlalchemy as sa
from alembic import op

import engine.store.db

revision = "0010"
down_revision = "0009"
branch_labels = None
depends_on = None


def upgrade() -> None:
    with op.batch_alter_table("users") as batch:
        batch.add_column(sa.Column("session_generation", sa.Integer(), server_default="0", nullable=False))
        batch.add_column(sa.Column("failed_logins", sa.Integer(), server_default="0", nullable=False))
        batch.add_column(sa.Column("failed_logins_since", engine.store.db.UtcDateTime(), nullable=True))


def downgrade() -> None:
    with op.batch_alter_table("users") as batch:
        batch.drop_column("failed_logins_since")
        batch.drop_column("failed_logins")
        batch.drop_column("session_generation")
