"""Safe retries through the API: the same Idempotency-Key returns the first result (same status and body)
instead of acting twice, also for two requests sent at the same moment; keys are per user."""

from __future__ import annotations

import threading

from flask import Flask
from sqlalchemy import func, select

from engine.store.models import Case, CaseEvent
from tests.api_support import Api, api_for, issue_token
from tests.support import REPORT, Org, case_in, data_for, load_case

pytest_plugins = ["tests.test_web_fixtures"]


def _count(org: Org, what: object) -> int:
    with org.rt.read_session() as s:
        return int(s.scalar(select(func.count()).select_from(what)) or 0)  # type: ignore[arg-type]


def test_a_retried_report_is_filed_once_and_answered_the_same(app: Flask, org: Org) -> None:
    api = api_for(app, org, "reporter")
    first = api.post("/reports", {"data": REPORT}, headers={"Idempotency-Key": "phieu-0001"})
    again = api.post("/reports", {"data": dict(reversed(list(REPORT.items())))}, headers={"Idempotency-Key": "phieu-0001"})
    assert first.status_code == again.status_code == 201
    assert first.get_json() == again.get_json() and first.headers["Location"] == again.headers["Location"]
    assert _count(org, Case) == 1
    # without a key, or with another key, it is a new report
    assert api.post("/reports", {"data": REPORT}, headers={"Idempotency-Key": "phieu-0002"}).status_code == 201
    assert _count(org, Case) == 2


def test_a_retried_action_acts_once_even_though_the_version_moved(app: Flask, org: Org) -> None:
    out = case_in(org, "reported")
    api = api_for(app, org, "assessor")
    body = {"version": out.version, "data": data_for(org, "assess")}
    first = api.post(f"/cases/{out.case_id}/actions/assess", body, headers={"Idempotency-Key": "assess-1"})
    again = api.post(f"/cases/{out.case_id}/actions/assess", body, headers={"Idempotency-Key": "assess-1"})
    assert first.status_code == again.status_code == 200 and first.get_json() == again.get_json()
    with org.rt.read_session() as s:
        assert s.scalar(select(func.count()).where(CaseEvent.case_id == out.case_id)) == 2  # filed, assessed: once
    assert load_case(org, out.case_id).version == out.version + 1
    # the same request without the key is a new request: the version is stale now
    assert api.post(f"/cases/{out.case_id}/actions/assess", body).status_code == 409


def test_keys_belong_to_their_user(app: Flask, org: Org) -> None:
    mine, theirs = api_for(app, org, "reporter"), api_for(app, org, "reporter_other")
    a = mine.post("/reports", {"data": REPORT}, headers={"Idempotency-Key": "same"})
    b = theirs.post("/reports", {"data": REPORT}, headers={"Idempotency-Key": "same"})
    assert a.status_code == b.status_code == 201 and a.get_json()["case_id"] != b.get_json()["case_id"]


def test_two_requests_with_one_key_at_the_same_moment_act_once(app: Flask, org: Org) -> None:
    token = issue_token(org, "reporter")
    start = threading.Barrier(4)
    answers: list[tuple[int, object]] = []

    def send() -> None:
        client = Api(app, token)
        start.wait()
        r = client.post("/reports", {"data": REPORT}, headers={"Idempotency-Key": "cung-luc"})
        answers.append((r.status_code, r.get_json()))

    threads = [threading.Thread(target=send) for _ in range(4)]
    for t in threads:
        t.start()
    for t in threads:
        t.join()
    assert len(answers) == 4 and {status for status, _ in answers} == {201}
    assert len({str(body) for _, body in answers}) == 1
    assert _count(org, Case) == 1
