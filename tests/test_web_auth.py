"""Sign-in, sign-out, passwords, cookies, CSRF and disabled accounts, through the real app."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta
from email.utils import parsedate_to_datetime

import pytest
from flask import Flask

from engine.org import admin
from tests.support import Org
from tests.test_web_fixtures import Web, field_error, make_app, signed_in, text

pytest_plugins = ["tests.test_web_fixtures"]


def test_sign_in_lands_on_the_persons_work_and_sign_out_ends_it(web: Web) -> None:
    r = web.login("assessor")
    assert r.status_code == 302
    assert web.get("/").headers["Location"].endswith("/worklist")
    assert web.get("/worklist").status_code == 200
    assert web.post("/logout").status_code == 302
    r = web.get("/worklist")
    assert r.status_code == 302 and "/login" in r.headers["Location"]


def test_wrong_password_is_refused_inline_in_vietnamese(web: Web) -> None:
    r = web.login("assessor", "sai-mat-khau")
    assert r.status_code == 422
    assert field_error(r, "username") == "Tên đăng nhập hoặc mật khẩu không đúng."
    r = web.login("nobody-here", "whatever-long")
    assert field_error(r, "username") == "Tên đăng nhập hoặc mật khẩu không đúng."


def test_disabled_user_cannot_sign_in(web: Web, org: Org) -> None:
    with org.rt.uow() as uow:
        admin.set_active(uow, "reporter", False)
    r = web.login("reporter")
    assert r.status_code == 422
    assert "đã bị khóa" in field_error(r, "username")  # type: ignore[operator]
    assert web.get("/reports").status_code == 302


def test_user_disabled_while_signed_in_is_signed_out_at_next_click(app: Flask, org: Org) -> None:
    w = signed_in(app, "reporter")
    assert w.get("/reports").status_code == 200
    with org.rt.uow() as uow:
        admin.set_active(uow, "reporter", False)
    r = w.get("/reports")
    assert r.status_code == 302 and "/login" in r.headers["Location"]


def test_password_reset_by_admin_ends_other_sessions(app: Flask, org: Org) -> None:
    w = signed_in(app, "reporter")
    with org.rt.uow() as uow:
        admin.set_password(uow, "reporter", "mat-khau-moi-123")
    assert w.get("/reports").status_code == 302


def test_session_cookie_is_httponly_and_samesite_lax_and_not_secure_without_https(web: Web) -> None:
    r = web.login("reporter", remember=True)
    cookies = r.headers.getlist("Set-Cookie")
    session = next(c for c in cookies if c.startswith("session="))
    remember = next(c for c in cookies if c.startswith("remember_token="))
    for c in (session, remember):
        assert "HttpOnly" in c and "SameSite=Lax" in c and "Secure" not in c
    expires = parsedate_to_datetime(remember.split("Expires=")[1].split(";")[0])
    assert expires - datetime.now(UTC) < timedelta(days=3, minutes=5)  # 3 days, not Flask-Login's 365


def test_cookies_are_secure_behind_https(rt, org, monkeypatch: pytest.MonkeyPatch) -> None:  # noqa: ANN001
    monkeypatch.setenv("PRESSCASE_HTTPS", "1")
    monkeypatch.setenv("PRESSCASE_SECRET_KEY", "test-secret")
    https_app = make_app(rt)
    w = Web(https_app)
    w.client.get("/login", base_url="https://localhost")
    token = w.token()
    r = w.client.post("/login", base_url="https://localhost", headers={"Referer": "https://localhost/login"},
                      data={"username": "reporter", "password": "mat-khau-thu-nghiem", "csrf_token": token})
    assert r.status_code == 302
    session = next(c for c in r.headers.getlist("Set-Cookie") if c.startswith("session="))
    assert "Secure" in session


def test_remember_me_keeps_the_person_signed_in_without_the_session(app: Flask) -> None:
    w = Web(app)
    w.login("reporter", remember=True)
    w.client.delete_cookie("session")
    assert w.get("/reports").status_code == 200
    w2 = Web(app)
    w2.login("reporter")
    w2.client.delete_cookie("session")
    assert w2.get("/reports").status_code == 302


def test_change_own_password_checks_the_old_one_and_the_repeat(app: Flask) -> None:
    w = signed_in(app, "reporter")
    r = w.post("/account/password", {"current_password": "sai", "new_password": "abc", "confirm_password": "abd"})
    assert r.status_code == 422
    assert field_error(r, "current_password") == "Mật khẩu hiện tại không đúng."
    assert field_error(r, "confirm_password") == "Hai lần nhập mật khẩu mới không khớp."
    r = w.post("/account/password", {"current_password": "mat-khau-thu-nghiem", "new_password": "ngan",
                                      "confirm_password": "ngan"})  # fmt: skip
    assert field_error(r, "new_password") == "Mật khẩu tối thiểu 10 ký tự."
    r = w.post("/account/password", {"current_password": "mat-khau-thu-nghiem", "new_password": "mật-khẩu-mới-dài",
                                      "confirm_password": "mật-khẩu-mới-dài"})  # fmt: skip
    assert r.status_code == 302
    assert w.get("/reports").status_code == 200  # this session continues with the new password
    assert Web(app).login("reporter").status_code == 422
    assert Web(app).login("reporter", "mật-khẩu-mới-dài").status_code == 302


def test_post_without_csrf_token_is_refused(web: Web) -> None:
    r = web.post("/login", {"username": "reporter", "password": "mat-khau-thu-nghiem"}, csrf=False)
    assert r.status_code == 400
    assert "Phiên làm việc của biểu mẫu" in text(r)
    r = web.post("/login", {"username": "reporter", "password": "mat-khau-thu-nghiem", "csrf_token": "forged"})
    assert r.status_code == 400


def test_next_parameter_never_leaves_the_site(web: Web) -> None:
    web.get("/login")
    for target in ("//evil.example/x", "https://evil.example/", "javascript:alert(1)"):
        w = Web(web.app)
        w.get("/login")
        r = w.post("/login", {"username": "reporter", "password": "mat-khau-thu-nghiem", "next": target})
        assert r.headers["Location"] == "/"
    w = Web(web.app)
    w.get("/login")
    r = w.post("/login", {"username": "reporter", "password": "mat-khau-thu-nghiem", "next": "/reports/new"})
    assert r.headers["Location"] == "/reports/new"


def test_language_is_a_personal_choice(app: Flask) -> None:
    w = signed_in(app, "assessor")
    assert "Việc cần xử lý" in text(w.get("/worklist"))
    assert w.post("/account/language", {"language": "en", "next": "/worklist"}).status_code == 302
    page = text(w.get("/worklist"))
    assert "Worklist" in page and "Việc cần xử lý" not in page
    assert "Việc cần xử lý" in text(signed_in(app, "handler").get("/worklist"))
    w.post("/account/language", {"language": "xx"})
    assert "Worklist" in text(w.get("/worklist"))
