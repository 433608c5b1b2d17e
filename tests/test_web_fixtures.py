"""Fixtures and a small client for the web tests: the real app over the `rt` runtime (SQLite and PostgreSQL).

CSRF stays ON in these tests: every POST carries the token a real page handed out, exactly as a
browser would, so a test that forgets it fails like a forged request would.
"""

from __future__ import annotations

import html
import re
from collections.abc import Iterator
from typing import Any

import pytest
from flask import Flask
from flask.testing import FlaskClient
from werkzeug.test import TestResponse

from engine.cases.uow import Runtime
from tests.support import PASSWORD, Org

CSRF_RE = re.compile(r'name="csrf_token" value="([^"]+)"')
PNG = bytes.fromhex(
    "89504e470d0a1a0a0000000d4948445200000001000000010806000000"
    "1f15c4890000000d49444154789c6360000002000100e221bc330000000049454e44ae426082"
)


def make_app(rt: Runtime, **extra: Any) -> Flask:
    from web import create_app

    return create_app({"TESTING": True, "RUNTIME": rt, "SECRET_KEY": "test-secret", **extra})


@pytest.fixture
def app(rt: Runtime, org: Org, monkeypatch: pytest.MonkeyPatch) -> Iterator[Flask]:
    monkeypatch.setenv("PRESSCASE_SECRET_KEY", "test-secret")  # never write a key into the instance folder
    yield make_app(rt)


class Web:
    """A test client that signs in through the real form and posts with the page's CSRF token."""

    def __init__(self, app: Flask) -> None:
        self.app = app
        self.client: FlaskClient = app.test_client()
        self._token: str | None = None

    def get(self, url: str, **kw: Any) -> TestResponse:
        r = self.client.get(url, **kw)
        m = CSRF_RE.search(r.get_data(as_text=True)) if r.mimetype == "text/html" else None
        if m:
            self._token = m.group(1)
        return r

    def token(self) -> str:
        if self._token is None:
            self.get("/login")
        assert self._token, "no CSRF token found on the page"
        return self._token

    def post(self, url: str, data: dict[str, Any] | None = None, *, csrf: bool = True, **kw: Any) -> TestResponse:
        data = dict(data or {})
        if csrf:
            data.setdefault("csrf_token", self.token())
        return self.client.post(url, data=data, **kw)

    def login(self, username: str, password: str = PASSWORD, remember: bool = False) -> TestResponse:
        self.get("/login")
        data = {"username": username, "password": password}
        if remember:
            data["remember"] = "1"
        r = self.post("/login", data)
        self.get("/account/password")  # a page with a form: refreshes the token for the signed-in session
        return r


def text(r: TestResponse) -> str:
    return html.unescape(r.get_data(as_text=True))


def field_error(r: TestResponse, name: str) -> str | None:
    """The inline error shown beside field `name`, or None."""
    m = re.search(rf'<p class="error" id="f-{re.escape(name)}-err">([^<]*)</p>', r.get_data(as_text=True))
    return html.unescape(m.group(1)) if m else None


@pytest.fixture
def web(app: Flask) -> Web:
    return Web(app)


def signed_in(app: Flask, username: str) -> Web:
    w = Web(app)
    r = w.login(username)
    assert r.status_code == 302, f"sign-in of {username} failed: {r.status_code}"
    return w
