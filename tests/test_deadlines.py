"""Stage deadlines: counted in working days in Asia/Ho_Chi_Minh, paused while waiting, extended with a
reason, explained, and recomputable from the history (dates written out by hand)."""

from __future__ import annotations

from datetime import UTC, date, datetime

import pytest
from sqlalchemy import select

from engine.cases import commands as service
from engine.store.models import CaseEvent
from engine.time.calendar import get_calendar
from engine.time.clock import LOCAL_TZ
from engine.time.deadlines import compute_deadline, recompute_deadline
from tests.support import file as file_report
from tests.support import fire, load_case
from workflows import load_all

DEFS = {d.name: d for d in load_all()}
PRESS, STAFF = DEFS["press_violation"], DEFS["staff_discipline"]


def local(y: int, m: int, d: int, hh: int = 9, mm: int = 0) -> datetime:
    return datetime(y, m, d, hh, mm, tzinfo=LOCAL_TZ)


@pytest.mark.parametrize("defn,state,entered,due", [
    (PRESS, "reported", local(2026, 2, 13, 15), date(2026, 2, 27)),    # Friday 15:00 before Tết 2026
    (PRESS, "reported", local(2026, 2, 13, 0, 30), date(2026, 2, 27)), # 00:30 local is still Thursday in UTC
    (PRESS, "reported", local(2027, 2, 3, 15), date(2027, 2, 17)),     # before Tết 2027 (4-10 Feb)
    (PRESS, "reported", local(2026, 4, 24, 15), date(2026, 5, 6)),     # Friday before 27 Apr, 30 Apr, 1 May
    (PRESS, "reported", local(2026, 4, 29, 15), date(2026, 5, 8)),
    (PRESS, "reported", local(2026, 8, 21, 15), date(2026, 8, 27)),    # the make-up Saturday counts
    (PRESS, "reported", local(2026, 8, 28, 15), date(2026, 9, 9)),     # 31 Aug, 1-2 Sep off
    (PRESS, "assessed", local(2026, 2, 13, 15), date(2026, 3, 13)),    # 15 working days across Tết
    (STAFF, "verified", local(2026, 2, 13, 15), date(2026, 3, 15)),    # 30 calendar days: Tết counts
])  # fmt: skip
def test_a_deadline_is_due_at_the_end_of_its_last_working_day(defn, state, entered, due):
    at, info = compute_deadline(defn, defn.states[state], entered.astimezone(UTC), get_calendar(), event_seq=1)
    assert at is not None and info is not None
    assert at.astimezone(LOCAL_TZ).date() == due
    assert at.astimezone(LOCAL_TZ).strftime("%H:%M:%S") == "23:59:59"
    assert info["rule_days"] == defn.states[state].deadline.days and info["started_by_event"] == 1
    assert info["calendar"] == (get_calendar().version if info["unit"] == "working" else "calendar-days")


def test_the_explanation_carries_the_rule_and_its_legal_basis():
    _, info = compute_deadline(PRESS, PRESS.states["assessed"], local(2026, 3, 2), get_calendar(), event_seq=3)
    assert info["basis"] == "Điều 3, Nghị định 119/2020/NĐ-CP về xử phạt vi phạm hành chính trong hoạt động báo chí, xuất bản"
    assert info["due_soon_days"] == 3 and info["escalation"] == [[1, 2], [2, 5]]


# filed, asked for information, answered, expected deadline after the answer, days kept while paused
PAUSES = [
    (local(2026, 3, 2), local(2026, 3, 4, 10), local(2026, 3, 16, 10), date(2026, 3, 19), 3),   # Thu, Fri, Mon kept
    (local(2026, 2, 9), local(2026, 2, 11, 10), local(2026, 2, 13, 10), date(2026, 2, 25), 3),  # across Tết
    (local(2026, 3, 2), local(2026, 3, 9, 10), local(2026, 3, 11, 10), date(2026, 3, 11), 0),   # paused on the last day
    (local(2026, 3, 2), local(2026, 3, 11, 10), local(2026, 3, 13, 10), date(2026, 3, 11), -2), # paused 2 days late
    (local(2026, 8, 24), local(2026, 8, 26, 10), local(2026, 8, 28, 15), date(2026, 9, 7), 3),  # 27, 28, 3 Sep kept; 3, 4, 7
]  # fmt: skip


@pytest.mark.parametrize("filed,asked,answered,due,kept", PAUSES)
def test_waiting_for_the_reporter_stops_the_assessors_clock(org, clock, filed, asked, answered, due, kept):
    clock.set(filed)
    out = file_report(org)
    clock.set(asked)
    fire(org, out.case_id, "request_info", "assessor")
    waiting = load_case(org, out.case_id)
    assert waiting.deadline_info["paused"]["remaining_working_days"] == kept
    assert waiting.deadline_info["state"] == "awaiting_info"  # the reporter's own deadline runs meanwhile
    clock.set(answered)
    fire(org, out.case_id, "provide_info", "reporter")
    case = load_case(org, out.case_id)
    assert case.deadline_at.astimezone(LOCAL_TZ).date() == due
    assert [p["remaining_days"] for p in case.deadline_info["pauses"]] == [kept]
    assert case.deadline_info["first_started_by_event"] == 1
    _assert_recomputes(org, case)


def _assert_recomputes(org, case):
    with org.rt.read_session() as s:
        events = s.scalars(select(CaseEvent).where(CaseEvent.case_id == case.id).order_by(CaseEvent.seq)).all()
    defn = org.rt.registry.get(case.workflow_name, case.workflow_version)
    at, info = recompute_deadline(events, defn, get_calendar())
    assert at == case.deadline_at
    assert info == case.deadline_info


def test_recomputed_from_the_history_after_pauses_extensions_and_timers(org, clock):
    from engine.jobs.sweep import sweep

    clock.set(local(2026, 2, 9))
    out = file_report(org)
    clock.set(local(2026, 2, 11, 10))
    fire(org, out.case_id, "request_info", "assessor")
    clock.set(local(2026, 2, 13, 10))
    fire(org, out.case_id, "provide_info", "reporter")  # due 25 Feb
    clock.set(local(2026, 2, 27, 10))
    sweep(org.rt)  # due soon, overdue: events that do not move the deadline
    with org.rt.uow() as uow:
        service.extend_deadline(uow, out.case_id, org.actor("supervisor"), 3, "Chờ ý kiến cơ quan chuyên môn.")
    clock.set(local(2026, 3, 3, 10))
    fire(org, out.case_id, "request_info", "assessor")
    clock.set(local(2026, 3, 5, 10))
    fire(org, out.case_id, "provide_info", "reporter")
    case = load_case(org, out.case_id)
    # Extended on Fri 27 Feb (late) from that day: Mon 2, Tue 3, Wed 4. Paused Tue 3 with 1 day
    # left (Wed 4); answered Thu 5: due Fri 6.
    assert case.deadline_at.astimezone(LOCAL_TZ).date() == date(2026, 3, 6)
    assert len(case.deadline_info["pauses"]) == 2 and len(case.deadline_info["extensions"]) == 1
    assert case.deadline_info["extensions"][0]["was_late"] is True
    _assert_recomputes(org, case)


def test_a_changed_stored_deadline_no_longer_matches_its_history(org, clock):
    out = file_report(org)
    case = load_case(org, out.case_id)
    with org.rt.read_session() as s:
        events = s.scalars(select(CaseEvent).where(CaseEvent.case_id == case.id)).all()
    at, _ = recompute_deadline(events, org.rt.registry.get("press_violation", case.workflow_version), get_calendar())
    assert at == case.deadline_at
    at_other, _ = recompute_deadline(events, org.rt.registry.get("press_violation", case.workflow_version), _calendar_with_day_off())
    assert at_other != case.deadline_at  # a holiday announced later moves the recomputed date


def _calendar_with_day_off():
    from engine.time.calendar import WorkingCalendar

    return WorkingCalendar({date(2026, 3, 4): False}, version="test+day-off")
