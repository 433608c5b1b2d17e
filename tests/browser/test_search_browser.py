"""Every case findable, in Chromium at desk and phone widths: search, the split worklist, figures that link."""

from __future__ import annotations

import re
from typing import Any

import pytest

from tests.browser.conftest import Live
from tests.support import case_in, file

pytestmark = pytest.mark.browser


@pytest.mark.parametrize("width", [1280, 360])
def test_a_published_case_is_found_without_diacritics_and_leads_to_its_public_entry(
    live: Live, new_page: Any, width: int
) -> None:
    published = case_in(live.org, "published", subject_name="Trang Facebook “Tin nóng Phong Thổ”")
    case_in(live.org, "dismissed", subject_name="Nhóm Zalo “Chợ Phong Thổ”")
    file(live.org, subject_name="Kênh TikTok “Lai Châu Review”")
    page = new_page(width=width, height=740)
    live.login(page, "supervisor")
    page.click("nav a[href='/search']")
    page.fill("#q", "TIN NÓNG")
    page.click("form[role=search] button.primary")
    page.wait_for_selector("#search-results")
    assert page.locator("#search-results a.ref").all_inner_texts() == [published.reference]
    page.goto(live.url + "/search?q=phong+tho")
    assert page.locator("#search-results a.ref").count() == 2
    page.select_option("#state", "published")
    page.click("form[role=search] button.primary")
    page.wait_for_url(re.compile(r".*state=published.*"))
    assert page.locator("#search-results a.ref").all_inner_texts() == [published.reference]
    assert page.evaluate("document.documentElement.scrollWidth - document.documentElement.clientWidth") <= 1
    live.step(page, f"search-{width}")
    page.goto(live.url + "/search?q=" + published.reference[-6:])
    page.click(f"a.ref:text('{published.reference}')")
    page.wait_for_selector("#case-state")
    page.click("#public-entry")
    page.wait_for_url(re.compile(rf".*/cong-khai/{published.reference}$"))
    live.step(page, f"public-entry-{width}")


@pytest.mark.parametrize("width", [1280, 360])
def test_assessor_sees_own_work_apart_from_cases_held_elsewhere(live: Live, new_page: Any, width: int) -> None:
    new = file(live.org, subject_name="Phản ánh mới")
    held = case_in(live.org, "assessed", subject_name="Đang ở phòng Văn hóa")
    page = new_page(width=width, height=740)
    live.login(page, "assessor")
    page.goto(live.url + "/worklist")
    mine = page.locator("#mine a.ref").all_inner_texts()
    others = page.locator("#others a.ref").all_inner_texts()
    assert mine == [new.reference] and others == [held.reference]
    holder = page.locator("#others td.holder").first
    assert holder.is_visible() and "Văn hóa" in holder.inner_text()
    assert page.evaluate("document.documentElement.scrollWidth - document.documentElement.clientWidth") <= 1
    live.step(page, f"worklist-{width}")
    page.goto(live.url + "/overview")
    page.click("tr[data-state='assessed'] td.num a")
    page.wait_for_selector("#search-results")
    assert page.locator("#search-results a.ref").all_inner_texts() == [held.reference]
