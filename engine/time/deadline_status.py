"""Where a case stands against its deadline, for badges and worklists: on time, due soon, overdue, escalated.

Computed from the clock and the deadline's own explanation (which carries the definition's
numbers), not from whether the sweep has run yet, so a badge is right even while the scheduler
is late; the escalation level is the higher of the stored one and the one the time implies.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from datetime import date, datetime
from typing import Any

from engine.read.wording import en_date, en_days, vi_date, vi_days
from engine.store.models import CaseRow
from engine.time.calendar import WorkingCalendar
from engine.time.clock import LOCAL_TZ
from engine.time.deadlines import remaining_working_days
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
    details: list[tuple[str, str]] = field(default_factory=list)  # (vi, en): the events and calendar behind it

    @property
    def late_working_days(self) -> int:
        return max(0, -(self.working_days_left or 0)) if self.kind in (OVERDUE, ESCALATED) else 0

    def text(self, lang: str = "vi") -> str:
        return self.explanation if lang == "vi" else self.explanation_en


def _d(day: date) -> str:
    return vi_date(day)


def _local(iso: str) -> date:
    return datetime.fromisoformat(iso).astimezone(LOCAL_TZ).date()


def explain_deadline(info: dict[str, Any] | None) -> list[tuple[str, str]]:
    """The deadline's reasons in plain words, one (vi, en) line each: rule and basis, start, pauses, extensions.

    Everyone reads these, reporters included, so they name no event numbers and no calendar file;
    `deadline_details` has those for the people who check the record.
    """
    if not info:
        return []
    unit = "working" if info.get("unit") == "working" else "calendar"
    basis = f" ({info['basis']})" if info.get("basis") else ""
    started = _local(info["started_at"])
    lines = [(f"Thời hạn {vi_days(info['rule_days'], unit)}{basis}.", f"Time limit: {en_days(info['rule_days'], unit)}{basis}.")]
    if info.get("resumed_after_pause"):
        first = info.get("first_started_at")
        if first:
            d0 = _local(first)
            lines.append((f"Thời hạn bắt đầu tính từ ngày làm việc sau {_d(d0)}.",
                          f"The time limit first ran from the working day after {en_date(d0)}."))  # fmt: skip
        days = int(info["days"])
        lines.append((
            f"Tạm dừng trong thời gian chờ bổ sung thông tin; ngày bắt đầu tạm dừng được tính là ngày đã dùng. "
            f"Tiếp tục từ ngày làm việc sau {_d(started)} với {vi_days(days, unit)} còn lại.",
            f"Paused while waiting for more information; the day the pause began counts as used. "
            f"Resumed from the working day after {en_date(started)} with {en_days(days, unit)} left.",
        ))  # fmt: skip
    else:
        lines.append((f"Tính từ ngày làm việc sau ngày {_d(started)}.",
                      f"Counted from the working day after {en_date(started)}."))  # fmt: skip
    for p in info.get("pauses", []):
        since, until = _local(p["since"]), _local(p["until"])
        lines.append((f"Tạm dừng từ {_d(since)} đến {_d(until)} (chờ bổ sung thông tin).",
                      f"Paused from {en_date(since)} to {en_date(until)} (awaiting information)."))  # fmt: skip
    for e in info.get("extensions", []):
        due = _local(e["due"])
        n = int(e["working_days"])
        lines.append((f"Gia hạn thêm {vi_days(n)} đến {_d(due)}: {e['reason']}",
                      f"Extended by {en_days(n)} to {en_date(due)}: {e['reason']}"))  # fmt: skip
    return lines


def deadline_details(info: dict[str, Any] | None) -> list[tuple[str, str]]:
    """The record behind the explanation: which history events started, paused and resumed the
    clock, and which calendar version counted the days (for assessors and supervisors checking it)."""
    if not info:
        return []
    lines: list[tuple[str, str]] = []
    if info.get("first_started_by_event"):
        ev = info["first_started_by_event"]
        lines.append((f"Thời hạn bắt đầu từ sự kiện #{ev}.", f"The clock started with event #{ev}."))
    ev = info.get("started_by_event")
    if ev is not None:
        if info.get("resumed_after_pause"):
            lines.append((f"Tiếp tục từ sự kiện #{ev}.", f"Resumed by event #{ev}."))
        else:
            lines.append((f"Bắt đầu từ sự kiện #{ev}.", f"Started by event #{ev}."))
    for p in info.get("pauses", []):
        if p.get("paused_by_event") is not None:
            lines.append((f"Tạm dừng: sự kiện #{p['paused_by_event']} đến #{p.get('resumed_by_event')}.",
                          f"Paused: event #{p['paused_by_event']} to #{p.get('resumed_by_event')}."))  # fmt: skip
    if info.get("calendar"):
        lines.append((f"Lịch ngày làm việc: {info['calendar']}.", f"Working-day calendar: {info['calendar']}."))
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


def deadline_status(
    case: CaseRow, now: datetime, calendar: WorkingCalendar, defn: Definition | None = None, *, explain: bool = True
) -> DeadlineStatus:
    """The badge for one case. Pass its definition to get the limitation warning from its numbers
    (its first warning, in the states it watches); without it, 90 days in any open state.

    `explain=False` leaves out the reasons and the record behind them (`why`, `details`): a list of
    cases shows only the badge, and writing out the reasons in both languages cost more than the rest.
    """
    info = case.deadline_info or {}
    expiry = case.limitation_expires_on
    today = now.astimezone(LOCAL_TZ).date()
    lim_left = (expiry - today).days if expiry else None
    rule = defn.limitation if defn is not None else None
    warn_days = max(rule.warn_days_before, default=0) if rule else 90
    watched = case.state in rule.watch_states if rule else True
    lim_warning = lim_left is not None and not case.closed and watched and lim_left <= warn_days
    why = explain_deadline(info) if explain else []
    if lim_warning and expiry is not None:
        why.append((f"Thời hiệu xử phạt hết vào ngày {_d(expiry)} (còn {lim_left} ngày).",
                    f"The limitation period expires on {en_date(expiry)} "
                    f"({en_days(lim_left or 0, 'calendar')} left)."))  # fmt: skip
    details = deadline_details(info) if explain else []
    paused = info.get("paused", {}).get("remaining_working_days") if info.get("paused") else None
    deadline = case.deadline_at
    if case.closed or deadline is None:
        return DeadlineStatus(NONE, None, 0, "Không có thời hạn.", "No deadline.", None, None, expiry, lim_left, lim_warning,
                              why, details)

    left = remaining_working_days(deadline, now, calendar)
    level = max(case.escalation_level or 0, _implied_level(info, deadline, now, calendar))
    due_local = deadline.astimezone(LOCAL_TZ).date()
    soon = info.get("due_soon_days")
    if now > deadline:
        late = max(0, -left)
        kind = ESCALATED if level > 0 else OVERDUE
        vi = f"Quá hạn {vi_days(late)} (hạn {_d(due_local)})"
        en = f"Overdue by {en_days(late)} (due {en_date(due_local)})"
        if level:
            vi = f"Đã báo cáo cấp trên (cấp {level}); " + vi[0].lower() + vi[1:]
            en = f"Escalated (level {level}); " + en[0].lower() + en[1:]
    elif soon and left <= int(soon):
        kind = DUE_SOON
        vi = f"Sắp đến hạn: còn {vi_days(left)} (hạn {_d(due_local)})"
        en = f"Due soon: {en_days(left)} left (due {en_date(due_local)})"
    else:
        kind = ON_TIME
        vi = f"Trong hạn: còn {vi_days(left)} (hạn {_d(due_local)})"
        en = f"On time: {en_days(left)} left (due {en_date(due_local)})"
    if paused is not None:
        vi += f"; thời hạn thẩm định tạm dừng, còn {vi_days(paused)}"
        en += f"; the assessment clock is paused with {en_days(paused)} left"
    if lim_warning and expiry is not None:
        vi += f"; thời hiệu xử phạt hết vào ngày {_d(expiry)}"
        en += f"; limitation expires on {en_date(expiry)}"
    return DeadlineStatus(kind, left, level, vi + ".", en + ".", deadline, paused, expiry, lim_left, lim_warning, why,
                          details)
