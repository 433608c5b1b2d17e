"""The JSON API's cases, reports, evidence and reference data, through the real app on SQLite and PostgreSQL."""

from __future__ import annotations

import hashlib

import pytest
from flask import Flask

from tests.api_support import api_for, b64, problem
from tests.support import REPORT, Org, case_in, data_for, fire, load_case
from tests.test_web_fixtures import PNG

pytest_plugins = ["tests.test_web_fixtures"]


def test_a_reporter_files_a_report_with_evidence_and_the_assessor_downloads_it(app: Flask, org: Org) -> None:
    reporter = api_for(app, org, "reporter")
    r = reporter.post("/reports", {"workflow": "press_violation", "data": {**REPORT, "published_on": "2026-02-27"},
                                   "evidence": [{"filename": "ảnh chụp.png", "content_base64": b64(PNG)}]})
    assert r.status_code == 201, r.get_json()
    out = r.get_json()
    assert out["state"] == "reported" and out["reference"].startswith("PA-2026-")
    assert r.headers["Location"] == f"/api/v1/cases/{out['case_id']}"
    assert load_case(org, out["case_id"]).filing_unit_id == org.units["CB-MS"]

    assessor = api_for(app, org, "assessor")
    case = assessor.get(f"/cases/{out['case_id']}").get_json()
    assert case["facts"]["published_on"] == "2026-02-27" and case["filer"]["known"] is True
    [ev] = case["evidence"]
    assert ev["content_type"] == "image/png" and ev["sha256"] == hashlib.sha256(PNG).hexdigest()
    got = assessor.client.get(ev["download"], headers=assessor.headers)
    assert got.status_code == 200 and got.data == PNG and got.mimetype == "image/png"
    assert "attachment" in got.headers["Content-Disposition"]
    history = assessor.get(f"/cases/{out['case_id']}/history").get_json()["items"]
    assert [e["trigger"] for e in history] == ["file"]
    assert history[0]["data"]["evidence"][0]["sha256"] == ev["sha256"]


def test_actions_list_the_fields_each_needs_and_firing_moves_the_case(app: Flask, org: Org) -> None:
    out = case_in(org, "reported")
    assessor = api_for(app, org, "assessor", "en")
    actions = assessor.get(f"/cases/{out.case_id}/actions").get_json()
    assert actions["version"] == out.version
    by_trigger = {a["trigger"]: a for a in actions["items"]}
    assert {"assess", "dismiss", "request_info"} <= set(by_trigger)
    fields = {f["name"]: f for f in by_trigger["assess"]["fields"]}
    assert fields["confirmed_kind"]["type"] == "choice" and fields["confirmed_kind"]["required"]
    assert {"value": "false_information", "label": "False or distorted information"} in fields["confirmed_kind"]["choices"]
    assert str(org.units["VHTT"]) in {c["value"] for c in fields["competent_unit"]["choices"]}

    r = assessor.post(by_trigger["assess"]["path"].removeprefix("/api/v1"),
                      {"version": actions["version"], "data": data_for(org, "assess")})
    assert r.status_code == 200, r.get_json()
    assert r.get_json()["state"] == "assessed" and r.get_json()["version"] == out.version + 1
    assert load_case(org, out.case_id).assigned_unit_id == org.units["VHTT"]
    # the handler now sees it as their work, and only the actions that are theirs
    handler = api_for(app, org, "handler")
    mine = handler.get("/cases?scope=my_work").get_json()
    assert [c["id"] for c in mine["items"]] == [out.case_id]
    assert {a["trigger"] for a in handler.get(f"/cases/{out.case_id}/actions").get_json()["items"]} >= {"handle", "return"}


def test_the_list_filters_searches_sorts_and_pages_like_the_worklist(app: Flask, org: Org) -> None:
    a = case_in(org, "reported", subject_name="Trang tin Tây Bắc Mới")
    b = case_in(org, "assessed", subject_name="Kênh Phong Thổ TV")
    c = case_in(org, "dismissed", subject_name="Tài khoản Tây Bắc 24h")
    api = api_for(app, org, "assessor")

    def ids(query: str) -> list[int]:
        r = api.get("/cases" + query)
        assert r.status_code == 200, r.get_json()
        return [x["id"] for x in r.get_json()["items"]]

    assert ids("") == [c.case_id, b.case_id, a.case_id]  # newest first
    assert ids("?q=tay%20bac") == [c.case_id, a.case_id]  # diacritics and case ignored, as the worklist's search
    assert ids("?status=open") == [b.case_id, a.case_id]
    assert ids("?status=finished") == [c.case_id]
    assert ids("?state=assessed") == [b.case_id]
    assert ids(f"?holding_unit={org.units['VHTT']}") == [b.case_id]
    assert ids("?status=open&sort=deadline") == [a.case_id, b.case_id]  # a's deadline comes first
    page = api.get("/cases?per_page=2&page=2").get_json()
    assert [x["id"] for x in page["items"]] == [a.case_id] and page["total"] == 3 and not page["has_next"]
    assert api.get("/cases?per_page=2").get_json()["has_next"] is True


def test_a_commune_cells_token_cannot_see_another_communes_report(app: Flask, org: Org) -> None:
    theirs = case_in(org, "reported", subject_name="Báo cáo của xã Sin Suối Hồ")
    other = api_for(app, org, "reporter_other")
    for path in (f"/cases/{theirs.case_id}", f"/cases/{theirs.case_id}/history", f"/cases/{theirs.case_id}/actions"):
        problem(other.get(path), 404, "not_found")
    problem(other.post(f"/cases/{theirs.case_id}/actions/provide_info", {"version": theirs.version, "data": {}}),
            404, "not_found")
    listed = other.get("/cases?q=sin%20suoi").get_json()
    assert listed["items"] == [] and listed["total"] == 0
    # the filing cell's own token sees it
    assert api_for(app, org, "reporter").get(f"/cases/{theirs.case_id}").status_code == 200


def test_a_stale_version_is_a_conflict_and_writes_nothing(app: Flask, org: Org) -> None:
    out = case_in(org, "reported")
    fire(org, out.case_id, "request_info", "assessor")
    api = api_for(app, org, "assessor")
    body = problem(api.post(f"/cases/{out.case_id}/actions/dismiss", {"version": out.version, "data": data_for(org, "dismiss")}),
                   409, "stale_version")
    assert body["current_version"] == out.version + 1
    assert load_case(org, out.case_id).state == "awaiting_info"


def test_units_definitions_with_diagrams_and_public_results(app: Flask, org: Org) -> None:
    published = case_in(org, "published")
    api = api_for(app, org, "handler", "en")
    units = {u["code"]: u for u in api.get("/units").get_json()["items"]}
    assert units["VHTT"]["type"] == "people_committee_office" and units["VHTT"]["type_label"] == "People's Committee office"
    defs = api.get("/definitions").get_json()["items"]
    assert {"press_violation", "staff_discipline"} <= {d["name"] for d in defs if d["latest"]}
    detail = api.get("/definitions/press_violation").get_json()
    assert detail["diagram_mermaid"].startswith("---") or "stateDiagram-v2" in detail["diagram_mermaid"]
    assert "Reported" in detail["diagram_mermaid"]
    assert any(t["trigger"] == "file" and t["from_states"] == [] for t in detail["transitions"])
    # public results need no token, as the public register
    anonymous = app.test_client()
    results = anonymous.get("/api/v1/public/results").get_json()
    assert [r["reference"] for r in results["items"]] == [published.reference]
    one = anonymous.get(f"/api/v1/public/results/{published.reference}")
    assert one.status_code == 200 and one.get_json()["measures"] == ["fine"]
    assert anonymous.get("/api/v1/public/results/PA-2026-999999").status_code == 404


@pytest.mark.parametrize("path", ["/api/v1/docs", "/api/v1/openapi.json"])
def test_the_description_and_its_docs_page_are_served_without_a_cdn(app: Flask, path: str) -> None:
    r = app.test_client().get(path, headers={"Accept-Encoding": "identity"})
    assert r.status_code == 200
    if path.endswith("docs"):
        page = r.get_data(as_text=True)
        assert "/static/vendor/swagger-ui/swagger-ui-bundle" in page and "https://" not in page
        js = [line.split('src="')[1].split('"')[0] for line in page.splitlines() if "<script src=" in line]
        for src in js:
            assert app.test_client().get(src).status_code == 200
    else:
        doc = r.get_json()
        assert doc["openapi"].startswith("3.1")
        fire_op = doc["paths"]["/cases/{case_id}/actions/{trigger}"]["post"]
        assert fire_op["requestBody"]["content"]["application/json"]["schema"] == {"$ref": "#/components/schemas/FireRequest"}
        assert "version" in doc["components"]["schemas"]["FireRequest"]["required"]
        assert any(p["name"] == "Idempotency-Key" for p in fire_op["parameters"])
