"""The printed reports as an office suite lays them out: DOCX and XLSX converted to PDF by LibreOffice.

python-docx and openpyxl write what they are told; only a real office suite shows whether the
national title fits its line, whether a reference or a date breaks inside, and how many sheets
of paper the spreadsheet takes. Skipped without `soffice` (Debian: libreoffice-writer,
libreoffice-calc; pdftotext and pdfinfo from poppler-utils) unless PRESSCASE_REQUIRE_BROWSER=1,
which CI sets, when a missing suite is a failure.
"""

from __future__ import annotations

import os
import re
import shutil
import subprocess
from pathlib import Path

import pytest

from engine.read.reporting import Report, make_report
from engine.time.clock import FrozenClock
from engine.time.periods import parse_period
from tests.print_support import many_cases
from tests.report_support import build
from tests.support import Org
from web.exports.document import docx_bytes
from web.exports.settings import PARTY, STATE, ReportSettings
from web.exports.tabular import xlsx_bytes

TOOLS = ("soffice", "pdftotext", "pdfinfo")
MISSING = [t for t in TOOLS if shutil.which(t) is None]
if MISSING and os.environ.get("PRESSCASE_REQUIRE_BROWSER") != "1":
    pytest.skip(f"{', '.join(MISSING)} missing (apt-get install libreoffice-writer libreoffice-calc poppler-utils)",
                allow_module_level=True)  # fmt: skip

N_CASES = 60


@pytest.fixture
def db_url(tmp_path: Path, sqlite_template: Path) -> str:
    """SQLite only: the layout is the office suite's business, the same whatever database fed the report."""
    path = tmp_path / "presscase.sqlite3"
    shutil.copy(sqlite_template, path)
    return f"sqlite:///{path}"


@pytest.fixture
def pdfs(org: Org, clock: FrozenClock, tmp_path: Path) -> dict[str, Path]:
    assert not MISSING, f"PRESSCASE_REQUIRE_BROWSER=1 but {MISSING} missing"
    build(org, clock)
    report: Report = make_report(org.rt, parse_period("2026"))
    cases = many_cases(report, N_CASES)
    settings = ReportSettings()
    (tmp_path / "state.docx").write_bytes(docx_bytes(report, cases, STATE, settings))
    (tmp_path / "party.docx").write_bytes(docx_bytes(report, cases, PARTY, settings))
    (tmp_path / "report.xlsx").write_bytes(xlsx_bytes(report, cases))
    profile = (tmp_path / "lo-profile").as_uri()  # its own profile: never a user's, never shared between runs
    subprocess.run(["soffice", f"-env:UserInstallation={profile}", "--headless", "--norestore", "--convert-to", "pdf",
                    "--outdir", str(tmp_path), *(str(tmp_path / f) for f in ("state.docx", "party.docx", "report.xlsx"))],
                   check=True, capture_output=True, timeout=240)  # fmt: skip
    out = {name: tmp_path / f"{name}.pdf" for name in ("state", "party", "report")}
    assert all(p.exists() for p in out.values()), list(tmp_path.iterdir())
    return out


def _text(pdf: Path) -> str:
    return subprocess.run(["pdftotext", "-layout", str(pdf), "-"], check=True, capture_output=True, text=True).stdout


def _pages(pdf: Path) -> list[tuple[float, float]]:
    info = subprocess.run(["pdfinfo", "-f", "1", "-l", "999", str(pdf)], check=True, capture_output=True, text=True).stdout
    return [(float(w), float(h)) for w, h in re.findall(r"Page\s+\d+ size:\s+([\d.]+) x ([\d.]+)", info)]


def test_the_national_title_and_the_party_banner_each_stay_on_one_line(pdfs: dict[str, Path]) -> None:
    state = _text(pdfs["state"])
    assert any("CỘNG HÒA XÃ HỘI CHỦ NGHĨA VIỆT NAM" in line for line in state.splitlines()), state[:800]
    assert any("Độc lập - Tự do - Hạnh phúc" in line for line in state.splitlines())
    party = _text(pdfs["party"])
    assert any("ĐẢNG CỘNG SẢN VIỆT NAM" in line for line in party.splitlines()), party[:800]


def test_the_case_list_is_a_landscape_annex_where_references_and_dates_never_break(pdfs: dict[str, Path]) -> None:
    for name in ("state", "party"):
        text = _text(pdfs[name])
        pages = _pages(pdfs[name])
        assert pages[0][0] < pages[0][1] and pages[-1][0] > pages[-1][1], pages  # A4 portrait, then the annex landscape
        assert "PHỤ LỤC" in text
        annex = text[text.index("PHỤ LỤC"):]
        refs = set(re.findall(r"PA-2026-\d{6}", annex))
        assert len(refs) == N_CASES, sorted(refs)[:5]  # every reference whole, none split over two lines
        assert not re.search(r"PA-2026-\s*$", annex, re.MULTILINE)
        assert not re.search(r"\b\d{2}/\d{2}/\d{0,3}\s*$", annex, re.MULTILINE)  # no date cut before its year
        assert "11/03/2026" in annex and "14/03/2026" in annex


def test_the_spreadsheet_prints_landscape_one_page_wide(pdfs: dict[str, Path]) -> None:
    pages = _pages(pdfs["report"])
    assert 1 <= len(pages) <= 4, len(pages)  # was 18 pages, one column per page
    assert all(w > h for w, h in pages), pages
    text = _text(pdfs["report"])
    assert "Số hiệu" in text and "Ngày công khai" in text  # every column on the page, header included
    assert len(set(re.findall(r"PA-2026-\d{6}", text))) == N_CASES
