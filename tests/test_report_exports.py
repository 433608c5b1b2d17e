"""The files officials file, read back: XLSX (openpyxl), DOCX (python-docx) and CSV, Vietnamese intact."""

from __future__ import annotations

import csv
import io
from datetime import date, datetime

import pytest
from docx import Document
from docx.enum.section import WD_ORIENT
from openpyxl import load_workbook

from engine.read.figures import Scope
from engine.read.reporting import Report, iter_cases, make_report
from engine.time.clock import FrozenClock
from engine.time.periods import parse_period
from tests.report_support import build
from tests.support import Org
from web.exports.document import docx_bytes, number_line, official_date
from web.exports.settings import PARTY, STATE, ReportSettings, load_settings
from web.exports.tabular import csv_bytes, xlsx_bytes


@pytest.fixture
def report(org: Org, clock: FrozenClock) -> Report:
    build(org, clock)
    return make_report(org.rt, parse_period("2026"), viewer=org.actor("supervisor"))  # may know every filer


def _docx_text(data: bytes) -> tuple[str, list[list[list[str]]]]:
    doc = Document(io.BytesIO(data))
    paras = "\n".join(p.text for p in doc.paragraphs)
    tables = [[[c.text for c in row.cells] for row in t.rows] for t in doc.tables]
    return paras, tables


def _signature_row(tables: list[list[list[str]]]) -> list[str]:
    """The signature block's row (before the annex, which follows the signature as annexes do)."""
    return next(t[0] for t in tables if "Nơi nhận:" in t[0][0])


def test_xlsx_has_figures_and_cases_as_numbers_and_dates(report: Report) -> None:
    wb = load_workbook(io.BytesIO(xlsx_bytes(report, report.cases)))
    assert wb.sheetnames == ["Số liệu", "Vụ việc"]
    figures = {(r[0], r[1]): r[2] for r in wb["Số liệu"].iter_rows(min_row=6, values_only=True) if r[0]}
    assert figures[("Tổng hợp", "Vụ việc tiếp nhận trong kỳ")] == 7
    assert figures[("Tổng hợp", "Tỷ lệ xử lý đúng hạn")] == 66.7
    assert figures[("Tổng hợp", "Thời gian xử lý, bách phân vị 90")] == 17.8
    assert figures[("Theo loại vi phạm", "Xa rời tôn chỉ, mục đích")] == 1
    assert figures[("Theo cơ quan xử lý", "Phòng Văn hóa và Thông tin")] == 2
    assert figures[("Theo đơn vị phản ánh (xã, thị trấn)", "Đảng bộ xã Mường So")] == 6
    assert figures[("Theo tháng", "Tháng 03/2026: tiếp nhận")] == 7  # calendar March: G (14/03) and H (15/03) both
    assert all(isinstance(v, int | float) for v in figures.values())
    rows = list(wb["Vụ việc"].iter_rows(values_only=True))
    assert rows[0][:3] == ("Số hiệu", "Loại vi phạm", "Đối tượng bị phản ánh")
    first = dict(zip(rows[0], rows[1], strict=True))
    assert first["Ngày xử lý"] == datetime(2026, 3, 11) and first["Ngày công khai"] == datetime(2026, 3, 12)
    assert first["Số tiền phạt (đồng)"] == 10_000_000 and first["Loại vi phạm"] == "Thông tin sai sự thật, xuyên tạc"
    assert wb["Vụ việc"]["G2"].number_format == "dd/mm/yyyy"
    assert len(rows) == 4


def test_csv_has_a_bom_and_vietnamese(report: Report) -> None:
    data = csv_bytes(report, report.cases)
    assert data.startswith(b"\xef\xbb\xbf")
    rows = list(csv.reader(io.StringIO(data.decode("utf-8-sig"))))
    assert rows[1] == ["Kỳ báo cáo", "năm 2026 (01/01/2026 – 31/12/2026)"]
    assert ["Tổng hợp", "Vụ việc tiếp nhận trong kỳ", "7", ""] in rows
    assert ["Theo trạng thái xử lý", "Không có căn cứ (đã bác)", "1", ""] in rows
    header = rows.index(["Số hiệu", "Loại vi phạm", "Đối tượng bị phản ánh", "Đơn vị phản ánh", "Cơ quan xử lý", "Trạng thái",
                         "Ngày tiếp nhận", "Ngày xử lý", "Số quyết định", "Ngày quyết định", "Biện pháp xử lý",
                         "Số tiền phạt (đồng)", "Ngày công khai"])
    assert rows[header + 1][:2] == [report.cases[0].reference, "Thông tin sai sự thật, xuyên tạc"]
    assert rows[header + 1][7] == "11/03/2026"
    assert "Reporter" not in data.decode("utf-8-sig")  # no reporter identity in any export


def test_docx_state_layout(report: Report) -> None:
    settings = ReportSettings()
    data = docx_bytes(report, report.cases, STATE, settings, day=date(2026, 12, 15))
    paras, tables = _docx_text(data)
    head = tables[0][0]
    assert "ỦY BAN NHÂN DÂN" in head[0] and "HUYỆN PHONG THỔ" in head[0] and "Số:" in head[0] and "/BC-UBND" in head[0]
    assert "CỘNG HÒA XÃ HỘI CHỦ NGHĨA VIỆT NAM" in head[1] and "Độc lập - Tự do - Hạnh phúc" in head[1]
    assert "Phong Thổ, ngày 15 tháng 12 năm 2026" in head[1]
    assert "BÁO CÁO" in paras and "năm 2026" in paras
    assert "tiếp nhận 7 vụ việc (phản ánh vi phạm báo chí)" in paras and "tỷ lệ xử lý đúng hạn 66,7%" in paras
    summary = {r[0]: r[1] for r in tables[1][1:]}
    assert summary["Vụ việc tiếp nhận trong kỳ"] == "7" and summary["Thời gian thẩm định, trung vị"] == "1,5"
    case_table = next(t for t in tables if t[0][:2] == ["STT", "Số hiệu"])
    assert [r[1] for r in case_table[1:]] == [c.reference for c in report.cases]
    assert case_table[1][5] == "11/03/2026"
    assert "PHỤ LỤC" in paras and "danh sách chi tiết tại Phụ lục" in paras  # the case list is an annex
    sections = Document(io.BytesIO(data)).sections
    assert sections[0].orientation == WD_ORIENT.PORTRAIT and sections[-1].orientation == WD_ORIENT.LANDSCAPE
    assert sections[-1].page_width > sections[-1].page_height
    sign = _signature_row(tables)
    assert sign[0].startswith("Nơi nhận:") and "- Lưu: VT." in sign[0]
    assert "TM. ỦY BAN NHÂN DÂN" in sign[1] and "CHỦ TỊCH" in sign[1]
    assert "ĐẢNG CỘNG SẢN VIỆT NAM" not in paras + str(tables)


def test_docx_party_layout_as_the_seed_plan(report: Report) -> None:
    data = docx_bytes(report, report.cases, PARTY, ReportSettings(), day=date(2026, 1, 5))
    paras, tables = _docx_text(data)
    head = tables[0][0]
    assert "HUYỆN ỦY PHONG THỔ" in head[0] and "\n*\n" in head[0] and "-BC/HU" in head[0]
    assert head[1].startswith("ĐẢNG CỘNG SẢN VIỆT NAM") and "Phong Thổ, ngày 05 tháng 01 năm 2026" in head[1]
    assert "CỘNG HÒA XÃ HỘI CHỦ NGHĨA VIỆT NAM" not in str(tables)
    sign = _signature_row(tables)
    assert "Nơi nhận:" in sign[0] and "- Lưu VPHU." in sign[0]
    assert sign[1].startswith("T/M BAN THƯỜNG VỤ\nPHÓ BÍ THƯ")


def test_docx_builds_on_an_admin_template_and_settings(report: Report, tmp_path) -> None:
    templates = tmp_path / "report_templates"
    templates.mkdir()
    tpl = Document()
    tpl.styles["Normal"].font.name = "Arial"
    tpl.add_paragraph("NỘI DUNG MẪU SẼ BỊ XÓA")
    tpl.save(str(templates / "state.docx"))
    (tmp_path / "reports.toml").write_text(
        'period_start_day = 1\n[state]\nissuing_body = "PHÒNG VĂN HÓA VÀ THÔNG TIN"\nparent_body = "UBND HUYỆN PHONG THỔ"\n'
        'symbol = "BC-VHTT"\nsigner_name = "Nguyễn Văn A"\nnumber = "12"\nrecipients = ["UBND huyện;", "Lưu: VT."]\n',
        encoding="utf-8")
    settings = load_settings(tmp_path)
    assert settings.period_start_day == 1
    doc = Document(io.BytesIO(docx_bytes(report, report.cases, STATE, settings)))
    assert doc.styles["Normal"].font.name == "Arial"  # the template's styles are kept
    text = "\n".join(p.text for p in doc.paragraphs)
    assert "NỘI DUNG MẪU" not in text
    head = doc.tables[0].rows[0].cells
    sign = next(t.rows[0].cells for t in doc.tables if t.rows[0].cells[0].text.startswith("Nơi nhận:"))
    assert "PHÒNG VĂN HÓA VÀ THÔNG TIN" in head[0].text and "Số: 12/BC-VHTT" in head[0].text
    assert "Nguyễn Văn A" in sign[1].text and sign[0].text.endswith("- Lưu: VT.")


def test_document_conventions() -> None:
    assert official_date("Phong Thổ", date(2026, 3, 9)) == "Phong Thổ, ngày 09 tháng 3 năm 2026"
    assert official_date("Phong Thổ", date(2026, 12, 25)) == "Phong Thổ, ngày 25 tháng 12 năm 2026"
    assert official_date("Phong Thổ", date(2026, 2, 10)) == "Phong Thổ, ngày 10 tháng 02 năm 2026"
    s = ReportSettings()
    assert number_line(STATE, s.layout(STATE)).startswith("Số: ") and number_line(PARTY, s.layout(PARTY)).startswith("Số ")


def test_unit_report_lists_only_its_cases(org: Org, clock: FrozenClock) -> None:
    sc = build(org, clock)
    period = parse_period("2026")
    scope = Scope(unit_id=org.units["CA"])
    report = make_report(org.rt, period, scope)
    with org.rt.read_session() as s:
        streamed = list(iter_cases(s, org.rt.registry, period, scope))
    assert [c.reference for c in streamed] == [sc.refs["E"]]
    paras, _tables = _docx_text(docx_bytes(report, streamed, STATE, ReportSettings()))
    assert "của Công an huyện" in paras
