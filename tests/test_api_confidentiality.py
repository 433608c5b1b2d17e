"""No confidential field reaches a role that may not see it through any API endpoint: the filer of a
confidential report (their name, username and party cell, and the name of a colleague of the cell who
answered a question) is only "a grassroots party cell" to everyone but assessors, supervisors and the
reporter, exactly as on the pages (engine/read/projection.py)."""

from __future__ import annotations

from flask import Flask

from engine.cases import commands as service
from engine.cases.evidence import Upload
from tests.api_support import Api, api_for, issue_token
from tests.support import REPORT, Org, data_for, fire
from tests.test_web_fixtures import PNG

pytest_plugins = ["tests.test_web_fixtures"]

CELL_NAME = "Đảng bộ xã Mường So"
HIDDEN_AS = "Chi bộ, đảng bộ cơ sở"


def _every_answer(api: Api, case_id: int, reference: str) -> list[tuple[str, int, str]]:
    """What this token can read about the case, endpoint by endpoint: (path, status, body)."""
    paths = ["/cases", f"/cases?q={reference[-6:]}", "/cases?scope=my_work", "/cases?scope=waiting&sort=deadline",
             f"/cases/{case_id}", f"/cases/{case_id}/history", f"/cases/{case_id}/actions", "/public/results",
             f"/public/results/{reference}", "/me"]  # fmt: skip
    out = []
    for p in paths:
        r = api.get(p, headers={"Accept-Encoding": "identity"})
        out.append((p, r.status_code, r.get_data(as_text=True)))
    detail = api.get(f"/cases/{case_id}")
    if detail.status_code == 200:
        for ev in detail.get_json()["evidence"]:
            r = api.client.get(ev["download"], headers=api.headers)
            out.append((ev["download"], r.status_code, r.headers.get("Content-Disposition", "")))
    return out


def test_no_api_endpoint_names_a_confidential_filer_to_a_role_that_may_not_know_them(app: Flask, org: Org) -> None:
    secret = org.as_role("reporter", "CB-MS")  # username and full name "reporter.cb-ms"
    with org.rt.uow() as uow:
        out = service.file_report(uow, secret, "press_violation", {**REPORT, "confidential": True},
                                  [Upload("anh chup.png", PNG)])
    fire(org, out.case_id, "request_info", "assessor")
    fire(org, out.case_id, "provide_info", "reporter")  # a colleague of the same cell answers ("Reporter")
    for trigger, who in (("assess", "assessor"), ("handle", "handler"), ("publish", "publisher")):
        fire(org, out.case_id, trigger, who, data_for(org, trigger))

    names = ("reporter.cb-ms", CELL_NAME, '"Reporter"')
    for role in ("handler", "publisher", "leader", "reporter_other", "handler_police"):
        for lang in ("vi", "en"):
            for path, status, body in _every_answer(api_for(app, org, role, lang), out.case_id, out.reference):
                assert status < 500, (role, path, status)
                for name in names:
                    assert name not in body, (role, lang, path, name)
    # the handler sees the case, with the filer only as a kind of unit
    case = api_for(app, org, "handler").get(f"/cases/{out.case_id}").get_json()
    assert case["filer"] == {"known": False, "reporter_name": None, "unit_name": HIDDEN_AS, "unit_type": "party_cell"}
    history = api_for(app, org, "handler").get(f"/cases/{out.case_id}/history").get_json()["items"]
    answered = next(e for e in history if e["trigger"] == "provide_info")
    assert answered["actor_name"] == HIDDEN_AS and answered["actor_unit_name"] == HIDDEN_AS
    # those the definition lets know, know
    for role in ("assessor", "supervisor"):
        case = api_for(app, org, role).get(f"/cases/{out.case_id}").get_json()
        assert len(case["evidence"]) == 1
        assert case["filer"]["known"] is True and case["filer"]["reporter_name"] == "reporter.cb-ms"
        assert case["filer"]["unit_name"] == CELL_NAME
    own = Api(app, issue_token(org, "reporter.cb-ms"))
    assert own.get(f"/cases/{out.case_id}").get_json()["filer"]["known"] is True
