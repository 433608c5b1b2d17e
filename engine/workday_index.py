"""Keeping the working-day index (engine/report_models.py) in step with the calendar in force.

The index covers a fixed window (2015 to five years ahead) widened to any requested range; it
is a few thousand rows, rebuilt in well under a second whenever the calendar's version (the
holidays package plus the overrides file's digest) changes, so an admin's new make-up Saturday
is counted by the next report without any migration.
"""

from __future__ import annotations

from datetime import date, timedelta

from sqlalchemy import delete, insert, select
from sqlalchemy.orm import Session

from engine.calendar import WorkingCalendar
from engine.clock import Clock
from engine.report_models import WorkingDayIndex, WorkingDayIndexMeta
from engine.uow import Runtime

FIRST_DAY = date(2015, 1, 1)
YEARS_AHEAD = 5


def _wanted(clock: Clock, lo: date | None, hi: date | None) -> tuple[date, date]:
    today = clock.now().date()
    return min(FIRST_DAY, lo or FIRST_DAY), max(date(today.year + YEARS_AHEAD, 12, 31), hi or today)


def is_current(session: Session, calendar: WorkingCalendar, clock: Clock, lo: date | None = None,
               hi: date | None = None) -> bool:  # fmt: skip
    first, last = _wanted(clock, lo, hi)
    meta = session.get(WorkingDayIndexMeta, 1)
    return bool(meta and meta.calendar_version == calendar.version and meta.first_day <= first and meta.last_day >= last)


def ensure(rt: Runtime, lo: date | None = None, hi: date | None = None) -> None:
    """Check with a reader (no lock); rebuild in a write transaction only when the index is stale."""
    calendar = rt.calendar
    with rt.read_session() as s:
        if is_current(s, calendar, rt.clock, lo, hi):
            return
    with rt.uow() as uow:
        ensure_index(uow.session, calendar, rt.clock, lo, hi)


def ensure_index(session: Session, calendar: WorkingCalendar, clock: Clock, lo: date | None = None,
                 hi: date | None = None) -> None:  # fmt: skip
    """Make the index cover [lo, hi] under the current calendar, in a write session; commits when it rebuilt.

    On PostgreSQL the meta row is locked first (SQLite's write transactions are BEGIN IMMEDIATE),
    so two reports starting together rebuild once.
    """
    first, last = _wanted(clock, lo, hi)
    q = select(WorkingDayIndexMeta).where(WorkingDayIndexMeta.id == 1)
    if session.get_bind().dialect.name == "postgresql":
        q = q.with_for_update()
    meta = session.scalar(q)
    if meta and meta.calendar_version == calendar.version and meta.first_day <= first and meta.last_day >= last:
        session.rollback()  # release the lock: nothing to do
        return
    if meta:
        first, last = min(first, meta.first_day), max(last, meta.last_day)
    session.execute(delete(WorkingDayIndex))
    rows = []
    seq = 0
    day = first
    while day <= last:
        working = calendar.is_working_day(day)
        seq += working
        rows.append({"day": day, "seq": seq, "working": working})
        day += timedelta(days=1)
    session.execute(insert(WorkingDayIndex), rows)
    if meta is None:
        meta = WorkingDayIndexMeta(id=1, calendar_version=calendar.version, first_day=first, last_day=last,
                                   built_at=clock.now())  # fmt: skip
        session.add(meta)
    else:
        meta.calendar_version, meta.first_day, meta.last_day, meta.built_at = calendar.version, first, last, clock.now()
    session.commit()
