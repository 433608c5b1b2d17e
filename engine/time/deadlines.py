"""A state's deadline, computed on entering it, that explains itself.

The explanation (rule, legal basis, calendar version, starting event, pauses, extensions) is
stored with the deadline so the case page can say why the date is what it is, and so the date
can be recomputed from the history and come out the same: the functions here are pure, and
both the engine (`_apply`, `extend_deadline`) and `recompute_deadline` go through them.
"""

from __future__ import annotations

from collections.abc import Callable, Iterable, Sequence
from dataclasses import dataclass
from datetime import date, datetime, timedelta
from typing import Any, Protocol

from engine.errors import BrokenInvariant
from engine.time.calendar import WorkingCalendar, end_of_local_day
from engine.time.clock import LOCAL_TZ
from workflows.definition import Definition, StateSpec

EXTEND_TRIGGER = "extend_deadline"
TIMER_TRIGGER_PREFIX = "timer."
# The history event `presscase workflow migrate` writes when it moves an open case to a newer version.
MIGRATE_TRIGGER = "migrate_version"


def _local_day(when: datetime) -> date:
    return when.astimezone(LOCAL_TZ).date()


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

    Entering at 15:00 on a Friday before a holiday therefore counts from the next working day.
    `resume_days` is the remainder of a clock that was paused (awaiting information): the
    state resumes with what was left instead of starting afresh. It may be 0 (paused on its
    last day: due at the end of the first working day back) or negative (paused when already
    late: it stays late by as much).
    """
    rule = state.deadline
    if rule is None or state.terminal:
        return None, None
    days = resume_days if resume_days is not None else rule.days
    start_day = _local_day(entered_at)
    working = rule.unit == "working"
    last_day = calendar.shift_working_days(start_day, days) if working else start_day + timedelta(days=days)
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
        "due_soon_days": state.timers.due_soon_days,
        "escalation": [[e.level, e.after_working_days] for e in state.timers.escalation],
    }
    if resume_days is not None:
        info["resumed_after_pause"] = True
    return due, info


def remaining_working_days(deadline: datetime, now: datetime, calendar: WorkingCalendar) -> int:
    """Working days left until the deadline's day (0 on the day itself, negative when late)."""
    return calendar.working_days_between(_local_day(now), _local_day(deadline))


def remaining_days(deadline: datetime, now: datetime, calendar: WorkingCalendar, unit: str) -> int:
    """What a paused clock keeps: working or calendar days left, as its rule counts them."""
    if unit == "working":
        return remaining_working_days(deadline, now, calendar)
    return (_local_day(deadline) - _local_day(now)).days


@dataclass(frozen=True)
class DeadlineChange:
    deadline_at: datetime | None
    info: dict[str, Any] | None
    resumed_escalation_level: int | None = None  # the level the resumed clock had reached before its pause


def on_transition(
    defn: Definition,
    from_state: str | None,
    dest: str,
    old_deadline: datetime | None,
    old_info: dict[str, Any] | None,
    now: datetime,
    calendar: WorkingCalendar,
    seq: int,
    escalation_level: int = 0,
) -> DeadlineChange:
    """The deadline a (re)started stage gets: fresh, paused (kept inside the waiting state's info) or resumed."""
    dest_spec = defn.states[dest]
    if from_state is None:
        due, info = compute_deadline(defn, dest_spec, now, calendar, event_seq=seq)
        return DeadlineChange(due, info)
    from_spec = defn.states[from_state]
    if dest_spec.pauses_clock_of == from_state and old_deadline is not None and old_info is not None:
        left = remaining_days(old_deadline, now, calendar, old_info.get("unit", "working"))
        due, info = compute_deadline(defn, dest_spec, now, calendar, event_seq=seq)
        if info is not None:
            info["paused"] = {
                "state": from_state,
                "remaining_working_days": left,
                "unit": old_info.get("unit", "working"),
                "since": now.isoformat(),
                "paused_by_event": seq,
                "deadline": old_info.get("due"),
                "escalation_level": escalation_level,
                "clock": old_info,
            }
        return DeadlineChange(due, info)
    if from_spec.pauses_clock_of == dest and old_info and old_info.get("paused"):
        paused = old_info["paused"]
        clock = paused.get("clock") or {}
        due, info = compute_deadline(
            defn, dest_spec, now, calendar, event_seq=seq, resume_days=paused["remaining_working_days"]
        )
        if info is not None:
            info["first_started_by_event"] = clock.get("first_started_by_event", clock.get("started_by_event"))
            info["first_started_at"] = clock.get("first_started_at", clock.get("started_at"))
            info["pauses"] = [
                *clock.get("pauses", []),
                {
                    "state": from_state,
                    "since": paused["since"],
                    "until": now.isoformat(),
                    "paused_by_event": paused.get("paused_by_event"),
                    "resumed_by_event": seq,
                    "remaining_days": paused["remaining_working_days"],
                },
            ]
            if clock.get("extensions"):
                info["extensions"] = clock["extensions"]
        return DeadlineChange(due, info, int(paused.get("escalation_level", 0)))
    due, info = compute_deadline(defn, dest_spec, now, calendar, event_seq=seq)
    return DeadlineChange(due, info)


def extend(
    old_deadline: datetime,
    old_info: dict[str, Any],
    working_days: int,
    now: datetime,
    calendar: WorkingCalendar,
    seq: int,
    reason: str,
    by: int | None,
) -> tuple[datetime, dict[str, Any]]:
    """N more working days, counted from the old deadline's day, or from today when it has passed.

    A late case gets a real new date (as a one-stop office gives a new appointment), not one
    that is already behind it.
    """
    base = max(_local_day(old_deadline), _local_day(now))
    due = end_of_local_day(calendar.add_working_days(base, working_days))
    info = dict(old_info)
    info["due"] = due.isoformat()
    info["extensions"] = [
        *old_info.get("extensions", []),
        {
            "event": seq,
            "at": now.isoformat(),
            "working_days": working_days,
            "reason": reason,
            "by": by,
            "from_due": old_info.get("due"),
            "counted_from": base.isoformat(),
            "due": due.isoformat(),
            "was_late": now > old_deadline,
            "calendar": calendar.version,
        },
    ]
    return due, info


def _shift(calendar: WorkingCalendar, day: date, n: int, unit: str) -> date:
    return calendar.shift_working_days(day, n) if unit == "working" else day + timedelta(days=n)


def on_migration(
    old_defn: Definition,
    new_defn: Definition,
    from_state: str,
    to_state: str,
    old_deadline: datetime | None,
    old_info: dict[str, Any] | None,
    entered_at: datetime,
    entered_seq: int,
    now: datetime,
    calendar: WorkingCalendar,
    seq: int,
    paused_state_to: str | None = None,
) -> DeadlineChange:
    """The deadline a case has after moving from `from_state` of its old version to `to_state` of the new.

    The time already spent counts: when both rules count the same unit, the old deadline moves by
    the difference between the two rules (20 working days becoming 15 takes 5 working days off;
    extensions granted and pauses taken stay as they were). When the units differ, or the old
    state had no running deadline, the new rule counts from the day the case entered the state.
    A state with no deadline in the new version has none. A clock paused inside the state (a
    waiting state) is renamed to `paused_state_to` and its remaining days move by its own rule's
    difference. Pure, so `audit verify` replays a migration as the migration computed it.
    """
    spec = new_defn.states[to_state]
    rule = spec.deadline
    if rule is None or spec.terminal:
        return DeadlineChange(None, None)
    old_rule = old_defn.states[from_state].deadline if from_state in old_defn.states else None
    marker = {"event": seq, "at": now.isoformat(), "from_version": old_defn.version, "to_version": new_defn.version,
              "from_state": from_state, "from_rule_days": old_info.get("rule_days") if old_info else None,
              "from_due": old_info.get("due") if old_info else None}  # fmt: skip
    if old_deadline is None or old_info is None or old_rule is None or old_info.get("unit") != rule.unit:
        started = datetime.fromisoformat(old_info["started_at"]) if old_info and old_info.get("started_at") else entered_at
        started_seq = int(old_info["started_by_event"]) if old_info and old_info.get("started_by_event") else entered_seq
        due, info = compute_deadline(new_defn, spec, started, calendar, event_seq=started_seq)
    else:
        delta = rule.days - int(old_info.get("rule_days", old_rule.days))
        due = end_of_local_day(_shift(calendar, _local_day(old_deadline), delta, rule.unit))
        info = {
            **old_info,
            "state": to_state,
            "days": int(old_info.get("days", old_rule.days)) + delta,
            "rule_days": rule.days,
            "basis": new_defn.basis_text(rule.basis, rule.article),
            "note": rule.note,
            "due": due.isoformat(),
            "due_soon_days": spec.timers.due_soon_days,
            "escalation": [[e.level, e.after_working_days] for e in spec.timers.escalation],
        }
        if rule.unit == "working":
            info["calendar"] = calendar.version
    if info is None:
        return DeadlineChange(None, None)
    paused = (old_info or {}).get("paused")
    if paused and paused_state_to is not None:
        p_old = old_defn.states.get(paused.get("state", ""))
        p_new = new_defn.states.get(paused_state_to)
        p_delta = 0
        if p_old is not None and p_new is not None and p_old.deadline and p_new.deadline \
                and p_old.deadline.unit == p_new.deadline.unit:
            p_delta = p_new.deadline.days - p_old.deadline.days
        info["paused"] = {**paused, "state": paused_state_to,
                          "remaining_working_days": int(paused["remaining_working_days"]) + p_delta}
    info["migrations"] = [*(old_info or {}).get("migrations", []), marker]
    return DeadlineChange(due, info)


class EventLike(Protocol):
    seq: int
    trigger: str
    from_state: str | None
    to_state: str
    at: datetime
    data: dict[str, Any]
    actor_id: int | None


def recompute_deadline(
    events: Iterable[EventLike], defn: Definition, calendar: WorkingCalendar,
    definitions: Callable[[int], Definition] | None = None,
) -> tuple[datetime | None, dict[str, Any] | None]:
    """Replay a case's history and return the deadline it should have now, with its explanation.

    Equal to the stored one unless the stored one was tampered with, or the calendar changed
    since (a new holiday announced): both are worth knowing. `definitions` gives a version of
    the case's workflow: a case moved between versions replays each event under its own.
    """
    deadline, info, _ = replay_stage(events, defn, calendar, definitions)
    return deadline, info


def versions_along(events: Sequence[EventLike], defn: Definition,
                   definitions: Callable[[int], Definition] | None) -> list[Definition]:  # fmt: skip
    """The definition each event (in seq order) was written under: the case's version after its last
    migration event, the migrations' `from_version` before each. `defn` is the case's version now."""
    out: list[Definition] = []
    current = defn
    for ev in reversed(events):
        if ev.trigger == MIGRATE_TRIGGER and definitions is not None:
            out.append(current)
            current = definitions(int(ev.data["from_version"]))
            continue
        out.append(current)
    out.reverse()
    return out


def replay_stage(
    events: Iterable[EventLike], defn: Definition, calendar: WorkingCalendar,
    definitions: Callable[[int], Definition] | None = None,
) -> tuple[datetime | None, dict[str, Any] | None, int]:
    """`recompute_deadline`, plus the escalation level the current stage has reached (`audit verify` checks both)."""
    deadline: datetime | None = None
    info: dict[str, Any] | None = None
    level = 0
    ordered = sorted(events, key=lambda e: e.seq)
    along = versions_along(ordered, defn, definitions)
    entered_at: datetime | None = None
    entered_seq = 0
    for i, ev in enumerate(ordered):
        defn = along[i]
        if ev.trigger == MIGRATE_TRIGGER:
            old = definitions(int(ev.data["from_version"])) if definitions is not None else defn
            change = on_migration(old, defn, str(ev.from_state), ev.to_state, deadline, info, entered_at or ev.at,
                                  entered_seq, ev.at, calendar, ev.seq, ev.data.get("paused_state_to"))  # fmt: skip
            deadline, info = change.deadline_at, change.info
            continue
        if ev.to_state != ev.from_state:
            entered_at, entered_seq = ev.at, ev.seq
        if ev.trigger.startswith(TIMER_TRIGGER_PREFIX):
            if ev.data.get("kind") == "escalation":
                level = max(level, int(ev.data.get("level") or 0))
            continue
        if ev.trigger == EXTEND_TRIGGER:
            if deadline is None or info is None:
                raise BrokenInvariant(f"event {ev.seq} extends a deadline the history never set")
            deadline, info = extend(deadline, info, int(ev.data["working_days"]), ev.at, calendar, ev.seq,
                                    str(ev.data.get("reason", "")), ev.actor_id)  # fmt: skip
            level = 0
            continue
        t = defn.transition(ev.trigger, ev.from_state)
        restart = ev.to_state != ev.from_state or (t.restart_deadline if t is not None else True)
        if restart:
            change = on_transition(defn, ev.from_state, ev.to_state, deadline, info, ev.at, calendar, ev.seq, level)
            deadline, info = change.deadline_at, change.info
            level = change.resumed_escalation_level or 0
    return deadline, info, level
