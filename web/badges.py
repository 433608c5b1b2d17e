"""A case's deadline badge: on time / due soon / overdue / escalated, in colour AND words.

The ONE place the web layer decides deadline status. Until the timers work exposes its own
deadline-status function, the status is computed here from `case.deadline_at` and
engine.deadlines.remaining_working_days; switching means changing only `status_of` below.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime

from flask_babel import gettext as _
from flask_babel import ngettext

from engine.calendar import WorkingCalendar
from engine.deadlines import remaining_working_days
from engine.models import Case

DUE_SOON_WORKING_DAYS = 2


@dataclass(frozen=True)
class DeadlineStatus:
    kind: str  # "on_time" | "due_soon" | "overdue" | "escalated"
    working_days_left: int
    escalation_level: int = 0


@dataclass(frozen=True)
class Badge:
    kind: str
    text: str
    css: str  # a class in static/app.css; the text alone says the same as the colour


def status_of(case: Case, now: datetime, calendar: WorkingCalendar) -> DeadlineStatus | None:
    """None for a case with no running deadline (closed, or a state without one)."""
    if case.deadline_at is None or case.closed:
        return None
    left = remaining_working_days(case.deadline_at, now, calendar)
    info = case.deadline_info or {}
    level = int(info.get("escalation_level") or info.get("escalated") or 0)
    if level > 0:
        return DeadlineStatus("escalated", left, level)
    if now > case.deadline_at:
        return DeadlineStatus("overdue", left)
    if left <= DUE_SOON_WORKING_DAYS:
        return DeadlineStatus("due_soon", left)
    return DeadlineStatus("on_time", left)


def badge_for(case: Case, now: datetime, calendar: WorkingCalendar) -> Badge | None:
    st = status_of(case, now, calendar)
    if st is None:
        return None
    if st.kind == "escalated":
        return Badge(st.kind, _("Đã báo cáo cấp trên (cấp %(n)d)", n=st.escalation_level), "badge-escalated")
    if st.kind == "overdue":
        late = max(-st.working_days_left, 0)
        text = _("Quá hạn") if late == 0 else ngettext(
            "Quá hạn %(num)d ngày làm việc", "Quá hạn %(num)d ngày làm việc", late)
        return Badge(st.kind, text, "badge-overdue")
    days = ngettext("còn %(num)d ngày làm việc", "còn %(num)d ngày làm việc", st.working_days_left)
    if st.kind == "due_soon":
        return Badge(st.kind, _("Sắp đến hạn") + " · " + days, "badge-due-soon")
    return Badge(st.kind, _("Trong hạn") + " · " + days, "badge-on-time")
