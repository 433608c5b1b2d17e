"""Sign-in and sessions under attack: throttling, lockout, bounded hashing, sessions that end on the server.

Each test is a concrete finding of the hardening probe, replayed against the real app.
"""

from __future__ import annotations

import threading
import time
from typing import Any

import pytest
from argon2 import PasswordHasher
from flask import Flask
from sqlalchemy import select

from engine.audit.accounts import password_fingerprint
from engine.org import passwords
from engine.store.audit_models import AuditEvent
from engine.store.models import User
from engine.time.clock import FrozenClock
from tests.support import PASSWORD, Org
from tests.test_web_fixtures import Web, field_error, make_app, signed_in, text

pytest_plugins = ["tests.test_web_fixtures"]


def _from(address: str) -> dict[str, Any]:
    return {"environ_base": {"REMOTE_ADDR": address}}


def _login_from(app: Flask, username: str, password: str, address: str) -> Any:
    w = Web(app)
    w.client.environ_base["REMOTE_ADDR"] = address
    return w.login(username, password)


def _user(org: Org, username: str) -> User:
    with org.rt.read_session() as s:
        user = s.scalar(select(User).where(User.username == username))
        assert user is not None
        return user


# ------------------------------------------------------------------ throttling


def test_correct_password_after_many_wrong_ones_is_refused_until_the_lockout_ends(app: Flask, org: Org,
                                                                                  clock: FrozenClock) -> None:  # fmt: skip
    """The probe's 50 wrong passwords then the right one: now the account locks after 10, from any address."""
    for i in range(10):
        assert _login_from(app, "assessor", f"doan-sai-{i}-xyz", f"10.0.0.{i}").status_code == 422
    r = _login_from(app, "assessor", PASSWORD, "10.0.1.1")
    assert r.status_code == 429
    assert "tạm khóa do nhập sai mật khẩu nhiều lần" in text(r) and "15 phút" in text(r)
    assert int(r.headers["Retry-After"]) == 15 * 60
    assert _user(org, "assessor").failed_logins == 10  # a locked account verifies (and counts) nothing more
    assert _login_from(app, "handler", PASSWORD, "10.0.1.1").status_code == 302  # other accounts unaffected
    clock.advance(minutes=15)
    assert _login_from(app, "assessor", PASSWORD, "10.0.1.1").status_code == 302
    assert _user(org, "assessor").failed_logins == 0


def test_lockout_is_shared_by_every_process(rt, org: Org, monkeypatch: pytest.MonkeyPatch) -> None:  # noqa: ANN001
    """Two app instances (two processes' worth of memory) over one database share the account's count."""
    monkeypatch.setenv("PRESSCASE_SECRET_KEY", "test-secret")
    one, two = make_app(rt), make_app(rt)
    for i in range(5):
        assert _login_from(one, "publisher", f"sai-mot-{i}-abc", "10.1.0.1").status_code == 422
        assert _login_from(two, "publisher", f"sai-hai-{i}-abc", "10.2.0.1").status_code == 422
    assert _login_from(one, "publisher", PASSWORD, "10.3.0.1").status_code == 429
    assert _login_from(two, "publisher", PASSWORD, "10.3.0.1").status_code == 429


def test_concurrent_guesses_cannot_exceed_the_account_limit(app: Flask, org: Org) -> None:
    """Attempts are charged before the password is verified, so a burst cannot slip past the count."""
    codes: list[int] = []

    def guess(i: int) -> None:
        codes.append(_login_from(app, "supervisor", f"song-song-{i}-abc", f"10.4.0.{i}").status_code)

    threads = [threading.Thread(target=guess, args=(i,)) for i in range(16)]
    for t in threads:
        t.start()
    for t in threads:
        t.join()
    assert codes.count(422) == 10 and codes.count(429) == 6
    assert _user(org, "supervisor").failed_logins == 10


def test_failed_sign_ins_from_one_address_are_answered_429_in_the_persons_language(rt, org: Org,
                                                                                    monkeypatch: pytest.MonkeyPatch) -> None:  # noqa: ANN001
    monkeypatch.setenv("PRESSCASE_SECRET_KEY", "test-secret")
    app = make_app(rt, LOGIN_RATE_LIMIT="3 per minute")
    names = ["reporter", "handler", "assessor"]
    for name in names:
        assert _login_from(app, name, "sai-mat-khau-abc", "192.0.2.7").status_code == 422
    r = _login_from(app, "publisher", PASSWORD, "192.0.2.7")  # even a right password: the address waits
    assert r.status_code == 429 and r.headers["Retry-After"]
    assert field_error(r, "username") == "Quá nhiều lần đăng nhập không thành công từ địa chỉ này. Vui lòng thử lại sau ít phút."
    w = Web(app)
    w.client.environ_base["REMOTE_ADDR"] = "192.0.2.7"
    w.get("/login?lang=en")
    r = w.post("/login", {"username": "publisher", "password": PASSWORD})
    assert r.status_code == 429
    assert "Too many failed sign-ins from this address" in text(r)
    assert _login_from(app, "publisher", PASSWORD, "192.0.2.8").status_code == 302  # another address is not held up


def test_guessing_the_current_password_on_the_change_form_is_throttled_too(rt, org: Org,
                                                                           monkeypatch: pytest.MonkeyPatch) -> None:  # noqa: ANN001
    """A stolen session must not become an unthrottled oracle for the account's password."""
    monkeypatch.setenv("PRESSCASE_SECRET_KEY", "test-secret")
    w = signed_in(make_app(rt, LOGIN_RATE_LIMIT="3 per minute"), "reporter")
    new = "mot-mat-khau-moi-rat-dai"
    codes = [w.post("/account/password", {"current_password": f"doan-{i}-sai", "new_password": new,
                                          "confirm_password": new}).status_code for i in range(4)]  # fmt: skip
    assert codes == [422, 422, 422, 429]
    r = w.post("/account/password", {"current_password": PASSWORD, "new_password": new, "confirm_password": new})
    assert r.status_code == 429 and r.headers["Retry-After"]
    assert "Bạn đã gửi quá nhiều yêu cầu" in text(r)


def test_successful_sign_ins_do_not_use_up_an_offices_address(rt, org: Org, monkeypatch: pytest.MonkeyPatch) -> None:  # noqa: ANN001
    """A district office signs many people in from one address: only failures count."""
    monkeypatch.setenv("PRESSCASE_SECRET_KEY", "test-secret")
    app = make_app(rt, LOGIN_RATE_LIMIT="3 per minute")
    for _ in range(6):
        assert _login_from(app, "reporter", PASSWORD, "192.0.2.9").status_code == 302


def test_behind_the_proxy_the_clients_address_is_throttled_not_the_proxys(rt, org: Org,
                                                                          monkeypatch: pytest.MonkeyPatch) -> None:  # noqa: ANN001
    monkeypatch.setenv("PRESSCASE_SECRET_KEY", "test-secret")
    monkeypatch.setenv("PRESSCASE_HTTPS", "1")
    app = make_app(rt, LOGIN_RATE_LIMIT="2 per minute")

    def attempt(client_ip: str, password: str) -> int:
        c = app.test_client()
        base = "https://localhost"
        headers = {"X-Forwarded-For": client_ip, "X-Forwarded-Proto": "https", "Referer": base + "/login"}
        page = c.get("/login", base_url=base, headers=headers).get_data(as_text=True)
        token = page.split('name="csrf_token" value="')[1].split('"')[0]
        return c.post("/login", base_url=base, headers=headers,
                      data={"username": "reporter", "password": password, "csrf_token": token}).status_code  # fmt: skip

    assert [attempt("203.0.113.5", "sai-mat-khau-abc") for _ in range(3)] == [422, 422, 429]
    assert attempt("203.0.113.6", PASSWORD) == 302  # same proxy, another client


def test_sign_in_rehashes_a_hash_made_with_old_parameters(app: Flask, org: Org) -> None:
    old = PasswordHasher(time_cost=1, memory_cost=8, parallelism=1, hash_len=16, salt_len=8).hash(PASSWORD)
    assert passwords.needs_rehash(old)
    with org.rt.uow() as uow:
        uow.session.scalar(select(User).where(User.username == "reporter")).password_hash = old  # type: ignore[union-attr]
        uow.commit()
    assert Web(app).login("reporter").status_code == 302
    new = _user(org, "reporter").password_hash
    assert new != old and not passwords.needs_rehash(new) and passwords.verify_password(new, PASSWORD)
    # The new hash is recorded in the audit log, so `audit verify` tells it from a hash swapped by SQL.
    with org.rt.read_session() as s:
        last = s.scalars(select(AuditEvent).where(AuditEvent.subject == "reporter").order_by(AuditEvent.seq.desc())).first()
        assert last is not None and last.action == "user.password_rehash"
        assert last.data["password"] == password_fingerprint(s, new)


def test_no_more_hashes_run_at_once_than_the_slots(monkeypatch: pytest.MonkeyPatch) -> None:
    """64 MiB each: a burst of sign-ins waits for a slot instead of allocating a hash per thread."""
    running, peak = [0], [0]
    lock = threading.Lock()

    class SlowHasher:
        def hash(self, password: str) -> str:
            with lock:
                running[0] += 1
                peak[0] = max(peak[0], running[0])
            time.sleep(0.05)
            with lock:
                running[0] -= 1
            return "h"

    monkeypatch.setattr(passwords, "_hasher", SlowHasher())
    monkeypatch.setattr(passwords, "_slots", threading.BoundedSemaphore(2))
    threads = [threading.Thread(target=passwords.hash_password, args=("x",)) for _ in range(8)]
    for t in threads:
        t.start()
    for t in threads:
        t.join()
    assert peak[0] == 2


def test_a_saturated_server_answers_503_with_a_message_not_a_queue(app: Flask, monkeypatch: pytest.MonkeyPatch) -> None:
    slots = threading.BoundedSemaphore(1)
    monkeypatch.setattr(passwords, "_slots", slots)
    monkeypatch.setattr(passwords, "WAIT_S", 0.2)
    slots.acquire()  # every slot busy
    try:
        r = Web(app).login("reporter")
    finally:
        slots.release()
    assert r.status_code == 503
    assert "Máy chủ đang bận" in text(r)


# ------------------------------------------------------------------ sessions


def test_a_session_cookie_captured_before_sign_out_no_longer_works(app: Flask) -> None:
    w = signed_in(app, "assessor")
    stolen = w.client.get_cookie("session").value  # type: ignore[union-attr]
    assert w.post("/logout").status_code == 302
    thief = app.test_client()
    thief.set_cookie("session", stolen)
    r = thief.get("/worklist")
    assert r.status_code == 302 and "/login" in r.headers["Location"]


def test_a_remember_cookie_captured_before_sign_out_no_longer_works(app: Flask) -> None:
    w = Web(app)
    w.login("assessor", remember=True)
    stolen = w.client.get_cookie("remember_token").value  # type: ignore[union-attr]
    thief = app.test_client()
    thief.set_cookie("remember_token", stolen)
    assert thief.get("/worklist").status_code == 200  # the cookie works while the person is signed in
    w.post("/logout")
    thief = app.test_client()
    thief.set_cookie("remember_token", stolen)
    r = thief.get("/worklist")
    assert r.status_code == 302 and "/login" in r.headers["Location"]


def test_changing_ones_password_signs_out_every_other_browser(app: Flask) -> None:
    here, there = signed_in(app, "reporter"), signed_in(app, "reporter")
    new = "mot-mat-khau-moi-rat-dai"
    r = here.post("/account/password", {"current_password": PASSWORD, "new_password": new, "confirm_password": new})
    assert r.status_code == 302
    assert here.get("/reports").status_code == 200
    assert there.get("/reports").status_code == 302


def test_disabling_ends_the_sessions_and_remember_cookies(app: Flask, org: Org) -> None:
    from engine.org import admin

    w = Web(app)
    w.login("handler", remember=True)
    stolen = w.client.get_cookie("remember_token").value  # type: ignore[union-attr]
    with org.rt.uow() as uow:
        admin.set_active(uow, "handler", False)
    with org.rt.uow() as uow:
        admin.set_active(uow, "handler", True)
    thief = app.test_client()
    thief.set_cookie("remember_token", stolen)
    assert thief.get("/worklist").status_code == 302  # re-enabling does not revive old cookies


def test_the_csrf_token_is_rotated_at_sign_in(app: Flask) -> None:
    w = Web(app)
    w.get("/login")
    before = w.token()
    w.post("/login", {"username": "reporter", "password": PASSWORD})
    r = w.client.post("/account/language", data={"language": "en", "csrf_token": before})
    assert r.status_code == 400  # the token from before sign-in no longer works
    w.get("/account/password")
    assert w.token() != before
    assert w.post("/account/language", {"language": "en"}).status_code == 302


def test_cookies_carry_no_fragment_of_the_password_hash(app: Flask, org: Org) -> None:
    from flask_login.utils import decode_cookie

    w = Web(app)
    w.login("reporter", remember=True)
    secret_part = _user(org, "reporter").password_hash.rsplit("$", 1)[-1]
    serializer = app.session_interface.get_signing_serializer(app)  # type: ignore[attr-defined]
    session = serializer.loads(w.client.get_cookie("session").value)  # type: ignore[union-attr]
    with app.test_request_context():
        remember = decode_cookie(w.client.get_cookie("remember_token").value)  # type: ignore[union-attr]
    for value in (str(session), str(remember)):
        assert not any(secret_part[i:i + 6] in value for i in range(len(secret_part) - 5))
    assert remember == f"{_user(org, 'reporter').id}.{_user(org, 'reporter').session_generation}"


# ------------------------------------------------------------------ headers and links


PRIVATE_PAGES = {
    "reporter": ["/reports", "/reports/new", "/inbox", "/account/password"],
    "assessor": ["/worklist", "/overview", "/dashboard", "/dashboard/report?period=2026", "/cong-khai"],
    "admin": ["/admin/users", "/admin/units", "/admin/workflows"],
}


def test_every_signed_in_page_says_no_store(app: Flask, org: Org) -> None:
    from tests.support import file

    case_id = file(org).case_id
    for who, pages in PRIVATE_PAGES.items():
        w = signed_in(app, who)
        for url in pages + ([f"/cases/{case_id}"] if who == "assessor" else []):
            r = w.get(url)
            assert r.status_code == 200, url
            assert "no-store" in r.headers["Cache-Control"], url
    anonymous = app.test_client()
    assert "no-store" in anonymous.get("/login").headers["Cache-Control"]
    assert "public" in anonymous.get("/cong-khai").headers["Cache-Control"]  # the public register stays cacheable
    assert "Strict-Transport-Security" not in anonymous.get("/login").headers


def test_hsts_behind_https(rt, org: Org, monkeypatch: pytest.MonkeyPatch) -> None:  # noqa: ANN001
    monkeypatch.setenv("PRESSCASE_SECRET_KEY", "test-secret")
    monkeypatch.setenv("PRESSCASE_HTTPS", "1")
    r = make_app(rt).test_client().get("/login", base_url="https://localhost")
    assert r.headers["Strict-Transport-Security"].startswith("max-age=")


def test_links_in_the_feed_and_json_ignore_a_forged_host(rt, org: Org, monkeypatch: pytest.MonkeyPatch) -> None:  # noqa: ANN001
    from tests.support import case_in

    case_in(org, "published")
    monkeypatch.setenv("PRESSCASE_SECRET_KEY", "test-secret")
    monkeypatch.setenv("PRESSCASE_BASE_URL", "https://presscase.example.gov.vn/")
    monkeypatch.setenv("PRESSCASE_HTTPS", "1")  # with the proxy trusted: X-Forwarded-Host must still not count
    c = make_app(rt).test_client()
    forged = {"Host": "evil.example", "X-Forwarded-Host": "evil2.example", "X-Forwarded-Proto": "https"}
    for url in ("/cong-khai/feed.atom", "/cong-khai.json"):
        body = c.get(url, headers=forged).get_data(as_text=True)
        assert "evil" not in body, url
        assert "https://presscase.example.gov.vn/cong-khai" in body, url
