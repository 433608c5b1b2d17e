"""Extending a deadline from the case page: only supervisors see the button, and the server decides."""

from __future__ import annotations

from flask import Flask

from tests.support import Org, case_in, load_case
from tests.test_web_fixtures import field_error, signed_in, text

pytest_plugins = ["tests.test_web_fixtures"]


def test_a_supervisor_extends_a_deadline_with_a_reason(app: Flask, org: Org) -> None:
    out = case_in(org, "assessed")
    before = load_case(org, out.case_id)
    w = signed_in(app, "supervisor")
    assert f"/cases/{out.case_id}/extend" in text(w.get(f"/cases/{out.case_id}"))

    r = w.post(f"/cases/{out.case_id}/extend", {"version": before.version, "working_days": "3", "reason": ""})
    assert r.status_code == 422 and field_error(r, "reason")
    assert load_case(org, out.case_id).deadline_at == before.deadline_at

    r = w.post(f"/cases/{out.case_id}/extend", {"version": before.version, "working_days": "99", "reason": "x"})
    assert r.status_code == 422 and "30" in field_error(r, "working_days")

    r = w.post(f"/cases/{out.case_id}/extend",
               {"version": before.version, "working_days": "3", "reason": "Chờ kết quả giám định nội dung."})
    assert r.status_code == 302
    after = load_case(org, out.case_id)
    assert after.deadline_at > before.deadline_at and after.version == before.version + 1
    assert "Chờ kết quả giám định nội dung." in text(w.get(f"/cases/{out.case_id}"))

    # The same form again, now stale: a conflict, nothing written.
    r = w.post(f"/cases/{out.case_id}/extend", {"version": before.version, "working_days": "3", "reason": "lần nữa"})
    assert r.status_code == 409
    assert load_case(org, out.case_id).deadline_at == after.deadline_at


def test_others_see_no_button_and_a_forged_post_is_refused(app: Flask, org: Org) -> None:
    out = case_in(org, "assessed")
    before = load_case(org, out.case_id)
    w = signed_in(app, "handler")
    assert "/extend" not in text(w.get(f"/cases/{out.case_id}"))
    assert w.get(f"/cases/{out.case_id}/extend").status_code == 403
    r = w.post(f"/cases/{out.case_id}/extend", {"version": before.version, "working_days": "3", "reason": "tự gia hạn"})
    assert r.status_code == 403
    assert load_case(org, out.case_id).deadline_at == before.deadline_at
    assert signed_in(app, "reporter_other").get(f"/cases/{out.case_id}/extend").status_code == 404


def test_timer_events_read_as_words_on_the_timeline(app: Flask, org: Org, clock) -> None:
    from engine.jobs.sweep import sweep

    out = case_in(org, "assessed")
    clock.advance(days=40)
    sweep(org.rt)
    page = text(signed_in(app, "supervisor").get(f"/cases/{out.case_id}"))
    assert "Quá hạn" in page and "Đã báo cáo cấp trên (cấp 1)" in page and "Đã báo cáo cấp trên (cấp 2)" in page
    assert "timer.escalated" not in page and "working_days_left" not in page
    english = signed_in(app, "supervisor")
    english.post("/account/language", {"language": "en"})
    assert "Escalated (level 2)" in text(english.get(f"/cases/{out.case_id}"))
