"""reports: the working-day index, and indexes for the statistics

Revision ID: 0005
Revises: 0004
Create Date: 2026-11-28 05:00:00

Models: engine/store/report_models.py. `working_day_index` maps every date to its running number of
working days, so the database computes durations in working days with two key lookups per case;
it is filled (and refilled when the calendar changes) by engine/time/workday_index.py, not here, since
the calendar's overrides are data an admin edits. The indexes serve counts by state per
workflow version, the period ranges over the history's events by trigger, the per-case probes for
the stage before an event (by case and seq), and the period's opened and open cases read from
the index alone (engine/store/report_models.py says which query each serves).
"""
from __future__ import annotations

import sqlalchemy as sa
from alembic import op

import engine.store.db

revision = "0005"
down_revision = "0004"
branch_labels = None
depends_on = None


def upgrade() -> None:
    op.create_table(
        "working_day_index",
        sa.Column("day", sa.Date(), nullable=False),
        sa.Column("seq", sa.Integer(), nullable=False),
        sa.Column("working", sa.Boolean(), nullable=False),
        sa.PrimaryKeyConstraint("day", name=op.f("pk_working_day_index")),
    )
    op.create_table(
        "working_day_index_meta",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("calendar_version", sa.String(length=200), nullable=False),
        sa.Column("first_day", sa.Date(), nullable=False),
        sa.Column("last_day", sa.Date(), nullable=False),
        sa.Column("built_at", engine.store.db.UtcDateTime(timezone=True), nullable=False),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_working_day_index_meta")),
    )
    op.create_index("ix_cases_workflow_state", "cases", ["workflow_name", "workflow_version", "state"], unique=False)
    op.create_index("ix_case_events_trigger_at", "case_events", ["trigger", "at", "case_id", "seq"], unique=False)
    op.create_index("ix_case_events_case_seq_trigger", "case_events", ["case_id", "seq", "trigger", "at"], unique=False)
    op.create_index("ix_cases_workflow_created", "cases",
                    ["workflow_name", "created_at", "state", "kind", "handling_unit_id", "filing_unit_id"], unique=False)
    op.create_index("ix_cases_open_workflow_deadline", "cases", ["closed", "workflow_name", "deadline_at", "escalation_level"],
                    unique=False)


def downgrade() -> None:
    op.drop_index("ix_cases_open_workflow_deadline", table_name="cases")
    op.drop_index("ix_cases_workflow_created", table_name="cases")
    op.drop_index("ix_case_events_case_seq_trigger", table_name="case_events")
    op.drop_index("ix_case_events_trigger_at", table_name="case_events")
    op.drop_index("ix_cases_workflow_state", table_name="cases")
    op.drop_table("working_day_index_meta")
    op.drop_table("working_day_index")
