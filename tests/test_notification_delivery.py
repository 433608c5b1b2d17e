"""Delivery guarantees: retries with backoff, failure shown and retried, exactly once across workers and crashes, digests.

A real aiosmtpd server on loopback, real SQLite and PostgreSQL; the FrozenClock is moved past
each backoff instead of sleeping.
"""

from __future__ import annotations

import threading
from collections import Counter
from datetime import UTC, datetime, timedelta

import pytest
from sqlalchemy import select

from engine.cases.uow import Runtime
from engine.org import admin
from engine.store.models import OutboxMessage
from engine.store.notification_models import DIGEST, EMAIL, FAILED, SENT, NotificationDelivery, NotificationDigest
from notifications import failures, preferences
from notifications.claims import claim
from notifications.email import SmtpMailer
from notifications.settings import Settings
from notifications.worker import _compose_pending, _fan_out, _mark_delivery
from tests.notify_support import FAST, address, count, deliver, give_addresses, inbox_of, lines, running_smtp
from tests.smtp_server import SmtpServer
from tests.support import PASSWORD, case_in, file, fire, load_case


@pytest.fixture
def smtp():
    yield from running_smtp()


def _row_of(rt, case_id, topic, role=None):
    with rt.read_session() as s:
        q = select(OutboxMessage).where(OutboxMessage.case_id == case_id, OutboxMessage.topic == topic)
        if role:
            q = q.where(OutboxMessage.recipient_role == role)
        return s.scalars(q).one()


def test_smtp_down_then_up_the_message_arrives_once_after_the_backoff_and_the_case_is_untouched(org, rt, clock):
    give_addresses(org)
    server = SmtpServer()  # not started: connection refused
    out = file(org)
    before = load_case(org, out.case_id)

    first = deliver(rt, server)
    assert first.email_errors == 1 and first.rows_retrying == 1 and first.inbox_items == 1
    row = _row_of(rt, out.case_id, "transition.file")
    assert (row.status, row.attempts, row.claimed_by) == ("pending", 1, None)
    assert row.next_attempt_at == clock.now() + timedelta(seconds=60)
    assert "ConnectionRefused" in row.last_error
    after = load_case(org, out.case_id)
    assert (after.state, after.version, after.event_count) == (before.state, before.version, before.event_count)

    server.start()
    try:
        assert deliver(rt, server).rows_claimed == 0  # not due yet: the backoff holds it
        assert server.mailbox.received == []
        clock.advance(seconds=61)
        again = deliver(rt, server)
        assert again.emails_sent == 1 and again.rows_sent == 1 and again.inbox_items == 0
        clock.advance(hours=5)
        assert deliver(rt, server).rows_claimed == 0
    finally:
        server.stop()
    assert [r.rcpt_tos for r in server.mailbox.received] == [[address("assessor")]]
    assert len(inbox_of(rt, org, "assessor")) == 1  # the inbox item was written once, on the first attempt
    assert _row_of(rt, out.case_id, "transition.file").status == SENT


def _alerts(rt):
    with rt.read_session() as s:
        return list(s.scalars(select(OutboxMessage).where(OutboxMessage.topic == "admin.message_failed")))


def _failed(rt):
    with rt.read_session() as s:
        return list(s.scalars(select(OutboxMessage).where(OutboxMessage.status == FAILED)))


def test_backoff_doubles_then_the_row_fails_is_listed_for_admins_and_a_retry_delivers_it(org, rt, clock):
    give_addresses(org)
    server = SmtpServer()
    out = case_in(org, "assessed")  # three rows: file (assessor), assess (handler), assess (reporter)
    waits = []
    for _ in range(FAST.max_attempts):
        before = clock.now()
        deliver(rt, server)
        with rt.read_session() as s:
            nxt = s.scalar(select(OutboxMessage.next_attempt_at).where(
                OutboxMessage.status == "pending", OutboxMessage.topic.not_like("admin.%")).limit(1))  # fmt: skip
        if nxt is not None:
            waits.append((nxt - before).total_seconds())
            clock.set(nxt)
    assert waits == [60, 120, 240]
    assert count(rt, OutboxMessage, OutboxMessage.status == FAILED) == 3
    # each failure is announced to the administrators, through the outbox like any message
    alerts = _alerts(rt)
    assert len(alerts) == 3 and {a.recipient_role for a in alerts} == {"admin"}
    assert {a.payload["outbox_id"] for a in alerts} == {r.id for r in _failed(rt)}
    assert load_case(org, out.case_id).state == "assessed"

    with rt.read_session() as s:
        listed = failures.failed_rows(s, rt.registry, org.actor("admin"))
    assert sorted(r.topic for r in listed) == ["transition.assess", "transition.assess", "transition.file"]
    assess = [r for r in listed if r.topic == "transition.assess"]
    assert {r.reference for r in assess} == {out.reference} and {r.attempts for r in assess} == {FAST.max_attempts}
    assert sorted(d.address for r in assess for d in r.deliveries) == [address("handler"), address("reporter")]

    clock.advance(days=1)
    assert deliver(rt, server).rows_claimed == len(alerts)  # only the alerts: failed rows are not retried by themselves
    server.start()
    try:
        with rt.uow() as uow:
            assert [failures.retry_row(uow, r.id, clock.now()) for r in assess] == [True, True]
        with rt.uow() as uow:
            assert failures.retry_row(uow, assess[0].id, clock.now()) is False  # no longer failed
        report = deliver(rt, server)
    finally:
        server.stop()
    assert report.emails_sent == 2
    assert sorted(r.rcpt_tos[0] for r in server.mailbox.received) == [address("handler"), address("reporter")]
    with rt.read_session() as s:
        assert [r.topic for r in failures.failed_rows(s, rt.registry, org.actor("admin"))] == ["transition.file"]


def test_a_refused_recipient_is_retried_alone_the_others_are_not_sent_twice(org, rt, clock, smtp):
    org.as_role("reporter", "CB-MS")  # a second reporter in the filing cell: one outbox row, two people
    give_addresses(org)
    smtp.mailbox.refuse.add(address("reporter"))
    out = case_in(org, "assessed")
    deliver(rt, smtp)
    assert sorted(r.rcpt_tos[0] for r in smtp.mailbox.received) == sorted(
        [address("assessor"), address("handler"), address("reporter.cb-ms")])
    row = _row_of(rt, out.case_id, "transition.assess", "reporter")
    assert row.status == "pending" and row.attempts == 1 and "SMTPRecipientsRefused" in row.last_error

    smtp.mailbox.refuse.clear()
    fire(org, out.case_id, "handle", "handler")  # the case moves on meanwhile
    clock.advance(seconds=61)
    deliver(rt, smtp)
    per_person = Counter(r.rcpt_tos[0] for r in smtp.mailbox.received)
    assert per_person == {address("assessor"): 2, address("handler"): 1, address("reporter"): 2,
                          address("reporter.cb-ms"): 2, address("publisher"): 1}  # fmt: skip
    late = [r for r in smtp.mailbox.to(address("reporter")) if "Thẩm định và chuyển xử lý" in r.subject]
    assert len(late) == 1
    assert 'Vụ việc nay đã chuyển sang trạng thái "Đã xử lý".' in lines(late[0].text())
    assert _row_of(rt, out.case_id, "transition.assess", "reporter").status == SENT


def _deliver_in_thread(url: str, clock, server: SmtpServer, barrier: threading.Barrier, results: list, errors: list) -> None:
    runtime = Runtime.from_url(url, clock=clock)  # its own engine: its own connections
    try:
        runtime.load_definitions()
        barrier.wait(timeout=30)
        results.append(deliver(runtime, server, settings=Settings(batch=3)))
    except Exception as exc:  # noqa: BLE001 - reported by the test
        errors.append(exc)
    finally:
        runtime.engine.dispose()


def test_two_workers_over_one_database_deliver_each_message_once(org, rt, db_url, clock, smtp):
    give_addresses(org)
    cases = [case_in(org, "handled") for _ in range(6)]  # per case: file 1, assess 2, handle 3 rows, one email each
    barrier = threading.Barrier(2)
    results: list = []
    errors: list = []
    threads = [threading.Thread(target=_deliver_in_thread, args=(db_url, clock, smtp, barrier, results, errors))
               for _ in range(2)]  # fmt: skip
    for t in threads:
        t.start()
    for t in threads:
        t.join(timeout=120)
    assert errors == [] and len(results) == 2
    assert sum(r.rows_claimed for r in results) == 36  # every row claimed by exactly one worker
    tags = Counter(r.tag for r in smtp.mailbox.received)
    assert len(tags) == 6 * len(cases) and set(tags.values()) == {1}
    assert count(rt, OutboxMessage, OutboxMessage.status != SENT) == 0
    assert count(rt, NotificationDelivery, NotificationDelivery.status == SENT) == 36


def test_a_worker_that_dies_midway_loses_nothing_and_repeats_nothing(org, rt, clock, smtp):
    for name in ("assessor2", "assessor3"):
        with rt.uow() as uow:
            admin.add_user(uow, name, name.title(), "BTG", ["assessor"], PASSWORD)
    give_addresses(org)
    out = file(org)
    row = _row_of(rt, out.case_id, "transition.file")  # the intake body's three assessors
    settings = Settings()
    with rt.uow() as uow:
        assert row.id in claim(uow.session, OutboxMessage, "doomed", clock.now(), settings.lease, 100)
    assert _fan_out(rt, row.id, smtp.config, "doomed", settings, "https://presscase.test", _report())
    emails = _compose_pending(rt, row.id, smtp.config, "https://presscase.test")
    assert len(emails) == 3
    with SmtpMailer(smtp.config) as mailer:  # the doomed worker sends one email, records it, and dies
        mailer.send(emails[0][1])
    _mark_delivery(rt, emails[0][0], None)

    assert deliver(rt, smtp).rows_claimed == 0  # the doomed worker's lease still holds
    clock.advance(seconds=settings.lease_s + 1)
    rescue = deliver(rt, smtp)
    assert rescue.rows_claimed == 1 and rescue.emails_sent == 2 and rescue.inbox_items == 0
    handle_tags = Counter(r.tag for r in smtp.mailbox.received if r.tag.startswith(f"outbox-{row.id}-"))
    assert len(handle_tags) == 3 and set(handle_tags.values()) == {1}


def _report():
    from notifications.settings import PassReport

    return PassReport()


def test_a_daily_digest_collects_the_day_and_is_sent_once_after_midnight(org, rt, clock, smtp):
    give_addresses(org)
    with rt.uow() as uow:
        preferences.set_mode(uow, org.actor("reporter").user_id, EMAIL, DIGEST, clock.now())
    out = case_in(org, "awaiting_info")  # the reporter is asked for information...
    deliver(rt, smtp)
    fire(org, out.case_id, "provide_info", "reporter")
    fire(org, out.case_id, "assess", "assessor")  # ...and told of the assessment
    deliver(rt, smtp)
    assert smtp.mailbox.to(address("reporter")) == []  # no email during the day
    assert len(inbox_of(rt, org, "reporter")) == 2  # but the inbox has both at once
    assert len(smtp.mailbox.to(address("assessor"))) == 2  # others still get each message

    clock.set(datetime(2026, 3, 2, 16, 59, tzinfo=UTC))  # 23:59 in Hà Nội: the day is not over
    deliver(rt, smtp)
    assert smtp.mailbox.to(address("reporter")) == []
    clock.set(datetime(2026, 3, 2, 17, 1, tzinfo=UTC))  # 00:01 on 3 March
    report = deliver(rt, smtp)
    assert report.digests_sent == 1
    deliver(rt, smtp)
    clock.advance(days=2)
    deliver(rt, smtp)

    digest = smtp.mailbox.to(address("reporter"))
    assert len(digest) == 1
    assert digest[0].subject == "Tổng hợp 2 thông báo ngày 02/03/2026"
    body = lines(digest[0].text())
    assert body.startswith("Kính gửi đồng chí Reporter,")
    assert "1. Phản ánh vi phạm báo chí – vụ việc " + out.reference in body
    assert "Việc vừa xảy ra: Yêu cầu bổ sung thông tin" in body and "Việc vừa xảy ra: Thẩm định và chuyển xử lý" in body
    assert f"https://presscase.test/cases/{out.case_id}" in body
    with rt.read_session() as s:
        d = s.scalars(select(NotificationDigest)).one()
        assert (d.status, str(d.day)) == (SENT, "2026-03-02")
        assert set(s.scalars(select(NotificationDelivery.status).where(NotificationDelivery.digest_id == d.id))) == {SENT}


def test_a_digest_that_cannot_be_sent_is_retried_and_can_fail_like_a_message(org, rt, clock):
    give_addresses(org)
    with rt.uow() as uow:
        preferences.set_mode(uow, org.actor("assessor").user_id, EMAIL, DIGEST, clock.now())
    server = SmtpServer()
    file(org)
    deliver(rt, server)  # the assessor's email is queued; nothing is sent, nothing fails
    assert count(rt, OutboxMessage, OutboxMessage.status == SENT) == 1
    clock.advance(days=1)
    for _ in range(FAST.max_attempts):
        deliver(rt, server)
        clock.advance(hours=2)
    with rt.read_session() as s:
        [failed] = failures.failed_digests(s)
    assert failed.attempts == FAST.max_attempts
    [alert] = _alerts(rt)  # the administrators are told, like for a message
    assert alert.payload["digest_id"] == failed.id and alert.recipient_role == "admin"
    server.start()
    try:
        with rt.uow() as uow:
            assert failures.retry_digest(uow, failed.id, clock.now())
        assert deliver(rt, server).digests_sent == 1
    finally:
        server.stop()
    assert len(server.mailbox.to(address("assessor"))) == 1


def test_preferences_refuse_modes_a_channel_does_not_have(org, rt):
    from engine.errors import InvalidData

    uid = org.actor("reporter").user_id
    with rt.uow() as uow, pytest.raises(InvalidData):
        preferences.set_mode(uow, uid, "inbox", DIGEST, rt.clock.now())
    with rt.read_session() as s:
        assert preferences.preferences_of(s, uid) == {"inbox": "immediate", "email": "immediate"}
    with rt.uow() as uow:
        preferences.set_mode(uow, uid, EMAIL, DIGEST, rt.clock.now())
    with rt.uow() as uow:
        preferences.set_mode(uow, uid, EMAIL, "off", rt.clock.now())
    with rt.read_session() as s:
        assert preferences.preferences_of(s, uid)["email"] == "off"


def test_a_failed_message_to_a_confidential_filer_names_no_case_on_the_admin_page(org, rt, clock):
    """An administrator mends addresses, and may not know who filed a confidential report: the failed
    notice to that reporter is listed with the person and address but without the case; the alert
    to the administrators carries no SMTP error (it names the address)."""
    give_addresses(org)
    server = SmtpServer()  # never started: every email fails
    secret = case_in(org, "assessed", confidential=True)
    plain = case_in(org, "assessed")
    for _ in range(FAST.max_attempts + 1):
        deliver(rt, server)
        clock.advance(hours=1)
    with rt.read_session() as s:
        listed = failures.failed_rows(s, rt.registry, org.actor("admin"))
    to_reporter = [r for r in listed if any(d.address == address("reporter") for d in r.deliveries)]
    assert {r.reference for r in to_reporter} == {None, plain.reference}  # the confidential one names no case
    assert all(r.case_id != secret.case_id for r in to_reporter)
    to_handler = [r for r in listed if any(d.address == address("handler") for d in r.deliveries)]
    assert secret.reference in {r.reference for r in to_handler}  # others' failures still say which case
    assert all(address("reporter") not in (a.payload.get("detail_vi") or "") for a in _alerts(rt))
