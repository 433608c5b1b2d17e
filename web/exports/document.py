"""The report as a Vietnamese official document (DOCX), in the State layout or the Party layout.

State layout (Decree 30/2020/NĐ-CP, Appendix I), for People's Committee bodies: a two-column head
with the issuing body and its number and symbol on the left, the national title "CỘNG HÒA XÃ HỘI
CHỦ NGHĨA VIỆT NAM" and motto "Độc lập - Tự do - Hạnh phúc" and the place and date on the right;
the title; the body; "Nơi nhận" on the left and the signature block on the right.
Party layout (the Party Central Office's guidance, as the seed plan 211-KH/HU is laid out): the
issuing Party body with a star under it and "Số 211-KH/HU" on the left, the banner line "ĐẢNG
CỘNG SẢN VIỆT NAM" and the place and date on the right; "T/M BAN THƯỜNG VỤ" signature block.

Templates: python-docx builds on a template document's *styles and page setup*. An admin who
wants another font, margins, header or footer saves a .docx as `report_templates/state.docx` or
`party.docx` in the instance folder; its body is cleared and the report is written with its
styles (Normal, Title-less: the head is built here as the decree fixes it). Without a template
the built-in one sets A4, Times New Roman 14 and the decree's margins. The texts of the head
and the signature (names, symbol, signer, recipients) come from `reports.toml` (settings.py).
"""

from __future__ import annotations

import contextlib
import io
from collections.abc import Iterable
from datetime import date
from pathlib import Path

from docx import Document
from docx.document import Document as DocumentObject
from docx.enum.section import WD_ORIENT, WD_SECTION
from docx.enum.table import WD_TABLE_ALIGNMENT
from docx.enum.text import WD_ALIGN_PARAGRAPH
from docx.oxml import OxmlElement
from docx.oxml.ns import qn
from docx.shared import Cm, Mm, Pt
from docx.table import Table
from docx.text.paragraph import Paragraph

from engine.cases.clean_text import strip_forbidden
from engine.read.reporting import CaseRow, Report
from engine.time.clock import LOCAL_TZ
from web.exports.settings import PARTY, STATE, LayoutSettings, ReportSettings

DOCX_CASE_LIMIT = 200  # a document lists this many cases at most; the XLSX/CSV carry the full list
FONT = "Times New Roman"


def official_date(place: str, day: date) -> str:
    """"Phong Thổ, ngày 05 tháng 01 năm 2027": Decree 30 pads days under 10 and months under 3."""
    d = f"{day.day:02d}" if day.day < 10 else str(day.day)
    m = f"{day.month:02d}" if day.month < 3 else str(day.month)
    return f"{place}, ngày {d} tháng {m} năm {day.year}"


def number_line(layout: str, s: LayoutSettings) -> str:
    """State: "Số: 12/BC-UBND"; Party: "Số 12-BC/HU"; a blank number leaves room for the clerk."""
    number = s.number or "      "
    return f"Số: {number}/{s.symbol}" if layout == STATE else f"Số {number}-{s.symbol}"


def _new_document(template: Path | None) -> DocumentObject:
    if template is not None:
        doc = Document(str(template))
        body = doc.element.body
        for child in list(body):
            if child.tag != qn("w:sectPr"):
                body.remove(child)
        return doc
    doc = Document()
    section = doc.sections[0]
    section.page_width, section.page_height = Mm(210), Mm(297)
    section.top_margin, section.bottom_margin = Mm(20), Mm(20)
    section.left_margin, section.right_margin = Mm(30), Mm(15)
    normal = doc.styles["Normal"]
    normal.font.name = FONT
    normal.font.size = Pt(14)
    normal.element.rPr.rFonts.set(qn("w:eastAsia"), FONT)  # type: ignore[union-attr]
    normal.paragraph_format.space_after = Pt(0)
    return doc


def _para(container: DocumentObject | object, text: str = "", *, bold: bool = False, italic: bool = False,
          underline: bool = False, size: float | None = None, align: int | None = WD_ALIGN_PARAGRAPH.CENTER,
          indent: bool = False, space_after: float = 0) -> Paragraph:  # fmt: skip
    p: Paragraph = container.add_paragraph()  # type: ignore[attr-defined]
    if align is not None:
        p.alignment = align
    p.paragraph_format.space_after = Pt(space_after)
    if indent:
        p.paragraph_format.first_line_indent = Cm(1.27)
    for i, line in enumerate(text.split("\n")):
        run = p.add_run()
        if i:
            run.add_break()  # a line break inside one paragraph, as a two-line title is set
        run.add_text(strip_forbidden(line))  # text stored before the door checked it must not break the XML
        run.bold, run.italic, run.underline = bold, italic, underline
        if size:
            run.font.size = Pt(size)
    return p


def _lines(cell: object, lines: list[tuple[str, dict[str, object]]]) -> None:
    """Fill a table cell with formatted lines (the cell's own empty first paragraph is reused)."""
    first = True
    for text, fmt in lines:
        for part in text.split("\n"):
            if first:
                p = cell.paragraphs[0]  # type: ignore[attr-defined]
                first = False
            else:
                p = cell.add_paragraph()  # type: ignore[attr-defined]
            p.alignment = fmt.get("align", WD_ALIGN_PARAGRAPH.CENTER)
            p.paragraph_format.space_after = Pt(0)
            run = p.add_run(strip_forbidden(part))
            run.bold = bool(fmt.get("bold"))
            run.italic = bool(fmt.get("italic"))
            run.underline = bool(fmt.get("underline"))
            run.font.size = Pt(float(fmt.get("size", 13)))  # type: ignore[arg-type]


def fix_widths(table: Table, widths: list[float] | tuple[float, ...]) -> None:
    """Column widths every office suite honours: a fixed layout, the table's width, the grid's
    columns (which LibreOffice reads) and each cell's width (which Word reads)."""
    table.autofit = False  # python-docx writes <w:tblLayout w:type="fixed"/> in its schema place
    tbl_pr = table._tbl.tblPr
    tbl_w = tbl_pr.find(qn("w:tblW"))
    if tbl_w is None:
        tbl_w = OxmlElement("w:tblW")
        tbl_pr.append(tbl_w)
    tbl_w.set(qn("w:w"), str(int(Cm(sum(widths)).twips)))  # type: ignore[attr-defined]
    tbl_w.set(qn("w:type"), "dxa")
    for col, width in zip(table._tbl.tblGrid.findall(qn("w:gridCol")), widths, strict=True):
        col.set(qn("w:w"), str(int(Cm(width).twips)))  # type: ignore[attr-defined]
    for row in table.rows:
        for cell, width in zip(row.cells, widths, strict=True):
            cell.width = Cm(width)


def _layout_table(doc: DocumentObject, widths: tuple[float, float]) -> Table:
    table = doc.add_table(rows=1, cols=2)
    table.alignment = WD_TABLE_ALIGNMENT.CENTER
    fix_widths(table, widths)
    return table


# The head's two columns as Decree 30/2020's models draw them on the 16 cm of an A4 text width:
# the issuing body on 6 cm, the national title on 10 cm, so "CỘNG HÒA XÃ HỘI CHỦ NGHĨA VIỆT NAM"
# (12 pt bold, about 9 cm) stays on one line as the decree requires.
HEAD_WIDTHS = (6.0, 10.0)


def _head(doc: DocumentObject, layout: str, s: LayoutSettings, day: date) -> None:
    table = _layout_table(doc, HEAD_WIDTHS)
    left, right = table.rows[0].cells
    lines: list[tuple[str, dict[str, object]]] = []
    if s.parent_body:
        lines.append((s.parent_body, {"size": 13}))
    lines.append((s.issuing_body, {"bold": True, "size": 13}))
    lines.append(("*" if layout == PARTY else "———", {"size": 13}))
    lines.append((number_line(layout, s), {"size": 13}))
    _lines(left, lines)
    if layout == STATE:
        _lines(right, [("CỘNG HÒA XÃ HỘI CHỦ NGHĨA VIỆT NAM", {"bold": True, "size": 12}),
                       ("Độc lập - Tự do - Hạnh phúc", {"bold": True, "size": 13, "underline": True}),
                       ("", {}), (official_date(s.place, day), {"italic": True, "size": 14})])  # fmt: skip
    else:
        _lines(right, [("ĐẢNG CỘNG SẢN VIỆT NAM", {"bold": True, "size": 15, "underline": True}),
                       ("", {}), ("", {}), (official_date(s.place, day), {"italic": True, "size": 14})])  # fmt: skip


def _data_table(doc: DocumentObject, headers: list[str], rows: Iterable[list[object]],
                widths: list[float] | None = None, size: float = 12) -> Table:  # fmt: skip
    table = doc.add_table(rows=1, cols=len(headers))
    with contextlib.suppress(KeyError):  # an admin's template without the built-in grid style: plain table
        table.style = doc.styles["Table Grid"]
    for cell, h in zip(table.rows[0].cells, headers, strict=True):
        _lines(cell, [(h, {"bold": True, "size": size})])
    _repeat_as_header(table.rows[0])
    for row in rows:
        cells = table.add_row().cells
        for i, (cell, v) in enumerate(zip(cells, row, strict=True)):
            text = v.strftime("%d/%m/%Y") if isinstance(v, date) else ("" if v is None else _num(v))
            align = WD_ALIGN_PARAGRAPH.RIGHT if isinstance(v, int | float) and i else WD_ALIGN_PARAGRAPH.LEFT
            _lines(cell, [(text, {"size": size, "align": align})])
    if widths:
        fix_widths(table, widths)
    return table


def _repeat_as_header(row: object) -> None:
    """The header row is repeated at the top of every page the table runs onto."""
    tr_pr = row._tr.get_or_add_trPr()  # type: ignore[attr-defined]
    el = OxmlElement("w:tblHeader")
    el.set(qn("w:val"), "true")
    tr_pr.append(el)


def _num(v: object) -> str:
    """Vietnamese number style: 1.234 and 12,5."""
    if isinstance(v, bool):
        return str(v)
    if isinstance(v, int):
        return f"{v:,}".replace(",", ".")
    if isinstance(v, float):
        return f"{v:,.1f}".replace(",", " ").replace(".", ",").replace(" ", ".")
    return str(v)


def _body(doc: DocumentObject, report: Report, cases: list[CaseRow], more: int) -> None:
    fig = report.figures
    scope = "trên địa bàn huyện" if fig.scope.unit_id is None else f"do {report.scope_name} thụ lý"
    _para(doc, f"Kỳ báo cáo: {report.period.label_vi()}, từ ngày {report.period.start:%d/%m/%Y} "
               f"đến ngày {report.period.end:%d/%m/%Y}.", italic=True, size=13, space_after=6)  # fmt: skip
    _para(doc, "I. KẾT QUẢ TIẾP NHẬN, XỬ LÝ", bold=True, align=WD_ALIGN_PARAGRAPH.LEFT, space_after=6)
    share = "" if fig.share_in_time is None else f"; tỷ lệ xử lý đúng hạn {_num(round(100 * fig.share_in_time, 1))}%"
    # Counted words only for what the workflow counts (its `[reporting]` triggers): no "published" for one
    # that publishes nothing.
    r = report.definition.reporting if report.definition else None
    what = (report.workflow_label or "vụ việc").lower()
    steps = [f"tiếp nhận {_num(fig.opened)} vụ việc ({what})"]
    if r is None or r.assessed:
        steps.append(f"đã thẩm định, chuyển xử lý {_num(fig.assessed)} vụ việc")
    if r is None or r.dismissed:
        steps.append(f"không chấp nhận (bác) {_num(fig.dismissed)} vụ việc")
    steps.append(f"đã xử lý {_num(fig.handled)} vụ việc{share}")
    if r is None or r.published:
        steps.append(f"đã công khai kết quả {_num(fig.published)} vụ việc")
    _para(doc, f"Trong kỳ, các cơ quan chức năng {scope} " + "; ".join(steps) + ". "
               f"Tại thời điểm lập báo cáo còn {_num(fig.open_now)} vụ việc đang giải quyết, trong đó "
               f"{_num(fig.overdue_now)} vụ việc quá hạn, {_num(fig.escalated_now)} vụ việc đã báo cáo cấp trên.",
          align=WD_ALIGN_PARAGRAPH.JUSTIFY, indent=True, space_after=6)  # fmt: skip
    _para(doc, "1. Số liệu tổng hợp", bold=True, italic=True, align=WD_ALIGN_PARAGRAPH.LEFT, space_after=3)
    _data_table(doc, ["Chỉ tiêu", "Số liệu", "Đơn vị tính"], ([r.label, r.value, r.unit] for r in report.summary),
                [10.0, 2.5, 3.5])  # fmt: skip
    for n, (_key, title, rows) in enumerate(report.tables(), start=2):
        _para(doc, f"{n}. {title}", bold=True, italic=True, align=WD_ALIGN_PARAGRAPH.LEFT, space_after=3)
        _data_table(doc, ["STT", title.replace("Theo ", "").capitalize(), "Số vụ việc"],
                    ([i, r.label, r.value] for i, r in enumerate(rows, start=1)), [1.2, 11.8, 3.0])  # fmt: skip
    n = len(report.tables()) + 2
    _para(doc, f"{n}. Theo tháng", bold=True, italic=True, align=WD_ALIGN_PARAGRAPH.LEFT, space_after=3)
    _data_table(doc, ["Tháng", "Tiếp nhận", "Kết thúc"], ([m, o, c] for m, o, c in report.per_month), [8.0, 4.0, 4.0])

    _para(doc, "II. DANH SÁCH VỤ VIỆC ĐÃ XỬ LÝ, CÔNG KHAI TRONG KỲ", bold=True, align=WD_ALIGN_PARAGRAPH.LEFT,
          space_after=6)  # fmt: skip
    if not cases:
        _para(doc, "Trong kỳ không có vụ việc được xử lý hoặc công khai.", align=WD_ALIGN_PARAGRAPH.LEFT, indent=True)
    else:
        _para(doc, f"Trong kỳ có {_num(len(cases) + more)} vụ việc đã xử lý hoặc công khai kết quả; danh sách chi tiết "
                   f"tại Phụ lục kèm theo Báo cáo này.", align=WD_ALIGN_PARAGRAPH.JUSTIFY, indent=True)  # fmt: skip


# The annex's case list on A4 landscape (25.7 cm between 2 cm margins), in 11 pt: each column is
# wide enough that a reference (PA-2026-000022) and a date (17/11/2026) never break inside.
ANNEX_HEADERS = ["STT", "Số hiệu", "Loại vi phạm", "Đối tượng", "Cơ quan xử lý", "Ngày xử lý", "Biện pháp", "Ngày công khai"]
ANNEX_WIDTHS = [1.3, 3.4, 4.6, 4.6, 3.5, 2.5, 3.3, 2.5]


def _annex(doc: DocumentObject, report: Report, cases: list[CaseRow], more: int) -> None:
    """"Phụ lục": the case list in its own landscape section after the signature, as annexes are attached."""
    portrait = doc.sections[-1]
    section = doc.add_section(WD_SECTION.NEW_PAGE)
    section.orientation = WD_ORIENT.LANDSCAPE
    section.page_width, section.page_height = portrait.page_height, portrait.page_width
    section.left_margin = section.right_margin = Mm(20)
    section.top_margin = section.bottom_margin = Mm(20)
    _para(doc, "PHỤ LỤC", bold=True, size=14)
    _para(doc, f"Danh sách vụ việc đã xử lý, công khai kết quả {report.period.label_vi()}", bold=True, size=14)
    _para(doc, f"(Kèm theo Báo cáo {report.title[:1].lower() + report.title[1:]})", italic=True,
          size=13, space_after=6)  # fmt: skip
    table = _data_table(doc, ANNEX_HEADERS,
                        ([i, c.reference, c.kind, c.subject, c.handling_unit, c.handled_on, c.measures, c.published_on]
                         for i, c in enumerate(cases, start=1)), ANNEX_WIDTHS, size=11)  # fmt: skip
    table.alignment = WD_TABLE_ALIGNMENT.CENTER
    if more:
        _para(doc, f"(Còn {_num(more)} vụ việc khác; danh sách đầy đủ tại tệp Excel kèm theo.)", italic=True, size=12,
              align=WD_ALIGN_PARAGRAPH.LEFT)  # fmt: skip


def _signature(doc: DocumentObject, layout: str, s: LayoutSettings) -> None:
    _para(doc, "")
    table = _layout_table(doc, (8.0, 8.5))
    left, right = table.rows[0].cells
    recipients: list[tuple[str, dict[str, object]]] = [
        ("Nơi nhận:", {"bold": True, "italic": layout == STATE, "underline": layout == PARTY, "size": 12,
                       "align": WD_ALIGN_PARAGRAPH.LEFT}),
    ]  # fmt: skip
    recipients += [(f"- {r}", {"size": 11, "align": WD_ALIGN_PARAGRAPH.LEFT}) for r in s.recipients]
    _lines(left, recipients)
    sign = [(s.on_behalf, {"bold": True, "size": 14}), (s.signer_title, {"bold": True, "size": 14})]
    sign += [("", {}), ("", {}), ("", {}), (s.signer_name, {"bold": True, "size": 14})]
    _lines(right, sign)


def build_docx(report: Report, cases: Iterable[CaseRow], layout: str, settings: ReportSettings,
               s: LayoutSettings | None = None, day: date | None = None) -> DocumentObject:  # fmt: skip
    """The document; `s` overrides the settings' texts for this layout (e.g. a unit's own name)."""
    if layout not in (STATE, PARTY):
        raise ValueError(f"unknown layout {layout!r}")
    s = s or settings.layout(layout)
    doc = _new_document(settings.template(layout))
    day = day or report.figures.computed_at.astimezone(LOCAL_TZ).date()
    listed: list[CaseRow] = []
    for c in cases:
        if len(listed) >= DOCX_CASE_LIMIT:
            break
        listed.append(c)
    more = max(0, report.cases_total - len(listed))
    _head(doc, layout, s, day)
    _para(doc, "")
    _para(doc, "BÁO CÁO", bold=True, size=14)
    scope = "" if report.figures.scope.unit_id is None else f" của {report.scope_name}"
    _para(doc, f"{report.title}{scope} {report.period.label_vi()}", bold=True, size=14)
    _para(doc, "-----", size=14, space_after=6)
    _body(doc, report, listed, more)
    _signature(doc, layout, s)
    if listed:
        _annex(doc, report, listed, more)
    doc.core_properties.title = f"Báo cáo {report.period.label_vi()}"
    doc.core_properties.language = "vi-VN"
    return doc


def docx_bytes(report: Report, cases: Iterable[CaseRow], layout: str, settings: ReportSettings,
               s: LayoutSettings | None = None, day: date | None = None) -> bytes:  # fmt: skip
    buf = io.BytesIO()
    build_docx(report, cases, layout, settings, s, day).save(buf)
    return buf.getvalue()
