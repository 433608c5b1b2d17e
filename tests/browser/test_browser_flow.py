"""A case from report to publication in a real browser, each step checked on screen; refusals and conflicts."""

from __future__ import annotations

import re
from pathlib import Path
from typing import Any

import pytest

from tests.browser.conftest import ARTIFACTS, Live
from tests.support import load_case
from tests.test_web_fixtures import PNG

pytestmark = pytest.mark.browser


def _state(page: Any) -> str:
    return page.inner_text("#case-state").strip()


def _open_case(page: Any, live: Live, reference: str) -> None:
    page.goto(live.url + "/worklist?q=" + reference)
    page.click(f"a.ref:text('{reference}')")
    page.wait_for_selector("#case-state")


def _act(page: Any, trigger: str) -> None:
    page.click(f"a[data-trigger='{trigger}']")
    page.wait_for_selector(f"button[data-trigger='{trigger}']")


def _submit(page: Any, trigger: str) -> None:
    page.click(f"button[data-trigger='{trigger}']")
    page.wait_for_selector("#case-state")


def _file_report(page: Any, live: Live, tmp_path: Path) -> str:
    evidence = tmp_path / "ảnh chụp bài đăng.png"
    evidence.write_bytes(PNG)
    page.goto(live.url + "/reports/new")
    page.select_option("#f-violation_kind", "false_information")
    page.fill("#f-subject_name", "Trang Facebook “Phong Thổ 24h”")
    page.select_option("#f-subject_type", "social_account")
    page.fill("#f-publication", "Bài đăng sáng 27/02")
    page.fill("#f-published_on", "2026-02-27")
    page.fill("#f-link", "https://example.invalid/bai-viet/1")
    page.fill("#f-description", "Đăng tin sai sự thật về dịch bệnh ở xã Mường So, gây hoang mang.")
    page.check("#f-confidential")
    page.set_input_files("#f-evidence", str(evidence))
    page.click("form button.primary")
    page.wait_for_selector(".filed .ref")
    return page.inner_text(".filed .ref").strip()


def test_report_to_publication_every_step_on_screen(new_page: Any, live: Live, tmp_path: Path) -> None:
    reporter, assessor, handler, publisher = new_page(), new_page(), new_page(), new_page()
    for page, who in ((reporter, "reporter"), (assessor, "assessor"), (handler, "handler"), (publisher, "publisher")):
        live.login(page, who)

    ref = _file_report(reporter, live, tmp_path)
    assert re.fullmatch(r"PA-2026-\d{6}", ref)
    assert _state(reporter) == "Đã tiếp nhận"
    assert "ảnh chụp bài đăng.png" in reporter.inner_text(".attachments")
    assert "SHA-256" in reporter.inner_text(".attachments")
    assert reporter.inner_text("#timeline .event-action") == "Gửi phản ánh"
    reporter.wait_for_selector(".diagram svg")  # the workflow diagram, drawn on the server
    live.step(reporter, "filed")

    assessor.goto(live.url + "/worklist")
    row = assessor.locator("tr.case-row", has_text=ref)
    assert row.locator(".badge").get_attribute("data-kind") == "on_time"
    assert "Trong hạn" in row.locator(".badge").inner_text()
    _open_case(assessor, live, ref)
    assert assessor.inner_text("#reporter-name").startswith("Reporter")  # the assessor may see a confidential reporter
    _act(assessor, "request_info")
    assessor.fill("#f-question", "Đề nghị gửi ảnh chụp toàn bộ bài đăng.")
    _submit(assessor, "request_info")
    assert _state(assessor) == "Chờ bổ sung thông tin"
    assert "Đề nghị gửi ảnh chụp toàn bộ bài đăng." in assessor.inner_text("#timeline")
    live.step(assessor, "info-requested")

    reporter.goto(live.url + "/reports")
    assert "Cần đơn vị trả lời." in reporter.locator(".case-row", has_text=ref).inner_text()
    reporter.click(f"a.ref:text('{ref}')")
    _act(reporter, "provide_info")
    reporter.fill("#f-answer", "Đã bổ sung ảnh chụp; bài đăng lúc 8 giờ 15.")
    _submit(reporter, "provide_info")
    assert _state(reporter) == "Đã tiếp nhận"
    assert reporter.inner_text("#timeline .event-action") == "Bổ sung thông tin"
    live.step(reporter, "info-provided")

    _open_case(assessor, live, ref)
    _act(assessor, "assess")
    assessor.select_option("#f-confirmed_kind", "false_information")
    assessor.select_option("#f-severity", "high")
    assessor.select_option("#f-competent_unit", label="Phòng Văn hóa và Thông tin")
    assessor.fill("#f-assessment_note", "Có dấu hiệu đưa tin sai sự thật.")
    _submit(assessor, "assess")
    assert _state(assessor) == "Đã thẩm định"
    assert assessor.inner_text("#assigned-unit") == "Phòng Văn hóa và Thông tin"
    assert "Thấp" not in assessor.inner_text("#timeline") and "Cao" in assessor.inner_text("#timeline")
    live.step(assessor, "assessed")

    _open_case(handler, live, ref)
    assert handler.inner_text("#reporter-name") == "Được giữ bí mật"
    _act(handler, "record_explanation")
    handler.fill("#f-explanation", "Chủ trang đã gỡ bài và xin lỗi.")
    handler.fill("#f-received_on", "2026-03-03")
    _submit(handler, "record_explanation")
    assert _state(handler) == "Đã thẩm định"
    assert "03/03/2026" in handler.inner_text("#timeline")
    _act(handler, "handle")
    handler.select_option("#f-outcome", "measures")
    handler.check("#f-measures-fine")
    handler.check("#f-measures-content_removal")
    handler.fill("#f-fine_amount", "15.000.000")
    handler.fill("#f-decision_number", "12/QĐ-XPHC")
    handler.fill("#f-decision_date", "2026-03-04")
    handler.fill("#f-legal_basis", "Điều 10 Nghị định 119/2020/NĐ-CP")
    handler.fill("#f-decided_by", "Chủ tịch UBND huyện")
    handler.fill("#f-summary", "Phạt tiền và buộc gỡ bỏ nội dung.")
    _submit(handler, "handle")
    assert _state(handler) == "Đã xử lý"
    timeline = handler.inner_text("#timeline")
    assert "15.000.000 đ" in timeline and "Phạt tiền, Buộc gỡ bỏ nội dung" in timeline
    live.step(handler, "handled")

    _open_case(publisher, live, ref)
    assert publisher.locator(".badge").first.get_attribute("data-kind") in ("on_time", "due_soon")
    _act(publisher, "publish")
    publisher.fill("#f-public_summary", "Xử phạt 15 triệu đồng, buộc gỡ bài sai sự thật.")
    publisher.check("#f-channels-portal")
    _submit(publisher, "publish")
    assert _state(publisher) == "Đã công khai"
    assert publisher.locator(".badge").first.get_attribute("class") == "badge badge-none"
    assert publisher.locator("#timeline li.event").count() == 7
    live.step(publisher, "published")


def test_reporter_has_no_assess_button_and_a_forged_post_is_403(new_page: Any, live: Live, tmp_path: Path) -> None:
    reporter = new_page()
    live.login(reporter, "reporter")
    ref = _file_report(reporter, live, tmp_path)
    assert reporter.locator("a[data-trigger]").count() == 0
    case_id = int(reporter.url.split("/cases/")[1].split("?")[0])
    before = load_case(live.org, case_id)
    token = reporter.locator("input[name=csrf_token]").first.get_attribute("value")
    r = reporter.request.post(f"{live.url}/cases/{case_id}/act/assess", form={
        "csrf_token": token, "version": str(before.version), "confirmed_kind": "false_information", "severity": "high",
        "competent_unit": str(live.org.units["VHTT"]), "assessment_note": "Tự thẩm định."})  # fmt: skip
    assert r.status == 403
    after = load_case(live.org, case_id)
    assert (after.state, after.version, after.event_count) == (before.state, before.version, before.event_count)
    reporter.goto(reporter.url)
    assert _state(reporter) == "Đã tiếp nhận" and ref in reporter.inner_text("#case-ref")


def test_a_stale_form_gets_the_conflict_message(new_page: Any, live: Live, tmp_path: Path) -> None:
    reporter, first, second = new_page(), new_page(), new_page()
    live.login(reporter, "reporter")
    ref = _file_report(reporter, live, tmp_path)
    live.login(first, "assessor")
    live.login(second, "assessor")
    _open_case(first, live, ref)
    _act(first, "dismiss")
    first.select_option("#f-reason", "unfounded")
    first.fill("#f-note", "Không có căn cứ.")
    _open_case(second, live, ref)
    _act(second, "request_info")
    second.fill("#f-question", "Cần thêm bằng chứng.")
    _submit(second, "request_info")
    first.click("button[data-trigger='dismiss']")
    first.wait_for_selector(".conflict")
    assert "Vụ việc vừa được người khác cập nhật" in first.inner_text(".conflict")
    assert _state(first) == "Chờ bổ sung thông tin"
    live.step(first, "conflict")
    case_id = int(second.url.split("/cases/")[1].split("?")[0])
    assert load_case(live.org, case_id).state == "awaiting_info"


def test_phone_width_screens(new_page: Any, live: Live, tmp_path: Path) -> None:
    """360-px screenshots of the report form and the case page, kept in test-artifacts/screens for a person to look at."""
    page = new_page(360, 780)
    live.login(page, "reporter")
    page.goto(live.url + "/reports/new")
    out = ARTIFACTS / "screens"
    out.mkdir(parents=True, exist_ok=True)
    assert page.evaluate("document.documentElement.scrollWidth") <= 360  # no sideways scrolling of the page
    page.screenshot(path=str(out / "report-form-360.png"), full_page=True)
    _file_report(page, live, tmp_path)
    page.wait_for_selector(".diagram svg")
    assert page.evaluate("document.documentElement.scrollWidth") <= 360
    page.screenshot(path=str(out / "case-page-360.png"), full_page=True)
    page.screenshot(path=str(out / "case-page-360-top.png"))


PHONE_PAGES = {
    "reporter": ["/reports", "/inbox", "/inbox/settings", "/account/password"],
    "assessor": ["/worklist", "/overview", "/dashboard", "/dashboard/report?period=2026"],
    "supervisor": ["/dashboard?period=2026-Q1", "/overview"],
    "admin": ["/admin/units", "/admin/users", "/admin/users/new", "/admin/workflows", "/admin/notifications", "/admin/audit"],
}


@pytest.mark.parametrize("who", sorted(PHONE_PAGES))
def test_every_page_fits_a_phone(new_page: Any, live: Live, tmp_path: Path, who: str) -> None:
    """Each role's pages at 360 px: nothing wider than the screen, so nobody scrolls sideways to read."""
    page = new_page(360, 780)
    live.login(page, "reporter")
    _file_report(page, live, tmp_path)  # at least one case, so lists and charts are not empty
    if who != "reporter":
        page.context.clear_cookies()
        live.login(page, who)
    for path in PHONE_PAGES[who]:
        response = page.goto(live.url + path)
        assert response is not None and response.status == 200, path
        too_wide = page.evaluate(
            "() => [...document.querySelectorAll('body *')].filter(e => e.getBoundingClientRect().right > 361)"
            ".slice(0, 3).map(e => e.tagName + '.' + e.className)"
        )
        assert page.evaluate("document.documentElement.scrollWidth") <= 360, (path, too_wide)


def test_the_whole_workflow_diagram_shows_on_a_desk(new_page: Any, live: Live, tmp_path: Path) -> None:
    """At desktop width every state of the diagram is inside its card, not cut off at the right."""
    page = new_page(1280, 900)
    live.login(page, "reporter")
    _file_report(page, live, tmp_path)
    page.wait_for_selector(".diagram svg")
    svg_right, card_right = page.evaluate(
        "() => { const s = document.querySelector('.diagram svg'); const d = s.closest('.diagram');"
        " return [s.getBoundingClientRect().right, d.getBoundingClientRect().right]; }"
    )
    assert svg_right <= card_right + 0.5
    assert page.locator(".diagram svg").get_by_text("Đã công khai", exact=True).count() == 1
