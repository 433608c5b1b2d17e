"""public register: indexes for reading published results in order

Revision ID: 0004
Revises: 0003
Create Date: 2026-12-01 09:00:00

The register (/cong-khai) is a read-only projection of `cases` and `case_events`, so it adds no
table; it walks published cases by publication time and by last change. Models: engine/store/register_models.py.
"""
from __future__ import annotations

from alembic import op

revision = "0004"
down_revision = "0003"
branch_labels = None
depends_on = None


def upgrade() -> None:
    op.create_index("ix_cases_state_state_entered_at", "cases", ["state", "state_entered_at"], unique=False)
    op.create_index("ix_cases_state_updated_at", "cases", ["state", "updated_at"], unique=False)


def downgrade() -> None:
    op.drop_index("ix_cases_state_updated_at", table_name="cases")
    op.drop_index("ix_cases_state_state_entered_at", table_name="cases")
