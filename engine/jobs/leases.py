"""One claim, lease and backoff mechanism for every kind of background work: timers, outbox rows, digests.

A work row has `status`, `claimed_by`, `lease_until`, `attempts`, `last_error` and
`next_attempt_at`. It is free when it is pending, ready (its own due condition, by default
`next_attempt_at <= now`), and unclaimed or its lease ran out (its worker died).

- Claim, in one statement: PostgreSQL chooses the rows with `FOR UPDATE SKIP LOCKED` in a
  materialized CTE (concurrent workers take disjoint rows without waiting, and the planner cannot
  re-evaluate the `LIMIT`); SQLite runs a conditional `UPDATE ... WHERE id IN (free rows)` under
  its write lock and repeats the free condition, so a claim is conditional either way.
- A worker renews its lease before each slow step and finishes a row only while it still holds
  the claim, so a worker whose lease was taken over stops instead of racing the new owner.
- A row that could not be done now waits `backoff` (base, 2*base, 4*base ... capped), and after
  `max_attempts` counted failures it is `failed`: listed for the administrators, retried by hand.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime, timedelta
from typing import Any, Protocol

from sqlalchemy import ColumnElement, Connection, Table, and_, or_, select, update
from sqlalchemy.orm import Session

from engine.store.db import Base

PENDING = "pending"
FAILED = "failed"


def table_of(model: type[Base]) -> Table:
    return model.__table__  # type: ignore[return-value]


def free_condition(t: Table, now: datetime, ready: ColumnElement[bool] | None = None) -> ColumnElement[bool]:
    """Pending, ready, and held by nobody (or by a worker whose lease ran out)."""
    return and_(
        t.c.status == PENDING,
        ready if ready is not None else t.c.next_attempt_at <= now,
        or_(t.c.claimed_by.is_(None), t.c.lease_until < now),
    )


def claim(
    bind: Session | Connection,
    model: type[Base],
    owner: str,
    now: datetime,
    lease: timedelta,
    limit: int,
    *,
    ready: ColumnElement[bool] | None = None,
    order_by: Any = None,
    count_attempt: bool = False,
) -> list[int]:
    """Claim up to `limit` free rows of `model` for `owner` in the caller's transaction; their ids, ascending.

    `count_attempt` counts the claim itself as an attempt (timers, whose firing and marking are
    one transaction: a worker killed in between has still used an attempt).
    """
    t = table_of(model)
    free = free_condition(t, now, ready)
    chosen = select(t.c.id).where(free).order_by(order_by if order_by is not None else t.c.id).limit(limit)
    values: dict[str, Any] = {"claimed_by": owner, "lease_until": now + lease}
    if count_attempt:
        values["attempts"] = t.c.attempts + 1
    stmt = update(t).values(**values)
    dialect = bind.get_bind().dialect if isinstance(bind, Session) else bind.dialect
    if dialect.name == "postgresql":
        cte = chosen.with_for_update(skip_locked=True).cte("chosen").prefix_with("MATERIALIZED")
        stmt = stmt.where(t.c.id == cte.c.id)
    else:
        stmt = stmt.where(t.c.id.in_(chosen.scalar_subquery()), free)
    stmt = stmt.returning(t.c.id)
    if isinstance(bind, Session):
        stmt = stmt.execution_options(synchronize_session=False)
    return sorted(bind.execute(stmt).scalars())


def renew(session: Session, model: type[Base], row_id: int, owner: str, now: datetime, lease: timedelta) -> bool:
    """Extend our lease on a row in the caller's transaction; False when the row is no longer ours."""
    t = table_of(model)
    result = session.execute(
        update(t).where(t.c.id == row_id, t.c.claimed_by == owner, t.c.status == PENDING).values(lease_until=now + lease)
    )
    return result.rowcount == 1  # type: ignore[attr-defined]


def backoff(attempts: int, base_s: float, max_s: float) -> timedelta:
    """The wait before attempt `attempts + 1`: base, 2*base, 4*base, ... capped at `max_s`."""
    return timedelta(seconds=min(base_s * 2 ** min(max(attempts - 1, 0), 40), max_s))


@dataclass(frozen=True)
class RetryPolicy:
    """How hard to try: waits of base, 2*base ... at most `max_s`; failed after `max_attempts` counted attempts."""

    base_s: float
    max_s: float
    max_attempts: int

    def delay(self, attempts: int) -> timedelta:
        return backoff(attempts, self.base_s, self.max_s)


class WorkRow(Protocol):
    status: str
    attempts: int
    last_error: str | None
    next_attempt_at: datetime | None
    claimed_by: str | None
    lease_until: datetime | None


def retry_later(row: WorkRow, now: datetime, error: str, policy: RetryPolicy, *, count: bool = True,
                give_up: bool = True) -> bool:  # fmt: skip
    """An attempt that did not succeed: wait the backoff, or (after `max_attempts`) fail. True when failed.

    `count=False` for a row whose attempt was already counted at claim time; `give_up=False` for
    a cause that passes by itself (a busy case), which is retried however long it lasts.
    """
    if count:
        row.attempts += 1
    row.last_error = error[:2000]
    failed = give_up and row.attempts >= policy.max_attempts
    if failed:
        row.status = FAILED
    else:
        row.next_attempt_at = now + policy.delay(row.attempts)
    row.claimed_by = None
    row.lease_until = None
    return failed
