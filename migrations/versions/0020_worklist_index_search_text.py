"""the worklist's state index ends with the folded search text

Revision ID: 0020
Revises: 0019
Create Date: 2026-12-02 14:10:00

A search inside a worklist matches the folded text, which was in no index: a branch read from
(workflow, version, state, deadline...) read every row it passed to check the term, and a common
word that is rare in a long branch (the supervisor's staff cases awaiting a decision) read the
whole branch (18 ms at a million cases). With the text at the end of the index, the walk checks
the entries alone (1 ms). The text changes only with the subject, so a transition writes the
entry it writes anyway, a little longer.
"""
from __future__ import annotations

from alembic import op

revision = "0020"
down_revision = "0019"
branch_labels = None
depends_on = None

_OLD = ["workflow_name", "workflow_version", "state", "deadline_at", "kind", "severity", "assigned_unit_id"]


def upgrade() -> None:
    op.drop_index("ix_cases_workflow_state_deadline", table_name="cases")
    op.create_index("ix_cases_workflow_state_deadline", "cases", [*_OLD, "search_text"])


def downgrade() -> None:
    op.drop_index("ix_cases_workflow_state_deadline", table_name="cases")
    op.create_index("ix_cases_workflow_state_deadline", "cases", _OLD)
