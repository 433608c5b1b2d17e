"""Every kind of API error: RFC 9457 problem+json with its stable type, field errors, and the message in
Vietnamese or English by Accept-Language; never a 5xx for bad input."""

from __future__ import annotations

import pytest
from flask import Flask

from engine.org import admin
from tests.api_support import Api, api_for, b64, issue_token, problem
from tests.support import REPORT, Org, case_in, data_for, load_case
from tests.test_web_fixtures import make_app

pytest_plugins = ["tests.test_web_fixtures"]


def test_unauthorized_without_or_with_a_wrong_token(app: Flask, org: Org) -> None:
    body = problem(Api(app, None).get("/cases"), 401, "unauthorized")
    assert body["title"] == "Cần khóa API hợp lệ"  # Vietnamese by default
    r = Api(app, "pct_" + "x" * 43, "en").get("/cases")
    body = problem(r, 401, "unauthorized")
    assert body["title"] == "A valid API token is required" and r.headers["Content-Language"] == "en"
    assert "invalid_token" in r.headers["WWW-Authenticate"]


def test_a_signed_in_browser_cookie_does_not_authorise_the_api(app: Flask, org: Org) -> None:
    from tests.test_web_fixtures import signed_in

    w = signed_in(app, "assessor")
    r = w.client.get("/api/v1/cases")
    problem(r, 401, "unauthorized")


def test_invalid_data_names_each_field_in_the_callers_language(app: Flask, org: Org) -> None:
    en = api_for(app, org, "reporter", "en")
    body = problem(en.post("/reports", {"data": {**REPORT, "violation_kind": "nope", "subject_name": ""}}), 422, "invalid_data")
    errors = {e["field"]: e["detail"] for e in body["errors"]}
    assert errors == {"violation_kind": "Not one of the allowed values.", "subject_name": "Required."}
    vi = api_for(app, org, "reporter", "vi-VN,vi;q=0.9")
    body = problem(vi.post("/reports", {"data": {**REPORT, "subject_name": ""}}), 422, "invalid_data")
    assert body["errors"] == [{"field": "subject_name", "detail": "Bắt buộc nhập."}] and body["title"] == "Dữ liệu không hợp lệ"
    # the request's own shape: a missing version, an unknown member
    body = problem(en.post("/cases/1/actions/assess", {"data": {}, "colour": "red"}), 422, "invalid_data")
    assert {e["field"] for e in body["errors"]} == {"version", "colour"}
    body = problem(en.get("/cases?per_page=1000&sort=sideways"), 422, "invalid_data")
    assert {e["field"] for e in body["errors"]} == {"per_page", "sort"}
    body = problem(en.post("/reports", {"data": REPORT, "evidence": [{"filename": "a.png", "content_base64": "%%%"}]}),
                   422, "invalid_data")
    assert body["errors"][0]["field"] == "evidence.0.content_base64"


def test_malformed_json_other_media_types_and_unknown_paths(app: Flask, org: Org) -> None:
    api = api_for(app, org, "reporter", "en")
    problem(api.client.post("/api/v1/reports", data=b"{not json", content_type="application/json", headers=api.headers),
            400, "bad_request")
    problem(api.client.post("/api/v1/reports", data={"data": "x"}, headers=api.headers), 415, "unsupported_media_type")
    problem(api.get("/no/such/path"), 404, "not_found")
    problem(api.client.delete("/api/v1/cases", headers=api.headers), 405, "method_not_allowed")
    problem(api.get("/cases/99999999999"), 404, "not_found")
    problem(api.get("/definitions/no_such_workflow"), 404, "not_found")
    problem(api.post("/cases/1/actions/no_such_action", {"version": 1}), 404, "not_found")


def test_payload_too_large(rt: object, org: Org, monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("PRESSCASE_SECRET_KEY", "test-secret")
    app = make_app(org.rt, MAX_CONTENT_LENGTH=1000)
    api = api_for(app, org, "reporter")
    problem(api.post("/reports", {"data": {**REPORT, "description": "x" * 5000}}), 413, "payload_too_large")


def test_not_permitted_not_available_and_a_case_that_is_not_yours_to_see(app: Flask, org: Org) -> None:
    out = case_in(org, "reported")
    reporter = api_for(app, org, "reporter", "en")
    body = problem(reporter.post(f"/cases/{out.case_id}/actions/assess", {"version": out.version,
                                                                           "data": data_for(org, "assess")}), 403, "not_permitted")
    assert body["detail"]
    assessor = api_for(app, org, "assessor", "en")
    problem(assessor.post(f"/cases/{out.case_id}/actions/publish", {"version": out.version, "data": {}}), 409, "not_available")
    problem(api_for(app, org, "handler").get(f"/cases/{out.case_id}"), 404, "not_found")  # not 403
    assert load_case(org, out.case_id).state == "reported"


def test_unresolvable_and_needs_confirmation(app: Flask, org: Org) -> None:
    out = case_in(org, "reported")
    with org.rt.uow() as uow:
        admin.add_unit(uow, "TT-EMPTY", "Thanh tra trống", "inspectorate", "UBND")
    with org.rt.read_session() as s:
        from sqlalchemy import select

        from engine.store.models import Unit

        empty = s.scalar(select(Unit.id).where(Unit.code == "TT-EMPTY"))
    assessor = api_for(app, org, "assessor", "en")
    data = {**data_for(org, "assess"), "competent_unit": empty}
    body = problem(assessor.post(f"/cases/{out.case_id}/actions/assess", {"version": out.version, "data": data}),
                   422, "needs_confirmation")
    assert "Thanh tra trống" in body["detail"]
    r = assessor.post(f"/cases/{out.case_id}/actions/assess", {"version": out.version, "data": data, "confirm_unstaffed": True})
    assert r.status_code == 200, r.get_json()
    # the media centre disabled: nobody can be told who publishes
    with org.rt.uow() as uow:
        from engine.store.models import Unit

        uow.session.query(Unit).filter(Unit.type == "media_centre").update({"active": False})
        uow.session.commit()
    org.rt.forget_org_chart()
    handled = case_in(org, "assessed")
    handler = api_for(app, org, "handler", "en")
    r = handler.post(f"/cases/{handled.case_id}/actions/handle", {"version": handled.version, "data": data_for(org, "handle")})
    problem(r, 422, "unresolvable")


def test_rate_limited_per_token_with_retry_after(rt: object, org: Org, monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("PRESSCASE_SECRET_KEY", "test-secret")
    app = make_app(org.rt, API_RATE_LIMIT="3 per minute")
    first, second = Api(app, issue_token(org, "assessor"), "en"), Api(app, issue_token(org, "assessor"))
    for _ in range(3):
        assert first.get("/me").status_code == 200
    r = first.get("/me")
    problem(r, 429, "rate_limited")
    assert 1 <= int(r.headers["Retry-After"]) <= 60
    assert second.get("/me").status_code == 200  # another token has its own count


def test_a_reused_idempotency_key_with_another_body_and_a_malformed_key(app: Flask, org: Org) -> None:
    api = api_for(app, org, "reporter", "en")
    first = api.post("/reports", {"data": REPORT}, headers={"Idempotency-Key": "k-1"})
    assert first.status_code == 201
    body = problem(api.post("/reports", {"data": {**REPORT, "subject_name": "Khác"}}, headers={"Idempotency-Key": "k-1"}),
                   422, "idempotency_key_reused")
    assert body["errors"][0]["field"] == "idempotency_key"
    problem(api.post("/reports", {"data": REPORT}, headers={"Idempotency-Key": "é" * 3}), 422, "idempotency_key_invalid")
    problem(api.post("/reports", {"data": REPORT, "evidence": [{"filename": "x.exe", "content_base64": b64(b"MZ\x90\x00")}]}),
            422, "invalid_data")
