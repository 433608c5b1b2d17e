"""The report as CSV and XLSX: the same figures and case list, for spreadsheets.

CSV carries a UTF-8 byte-order mark, or Excel on Windows reads Vietnamese as mojibake; its
figures come first (table, item, value, unit), then a blank line and the case list with its own
header, so one file opens as one sheet. XLSX keeps them on two sheets, with real numbers and
real dates (formatted dd/mm/yyyy), so officials can sum and sort without retyping.

Every text leaves through `neutralise_formula` (engine/cases/clean_text.py): code points XML 1.0 forbids
are dropped (a value stored before the door checked them cannot break the file), and text that
starts with = + - @ tab or CR gets a leading apostrophe (OWASP's CSV-injection rule), so a subject
`=HYPERLINK(...)` is shown, never run. XLSX text cells are written with the string type as well.
"""

from __future__ import annotations

import csv
import io
from collections.abc import Callable, Iterable
from datetime import date

from openpyxl import Workbook
from openpyxl.styles import Alignment, Font
from openpyxl.utils import get_column_letter

from engine.cases.clean_text import neutralise_formula
from engine.read.reporting import CaseRow, Report, case_headers, case_values

BOM = "\ufeff"
DATE_FORMAT = "dd/mm/yyyy"


def _words(report: Report) -> dict[str, str]:
    vi = report.lang == "vi"
    return {
        "table": "Bảng" if vi else "Table",
        "item": "Chỉ tiêu" if vi else "Item",
        "value": "Số liệu" if vi else "Value",
        "unit": "Đơn vị tính" if vi else "Unit",
        "summary": "Tổng hợp" if vi else "Summary",
        "months": "Theo tháng" if vi else "By month",
        "opened": "Tiếp nhận" if vi else "Opened",
        "closed": "Kết thúc" if vi else "Closed",
        "figures": "Số liệu" if vi else "Figures",
        "cases": "Vụ việc" if vi else "Cases",
        "title": ("Báo cáo " if vi else "Report: ") + (report.title[:1].lower() + report.title[1:] if vi else report.title),
        "period": "Kỳ báo cáo" if vi else "Period",
        "scope": "Phạm vi" if vi else "Scope",
    }  # fmt: skip


def figure_rows(report: Report) -> list[tuple[str, str, int | float | None, str]]:
    """(table, item, value, unit) for every figure: what both the CSV and the XLSX figures sheet list."""
    w = _words(report)
    rows: list[tuple[str, str, int | float | None, str]] = [(w["summary"], r.label, r.value, r.unit) for r in report.summary]
    for _key, title, table in report.tables():
        rows += [(title, r.label, r.value, "") for r in table]
    for label, opened, closed in report.per_month:
        rows.append((w["months"], f"{label}: {w['opened'].lower()}", opened, ""))
        rows.append((w["months"], f"{label}: {w['closed'].lower()}", closed, ""))
    return rows


def _csv_value(v: object) -> object:
    if isinstance(v, date):
        return v.strftime("%d/%m/%Y")
    return "" if v is None else neutralise_formula(v)


def _csv_row(values: Iterable[object]) -> list[object]:
    return [_csv_value(v) for v in values]


def write_csv(report: Report, cases: Iterable[CaseRow], out: io.TextIOBase | io.StringIO,
              tick: Callable[[], None] | None = None) -> None:  # fmt: skip
    """Write the report to a text stream opened with newline='' (the BOM is written here)."""
    w = _words(report)
    out.write(BOM)
    writer = csv.writer(out)
    writer.writerow(_csv_row([w["title"]]))
    writer.writerow(_csv_row([w["period"], f"{report.period_label} ({report.period.range_text()})"]))
    writer.writerow(_csv_row([w["scope"], report.scope_name]))
    writer.writerow([])
    writer.writerow(_csv_row([w["table"], w["item"], w["value"], w["unit"]]))
    for row in figure_rows(report):
        writer.writerow(_csv_row(row))
    writer.writerow([])
    writer.writerow(_csv_row(case_headers(report.lang, report)))
    for case in cases:
        writer.writerow(_csv_row(case_values(case)))
        if tick:
            tick()


def csv_bytes(report: Report, cases: Iterable[CaseRow]) -> bytes:
    buf = io.StringIO(newline="")
    write_csv(report, cases, buf)
    return buf.getvalue().encode("utf-8")


def write_xlsx(report: Report, cases: Iterable[CaseRow], out: io.BufferedIOBase | io.BytesIO | str,
               tick: Callable[[], None] | None = None) -> None:  # fmt: skip
    """Two sheets, figures and cases; write-only mode, so a long case list streams instead of sitting in memory."""
    w = _words(report)
    wb = Workbook(write_only=True)
    bold = Font(bold=True)

    figures = wb.create_sheet(w["figures"])
    for col, width in zip("ABCD", (34, 58, 14, 16), strict=True):
        figures.column_dimensions[col].width = width
    print_setup(figures, title_row=5)
    figures.append([_bold_cell(figures, w["title"], bold)])
    figures.append(_xlsx_row(figures, [w["period"], f"{report.period_label} ({report.period.range_text()})"]))
    figures.append(_xlsx_row(figures, [w["scope"], report.scope_name]))
    figures.append([])
    figures.append([_bold_cell(figures, h, bold) for h in (w["table"], w["item"], w["value"], w["unit"])])
    for row in figure_rows(report):
        figures.append(_xlsx_row(figures, row))

    sheet = wb.create_sheet(w["cases"])
    headers = case_headers(report.lang, report)
    for i, width in enumerate((18, 34, 40, 28, 28, 20, 14, 14, 18, 14, 40, 16, 14), start=1):
        sheet.column_dimensions[get_column_letter(i)].width = width
    print_setup(sheet, title_row=1)
    sheet.append([_bold_cell(sheet, h, bold) for h in headers])
    for case in cases:
        sheet.append(_xlsx_row(sheet, case_values(case)))
        if tick:
            tick()
    wb.save(out)


def print_setup(sheet, title_row: int) -> None:  # noqa: ANN001 - openpyxl's write-only sheet
    """Printed on A4 landscape, one page wide (as many pages tall as it needs), the header row on
    every page, and frozen under it on screen: otherwise a 13-column sheet prints one column per page."""
    sheet.page_setup.orientation = "landscape"
    sheet.page_setup.paperSize = 9  # A4
    sheet.page_setup.fitToWidth = 1
    sheet.page_setup.fitToHeight = 0  # as many pages down as the rows need
    sheet.sheet_properties.pageSetUpPr.fitToPage = True
    sheet.print_title_rows = f"{title_row}:{title_row}"
    sheet.freeze_panes = f"A{title_row + 1}"
    sheet.print_options.gridLines = True
    sheet.page_margins.left = sheet.page_margins.right = 0.4  # inches: more of the width for the columns


def _cell(sheet, value):  # noqa: ANN001, ANN202 - openpyxl's write-only cell
    """A cell for any value: dates formatted dd/mm/yyyy, text neutralised and typed as a string
    (openpyxl would otherwise store a str starting with '=' as a formula), numbers as numbers."""
    from openpyxl.cell import WriteOnlyCell

    if isinstance(value, str):
        c = WriteOnlyCell(sheet, value=neutralise_formula(value))
        c.data_type = "s"
        return c
    c = WriteOnlyCell(sheet, value=value)
    if isinstance(value, date):
        c.number_format = DATE_FORMAT
    return c


def _xlsx_row(sheet, values: Iterable[object]) -> list[object]:  # noqa: ANN001 - openpyxl's write-only sheet
    return [None if v is None else _cell(sheet, v) for v in values]


def _bold_cell(sheet, value: str, font: Font):  # noqa: ANN001, ANN202
    c = _cell(sheet, value)
    c.font = font
    c.alignment = Alignment(wrap_text=False)
    return c


def xlsx_bytes(report: Report, cases: Iterable[CaseRow]) -> bytes:
    buf = io.BytesIO()
    write_xlsx(report, cases, buf)
    return buf.getvalue()
