"""API tokens: issued and revoked by the CLI and the admin page, stored only hashed, shown once, listed
with their last use, recorded in the audit log; a revoked token, an expired one and a disabled user's
stop at once."""

from __future__ import annotations

import re
from datetime import timedelta

import pytest
from flask import Flask
from sqlalchemy import select

from engine.audit import log as audit_log
from engine.org import admin, api_tokens
from engine.store.api_token_models import ApiToken
from tests.api_support import Api, issue_token
from tests.support import Org
from tests.test_web_fixtures import signed_in, text

pytest_plugins = ["tests.test_web_fixtures"]


def _audit_actions(org: Org) -> list[tuple[str, str]]:
    with org.rt.read_session() as s:
        rows, _total = audit_log.page(s, 1)
    return [(r.action, r.subject) for r in rows]


def test_cli_issues_a_token_shown_once_and_revokes_it(app: Flask, org: Org) -> None:
    cli = app.test_cli_runner()
    r = cli.invoke(args=["token", "issue", "assessor", "--expires", "90d", "--label", "cổng tỉnh"])
    assert r.exit_code == 0, r.output
    token = r.stdout.strip().splitlines()[-1]
    assert token.startswith("pct_")
    with org.rt.read_session() as s:
        row = s.scalar(select(ApiToken))
        assert row.token_hash != token and token not in (row.prefix, row.label)  # only a keyed hash is kept
        assert timedelta(days=89) < row.expires_at - row.created_at <= timedelta(days=90)
    api = Api(app, token)
    assert api.get("/me").get_json()["username"] == "assessor"
    listing = cli.invoke(args=["token", "list"]).output
    assert "assessor" in listing and "active" in listing and token not in listing and "cổng tỉnh" in listing

    r = cli.invoke(args=["token", "revoke", str(row.id)])
    assert r.exit_code == 0 and "revoked" in r.output
    assert api.get("/me").status_code == 401  # at once
    assert "revoked" in cli.invoke(args=["token", "list"]).output
    assert ("api_token.issue", "assessor") in _audit_actions(org) and ("api_token.revoke", "assessor") in _audit_actions(org)


def test_cli_refuses_bad_input_with_a_message(app: Flask, org: Org) -> None:
    cli = app.test_cli_runner()
    r = cli.invoke(args=["token", "issue", "nobody"])
    assert r.exit_code == 1 and "No user" in r.output
    r = cli.invoke(args=["token", "issue", "assessor", "--expires", "soon"])
    assert r.exit_code == 1 and "expires" in r.output
    assert cli.invoke(args=["token", "revoke", "12345"]).exit_code == 1


def test_admin_page_issues_lists_and_revokes(app: Flask, org: Org) -> None:
    w = signed_in(app, "admin")
    r = w.post("/admin/api-tokens", {"username": "handler", "label": "tòa soạn", "expires": "12w"})
    assert r.status_code == 201
    token = re.search(r'<code id="new-token">(pct_[^<]+)</code>', r.get_data(as_text=True)).group(1)  # type: ignore[union-attr]
    assert Api(app, token).get("/me").get_json()["roles"] == ["handler"]
    page = text(w.get("/admin/api-tokens"))
    assert token not in page and token[:12] in page and "tòa soạn" in page  # shown once, then only its prefix
    assert "Dùng lần cuối" in page and "Chưa dùng" not in page  # it was used just now
    with org.rt.read_session() as s:
        token_id = s.scalar(select(ApiToken.id))
    r = w.post(f"/admin/api-tokens/{token_id}/revoke", {})
    assert r.status_code == 302
    assert Api(app, token).get("/me").status_code == 401
    assert "Đã thu hồi" in text(w.get("/admin/api-tokens"))
    r = w.post("/admin/api-tokens", {"username": "handler", "expires": "forever"})
    assert r.status_code == 422 and "90d" in text(r)
    # not an administrator: refused
    assert signed_in(app, "assessor").get("/admin/api-tokens").status_code == 403


def test_a_disabled_users_tokens_stop_at_once_and_an_expired_token_stops(app: Flask, org: Org) -> None:
    token = issue_token(org, "handler")
    api = Api(app, token)
    assert api.get("/me").status_code == 200
    with org.rt.uow() as uow:
        admin.set_active(uow, "handler", False)
    assert api.get("/me").status_code == 401
    with org.rt.uow() as uow:
        admin.set_active(uow, "handler", True)
    assert api.get("/me").status_code == 200  # enabling the account again lets its unrevoked tokens work again
    short = issue_token(org, "assessor", expires_in=timedelta(hours=1))
    assert Api(app, short).get("/me").status_code == 200
    org.rt.clock.advance(hours=1, seconds=1)  # type: ignore[attr-defined]
    assert Api(app, short).get("/me").status_code == 401


def test_last_use_is_written_at_most_once_a_minute(app: Flask, org: Org) -> None:
    token = issue_token(org, "assessor")
    api = Api(app, token)

    def last_use() -> object:
        with org.rt.read_session() as s:
            return s.scalar(select(ApiToken.last_used_at))

    api.get("/me")
    first = last_use()
    assert first == org.rt.clock.now()
    org.rt.clock.advance(seconds=30)  # type: ignore[attr-defined]
    api.get("/me")
    assert last_use() == first
    org.rt.clock.advance(seconds=31)  # type: ignore[attr-defined]
    api.get("/me")
    assert last_use() == org.rt.clock.now()


@pytest.mark.parametrize("text_in, days", [("90d", 90), ("2w", 14), ("36h", 1.5), ("7", 7)])
def test_expiry_durations(text_in: str, days: float) -> None:
    assert api_tokens.parse_duration(text_in) == timedelta(days=days)
