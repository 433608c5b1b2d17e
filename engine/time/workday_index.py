"""Keeping the working-day index (engine/store/report_models.py) in step with the calendar in force.

The index covers a window fixed by configuration, never by a request: from 2015 (or the first
reporting year's December before, when the configured range starts earlier) to five years ahead
(or the range's last year). It is a few thousand rows, rebuilt in well under a second whenever
the calendar's version (the holidays package plus the overrides file's digest) changes, so an
admin's new make-up Saturday is counted by the next report without any migration. The scheduler
job `refresh_workday_index` (web/scheduler.py) builds it ahead and moves it with the years; a
report only checks it, and rebuilds the same fixed window when it finds none or a stale one.
A period's own dates never widen it: periods outside the range are refused (engine/time/periods.py).
"""

from __future__ import annotations

from datetime import date, timedelta

from sqlalchemy import delete, insert, select
from sqlalchemy.orm import Session

from engine.cases.uow import Runtime
from engine.store.report_models import WorkingDayIndex, WorkingDayIndexMeta
from engine.time.calendar import WorkingCalendar
from engine.time.clock import Clock
from engine.time.periods import YearRange

FIRST_DAY = date(2015, 1, 1)
YEARS_AHEAD = 5


def window(clock: Clock, years: YearRange | None = None) -> tuple[date, date]:
    """The days the index covers: fixed by the clock's year and the configured range, whatever is asked."""
    today = clock.now().date()
    first, last = FIRST_DAY, date(today.year + YEARS_AHEAD, 12, 31)
    if years is not None:  # a reporting year starts in the December before it
        first, last = min(first, date(years.first - 1, 12, 1)), max(last, date(years.last, 12, 31))
    return first, last


def is_current(session: Session, calendar: WorkingCalendar, clock: Clock, lo: date | None = None,
               hi: date | None = None) -> bool:  # fmt: skip
    """Whether the index is built under `calendar` and covers [lo, hi] (the fixed window when not given)."""
    first, last = window(clock)
    first, last = lo or first, hi or last
    meta = session.get(WorkingDayIndexMeta, 1)
    return bool(meta and meta.calendar_version == calendar.version and meta.first_day <= first and meta.last_day >= last)


def ensure(rt: Runtime, years: YearRange | None = None) -> None:
    """Check with a reader (no lock); rebuild in a write transaction only when the index is stale."""
    calendar = rt.calendar
    first, last = window(rt.clock, years)
    with rt.read_session() as s:
        if is_current(s, calendar, rt.clock, first, last):
            return
    with rt.uow() as uow:
        ensure_index(uow.session, calendar, rt.clock, years)


def ensure_index(session: Session, calendar: WorkingCalendar, clock: Clock, years: YearRange | None = None) -> None:
    """Make the index cover the window under the current calendar, in a write session; commits when it rebuilt.

    On PostgreSQL the meta row is locked first (SQLite's write transactions are BEGIN IMMEDIATE),
    so two reports starting together rebuild once.
    """
    first, last = window(clock, years)
    q = select(WorkingDayIndexMeta).where(WorkingDayIndexMeta.id == 1)
    if session.get_bind().dialect.name == "postgresql":
        q = q.with_for_update()
    meta = session.scalar(q)
    if meta and meta.calendar_version == calendar.version and meta.first_day <= first and meta.last_day >= last:
        session.rollback()  # release the lock: nothing to do
        return
    # The window alone, never united with what an earlier build covered: the index's size is the
    # configuration's, whatever was asked before.
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
