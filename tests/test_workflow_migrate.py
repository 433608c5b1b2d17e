"""`presscase workflow migrate`: open cases move to a newer definition version by the state mapping in its file.

The new version here is a copy of press_violation written to a tmp folder, one version up, where
`reported` is renamed `received` and given 3 working days instead of 5.
"""

from __future__ import annotations

import re
import shutil
from datetime import date, timedelta

import pytest
from sqlalchemy import func, select, text, update

from engine.audit.log import Operator
from engine.audit.verify import verify_database
from engine.cases import migration
from engine.cases.history import events_of
from engine.errors import StaleVersion
from engine.jobs.sweep import sweep
from engine.store.audit_models import AuditEvent
from engine.store.models import Case, CaseEvent, Timer
from engine.time.calendar import end_of_local_day
from tests.support import case_in, fire, load_case
from tests.test_versioning import CURRENT
from tests.test_web_fixtures import make_app, signed_in
from web import create_app
from workflows import DEFINITIONS_DIR

NEW = CURRENT + 1
MAPPING = f'\n[migration.from_{CURRENT}]\nstates = {{ reported = "received" }}\n'


def write_renamed(tmp_path, *, mapping: str = MAPPING):
    """A workflows folder whose press_violation is one version up, with `reported` renamed `received` (3 days)."""
    folder = tmp_path / "wf"
    folder.mkdir()
    for f in DEFINITIONS_DIR.glob("*.toml"):
        shutil.copy(f, folder / f.name)
    path = folder / "press_violation.toml"
    src = path.read_text(encoding="utf-8").replace(f"version = {CURRENT}", f"version = {NEW}", 1)
    src = src.replace('"reported"', '"received"').replace("[states.reported]", "[states.received]")
    src = src.replace("\nreported = { vi =", "\nreceived = { vi =")  # its [explanations] entry
    src = src.replace('label_vi = "Đã tiếp nhận"', 'label_vi = "Đã nhận phản ánh"', 1)
    src = src.replace('deadline = { days = 5, unit = "working", basis = "plan_211", note = "Tiếp nhận',
                      'deadline = { days = 3, unit = "working", basis = "plan_211", note = "Tiếp nhận', 1)
    path.write_text(src + mapping, encoding="utf-8")
    return folder


@pytest.fixture
def cli(rt, db_url):
    return create_app({"TESTING": True, "RUNTIME": rt, "DATABASE_URL": db_url, "SECRET_KEY": "t"}).test_cli_runner()


def _snapshot(rt) -> tuple:
    with rt.read_session() as s:
        return (
            sorted(s.execute(select(Case.id, Case.version, Case.workflow_version, Case.state, Case.deadline_at)).all()),
            s.scalar(select(func.count()).select_from(CaseEvent)),
            sorted(s.execute(select(Timer.id, Timer.status, Timer.state, Timer.due_at)).all()),
            s.scalar(select(func.count()).select_from(AuditEvent)),
        )


def _cases(org):
    return {"reported": case_in(org, "reported"), "assessed": case_in(org, "assessed"),
            "awaiting": case_in(org, "awaiting_info"), "published": case_in(org, "published")}  # fmt: skip


def test_dry_run_prints_each_case_and_writes_nothing(org, cli, tmp_path):
    cases = _cases(org)
    org.rt.load_definitions(str(write_renamed(tmp_path)))
    before = _snapshot(org.rt)
    r = cli.invoke(args=["workflow", "migrate", "press_violation", "--to", str(NEW), "--dry-run"])
    assert r.exit_code == 0, r.output
    assert _snapshot(org.rt) == before
    lines = {line.split()[0]: line for line in r.output.splitlines() if line.startswith("PA-")}
    assert set(lines) == {cases[k].reference for k in ("reported", "assessed", "awaiting")}  # not the published one
    # Filed Monday 2 March: 5 working days end on Monday 9 March, 3 on Thursday 5 March.
    assert lines[cases["reported"].reference].split("  ")[1:] == [
        f"v{CURRENT} reported -> v{NEW} received", "deadline 2026-03-09 23:59 -> 2026-03-05 23:59"]
    assert f"v{CURRENT} assessed -> v{NEW} assessed" in lines[cases["assessed"].reference]
    assert "dry run: 3 case(s) would move" in r.output


def test_an_unmapped_state_refuses_the_whole_run_and_names_the_cases(org, cli, tmp_path):
    cases = _cases(org)
    org.rt.load_definitions(str(write_renamed(tmp_path, mapping="")))
    before = _snapshot(org.rt)
    for extra in ([], ["--dry-run"]):
        r = cli.invoke(args=["workflow", "migrate", "press_violation", "--to", str(NEW), *extra])
        assert r.exit_code == 1
        assert f"{cases['reported'].reference}  v{CURRENT} reported: state 'reported' has no mapping" in r.output
        assert cases["assessed"].reference not in r.output and "nothing was changed" in r.output
        assert _snapshot(org.rt) == before


def test_bad_requests_are_refused_plainly(org, cli, tmp_path):
    r = cli.invoke(args=["workflow", "migrate", "press_violation", "--to", str(NEW + 5)])
    assert r.exit_code == 1 and "is not loaded" in r.output
    folder = write_renamed(tmp_path, mapping=f'\n[migration.from_{CURRENT}]\nstates = {{ reported = "binned" }}\n')
    with pytest.raises(Exception, match="maps to unknown state 'binned'"):
        org.rt.load_definitions(str(folder))


def test_migration_moves_open_cases_recomputes_deadlines_and_timers_and_verifies(org, cli, tmp_path, clock):
    cases = _cases(org)
    closed_before = load_case(org, cases["published"].case_id)
    clock.advance(hours=1)
    org.rt.load_definitions(str(write_renamed(tmp_path)))
    r = cli.invoke(args=["workflow", "migrate", "press_violation", "--to", str(NEW)])
    assert r.exit_code == 0, r.output
    assert "3 case(s) moved" in r.output and "0 skipped" in r.output

    moved = load_case(org, cases["reported"].case_id)
    assert (moved.workflow_version, moved.state) == (NEW, "received")
    assert moved.deadline_at == end_of_local_day(date(2026, 3, 5))
    assert moved.deadline_info["state"] == "received" and moved.deadline_info["rule_days"] == 3
    assert load_case(org, cases["assessed"].case_id).workflow_version == NEW
    published = load_case(org, cases["published"].case_id)
    assert (published.workflow_version, published.version) == (CURRENT, closed_before.version)

    with org.rt.read_session() as s:
        last = events_of(s, moved.id)[-1]
        pending = s.execute(select(Timer.kind, Timer.state, Timer.due_at).where(
            Timer.case_id == moved.id, Timer.status == "pending", Timer.state.is_not(None))).all()  # fmt: skip
        logged = s.scalars(select(AuditEvent).where(AuditEvent.action == "workflow.migrate")).all()
        report = verify_database(s, org.rt.registry, org.rt.calendar)
    assert (last.trigger, last.from_state, last.to_state) == ("migrate_version", "reported", "received")
    assert last.data["from_version"] == CURRENT and last.data["to_version"] == NEW
    assert last.data["previous_deadline"].startswith("2026-03-09") and last.data["deadline"].startswith("2026-03-05")
    # the new stage's first timer (the rest chain from it), planned from the new deadline
    assert [(k, st) for k, st, _ in pending] == [("due_soon", "received")]
    assert pending[0].due_at < moved.deadline_at
    assert [(e.subject, e.data["moved"]) for e in logged] == [(f"press_violation v{NEW}", 3)]
    assert report.problems == [], [p.line() for p in report.problems]
    assert cli.invoke(args=["audit", "verify"]).exit_code == 0

    # The moved case works on under its new version: the machine knows `received`, and its timers fire.
    assert fire(org, cases["assessed"].case_id, "handle", "handler").state == "handled"
    clock.advance(days=6)
    assert sweep(org.rt).fired >= 1
    with org.rt.read_session() as s:
        assert s.scalar(select(Timer.status).where(Timer.case_id == moved.id, Timer.kind == "overdue",
                                                   Timer.state == "received")) == "fired"  # fmt: skip
        assert verify_database(s, org.rt.registry, org.rt.calendar).problems == []
    assert fire(org, moved.id, "assess", "assessor").state == "assessed"

    # Running it again finds nothing left to move.
    again = cli.invoke(args=["workflow", "migrate", "press_violation", "--to", str(NEW)])
    assert again.exit_code == 0 and "no open case" in again.output


def _tamper(org, case_id: int, **values) -> list[str]:
    with org.rt.engine.begin() as c:
        c.execute(update(Case).where(Case.id == case_id).values(**values))
    with org.rt.read_session() as s:
        return [p.line() for p in verify_database(s, org.rt.registry, org.rt.calendar).problems]


def test_audit_verify_still_catches_tampering_with_a_migrated_case(org, tmp_path):
    out = case_in(org, "reported")
    org.rt.load_definitions(str(write_renamed(tmp_path)))
    migration.run(org.rt, migration.plan(org.rt, "press_violation", NEW), Operator.cli())
    ref = out.reference
    moved = load_case(org, out.case_id)

    assert any("deadline" in p and ref in p for p in _tamper(org, out.case_id, deadline_at=moved.deadline_at + timedelta(days=4)))
    _tamper(org, out.case_id, deadline_at=moved.deadline_at)
    assert any("state is 'reported'" in p for p in _tamper(org, out.case_id, state="reported"))
    _tamper(org, out.case_id, state="received")
    assert any("workflow version" in p for p in _tamper(org, out.case_id, workflow_version=CURRENT))
    assert _tamper(org, out.case_id, workflow_version=NEW) == []
    # The migration event itself is chained: rewriting where it moved the case breaks the chain.
    with org.rt.engine.begin() as c:
        c.execute(text("UPDATE case_events SET to_state = 'assessed' WHERE case_id = :c AND trigger = 'migrate_version'"),
                  {"c": out.case_id})
    with org.rt.read_session() as s:
        lines = [p.line() for p in verify_database(s, org.rt.registry, org.rt.calendar).problems]
    assert any(ref in p and "content was changed" in p for p in lines), lines


def test_a_case_changed_after_the_plan_is_skipped_and_reported(org, tmp_path):
    a, b = case_in(org, "reported"), case_in(org, "reported")
    org.rt.load_definitions(str(write_renamed(tmp_path)))
    plan = migration.plan(org.rt, "press_violation", NEW)
    fire(org, b.case_id, "assess", "assessor")  # someone works on it meanwhile
    result = migration.run(org.rt, plan, Operator.cli())
    assert [m.reference for m in result.moved] == [a.reference]
    assert [(m.reference, why) for m, why in result.skipped] == [(b.reference, "changed since the plan was made")]
    assert load_case(org, b.case_id).workflow_version == CURRENT  # untouched; a new run moves it
    with pytest.raises(StaleVersion):
        migration.migrate_case(org.rt, plan.moves[1], org.rt.registry.get("press_violation", NEW), Operator.cli())
    again = migration.run(org.rt, migration.plan(org.rt, "press_violation", NEW), Operator.cli())
    assert [m.reference for m in again.moved] == [b.reference] and not again.skipped


def test_the_case_page_shows_the_migration_in_vietnamese_and_english(org, rt, tmp_path, monkeypatch):
    monkeypatch.setenv("PRESSCASE_SECRET_KEY", "test-secret")
    out = case_in(org, "reported")
    rt.load_definitions(str(write_renamed(tmp_path)))
    migration.run(rt, migration.plan(rt, "press_violation", NEW), Operator.cli())
    w = signed_in(make_app(rt), "assessor")
    page = w.get(f"/cases/{out.case_id}").get_data(as_text=True)
    assert "Chuyển sang phiên bản quy trình mới" in page
    assert re.search(rf"{CURRENT}\s*→\s*{NEW}", page)
    assert "Đã tiếp nhận → Đã nhận phản ánh" in page  # each state named by the version it belongs to
    w.post("/account/language", {"language": "en", "next": f"/cases/{out.case_id}"})
    page = w.get(f"/cases/{out.case_id}").get_data(as_text=True)
    assert "Moved to a new workflow version" in page and "Workflow version" in page
    assert "Previous deadline" in page and "New deadline" in page


def test_a_deadline_shortened_into_the_past_is_reported_late_at_once_and_once_only(org, tmp_path, clock):
    out = case_in(org, "reported")  # due Monday 9 March under the old rule, Thursday 5 March under the new
    clock.advance(days=4)  # Friday 6 March: on time before, late after
    org.rt.load_definitions(str(write_renamed(tmp_path)))
    migration.run(org.rt, migration.plan(org.rt, "press_violation", NEW), Operator.cli())
    now = clock.now()
    with org.rt.read_session() as s:
        pending = s.execute(select(Timer.kind, Timer.level, Timer.due_at).where(
            Timer.case_id == out.case_id, Timer.status == "pending", Timer.state == "received")).all()  # fmt: skip
    due_now = {(k, lv) for k, lv, at in pending if at == now}
    assert ("overdue", None) in due_now and not any(k == "due_soon" for k, _, _ in pending)
    report = sweep(org.rt)
    assert report.fired == len(due_now) and not report.failed
    with org.rt.read_session() as s:
        fired = s.scalars(select(CaseEvent.trigger).where(CaseEvent.case_id == out.case_id,
                                                          CaseEvent.trigger == "timer.overdue")).all()  # fmt: skip
        assert fired == ["timer.overdue"]
        assert verify_database(s, org.rt.registry, org.rt.calendar).problems == []
