"""Timers as rows: planned from a stage's deadline and the limitation date, fired as history events.

A transition writes its stage's timers in its own transaction and cancels those of the stage it
leaves (`sync_on_transition`); the sweep (engine/jobs/sweep.py) later fires each due row through
`fire_timer`, which writes the event and the outbox rows like any command. Nothing here sleeps,
and nothing knows a particular workflow: recipients are the definition's relations and roles.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass
from datetime import date, datetime, timedelta
from typing import Any, Protocol, cast

from sqlalchemy import Table, bindparam, or_, select, update
from sqlalchemy.orm import Session

from engine.audit import log as audit_log
from engine.audit.log import Operator
from engine.cases.journal import append_event, notify
from engine.errors import BrokenInvariant
from engine.jobs.leases import FAILED
from engine.org.actors import Actor
from engine.org.chart import OrgChart
from engine.store import lean
from engine.store.db import add_row
from engine.store.models import PENDING, Case, CaseRow, Timer
from engine.time.calendar import WorkingCalendar, end_of_local_day, start_of_local_day
from engine.time.clock import LOCAL_TZ
from engine.time.deadlines import TIMER_TRIGGER_PREFIX, remaining_working_days
from workflows.definition import Definition, Recipient

DUE_SOON = "due_soon"
OVERDUE = "overdue"
ESCALATION = "escalation"
LIMITATION_WARNING = "limitation_warning"
TOPICS = {
    DUE_SOON: "timer.due_soon",
    OVERDUE: "timer.overdue",
    ESCALATION: "timer.escalated",
    LIMITATION_WARNING: "timer.limitation_warning",
}
if not all(t.startswith(TIMER_TRIGGER_PREFIX) for t in TOPICS.values()):  # deadlines recognise timer events by it
    raise BrokenInvariant("a timer topic without the timer prefix")


@dataclass(frozen=True)
class PlannedTimer:
    kind: str
    level: int | None
    due_at: datetime


class TimerRow(Protocol):
    """What firing reads of a timer: the mapped row, or the row the sweep's claiming UPDATE returned."""

    @property
    def id(self) -> int: ...
    @property
    def case_id(self) -> int: ...
    @property
    def kind(self) -> str: ...
    @property
    def level(self) -> int | None: ...
    @property
    def state(self) -> str | None: ...
    @property
    def due_at(self) -> datetime: ...
    @property
    def started_by_event(self) -> int: ...


def plan_stage_timers(info: dict[str, Any], deadline_at: datetime, calendar: WorkingCalendar) -> list[PlannedTimer]:
    """Warning N working days before the last day, reminder when it ends, escalations N working days after.

    Read from the deadline's own explanation (which copied the definition's numbers when it was
    computed), so an extension or a resumed clock plans from the same rules.
    """
    last_day = deadline_at.astimezone(LOCAL_TZ).date()
    out: list[PlannedTimer] = []
    soon = info.get("due_soon_days")
    if soon:
        out.append(PlannedTimer(DUE_SOON, None, start_of_local_day(calendar.sub_working_days(last_day, int(soon)))))
    overdue_at = deadline_at + timedelta(seconds=1)
    out.append(PlannedTimer(OVERDUE, None, overdue_at))
    for level, after in info.get("escalation", []):
        at = end_of_local_day(calendar.add_working_days(last_day, int(after))) + timedelta(seconds=1) if after else overdue_at
        out.append(PlannedTimer(ESCALATION, int(level), at))
    return out


def plan_limitation_timers(defn: Definition, expiry: date) -> list[PlannedTimer]:
    rule = defn.limitation
    if rule is None:
        return []
    return [PlannedTimer(LIMITATION_WARNING, d, start_of_local_day(expiry - timedelta(days=d))) for d in rule.warn_days_before]


def _insert(
    session: Session,
    case: CaseRow,
    state: str | None,
    seq: int,
    planned: list[PlannedTimer],
    now: datetime,
    *,
    keep_due_now: bool = False,
    keep_due: bool = False,
) -> None:
    """Only timers still ahead: one already due when planned (a resumed late clock) fired before its pause.
    With `keep_due`, every one given (the next of a chain the sweep is working through)."""
    for p in planned:
        if keep_due or p.due_at > now or (keep_due_now and p.due_at == now):
            add_row(session, Timer, case_id=case.id, kind=p.kind, level=p.level, state=state, started_by_event=seq,
                    due_at=p.due_at, status=PENDING, attempts=0, created_at=now)  # fmt: skip


def _cancel_statement(stage: bool, limitation: bool) -> lean.Statement:
    t = cast(Table, Timer.__table__)
    conds = ([t.c.state.is_not(None)] if stage else []) + ([t.c.state.is_(None)] if limitation else [])
    return lean.Statement(
        update(t)
        .where(t.c.case_id == bindparam("p_case_id"), t.c.status == PENDING, or_(*conds))
        .values(status="cancelled", cancelled_at=bindparam("p_now", type_=t.c.cancelled_at.type))
    )


# Built once per combination: constructing the statement cost more than running it.
_CANCEL = {(stage, lim): _cancel_statement(stage, lim) for stage in (True, False) for lim in (True, False) if stage or lim}


def cancel_pending(session: Session, case_id: int, now: datetime, *, stage: bool = True, limitation: bool = False) -> None:
    """Cancel a case's pending stage timers (state set) and/or its limitation timers (state None)."""
    if not (stage or limitation):
        return
    # Flush the ORM's pending rows first, then a plain Core UPDATE: the ORM's bulk-update path costs
    # more than the statement itself here. On PostgreSQL it goes out with the commit's rows, before
    # the new stage's timers are inserted; the case row is locked before it either way (since the
    # command read it, or since the sweep claimed it), the order the sweep takes.
    session.flush()
    lean.at_commit(session, _CANCEL[(stage, limitation)], {"p_case_id": case_id, "p_now": now})


def schedule_stage(session: Session, case: CaseRow, seq: int, now: datetime, calendar: WorkingCalendar) -> None:
    """The stage's first timer still ahead, and only that one: each timer, when it fires, plans the
    next (`schedule_next`). A stage left early (most are) then cancels one row, not the whole plan."""
    if case.deadline_at is not None and case.deadline_info is not None and not case.closed:
        ahead = [p for p in plan_stage_timers(case.deadline_info, case.deadline_at, calendar) if p.due_at > now]
        _insert(session, case, case.state, seq, ahead[:1], now)


def schedule_next(session: Session, case: CaseRow, timer: TimerRow, now: datetime, calendar: WorkingCalendar) -> None:
    """After a stage timer fired, or was given up on: the stage's next one, from the same plan.

    Due already if the sweep ran late, so the same sweep fires it in its next batch, in plan order;
    after a timer given up on, the escalations still come when they are due. Written once per
    stage's plan: a failed timer retried later finds its successor already there.
    """
    if timer.state is None or timer.state != case.state or case.closed:
        return
    if case.deadline_at is None or case.deadline_info is None:
        return
    plan = plan_stage_timers(case.deadline_info, case.deadline_at, calendar)
    mine = next((i for i, p in enumerate(plan) if (p.kind, p.level) == (timer.kind, timer.level)), None)
    later = plan[mine + 1 :] if mine is not None else [p for p in plan if p.due_at > timer.due_at]
    if not later:
        return
    nxt = later[0]
    there = session.scalar(
        select(Timer.id).where(Timer.case_id == case.id, Timer.state == timer.state, Timer.kind == nxt.kind,
                               Timer.level.is_(None) if nxt.level is None else Timer.level == nxt.level,
                               Timer.started_by_event == timer.started_by_event, Timer.status != "cancelled")
        .limit(1)
    )  # fmt: skip
    if there is None:
        _insert(session, case, case.state, timer.started_by_event, [nxt], now, keep_due=True)


def sync_on_transition(
    session: Session,
    defn: Definition,
    case: CaseRow,
    *,
    from_state: str | None,
    restarted: bool,
    old_expiry: date | None,
    seq: int,
    now: datetime,
    calendar: WorkingCalendar,
) -> None:
    """In the transition's transaction: cancel what the old stage set, plan the new stage and the limitation.

    The caller holds the case row (on PostgreSQL locked since it was read) before any timer row is
    touched, the same order the sweep takes (no deadlock between a person and a sweeper).
    """
    rule = defn.limitation
    stage = restarted or case.closed
    watching = rule is not None and not case.closed and case.state in rule.watch_states
    was_watching = rule is not None and from_state is not None and from_state in rule.watch_states
    expiry = case.limitation_expires_on
    # One UPDATE cancels what the stage left and (when it ends or moves) the limitation's warnings.
    if from_state is not None:
        cancel_pending(session, case.id, now, stage=stage,
                       limitation=was_watching and (not watching or expiry != old_expiry))  # fmt: skip
    if stage:
        schedule_stage(session, case, seq, now, calendar)
    if rule is None:
        return
    if watching and expiry is not None and (not was_watching or expiry != old_expiry):
        planned = plan_limitation_timers(defn, expiry)
        passed = [p for p in planned if p.due_at <= now]
        if passed and expiry >= now.astimezone(LOCAL_TZ).date():
            # Filed already inside a warning window: the nearest warning is due at once, not lost.
            nearest = min(passed, key=lambda p: p.level or 0)
            planned = [p for p in planned if p.due_at > now] + [PlannedTimer(nearest.kind, nearest.level, now)]
        _insert(session, case, None, seq, planned, now, keep_due_now=True)


def replan_after_migration(
    session: Session, defn: Definition, case: CaseRow, from_state: str, seq: int, now: datetime, calendar: WorkingCalendar
) -> None:
    """After a case moved to a newer definition version (engine.cases.migration): its pending timers
    cancelled, and the stage's and the limitation's planned again under the new version's rules.

    A stage timer the new rules make due already fires at once unless the same timer (kind and
    level) already fired in this stage: a deadline shortened into the past is reported late at
    once, and nobody is told twice (nor warned "due soon" once late). Limitation warnings already
    past are not repeated.
    The caller has written the case row first (the sweep's lock order).
    """
    info = case.deadline_info or {}
    since = max([case.state_entered_at] + [datetime.fromisoformat(e["at"]) for e in info.get("extensions", [])
                                            if isinstance(e, dict) and e.get("at")])  # fmt: skip
    fired = {(k, lv) for k, lv in session.execute(
        select(Timer.kind, Timer.level).where(Timer.case_id == case.id, Timer.status == "fired",
                                              Timer.state == from_state, Timer.fired_at >= since))}  # fmt: skip
    cancel_pending(session, case.id, now, stage=True, limitation=True)
    if case.deadline_at is not None and case.deadline_info is not None and not case.closed:
        planned = [p if p.due_at > now else PlannedTimer(p.kind, p.level, now)
                   for p in plan_stage_timers(case.deadline_info, case.deadline_at, calendar)
                   if p.due_at > now or (p.kind, p.level) not in fired]  # fmt: skip
        if case.deadline_at < now:  # already late: the overdue reminder says it, a "due soon" warning would not
            planned = [p for p in planned if p.kind != DUE_SOON]
        _insert(session, case, case.state, seq, planned[:1], now, keep_due_now=True)  # the rest chain from it
    rule = defn.limitation
    if rule is not None and not case.closed and case.state in rule.watch_states and case.limitation_expires_on:
        _insert(session, case, None, seq, plan_limitation_timers(defn, case.limitation_expires_on), now)


def _recipients(defn: Definition, case: CaseRow, timer: TimerRow) -> tuple[Recipient, ...]:
    if timer.kind == LIMITATION_WARNING:
        return defn.limitation.notify if defn.limitation else ()
    rules = defn.states[case.state].timers
    if timer.kind == DUE_SOON:
        return rules.due_soon_notify
    if timer.kind == OVERDUE:
        return rules.overdue_notify
    return next((e.notify for e in rules.escalation if e.level == timer.level), ())


def still_applies(defn: Definition, case: CaseRow, timer: TimerRow) -> bool:
    """A defensive check at firing time; transitions cancel their timers, so this should always hold."""
    if case.closed:
        return False
    if timer.state is None:
        rule = defn.limitation
        return rule is not None and case.state in rule.watch_states and case.limitation_expires_on is not None
    return timer.state == case.state and case.deadline_at is not None


def fire_timer(
    session: Session,
    defn: Definition,
    case: CaseRow,
    timer: TimerRow,
    now: datetime,
    calendar: WorkingCalendar,
    chart: Callable[[], OrgChart],
) -> int | None:
    """Write the timer's event (as the system) and its notifications; returns the event's seq, or None if moot."""
    if not still_applies(defn, case, timer):
        return None
    data: dict[str, Any] = {"timer_id": timer.id, "kind": timer.kind, "due_at": timer.due_at.isoformat()}
    payload: dict[str, Any] = {
        "reference": case.reference,
        "workflow": defn.name,
        "state": case.state,
        "kind": timer.kind,
    }
    if timer.kind == LIMITATION_WARNING:
        expiry = case.limitation_expires_on
        if expiry is None:  # still_applies checked it
            raise BrokenInvariant(f"a limitation warning on case {case.id}, which has no limitation date")
        data.update(expires_on=expiry.isoformat(), days_before=timer.level)
        payload.update(expires_on=expiry.isoformat(), days_left=(expiry - now.astimezone(LOCAL_TZ).date()).days)
    else:
        if case.deadline_at is None:  # still_applies checked it
            raise BrokenInvariant(f"a deadline timer on case {case.id}, which has no deadline")
        left = remaining_working_days(case.deadline_at, now, calendar)
        data.update(deadline=case.deadline_at.isoformat(), working_days_left=left)
        payload.update(deadline=case.deadline_at.isoformat(), working_days_left=left)
        if timer.kind == ESCALATION:
            data["level"] = timer.level
            payload["level"] = timer.level
            case.escalation_level = max(case.escalation_level or 0, timer.level or 0)
    recipients = _recipients(defn, case, timer)
    seq = append_event(session, case, TOPICS[timer.kind], case.state, case.state, Actor.system(), now, data)
    notify(session, defn, case, recipients, TOPICS[timer.kind], seq, payload, now, chart, refuse_unresolved=False)
    schedule_next(session, case, timer, now, calendar)
    return seq


@dataclass(frozen=True)
class DueTimer:
    id: int
    case_id: int
    reference: str
    kind: str
    level: int | None
    state: str | None
    due_at: datetime
    claimed_by: str | None
    lease_until: datetime | None
    attempts: int = 0
    next_attempt_at: datetime | None = None
    last_error: str | None = None
    failed_at: datetime | None = None


_COLUMNS = (Timer.id, Timer.case_id, Case.reference, Timer.kind, Timer.level, Timer.state, Timer.due_at,
            Timer.claimed_by, Timer.lease_until, Timer.attempts, Timer.next_attempt_at, Timer.last_error)  # fmt: skip


def next_due(session: Session, limit: int = 20) -> list[DueTimer]:
    """Pending timers in due order (through the partial index): what `presscase timers` lists."""
    rows = session.execute(
        select(*_COLUMNS).join(Case, Case.id == Timer.case_id)
        .where(Timer.status == PENDING).order_by(Timer.due_at, Timer.id).limit(limit)
    ).all()  # fmt: skip
    return [DueTimer(*r) for r in rows]


def failed(session: Session, limit: int = 200) -> list[DueTimer]:
    """Timers given up on, newest first: `presscase timers --failed` and the administrators' page."""
    rows = session.execute(
        select(*_COLUMNS, Timer.cancelled_at).join(Case, Case.id == Timer.case_id)
        .where(Timer.status == FAILED).order_by(Timer.id.desc()).limit(limit)
    ).all()  # fmt: skip
    return [DueTimer(*r) for r in rows]


def retry(session: Session, timer_id: int, now: datetime, *, by: Operator | None = None) -> bool:
    """A failed timer becomes pending with fresh attempts, claimable at once; False if it was not failed.

    If its case has moved on meanwhile, the sweep finds it moot and cancels it instead of firing.
    The retry is administration, so it goes into the audit log in the same transaction.
    The caller commits.
    """
    done = session.execute(
        update(Timer)
        .where(Timer.id == timer_id, Timer.status == FAILED)
        .values(status=PENDING, attempts=0, next_attempt_at=now, claimed_by=None, lease_until=None, cancelled_at=None)
    ).rowcount  # type: ignore[attr-defined]
    if done:
        timer = session.get(Timer, timer_id)
        subject = f"timer {timer_id}" + (f" ({timer.kind}, case {timer.case_id})" if timer is not None else "")
        audit_log.record(session, by, "timer.retry", subject, {"timer": timer_id}, now)
    return bool(done)
