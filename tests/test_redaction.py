"""Masking names in public texts: whatever the case, Unicode form or hyphens, and never an official in office."""

from __future__ import annotations

import unicodedata

import pytest
from flask import Flask

from engine.read.redaction import PROTECTED, NameMasker
from tests.support import Org, case_in, data_for, fire
from tests.test_web_fixtures import text

pytest_plugins = ["tests.test_web_fixtures"]

MASKER = NameMasker(known_names=("Trần Thị Cúc", "Admin"), protected=(*PROTECTED, "UBND huyện Phong Thổ"))


@pytest.mark.parametrize(
    ("written", "shown"),
    [
        ("Bà TRẦN THỊ CÚC phản ánh.", "Bà T.T.C phản ánh."),  # capitals, as decisions print names
        ("trần thị cúc phản ánh việc này.", "T.T.C phản ánh việc này."),  # lower case, known account
        ("nguyễn văn bình đăng tin.", "N.V.B đăng tin."),  # lower case, not an account
        ("nguyễn thị thu hà đã ký.", "N.T.T.H đã ký."),
        ("Trần-Thị-Cúc và Nguyễn Thị Thu-Hà.", "T.T.C và N.T.T.H."),  # hyphens
        (unicodedata.normalize("NFD", "Ông Trần Thị Cúc ở Hà Nội."), "Ông T.T.C ở Hà Nội."),  # decomposed accents
        ("LÒ VĂN PÁO, Giàng A Páo.", "L.V.P, G.A.P."),
        ("Quyết định của UBND HUYỆN PHONG THỔ số 01/QĐ-XPHC.", "Quyết định của UBND HUYỆN PHONG THỔ số 01/QĐ-XPHC."),
        ("ĐẢNG CỘNG SẢN VIỆT NAM; HÀ NỘI; hồ sơ vụ việc; đường Lê Lợi.", "ĐẢNG CỘNG SẢN VIỆT NAM; HÀ NỘI; hồ sơ vụ việc; đường Lê Lợi."),
    ],
)
def test_names_are_masked_whatever_their_case_form_or_hyphens(written: str, shown: str) -> None:
    assert MASKER.mask(written) == shown


def test_an_official_named_in_office_is_kept_wherever_the_text_names_them() -> None:
    kept = MASKER.names_in("Chủ tịch UBND huyện Nguyễn Văn An")
    assert kept == ("Nguyễn Văn An",)
    assert MASKER.with_kept(kept).mask("NGUYỄN VĂN AN ký; bà Trần Thị Cúc phản ánh.") == "NGUYỄN VĂN AN ký; bà T.T.C phản ánh."


def test_the_register_names_the_signatory_and_masks_the_private_person(app: Flask, org: Org) -> None:
    out = case_in(org, "assessed")
    handle = {**data_for(org, "handle"), "decided_by": "Chủ tịch UBND huyện Nguyễn Văn An",
              "legal_basis": "Điều 10 NĐ 119/2020; đề nghị của ông NGUYỄN VĂN AN"}  # fmt: skip
    fire(org, out.case_id, "handle", "handler", handle)
    fire(org, out.case_id, "publish", "publisher", {
        "public_summary": "Quyết định do NGUYỄN VĂN AN ký. Bà TRẦN THỊ CÚC, quản trị trang, bị phạt; trần thị cúc đã gỡ bài.",
        "channels": ["portal"]})  # fmt: skip
    page = text(app.test_client().get(f"/cong-khai/{out.reference}"))
    assert "Chủ tịch UBND huyện Nguyễn Văn An" in page and "NGUYỄN VĂN AN ký" in page
    assert "ông NGUYỄN VĂN AN" in page
    assert "Bà T.T.C, quản trị trang" in page and "T.T.C đã gỡ bài" in page
    assert "CÚC" not in page and "cúc" not in page.lower()
