"""Light pages, measured in Chromium: bytes on the wire for a first and a later visit, and a case page on slow 3G.

Sizes are what the network carried (CDP's encodedDataLength: headers and compressed bodies), for
a browser with an empty cache (first visit) and then with the cache the first visit left.
"""

from __future__ import annotations

import time
from typing import Any

import pytest

from tests.browser.conftest import Live
from tests.support import case_in, file

pytestmark = pytest.mark.browser

FIRST_VISIT_MAX = 200 * 1024
LATER_VISIT_MAX = 50 * 1024
SLOW_3G = {"offline": False, "latency": 400, "downloadThroughput": 400 * 1000 / 8, "uploadThroughput": 400 * 1000 / 8}


class Meter:
    """Counts the bytes every request of the page carried, through the DevTools protocol."""

    def __init__(self, page: Any) -> None:
        self.cdp = page.context.new_cdp_session(page)
        self.cdp.send("Network.enable")
        self.bytes = 0
        self.urls: list[tuple[str, int]] = []
        self._url: dict[str, str] = {}
        self.cdp.on("Network.requestWillBeSent", lambda e: self._url.__setitem__(e["requestId"], e["request"]["url"]))
        self.cdp.on("Network.loadingFinished", self._done)

    def _done(self, e: dict[str, Any]) -> None:
        self.bytes += int(e["encodedDataLength"])
        self.urls.append((self._url.get(e["requestId"], "?"), int(e["encodedDataLength"])))

    def visit(self, page: Any, url: str, *, cold: bool) -> int:
        if cold:
            self.cdp.send("Network.clearBrowserCache")
        self.bytes, self.urls = 0, []
        page.goto(url, wait_until="load")
        page.wait_for_timeout(150)  # the last loadingFinished events arrive just after `load`
        return self.bytes


@pytest.mark.parametrize("width", [1280, 360])
def test_every_page_is_light_on_first_and_later_visits(live: Live, new_page: Any, width: int) -> None:
    out = case_in(live.org, "published", subject_name="Trang Facebook “Tin nóng Phong Thổ”")
    file(live.org)
    pages = {
        "assessor": ["/worklist", f"/cases/{out.case_id}", "/search?q=tin+nong", "/overview", "/dashboard", "/inbox"],
        "reporter": ["/reports", "/reports/new", f"/cases/{out.case_id}"],
    }
    for who, urls in pages.items():
        page = new_page(width=width, height=800)
        live.login(page, who)
        meter = Meter(page)
        for path in urls:
            first = meter.visit(page, live.url + path, cold=True)
            assert first <= FIRST_VISIT_MAX, (path, first, meter.urls)
            assert not any("mermaid" in u or u.endswith(".js") for u, _ in meter.urls), meter.urls
            later = meter.visit(page, live.url + path, cold=False)
            assert later <= LATER_VISIT_MAX, (path, later, meter.urls)
            # (Chromium fetches the favicon its own way, outside the page's cache: it is counted, not required cached)
            cached = [n == 0 for u, n in meter.urls if "/static/" in u and "favicon" not in u]
            assert cached and all(cached), f"static files come from the cache: {meter.urls}"
            # nothing sideways at phone width: the page, diagram included, fits the screen
            overflow = page.evaluate("document.documentElement.scrollWidth - document.documentElement.clientWidth")
            assert overflow <= 1, (path, width, overflow)
    public = new_page(width=width)
    meter = Meter(public)
    assert meter.visit(public, live.url + "/cong-khai", cold=True) <= FIRST_VISIT_MAX


@pytest.mark.parametrize("width", [1280, 360])
def test_first_case_page_on_slow_3g_loads_in_under_5_s_with_the_current_state_in_view(
    live: Live, new_page: Any, width: int
) -> None:
    out = case_in(live.org, "assessed")
    page = new_page(width=width, height=740)
    live.login(page, "assessor")
    meter = Meter(page)
    meter.cdp.send("Network.clearBrowserCache")
    meter.cdp.send("Network.emulateNetworkConditions", SLOW_3G)
    t0 = time.perf_counter()
    page.goto(f"{live.url}/cases/{out.case_id}", wait_until="load")
    elapsed = time.perf_counter() - t0
    assert elapsed < 5.0, f"first case page on slow 3G took {elapsed:.2f} s"
    current = page.locator(".diagram svg g.current")
    assert current.get_attribute("data-state") == "assessed"
    box, frame = current.bounding_box(), page.locator(".diagram").bounding_box()
    assert box and frame and frame["x"] <= box["x"] and box["x"] + box["width"] <= frame["x"] + frame["width"] + 1
    live.step(page, f"case-3g-{width}")
