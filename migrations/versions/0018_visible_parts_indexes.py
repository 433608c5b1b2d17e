"""indexes for what a person may see, part by part (filing unit or reporter, then the workflow version); no index on the state alone

Revision ID: 0018
Revises: 0017
Create Date: 2026-12-02 11:00:00

A list of every case someone may see (a reporter's "my unit's reports") is read one definition
version at a time, newest first (engine.read.queries.visible_cases). A part is "the filing unit's
cases of this version" or "the reporter's own cases of this version": with the version in the
index after the unit or the reporter, a part is counted from the index alone and read newest
first down it (the row id ends every index), instead of reading every case of a busy unit to
find the few of one workflow. The filing unit's single-column index is a prefix of the new one.
These columns never change after filing, so no transition rewrites these entries.

The state's single-column index goes: the (state, state_entered_at) index serves every query on the
state alike, and each index over the state is one more page every transition writes and syncs.
"""
from __future__ import annotations

from alembic import op

revision = "0018"
down_revision = "0017"
branch_labels = None
depends_on = None


def upgrade() -> None:
    op.create_index("ix_cases_filing_unit_workflow", "cases", ["filing_unit_id", "workflow_name", "workflow_version"])
    op.create_index("ix_cases_reporter_workflow", "cases", ["reporter_id", "workflow_name", "workflow_version"])
    op.drop_index("ix_cases_filing_unit_id", table_name="cases")
    op.drop_index("ix_cases_state", table_name="cases")


def downgrade() -> None:
    op.create_index("ix_cases_state", "cases", ["state"])
    op.create_index("ix_cases_filing_unit_id", "cases", ["filing_unit_id"])
    op.drop_index("ix_cases_reporter_workflow", table_name="cases")
    op.drop_index("ix_cases_filing_unit_workflow", table_name="cases")
