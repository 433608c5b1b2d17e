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

A timer that cannot fire now is handed back to wait a backoff (engine/jobs/leases.py, the mechanism the
outbox uses too): its case busy or changed meanwhile, however long that lasts; an error, up to
MAX_ATTEMPTS times, after which it is failed, listed (`presscase timers --failed`, /admin/timers)
and the administrators are told. Each sweep first checks the registry generation
(`Runtime.refresh_definitions`), so versions another process loaded since are known; a case under
a version still missing has it loaded from the database, then fires.
"""

from __future__ import annotations

import logging
import os
import socket
import uuid
from collections.abc import Callable
from dataclasses import dataclass, field
from datetime import datetime, timedelta

from sqlalchemy import and_, or_, select, update
from sqlalchemy.exc import DBAPIError, IntegrityError, OperationalError
from sqlalchemy.orm import Session
from sqlalchemy.orm.exc import StaleDataError

from engine.cases.outbox import TIMER_FAILED, tell_admins
from engine.cases.timers import fire_timer, schedule_next
from engine.cases.uow import Runtime
from engine.errors import DefinitionError, EngineError, NotFound, StaleVersion
from engine.jobs import leases as jobs
from engine.jobs.leases import RetryPolicy
from engine.store.models import PENDING, Case, Timer
from workflows.definition import Definition

log = logging.getLogger(__name__)

DEFAULT_BATCH = 500
DEFAULT_LEASE_S = 300.0
MAX_ATTEMPTS = 8
# A timer handed back waits 30 s, 1, 2, 4 ... minutes, at most an hour; an error is tried
# MAX_ATTEMPTS times (about an hour in all) before the timer is failed and the administrators told.
RETRY = RetryPolicy(base_s=30.0, max_s=3600.0, max_attempts=MAX_ATTEMPTS)


def default_owner() -> str:
    """Who holds a claim: readable in `presscase timers`, unique per sweeper."""
    return f"{socket.gethostname()[:40]}:{os.getpid()}:{uuid.uuid4().hex[:8]}"


@dataclass
class SweepReport:
    claimed: int = 0
    fired: int = 0
    moot: int = 0  # the case had moved on (should not happen: transitions cancel their timers)
    released: int = 0  # handed back to wait a backoff (a case busy, a conflict, an error not yet given up on)
    failed: int = 0  # an error after MAX_ATTEMPTS claims: failed, listed, administrators told
    batches: int = 0
    errors: list[str] = field(default_factory=list)


def claim(rt: Runtime, owner: str, now: datetime, lease: timedelta, limit: int) -> list[int]:
    """Claim up to `limit` due timers for `owner`, oldest first; returns their ids (committed).

    A timer handed back waits until its `next_attempt_at`; the claim itself counts an attempt.
    """
    ready = and_(Timer.due_at <= now, or_(Timer.next_attempt_at.is_(None), Timer.next_attempt_at <= now))
    with rt.engine.begin() as conn:
        return jobs.claim(conn, Timer, owner, now, lease, limit, ready=ready, order_by=Timer.due_at, count_attempt=True)


def release(rt: Runtime, owner: str, ids: list[int], error: str | None = None, *, give_up: bool = False) -> tuple[int, int]:
    """Hand claimed timers back to wait a backoff; returns (released, failed).

    A cause that passes by itself (a case busy, a conflict) is retried however long it lasts
    (`give_up=False`); an error is retried up to MAX_ATTEMPTS, then the timer is failed, which
    tells the administrators (it is listed by `presscase timers --failed` and /admin/timers).
    """
    if not ids:
        return 0, 0
    released = failed = 0
    with rt.uow() as uow:
        s = uow.session
        now = rt.clock.now()
        rows = s.scalars(
            select(Timer).where(Timer.id.in_(ids), Timer.claimed_by == owner, Timer.status == PENDING).order_by(Timer.id)
        ).all()
        for row in rows:
            if jobs.retry_later(row, now, error or "", RETRY, count=False, give_up=give_up):
                row.cancelled_at = now
                failed += 1
                _tell_admins_failed(s, row, now)
                case = s.get(Case, row.case_id)
                if case is not None:  # the escalations after it still come when due, each on its own
                    schedule_next(s, case, row, now, uow.calendar)
            else:
                released += 1
        uow.commit()
    return released, failed


def _tell_admins_failed(session: Session, timer: Timer, now: datetime) -> None:
    reference = session.scalar(select(Case.reference).where(Case.id == timer.case_id))
    log.warning("timer %s (%s, case %s) failed after %s attempts: %s", timer.id, timer.kind, reference,
                timer.attempts, timer.last_error)  # fmt: skip
    tell_admins(
        session, TIMER_FAILED, now, case_id=timer.case_id, reference=reference, path="/admin/timers",
        detail_vi=f"Bộ hẹn giờ «{timer.kind}» của vụ việc {reference} không thực hiện được sau {timer.attempts} lần thử: "
                  f"{timer.last_error}. Xem và thử lại tại trang quản trị bộ hẹn giờ.",
        detail_en=f"The {timer.kind} timer of case {reference} could not fire after {timer.attempts} attempts: "
                  f"{timer.last_error}. See and retry it on the timers admin page.",
        timer_id=timer.id,
    )  # fmt: skip


def _definitions(rt: Runtime, session: Session, cases: dict[int, Case]) -> dict[int, Definition]:
    """Each case's definition; a version another process loaded since this one started is loaded now."""
    out: dict[int, Definition] = {}
    for case_id, case in cases.items():
        defn = rt.definition(session, case.workflow_name, case.workflow_version)
        if defn is not None:
            out[case_id] = defn
    return out


def fire_claimed(
    rt: Runtime, owner: str, ids: list[int], before_commit: Callable[[], None] | None = None
) -> tuple[int, int, list[int]]:
    """Fire the claimed timers `ids` in ONE transaction; returns (fired, moot, ids to hand back).

    Raises on a conflict the batch cannot survive (the caller retries its timers one by one).
    A timer whose case is locked is handed back; one whose definition version is in no registry,
    not even the database's, raises (counted as an error, so it ends failed and visible).
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
        defns = _definitions(rt, s, cases)
        missing = sorted(set(cases) - set(defns))
        if missing:
            c = cases[missing[0]]
            raise NotFound(f"Workflow {c.workflow_name} version {c.workflow_version} is not loaded (case {c.reference}).")
        taken = list(s.execute(
            update(Timer)
            .where(Timer.id.in_(ids), Timer.claimed_by == owner, Timer.status == PENDING, Timer.case_id.in_(list(cases)))
            .values(status="fired", fired_at=now, lease_until=None)
            .returning(Timer.id, Timer.case_id, Timer.kind, Timer.level, Timer.state, Timer.due_at, Timer.started_by_event)
            .execution_options(synchronize_session=False)
        ))
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
            seq = fire_timer(s, defns[case.id], case, row, now, calendar, chart)
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
    rt.refresh_definitions()  # versions another process loaded since this one last looked (one cheap read)
    lease = timedelta(seconds=lease_s)
    while max_batches is None or report.batches < max_batches:
        ids = claim(rt, owner, rt.clock.now(), lease, batch_size)
        if not ids:
            break
        report.batches += 1
        report.claimed += len(ids)
        try:
            fired, moot, busy = fire_claimed(rt, owner, ids, before_commit)
        except (StaleVersion, StaleDataError, IntegrityError, DBAPIError, EngineError, DefinitionError) as exc:
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
        except (StaleVersion, StaleDataError, IntegrityError, DBAPIError, EngineError, DefinitionError) as exc:
            msg = f"{type(exc).__name__}: {str(exc).splitlines()[0] if str(exc) else ''}"
            report.errors.append(f"timer {timer_id}: {msg}")
            transient = isinstance(exc, (StaleVersion, StaleDataError, OperationalError))
            r, f2 = release(rt, owner, [timer_id], msg, give_up=not transient)
            report.released += r
            report.failed += f2
    return fired, moot, busy
