"""Notifications end to end: engine outbox rows -> worker -> a real SMTP server on loopback and the inbox.

Each test reads what the aiosmtpd server received (recipients, decoded Vietnamese subject and
body, the link) on SQLite and PostgreSQL. Time is the FrozenClock: nothing sleeps.
"""

from __future__ import annotations

import re
from datetime import timedelta

import pytest
from sqlalchemy import select

from engine.cases import commands as service
from engine.errors import NeedsConfirmation
from engine.jobs.sweep import sweep
from engine.store.models import Case, OutboxMessage
from engine.store.notification_models import EMAIL, FAILED, SENT, InboxItem, NotificationDelivery
from notifications.email import MailConfig
from tests.notify_support import (
    BASE_URL,
    address,
    count,
    deliver,
    give_addresses,
    inbox_of,
    lines,
    local_deadline,
    running_smtp,
    set_user,
)
from tests.support import REPORT, case_in, file, fire, load_case

SECRET_NAME = "Lò Thị Kín Danh"
DATE = re.compile(r"\d{2}/\d{2}/\d{4}")


@pytest.fixture
def smtp():
    yield from running_smtp()


def one(mailbox, username):
    got = mailbox.to(address(username))
    assert len(got) == 1, [m.subject for m in got]
    return got[0]


def test_a_whole_case_lifecycle_sends_each_step_to_the_right_people_in_vietnamese(org, rt, smtp):
    give_addresses(org, reporter=SECRET_NAME)
    box = smtp.mailbox

    # file: the intake body's assessors are told; the reporter (who acted) is not.
    out = file(org, confidential=True)
    ref, link = out.reference, f"{BASE_URL}/cases/{out.case_id}"
    report = deliver(rt, smtp)
    assert report.rows_sent == 1 and report.emails_sent == 1
    msg = one(box, "assessor")
    assert [r.rcpt_tos for r in box.received] == [[address("assessor")]]
    assert msg.subject == f"[{ref}] Gửi phản ánh – Đã tiếp nhận"
    body = lines(msg.text())
    assert body.startswith("Kính gửi đồng chí Assessor,")
    assert "Việc vừa xảy ra: Gửi phản ánh." in body
    assert "Đối tượng bị phản ánh: Trang Facebook \"Phong Thổ 24h\"" in body
    assert ("Đề nghị đồng chí thực hiện: Yêu cầu bổ sung thông tin; Thẩm định và chuyển xử lý; Bác phản ánh; "
            f"hạn xử lý: chậm nhất ngày {local_deadline(rt, out.case_id)}.") in body  # fmt: skip
    assert f"Xem vụ việc: {link}" in body
    assert f'href="{link}"' in msg.html()
    assert f"Người phản ánh: {SECRET_NAME} (Đảng bộ xã Mường So)" in body  # the assessor may see a confidential reporter
    assert msg.message["To"].addresses[0].display_name == "Assessor"

    # request_info: the filing unit's reporters are asked, with the reporter's own deadline.
    fire(org, out.case_id, "request_info", "assessor")
    deliver(rt, smtp)
    msg = one(box, "reporter")
    assert msg.subject == f"[{ref}] Yêu cầu bổ sung thông tin – Chờ bổ sung thông tin"
    body = lines(msg.text())
    assert 'Việc vừa xảy ra: Yêu cầu bổ sung thông tin (từ "Đã tiếp nhận" sang "Chờ bổ sung thông tin").' in body
    assert f"Đề nghị đồng chí thực hiện: Bổ sung thông tin; hạn xử lý: chậm nhất ngày {local_deadline(rt, out.case_id)}." in body
    assert box.to(address("reporter_other")) == []  # another cell's reporter is not told

    # provide_info -> the assessor again; assess -> the competent unit's handler and the reporter.
    fire(org, out.case_id, "provide_info", "reporter")
    deliver(rt, smtp)
    assert len(box.to(address("assessor"))) == 2
    fire(org, out.case_id, "assess", "assessor")
    deliver(rt, smtp)
    handler_msg = one(box, "handler")
    assert handler_msg.subject == f"[{ref}] Thẩm định và chuyển xử lý – Đã thẩm định"
    body = lines(handler_msg.text())
    assert "Đơn vị đang giữ vụ việc: Phòng Văn hóa và Thông tin" in body
    assert "Quyết định xử lý" in body and DATE.search(body)
    assert SECRET_NAME not in body and "Người phản ánh" not in body and "Mường So" not in body  # confidential
    assert SECRET_NAME not in handler_msg.html() and "Mường So" not in handler_msg.html()
    assert box.to(address("handler_police")) == []  # the police were not assigned
    assert len(box.to(address("reporter"))) == 2
    reporter_body = lines(box.to(address("reporter"))[-1].text())
    assert "Thông báo để đồng chí biết, không cần thao tác." in reporter_body

    # handle -> publisher, intake assessor, reporter; publish -> reporter and assessor; the handler hears nothing more.
    fire(org, out.case_id, "handle", "handler")
    deliver(rt, smtp)
    assert one(box, "publisher").subject == f"[{ref}] Quyết định xử lý – Đã xử lý"
    assert SECRET_NAME not in one(box, "publisher").text()
    fire(org, out.case_id, "publish", "publisher")
    deliver(rt, smtp)
    last = box.to(address("reporter"))[-1]
    assert last.subject == f"[{ref}] Công khai kết quả – Đã công khai"
    assert "hạn xử lý" not in lines(last.text()).lower()  # a closed case has no deadline to announce

    per_person = {u: len(box.to(address(u))) for u in ("assessor", "reporter", "handler", "publisher", "supervisor", "leader")}
    assert per_person == {"assessor": 4, "reporter": 4, "handler": 1, "publisher": 1, "supervisor": 0, "leader": 0}
    assert len(box.received) == 10  # each once: no message twice
    assert len({r.message["Message-ID"] for r in box.received}) == 10
    assert [i.subject for i in inbox_of(rt, org, "handler")] == [handler_msg.subject]  # the inbox has the same, at once
    assert count(rt, OutboxMessage, OutboxMessage.status != SENT) == 0


def test_an_escalation_reaches_the_standing_committee(org, rt, smtp, clock):
    give_addresses(org)
    out = file(org)
    deliver(rt, smtp)
    deadline = load_case(org, out.case_id).deadline_at
    clock.set(deadline + timedelta(days=4))  # past the deadline, and two working days more: level 1 escalation
    assert sweep(rt).fired >= 1
    deliver(rt, smtp)

    msg = one(smtp.mailbox, "supervisor")
    assert msg.subject == f"[{out.reference}] Đã báo cáo cấp trên (cấp 1) – Đã tiếp nhận"
    body = lines(msg.text())
    assert "Nhắc việc: Đã báo cáo cấp trên (cấp 1); trạng thái: \"Đã tiếp nhận\"." in body
    assert "Đề nghị đồng chí đôn đốc đơn vị đang giữ vụ việc xử lý" in body
    assert "Đơn vị đang giữ vụ việc: Ban Tuyên giáo Huyện ủy" in body
    assert "Vụ việc đã quá hạn xử lý." in body
    assert f"Xem vụ việc: {BASE_URL}/cases/{out.case_id}" in body
    topics = {r.topic for r in _rows(rt, out.case_id)}
    assert "timer.escalated" in topics


def test_an_escalation_row_written_directly_is_delivered_like_the_sweeps(org, rt, smtp):
    """The worker depends on the outbox row only: topic timer.escalated, the oversight unit's supervisors."""
    give_addresses(org)
    out = case_in(org, "assessed")
    with rt.uow() as uow:
        case = uow.session.get(Case, out.case_id)
        uow.session.add(OutboxMessage(
            case_id=case.id, event_seq=case.event_count, topic="timer.escalated",
            recipient_unit_id=org.units["BTV"], recipient_role="supervisor",
            payload={"reference": case.reference, "workflow": "press_violation", "state": "assessed", "kind": "escalation",
                     "level": 2, "deadline": case.deadline_at.isoformat()},
            status="pending", attempts=0, next_attempt_at=rt.clock.now(), created_at=rt.clock.now(),
        ))  # fmt: skip
        uow.commit()
    deliver(rt, smtp)
    msg = one(smtp.mailbox, "supervisor")
    assert msg.subject == f"[{out.reference}] Đã báo cáo cấp trên (cấp 2) – Đã thẩm định"
    body = lines(msg.text())
    assert "Đề nghị đồng chí thực hiện: Chuyển cơ quan xử lý" in body  # a supervisor may reassign an assessed case
    assert f"chậm nhất ngày {local_deadline(rt, out.case_id)}" in body


def test_english_speakers_get_english_and_the_inbox_follows_the_same_language(org, rt, smtp):
    give_addresses(org)
    set_user(org, "assessor", language="en")
    out = file(org)
    deliver(rt, smtp)
    msg = one(smtp.mailbox, "assessor")
    assert msg.subject == f"[{out.reference}] File a report – Reported"
    body = lines(msg.text())
    assert body.startswith("Dear Assessor,")
    assert "Expected of you: Request more information; Assess and assign; Dismiss; due by " in body
    assert inbox_of(rt, org, "assessor")[0].subject == msg.subject


def test_without_mail_server_the_inbox_still_fills_and_nothing_waits_for_email(org, rt):
    give_addresses(org)
    out = case_in(org, "assessed")
    report = deliver(rt, None, mail=MailConfig())
    assert report.emails_sent == 0 and report.inbox_items == 3  # file: assessor; assess: handler, reporter
    assert count(rt, NotificationDelivery) == 0
    assert count(rt, OutboxMessage, OutboxMessage.status != SENT) == 0
    item = inbox_of(rt, org, "handler")[0]
    assert item.case_id == out.case_id and item.read_at is None
    assert "Thẩm định và chuyển xử lý" in item.body and "Kính gửi" not in item.body


def test_people_without_an_address_or_who_turned_email_off_get_the_inbox_only(org, rt, smtp):
    from notifications import preferences

    give_addresses(org)
    set_user(org, "handler", email=None)
    with rt.uow() as uow:
        preferences.set_mode(uow, org.actor("reporter").user_id, EMAIL, "off", rt.clock.now())
    case_in(org, "assessed")
    deliver(rt, smtp)
    assert smtp.mailbox.to(address("handler")) == [] and smtp.mailbox.to(address("reporter")) == []
    assert len(inbox_of(rt, org, "handler")) == 1 and len(inbox_of(rt, org, "reporter")) == 1
    assert len(smtp.mailbox.to(address("assessor"))) == 1


def test_inactive_users_are_not_told(org, rt, smtp):
    """The only assessor disabled: filing asks for confirmation; confirmed, nobody else is told, the admins are."""
    give_addresses(org)
    set_user(org, "assessor", active=False)
    with pytest.raises(NeedsConfirmation), rt.uow() as uow:
        service.file_report(uow, org.actor("reporter"), "press_violation", dict(REPORT))
    with rt.uow() as uow:
        service.file_report(uow, org.actor("reporter"), "press_violation", dict(REPORT), confirm_unstaffed=True)
    deliver(rt, smtp)
    assert {to for m in smtp.mailbox.received for to in m.rcpt_tos} == {address("admin")}
    assert any(m.subject.startswith("[Quản trị]") for m in smtp.mailbox.received)
    with rt.read_session() as s:
        assert [i.user_id for i in s.scalars(select(InboxItem))] == [org.actor("admin").user_id] * 2
        rows = {r.topic: r for r in s.scalars(select(OutboxMessage))}
    assert rows["transition.file"].status == FAILED and "no active person" in rows["transition.file"].last_error
    assert {"admin.unit_unstaffed", "admin.message_failed"} <= set(rows)


def _rows(rt, case_id):
    with rt.read_session() as s:
        return list(s.scalars(select(OutboxMessage).where(OutboxMessage.case_id == case_id)))
