"""Failures that close, on the pages: a refused command keeps the form and says why (422) in the
person's language; routing to a unit where nobody can act asks for confirmation; failed timers are
listed for administrators with a CSRF-protected retry button."""

from __future__ import annotations

from flask import Flask
from sqlalchemy import select, update

from engine.store.models import OutboxMessage, Timer, Unit
from tests.notify_support import set_user
from tests.support import Org, case_in, load_case
from tests.test_web_cases import REPORT_FORM
from tests.test_web_fixtures import signed_in, text

pytest_plugins = ["tests.test_web_fixtures"]

HANDLE = {"outcome": "measures", "measures": ["fine"], "fine_amount": "15.000.000", "decision_number": "07/QĐ-XPHC",
          "decision_date": "2026-03-02", "legal_basis": "Điều 10", "decided_by": "Chủ tịch UBND huyện",
          "summary": "Phạt tiền."}  # fmt: skip


def _set_unit(org: Org, code: str, active: bool) -> None:
    with org.rt.uow() as uow:
        uow.session.execute(update(Unit).where(Unit.code == code).values(active=active))
        uow.commit()
    org.rt.forget_org_chart()


def test_a_disabled_media_centre_refuses_handling_on_the_page_with_the_form_kept(app: Flask, org: Org) -> None:
    out = case_in(org, "assessed")
    _set_unit(org, "TTVH", False)
    w = signed_in(app, "handler")
    r = w.post(f"/cases/{out.case_id}/act/handle", {"version": out.version, **HANDLE})
    assert r.status_code == 422
    page = text(r)
    assert "Không xác định được Cơ quan công khai" in page and "Chưa có gì được lưu" in page
    assert 'value="07/QĐ-XPHC"' in page and f'name="version" value="{out.version}"' in page  # the form as typed
    case = load_case(org, out.case_id)
    assert (case.state, case.version) == ("assessed", out.version)

    set_user(org, "handler", language="en")  # a signed-in person reads their own language
    r = w.post(f"/cases/{out.case_id}/act/handle", {"version": out.version, **HANDLE})
    assert r.status_code == 422 and "Cannot determine Publishing body" in text(r)


def test_filing_with_no_intake_body_is_refused_with_the_form_kept(app: Flask, org: Org) -> None:
    _set_unit(org, "BTG", False)
    w = signed_in(app, "reporter")
    w.get("/reports/new")
    r = w.post("/reports/new", REPORT_FORM, content_type="multipart/form-data")
    assert r.status_code == 422
    page = text(r)
    assert "Không xác định được Cơ quan tiếp nhận" in page and "Phong Thổ 24h" in page


def test_routing_to_a_unit_where_nobody_can_act_asks_for_confirmation(app: Flask, org: Org) -> None:
    out = case_in(org, "reported")
    set_user(org, "handler_police", active=False)
    w = signed_in(app, "assessor")
    data = {"version": out.version, "confirmed_kind": "false_information", "severity": "high",
            "competent_unit": str(org.units["CA"]), "assessment_note": "Chuyển công an."}  # fmt: skip
    w.get(f"/cases/{out.case_id}/act/assess")
    r = w.post(f"/cases/{out.case_id}/act/assess", data)
    assert r.status_code == 422
    page = text(r)
    assert "Hiện chưa có ai đang hoạt động tại Công an huyện" in page
    assert 'name="confirm_unstaffed"' in page and "Chuyển công an." in page
    assert load_case(org, out.case_id).state == "reported"

    r = w.post(f"/cases/{out.case_id}/act/assess", {**data, "confirm_unstaffed": "1"})
    assert r.status_code == 302
    case = load_case(org, out.case_id)
    assert (case.state, case.assigned_unit_id) == ("assessed", org.units["CA"])
    with org.rt.read_session() as s:
        assert s.scalars(select(OutboxMessage.recipient_role).where(OutboxMessage.topic == "admin.unit_unstaffed")).all() == ["admin"]


def test_failed_timers_page_lists_them_and_retries_for_admins_only(app: Flask, org: Org) -> None:
    out = case_in(org, "reported")
    with org.rt.uow() as uow:
        tid = uow.session.scalar(select(Timer.id).where(Timer.case_id == out.case_id, Timer.kind == "due_soon"))
        uow.session.execute(update(Timer).where(Timer.id == tid).values(status="failed", attempts=8,
                                                                        last_error="NotFound: lỗi thử nghiệm"))  # fmt: skip
        uow.commit()
    assert signed_in(app, "assessor").get("/admin/timers").status_code == 403
    w = signed_in(app, "admin")
    r = w.get("/admin/timers")
    assert r.status_code == 200
    page = text(r)
    assert out.reference in page and "due_soon" in page and "lỗi thử nghiệm" in page and f'id="timer-{tid}"' in page
    assert 'href="/admin/timers"' in text(w.get("/admin/units"))  # in the administrators' menu

    assert w.post(f"/admin/timers/{tid}/retry", csrf=False).status_code == 400
    assert signed_in(app, "assessor").post(f"/admin/timers/{tid}/retry").status_code == 403
    r = w.post(f"/admin/timers/{tid}/retry")
    assert r.status_code == 302
    with org.rt.read_session() as s:
        t = s.get(Timer, tid)
        assert t is not None and (t.status, t.attempts) == ("pending", 0)
    assert f'id="timer-{tid}"' not in text(w.get("/admin/timers"))
    assert "Đã chạy lại hẹn giờ" in text(w.get("/admin/audit"))  # the retry is administration, recorded


def test_an_extension_whose_filing_unit_is_gone_is_refused_with_the_form_kept(app: Flask, org: Org) -> None:
    out = case_in(org, "assessed")
    before = load_case(org, out.case_id)
    _set_unit(org, "CB-MS", False)  # the filing cell, whom the definition says to tell of a new date
    w = signed_in(app, "supervisor")
    r = w.post(f"/cases/{out.case_id}/extend",
               {"version": before.version, "working_days": "3", "reason": "Chờ kết quả giám định nội dung."})  # fmt: skip
    assert r.status_code == 422
    page = text(r)
    assert "Không xác định được đơn vị gửi phản ánh" in page and "Chờ kết quả giám định nội dung." in page
    after = load_case(org, out.case_id)
    assert (after.deadline_at, after.version) == (before.deadline_at, before.version)
