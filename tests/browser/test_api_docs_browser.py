"""The API's documentation page runs in a real browser from the vendored Swagger UI, under the site's
Content-Security-Policy (no inline script, no CDN), and lists every operation of the description."""

from __future__ import annotations

from typing import Any

import pytest

from tests.browser.conftest import Live

pytestmark = pytest.mark.browser


def test_docs_page_renders_every_operation_under_the_csp(live: Live, new_page: Any) -> None:
    page = new_page()
    problems: list[str] = []
    page.on("console", lambda m: problems.append(m.text) if m.type == "error" else None)
    page.on("pageerror", lambda e: problems.append(str(e)))
    requested: list[str] = []
    page.on("request", lambda r: requested.append(r.url))
    page.goto(live.url + "/api/v1/docs")
    page.wait_for_selector(".opblock")
    n_ops = len(page.request.get(live.url + "/api/v1/openapi.json").json()["paths"])
    assert page.locator(".opblock-tag-section").count() >= 4
    assert "presscase API" in page.locator(".info .title").inner_text()
    assert page.locator(".opblock").count() >= n_ops
    assert not problems, problems
    assert all(u.startswith(live.url) for u in requested), [u for u in requested if not u.startswith(live.url)]
