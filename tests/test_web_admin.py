"""Administration: units, users (create, disable/enable, reset password, roles, unit, language), workflows."""

from __future__ import annotations

from flask import Flask
from sqlalchemy import select

from engine.store.models import Unit, User
from tests.support import Org
from tests.test_versioning import CURRENT
from tests.test_web_fixtures import Web, field_error, signed_in, text
from workflows import load_all

pytest_plugins = ["tests.test_web_fixtures"]


def _user(org: Org, username: str) -> User:
    with org.rt.read_session() as s:
        user = s.scalar(select(User).where(User.username == username))
        assert user is not None
        _ = user.roles, user.unit
        return user


def test_unit_tree_and_adding_a_unit(app: Flask, org: Org) -> None:
    w = signed_in(app, "admin")
    page = text(w.get("/admin/units"))
    assert "Huyện ủy Phong Thổ" in page and "Đảng bộ xã Mường So" in page
    r = w.post("/admin/units", {"code": "CB-MS", "name": "", "type": "party_cell", "parent": "NOPE"})
    assert r.status_code == 422
    assert field_error(r, "code") == "Mã đơn vị đã tồn tại."
    assert field_error(r, "name") == "Bắt buộc nhập."
    assert field_error(r, "parent") == "Không tìm thấy đơn vị cấp trên."
    r = w.post("/admin/units", {"code": "CB-BL", "name": "Đảng bộ xã Bản Lang", "type": "party_cell", "parent": "HU"})
    assert r.status_code == 302
    assert "Đảng bộ xã Bản Lang" in text(w.get("/admin/units"))
    with org.rt.read_session() as s:
        assert s.scalar(select(Unit.name).where(Unit.code == "CB-BL")) == "Đảng bộ xã Bản Lang"


def test_creating_a_user_with_errors_then_right(app: Flask, org: Org) -> None:
    w = signed_in(app, "admin")
    r = w.post("/admin/users/new", {"username": "A B", "full_name": "", "unit": "NOPE", "roles": ["wizard"],
                                     "password": "short", "language": "fr", "email": "not-mail"})  # fmt: skip
    assert r.status_code == 422
    for name in ("username", "full_name", "unit", "roles", "password", "language", "email"):
        assert field_error(r, name), name
    assert field_error(r, "password") == "Mật khẩu tối thiểu 10 ký tự."
    r = w.post("/admin/users/new", {"username": "cb.banlang", "full_name": "Giàng A Páo", "unit": "CB-MS",
                                     "roles": ["reporter"], "password": "mat-khau-ban-dau", "language": "en"})  # fmt: skip
    assert r.status_code == 302
    new = Web(app)
    assert new.login("cb.banlang", "mat-khau-ban-dau").status_code == 302
    assert "My unit's reports" in text(new.get("/reports"))


def test_disable_enable_reset_and_edit(app: Flask, org: Org) -> None:
    w = signed_in(app, "admin")
    victim = signed_in(app, "handler")
    uid = _user(org, "handler").id
    assert w.post(f"/admin/users/{uid}/active", {"active": "0"}).status_code == 302
    assert not _user(org, "handler").active
    assert victim.get("/worklist").status_code == 302  # signed out at the next click
    assert Web(app).login("handler").status_code == 422
    w.post(f"/admin/users/{uid}/active", {"active": "1"})
    assert _user(org, "handler").active

    r = w.post(f"/admin/users/{uid}/password", {"password": "ngan"})
    assert r.status_code == 422 and field_error(r, "password") == "Mật khẩu tối thiểu 10 ký tự."
    assert w.post(f"/admin/users/{uid}/password", {"password": "mat-khau-moi-1"}).status_code == 302
    assert Web(app).login("handler", "mat-khau-moi-1").status_code == 302

    r = w.post(f"/admin/users/{uid}", {"unit": "CA", "roles": ["handler", "assessor"], "language": "en"})
    assert r.status_code == 302
    u = _user(org, "handler")
    assert (u.unit.code, u.roles, u.language) == ("CA", frozenset({"handler", "assessor"}), "en")
    r = w.post(f"/admin/users/{uid}", {"unit": "CA", "roles": [], "language": "en"})
    assert r.status_code == 422 and field_error(r, "roles")
    r = w.post(f"/admin/users/{uid}", {"unit": "NOPE", "roles": ["handler"], "language": "en"})
    assert r.status_code == 422 and field_error(r, "unit") == "Không tìm thấy đơn vị."
    assert w.get("/admin/users/999999").status_code == 404


def test_admin_cannot_disable_themselves(app: Flask, org: Org) -> None:
    w = signed_in(app, "admin")
    uid = _user(org, "admin").id
    w.post(f"/admin/users/{uid}/active", {"active": "0"})
    assert _user(org, "admin").active
    assert w.get("/admin/users").status_code == 200


def test_workflow_definitions_with_versions_and_diagrams(app: Flask, org: Org) -> None:
    page = text(signed_in(app, "admin").get("/admin/workflows"))
    assert "Phản ánh vi phạm báo chí" in page and "press_violation" in page and f"phiên bản {CURRENT}" in page
    assert "staff_discipline" in page
    assert page.count('<svg class="workflow-diagram"') == len(load_all()) and "Đã tiếp nhận" in page  # drawn on the server, no script


def test_the_english_admin_menu_says_units(app: Flask, org: Org) -> None:
    """The menu's "Đơn vị" has its own context ("Units"), apart from the form label "Unit"."""
    w = signed_in(app, "admin")
    assert w.post("/account/language", {"language": "en"}).status_code in (302, 303)
    page = text(w.get("/admin/users"))
    assert 'href="/admin/units">Units</a>' in page
