"""Administration is history too: every administrative act, from the web or the CLI, is an audit
event with actor and time, chained and keyed, listed on /admin/audit for administrators only;
and a database written before the chains were keyed is re-signed, never laundered."""

from __future__ import annotations

import pytest
from flask import Flask
from sqlalchemy import select, update
from sqlalchemy import text as sa_text

from engine.cases import commands as service
from engine.cases.history import GENESIS, legacy_hash_of
from engine.store.audit_models import AuditEvent
from engine.store.models import Case, CaseEvent, OutboxMessage, User
from engine.store.notification_models import FAILED
from tests.support import Org, case_in
from tests.test_web_fixtures import make_app, signed_in, text

pytest_plugins = ["tests.test_web_fixtures"]


def log(org: Org, since: int = 0) -> list[tuple[str, str, str, dict]]:
    with org.rt.read_session() as s:
        rows = s.scalars(select(AuditEvent).where(AuditEvent.seq > since).order_by(AuditEvent.seq))
        return [(e.actor, e.action, e.subject, {k: v for k, v in e.data.items() if k != "password"}) for e in rows]


def last_seq(org: Org) -> int:
    with org.rt.read_session() as s:
        return int(s.scalar(select(AuditEvent.seq).order_by(AuditEvent.seq.desc()).limit(1)) or 0)


@pytest.fixture
def cli(app: Flask):  # noqa: ANN201
    return app.test_cli_runner()


def test_setting_up_records_definition_loads_units_and_accounts(org: Org) -> None:
    entries = log(org)
    actions = [a for _, a, _, _ in entries]
    assert entries[0][:2] == ("system", "workflow.load") and entries[0][2].startswith(("press_violation v", "staff_", "correction_request v"))
    assert actions.count("unit.create") >= 10 and actions.count("user.create") == 9
    assert ("unattributed", "user.create", "admin", {"unit": "CNTT", "roles": ["admin"], "language": "vi"}) in entries


def test_every_web_admin_change_is_recorded_with_who_did_it(app: Flask, org: Org) -> None:
    w = signed_in(app, "admin")
    with org.rt.read_session() as s:
        uid = s.scalar(select(User.id).where(User.username == "handler"))
    start = last_seq(org)
    w.post(f"/admin/users/{uid}/active", {"active": "0"})
    w.post(f"/admin/users/{uid}/active", {"active": "1"})
    w.post(f"/admin/users/{uid}/password", {"password": "mat-khau-moi-1"})
    w.post(f"/admin/users/{uid}", {"unit": "CA", "roles": ["handler", "assessor"], "language": "vi"})
    w.post(f"/admin/users/{uid}", {"unit": "CA", "roles": ["handler", "assessor"], "language": "vi"})  # no change
    w.post("/admin/units", {"code": "CB-BL", "name": "Đảng bộ xã Bản Lang", "type": "party_cell", "parent": "HU"})
    assert log(org, start) == [
        ("web:admin", "user.disable", "handler", {}),
        ("web:admin", "user.enable", "handler", {}),
        ("web:admin", "user.password_reset", "handler", {}),
        ("web:admin", "user.roles", "handler", {"from": ["handler"], "to": ["assessor", "handler"]}),
        ("web:admin", "user.unit", "handler", {"from": "VHTT", "to": "CA"}),
        ("web:admin", "unit.create", "CB-BL", {"name": "Đảng bộ xã Bản Lang", "type": "party_cell", "parent": "HU"}),
    ]
    with org.rt.read_session() as s:
        admin_id = s.scalar(select(User.id).where(User.username == "admin"))
        assert set(s.scalars(select(AuditEvent.actor_id).where(AuditEvent.seq > start))) == {admin_id}

    page = text(w.get("/admin/audit"))
    assert "Nhật ký quản trị" in page and "Đã khóa tài khoản" in page and "Đã đổi vai trò" in page
    assert "Admin" in page and "web:admin" in page and "from: handler; to: assessor, handler" in page
    assert signed_in(app, "supervisor").get("/admin/audit").status_code == 403


def test_a_refused_change_records_nothing(app: Flask, org: Org) -> None:
    w = signed_in(app, "admin")
    with org.rt.read_session() as s:
        uid = s.scalar(select(User.id).where(User.username == "handler"))
    start = last_seq(org)
    assert w.post(f"/admin/users/{uid}/password", {"password": "ngan"}).status_code == 422
    assert w.post("/admin/units", {"code": "CB-MS", "name": "x", "type": "party_cell"}).status_code == 422
    assert log(org, start) == []


def test_the_admin_page_is_paginated(app: Flask, org: Org) -> None:
    from engine.audit import log as audit_log

    with org.rt.uow() as uow:
        for i in range(60):
            audit_log.record(uow.session, audit_log.Operator.cli(), "notification.retry", f"outbox {i}", {},
                             org.rt.clock.now())  # fmt: skip
        uow.commit()
    w = signed_in(app, "admin")
    first = text(w.get("/admin/audit"))
    assert "outbox 59" in first and "outbox 5<" not in first and "?page=2" in first
    second = text(w.get("/admin/audit?page=2"))
    assert "outbox 5<" in second and "outbox 59" not in second
    assert w.get("/admin/audit?page=abc").status_code == 200


def test_cli_admin_commands_are_recorded_as_the_shell_account(cli, org: Org) -> None:
    import getpass

    start = last_seq(org)
    assert cli.invoke(args=["unit", "add", "CB-BL", "Đảng bộ xã Bản Lang", "--type", "party_cell"]).exit_code == 0
    r = cli.invoke(args=["user", "add", "thamdinh2", "--name", "Lò Văn A", "--unit", "BTG", "--role", "assessor",
                         "--password-stdin"], input="mat-khau-dai-1\n")  # fmt: skip
    assert r.exit_code == 0, r.output
    cli.invoke(args=["user", "disable", "thamdinh2"])
    cli.invoke(args=["user", "enable", "thamdinh2"])
    cli.invoke(args=["user", "password", "thamdinh2", "--password-stdin"], input="mat-khau-dai-2\n")
    who = f"cli:{getpass.getuser()}"
    assert [(a, act, subj) for a, act, subj, _ in log(org, start)] == [
        (who, "unit.create", "CB-BL"), (who, "user.create", "thamdinh2"), (who, "user.disable", "thamdinh2"),
        (who, "user.enable", "thamdinh2"), (who, "user.password_reset", "thamdinh2"),
    ]  # fmt: skip
    r = cli.invoke(args=["audit", "verify"])
    assert r.exit_code == 0 and "no problems" in r.output, r.output


def test_extensions_and_retries_are_recorded(app: Flask, org: Org) -> None:
    out = case_in(org, "assessed")
    start = last_seq(org)
    with org.rt.uow() as uow:
        service.extend_deadline(uow, out.case_id, org.actor("supervisor"), 3, "Chờ giám định.")
    with org.rt.uow() as uow:
        uow.session.execute(update(OutboxMessage).where(OutboxMessage.case_id == out.case_id)
                            .values(status=FAILED, attempts=8))  # fmt: skip
        uow.commit()
        ids = list(uow.session.scalars(select(OutboxMessage.id).where(OutboxMessage.status == FAILED)))
    w = signed_in(app, "admin")
    w.get("/admin/notifications")
    assert w.post(f"/admin/notifications/{ids[0]}/retry").status_code == 302
    entries = log(org, start)
    assert entries[0][1:3] == ("case.deadline_extended", out.reference)
    assert entries[0][3]["working_days"] == 3 and entries[0][3]["event"] == 3
    assert entries[1][:3] == ("web:admin", "notification.retry", f"outbox {ids[0]}")


def _unkey(org: Org, case_id: int, *, break_it: bool = False) -> None:
    """Make a case's chain what a database written before keyed chains holds: plain SHA-256."""
    with org.rt.uow() as uow:
        prev = GENESIS
        for ev in uow.session.scalars(select(CaseEvent).where(CaseEvent.case_id == case_id).order_by(CaseEvent.seq)):
            ev.prev_hash = prev
            ev.hash = prev = legacy_hash_of(ev)
            if break_it and ev.seq == 1:
                ev.data = {**ev.data, "description": "sửa sau"}
        uow.session.execute(update(Case).where(Case.id == case_id).values(last_event_hash=prev))
        uow.commit()


def test_chains_from_before_keying_are_re_signed_once_and_broken_ones_are_not(cli, org: Org) -> None:
    good, bad = case_in(org, "handled"), case_in(org, "published")
    _unkey(org, good.case_id)
    _unkey(org, bad.case_id, break_it=True)
    r = cli.invoke(args=["audit", "verify"])
    assert r.exit_code == 1
    assert f"PROBLEM {good.reference} event 1: carries an unkeyed SHA-256 hash" in r.output
    r = cli.invoke(args=["audit", "rekey"])
    assert r.exit_code == 1
    assert "re-signed 1 unkeyed chains" in r.output
    assert f"PROBLEM {bad.reference}: its unkeyed chain is broken; left as it is" in r.output
    r = cli.invoke(args=["audit", "verify"])
    assert r.exit_code == 1 and good.reference not in r.output
    assert f"PROBLEM {bad.reference} event 1: content was changed after it was recorded" in r.output
    assert log(org)[-1][1:] == ("audit.rekey", "case chains", {"rekeyed": 1, "refused": [bad.reference]})


def test_db_upgrade_re_signs_once(rt, org: Org, monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("PRESSCASE_SECRET_KEY", "test-secret")
    url = rt.engine.url.render_as_string(hide_password=False)
    runner = make_app(rt, DATABASE_URL=url).test_cli_runner()
    out = case_in(org, "handled")
    _unkey(org, out.case_id)
    r = runner.invoke(args=["db", "upgrade"])
    assert r.exit_code == 0 and "re-signed 1 unkeyed case chains" in r.output, r.output
    _unkey(org, out.case_id)  # a writer downgrading a chain afterwards gains nothing from the next upgrade
    assert "re-signed" not in runner.invoke(args=["db", "upgrade"]).output
    assert f"PROBLEM {out.reference} event 1: carries an unkeyed" in runner.invoke(args=["audit", "verify"]).output


def test_concurrent_administrators_keep_one_unbroken_chain(org: Org) -> None:
    """Writers queue on the log's head row: no number is taken twice and the chain verifies."""
    import threading

    from engine.audit.log import Operator, verify_log
    from engine.org import admin

    start = last_seq(org)
    errors: list[BaseException] = []

    def add_units(n: int) -> None:
        try:
            for i in range(3):
                with org.rt.uow() as uow:
                    admin.add_unit(uow, f"T{n}-{i}", f"Đơn vị {n}-{i}", "party_cell", "HU", by=Operator.cli())
        except BaseException as err:  # noqa: BLE001 - reported by the assertion below
            errors.append(err)

    threads = [threading.Thread(target=add_units, args=(n,)) for n in range(4)]
    for t in threads:
        t.start()
    for t in threads:
        t.join()
    assert errors == []
    assert sorted(subject for _, _, subject, _ in log(org, start)) == sorted(f"T{n}-{i}" for n in range(4) for i in range(3))
    with org.rt.read_session() as s:
        assert verify_log(s) == []


def test_first_upgrade_records_existing_accounts_as_the_logs_start(rt, org: Org, monkeypatch: pytest.MonkeyPatch) -> None:
    """A database from before the audit log: its accounts become the baseline; later SQL changes are named."""
    monkeypatch.setenv("PRESSCASE_SECRET_KEY", "test-secret")
    with org.rt.engine.begin() as c:  # as a database migrated from before the log holds it: no events at all
        c.execute(sa_text("DELETE FROM audit_events"))
        c.execute(sa_text("UPDATE audit_head SET seq = 0, hash = :g"), {"g": GENESIS})
    runner = make_app(rt, DATABASE_URL=rt.engine.url.render_as_string(hide_password=False)).test_cli_runner()
    assert runner.invoke(args=["db", "upgrade"]).exit_code == 0
    assert [a for _, a, _, _ in log(org)] == ["audit.rekey", "audit.accounts_baseline"]
    assert "no problems" in runner.invoke(args=["audit", "verify"]).output
    with org.rt.engine.begin() as c:
        c.execute(sa_text("UPDATE users SET active = false WHERE username = 'publisher'"))
    r = runner.invoke(args=["audit", "verify"])
    assert r.exit_code == 1 and "PROBLEM account publisher: it is disabled, but the audit log never disabled it" in r.output
