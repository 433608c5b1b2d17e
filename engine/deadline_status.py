"""Where a case stands against its deadline, for badges and worklists: on time, due soon, overdue, escalated.

Computed from the clock and the deadline's own explanation (which carries the definition's
numbers), not from whether the sweep has run yet, so a badge is right even while the scheduler
is late; the escalation level is the higher of the stored one and the one the time implies.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from datetime import date, datetime
from typing import Any

from engine.calendar import WorkingCalendar
from engine.clock import LOCAL_TZ
from engine.deadlines import remaining_working_days
from engine.models import Case
from workflows.definition import Definition

NONE = "none"
ON_TIME = "on_time"
DUE_SOON = "due_soon"
OVERDUE = "overdue"
ESCALATED = "escalated"


@dataclass(frozen=True)
class DeadlineStatus:
    kind: str  # none, on_time, due_soon, overdue, escalated
    working_days_left: int | None  # 0 on the last day, negative when late
    escalation_level: int
    explanation: str  # Vietnamese, the default language
    explanation_en: str
    deadline_at: datetime | None = None
    paused_working_days: int | None = None  # a clock stopped while waiting (awaiting information)
    limitation_expires_on: date | None = None
    limitation_days_left: int | None = None
    limitation_warning: bool = False
    why: list[tuple[str, str]] = field(default_factory=list)  # (vi, en) lines: why the date is what it is

    @property
    def late_working_days(self) -> int:
        return max(0, -(self.working_days_left or 0)) if self.kind in (OVERDUE, ESCALATED) else 0

    def text(self, lang: str = "vi") -> str:
        return self.explanation if lang == "vi" else self.explanation_en


def _d(day: date) -> str:
    return day.strftime("%d/%m/%Y")


def explain_deadline(info: dict[str, Any] | None) -> list[tuple[str, str]]:
    """The deadline's reasons, one (vi, en) line each: rule and basis, start, pauses, extensions."""
    if not info:
        return []
    unit_vi = "ngày làm việc" if info.get("unit") == "working" else "ngày"
    unit_en = "working days" if info.get("unit") == "working" else "calendar days"
    basis = f" ({info['basis']})" if info.get("basis") else ""
    started = datetime.fromisoformat(info["started_at"]).astimezone(LOCAL_TZ)
    lines = [
        (f"Thời hạn {info['rule_days']} {unit_vi}{basis}.", f"Time limit {info['rule_days']} {unit_en}{basis}."),
    ]
    if info.get("resumed_after_pause"):
        lines.append((f"Tiếp tục từ {_d(started.date())} với {info['days']} {unit_vi} còn lại.",
                      f"Resumed on {started.date().isoformat()} with {info['days']} {unit_en} left."))  # fmt: skip
    else:
        ev = info["started_by_event"]
        lines.append((f"Tính từ ngày làm việc sau {_d(started.date())} (sự kiện #{ev}).",
                      f"Counted from the working day after {started.date().isoformat()} (event #{ev})."))  # fmt: skip
    for p in info.get("pauses", []):
        since = datetime.fromisoformat(p["since"]).astimezone(LOCAL_TZ).date()
        until = datetime.fromisoformat(p["until"]).astimezone(LOCAL_TZ).date()
        lines.append((f"Tạm dừng từ {_d(since)} đến {_d(until)} (chờ bổ sung thông tin).",
                      f"Paused from {since.isoformat()} to {until.isoformat()} (awaiting information)."))  # fmt: skip
    for e in info.get("extensions", []):
        due = datetime.fromisoformat(e["due"]).astimezone(LOCAL_TZ).date()
        lines.append((f"Gia hạn thêm {e['working_days']} ngày làm việc đến {_d(due)}: {e['reason']}",
                      f"Extended by {e['working_days']} working days to {due.isoformat()}: {e['reason']}"))  # fmt: skip
    if info.get("calendar"):
        lines.append((f"Lịch: {info['calendar']}.", f"Calendar: {info['calendar']}."))
    return lines


def _implied_level(info: dict[str, Any], deadline: datetime, now: datetime, calendar: WorkingCalendar) -> int:
    if now <= deadline:
        return 0
    last_day = deadline.astimezone(LOCAL_TZ).date()
    today = now.astimezone(LOCAL_TZ).date()
    level = 0
    for lvl, after in info.get("escalation", []):
        if today > calendar.add_working_days(last_day, int(after)) or (int(after) == 0):
            level = max(level, int(lvl))
    return level


def deadline_status(case: Case, now: datetime, calendar: WorkingCalendar, defn: Definition | None = None) -> DeadlineStatus:
    """The badge for one case. Pass its definition to get the limitation warning from its numbers
    (its first warning, in the states it watches); without it, 90 days in any open state."""
    info = case.deadline_info or {}
    expiry = case.limitation_expires_on
    today = now.astimezone(LOCAL_TZ).date()
    lim_left = (expiry - today).days if expiry else None
    rule = defn.limitation if defn is not None else None
    warn_days = max(rule.warn_days_before, default=0) if rule else 90
    watched = case.state in rule.watch_states if rule else True
    lim_warning = lim_left is not None and not case.closed and watched and lim_left <= warn_days
    why = explain_deadline(info)
    if lim_warning and expiry is not None:
        why.append((f"Thời hiệu xử phạt hết vào ngày {_d(expiry)} (còn {lim_left} ngày).",
                    f"The limitation period expires on {expiry.isoformat()} ({lim_left} days left)."))  # fmt: skip
    paused = info.get("paused", {}).get("remaining_working_days") if info.get("paused") else None
    deadline = case.deadline_at
    if case.closed or deadline is None:
        return DeadlineStatus(NONE, None, 0, "Không có thời hạn.", "No deadline.", None, None, expiry, lim_left, lim_warning, why)

    left = remaining_working_days(deadline, now, calendar)
    level = max(case.escalation_level or 0, _implied_level(info, deadline, now, calendar))
    due_local = deadline.astimezone(LOCAL_TZ).date()
    soon = info.get("due_soon_days")
    if now > deadline:
        late = max(0, -left)
        kind = ESCALATED if level > 0 else OVERDUE
        vi = f"Quá hạn {late} ngày làm việc (hạn {_d(due_local)})"
        en = f"Overdue by {late} working days (due {due_local.isoformat()})"
        if level:
            vi = f"Đã báo cáo cấp trên (cấp {level}); " + vi[0].lower() + vi[1:]
            en = f"Escalated (level {level}); " + en[0].lower() + en[1:]
    elif soon and left <= int(soon):
        kind = DUE_SOON
        vi = f"Sắp đến hạn: còn {left} ngày làm việc (hạn {_d(due_local)})"
        en = f"Due soon: {left} working days left (due {due_local.isoformat()})"
    else:
        kind = ON_TIME
        vi = f"Trong hạn: còn {left} ngày làm việc (hạn {_d(due_local)})"
        en = f"On time: {left} working days left (due {due_local.isoformat()})"
    if paused is not None:
        vi += f"; thời hạn thẩm định tạm dừng, còn {paused} ngày làm việc"
        en += f"; the assessment clock is paused with {paused} working days left"
    if lim_warning and expiry is not None:
        vi += f"; thời hiệu xử phạt hết vào ngày {_d(expiry)}"
        en += f"; limitation expires on {expiry.isoformat()}"
    return DeadlineStatus(kind, left, level, vi + ".", en + ".", deadline, paused, expiry, lim_left, lim_warning, why)
