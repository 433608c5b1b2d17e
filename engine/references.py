"""Public references like PA-2026-000123: unique per prefix and year, never reused."""

from __future__ import annotations

from sqlalchemy.dialects.postgresql import insert as pg_insert
from sqlalchemy.dialects.sqlite import insert as sqlite_insert
from sqlalchemy.orm import Session

from engine.models import ReferenceCounter


def next_reference(session: Session, prefix: str, year: int) -> str:
    """One upsert that bumps the year's counter and returns it, safe under concurrent writers."""
    insert = pg_insert if session.get_bind().dialect.name == "postgresql" else sqlite_insert
    stmt = (
        insert(ReferenceCounter)
        .values(prefix=prefix, year=year, last=1)
        .on_conflict_do_update(
            index_elements=["prefix", "year"], set_={"last": ReferenceCounter.last + 1}
        )
        .returning(ReferenceCounter.last)
    )
    seq = session.connection().execute(stmt).scalar_one()
    return f"{prefix}-{year}-{seq:06d}"
