"""Administration and files: the last administrator, recovery by command, password rules everywhere,
the demo's password reset, private database files and verified backups."""

from __future__ import annotations

import os
import sqlite3
import stat
import threading
from pathlib import Path

import pytest
from flask import Flask
from sqlalchemy import select, text

from engine.errors import InvalidData
from engine.org import admin
from engine.org.passwords import verify_password
from engine.store import migrate
from engine.store.models import User
from tests.support import PASSWORD, Org, case_in
from tests.test_web_fixtures import Web, field_error, signed_in
from web import create_app

pytest_plugins = ["tests.test_web_fixtures"]

LAST_ADMIN_VI = "Phải luôn còn ít nhất một quản trị hệ thống đang hoạt động."


@pytest.fixture
def cli(rt, db_url):  # noqa: ANN001, ANN201
    return create_app({"TESTING": True, "RUNTIME": rt, "DATABASE_URL": db_url}).test_cli_runner()


def _user(org: Org, username: str) -> User:
    with org.rt.read_session() as s:
        user = s.scalar(select(User).where(User.username == username))
        assert user is not None
        _ = user.roles
        return user


# ------------------------------------------------------------------ the last administrator


def test_the_only_administrator_cannot_remove_their_own_admin_role(app: Flask, org: Org) -> None:
    w = signed_in(app, "admin")
    me = _user(org, "admin")
    r = w.post(f"/admin/users/{me.id}", {"unit": "CNTT", "roles": ["assessor"], "language": "vi"})
    assert r.status_code == 422 and field_error(r, "roles") == LAST_ADMIN_VI
    assert _user(org, "admin").roles == {"admin"}
    assert w.get("/admin/users").status_code == 200


def test_the_only_administrator_cannot_be_disabled_by_page_or_command(app: Flask, org: Org, cli) -> None:  # noqa: ANN001
    with org.rt.uow() as uow:
        admin.add_user(uow, "admin2", "Admin Hai", "CNTT", ["admin"], "mat-khau-quan-tri-2")
    w = Web(app)
    assert w.login("admin2", "mat-khau-quan-tri-2").status_code == 302
    uid = _user(org, "admin").id
    assert w.post(f"/admin/users/{uid}/active", {"active": "0"}).status_code == 302  # another admin remains
    assert not _user(org, "admin").active
    r = cli.invoke(args=["user", "disable", "admin2"])  # the only *active* admin now
    assert r.exit_code == 1 and "At least one active administrator must remain." in r.output
    assert _user(org, "admin2").active
    r = cli.invoke(args=["user", "revoke", "admin2", "admin"])
    assert r.exit_code == 1 and "At least one active administrator must remain." in r.output
    with pytest.raises(InvalidData), org.rt.uow() as uow:
        admin.set_roles(uow, "admin2", ["reporter"])


def test_user_grant_restores_an_administrator_and_revoke_takes_a_role_back(app: Flask, org: Org, cli) -> None:  # noqa: ANN001
    with org.rt.engine.begin() as c:  # the state the probe reached: nobody is an administrator any more
        c.execute(text("DELETE FROM user_roles WHERE role = 'admin'"))
        c.execute(text("INSERT INTO user_roles (user_id, role) SELECT id, 'reporter' FROM users WHERE username = 'admin'"))
    assert signed_in(app, "admin").get("/admin/users").status_code == 403
    r = cli.invoke(args=["user", "grant", "admin", "admin"])
    assert r.exit_code == 0 and "admin: admin, reporter" in r.output
    assert signed_in(app, "admin").get("/admin/users").status_code == 200
    r = cli.invoke(args=["user", "revoke", "admin", "reporter"])
    assert r.exit_code == 0 and _user(org, "admin").roles == {"admin"}
    r = cli.invoke(args=["user", "grant", "admin", "wizard"])
    assert r.exit_code == 1 and "Unknown roles" in r.output
    r = cli.invoke(args=["user", "revoke", "reporter", "admin"])
    assert r.exit_code == 1 and "does not have the role admin" in r.output


# ------------------------------------------------------------------ password rules


WEAK = {
    "12345678": "At least 10 characters.",
    "          ": "A password cannot be only spaces.",
    "password": "At least 10 characters.",
    "1234567890": "This password is too common and easily guessed; choose another.",
    "Password123": "This password is too common and easily guessed; choose another.",
    "qwertyuiop": "This password is too common and easily guessed; choose another.",
    "aaaaaaaaaaaa": "This password is too common and easily guessed; choose another.",
}


def test_weak_passwords_are_refused_when_changing_ones_own(app: Flask) -> None:
    """The probe's accepted changes: 12345678, password, the username and eight spaces."""
    w = signed_in(app, "reporter")
    refused = {"12345678": "Mật khẩu tối thiểu 10 ký tự.", "password": "Mật khẩu tối thiểu 10 ký tự.",
               "reporter": "Mật khẩu tối thiểu 10 ký tự.", "        ": "Mật khẩu không được chỉ gồm khoảng trắng.",
               "reporter-2026": "Mật khẩu không được chứa tên đăng nhập.",
               "1qaz2wsx3edc": "Mật khẩu này quá phổ biến, dễ bị đoán; hãy chọn mật khẩu khác."}  # fmt: skip
    for new, message in refused.items():
        r = w.post("/account/password", {"current_password": PASSWORD, "new_password": new, "confirm_password": new})
        assert r.status_code == 422 and field_error(r, "new_password") == message, new
    assert Web(app).login("reporter").status_code == 302  # the old password still works


def test_weak_passwords_are_refused_on_an_administrators_reset(app: Flask, org: Org) -> None:
    w = signed_in(app, "admin")
    uid = _user(org, "handler").id
    for weak in ("handler-password", "iloveyou123", "          "):
        r = w.post(f"/admin/users/{uid}/password", {"password": weak})
        assert r.status_code == 422 and field_error(r, "password"), weak
    assert w.post(f"/admin/users/{uid}/password", {"password": "bien-ban-so-7-phong-tho"}).status_code == 302


def test_weak_passwords_are_refused_by_user_add_and_user_password(cli, org: Org) -> None:  # noqa: ANN001
    for weak, message in WEAK.items():
        r = cli.invoke(args=["user", "add", "cb.moi", "--name", "Cán bộ mới", "--unit", "CB-MS", "--role", "reporter",
                             "--password-stdin"], input=weak + "\n")  # fmt: skip
        assert r.exit_code == 1 and f"password: {message}" in r.output, weak
        r = cli.invoke(args=["user", "password", "reporter", "--password-stdin"], input=weak + "\n")
        assert r.exit_code == 1 and f"password: {message}" in r.output, weak
    r = cli.invoke(args=["user", "password", "reporter", "--password-stdin"], input="reporter-moi-2026\n")
    assert r.exit_code == 1 and "cannot contain the username" in r.output
    r = cli.invoke(args=["user", "password", "reporter", "--password-stdin"], input="nui-cao-suoi-sau-29\n")
    assert r.exit_code == 0
    assert verify_password(_user(org, "reporter").password_hash, "nui-cao-suoi-sau-29")


# ------------------------------------------------------------------ the demo


def test_demo_new_passwords_refuses_a_database_with_real_accounts(cli, rt) -> None:  # noqa: ANN001
    r = cli.invoke(args=["demo", "--cases", "0"])
    assert r.exit_code == 0, r.output
    with rt.read_session() as s:
        before = s.scalar(select(User.password_hash).where(User.username == "quantri"))
    r = cli.invoke(args=["demo", "--new-passwords"])
    assert r.exit_code == 0 and "quantri" in r.output  # only the demo: fresh passwords
    with rt.read_session() as s:
        assert s.scalar(select(User.password_hash).where(User.username == "quantri")) != before
    with rt.uow() as uow:
        admin.add_user(uow, "nguoi.that", "Người thật", "BTG", ["assessor"], "mat-khau-nguoi-that")
    with rt.read_session() as s:
        before = s.scalar(select(User.password_hash).where(User.username == "quantri"))
    r = cli.invoke(args=["demo", "--new-passwords"])
    assert r.exit_code == 1 and "refusing to reset passwords" in r.output
    with rt.read_session() as s:
        assert s.scalar(select(User.password_hash).where(User.username == "quantri")) == before


# ------------------------------------------------------------------ files


def _mode(path: Path) -> int:
    return stat.S_IMODE(path.stat().st_mode)


def test_a_new_sqlite_database_and_its_wal_are_readable_by_the_owner_only(tmp_path: Path) -> None:
    db = tmp_path / "presscase.sqlite3"
    migrate.upgrade(f"sqlite:///{db}")
    from engine.cases.uow import Runtime

    rt = Runtime.from_url(f"sqlite:///{db}")
    with rt.uow() as uow:
        admin.add_unit(uow, "HU", "Huyện ủy", "party_committee")
    con = rt.engine.connect()  # keeps the WAL and shared-memory files in place
    try:
        for path in (db, Path(f"{db}-wal"), Path(f"{db}-shm")):
            assert path.exists() and _mode(path) == 0o600, path
    finally:
        con.close()
        rt.engine.dispose()


def test_a_database_left_world_readable_is_narrowed_at_start(tmp_path: Path) -> None:
    db = tmp_path / "old.sqlite3"
    sqlite3.connect(db).close()
    os.chmod(db, 0o644)
    from engine.store.db import make_engine

    eng = make_engine(f"sqlite:///{db}")
    with eng.connect():
        pass
    eng.dispose()
    assert _mode(db) == 0o600


# ------------------------------------------------------------------ backup


def test_backup_of_a_live_sqlite_database_is_consistent_private_and_verified(cli, org: Org, db_url: str,
                                                                            tmp_path: Path) -> None:  # fmt: skip
    if not db_url.startswith("sqlite"):
        r = cli.invoke(args=["backup", "--out", str(tmp_path / "x.sqlite3")])
        assert r.exit_code == 1 and "pg_dump --format=custom" in r.output and "pg_restore" in r.output
        assert not (tmp_path / "x.sqlite3").exists()
        return
    for _ in range(3):
        case_in(org, "handled")
    stop = threading.Event()

    def keep_writing() -> None:  # a reporter filing while the backup runs
        while not stop.is_set():
            case_in(org, "reported")

    writer = threading.Thread(target=keep_writing)
    writer.start()
    try:
        out = tmp_path / "backup.sqlite3"
        r = cli.invoke(args=["backup", "--out", str(out)])
    finally:
        stop.set()
        writer.join()
    assert r.exit_code == 0, r.output
    assert "integrity check: ok" in r.output and "all chains intact" in r.output
    assert _mode(out) == 0o600
    assert not Path(f"{out}-wal").exists()  # one self-contained file
    with sqlite3.connect(out) as copy:
        n = copy.execute("SELECT count(*) FROM cases").fetchone()[0]
        events = copy.execute("SELECT count(*) FROM case_events").fetchone()[0]
        recorded = copy.execute("SELECT sum(event_count) FROM cases").fetchone()[0]
    assert n >= 3 and f"checked {n} cases" in r.output
    assert events == recorded  # no case caught half-written

    again = cli.invoke(args=["backup", "--out", str(out)])
    assert again.exit_code == 1 and "exists already" in again.output

    with sqlite3.connect(out) as copy:  # a tampered copy is reported, not trusted
        copy.execute("UPDATE case_events SET to_state = 'published' WHERE seq = 2")
    from engine.store.backup import verify_copy

    report = verify_copy(out)
    assert not report.ok and report.problems
