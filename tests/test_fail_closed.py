"""Failures that close: who must act or be told is resolved exactly or the command is refused;
a timer that cannot fire now waits a backoff; one that keeps failing is listed and announced.

Real SQLite and PostgreSQL; a real SMTP server on loopback where delivery matters.
"""

from __future__ import annotations

import time
from datetime import datetime, timedelta

import pytest
import sqlalchemy as sa
from sqlalchemy import select, update

from engine.cases import commands as service
from engine.cases import timers
from engine.cases.uow import Runtime
from engine.errors import NeedsConfirmation, Unresolvable
from engine.jobs.sweep import MAX_ATTEMPTS, sweep
from engine.store.models import Case, CaseEvent, OutboxMessage, Timer, Unit, WorkflowDefinitionRow
from engine.store.notification_models import InboxItem
from engine.time.clock import LOCAL_TZ
from notifications import failures
from tests.notify_support import deliver, give_addresses, running_smtp, set_user
from tests.support import REPORT, case_in, data_for, fire, load_case
from tests.support import file as file_report
from tests.test_versioning import CURRENT, write_v2


def local(y: int, m: int, d: int, hh: int = 9) -> datetime:
    return datetime(y, m, d, hh, tzinfo=LOCAL_TZ)


@pytest.fixture
def smtp():
    yield from running_smtp()


def _set_unit(org, code: str, active: bool) -> None:
    with org.rt.uow() as uow:
        uow.session.execute(update(Unit).where(Unit.code == code).values(active=active))
        uow.commit()
    org.rt.forget_org_chart()  # what the admin page does when it changes a unit


def _footprint(rt: Runtime) -> tuple[int, ...]:
    """Everything a command writes, counted: nothing may change when it is refused."""
    with rt.read_session() as s:
        return tuple(
            s.scalar(select(sa.func.count()).select_from(t)) or 0 for t in (CaseEvent, OutboxMessage, Timer, Case)
        ) + tuple(s.execute(select(Case.version, Case.state, Case.assigned_unit_id).order_by(Case.id)).all())


def _alerts(rt: Runtime, topic: str) -> list[OutboxMessage]:
    with rt.read_session() as s:
        return list(s.scalars(select(OutboxMessage).where(OutboxMessage.topic == topic).order_by(OutboxMessage.id)))


# ---------------------------------------------------------------- relations resolved exactly


def test_a_disabled_media_centre_refuses_the_handling_decision_and_nothing_is_written(org, rt):
    out = case_in(org, "assessed")
    _set_unit(org, "TTVH", False)
    before = _footprint(rt)
    with pytest.raises(Unresolvable) as info:
        fire(org, out.case_id, "handle", "handler")
    assert "Cơ quan công khai" in info.value.message("vi") and "Chưa có gì được lưu" in info.value.message("vi")
    assert "Publishing body" in info.value.message("en")
    assert _footprint(rt) == before
    assert load_case(org, out.case_id).assigned_unit_id == org.units["VHTT"]

    _set_unit(org, "TTVH", True)
    assert fire(org, out.case_id, "handle", "handler").state == "handled"
    assert load_case(org, out.case_id).assigned_unit_id == org.units["TTVH"]


def test_no_unit_of_the_intake_type_refuses_filing(org, rt):
    _set_unit(org, "BTG", False)
    before = _footprint(rt)
    with pytest.raises(Unresolvable) as info:
        file_report(org)
    assert "Cơ quan tiếp nhận" in info.value.message("vi")
    assert _footprint(rt) == before


def test_a_notification_never_widens_to_everyone_holding_the_role(org, rt, clock, smtp):
    """The Standing Committee disabled: its escalation is written failed and the admins are told;
    a supervisor in another unit, who would have been caught by a role-wide fallback, gets nothing."""
    give_addresses(org)
    elsewhere = org.as_role("supervisor", "VHTT")
    clock.set(local(2026, 3, 2))
    out = file_report(org)
    _set_unit(org, "BTV", False)
    clock.set(local(2026, 3, 12, 8))  # level 1 escalation of "reported" is due
    report = sweep(rt)
    assert report.fired == 3 and report.failed == 0
    with rt.read_session() as s:
        esc = s.scalars(select(OutboxMessage).where(OutboxMessage.topic == "timer.escalated")).one()
    assert esc.status == "failed" and "Standing Committee" in (esc.last_error or "")
    assert esc.recipient_unit_id is None and esc.recipient_role == "supervisor"
    alerts = _alerts(rt, "admin.message_failed")
    assert len(alerts) == 1 and alerts[0].recipient_role == "admin" and alerts[0].case_id == out.case_id

    deliver(rt, smtp)
    with rt.read_session() as s:
        told = set(s.scalars(select(InboxItem.user_id)))
    assert elsewhere.user_id not in told and org.actor("supervisor").user_id not in told
    assert org.actor("admin").user_id in told
    assert [r.subject for r in smtp.mailbox.received if "admin@" in r.rcpt_tos[0]][0].startswith("[Quản trị]")

    # Retried while the unit is still gone: nobody is told, the row fails again, visibly.
    with rt.uow() as uow:
        assert failures.retry_row(uow, esc.id, clock.now())
    deliver(rt, smtp)
    assert _status(rt, esc.id) == "failed" and _inbox_of(rt, elsewhere.user_id) == []
    # The unit back, a retry reaches exactly the supervisors of the Standing Committee.
    _set_unit(org, "BTV", True)
    with rt.uow() as uow:
        assert failures.retry_row(uow, esc.id, clock.now())
    deliver(rt, smtp)
    assert _status(rt, esc.id) == "sent"
    assert _inbox_of(rt, org.actor("supervisor").user_id) == [esc.id] and _inbox_of(rt, elsewhere.user_id) == []


def _status(rt: Runtime, outbox_id: int) -> str:
    with rt.read_session() as s:
        return s.get(OutboxMessage, outbox_id).status  # type: ignore[union-attr]


def _inbox_of(rt: Runtime, user_id: int) -> list[int]:
    with rt.read_session() as s:
        return list(s.scalars(select(InboxItem.outbox_id).where(InboxItem.user_id == user_id)))


# ---------------------------------------------------------------- nobody there to act


def test_routing_to_a_unit_where_nobody_can_act_needs_confirmation_and_tells_the_admins(org, rt):
    out = file_report(org)
    set_user(org, "handler_police", active=False)  # the police has no active handler now
    data = {**data_for(org, "assess"), "competent_unit": org.units["CA"]}
    before = _footprint(rt)
    with pytest.raises(NeedsConfirmation) as info:
        fire(org, out.case_id, "assess", "assessor", data)
    assert "Công an huyện" in info.value.message("vi") and "Xác nhận" in info.value.message("vi")
    assert _footprint(rt) == before
    assert _alerts(rt, "admin.unit_unstaffed") == []

    with rt.uow() as uow:
        done = service.fire(uow, out.case_id, "assess", org.actor("assessor"), data, confirm_unstaffed=True)
    assert done.state == "assessed" and load_case(org, out.case_id).assigned_unit_id == org.units["CA"]
    (alert,) = _alerts(rt, "admin.unit_unstaffed")
    assert alert.recipient_role == "admin" and "Công an huyện" in alert.payload["detail_vi"]
    assert alert.payload["reference"] == out.reference


def test_a_unit_with_someone_able_to_act_needs_no_confirmation(org, rt):
    out = file_report(org)
    assert fire(org, out.case_id, "assess", "assessor").state == "assessed"
    assert _alerts(rt, "admin.unit_unstaffed") == []


# ---------------------------------------------------------------- timers that cannot fire now


def test_a_process_meeting_a_newly_loaded_definition_version_loads_it_and_fires(org, rt, db_url, clock, tmp_path):
    old = Runtime.from_url(db_url, clock=clock)  # a process started before the next version existed
    old.load_definitions()
    assert ("press_violation", CURRENT + 1) not in old.registry
    rt.load_definitions(str(write_v2(tmp_path)))  # another process loads the next version
    clock.set(local(2026, 3, 2))
    with rt.uow() as uow:
        out = service.file_report(uow, org.actor("reporter"), "press_violation", dict(REPORT))
    assert load_case(org, out.case_id).workflow_version == CURRENT + 1
    clock.set(local(2026, 3, 10, 8))
    try:
        report = sweep(old)
    finally:
        old.engine.dispose()
    assert report.fired == 2 and report.failed == 0 and report.released == 0
    assert ("press_violation", CURRENT + 1) in old.registry


def test_a_timer_that_keeps_failing_is_retried_with_backoff_then_failed_listed_and_announced(org, rt, db_url, clock, cli):
    clock.set(local(2026, 3, 2))
    out = file_report(org)
    broken = Runtime.from_url(db_url, clock=clock)  # a process whose definition store lost the version
    with rt.uow() as uow:
        uow.session.execute(sa.delete(WorkflowDefinitionRow).where(WorkflowDefinitionRow.name == "press_violation"))
        uow.commit()
    clock.set(local(2026, 3, 10, 8))
    waits = []
    try:
        # the warning fails after MAX_ATTEMPTS; the overdue reminder it chains to (due already) then does too
        for _ in range(2 * MAX_ATTEMPTS):
            before = clock.now()
            sweep(broken)
            with rt.read_session() as s:
                nxt = s.scalar(select(sa.func.min(Timer.next_attempt_at)).where(Timer.status == "pending",
                                                                                Timer.due_at <= before))  # fmt: skip
            if nxt is not None:
                waits.append((nxt - before).total_seconds())
                clock.set(nxt)
    finally:
        broken.engine.dispose()
    assert waits[:4] == [30, 60, 120, 240]  # doubling, not failed after a few sweeps
    with rt.read_session() as s:
        failed = timers.failed(s)
    # a stage's timers are a chain, but one given up on still writes the next: each fails on its own
    assert {(t.kind, t.reference) for t in failed} == {("due_soon", out.reference), ("overdue", out.reference)}
    assert all(t.attempts == MAX_ATTEMPTS and "not loaded" in (t.last_error or "") for t in failed)
    alerts = _alerts(rt, "admin.timer_failed")
    assert sorted(a.payload["timer_id"] for a in alerts) == sorted(t.id for t in failed)
    assert all(a.recipient_role == "admin" and a.payload["path"] == "/admin/timers" for a in alerts)

    listing = cli.invoke(args=["timers", "--failed"]).output
    assert out.reference in listing and "due_soon" in listing and f"{MAX_ATTEMPTS} attempts" in listing
    pending_listing = cli.invoke(args=["timers"]).output
    assert "escalation 1" in pending_listing and "due_soon" not in pending_listing  # failed ones are not pending

    rt.load_definitions()  # the cause is repaired
    r = cli.invoke(args=["timers", "--retry", str(failed[0].id)])
    assert r.exit_code == 0, r.output
    assert cli.invoke(args=["timers", "--retry", str(failed[0].id)]).exit_code != 0  # no longer failed
    assert sweep(rt).fired == 1  # the retried warning only: the reminder after it was written once, when it failed
    assert "no failed timers" not in cli.invoke(args=["timers", "--failed"]).output
    with rt.read_session() as s:
        kinds = [k for k in s.scalars(select(Timer.kind).where(Timer.case_id == out.case_id))]
    assert sorted(kinds) == ["due_soon", "escalation", "overdue"]  # one row each: nothing planned twice


@pytest.mark.pg
def test_a_busy_case_is_retried_with_backoff_however_long_and_fires_when_free(org, rt, db_url, clock):
    if not db_url.startswith("postgresql"):
        pytest.skip("a row lock that another sweeper skips exists on PostgreSQL; SQLite serialises writers")
    clock.set(local(2026, 3, 2))
    out = file_report(org)
    clock.set(local(2026, 3, 10, 8))
    holder = sa.create_engine(db_url)
    try:
        with holder.connect() as conn:
            conn.execute(select(Case.id).where(Case.id == out.case_id).with_for_update())  # a person mid-command
            for _ in range(MAX_ATTEMPTS + 4):
                report = sweep(rt)
                assert report.fired == 0 and report.failed == 0 and report.released == 1  # the chain's due warning
                with rt.read_session() as s:
                    clock.set(s.scalar(select(sa.func.max(Timer.next_attempt_at)).where(Timer.status == "pending",
                                                                                       Timer.due_at <= clock.now())))  # fmt: skip
            conn.rollback()
    finally:
        holder.dispose()
    with rt.read_session() as s:
        assert s.scalars(select(Timer).where(Timer.status == "failed")).all() == []
    assert sweep(rt).fired == 2  # the warning, then the overdue reminder it chains to


@pytest.fixture
def cli(rt, db_url):
    from web import create_app

    app = create_app({"TESTING": True, "RUNTIME": rt, "DATABASE_URL": db_url})
    return app.test_cli_runner()


def test_timer_attempts_and_next_attempt_are_shown_in_the_listing(org, rt, clock, cli):
    clock.set(local(2026, 3, 2))
    out = file_report(org)
    with rt.uow() as uow:
        uow.session.execute(update(Timer).where(Timer.case_id == out.case_id, Timer.kind == "due_soon")
                            .values(attempts=3, next_attempt_at=clock.now() + timedelta(minutes=5), last_error="case busy"))  # fmt: skip
        uow.commit()
    listing = cli.invoke(args=["timers"]).output
    assert "retry at" in listing and "attempt 3: case busy" in listing


def test_a_running_scheduler_process_fires_a_case_under_a_version_loaded_after_it_started(org, rt, db_url, clock, tmp_path):
    """A real `presscase scheduler`, started with the current version only; the next is loaded by another
    process and a case filed under it: the scheduler loads it from the database and fires."""
    from tests.test_scheduler_lock import STARTED, Proc

    proc = Proc(db_url, PRESSCASE_SWEEP_INTERVAL="1")  # its own clock is the real one: March 2026 has passed
    try:
        assert proc.wait_for(STARTED), proc.seen
        rt.load_definitions(str(write_v2(tmp_path)))
        clock.set(local(2026, 3, 2))
        with rt.uow() as uow:
            out = service.file_report(uow, org.actor("reporter"), "press_violation", dict(REPORT))
        assert load_case(org, out.case_id).workflow_version == CURRENT + 1
        deadline = time.monotonic() + 40
        while time.monotonic() < deadline:
            with rt.read_session() as s:
                states = dict(s.execute(select(Timer.kind, Timer.status).where(Timer.case_id == out.case_id,
                                                                               Timer.kind.in_(["due_soon", "overdue"]))).all())  # fmt: skip
            if states == {"due_soon": "fired", "overdue": "fired"}:
                break
            time.sleep(0.3)
        assert states == {"due_soon": "fired", "overdue": "fired"}, (states, proc.seen[-5:])
        with rt.read_session() as s:
            assert s.scalars(select(Timer).where(Timer.last_error.is_not(None))).all() == []
    finally:
        proc.stop()
