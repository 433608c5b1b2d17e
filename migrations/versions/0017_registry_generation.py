"""registry generation: one row advanced by every definition load, so running processes notice new versions

Revision ID: 0017
Revises: 0015
Create Date: 2026-12-02 07:00:00

`registry_generation` holds one row (id 1). `presscase workflow load` advances its number in the
transaction that records a new definition version; web and scheduler processes read it (one
primary-key lookup, at most every PRESSCASE_REGISTRY_CHECK_S seconds) and load the versions they
lack when it moved (engine/cases/registry.py).
"""
from __future__ import annotations

import sqlalchemy as sa
from alembic import op

revision = "0017"
down_revision = "0015"
branch_labels = None
depends_on = None


def upgrade() -> None:
    table = op.create_table(
        "registry_generation",
        sa.Column("id", sa.Integer(), autoincrement=False, nullable=False),
        sa.Column("generation", sa.Integer(), nullable=False),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_registry_generation")),
    )
    op.bulk_insert(table, [{"id": 1, "generation": 1}])


def downgrade() -> None:
    op.drop_table("registry_generation")
