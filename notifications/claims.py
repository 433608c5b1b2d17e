"""Claiming work rows exactly once across processes: the claim-and-lease the timer sweep uses.

A row is free when it is pending, due, and unclaimed or its lease ran out (its worker died).
PostgreSQL: `SELECT ... FOR UPDATE SKIP LOCKED`, then mark the claim, in one transaction, so
concurrent workers take disjoint rows without waiting. SQLite: one conditional
`UPDATE ... WHERE id IN (free rows) RETURNING id` inside `BEGIN IMMEDIATE`, which SQLite
serialises. A worker renews its lease before each row and finishes a row only while it still
holds the claim, so a worker whose lease was taken over stops instead of racing the new owner.
"""

from __future__ import annotations

from datetime import datetime, timedelta

from sqlalchemy import Table, and_, or_, select, update
from sqlalchemy.orm import Session

from engine.db import Base

PENDING = "pending"


def _table(model: type[Base]) -> Table:
    return model.__table__  # type: ignore[return-value]


def claim(session: Session, model: type[Base], worker: str, now: datetime, lease: timedelta, limit: int) -> list[int]:
    """Claim up to `limit` due rows of `model` for `worker`; commits, returns their ids in id order."""
    t = _table(model)
    free = and_(
        t.c.status == PENDING,
        t.c.next_attempt_at <= now,
        or_(t.c.claimed_by.is_(None), t.c.lease_until < now),
    )
    values = {"claimed_by": worker, "lease_until": now + lease}
    if session.get_bind().dialect.name == "postgresql":
        ids = list(session.scalars(select(t.c.id).where(free).order_by(t.c.id).limit(limit).with_for_update(skip_locked=True)))
        if ids:
            session.execute(update(t).where(t.c.id.in_(ids)).values(**values))
    else:
        due = select(t.c.id).where(free).order_by(t.c.id).limit(limit).scalar_subquery()
        ids = sorted(session.scalars(update(t).where(t.c.id.in_(due)).values(**values).returning(t.c.id)))
    session.commit()
    return ids


def renew(session: Session, model: type[Base], row_id: int, worker: str, now: datetime, lease: timedelta) -> bool:
    """Extend our lease on a row in the caller's transaction; False when the row is no longer ours."""
    t = _table(model)
    result = session.execute(
        update(t)
        .where(t.c.id == row_id, t.c.claimed_by == worker, t.c.status == PENDING)
        .values(lease_until=now + lease)
    )
    return result.rowcount == 1  # type: ignore[attr-defined]


def backoff(attempts: int, base_s: float, max_s: float) -> timedelta:
    """The wait before attempt `attempts + 1`: base, 2*base, 4*base, ... capped at `max_s`."""
    return timedelta(seconds=min(base_s * 2 ** max(attempts - 1, 0), max_s))
