"""The dashboard and report downloads: who may see which scope (checked server-side), and what the files hold."""

from __future__ import annotations

import io
import re

import pytest
from docx import Document
from flask import Flask
from openpyxl import load_workbook

from engine.time.clock import FrozenClock
from tests.report_support import build
from tests.support import Org
from tests.test_web_fixtures import signed_in, text

pytest_plugins = ["tests.test_web_fixtures"]


@pytest.fixture
def district(org: Org, clock: FrozenClock):
    return build(org, clock)


def test_supervisor_sees_the_district_with_charts_and_tables(app: Flask, district, org: Org) -> None:
    w = signed_in(app, "supervisor")
    r = w.get("/dashboard?period=2026")
    assert r.status_code == 200
    page = text(r)
    assert "Thống kê, báo cáo" in page and "toàn huyện" in page and "năm 2026" in page
    assert page.count('<svg class="chart"') == 5
    assert '<span class="kpi-n" id="kpi-opened">7</span>' in page and '<span class="kpi-n" id="kpi-share">66,7%</span>' in page
    figures = re.sub(r"</?a\b[^>]*>", "", page)  # each figure links to its list of cases (tests/test_web_search.py)
    assert '<tr data-key="mission_deviation"><td>Xa rời tôn chỉ, mục đích</td><td class="num">1</td></tr>' in figures
    assert f'<tr data-key="{org.units["VHTT"]}"><td>Phòng Văn hóa và Thông tin</td><td class="num">2</td></tr>' in figures
    assert 'href="/dashboard"' in page  # the menu offers it


def test_assessor_may_pick_a_unit_and_bad_periods_are_explained(app: Flask, district, org: Org) -> None:
    w = signed_in(app, "assessor")
    page = text(w.get(f"/dashboard?period=2026&unit={org.units['CA']}"))
    assert "Công an huyện" in page and '<span class="kpi-n" id="kpi-opened">1</span>' in page
    r = w.get("/dashboard?period=2026-Q7")
    assert r.status_code == 400 and "Kỳ báo cáo không hợp lệ" in text(r)
    assert w.get("/dashboard?unit=abc").status_code == 400
    assert w.get("/dashboard?unit=999999").status_code == 404


def test_handler_sees_only_their_own_unit(app: Flask, district, org: Org) -> None:
    w = signed_in(app, "handler")  # VHTT
    page = text(w.get("/dashboard?period=2026"))
    assert "Phòng Văn hóa và Thông tin" in page and '<span class="kpi-n" id="kpi-opened">2</span>' in page
    assert 'name="unit"' not in page  # no unit picker
    assert w.get(f"/dashboard?unit={org.units['CA']}").status_code == 403
    assert w.get(f"/dashboard/report.xlsx?period=2026&unit={org.units['CA']}").status_code == 403
    wb = load_workbook(io.BytesIO(w.get("/dashboard/report.xlsx?period=2026").data))
    refs = [row[0] for row in wb["Vụ việc"].iter_rows(min_row=2, values_only=True)]
    assert sorted(refs) == sorted([district.refs["A"], district.refs["C"]])
    leader = signed_in(app, "leader")  # TTVH, the media centre: holds the handled cases to publish
    assert leader.get("/dashboard?period=2026").status_code == 200


@pytest.mark.parametrize("who", ["reporter", "publisher", "admin"])
def test_others_are_refused(app: Flask, district, who: str) -> None:
    w = signed_in(app, who)
    for url in ("/dashboard", "/dashboard/report", "/dashboard/report.csv", "/dashboard/report.docx?layout=state"):
        assert w.get(url).status_code == 403, (who, url)
    assert 'href="/dashboard"' not in text(w.get("/"))


def test_signed_out_is_sent_to_sign_in(app: Flask) -> None:
    r = app.test_client().get("/dashboard/report.xlsx")
    assert r.status_code == 302 and "/login" in r.headers["Location"]


def test_report_page_and_downloads(app: Flask, district, org: Org) -> None:
    w = signed_in(app, "supervisor")
    page = text(w.get("/dashboard/report?period=2026"))
    assert re.search(r"/static/dashboard\.[0-9a-f]{10}\.css", page) and district.refs["E"] in page and "Công an huyện" in page
    assert "Reporter" not in page.split('<main id="main">')[1]
    r = w.get("/dashboard/report.csv?period=2026")
    assert r.mimetype == "text/csv" and r.data.startswith(b"\xef\xbb\xbf")
    assert 'filename="bao-cao-2026-toan-huyen.csv"' in r.headers["Content-Disposition"]
    assert "Vụ việc tiếp nhận trong kỳ,7" in r.data.decode("utf-8-sig")
    r = w.get("/dashboard/report.docx?period=2026&layout=party")
    doc = Document(io.BytesIO(r.data))
    assert doc.tables[0].rows[0].cells[1].text.startswith("ĐẢNG CỘNG SẢN VIỆT NAM")
    assert any("T/M BAN THƯỜNG VỤ" in t.rows[0].cells[-1].text for t in doc.tables)
    assert 'filename="bao-cao-2026-toan-huyen-dang.docx"' in r.headers["Content-Disposition"]
    r = w.get(f"/dashboard/report.docx?period=2026&layout=state&unit={org.units['VHTT']}")
    assert 'filename="bao-cao-2026-VHTT-chinh-quyen.docx"' in r.headers["Content-Disposition"]  # two layouts, two names
    head = Document(io.BytesIO(r.data)).tables[0].rows[0].cells
    assert "PHÒNG VĂN HÓA VÀ THÔNG TIN" in head[0].text and "ỦY BAN NHÂN DÂN HUYỆN PHONG THỔ" in head[0].text
    assert "CỘNG HÒA XÃ HỘI CHỦ NGHĨA VIỆT NAM" in head[1].text
    assert w.get("/dashboard/report.docx?period=2026&layout=royal").status_code == 400
    assert w.get("/dashboard/report.pdf?period=2026").status_code == 404


def test_english_interface(app: Flask, district) -> None:
    w = signed_in(app, "supervisor")
    w.post("/account/language", {"language": "en", "next": "/dashboard"})
    page = text(w.get("/dashboard?period=2026"))
    assert "Statistics and reports" in page and "whole district" in page and "Opened and closed by month" in page
