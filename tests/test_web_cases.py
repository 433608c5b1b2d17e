"""Filing, the case page, transition forms, conflicts and evidence downloads, through the real app."""

from __future__ import annotations

import re
from io import BytesIO

from flask import Flask

from tests.support import Org, case_in, fire, load_case
from tests.test_web_fixtures import PNG, Web, field_error, signed_in, text

pytest_plugins = ["tests.test_web_fixtures"]

REPORT_FORM = {
    "violation_kind": "false_information",
    "subject_name": "Trang Facebook “Phong Thổ 24h”",
    "subject_type": "social_account",
    "publication": "Bài đăng lúc 8 giờ",
    "published_on": "2026-02-27",
    "link": "https://example.invalid/bai-viet/1",
    "description": "Đăng tin sai sự thật về dịch bệnh ở xã Mường So.",
}


def _case_id(location: str) -> int:
    m = re.search(r"/cases/(\d+)", location)
    assert m, location
    return int(m.group(1))


def test_reporter_files_a_report_with_evidence_and_sees_its_reference(app: Flask, org: Org) -> None:
    w = signed_in(app, "reporter")
    data = {**REPORT_FORM, "confidential": "1", "evidence": (BytesIO(PNG), "ảnh chụp màn hình.png")}
    r = w.post("/reports/new", data, content_type="multipart/form-data")
    assert r.status_code == 302
    case_id = _case_id(r.headers["Location"])
    page = text(w.get(r.headers["Location"]))
    case = load_case(org, case_id)
    assert case.reference in page and "Số hiệu vụ việc của bạn" in page
    assert case.reporter_confidential is True
    assert "ảnh chụp màn hình.png" in page and "image/png" in page
    import hashlib

    assert hashlib.sha256(PNG).hexdigest() in page  # fingerprint shown on the case page
    assert "Đã tiếp nhận" in page and "Gửi phản ánh" in page  # state and the filing event
    assert "Tài khoản mạng xã hội" in page  # choice shown by its label
    assert "27/02/2026" in page  # a date as dd/mm/yyyy
    assert "02/03/2026 09:00" in page  # the filing time in Hà Nội time (stored 02:00 UTC)


def test_report_form_shows_every_error_inline_in_vietnamese(app: Flask, org: Org) -> None:
    w = signed_in(app, "reporter")
    bad = {"violation_kind": "not-a-kind", "subject_name": "", "subject_type": "social_account",
           "published_on": "30/02/2026", "link": "ftp://x", "description": "x" * 10_001,
           "evidence": (BytesIO(b"MZ\x90\x00 not a picture"), "virus.png")}  # fmt: skip
    r = w.post("/reports/new", bad, content_type="multipart/form-data")
    assert r.status_code == 422
    assert field_error(r, "violation_kind") == "Giá trị không nằm trong danh sách cho phép."
    assert field_error(r, "subject_name") == "Bắt buộc nhập."
    assert field_error(r, "published_on") == "Ngày không hợp lệ (dd/mm/yyyy)."
    assert field_error(r, "link") == "Đường dẫn phải bắt đầu bằng http:// hoặc https://."
    assert field_error(r, "description") == "Tối đa 10000 ký tự."
    assert "Vui lòng sửa các lỗi" in text(r)
    assert 'value="social_account" selected' in r.get_data(as_text=True)  # what was typed is kept
    r = w.post("/reports/new", {**REPORT_FORM, "evidence": (BytesIO(b"MZ\x90\x00 not a picture"), "virus.png")},
               content_type="multipart/form-data")  # fmt: skip
    assert r.status_code == 422
    assert "không phải ảnh, PDF" in (field_error(r, "evidence") or "")
    with org.rt.read_session() as s:
        from sqlalchemy import func, select

        from engine.store.models import Case

        assert s.scalar(select(func.count()).select_from(Case)) == 0


def test_my_units_reports_show_own_unit_only_in_reporter_words(app: Flask, org: Org) -> None:
    mine = case_in(org, "awaiting_info")
    other = case_in(org, "reported")
    with org.rt.uow() as uow:  # a case filed by another unit's reporter
        from engine.cases import commands as service
        from tests.support import REPORT

        theirs = service.file_report(uow, org.actor("reporter_other"), "press_violation", REPORT)
    page = text(signed_in(app, "reporter").get("/reports"))
    assert mine.reference in page and other.reference in page and theirs.reference not in page
    assert "đề nghị đơn vị bổ sung thông tin" in page
    assert "Cần đơn vị trả lời." in page


def test_buttons_are_only_the_persons_transitions(app: Flask, org: Org) -> None:
    out = case_in(org, "reported")
    reporter_page = signed_in(app, "reporter").get(f"/cases/{out.case_id}").get_data(as_text=True)
    assert 'data-trigger="assess"' not in reporter_page and 'data-trigger=' not in reporter_page
    assessor_page = signed_in(app, "assessor").get(f"/cases/{out.case_id}").get_data(as_text=True)
    for trigger in ("request_info", "assess", "dismiss"):
        assert f'data-trigger="{trigger}"' in assessor_page
    assert 'data-trigger="handle"' not in assessor_page


def test_reporter_posting_assess_gets_403_and_the_case_is_unchanged(app: Flask, org: Org) -> None:
    out = case_in(org, "reported")
    w = signed_in(app, "reporter")
    assert w.get(f"/cases/{out.case_id}/act/assess").status_code == 403
    r = w.post(f"/cases/{out.case_id}/act/assess", {"version": out.version, "confirmed_kind": "false_information",
               "severity": "high", "competent_unit": org.units["VHTT"], "assessment_note": "Tự thẩm định."})  # fmt: skip
    assert r.status_code == 403
    case = load_case(org, out.case_id)
    assert (case.state, case.version, case.event_count) == ("reported", out.version, out.event_seq)


def test_the_whole_path_through_forms(app: Flask, org: Org) -> None:
    """Request info, answer, assess, explanation, handle, publish: each through its generated form."""
    out = case_in(org, "reported")
    cid = out.case_id
    assessor, reporter = signed_in(app, "assessor"), signed_in(app, "reporter")
    handler, publisher = signed_in(app, "handler"), signed_in(app, "publisher")

    def act(w: Web, trigger: str, data: dict[str, object]) -> None:
        form = w.get(f"/cases/{cid}/act/{trigger}")
        assert form.status_code == 200, trigger
        version = re.search(r'name="version" value="(\d+)"', form.get_data(as_text=True)).group(1)  # type: ignore[union-attr]
        r = w.post(f"/cases/{cid}/act/{trigger}", {"version": version, **data})
        assert r.status_code == 302, (trigger, field_error(r, next(iter(data))), text(r)[:3000])

    act(assessor, "request_info", {"question": "Xin ảnh chụp bài đăng."})
    act(reporter, "provide_info", {"answer": "Đã gửi kèm ảnh."})
    act(assessor, "assess", {"confirmed_kind": "false_information", "severity": "high",
                             "competent_unit": str(org.units["VHTT"]), "assessment_note": "Có dấu hiệu vi phạm."})  # fmt: skip
    act(handler, "record_explanation", {"explanation": "Đã gỡ bài.", "received_on": "2026-03-02"})
    act(handler, "handle", {"outcome": "measures", "measures": ["fine", "content_removal"], "fine_amount": "15.000.000",
                            "decision_number": "01/QĐ-XPHC", "decision_date": "2026-03-02", "legal_basis": "Điều 10",
                            "decided_by": "Chủ tịch UBND huyện", "summary": "Phạt tiền."})  # fmt: skip
    act(publisher, "publish", {"public_summary": "Đã xử phạt.", "channels": ["portal", "radio"]})
    case = load_case(org, cid)
    assert case.state == "published" and case.event_count == 7
    page = text(assessor.get(f"/cases/{cid}"))
    assert "Đã công khai" in page
    for words in ("Yêu cầu bổ sung thông tin", "Xin ảnh chụp bài đăng.", "Phòng Văn hóa và Thông tin",
                  "Phạt tiền, Buộc gỡ bỏ nội dung", "15.000.000 đ", "Cổng thông tin điện tử, Đài truyền thanh",
                  "Nội dung giải trình", "02/03/2026", "Cao"):  # fmt: skip
        assert words in page, words


def test_form_validation_errors_are_inline_and_nothing_changes(app: Flask, org: Org) -> None:
    out = case_in(org, "assessed")
    w = signed_in(app, "handler")
    r = w.post(f"/cases/{out.case_id}/act/handle", {"version": out.version, "outcome": "measures",
               "measures": ["fine"], "fine_amount": "mười triệu", "decision_date": "hôm qua"})  # fmt: skip
    assert r.status_code == 422
    assert field_error(r, "fine_amount") == "Phải là số nguyên."
    assert field_error(r, "decision_date") == "Ngày không hợp lệ (dd/mm/yyyy)."
    assert field_error(r, "decision_number") == "Bắt buộc nhập."
    assert f'name="version" value="{out.version}"' in r.get_data(as_text=True)
    r = w.post(f"/cases/{out.case_id}/act/handle", {"version": out.version, "outcome": "measures"})
    assert field_error(r, "measures") == "Bắt buộc nhập."
    assert load_case(org, out.case_id).version == out.version


def test_stale_form_gets_the_conflict_message_and_the_new_state(app: Flask, org: Org) -> None:
    out = case_in(org, "reported")
    w = signed_in(app, "assessor")
    w.get(f"/cases/{out.case_id}/act/dismiss")
    fire(org, out.case_id, "request_info", "assessor")  # someone else acted meanwhile
    r = w.post(f"/cases/{out.case_id}/act/dismiss", {"version": out.version, "reason": "unfounded", "note": "Không có căn cứ."})
    assert r.status_code == 409
    page = text(r)
    assert "Vụ việc vừa được người khác cập nhật" in page and "Chờ bổ sung thông tin" in page
    case = load_case(org, out.case_id)
    assert case.state == "awaiting_info" and case.event_count == 2


def test_a_trigger_that_is_not_available_now_is_a_conflict_not_an_error(app: Flask, org: Org) -> None:
    out = case_in(org, "handled")
    w = signed_in(app, "assessor")
    assert w.get(f"/cases/{out.case_id}/act/assess").status_code == 409
    r = w.post(f"/cases/{out.case_id}/act/assess", {"version": out.version})
    assert r.status_code == 409
    assert w.get(f"/cases/{out.case_id}/act/no_such_trigger").status_code == 404
    assert w.post(f"/cases/{out.case_id}/act/no_such_trigger", {"version": out.version}).status_code == 404


def test_confidential_reporter_is_hidden_from_the_handler_but_not_the_assessor(app: Flask, org: Org) -> None:
    out = case_in(org, "assessed", confidential=True)
    handler_page = text(signed_in(app, "handler").get(f"/cases/{out.case_id}"))
    assert "Reporter" not in handler_page  # the reporter's full name ("Reporter") never appears
    assert "Đảng bộ xã Mường So" not in handler_page
    assert "Được giữ bí mật" in handler_page
    assessor_page = text(signed_in(app, "assessor").get(f"/cases/{out.case_id}"))
    assert "Reporter" in assessor_page and "Đảng bộ xã Mường So" in assessor_page


def test_attachment_download_headers_and_permission(app: Flask, org: Org) -> None:
    from engine.cases.evidence import Upload
    from tests.support import file

    with org.rt.uow() as uow:
        from engine.cases import commands as service
        from tests.support import REPORT

        out = service.file_report(uow, org.actor("reporter"), "press_violation", REPORT,
                                  [Upload("Biên bản xử lý đợt 1.png", PNG)])  # fmt: skip
    url = f"/cases/{out.case_id}/attachments/1"
    r = signed_in(app, "assessor").get(url)
    assert r.status_code == 200 and r.data == PNG
    cd = r.headers["Content-Disposition"]
    assert cd.startswith("attachment;")
    assert "filename*=UTF-8''Bi%C3%AAn%20b%E1%BA%A3n%20x%E1%BB%AD%20l%C3%BD%20%C4%91%E1%BB%A3t%201.png" in cd
    assert 'filename="Bien ban xu ly dot 1.png"' in cd
    assert r.headers["X-Content-Type-Options"] == "nosniff"
    assert signed_in(app, "reporter").get(url).status_code == 200
    for outsider in ("reporter_other", "handler", "publisher", "admin"):
        assert signed_in(app, outsider).get(url).status_code == 404, outsider
    anonymous = Web(app).get(url)
    assert anonymous.status_code == 302 and "/login" in anonymous.headers["Location"]
    other = file(org)  # an attachment id must belong to the case in the URL
    assert signed_in(app, "assessor").get(f"/cases/{other.case_id}/attachments/1").status_code == 404


def test_case_page_for_people_who_may_not_see_it_is_404(app: Flask, org: Org) -> None:
    out = case_in(org, "reported")
    assert signed_in(app, "reporter_other").get(f"/cases/{out.case_id}").status_code == 404
    assert signed_in(app, "handler").get(f"/cases/{out.case_id}").status_code == 404  # not assigned yet
    assert signed_in(app, "publisher").get(f"/cases/{out.case_id}").status_code == 404  # not handled yet
    assert signed_in(app, "supervisor").get(f"/cases/{out.case_id}").status_code == 200
    assert signed_in(app, "reporter").get(f"/cases/{out.case_id}").status_code == 200
