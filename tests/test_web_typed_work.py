"""Typed work is never lost, through the real app: a stale form answers 409 with the text typed
and the new state; a case moved to another unit while its form was open answers 409 (not a bare
404) saying where it went; small form rules (a required language, the fine ceiling up front)."""

from __future__ import annotations

from flask import Flask

from tests.support import Org, case_in, fire, load_case
from tests.test_web_fixtures import field_error, signed_in, text

pytest_plugins = ["tests.test_web_fixtures"]

TYPED = "Đối tượng thừa nhận sai sót và đã gỡ bài lúc 8 giờ."


def test_a_stale_form_comes_back_filled_in_beside_the_new_state(app: Flask, org: Org) -> None:
    out = case_in(org, "assessed")
    w = signed_in(app, "handler")
    fire(org, out.case_id, "record_explanation", "handler")  # meanwhile
    r = w.post(f"/cases/{out.case_id}/act/record_explanation",
               {"version": out.version, "explanation": TYPED, "received_on": "2026-03-02"})  # fmt: skip
    assert r.status_code == 409
    page = r.get_data(as_text=True)
    assert TYPED in page and 'id="conflict"' in page and "Đã thẩm định" in page
    newer = load_case(org, out.case_id)
    assert f'name="version" value="{newer.version}"' in page  # sending again is a deliberate act on the new state
    assert newer.event_count == 3  # nothing of ours written


def test_an_action_no_longer_possible_keeps_the_text_on_the_case_page(app: Flask, org: Org) -> None:
    out = case_in(org, "reported")
    w = signed_in(app, "assessor")
    fire(org, out.case_id, "request_info", "assessor")
    r = w.post(f"/cases/{out.case_id}/act/dismiss", {"version": out.version, "reason": "unfounded", "note": TYPED})
    assert r.status_code == 409
    assert TYPED in text(r) and "Chờ bổ sung thông tin" in text(r)


def test_a_case_reassigned_while_its_form_was_open_says_where_it_went(app: Flask, org: Org) -> None:
    out = case_in(org, "assessed")
    w = signed_in(app, "handler")
    assert w.get(f"/cases/{out.case_id}/act/handle").status_code == 200
    fire(org, out.case_id, "reassign", "supervisor", {"competent_unit": org.units["CA"], "reason": "Chuyển công an."})
    r = w.post(f"/cases/{out.case_id}/act/handle", {"version": out.version, "outcome": "no_violation", "summary": TYPED})
    assert r.status_code == 409
    page = text(r)
    assert out.reference in page and "Công an huyện" in page and TYPED in page
    other = signed_in(app, "handler_police")  # a unit that never held it still gets a plain 404 elsewhere
    assert other.post("/cases/999999/act/handle", {"version": 1}).status_code == 404
    assert load_case(org, out.case_id).state == "assessed"


def test_a_unit_that_never_held_the_case_gets_no_account_of_it(app: Flask, org: Org) -> None:
    out = case_in(org, "reported")
    w = signed_in(app, "handler")
    r = w.post(f"/cases/{out.case_id}/act/handle", {"version": out.version, "summary": TYPED})
    assert r.status_code == 404 and out.reference not in text(r)


def test_the_language_marked_required_is_required(app: Flask, org: Org) -> None:
    w = signed_in(app, "admin")
    r = w.post("/admin/users/new", {"username": "cb.x", "full_name": "Giàng A Páo", "unit": "CB-MS",
                                     "roles": ["reporter"], "password": "mat-khau-ban-dau", "language": ""})  # fmt: skip
    assert r.status_code == 422 and field_error(r, "language") == "Bắt buộc nhập."
    assert 'value="vi" selected' not in r.get_data(as_text=True)  # the blank is shown as blank, not silently "vi"


def test_the_handle_form_shows_the_units_fine_ceiling(app: Flask, org: Org) -> None:
    out = case_in(org, "assessed")
    page = text(signed_in(app, "handler").get(f"/cases/{out.case_id}/act/handle"))
    assert "Mức phạt tối đa của đơn vị bạn: 50.000.000 đồng" in page and "Điều 38" in page


def test_the_feed_carries_the_fine_in_the_readers_language(app: Flask, org: Org) -> None:
    import xml.etree.ElementTree as ET

    atom = "{http://www.w3.org/2005/Atom}"
    case_in(org, "published")  # a fine of 10,000,000 đồng
    c = app.test_client()
    vi = ET.fromstring(c.get("/cong-khai/feed.atom").data).findtext(f"{atom}entry/{atom}content") or ""
    assert "Biện pháp: Phạt tiền: 10.000.000 đ" in vi
    en_client = app.test_client()
    en_client.get("/cong-khai?lang=en")
    en = ET.fromstring(en_client.get("/cong-khai/feed.atom").data).findtext(f"{atom}entry/{atom}content") or ""
    assert "Measure: Fine: 10,000,000 VND" in en and "Decision: 01/QĐ-XPHC of" in en
    assert "Biện pháp" not in en and "Quyết định" not in en and "Đối tượng:" not in en
