"""Bad input never reaches a 500: malformed ids, huge fields, wrong types, unknown triggers, bad dates, NUL bytes.

TESTING makes an unhandled exception propagate out of the test client, so any 500 here fails loudly.
"""

from __future__ import annotations

import logging
from io import BytesIO

import pytest
from flask import Flask

from tests.support import Org, case_in, load_case
from tests.test_web_fixtures import PNG, field_error, make_app, signed_in, text

pytest_plugins = ["tests.test_web_fixtures"]


def test_malformed_and_absurd_ids_are_404(app: Flask, org: Org) -> None:
    w = signed_in(app, "assessor")
    for url in ["/cases/abc", "/cases/0", "/cases/-1", "/cases/1.5", "/cases/99999999999999999999999999",
                "/cases/123456789012345678", "/cases/2147483648", "/cases/1/attachments/x", "/cases/1/attachments/999999999999999999",
                "/admin/users/abc", "/cases/%00", "/cases/1/act/", "/nowhere"]:  # fmt: skip
        assert w.get(url).status_code == 404, url
    admin = signed_in(app, "admin")
    for url in ["/inbox/99999999999999999999/read", "/admin/notifications/99999999999999999999/retry"]:
        assert admin.post(url).status_code == 404, url  # any <int:...> route, not only ours


def test_worklist_query_strings_of_any_shape(app: Flask, org: Org) -> None:
    case_in(org, "reported")
    w = signed_in(app, "assessor")
    for qs in ["page=-1", "page=abc", "page=99999999999999999999", "page=1000000", "unit=abc", "unit=-5",
               "unit=99999999999", "state=nope", "kind=%00", "severity=' OR 1=1 --", "q=%25_%5C", "q=%00%01",
               "q=" + "x" * 5000, "overdue=yes", "state=reported&state=assessed"]:  # fmt: skip
        assert w.get("/worklist?" + qs).status_code == 200, qs
    assert "PA-2026-000001" in text(w.get("/worklist?q=pa-2026-000001"))
    assert "PA-2026-000001" in text(w.get("/worklist?q=Phong Thổ"))
    assert "PA-2026-000001" not in text(w.get("/worklist?q=%25"))


def test_hostile_form_values_are_refused_inline(app: Flask, org: Org) -> None:
    out = case_in(org, "assessed")
    w = signed_in(app, "handler")
    url = f"/cases/{out.case_id}/act/handle"
    hostile = {"version": out.version, "outcome": ["measures", "no_violation"], "measures": "fine,warning",
               "fine_amount": "1e9", "suspension_months": "9999999999999999999999", "decision_number": "x\x00y" * 30,
               "decision_date": "2026-02-30", "legal_basis": "\x00", "decided_by": "A" * 250, "summary": "ok",
               "unknown_field": "ignored"}  # fmt: skip
    r = w.post(url, hostile)
    assert r.status_code == 422
    assert load_case(org, out.case_id).version == out.version


@pytest.mark.parametrize("version", ["", "abc", "-1", "1e3", "99999999999999999999"])
def test_malformed_version_is_400(app: Flask, org: Org, version: str) -> None:
    out = case_in(org, "reported")
    w = signed_in(app, "assessor")
    r = w.post(f"/cases/{out.case_id}/act/request_info", {"version": version, "question": "?"})
    assert r.status_code == 400
    assert load_case(org, out.case_id).version == out.version


def test_unknown_trigger_and_trigger_of_another_workflow(app: Flask, org: Org) -> None:
    out = case_in(org, "reported")
    w = signed_in(app, "assessor")
    for trigger in ["nope", "verify", "file", "x" * 500, "%00"]:
        assert w.get(f"/cases/{out.case_id}/act/{trigger}").status_code in (404, 409), trigger
        assert w.post(f"/cases/{out.case_id}/act/{trigger}", {"version": out.version}).status_code in (404, 409), trigger
    assert load_case(org, out.case_id).version == out.version


def test_nul_bytes_and_huge_text_in_a_report(app: Flask, org: Org) -> None:
    w = signed_in(app, "reporter")
    data = {"violation_kind": "other", "subject_name": "Tên\x00 có NUL", "subject_type": "other",
            "description": "Mô tả\x00\x07 có ký tự điều khiển", "published_on": "2026-13-01"}  # fmt: skip
    r = w.post("/reports/new", data)
    assert r.status_code == 422  # the bad date; NUL bytes never reach the database driver
    for name in ("subject_name", "description"):  # control characters are refused beside the field, not dropped unseen
        assert "ký tự không hợp lệ" in (field_error(r, name) or ""), name
    data.update(published_on="", subject_name="Tên có NUL", description="Mô tả có ký tự điều khiển")
    r = w.post("/reports/new", data)
    assert r.status_code == 302
    r = w.post("/reports/new", {**data, "description": "x" * 2_000_000})
    assert r.status_code == 422 and "Tối đa 10000 ký tự." in text(r)
    r = w.post("/reports/new", {**data, "description": "x" * 2_000_000}, content_type="multipart/form-data")
    assert r.status_code == 413  # a multipart text part over MAX_FORM_MEMORY_SIZE
    assert "quá lớn" in text(r)


def test_too_many_or_too_big_files(app: Flask, org: Org) -> None:
    w = signed_in(app, "reporter")
    base = {"violation_kind": "other", "subject_name": "X", "subject_type": "other", "description": "Y"}
    r = w.post("/reports/new", {**base, "evidence": [(BytesIO(PNG), f"a{i}.png") for i in range(11)]},
               content_type="multipart/form-data")  # fmt: skip
    assert r.status_code == 422 and "Tối đa 10 tệp." in text(r)
    big = PNG + b"\x00" * (10 * 1024 * 1024)
    r = w.post("/reports/new", {**base, "evidence": (BytesIO(big), "to.png")}, content_type="multipart/form-data")
    assert r.status_code == 422 and "vượt quá 10 MB" in text(r)


def test_unknown_workflow_and_methods(app: Flask, org: Org) -> None:
    w = signed_in(app, "reporter")
    assert w.get("/reports/new?workflow=nope").status_code == 404
    assert w.client.put("/reports/new").status_code == 405
    assert w.client.get("/logout").status_code == 405


def test_unexpected_error_shows_a_reference_and_logs_the_trace(rt, org, caplog: pytest.LogCaptureFixture,  # noqa: ANN001
                                                               monkeypatch: pytest.MonkeyPatch) -> None:  # fmt: skip
    monkeypatch.setenv("PRESSCASE_SECRET_KEY", "test-secret")
    app = make_app(rt, PROPAGATE_500_IN_TESTS=False, PROPAGATE_EXCEPTIONS=False)

    @app.route("/boom")
    def boom() -> str:
        raise RuntimeError("kaboom")

    with caplog.at_level(logging.ERROR, logger="presscase.web"):
        r = app.test_client().get("/boom")
    assert r.status_code == 500
    page = text(r)
    import re

    ref = re.search(r'class="error-ref">([0-9A-F]{10})<', page)
    assert ref and "Lỗi hệ thống" in page and "kaboom" not in page
    assert any(ref.group(1) in rec.getMessage() and rec.exc_info for rec in caplog.records)
