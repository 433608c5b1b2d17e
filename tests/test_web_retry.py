"""Web forms that change a case, sent twice (a double click, a resend, Back and send again), act once (web/retry.py)."""

from __future__ import annotations

import re
from io import BytesIO

from flask import Flask
from sqlalchemy import func, select

from engine.store.models import Case, CaseEvent
from tests.support import Org, case_in, data_for, fire, load_case
from tests.test_web_cases import REPORT_FORM, _case_id
from tests.test_web_fixtures import PNG, Web, field_error, signed_in, text

pytest_plugins = ["tests.test_web_fixtures"]

KEY_RE = re.compile(r'name="retry_key" value="([^"]+)"')
ALREADY_VI = "Biểu mẫu này đã được gửi trước đó"
ALREADY_EN = "This form was already sent"


def _cases(org: Org) -> int:
    with org.rt.read_session() as s:
        return s.scalar(select(func.count()).select_from(Case)) or 0


def _events(org: Org, case_id: int) -> int:
    with org.rt.read_session() as s:
        return s.scalar(select(func.count()).select_from(CaseEvent).where(CaseEvent.case_id == case_id)) or 0


def _key(page: str) -> str:
    keys = KEY_RE.findall(page)
    assert len(keys) == 1, keys
    return keys[0]


def _open_report_form(w: Web) -> str:
    """Follow the menu's link to the report form, as a person does; the key the rendered form carries."""
    menu = w.get("/reports").get_data(as_text=True)
    link = re.search(r'href="(/reports/new\?k=[^"]+)"', menu)
    assert link, "the menu's link to the report form carries a fresh key"
    return _key(w.get(link.group(1).replace("&amp;", "&")).get_data(as_text=True))


def test_the_same_filled_report_form_sent_twice_files_one_case(app: Flask, org: Org) -> None:
    w = signed_in(app, "reporter")
    key = _open_report_form(w)
    first = w.post("/reports/new", {**REPORT_FORM, "retry_key": key,
                                    "evidence": (BytesIO(PNG), "ảnh.png")}, content_type="multipart/form-data")
    assert first.status_code == 302 and _cases(org) == 1
    # sent again (the browser dropped the chosen file, as it does on Back): lands on the same case
    again = w.post("/reports/new", {**REPORT_FORM, "retry_key": key}, content_type="multipart/form-data")
    assert again.status_code == 302 and again.headers["Location"] == first.headers["Location"]
    assert _cases(org) == 1
    page = text(w.get(again.headers["Location"]))
    case = load_case(org, _case_id(first.headers["Location"]))
    assert ALREADY_VI in page and case.reference in page
    assert case.event_count == 1


def test_the_message_is_in_the_persons_language(app: Flask, org: Org) -> None:
    w = signed_in(app, "reporter")
    w.post("/account/language", {"language": "en"})
    key = _open_report_form(w)
    w.post("/reports/new", {**REPORT_FORM, "retry_key": key})
    again = w.post("/reports/new", {**REPORT_FORM, "retry_key": key})
    page = text(w.get(again.headers["Location"]))
    assert ALREADY_EN in page and ALREADY_VI not in page
    assert _cases(org) == 1


def test_a_form_shown_again_after_a_validation_error_keeps_its_key(app: Flask, org: Org) -> None:
    w = signed_in(app, "reporter")
    key = _open_report_form(w)
    bad = w.post("/reports/new", {**REPORT_FORM, "subject_name": "", "retry_key": key})
    assert bad.status_code == 422 and field_error(bad, "subject_name")
    assert _key(bad.get_data(as_text=True)) == key  # nothing was stored under it
    assert w.post("/reports/new", {**REPORT_FORM, "retry_key": key}).status_code == 302
    assert w.post("/reports/new", {**REPORT_FORM, "retry_key": key}).status_code == 302
    assert _cases(org) == 1


def test_the_same_form_sent_again_with_changed_content_files_nothing_and_keeps_what_was_typed(app: Flask, org: Org) -> None:
    w = signed_in(app, "reporter")
    key = _open_report_form(w)
    w.post("/reports/new", {**REPORT_FORM, "retry_key": key})
    changed = {**REPORT_FORM, "description": "Một phản ánh khác hẳn.", "retry_key": key}
    r = w.post("/reports/new", changed)
    assert r.status_code == 422 and _cases(org) == 1
    page = text(r)
    assert "với nội dung khác" in page and "Một phản ánh khác hẳn." in page
    fresh = _key(r.get_data(as_text=True))
    assert fresh != key
    # sent from the form as shown now, it is a new report, knowingly
    assert w.post("/reports/new", {**changed, "retry_key": fresh}).status_code == 302
    assert _cases(org) == 2


def test_two_reports_from_two_opened_forms_are_two_cases(app: Flask, org: Org) -> None:
    w = signed_in(app, "reporter")
    for _ in range(2):
        w.post("/reports/new", {**REPORT_FORM, "retry_key": _open_report_form(w)})
    assert _cases(org) == 2


def test_a_form_without_a_key_still_works_and_a_malformed_key_is_refused(app: Flask, org: Org) -> None:
    w = signed_in(app, "reporter")
    assert w.post("/reports/new", REPORT_FORM).status_code == 302  # an old tab, from before keys
    r = w.post("/reports/new", {**REPORT_FORM, "retry_key": "khóa sai ✗"})
    assert r.status_code == 422 and "ASCII" in text(r)
    assert _cases(org) == 1


def test_a_transition_form_sent_twice_fires_once(app: Flask, org: Org) -> None:
    out = case_in(org, "reported")
    w = signed_in(app, "assessor")
    case_page = w.get(f"/cases/{out.case_id}").get_data(as_text=True)
    link = re.search(rf'href="(/cases/{out.case_id}/act/request_info\?k=[^"]+)"', case_page)
    assert link, "the case page's buttons open their forms with a fresh key"
    key = _key(w.get(link.group(1)).get_data(as_text=True))
    form = {"version": out.version, "retry_key": key, **data_for(org, "request_info")}
    first = w.post(f"/cases/{out.case_id}/act/request_info", form)
    assert first.status_code == 302
    again = w.post(f"/cases/{out.case_id}/act/request_info", form)
    assert again.status_code == 302 and again.headers["Location"] == first.headers["Location"]
    assert ALREADY_VI in text(w.get(again.headers["Location"]))
    assert _events(org, out.case_id) == 2 and load_case(org, out.case_id).state == "awaiting_info"

    # the reporter's answer, the same way
    r = signed_in(app, "reporter")
    version = load_case(org, out.case_id).version
    key = _key(r.get(f"/cases/{out.case_id}/act/provide_info").get_data(as_text=True))
    answer = {"version": version, "retry_key": key, **data_for(org, "provide_info")}
    assert r.post(f"/cases/{out.case_id}/act/provide_info", answer).status_code == 302
    assert r.post(f"/cases/{out.case_id}/act/provide_info", answer).status_code == 302
    assert _events(org, out.case_id) == 3 and load_case(org, out.case_id).state == "reported"


def test_a_stale_form_comes_back_with_a_fresh_key(app: Flask, org: Org) -> None:
    out = case_in(org, "reported")
    w = signed_in(app, "assessor")
    key = _key(w.get(f"/cases/{out.case_id}/act/assess").get_data(as_text=True))
    fire(org, out.case_id, "request_info", "assessor")
    fire(org, out.case_id, "provide_info", "reporter")  # back in `reported`: assess is possible again
    data = {k: str(v) for k, v in data_for(org, "assess").items()}
    r = w.post(f"/cases/{out.case_id}/act/assess", {"version": out.version, "retry_key": key, **data})
    assert r.status_code == 409
    fresh = _key(r.get_data(as_text=True))
    assert fresh != key
    version = load_case(org, out.case_id).version
    assert w.post(f"/cases/{out.case_id}/act/assess", {"version": version, "retry_key": fresh, **data}).status_code == 302
    assert load_case(org, out.case_id).state == "assessed"


def test_an_extension_and_a_superseded_file_sent_twice_act_once(app: Flask, org: Org) -> None:
    out = case_in(org, "assessed")
    w = signed_in(app, "supervisor")
    key = _key(w.get(f"/cases/{out.case_id}/extend").get_data(as_text=True))
    form = {"version": out.version, "working_days": "3", "reason": "Chờ giám định.", "retry_key": key}
    assert w.post(f"/cases/{out.case_id}/extend", form).status_code == 302
    after = load_case(org, out.case_id)
    again = w.post(f"/cases/{out.case_id}/extend", form)
    assert again.status_code == 302 and ALREADY_VI in text(w.get(again.headers["Location"]))
    assert load_case(org, out.case_id).deadline_at == after.deadline_at
    assert _events(org, out.case_id) == after.event_count


def test_superseding_a_file_twice_marks_it_once(app: Flask, org: Org) -> None:
    w = signed_in(app, "reporter")
    r = w.post("/reports/new", {**REPORT_FORM, "evidence": (BytesIO(PNG), "sai.png")}, content_type="multipart/form-data")
    case_id = _case_id(r.headers["Location"])
    a = signed_in(app, "assessor")
    page = a.get(f"/cases/{case_id}").get_data(as_text=True)
    form_html = page[page.index('class="inline supersede"'):]
    action = re.search(r'action="([^"]+)"', page[page.index('class="inline supersede"') - 40:]).group(1)
    key = KEY_RE.search(form_html).group(1)
    version = load_case(org, case_id).version
    form = {"version": version, "reason": "Nhầm tệp.", "retry_key": key}
    assert a.post(action, form).status_code == 302
    again = a.post(action, form)
    assert again.status_code == 302 and ALREADY_VI in text(a.get(again.headers["Location"]))
    assert _events(org, case_id) == 2


def test_a_transition_form_sent_again_with_other_words_writes_nothing_and_keeps_them(app: Flask, org: Org) -> None:
    out = case_in(org, "reported")
    w = signed_in(app, "assessor")
    key = _key(w.get(f"/cases/{out.case_id}/act/request_info").get_data(as_text=True))
    form = {"version": out.version, "retry_key": key, "question": "Xin ảnh chụp bài đăng."}
    assert w.post(f"/cases/{out.case_id}/act/request_info", form).status_code == 302
    r = w.post(f"/cases/{out.case_id}/act/request_info", {**form, "question": "Xin thêm đường dẫn gốc."})
    assert r.status_code == 422
    page = text(r)
    assert "với nội dung khác" in page and "Xin thêm đường dẫn gốc." in page  # the typed words, to copy
    assert _events(org, out.case_id) == 2
