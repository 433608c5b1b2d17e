"""From `publish` (with its server-rendered preview) to the public register, in Chromium, signed in and not."""

from __future__ import annotations

from typing import Any

import pytest

from tests.browser.conftest import Live
from tests.support import case_in

pytestmark = pytest.mark.browser


def test_publish_with_preview_then_read_it_on_the_public_register(new_page: Any, live: Live) -> None:
    out = case_in(live.org, "handled")
    publisher = new_page()
    live.login(publisher, "publisher")
    publisher.goto(f"{live.url}/cases/{out.case_id}/act/publish")
    publisher.fill("#f-public_summary", "Ông Nguyễn Văn Bình bị phạt tiền; trang đã gỡ bài.")
    publisher.check("#f-channels-portal")
    publisher.click("button[data-preview='publish']")
    publisher.wait_for_selector("#public-preview")
    preview = publisher.inner_text("#public-preview")
    assert "Ông N.V.B bị phạt tiền; trang đã gỡ bài." in preview and "Nguyễn Văn Bình" not in preview
    assert publisher.input_value("#f-public_summary").startswith("Ông Nguyễn Văn Bình")  # the form keeps what was typed
    live.step(publisher, "preview")
    publisher.click("button[data-trigger='publish']")
    publisher.wait_for_selector("#case-state")
    assert publisher.inner_text("#case-state").strip() == "Đã công khai"

    reader = new_page(360, 780)  # anyone, on a phone, not signed in
    reader.goto(live.url + "/cong-khai")
    reader.click(f"a.ref:text('{out.reference}')")
    reader.wait_for_url(f"**/cong-khai/{out.reference}")
    body = reader.inner_text("main")
    assert "Ông N.V.B bị phạt tiền; trang đã gỡ bài." in body
    assert "Phạt tiền" in body and "01/QĐ-XPHC" in body and "Phòng Văn hóa và Thông tin" in body
    assert reader.evaluate("document.documentElement.scrollWidth <= window.innerWidth")  # no sideways scrolling
    live.step(reader, "public-page")
