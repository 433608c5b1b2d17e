"""Light pages: static files under content-hashed names cached for a year, text responses gzip-compressed."""

from __future__ import annotations

import gzip
import re

from flask import Flask

from tests.support import Org, case_in
from tests.test_web_fixtures import signed_in

pytest_plugins = ["tests.test_web_fixtures"]
GZ = {"Accept-Encoding": "gzip, deflate, br"}


def test_static_files_have_content_hashed_names_and_are_cached_for_good(app: Flask, org: Org) -> None:
    w = signed_in(app, "assessor")
    page = w.get("/worklist").get_data(as_text=True)
    css = re.search(r'href="(/static/app\.([0-9a-f]{10})\.css)"', page)
    assert css, "the stylesheet is linked by a name carrying its content hash"
    r = w.get(css.group(1), headers=GZ)
    assert r.status_code == 200 and r.headers["Content-Encoding"] == "gzip"
    assert "immutable" in r.headers["Cache-Control"] and "max-age=31536000" in r.headers["Cache-Control"]
    body = gzip.decompress(r.get_data())
    assert b".topbar" in body and len(r.get_data()) < len(body) / 2
    import hashlib

    assert hashlib.sha256(body).hexdigest()[:10] == css.group(2)
    # an out-of-date hash (a page from before an upgrade) still gets the file, but it is not kept
    stale = w.get("/static/app.0123456789.css")
    assert stale.status_code == 200 and "immutable" not in stale.headers.get("Cache-Control", "")
    assert w.get("/static/app.css").status_code == 200  # the plain name still works
    assert w.get("/static/nothing.0123456789.css").status_code == 404
    assert w.get("/static/../web/__init__.py").status_code == 404


def test_pages_are_compressed_when_the_browser_accepts_it(app: Flask, org: Org) -> None:
    out = case_in(org, "assessed")
    w = signed_in(app, "assessor")
    plain = w.get(f"/cases/{out.case_id}")
    assert "Content-Encoding" not in plain.headers and "Accept-Encoding" in plain.headers["Vary"]
    r = w.client.get(f"/cases/{out.case_id}", headers=GZ)
    assert r.headers["Content-Encoding"] == "gzip" and "Accept-Encoding" in r.headers["Vary"]
    html = gzip.decompress(r.get_data())
    # the same page (the CSRF token is signed with the time, and every rendering gives forms new retry keys)
    def same(page: str) -> str:
        page = re.sub(r'name="(csrf_token|retry_key)" value="[^"]+"', "", page)
        return re.sub(r"\?k=[0-9a-f-]{36}", "", page)

    assert same(html.decode()) == same(plain.get_data(as_text=True))
    assert len(r.get_data()) * 3 < len(html) and len(r.get_data()) < 15_000
    assert "<script" not in html.decode()


def test_public_register_revalidates_its_compressed_pages(app: Flask, org: Org) -> None:
    case_in(org, "published")
    c = app.test_client()
    r = c.get("/cong-khai", headers=GZ)
    assert r.headers["Content-Encoding"] == "gzip" and r.headers["ETag"].startswith('W/"')
    again = c.get("/cong-khai", headers={**GZ, "If-None-Match": r.headers["ETag"]})
    assert again.status_code == 304 and not again.get_data()
