"""What messages say, read from a real SMTP server on loopback and from the inbox.

The question beside the answer (a reporter reads the question in the email and the inbox, the
assessor reads the answer), the confidentiality request told only to those allowed to know,
the extension in words with its reason, a reassignment from one unit to another (and the unit
that lost the case told), one link per inbox item, English dates and plurals.
"""

from __future__ import annotations

import pytest

from engine.cases import commands as service
from tests.notify_support import BASE_URL, address, deliver, give_addresses, inbox_of, lines, running_smtp, set_user
from tests.support import case_in, file, fire

QUESTION = "Xin gửi ảnh chụp bài đăng lúc 21 giờ ngày 01/03 và đường dẫn gốc."
ANSWER = "Ảnh chụp đã gửi kèm; đường dẫn gốc: https://facebook.com/pt24h/posts/1."


@pytest.fixture
def smtp():
    yield from running_smtp()


def only(box, username):
    got = box.to(address(username))
    assert len(got) == 1, [m.subject for m in got]
    return got[0]


def test_the_reporter_reads_the_question_and_the_assessor_reads_the_answer(org, rt, smtp):
    give_addresses(org)
    out = file(org, confidential=True)
    deliver(rt, smtp)
    first = lines(only(smtp.mailbox, "assessor").text())
    assert "Người phản ánh đề nghị giữ bí mật danh tính" in first  # the assessor may know it, and is told

    smtp.mailbox.received.clear()
    fire(org, out.case_id, "request_info", "assessor", {"question": QUESTION})
    deliver(rt, smtp)
    asked = only(smtp.mailbox, "reporter")
    assert f"Nội dung cần bổ sung:\n{QUESTION}" in lines(asked.text())
    assert QUESTION in asked.html()
    item = inbox_of(rt, org, "reporter")[0]
    assert QUESTION in item.body
    assert BASE_URL not in item.body  # the inbox page has its own "open" button: the link is not repeated
    assert "Người phản ánh đề nghị giữ bí mật" not in lines(asked.text())  # said to those who may know, not the reporter

    smtp.mailbox.received.clear()
    fire(org, out.case_id, "provide_info", "reporter", {"answer": ANSWER})
    deliver(rt, smtp)
    answered = lines(only(smtp.mailbox, "assessor").text())
    assert f"Nội dung cần bổ sung:\n{QUESTION}" in answered and f"Thông tin bổ sung:\n{ANSWER}" in answered
    assert "Người phản ánh đề nghị giữ bí mật danh tính" in answered


def test_the_handler_is_not_told_of_a_confidentiality_request_it_may_not_know(org, rt, smtp):
    give_addresses(org)
    out = file(org, confidential=True)
    fire(org, out.case_id, "assess", "assessor")
    deliver(rt, smtp)
    body = lines(only(smtp.mailbox, "handler").text())
    assert "bí mật" not in body and "Reporter" not in body


def test_an_extension_says_what_happened_and_why_in_both_languages(org, rt, smtp):
    give_addresses(org)
    set_user(org, "handler", language="en")
    out = case_in(org, "assessed")
    deliver(rt, smtp)
    smtp.mailbox.received.clear()
    with rt.uow() as uow:
        service.extend_deadline(uow, out.case_id, org.actor("supervisor"), 1, "Chờ kết quả xác minh của Sở.")
    deliver(rt, smtp)
    vi = only(smtp.mailbox, "reporter")
    en = only(smtp.mailbox, "handler")
    for msg in (vi, en):
        assert "deadline.extended" not in msg.subject + msg.text() + msg.html()
        assert "Chờ kết quả xác minh của Sở." in lines(msg.text())
    assert vi.subject == f"[{out.reference}] Gia hạn thời hạn xử lý – Đã thẩm định"
    assert en.subject == f"[{out.reference}] Deadline extended – Assessed"
    en_body = lines(en.text())
    assert "Reason for the extension: Chờ kết quả xác minh của Sở." in en_body
    assert "new deadline: March" in en_body and "(was March" in en_body  # English dates through Babel
    assert "Lý do gia hạn: Chờ kết quả xác minh của Sở." in lines(vi.text())


def test_a_reassignment_names_both_units_and_tells_the_unit_that_lost_the_case(org, rt, smtp):
    give_addresses(org)
    out = case_in(org, "assessed")
    deliver(rt, smtp)
    smtp.mailbox.received.clear()
    fire(org, out.case_id, "reassign", "supervisor", {"competent_unit": org.units["CA"], "reason": "Có dấu hiệu hình sự."})
    deliver(rt, smtp)
    gained = lines(only(smtp.mailbox, "handler_police").text())
    lost = lines(only(smtp.mailbox, "handler").text())
    for body in (gained, lost):
        assert 'từ "Đã thẩm định" sang "Đã thẩm định"' not in body
        assert "Vụ việc được chuyển từ Phòng Văn hóa và Thông tin sang Công an huyện." in body
    assert "Đơn vị của đồng chí không còn giữ vụ việc này" in lost
    assert "Đề nghị đồng chí thực hiện: Trả lại" in gained
    assert "Đơn vị của đồng chí không còn giữ" not in gained


def test_a_late_delivery_never_says_the_case_is_overdue_after_it_moved_on(org, rt, smtp):
    """Subject and body come from one rendering of the facts at the event; a reminder delivered
    after the case moved on says so, and not that the case is (still) late."""

    from engine.jobs.sweep import sweep

    give_addresses(org)
    out = file(org)
    deliver(rt, smtp)
    rt.clock.advance(days=20)  # type: ignore[attr-defined]
    sweep(rt)
    fire(org, out.case_id, "assess", "assessor")
    smtp.mailbox.received.clear()
    deliver(rt, smtp)
    late = [m for m in smtp.mailbox.to(address("assessor")) if "Quá hạn" in m.subject]
    assert late, [m.subject for m in smtp.mailbox.received]
    body = lines(late[0].text())
    assert "Vụ việc nay đã chuyển sang trạng thái" in body and "Vụ việc đã quá hạn xử lý." not in body
