"""Helpers for the API tests: tokens issued through the engine, and a client that sends one."""

from __future__ import annotations

import base64
from typing import Any

from flask import Flask
from werkzeug.test import TestResponse

from engine.org import api_tokens
from tests.support import Org


def issue_token(org: Org, username: str, **kw: Any) -> str:
    with org.rt.uow() as uow:
        return api_tokens.issue(uow, username, **kw).token


class Api:
    """A test client speaking to /api/v1 with one bearer token (and a language, when given)."""

    def __init__(self, app: Flask, token: str | None, lang: str | None = None) -> None:
        self.client = app.test_client()
        self.headers: dict[str, str] = {}
        if token:
            self.headers["Authorization"] = f"Bearer {token}"
        if lang:
            self.headers["Accept-Language"] = lang

    def get(self, path: str, **kw: Any) -> TestResponse:
        return self.client.get("/api/v1" + path, headers={**self.headers, **kw.pop("headers", {})}, **kw)

    def post(self, path: str, json: Any = None, **kw: Any) -> TestResponse:
        return self.client.post("/api/v1" + path, json=json, headers={**self.headers, **kw.pop("headers", {})}, **kw)


def api_for(app: Flask, org: Org, username: str, lang: str | None = None) -> Api:
    return Api(app, issue_token(org, username), lang)


def b64(content: bytes) -> str:
    return base64.b64encode(content).decode()


def problem(r: TestResponse, status: int, code: str) -> dict[str, Any]:
    """The response is a problem+json of this status and kind; its body."""
    assert r.status_code == status, (r.status_code, r.get_data(as_text=True)[:500])
    assert r.mimetype == "application/problem+json", r.mimetype
    body = r.get_json(force=True)
    assert body["code"] == code and body["status"] == status, body
    assert body["type"] == "urn:presscase:problem:" + code.replace("_", "-")
    return body
