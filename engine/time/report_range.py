"""The years reports may cover: configured, or from the data's first year to next year.

A report is bounded by this range so that no request's work grows with the years it names:
the working-day index is built ahead for exactly this range (engine/time/workday_index.py), and a
period outside it is refused before any date is computed (engine/time/periods.py).
"""

from __future__ import annotations

from datetime import date

from sqlalchemy import func, select
from sqlalchemy.orm import Session

from engine.cases.uow import Runtime
from engine.store.models import Case
from engine.time.clock import LOCAL_TZ
from engine.time.periods import YearRange

# Limits a configuration may not pass: every date a report computes from them exists.
EARLIEST_YEAR = 1900
LATEST_YEAR = 2199


def report_years(session: Session, today: date, first: int | None = None, last: int | None = None) -> YearRange:
    """`first`..`last` when configured; otherwise the year of the oldest case (this year when there
    is none) to next year. One indexed MIN() on cases.created_at."""
    if first is None:
        oldest = session.scalar(select(func.min(Case.created_at)))
        first = oldest.astimezone(LOCAL_TZ).year if oldest is not None else today.year
    if last is None:
        last = today.year + 1
    first = min(max(first, EARLIEST_YEAR), LATEST_YEAR)
    last = min(max(last, first), LATEST_YEAR)
    return YearRange(first, last)


def years_for(rt: Runtime, first: int | None = None, last: int | None = None) -> YearRange:
    """`report_years` from a runtime's clock and a read session."""
    today = rt.clock.now().astimezone(LOCAL_TZ).date()
    with rt.read_session() as s:
        return report_years(s, today, first, last)
