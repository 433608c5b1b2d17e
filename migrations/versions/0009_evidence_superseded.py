"""evidence: an attachment can be marked superseded (never deleted)

Revision ID: 0009
Revises: 0008
Create Date: 2026-12-02 04:00:00

`attachments.superseded_seq` names the case-history event that marked a file superseded
(engine.cases.commands.supersede_evidence); NULL for a file in force. The file itself is kept.
"""
from __future__ import annotations

import sqlalchemy as sa
from alembic import op

revision = "0009"
down_revision = "0008"
branch_labels = None
depends_on = None


def upgrade() -> None:
    with op.batch_alter_table("attachments") as batch:
        batch.add_column(sa.Column("superseded_seq", sa.Integer(), nullable=True))


def downgrade() -> None:
    with op.batch_alter_table("attachments") as batch:
        batch.drop_column("superseded_seq")
