"""The `presscase` command: set a district up by script, draw a workflow, verify the history."""

from __future__ import annotations

import os
import subprocess
import sys
from pathlib import Path

import pytest
from sqlalchemy import select, text

from engine.org.passwords import verify_password
from engine.store.models import User
from tests.support import case_in
from web import create_app


@pytest.fixture
def cli(rt, db_url):
    app = create_app({"TESTING": True, "RUNTIME": rt, "DATABASE_URL": db_url})
    return app.test_cli_runner()


def test_units_and_users_by_script(cli, rt):
    assert cli.invoke(args=["unit", "add", "HU", "Huyện ủy", "--type", "party_committee"]).exit_code == 0
    r = cli.invoke(args=["unit", "add", "BTG", "Ban Tuyên giáo", "--type", "propaganda_department", "--parent", "HU"])
    assert r.exit_code == 0, r.output
    listing = cli.invoke(args=["unit", "list"]).output
    assert "HU" in listing and "  BTG" in listing and "Ban Tuyên giáo" in listing

    r = cli.invoke(args=["user", "add", "thamdinh", "--name", "Nguyễn Thu Hà", "--unit", "BTG", "--role", "assessor",
                         "--password-stdin"], input="mot-mat-khau-dai\n")
    assert r.exit_code == 0, r.output
    assert "mot-mat-khau-dai" not in r.output
    with rt.read_session() as s:
        user = s.scalar(select(User).where(User.username == "thamdinh"))
        assert user.roles == {"assessor"} and user.password_hash.startswith("$argon2")
        assert verify_password(user.password_hash, "mot-mat-khau-dai")
    assert "thamdinh" in cli.invoke(args=["user", "list"]).output

    assert cli.invoke(args=["user", "disable", "thamdinh"]).exit_code == 0
    assert "disabled" in cli.invoke(args=["user", "list"]).output


def test_password_is_prompted_when_not_on_stdin(cli, rt):
    cli.invoke(args=["unit", "add", "BTG", "Ban Tuyên giáo", "--type", "propaganda_department"])
    r = cli.invoke(args=["user", "add", "a.b", "--name", "A B", "--unit", "BTG", "--role", "assessor"],
                   input="mat-khau-123\nmat-khau-123\n")
    assert r.exit_code == 0, r.output
    assert "Password" in r.output


def test_bad_input_gets_a_clear_message_and_exit_status(cli):
    r = cli.invoke(args=["unit", "add", "X", "Đơn vị", "--type", "party_cell", "--parent", "NOPE"])
    assert r.exit_code == 1 and "parent: No such parent unit." in r.output
    r = cli.invoke(args=["user", "add", "x", "--name", "X", "--unit", "NOPE", "--role", "wizard", "--password-stdin"],
                   input="short\n")
    assert r.exit_code == 1
    for words in ("username:", "unit: No such unit.", "roles: Unknown roles: wizard", "password: At least 10"):
        assert words in r.output
    assert "Traceback" not in r.output
    r = cli.invoke(args=["user", "disable", "ghost"])
    assert r.exit_code == 1 and "No user ghost" in r.output


def test_workflow_diagram_as_mermaid(cli, tmp_path):
    out = tmp_path / "press.mmd"
    r = cli.invoke(args=["workflow", "diagram", "press_violation", "--out", str(out)])
    assert r.exit_code == 0, r.output
    body = out.read_text(encoding="utf-8")
    assert body.count("stateDiagram-v2") == 1
    assert 'state "Đã tiếp nhận" as reported' in body
    assert "reported --> assessed: Thẩm định và chuyển xử lý" in body
    english = cli.invoke(args=["workflow", "diagram", "staff_discipline", "--lang", "en"]).output
    assert "verified --> decided: Decide" in english
    assert "press_violation" in cli.invoke(args=["workflow", "list"]).output


def test_workflow_diagram_as_svg_without_any_other_tool(cli, tmp_path):
    out = tmp_path / "press.svg"
    r = cli.invoke(args=["workflow", "diagram", "press_violation", "--out", str(out), "--lang", "en"])
    assert r.exit_code == 0, r.output
    body = out.read_text(encoding="utf-8")
    assert body.startswith("<?xml") and '<svg class="workflow-diagram"' in body and "Assessed" in body


def test_audit_verify_names_the_first_bad_event(cli, org):
    out = case_in(org, "handled")
    r = cli.invoke(args=["audit", "verify"])
    assert r.exit_code == 0 and "checked 1 cases, 3 events and the audit log: no problems" in r.output
    with org.rt.engine.begin() as c:
        c.execute(text("UPDATE case_events SET to_state = 'published' WHERE case_id = :c AND seq = 3"), {"c": out.case_id})
    r = cli.invoke(args=["audit", "verify"])
    assert r.exit_code == 1
    assert f"PROBLEM {out.reference} event 3: content was changed after it was recorded" in r.output


def test_console_script_lists_every_command():
    script = Path(sys.executable).parent / "presscase"
    r = subprocess.run([str(script), "--help"], capture_output=True, text=True, timeout=60)
    assert r.returncode == 0, r.stderr
    for command in ("db", "demo", "unit", "user", "workflow", "audit", "run"):
        assert f"  {command} " in r.stdout, r.stdout


def test_help_creates_no_database_file(tmp_path):
    """Listing the commands must not create an empty SQLite file where the database will later go."""
    script = Path(sys.executable).parent / "presscase"
    db = tmp_path / "not-yet" / "presscase.sqlite3"
    db.parent.mkdir()
    env = {k: v for k, v in os.environ.items() if k != "DATABASE_URL"} | {"DATABASE_URL": f"sqlite:///{db}"}
    r = subprocess.run([str(script), "--help"], capture_output=True, text=True, timeout=60, env=env)
    assert r.returncode == 0, r.stderr
    assert "  db " in r.stdout
    assert not db.exists() and list(db.parent.iterdir()) == []
