"""The sweep: claim due timers atomically, fire each through the engine, mark it done with its event.

Any number of sweepers (the scheduler process, a web process, `presscase sweep --once`) may run
at once against one database; each timer still fires exactly once:

1. Claim, in its own short transaction: one `UPDATE ... RETURNING` sets `claimed_by` and a lease
   on up to `batch_size` due rows that nobody holds (or whose holder's lease ran out). On
   PostgreSQL the rows are chosen with `FOR UPDATE SKIP LOCKED`, so concurrent sweepers take
   disjoint batches without waiting; on SQLite the write lock (BEGIN IMMEDIATE) serialises claims
   and the `WHERE` repeats the condition, so the claim is conditional.
2. Fire, in one transaction per batch: lock the cases (PostgreSQL: `SKIP LOCKED`; a case a person
   is changing right now is left for the next round), then mark `fired` only the rows still
   pending *and still claimed by this sweeper* (`UPDATE ... RETURNING`), write each one's history
   event and outbox rows, and commit. The mark and the event commit together or not at all.

A sweeper killed between the two steps leaves its rows claimed; when the lease runs out another
takes them over. A sweeper that was merely slow finds, at step 2, that its claim was taken over,
and fires nothing: never lost, never twice.
"""

from __future__ import annotations

import logging
import os
import socket
import uuid
from collections.abc import Callable
from dataclasses import dataclass, field
from datetime import datetime, timedelta

from sqlalchemy import or_, select, update
from sqlalchemy.exc import DBAPIError, IntegrityError
from sqlalchemy.orm.exc import StaleDataError

from engine.errors import EngineError, StaleVersion
from engine.models import PENDING, Case, Timer
from engine.timers import fire_timer
from engine.uow import Runtime

log = logging.getLogger(__name__)

DEFAULT_BATCH = 500
DEFAULT_LEASE_S = 300.0
MAX_ATTEMPTS = 5


def default_owner() -> str:
    """Who holds a claim: readable in `presscase timers`, unique per sweeper."""
    return f"{socket.gethostname()[:40]}:{os.getpid()}:{uuid.uuid4().hex[:8]}"


@dataclass
class SweepReport:
    claimed: int = 0
    fired: int = 0
    moot: int = 0  # the case had moved on (should not happen: transitions cancel their timers)
    released: int = 0  # handed back for a later round (a case busy, a conflict)
    failed: int = 0  # gave up after MAX_ATTEMPTS claims
    batches: int = 0
    errors: list[str] = field(default_factory=list)


def claim(rt: Runtime, owner: str, now: datetime, lease: timedelta, limit: int) -> list[int]:
    """Claim up to `limit` due timers for `owner`, oldest first; returns their ids (committed)."""
    free = or_(Timer.claimed_by.is_(None), Timer.lease_until < now)
    due = select(Timer.id).where(Timer.status == PENDING, Timer.due_at <= now, free).order_by(Timer.due_at).limit(limit)
    stmt = update(Timer).values(claimed_by=owner, lease_until=now + lease, attempts=Timer.attempts + 1)
    if rt.engine.dialect.name == "postgresql":
        # A materialized CTE: `WHERE id IN (SELECT ... LIMIT n FOR UPDATE SKIP LOCKED)` may be
        # re-evaluated by the planner and then claims more than n rows.
        chosen = due.with_for_update(skip_locked=True).cte("due").prefix_with("MATERIALIZED")
        stmt = stmt.where(Timer.id == chosen.c.id)
    else:
        stmt = stmt.where(Timer.id.in_(due.scalar_subquery()), Timer.status == PENDING, free)
    stmt = stmt.returning(Timer.id).execution_options(synchronize_session=False)
    with rt.engine.begin() as conn:
        return list(conn.execute(stmt).scalars())


def release(rt: Runtime, owner: str, ids: list[int], error: str | None = None) -> tuple[int, int]:
    """Hand claimed timers back (or give up on those claimed too often); returns (released, failed)."""
    if not ids:
        return 0, 0
    now = rt.clock.now()
    mine = (Timer.id.in_(ids), Timer.claimed_by == owner, Timer.status == PENDING)
    with rt.engine.begin() as conn:
        failed = conn.execute(
            update(Timer).where(*mine, Timer.attempts >= MAX_ATTEMPTS)
            .values(status="failed", last_error=(error or "")[:2000], cancelled_at=now)
        ).rowcount  # fmt: skip
        released = conn.execute(
            update(Timer).where(*mine).values(claimed_by=None, lease_until=None, last_error=error and error[:2000])
        ).rowcount
    return released, failed


def fire_claimed(
    rt: Runtime, owner: str, ids: list[int], before_commit: Callable[[], None] | None = None
) -> tuple[int, int, list[int]]:
    """Fire the claimed timers `ids` in ONE transaction; returns (fired, moot, ids to hand back).

    Raises on a conflict the batch cannot survive (the caller retries its timers one by one).
    """
    pg = rt.engine.dialect.name == "postgresql"
    with rt.uow() as uow:
        s = uow.session
        now = rt.clock.now()
        case_ids = sorted(set(s.scalars(select(Timer.case_id).where(Timer.id.in_(ids)))))
        q = select(Case).where(Case.id.in_(case_ids)).order_by(Case.id)
        if pg:
            q = q.with_for_update(skip_locked=True)  # the case row before the timer rows: the order transitions take
        cases = {c.id: c for c in s.scalars(q)}
        taken = s.execute(
            update(Timer)
            .where(Timer.id.in_(ids), Timer.claimed_by == owner, Timer.status == PENDING, Timer.case_id.in_(list(cases)))
            .values(status="fired", fired_at=now, lease_until=None)
            .returning(Timer.id, Timer.case_id, Timer.kind, Timer.level, Timer.state, Timer.due_at)
            .execution_options(synchronize_session=False)
        ).all()
        taken.sort(key=lambda r: (r.due_at, r.id))
        # Not taken: cancelled meanwhile, claim lost to a sweeper that outlived our lease, or the
        # case busy; `release` hands back only the last kind (still pending, still ours).
        busy = sorted(set(ids) - {r.id for r in taken})
        calendar = uow.calendar
        chart = uow.org_chart
        results: list[dict[str, object]] = []
        moot = 0
        for row in taken:
            case = cases[row.case_id]
            defn = rt.registry.get(case.workflow_name, case.workflow_version)
            seq = fire_timer(s, defn, case, row, now, calendar, chart)
            if seq is None:
                moot += 1
                results.append({"id": row.id, "status": "cancelled", "fired_at": None, "cancelled_at": now})
            else:
                results.append({"id": row.id, "fired_event_seq": seq})
        if results:
            s.execute(update(Timer).execution_options(synchronize_session=False), results)
        if before_commit is not None:
            before_commit()
        uow.commit()
    return len(taken) - moot, moot, busy


def sweep(
    rt: Runtime,
    *,
    owner: str | None = None,
    batch_size: int = DEFAULT_BATCH,
    lease_s: float = DEFAULT_LEASE_S,
    max_batches: int | None = None,
    before_commit: Callable[[], None] | None = None,
) -> SweepReport:
    """Fire every timer due now, batch after batch, until none is left (or `max_batches`).

    `before_commit` is called inside each batch's transaction just before it commits: the crash
    test kills the process there.
    """
    owner = owner or default_owner()
    report = SweepReport()
    lease = timedelta(seconds=lease_s)
    while max_batches is None or report.batches < max_batches:
        ids = claim(rt, owner, rt.clock.now(), lease, batch_size)
        if not ids:
            break
        report.batches += 1
        report.claimed += len(ids)
        try:
            fired, moot, busy = fire_claimed(rt, owner, ids, before_commit)
        except (StaleVersion, StaleDataError, IntegrityError, DBAPIError, EngineError) as exc:
            log.warning("sweep batch of %d failed (%s); firing its timers one by one", len(ids), exc)
            fired, moot, busy = _one_by_one(rt, owner, ids, report, before_commit)
        report.fired += fired
        report.moot += moot
        if busy:
            r, f = release(rt, owner, busy, "case busy")
            report.released += r
            report.failed += f
        if fired + moot == 0:
            break  # everything claimed was busy: leave it to the next sweep rather than spin
    return report


def _one_by_one(
    rt: Runtime, owner: str, ids: list[int], report: SweepReport, before_commit: Callable[[], None] | None
) -> tuple[int, int, list[int]]:
    fired = moot = 0
    busy: list[int] = []
    for timer_id in ids:
        try:
            f, m, b = fire_claimed(rt, owner, [timer_id], before_commit)
            fired, moot = fired + f, moot + m
            busy.extend(b)
        except (StaleVersion, StaleDataError, IntegrityError, DBAPIError, EngineError) as exc:
            msg = f"{type(exc).__name__}: {str(exc).splitlines()[0] if str(exc) else ''}"
            report.errors.append(f"timer {timer_id}: {msg}")
            r, f2 = release(rt, owner, [timer_id], msg)
            report.released += r
            report.failed += f2
    return fired, moot, busy
