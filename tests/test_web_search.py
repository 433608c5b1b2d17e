"""Tra cứu: every case a person may see, in every state; figures that link to their lists; the public entry."""

from __future__ import annotations

import html
import re
from urllib.parse import parse_qs, urlparse

from flask import Flask

from engine.time.clock import FrozenClock
from tests.support import Org, case_in, file
from tests.test_web_fixtures import signed_in, text

pytest_plugins = ["tests.test_web_fixtures"]


def _refs(page: str) -> list[str]:
    return re.findall(r'class="ref" href="/cases/\d+">([A-Z]+-\d{4}-\d{6})<', page)


def test_search_finds_closed_cases_without_diacritics_and_filters_by_every_state(app: Flask, org: Org) -> None:
    published = case_in(org, "published", subject_name="Trang Facebook “Tin nóng Phong Thổ”")
    dismissed = case_in(org, "dismissed", subject_name="Nhóm Zalo “Chợ Phong Thổ”")
    open_case = file(org, subject_name="Kênh TikTok “Lai Châu Review”")
    w = signed_in(app, "assessor")
    for term in ("tin nong", "TIN NÓNG", "phong tho"):
        assert published.reference in _refs(text(w.get(f"/search?q={term}"))), term
    assert sorted(_refs(text(w.get("/search?q=phong tho")))) == sorted([published.reference, dismissed.reference])
    assert _refs(text(w.get(f"/search?q={published.reference[-6:]}"))) == [published.reference]
    assert _refs(text(w.get("/search?state=published"))) == [published.reference]
    assert _refs(text(w.get("/search?state=dismissed"))) == [dismissed.reference]
    assert _refs(text(w.get("/search?status=open"))) == [open_case.reference]
    page = text(w.get("/search?state=published"))
    for state in ("reported", "awaiting_info", "assessed", "handled", "published", "dismissed", "closed"):
        assert f'<option value="{state}"' in page
    # the holder column, never the filing unit
    assert 'class="holder"' in page and "Chi bộ" not in page.split('id="search-results"', 1)[1]
    # bad filter values are ignored, never an error
    assert w.get("/search?state=binned&unit=abc&from=31/02/2026&page=-1").status_code == 200
    # the worklist sends a state it never holds to the search
    r = w.get("/worklist?state=published&q=tin")
    assert r.status_code == 302 and parse_qs(urlparse(r.headers["Location"]).query) == {"state": ["published"], "q": ["tin"]}


def test_search_shows_a_reporter_only_their_units_cases(app: Flask, org: Org) -> None:
    mine = case_in(org, "dismissed", subject_name="Trang “Phong Thổ 24h”")
    theirs = file(org, reporter="reporter_other", subject_name="Trang “Phong Thổ mới”")
    assert _refs(text(signed_in(app, "reporter").get("/search?q=phong tho"))) == [mine.reference]
    assert _refs(text(signed_in(app, "reporter_other").get("/search?q=phong tho"))) == [theirs.reference]
    assert signed_in(app, "admin").get("/search").status_code == 403


def test_overview_figures_link_to_their_lists(app: Flask, org: Org, clock: FrozenClock) -> None:
    case_in(org, "published")
    file(org)
    clock.advance(days=30)
    w = signed_in(app, "supervisor")
    page = text(w.get("/overview"))
    link = html.unescape(re.search(r'data-state="published"><td>[^<]*</td><td class="num"><a href="([^"]+)">1</a>', page).group(1))
    assert _refs(text(w.get(link))) and "state=published" in link
    assert 'href="/search?overdue=1" id="overdue-link"' in page
    assert len(_refs(text(w.get("/search?overdue=1")))) == 1


def test_dashboard_figures_link_to_the_matching_list(app: Flask, org: Org) -> None:
    published = case_in(org, "published")
    w = signed_in(app, "supervisor")
    page = text(w.get("/dashboard?period=2026"))
    row = re.search(r'<tr data-key="published"><td>[^<]*</td><td class="num"><a href="([^"]+)">1</a>', page)
    assert row, "the published figure links to its cases"
    listed = text(w.get(html.unescape(row.group(1))))
    assert _refs(listed) == [published.reference]
    opened = html.unescape(re.search(r'<a href="([^"]+)" class="kpi-link"><span class="kpi-n" id="kpi-opened">', page).group(1))
    assert "from=2026-01-01" in opened and "to=2026-12-31" in opened
    assert _refs(text(w.get(opened))) == [published.reference]
    assert 'id="by_filing_unit"' in page and "/search" not in page.split('id="by_filing_unit"', 1)[1].split("</table>", 1)[0]


def test_a_published_case_links_to_its_public_entry(app: Flask, org: Org) -> None:
    published = case_in(org, "published")
    handled = case_in(org, "handled")
    w = signed_in(app, "assessor")
    page = text(w.get(f"/cases/{published.case_id}"))
    assert f'href="/cong-khai/{published.reference}" id="public-entry"' in page
    assert w.get(f"/cong-khai/{published.reference}").status_code == 200
    assert 'id="public-entry"' not in text(w.get(f"/cases/{handled.case_id}"))


def test_far_or_broken_date_filters_are_ignored_not_a_server_error(app: Flask, org: Org) -> None:
    """`to=9999-12-31` has no next day to end the range at: found by the hostile-input sweep as a 500."""
    case_in(org, "assessed")
    w = signed_in(app, "assessor")
    for query in ("from=0001-01-01&to=9999-12-31", "to=9999-12-31", "from=9999-12-31", "from=2026-13-01", "to=x"):
        r = w.get(f"/search?{query}")
        assert r.status_code == 200, query
        assert "PA-2026-" in text(r), query  # the filter is dropped, so the case is still listed
