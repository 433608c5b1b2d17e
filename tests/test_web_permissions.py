"""Every role against every page and action: 200, 403, 404, or a redirect to sign-in."""

from __future__ import annotations

import pytest
from flask import Flask

from tests.support import Org, case_in, data_for, load_case
from tests.test_web_fixtures import Web, signed_in

pytest_plugins = ["tests.test_web_fixtures"]

PAGES = ["/reports/new", "/reports", "/worklist", "/overview", "/admin/units", "/admin/users", "/admin/users/new",
         "/admin/workflows", "/account/password"]  # fmt: skip

# Which pages each test user may open (everything else is 403 for a signed-in person).
ALLOWED = {
    "reporter": {"/reports/new", "/reports", "/account/password"},
    "assessor": {"/reports/new", "/reports", "/worklist", "/overview", "/account/password"},  # files correction requests
    "handler": {"/worklist", "/account/password"},
    "publisher": {"/worklist", "/account/password"},
    "leader": {"/reports/new", "/reports", "/worklist", "/account/password"},
    "supervisor": {"/worklist", "/overview", "/account/password"},
    "admin": {"/admin/units", "/admin/users", "/admin/users/new", "/admin/workflows", "/account/password"},
}


@pytest.mark.parametrize("user", sorted(ALLOWED))
def test_each_role_against_each_page(app: Flask, user: str) -> None:
    w = signed_in(app, user)
    for page in PAGES:
        expected = 200 if page in ALLOWED[user] else 403
        assert w.get(page).status_code == expected, (user, page)


def test_anonymous_is_sent_to_sign_in_everywhere(app: Flask, org: Org) -> None:
    out = case_in(org, "reported")
    w = Web(app)
    for page in [*PAGES, f"/cases/{out.case_id}", f"/cases/{out.case_id}/act/assess", "/admin/users/1", "/"]:
        r = w.get(page)
        assert r.status_code == 302 and "/login" in r.headers["Location"], page
    r = w.post(f"/cases/{out.case_id}/act/assess", {"version": 1})
    assert r.status_code == 302 and "/login" in r.headers["Location"]
    assert load_case(org, out.case_id).version == out.version


# (state, trigger): who may fire it (from the definition); every other test user gets 403 or 404.
ACTIONS = {
    ("reported", "request_info"): {"assessor"},
    ("reported", "assess"): {"assessor"},
    ("reported", "dismiss"): {"assessor"},
    ("awaiting_info", "provide_info"): {"reporter"},
    ("assessed", "record_explanation"): {"handler"},
    ("assessed", "handle"): {"handler"},
    ("assessed", "return"): {"handler"},
    ("assessed", "reassign"): {"assessor", "supervisor"},
    ("handled", "publish"): {"publisher"},
    ("handled", "withhold"): {"supervisor"},
    ("dismissed", "reopen"): {"supervisor"},
}


@pytest.mark.parametrize(("state", "trigger"), sorted(ACTIONS))
def test_each_role_against_each_action(app: Flask, org: Org, state: str, trigger: str) -> None:
    """The form (GET) and the action (POST): allowed people get the form; others 403, or 404 if they may not see the case."""
    for user in sorted(ALLOWED):
        out = case_in(org, state)
        w = signed_in(app, user)
        r = w.get(f"/cases/{out.case_id}/act/{trigger}")
        sees = w.get(f"/cases/{out.case_id}").status_code == 200
        if user in ACTIONS[(state, trigger)]:
            assert r.status_code == 200, (user, trigger)
            continue
        assert r.status_code == (403 if sees else 404), (user, trigger, r.status_code)
        data = {k: (v if isinstance(v, list) else str(v)) for k, v in data_for(org, trigger).items()}
        r = w.post(f"/cases/{out.case_id}/act/{trigger}", {"version": out.version, **data})
        assert r.status_code == (403 if sees else 404), (user, trigger, r.status_code)
        assert load_case(org, out.case_id).version == out.version
