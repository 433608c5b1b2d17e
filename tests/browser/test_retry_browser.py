"""Back and send again, and the same form from two tabs, in real Chromium: a report form files one case (web/retry.py)."""

from __future__ import annotations

from pathlib import Path
from typing import Any

import pytest
from sqlalchemy import func, select

from engine.store.models import Case
from tests.browser.conftest import Live
from tests.test_web_fixtures import PNG

pytestmark = pytest.mark.browser


def _cases(live: Live) -> int:
    with live.org.rt.read_session() as s:
        return s.scalar(select(func.count()).select_from(Case)) or 0


def _fill_report(page: Any, tmp_path: Path, description: str) -> None:
    page.select_option("#f-violation_kind", "false_information")
    page.fill("#f-subject_name", "Trang Facebook “Phong Thổ 24h”")
    page.select_option("#f-subject_type", "social_account")
    page.fill("#f-description", description)
    evidence = tmp_path / "ảnh chụp.png"
    evidence.write_bytes(PNG)
    page.set_input_files("#f-evidence", str(evidence))


def test_back_and_send_again_files_one_report(new_page: Any, live: Live, tmp_path: Path) -> None:
    page = new_page()
    live.login(page, "reporter")
    page.click("nav a[href^='/reports/new']")  # the menu's link, as a person opens the form
    _fill_report(page, tmp_path, "Đăng tin sai sự thật về dịch bệnh.")
    page.click("form button.primary")
    page.wait_for_selector(".filed .ref")
    reference = page.inner_text(".filed .ref").strip()
    live.step(page, "filed")
    assert _cases(live) == 1

    page.go_back()  # the form again, fetched anew (pages are no-store), with what was typed
    page.wait_for_selector("form button.primary")
    assert page.input_value("#f-description") == "Đăng tin sai sự thật về dịch bệnh."
    live.step(page, "back")
    page.click("form button.primary")
    page.wait_for_selector(".flash-info")
    live.step(page, "sent-again")
    assert "đã được gửi trước đó" in page.inner_text(".flash-info") and reference in page.inner_text(".flash-info")
    assert page.inner_text(".filed .ref").strip() == reference  # landed where the first one landed
    assert _cases(live) == 1

    # a new report is a new form: the menu's link again
    page.click("nav a[href^='/reports/new']")
    _fill_report(page, tmp_path, "Một bài đăng khác.")
    page.click("form button.primary")
    page.wait_for_selector(".filed .ref")
    assert page.inner_text(".filed .ref").strip() != reference
    assert _cases(live) == 2


def test_the_same_form_sent_from_two_tabs_files_one_report(new_page: Any, live: Live, tmp_path: Path) -> None:
    """A phone that lost the connection and reopened the same address: the same form, sent again.

    (A double click on the button is no test here: Chromium itself sends a form only once per click burst.)
    """
    page = new_page()
    live.login(page, "reporter")
    page.click("nav a[href^='/reports/new']")
    address = page.url
    assert "?k=" in address
    second = page.context.new_page()
    second.goto(address)
    for tab in (page, second):
        _fill_report(tab, tmp_path, "Gửi lại khi mạng chập chờn.")
        tab.click("form button.primary")
        tab.wait_for_selector(".filed .ref")
    live.step(second, "second-tab")
    assert page.inner_text(".filed .ref") == second.inner_text(".filed .ref")
    assert "đã được gửi trước đó" in second.inner_text(".flash-info")
    assert _cases(live) == 1
