"""Public references like PA-2026-000123: unique per prefix and year, never reused."""

from __future__ import annotations

from typing import Any

from sqlalchemy import bindparam
from sqlalchemy.dialects.postgresql import insert as pg_insert
from sqlalchemy.dialects.sqlite import insert as sqlite_insert
from sqlalchemy.orm import Session

from engine.store import lean
from engine.store.models import ReferenceCounter

_COUNTERS = ReferenceCounter.__table__


def _upsert(insert: Any) -> Any:
    """INSERT ... ON CONFLICT DO UPDATE ... RETURNING, built once per dialect (building it cost more than running it)."""
    return (
        insert(_COUNTERS)
        .values(prefix=bindparam("p_prefix"), year=bindparam("p_year"), last=1)
        .on_conflict_do_update(index_elements=["prefix", "year"], set_={"last": _COUNTERS.c.last + 1})
        .returning(_COUNTERS.c.last)
    )


_UPSERT = {"postgresql": lean.Statement(_upsert(pg_insert)), "sqlite": lean.Statement(_upsert(sqlite_insert))}


def next_reference(session: Session, prefix: str, year: int) -> str:
    """One upsert that bumps the year's counter and returns it, safe under concurrent writers."""
    seq = lean.scalar(session, _UPSERT[lean.dialect_of(session).name], {"p_prefix": prefix, "p_year": year})
    return f"{prefix}-{year}-{seq:06d}"
