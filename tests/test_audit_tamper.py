"""`presscase audit verify` against someone who can write the database: one test per kind of
tampering, each run on SQLite and PostgreSQL, each caught (exit status 1) and named on one line
(case reference, event number, what differs). The database is changed with plain SQL, as an
attacker with the database's password but not the audit key would.
"""

from __future__ import annotations

import hashlib
import json
from dataclasses import dataclass
from pathlib import Path

import pytest
from flask.testing import FlaskCliRunner
from sqlalchemy import select, text, update
from sqlalchemy.orm import Session

from engine.audit.log import Operator
from engine.cases import commands as service
from engine.cases.evidence import Upload
from engine.cases.history import GENESIS, hash_of, legacy_hash_of
from engine.cases.uow import Runtime
from engine.demo import TINY_PNG
from engine.jobs.sweep import sweep
from engine.org import admin
from engine.store.models import Case, CaseEvent
from tests.support import REPORT, Org, case_in, fire
from web import create_app

KEY = b"audit key of the test installation"


@pytest.fixture
def rt(db_url, clock):  # noqa: ANN001, ANN201 - overrides conftest's runtime: this one holds a real key
    runtime = Runtime.from_url(db_url, clock=clock, audit_key=KEY)
    runtime.load_definitions()
    yield runtime
    runtime.engine.dispose()


@pytest.fixture
def cli(rt: Runtime, db_url: str) -> FlaskCliRunner:
    return create_app({"TESTING": True, "RUNTIME": rt, "DATABASE_URL": db_url}).test_cli_runner()


@dataclass
class World:
    org: Org
    published: service.Outcome  # with a photo as evidence
    handled: service.Outcome
    resumed: service.Outcome  # paused for information, then resumed
    extended: service.Outcome  # deadline extended, then overdue and escalated by timers
    newest: service.Outcome


@pytest.fixture
def world(org: Org, clock) -> World:  # noqa: ANN001
    with org.rt.uow() as uow:
        first = service.file_report(uow, org.actor("reporter"), "press_violation", dict(REPORT),
                                    [Upload("ảnh chụp.png", TINY_PNG)])  # fmt: skip
    fire(org, first.case_id, "assess", "assessor")
    fire(org, first.case_id, "handle", "handler")
    published = fire(org, first.case_id, "publish", "publisher")
    handled = case_in(org, "handled")
    resumed = case_in(org, "awaiting_info")
    clock.advance(days=2)
    resumed = fire(org, resumed.case_id, "provide_info", "reporter")
    extended = case_in(org, "assessed")
    with org.rt.uow() as uow:
        service.extend_deadline(uow, extended.case_id, org.actor("supervisor"), 3, "Chờ giám định.")
    clock.advance(days=40)
    sweep(org.rt)
    newest = case_in(org, "reported")
    with org.rt.uow() as uow:
        admin.set_roles(uow, "handler", ["handler", "assessor"], by=Operator.cli())
    with org.rt.uow() as uow:
        admin.set_password(uow, "reporter", "mat-khau-moi-dai", by=Operator.cli())
    return World(org, published, handled, resumed, extended, newest)


def verify(cli: FlaskCliRunner, *args: str) -> tuple[int, list[str]]:
    r = cli.invoke(args=["audit", "verify", *args])
    return r.exit_code, [line for line in r.output.splitlines() if line.startswith("PROBLEM")]


def anchor(cli: FlaskCliRunner, tmp_path: Path) -> Path:
    out = tmp_path / "anchor.json"
    r = cli.invoke(args=["audit", "anchor", "--out", str(out)])
    assert r.exit_code == 0, r.output
    return out


def sql(org: Org, statement: str, **params: object) -> None:
    with org.rt.engine.begin() as c:
        c.execute(text(statement), params)


def scalar(org: Org, statement: str, **params: object) -> object:
    with org.rt.engine.connect() as c:
        return c.execute(text(statement), params).scalar()


def the_only(lines: list[str]) -> str:
    assert len(lines) == 1, lines
    return lines[0]


def test_a_clean_database_verifies_with_and_without_an_anchor(cli, world, tmp_path):
    r = cli.invoke(args=["audit", "verify"])
    assert r.exit_code == 0, r.output
    assert "checked 5 cases" in r.output and "no problems" in r.output and "PROBLEM" not in r.output
    path = anchor(cli, tmp_path)
    fire(world.org, world.newest.case_id, "assess", "assessor")  # the history may grow after an anchor
    r = cli.invoke(args=["audit", "verify", "--anchor", str(path)])
    assert r.exit_code == 0 and "against the anchor" in r.output and "no problems" in r.output, r.output


def test_an_edited_event(cli, world):
    sql(world.org, "UPDATE case_events SET data = :d WHERE case_id = :c AND seq = 2",
        d=json.dumps({"confirmed_kind": "other"}), c=world.handled.case_id)
    code, lines = verify(cli)
    assert code == 1
    assert the_only(lines) == (f"PROBLEM {world.handled.reference} event 2: content was changed after it was "
                               f"recorded (its keyed hash does not match)")


def test_a_deleted_middle_event(cli, world):
    sql(world.org, "DELETE FROM case_events WHERE case_id = :c AND seq = 2", c=world.published.case_id)
    code, lines = verify(cli)
    assert code == 1
    assert the_only(lines) == (f"PROBLEM {world.published.reference} event 2: missing: the history goes from "
                               f"event 1 to event 3 (it was deleted)")


def _truncate_and_fix_row(world: World, keep: int) -> None:
    """Delete the events after `keep` and make the case row look as it did then."""
    org, c = world.org, world.published.case_id
    h = scalar(org, "SELECT hash FROM case_events WHERE case_id = :c AND seq = :s", c=c, s=keep)
    state = scalar(org, "SELECT to_state FROM case_events WHERE case_id = :c AND seq = :s", c=c, s=keep)
    sql(org, "DELETE FROM case_events WHERE case_id = :c AND seq > :s", c=c, s=keep)
    sql(org, "UPDATE cases SET event_count = :n, last_event_hash = :h, state = :st, closed = false, version = :v "
             "WHERE id = :c", n=keep, h=h, st=state, v=keep + 1, c=c)  # fmt: skip


def test_truncated_history_with_a_fixed_case_row_is_caught_by_the_anchor(cli, world, tmp_path):
    path = anchor(cli, tmp_path)
    _truncate_and_fix_row(world, keep=3)  # "published" undone: back to "handled"
    code, lines = verify(cli, "--anchor", str(path))
    assert code == 1
    assert any(f"PROBLEM {world.published.reference} event 4: missing: event 4 was the anchored head, and it is "
               f"gone since the anchor of" in line and "(the history was truncated)" in line for line in lines), lines


def test_a_deleted_case_leaves_a_gap_in_the_references(cli, world):
    c = world.handled.case_id
    for table in ("attachments", "timers", "outbox", "case_events"):
        sql(world.org, f"DELETE FROM {table} WHERE case_id = :c", c=c)  # noqa: S608 - fixed table names
    sql(world.org, "DELETE FROM notification_deliveries WHERE outbox_id NOT IN (SELECT id FROM outbox)")
    sql(world.org, "DELETE FROM cases WHERE id = :c", c=c)
    code, lines = verify(cli)
    assert code == 1
    series = world.handled.reference.rsplit("-", 1)[0]
    assert the_only(lines) == (f"PROBLEM {world.handled.reference}: missing: references of {series} run to 5 and "
                               f"this one has no case (a deleted case)")


def test_a_deleted_newest_case_with_its_counter_wound_back_is_caught_by_the_anchor(cli, world, tmp_path):
    path = anchor(cli, tmp_path)
    c = world.newest.case_id
    for table in ("timers", "outbox", "case_events"):
        sql(world.org, f"DELETE FROM {table} WHERE case_id = :c", c=c)  # noqa: S608 - fixed table names
    sql(world.org, "DELETE FROM notification_deliveries WHERE outbox_id NOT IN (SELECT id FROM outbox)")
    sql(world.org, "DELETE FROM cases WHERE id = :c", c=c)
    sql(world.org, "UPDATE reference_counters SET last = last - 1")
    assert verify(cli) == (0, [])  # without the anchor, nothing shows a newest case ever existed
    code, lines = verify(cli, "--anchor", str(path))
    assert code == 1
    assert any(line.startswith(f"PROBLEM {world.newest.reference}: missing: the case was deleted since the anchor")
               for line in lines), lines
    assert any("there are 4 cases, 1 fewer than the anchor's 5" in line for line in lines), lines


def test_a_state_changed_directly(cli, world):
    sql(world.org, "UPDATE cases SET state = 'published' WHERE id = :c", c=world.handled.case_id)
    last = scalar(world.org, "SELECT event_count FROM cases WHERE id = :c", c=world.handled.case_id)
    code, lines = verify(cli)
    assert code == 1
    assert the_only(lines) == (f"PROBLEM {world.handled.reference} event {last}: the case row's state is 'published' "
                               f"but the history ends in 'handled'")


def test_a_deadline_changed_directly(cli, world):
    sql(world.org, "UPDATE cases SET deadline_at = :d WHERE id = :c", d="2027-01-01 16:59:59.999999",
        c=world.extended.case_id)
    if world.org.rt.engine.dialect.name == "postgresql":
        sql(world.org, "UPDATE cases SET deadline_at = '2027-01-01 16:59:59.999999+00' WHERE id = :c",
            c=world.extended.case_id)
    code, lines = verify(cli)
    assert code == 1
    line = the_only(lines)
    assert line.startswith(f"PROBLEM {world.extended.reference} event 3: the case row's deadline is 2027-01-01 23:59 "
                           f"but the history gives 2026-"), line


def test_who_filed_and_whether_it_is_confidential_changed_directly(cli, world):
    org = world.org
    sql(org, "UPDATE cases SET filing_unit_id = :u, reporter_confidential = true WHERE id = :c",
        u=org.units["CB-SSH"], c=world.newest.case_id)
    code, lines = verify(cli)
    assert code == 1
    assert lines == [
        f"PROBLEM {world.newest.reference} event 1: the case row's filing unit is {org.units['CB-SSH']} but the filing "
        f"event says {org.units['CB-MS']}",
        f"PROBLEM {world.newest.reference} event 1: the case row's confidentiality flag is True but the filing event "
        f"says False",
    ]


def test_an_escalation_level_changed_directly(cli, world):
    sql(world.org, "UPDATE cases SET escalation_level = 0 WHERE id = :c", c=world.extended.case_id)  # "nobody was told"
    code, lines = verify(cli)
    assert code == 1
    assert the_only(lines) == (f"PROBLEM {world.extended.reference}: the case row's escalation level is 0 but the "
                               f"history gives 2")


def test_an_assigned_unit_changed_directly(cli, world):
    org = world.org
    sql(org, "UPDATE cases SET assigned_unit_id = :u WHERE id = :c", u=org.units["CA"], c=world.resumed.case_id)
    code, lines = verify(cli)
    assert code == 1
    intake = scalar(org, "SELECT data FROM case_events WHERE case_id = :c AND seq = 1", c=world.resumed.case_id)
    assert "assigned_unit" in str(intake)
    assert the_only(lines).startswith(f"PROBLEM {world.resumed.reference}: the case row's assigned unit is "
                                      f"{org.units['CA']} but the history assigned ")


def test_facts_and_subject_changed_directly(cli, world):
    org = world.org
    sql(org, "UPDATE cases SET subject = :s WHERE id = :c", s="Trang khác", c=world.handled.case_id)
    stored = scalar(org, "SELECT facts FROM cases WHERE id = :c", c=world.resumed.case_id)
    facts = json.dumps({**(stored if isinstance(stored, dict) else json.loads(str(stored))),
                        "description": "Nội dung đã sửa."}, ensure_ascii=False)  # fmt: skip
    sql(org, "UPDATE cases SET facts = :f WHERE id = :c", f=facts, c=world.resumed.case_id)
    code, lines = verify(cli)
    assert code == 1
    assert lines == [
        f"PROBLEM {world.handled.reference}: the case row's subject is 'Trang khác' but the history gives "
        f"'Trang Facebook \"Phong Thổ 24h\"'",
        f"PROBLEM {world.resumed.reference}: the case row's facts differ from the history in: description",
    ]


def _rewrite_chain(org: Org, case_id: int, key: bytes | None) -> None:
    """Change event 2's data and recompute every hash after it, as a writer would: with a guessed key, or plain SHA-256."""
    with Session(org.rt.engine) as s:
        prev = GENESIS
        for ev in s.scalars(select(CaseEvent).where(CaseEvent.case_id == case_id).order_by(CaseEvent.seq)):
            if ev.seq == 2:
                ev.data = {**ev.data, "assessment_note": "Không có dấu hiệu vi phạm."}
            ev.prev_hash = prev
            ev.hash = prev = legacy_hash_of(ev) if key is None else hash_of(key, ev)
        case = s.get(Case, case_id)
        assert case is not None
        facts = {**case.facts, "assessment_note": "Không có dấu hiệu vi phạm."}  # and the row made to match
        s.execute(update(Case).where(Case.id == case_id).values(last_event_hash=prev, facts=facts))
        s.commit()


def test_a_chain_rewritten_without_the_key(cli, world):
    _rewrite_chain(world.org, world.handled.case_id, b"a guessed key")
    code, lines = verify(cli)
    assert code == 1
    assert the_only(lines) == (f"PROBLEM {world.handled.reference} event 1: content was changed after it was "
                               f"recorded (its keyed hash does not match)")


def test_a_chain_rewritten_as_an_unkeyed_one(cli, world):
    _rewrite_chain(world.org, world.handled.case_id, None)
    code, lines = verify(cli)
    assert code == 1
    assert the_only(lines).startswith(f"PROBLEM {world.handled.reference} event 1: carries an unkeyed SHA-256 hash")


def test_a_chain_rewritten_with_the_key_is_caught_by_the_anchor(cli, world, tmp_path):
    path = anchor(cli, tmp_path)
    _rewrite_chain(world.org, world.handled.case_id, KEY)  # someone holding the key, too
    assert verify(cli) == (0, [])
    code, lines = verify(cli, "--anchor", str(path))
    last = scalar(world.org, "SELECT event_count FROM cases WHERE id = :c", c=world.handled.case_id)
    assert code == 1
    assert the_only(lines) == (f"PROBLEM {world.handled.reference} event {last}: differs from the anchored head "
                               f"since the anchor of 2026-04-13 02:00 UTC (the history was rewritten)")


def test_a_forged_appended_event(cli, world):
    org, c = world.org, world.handled.case_id
    head = scalar(org, "SELECT last_event_hash FROM cases WHERE id = :c", c=c)
    n = int(scalar(org, "SELECT event_count FROM cases WHERE id = :c", c=c)) + 1  # type: ignore[arg-type]
    forged = {"public_summary": "Đã xử lý xong.", "channels": ["portal"]}
    digest = hashlib.sha256(b"whatever the writer computes").hexdigest()
    sql(org, "INSERT INTO case_events (case_id, seq, trigger, from_state, to_state, actor_id, actor_unit_id, at, data, "
             "prev_hash, hash) VALUES (:c, :n, 'publish', 'handled', 'published', :a, :u, :at, :d, :p, :h)",
        c=c, n=n, a=org.actor("publisher").user_id, u=org.actor("publisher").unit_id, at="2026-04-20 03:00:00.000000",
        d=json.dumps(forged), p=head, h=digest)  # fmt: skip
    sql(org, "UPDATE cases SET event_count = :n, last_event_hash = :h, state = 'published', version = version + 1 "
             "WHERE id = :c", n=n, h=digest, c=c)  # fmt: skip
    code, lines = verify(cli)
    assert code == 1
    assert the_only(lines) == (f"PROBLEM {world.handled.reference} event {n}: content was changed after it was "
                               f"recorded (its keyed hash does not match)")


def test_changed_attachment_bytes(cli, world):
    sql(world.org, "UPDATE attachments SET content = :b WHERE case_id = :c", b=TINY_PNG + b"\x00", c=world.published.case_id)
    code, lines = verify(cli)
    assert code == 1
    line = the_only(lines)
    assert line.startswith(f"PROBLEM {world.published.reference} event 1: attachment 'ảnh chụp.png': its bytes hash to ")
    assert "not the recorded SHA-256" in line


def test_changed_attachment_bytes_with_a_matching_recorded_hash(cli, world):
    other = TINY_PNG + b"\x00"
    sql(world.org, "UPDATE attachments SET content = :b, sha256 = :h WHERE case_id = :c", b=other,
        h=hashlib.sha256(other).hexdigest(), c=world.published.case_id)
    code, lines = verify(cli)
    assert code == 1
    line = the_only(lines)
    assert line.startswith(f"PROBLEM {world.published.reference} event 1: attachment 'ảnh chụp.png': its bytes and "
                           f"recorded hash ")
    assert line.endswith("differ from the SHA-256 its event recorded " + hashlib.sha256(TINY_PNG).hexdigest()[:12]
                         + "… (it was replaced)")


def test_an_edited_audit_event(cli, world):
    org = world.org
    seq = scalar(org, "SELECT seq FROM audit_events WHERE action = 'user.roles'")
    sql(org, "UPDATE audit_events SET data = :d WHERE seq = :s", d=json.dumps({"from": ["handler"], "to": ["handler"]}),
        s=seq)
    code, lines = verify(cli)
    assert code == 1
    assert the_only(lines) == (f"PROBLEM audit log event {seq}: content was changed after it was recorded "
                               f"(user.roles handler: its keyed hash does not match)")


def test_deleted_newest_audit_events_are_caught_by_the_head_and_the_anchor(cli, world, tmp_path):
    org = world.org
    path = anchor(cli, tmp_path)
    last = int(scalar(org, "SELECT max(seq) FROM audit_events"))  # type: ignore[arg-type]
    sql(org, "DELETE FROM audit_events WHERE seq = :s", s=last)
    code, lines = verify(cli)
    assert code == 1
    assert the_only(lines) == (f"PROBLEM audit log event {last}: missing: the log's head counts {last} events, the log "
                               f"ends at event {last - 1} (the newest were deleted)")
    h = scalar(org, "SELECT hash FROM audit_events WHERE seq = :s", s=last - 1)
    sql(org, "UPDATE audit_head SET seq = :s, hash = :h", s=last - 1, h=h)  # the head fixed too
    # The deleted event was the reporter's password reset: the account no longer matches the log.
    assert verify(cli) == (1, ["PROBLEM account reporter: its password was set without an audit event"])
    code, lines = verify(cli, "--anchor", str(path))
    assert code == 1 and lines[-1].startswith(f"PROBLEM audit log event {last}: missing: it was the anchored head")


def test_accounts_changed_without_the_application(cli, world):
    """Granting oneself a role, enabling, moving or re-passwording an account, or adding one, by SQL."""
    org = world.org
    uid = org.actor("reporter_other").user_id
    sql(org, "INSERT INTO user_roles (user_id, role) VALUES (:u, 'admin')", u=uid)
    sql(org, "UPDATE users SET unit_id = :unit, password_hash = :h WHERE id = :u", unit=org.units["CNTT"],
        h="$argon2id$v=19$m=8,t=1,p=1$forged", u=uid)
    sql(org, "INSERT INTO users (username, full_name, password_hash, unit_id, language, active, created_at) "
             "VALUES ('ghost', 'Ghost', 'x', :unit, 'vi', true, :at)", unit=org.units["CNTT"], at="2026-04-01 00:00:00")
    code, lines = verify(cli)
    assert code == 1
    assert lines == [
        "PROBLEM account ghost: exists, but the audit log never created it",
        "PROBLEM account reporter_other: its unit is CNTT but the audit log gives CB-SSH",
        "PROBLEM account reporter_other: its roles are [admin, reporter] but the audit log gives [reporter]",
        "PROBLEM account reporter_other: its password was set without an audit event",
    ]


def test_an_edited_anchor_is_refused(cli, world, tmp_path):
    path = anchor(cli, tmp_path)
    body = json.loads(path.read_text(encoding="utf-8"))
    body["cases"] = 4
    path.write_text(json.dumps(body), encoding="utf-8")
    code, lines = verify(cli, "--anchor", str(path))
    assert code == 1
    assert the_only(lines) == f"PROBLEM anchor: {path} was changed after it was signed (its signature does not match)"


def test_verifying_with_another_key_names_every_chain_and_says_why(world, db_url, clock):
    other = Runtime.from_url(db_url, clock=clock, audit_key=b"the key of another installation")
    other.load_definitions()
    try:
        r = create_app({"TESTING": True, "RUNTIME": other, "DATABASE_URL": db_url}).test_cli_runner().invoke(
            args=["audit", "verify"])
    finally:
        other.engine.dispose()
    assert r.exit_code == 1
    assert sum(1 for line in r.output.splitlines() if line.startswith("PROBLEM PA-") and " event 1: content was changed"
               in line) == 5
    assert "hint: every chain fails at its first event" in r.output
