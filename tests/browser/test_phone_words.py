"""At a desk (1280 px) and on a phone (360 px): the question beside the answer, typed work that
survives a conflict or a reassignment, deadline words without jargon, a short header, dates that
never wrap, the third-person confidentiality label and the fine ceiling up front."""

from __future__ import annotations

from typing import Any

import pytest
from sqlalchemy import select

from engine.store.models import OutboxMessage
from tests.browser.conftest import Live
from tests.support import file, fire, load_case

pytestmark = pytest.mark.browser

WIDTHS = [1280, 360]
QUESTION = "Xin gửi ảnh chụp bài đăng lúc 21 giờ và đường dẫn gốc."


def _case_page(page: Any, live: Live, case_id: int) -> None:
    page.goto(f"{live.url}/cases/{case_id}")
    page.wait_for_selector("#case-state")


def _fits(page: Any, width: int) -> None:
    assert page.evaluate("document.documentElement.scrollWidth") <= width


@pytest.mark.parametrize("width", WIDTHS)
def test_the_reporter_answers_beside_the_question(new_page: Any, live: Live, width: int) -> None:
    out = file(live.org)
    fire(live.org, out.case_id, "request_info", "assessor", {"question": QUESTION})
    page = new_page(width, 800)
    live.login(page, "reporter")
    _case_page(page, live, out.case_id)
    assert QUESTION in page.inner_text("#question")  # on the case page, above the actions
    page.click("a[data-trigger='provide_info']")
    page.wait_for_selector("#f-answer")
    assert QUESTION in page.inner_text("#question")  # and on the answer form itself
    question_box = page.locator("#question").bounding_box()
    answer_box = page.locator("#f-answer").bounding_box()
    assert question_box["y"] < answer_box["y"]  # read before typing
    _fits(page, width)
    live.step(page, f"answer-form-{width}")
    page.fill("#f-answer", "Ảnh chụp đã gửi kèm.")
    page.click("button[data-trigger='provide_info']")
    page.wait_for_selector("#case-state")
    assert page.inner_text("#case-state").strip() == "Đã tiếp nhận"


@pytest.mark.parametrize("width", WIDTHS)
def test_a_stale_form_comes_back_with_the_typed_text_beside_the_new_state(new_page: Any, live: Live, width: int) -> None:
    out = file(live.org)
    fire(live.org, out.case_id, "assess", "assessor")
    page = new_page(width, 800)
    live.login(page, "handler")
    page.goto(f"{live.url}/cases/{out.case_id}/act/record_explanation")
    typed = "Đối tượng giải trình: bài viết đã được gỡ lúc 8 giờ sáng; xin rút kinh nghiệm."
    page.fill("#f-explanation", typed)
    page.fill("#f-received_on", "2026-03-02")
    fire(live.org, out.case_id, "record_explanation", "handler")  # a colleague records one meanwhile
    page.click("button[data-trigger='record_explanation']")
    page.wait_for_selector("#conflict")
    assert "Ghi nhận giải trình" in page.inner_text("#conflict")  # the change that happened, named
    assert "Đã thẩm định" in page.inner_text("#conflict")
    assert page.input_value("#f-explanation") == typed  # nothing typed is lost
    _fits(page, width)
    live.step(page, f"stale-form-{width}")
    before = load_case(live.org, out.case_id).event_count
    page.click("button[data-trigger='record_explanation']")  # sent again, knowingly, against the new version
    page.wait_for_selector("#case-state")
    assert load_case(live.org, out.case_id).event_count == before + 1


@pytest.mark.parametrize("width", WIDTHS)
def test_a_case_reassigned_while_the_form_is_open_says_so_and_keeps_the_text(new_page: Any, live: Live,
                                                                              width: int) -> None:  # fmt: skip
    out = file(live.org)
    fire(live.org, out.case_id, "assess", "assessor")
    page = new_page(width, 800)
    live.login(page, "handler")
    page.goto(f"{live.url}/cases/{out.case_id}/act/handle")
    summary = "Phạt tiền 10 triệu đồng, buộc gỡ bài; đã lập biên bản ngày 02/03."
    page.fill("#f-summary", summary)
    fire(live.org, out.case_id, "reassign", "supervisor", {"competent_unit": live.org.units["CA"], "reason": "Dấu hiệu hình sự."})
    page.click("button[data-trigger='handle']")
    page.wait_for_selector("#lost")
    lost = page.inner_text("#lost")
    assert out.reference in lost and "Công an huyện" in lost
    assert summary in page.inner_text("#kept")
    _fits(page, width)
    live.step(page, f"lost-{width}")
    with live.org.rt.read_session() as s:  # the unit that lost it is told
        told = s.scalars(select(OutboxMessage).where(OutboxMessage.case_id == out.case_id,
                                                     OutboxMessage.recipient_unit_id == live.org.units["VHTT"])).all()  # fmt: skip
    assert any(r.topic == "transition.reassign" and r.recipient_role == "handler" for r in told)


@pytest.mark.parametrize("width", WIDTHS)
def test_deadline_words_are_plain_and_the_record_is_behind_a_toggle(new_page: Any, live: Live, width: int) -> None:
    out = file(live.org, confidential=True)
    reporter = new_page(width, 800)
    live.login(reporter, "reporter")
    _case_page(reporter, live, out.case_id)
    words = reporter.inner_text("#deadline")
    assert "Thời hạn 5 ngày làm việc" in words and "Tính từ ngày làm việc sau ngày 02/03/2026" in words
    assert "#" not in words and "holidays" not in words and "Lịch" not in words
    assert reporter.locator("#deadline-details").count() == 0

    assessor = new_page(width, 800)
    live.login(assessor, "assessor")
    _case_page(assessor, live, out.case_id)
    assert not assessor.locator("#deadline-details ul").is_visible()  # closed until asked for
    assessor.click("#deadline-details summary")
    details = assessor.inner_text("#deadline-details")
    assert "sự kiện #1" in details and "holidays-" in details
    # the confidentiality flag in the third person, not the reporter's own "keep my identity ..."
    assert "Người phản ánh yêu cầu giữ bí mật danh tính" in assessor.inner_text("section[aria-labelledby='h-facts']")
    _fits(assessor, width)


@pytest.mark.parametrize("width", WIDTHS)
def test_english_words_for_an_assessor(new_page: Any, live: Live, width: int) -> None:
    from tests.notify_support import set_user

    set_user(live.org, "assessor", language="en")
    out = file(live.org, confidential=True)
    page = new_page(width, 800)
    live.login(page, "assessor")
    _case_page(page, live, out.case_id)
    facts = page.inner_text("section[aria-labelledby='h-facts']")
    assert "The reporter asked for confidentiality" in facts and "Keep my identity confidential" not in facts
    deadline = page.inner_text("#deadline")
    assert "5 working days left" in deadline and "Time limit: 5 working days" in deadline
    assert "March 2, 2026" in deadline  # dates in words an English reader cannot misread
    live.clock.advance(days=8)
    _case_page(page, live, out.case_id)
    assert "Overdue by 1 working day (due March 9, 2026)" in page.inner_text(".case-head")  # one day, one "day"


@pytest.mark.parametrize("width", WIDTHS)
def test_the_header_is_short_and_dates_never_wrap(new_page: Any, live: Live, width: int) -> None:
    for _ in range(3):
        file(live.org)
    for who, path in (("assessor", "/worklist"), ("reporter", "/reports"), ("admin", "/admin/units")):
        page = new_page(width, 780)
        live.login(page, who)
        page.goto(live.url + path)
        height = page.evaluate("document.querySelector('header.topbar').getBoundingClientRect().height")
        if width == 360:
            assert height <= 80, (who, height)
        assert page.locator("#logout").is_visible() and page.locator("header nav a").first.is_visible()
        wrapped = page.evaluate("() => [...document.querySelectorAll('.nw')]"
                                ".filter(e => e.getClientRects().length > 1).map(e => e.textContent)")  # fmt: skip
        assert wrapped == [], (path, wrapped)
        assert page.locator(".nw").count() > 0 or who == "admin"
        _fits(page, width)
        live.step(page, f"header-{who}-{width}")
    menu = page.locator("header nav a", has_text="Units")
    assert menu.count() == 0 and page.locator("header nav a", has_text="Đơn vị").count() == 1


@pytest.mark.parametrize("width", WIDTHS)
def test_the_handler_sees_the_fine_ceiling_before_exceeding_it(new_page: Any, live: Live, width: int) -> None:
    out = file(live.org)
    fire(live.org, out.case_id, "assess", "assessor")
    page = new_page(width, 800)
    live.login(page, "handler")
    page.goto(f"{live.url}/cases/{out.case_id}/act/handle")
    assert "Mức phạt tối đa của đơn vị bạn: 50.000.000 đồng" in page.inner_text("#f-fine_amount-help")
    _fits(page, width)
