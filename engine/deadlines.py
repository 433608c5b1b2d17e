"""A state's deadline, computed on entering it, that explains itself.

The explanation (rule, legal basis, calendar version, starting event, pauses) is stored with
the deadline so the case page can say why the date is what it is, and so the date can be
recomputed from the history and come out the same.
"""

from __future__ import annotations

from datetime import datetime, timedelta
from typing import Any

from engine.calendar import WorkingCalendar, end_of_local_day
from engine.clock import LOCAL_TZ
from workflows.definition import Definition, StateSpec


def compute_deadline(
    defn: Definition,
    state: StateSpec,
    entered_at: datetime,
    calendar: WorkingCalendar,
    *,
    event_seq: int,
    resume_days: int | None = None,
) -> tuple[datetime | None, dict[str, Any] | None]:
    """Due at the end of the last day; the day of entry itself never counts.

    `resume_days` is the remainder of a clock that was paused (awaiting information): the
    state resumes with what was left instead of starting afresh.
    """
    rule = state.deadline
    if rule is None or state.terminal:
        return None, None
    days = resume_days if resume_days is not None else rule.days
    start_day = entered_at.astimezone(LOCAL_TZ).date()
    if rule.unit == "working":
        last_day = calendar.add_working_days(start_day, max(days, 1))
    else:
        last_day = start_day + timedelta(days=max(days, 1))
    due = end_of_local_day(last_day)
    info: dict[str, Any] = {
        "state": state.id,
        "days": days,
        "unit": rule.unit,
        "rule_days": rule.days,
        "basis": defn.basis_text(rule.basis, rule.article),
        "note": rule.note,
        "calendar": calendar.version if rule.unit == "working" else "calendar-days",
        "started_by_event": event_seq,
        "started_at": entered_at.isoformat(),
        "due": due.isoformat(),
    }
    if resume_days is not None:
        info["resumed_after_pause"] = True
    return due, info


def remaining_working_days(deadline: datetime, now: datetime, calendar: WorkingCalendar) -> int:
    """Working days left until the deadline's day (0 on the day itself, negative when late)."""
    return calendar.working_days_between(now.astimezone(LOCAL_TZ).date(), deadline.astimezone(LOCAL_TZ).date())
