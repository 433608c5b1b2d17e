"""worklist indexes: each worklist branch reads an index in deadline order

Revision ID: 0015
Revises: 0013
Create Date: 2026-12-02 07:00:00

A worklist is read branch by branch (engine.read.queries.worklist): one state of one workflow
version, for any case, for what one unit holds, for one kind or one severity. Three indexes that
matched some of those equalities but not the deadline order are replaced by the same columns
followed by the branch's state, version and `deadline_at` (their other users, counts by state, the
holding unit's cases and kinds, keep their prefix); the severity filter gains one. A page then
stops after its rows; each index ends with the other filters' columns, so a filtered branch is
read and counted from the index alone, without reading the rows it skips.
"""
from __future__ import annotations

from alembic import op

revision = "0015"
down_revision = "0013"
branch_labels = None
depends_on = None

BRANCH = ["state", "workflow_name", "workflow_version", "deadline_at"]
NEW = [
    ("ix_cases_workflow_state_deadline", ["workflow_name", "workflow_version", "state", "deadline_at", "kind", "severity",
                                          "assigned_unit_id"]),
    ("ix_cases_assigned_state_deadline", ["assigned_unit_id", *BRANCH, "kind", "severity"]),
    ("ix_cases_kind_state_deadline", ["kind", *BRANCH, "severity", "assigned_unit_id"]),
    ("ix_cases_severity_state_deadline", ["severity", *BRANCH, "kind", "assigned_unit_id"]),
]
OLD = [
    ("ix_cases_workflow_state", ["workflow_name", "workflow_version", "state"]),
    ("ix_cases_assigned_state", ["assigned_unit_id", "state"]),
    ("ix_cases_kind", ["kind"]),
]


def upgrade() -> None:
    for name, columns in NEW:
        op.create_index(name, "cases", columns, unique=False)
    for name, _ in OLD:
        op.drop_index(name, table_name="cases")
    # SQLite's planner knows an index's selectivity only from ANALYZE; without it, it may walk the
    # holding unit's index for a kind filter it could read in order from the kind's.
    op.execute("ANALYZE cases")


def downgrade() -> None:
    for name, columns in OLD:
        op.create_index(name, "cases", columns, unique=False)
    for name, _ in NEW:
        op.drop_index(name, table_name="cases")
