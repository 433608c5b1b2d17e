"""A case's deadline badge: on time / due soon / overdue / escalated, in colour AND words.

The ONE place the web layer turns deadline status into a badge. The status itself comes from
engine.time.deadline_status (the timers' own rule: due-soon thresholds and escalation levels from the
definition, levels implied by the clock even before the sweep runs), so pages and escalations agree.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime

from engine.store.models import Case
from engine.time.calendar import WorkingCalendar
from engine.time.deadline_status import NONE, DeadlineStatus, deadline_status
from web.i18n import lang
from workflows.definition import Definition

CSS = {"on_time": "badge-on-time", "due_soon": "badge-due-soon", "overdue": "badge-overdue", "escalated": "badge-escalated"}


@dataclass(frozen=True)
class Badge:
    kind: str
    text: str
    css: str  # a class in static/app.css; the text alone says the same as the colour


def status_of(
    case: Case, now: datetime, calendar: WorkingCalendar, defn: Definition | None = None, *, explain: bool = True
) -> DeadlineStatus | None:
    """None for a case with no running deadline (closed, or a state without one)."""
    st = deadline_status(case, now, calendar, defn, explain=explain)
    return None if st.kind == NONE else st


def badge_for(case: Case, now: datetime, calendar: WorkingCalendar, defn: Definition | None = None) -> Badge | None:
    st = status_of(case, now, calendar, defn, explain=False)  # a badge shows its kind and text only
    if st is None:
        return None
    return Badge(st.kind, st.text(lang()), CSS.get(st.kind, "badge-none"))
