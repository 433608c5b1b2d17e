"""Evidence: the detected type names the file, a unit's storage is bounded, and a wrong file is marked, never deleted.

The probe: a file starting `GIF89a` was accepted as a GIF and downloaded as `poly.html`, `.hta`
or `.svg`, so a browser or a desktop could open it as a page or a program.
"""

from __future__ import annotations

from io import BytesIO

import pytest
from flask import Flask
from sqlalchemy import func, select
from sqlalchemy.orm import Session

from engine.cases import commands as service
from engine.cases.evidence import SUPERSEDE_TRIGGER, Upload, check_uploads, typed_filename
from engine.cases.history import verify_all
from engine.errors import InvalidData, NotAvailable, NotPermitted
from engine.store.models import Attachment, Case, CaseEvent
from tests.support import REPORT, Org, load_case
from tests.test_web_fixtures import PNG, make_app, signed_in, text

pytest_plugins = ["tests.test_web_fixtures"]

GIF = b"GIF89a\x01\x00\x01\x00\x00\x00\x00;<script>alert(document.domain)</script>"
REPORT_FORM = {**REPORT}


@pytest.mark.parametrize("name", ["poly.html", "poly.hta", "poly.svg", "poly", ".html", "poly.GIF.html"])
def test_a_gif_named_like_a_page_is_stored_and_downloaded_as_a_gif(app: Flask, org: Org, name: str) -> None:
    w = signed_in(app, "reporter")
    w.get("/reports/new")
    r = w.post("/reports/new", {**REPORT_FORM, "evidence": (BytesIO(GIF), name)}, content_type="multipart/form-data")
    assert r.status_code == 302
    with org.rt.read_session() as s:
        att = s.scalars(select(Attachment)).one()
    assert att.content_type == "image/gif" and att.filename.endswith(".gif") and ".html" not in att.filename
    r = w.get(f"/cases/{att.case_id}/attachments/{att.id}")
    cd = r.headers["Content-Disposition"]
    assert cd.startswith("attachment;") and '.gif"' in cd and cd.endswith(".gif")
    assert r.headers["X-Content-Type-Options"] == "nosniff" and r.mimetype == "image/gif"


def test_known_extensions_of_the_detected_type_are_kept() -> None:
    assert typed_filename("ảnh.jpeg", "image/jpeg") == "ảnh.jpeg"
    assert typed_filename("scan.PDF", "application/pdf") == "scan.PDF"
    assert typed_filename("bien-ban.docx.exe", "application/pdf") == "bien-ban.docx.pdf"
    assert typed_filename("", "image/png") == "tep-dinh-kem.png"
    [e] = check_uploads([Upload("x.svg", PNG)])
    assert e.filename == "x.png"


def test_a_file_stored_before_the_rule_still_downloads_with_its_true_extension(app: Flask, org: Org) -> None:
    with org.rt.uow() as uow:
        out = service.file_report(uow, org.actor("reporter"), "press_violation", REPORT, [Upload("a.gif", GIF)])
    with Session(org.rt.engine) as s:  # as an older version stored it
        att = s.scalars(select(Attachment)).one()
        att.filename = "poly.html"
        s.commit()
        att_id = att.id
    r = signed_in(app, "assessor").get(f"/cases/{out.case_id}/attachments/{att_id}")
    assert r.status_code == 200 and 'filename="poly.gif"' in r.headers["Content-Disposition"]


def _big_png(kib: int) -> bytes:
    return PNG + b"\x00" * (kib * 1024)


def test_a_unit_past_its_quota_is_told_with_the_figures_and_nothing_is_written(rt, org: Org, monkeypatch) -> None:
    monkeypatch.setenv("PRESSCASE_SECRET_KEY", "test-secret")
    app = make_app(rt, EVIDENCE_QUOTA_MB=1)
    w = signed_in(app, "reporter")
    w.get("/reports/new")
    r = w.post("/reports/new", {**REPORT_FORM, "evidence": (BytesIO(_big_png(600)), "a.png")},
               content_type="multipart/form-data")  # fmt: skip
    assert r.status_code == 302
    w.get("/reports/new")
    r = w.post("/reports/new", {**REPORT_FORM, "evidence": (BytesIO(_big_png(600)), "b.png")},
               content_type="multipart/form-data")  # fmt: skip
    assert r.status_code == 422
    assert "Đơn vị của bạn đã dùng 0.6 MB trong hạn mức 1.0 MB" in text(r)
    with rt.read_session() as s:
        assert s.scalar(select(func.count()).select_from(Case)) == 1
    other = signed_in(app, "reporter_other")  # another unit has its own quota
    other.get("/reports/new")
    r = other.post("/reports/new", {**REPORT_FORM, "evidence": (BytesIO(_big_png(600)), "c.png")},
                   content_type="multipart/form-data")  # fmt: skip
    assert r.status_code == 302
    with org.rt.uow() as uow, pytest.raises(InvalidData):  # the engine refuses, whoever calls it
        service.file_report(uow, org.actor("reporter"), "press_violation", REPORT, [Upload("d.png", _big_png(600))])


def _case_with_file(org: Org) -> tuple[int, int, int]:
    with org.rt.uow() as uow:
        out = service.file_report(uow, org.actor("reporter"), "press_violation", REPORT, [Upload("anh.png", PNG)])
    with org.rt.read_session() as s:
        att_id = s.scalar(select(Attachment.id).where(Attachment.case_id == out.case_id))
    assert att_id is not None
    return out.case_id, att_id, out.version


def test_assessor_marks_a_file_superseded_on_the_case_page_and_it_is_kept(app: Flask, org: Org) -> None:
    case_id, att_id, version = _case_with_file(org)
    w = signed_in(app, "assessor")
    page = text(w.get(f"/cases/{case_id}"))
    assert "Đánh dấu đã bị thay thế" in page
    url = f"/cases/{case_id}/attachments/{att_id}/supersede"
    r = w.post(url, {"version": version, "reason": ""})
    assert r.status_code == 422 and "Cần nêu lý do" in text(r)
    r = w.post(url, {"version": version, "reason": "Ảnh chụp nhầm bài khác; đã gửi lại ảnh đúng."})
    assert r.status_code == 302
    page = text(w.get(f"/cases/{case_id}"))
    assert "Đã bị thay thế" in page and "Đánh dấu tệp chứng cứ đã bị thay thế" in page
    assert "Ảnh chụp nhầm bài khác" in page and "Đánh dấu đã bị thay thế" not in page
    assert w.get(f"/cases/{case_id}/attachments/{att_id}").data == PNG  # kept
    with org.rt.read_session() as s:
        ev = s.scalar(select(CaseEvent).where(CaseEvent.case_id == case_id, CaseEvent.trigger == SUPERSEDE_TRIGGER))
        att = s.get(Attachment, att_id)
        assert ev is not None and att is not None and att.superseded_seq == ev.seq
        assert ev.data["attachment_id"] == att_id and ev.actor_id == org.actor("assessor").user_id
        assert verify_all(s)[1] == []  # the history chain holds
    assert load_case(org, case_id).version == version + 1
    r = w.post(url, {"version": version + 1, "reason": "lần hai"})
    assert r.status_code == 409 and "đã được đánh dấu" in text(r)


def test_only_the_intake_role_may_mark_and_a_stale_form_changes_nothing(app: Flask, org: Org) -> None:
    case_id, att_id, version = _case_with_file(org)
    url = f"/cases/{case_id}/attachments/{att_id}/supersede"
    for who in ("reporter", "supervisor"):
        w = signed_in(app, who)
        assert "Đánh dấu đã bị thay thế" not in text(w.get(f"/cases/{case_id}"))
        assert w.post(url, {"version": version, "reason": "x"}).status_code in (403, 404), who
    assert signed_in(app, "handler").post(url, {"version": version, "reason": "x"}).status_code == 404  # cannot see it
    with org.rt.uow() as uow, pytest.raises(NotPermitted):
        service.supersede_evidence(uow, case_id, att_id, org.actor("reporter"), "x")
    a = signed_in(app, "assessor")
    a.get(f"/cases/{case_id}")
    assert a.post(url, {"version": version + 7, "reason": "x"}).status_code == 409
    assert a.post(f"/cases/{case_id}/attachments/999999/supersede", {"version": version, "reason": "x"}).status_code == 404
    assert a.post(url, {"version": version, "reason": "x\uffff"}).status_code == 422
    with org.rt.read_session() as s:
        assert s.get(Attachment, att_id).superseded_seq is None  # type: ignore[union-attr]
    assert load_case(org, case_id).version == version
    with org.rt.uow() as uow:
        service.supersede_evidence(uow, case_id, att_id, org.actor("assessor"), "sai tệp")
    with org.rt.uow() as uow, pytest.raises(NotAvailable):
        service.supersede_evidence(uow, case_id, att_id, org.actor("assessor"), "sai tệp")
