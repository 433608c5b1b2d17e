"""`presscase report`: the same files from the command line, with a progress bar."""

from __future__ import annotations

import io

from docx import Document
from flask import Flask
from openpyxl import load_workbook

from engine.time.clock import FrozenClock
from tests.report_support import build
from tests.support import Org

pytest_plugins = ["tests.test_web_fixtures"]


def test_report_command_writes_each_format(app: Flask, org: Org, clock: FrozenClock, tmp_path) -> None:
    sc = build(org, clock)
    runner = app.test_cli_runner()
    out = tmp_path / "bc.xlsx"
    r = runner.invoke(args=["report", "--period", "2026", "--format", "xlsx", "--out", str(out)])
    assert r.exit_code == 0, r.output
    wb = load_workbook(out)
    assert [row[0] for row in wb["Vụ việc"].iter_rows(min_row=2, values_only=True)] == [sc.refs[k] for k in "ACE"]
    out = tmp_path / "bc.csv"
    r = runner.invoke(args=["report", "--period", "2026-03", "--unit", "VHTT", "--format", "csv", "--out", str(out)])
    assert r.exit_code == 0, r.output
    data = out.read_bytes()
    assert data.startswith(b"\xef\xbb\xbf") and "Vụ việc tiếp nhận trong kỳ,2" in data.decode("utf-8-sig")
    out = tmp_path / "bc.docx"
    r = runner.invoke(args=["report", "--period", "2026-01-01..2026-03-31", "--unit", "CA", "--format", "docx", "--layout",
                            "state", "--number", "07", "--out", str(out)])
    assert r.exit_code == 0, r.output
    head = Document(io.BytesIO(out.read_bytes())).tables[0].rows[0].cells
    assert "CÔNG AN HUYỆN" in head[0].text and "Số: 07/BC-UBND" in head[0].text
    assert "Writing 1 cases" in r.output  # the progress bar's label (stderr, which click's runner mixes in)
    bad = runner.invoke(args=["report", "--period", "2026-Q9", "--format", "csv", "--out", str(out)])
    assert bad.exit_code == 2 and "not a period" in bad.output
    bad = runner.invoke(args=["report", "--period", "2026", "--unit", "NOPE", "--format", "csv", "--out", str(out)])
    assert bad.exit_code == 2 and "no unit" in bad.output
