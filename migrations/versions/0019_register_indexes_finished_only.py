"""the public register's indexes: per workflow, over finished cases only

Revision ID: 0019
Revises: 0018
Create Date: 2026-12-02 13:30:00

The register lists the cases in each registered workflow's published state, which is terminal
(the definition loader refuses a register whose state is not). (state, state_entered_at) and
(state, updated_at) over every case changed with each transition of an open case (two of the
pages every transition writes and syncs), and with the workflows ORed the register read and
sorted every published case (2 s a query at a million cases). The new ones start with the
workflow and its state, so each workflow's cases are one range in order, and hold finished
cases only, so they change when a case is published, dismissed, closed or corrected.
"""
from __future__ import annotations

import sqlalchemy as sa
from alembic import op

revision = "0019"
down_revision = "0018"
branch_labels = None
depends_on = None


def upgrade() -> None:
    finished = sa.text("closed IS 1") if op.get_bind().dialect.name == "sqlite" else sa.text("closed IS true")
    op.drop_index("ix_cases_state_state_entered_at", table_name="cases")
    op.drop_index("ix_cases_state_updated_at", table_name="cases")
    op.create_index("ix_cases_published_entered", "cases", ["workflow_name", "state", "state_entered_at", "closed"],
                    sqlite_where=finished, postgresql_where=finished)
    op.create_index("ix_cases_published_updated", "cases", ["workflow_name", "state", "updated_at", "version", "closed"],
                    sqlite_where=finished, postgresql_where=finished)


def downgrade() -> None:
    op.drop_index("ix_cases_published_updated", table_name="cases")
    op.drop_index("ix_cases_published_entered", table_name="cases")
    op.create_index("ix_cases_state_updated_at", "cases", ["state", "updated_at"])
    op.create_index("ix_cases_state_state_entered_at", "cases", ["state", "state_entered_at"])
