"""Clean text and evidence on screen: a bidi control refused beside the field, a polyglot renamed, a file marked superseded."""

from __future__ import annotations

from pathlib import Path
from typing import Any

import pytest

from tests.browser.conftest import Live

pytestmark = pytest.mark.browser

GIF = b"GIF89a\x01\x00\x01\x00\x00\x00\x00;<script>alert(1)</script>"


def test_bidi_refused_polyglot_renamed_and_file_marked_superseded(new_page: Any, live: Live, tmp_path: Path) -> None:
    reporter, assessor = new_page(), new_page()
    live.login(reporter, "reporter")
    poly = tmp_path / "poly.html"
    poly.write_bytes(GIF)
    reporter.goto(live.url + "/reports/new")
    reporter.select_option("#f-violation_kind", "false_information")
    reporter.fill("#f-subject_name", "Trang\u202e 24h")
    reporter.select_option("#f-subject_type", "social_account")
    reporter.fill("#f-description", "Tin sai sự thật.")
    reporter.set_input_files("#f-evidence", str(poly))
    reporter.click("form button.primary")
    reporter.wait_for_selector("#f-subject_name-err")
    assert "U+202E" in reporter.inner_text("#f-subject_name-err")
    live.step(reporter, "bidi-refused")
    reporter.fill("#f-subject_name", "Trang 24h")
    reporter.set_input_files("#f-evidence", str(poly))
    reporter.click("form button.primary")
    reporter.wait_for_selector(".filed .ref")
    ref = reporter.inner_text(".filed .ref").strip()
    assert reporter.inner_text(".attachments a").strip() == "poly.gif"

    live.login(assessor, "assessor")
    assessor.goto(live.url + "/worklist?q=" + ref)
    assessor.click(f"a.ref:text('{ref}')")
    assessor.wait_for_selector("form.supersede")
    assessor.fill("form.supersede input[name=reason]", "Tệp gửi nhầm; đã gửi lại ảnh đúng.")
    assessor.click("form.supersede button")
    assessor.wait_for_selector(".badge.superseded")
    assert assessor.locator("form.supersede").count() == 0
    assert "Đánh dấu tệp chứng cứ đã bị thay thế" in assessor.inner_text("#timeline")
    live.step(assessor, "superseded")
    with assessor.expect_download() as download:
        assessor.click(".attachments a")
    assert download.value.suggested_filename == "poly.gif"
