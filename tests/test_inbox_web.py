"""The inbox pages, notification settings, the admins' failed-deliveries page, and `presscase notify --once`.

The real app over SQLite and PostgreSQL with CSRF on (every POST carries a token a page handed
out). The inbox blueprint is registered here when create_app does not register it yet.
"""

from __future__ import annotations

import pytest
from flask import Flask, render_template_string
from sqlalchemy import select, update

from engine.store.models import OutboxMessage
from engine.store.notification_models import EMAIL, FAILED, InboxItem
from notifications import preferences
from notifications.email import MailConfig
from tests.notify_support import address, deliver, give_addresses, inbox_of, lines, running_smtp
from tests.support import Org, case_in
from tests.test_web_fixtures import Web, make_app, text

pytest_plugins = ["tests.test_web_fixtures"]


@pytest.fixture
def smtp():
    yield from running_smtp()


@pytest.fixture
def app(rt, org: Org, monkeypatch: pytest.MonkeyPatch) -> Flask:
    monkeypatch.setenv("PRESSCASE_SECRET_KEY", "test-secret")
    flask_app = make_app(rt)
    if "inbox" not in flask_app.blueprints:
        from web import inbox

        flask_app.register_blueprint(inbox.bp)
    # What the header will do: call the template global the blueprint installs.
    flask_app.add_url_rule("/_unread", "unread", lambda: render_template_string("[{{ inbox_unread_count() }}]"))
    return flask_app


@pytest.fixture
def handled(org, rt):
    """A case assessed to the handler, delivered to the inbox only (email off)."""
    out = case_in(org, "assessed")
    deliver(rt, None, mail=MailConfig())
    return out


def test_the_inbox_lists_unread_items_and_marks_them_read_with_csrf(app, org, rt, handled):
    web = Web(app)
    web.login("handler")
    assert text(web.get("/_unread")) == "[1]"
    page = text(web.get("/inbox"))
    assert "1 thông báo chưa đọc" in page
    assert f"[{handled.reference}] Thẩm định và chuyển xử lý – Đã thẩm định" in page
    [item] = inbox_of(rt, org, "handler")
    # one way to the case per item (the "open" button, which also marks it read), not three links
    assert page.count(f'action="/inbox/{item.id}/open"') == 1
    assert f'href="/cases/{handled.case_id}"' not in page and "/cases/" not in item.body

    assert web.post(f"/inbox/{item.id}/read", csrf=False).status_code == 400  # a forged form is refused
    assert inbox_of(rt, org, "handler")[0].read_at is None
    r = web.post(f"/inbox/{item.id}/read")
    assert r.status_code == 302
    assert inbox_of(rt, org, "handler")[0].read_at == rt.clock.now()
    assert text(web.get("/_unread")) == "[0]"
    assert "0 thông báo chưa đọc" in text(web.get("/inbox"))
    assert f"[{handled.reference}]" not in text(web.get("/inbox?unread=1"))


def test_nobody_reads_or_marks_another_persons_items(app, org, rt, handled):
    [item] = inbox_of(rt, org, "handler")
    web = Web(app)
    web.login("reporter")  # has an item of their own about the same case
    page = text(web.get("/inbox"))
    assert f'id="item-{item.id}"' not in page and "Đề nghị đồng chí thực hiện" not in page  # the handler's item is not shown
    assert "1 thông báo chưa đọc" in page
    assert web.post(f"/inbox/{item.id}/read").status_code == 404
    assert web.post(f"/inbox/{item.id}/open").status_code == 404
    web.post("/inbox/read-all")
    assert inbox_of(rt, org, "handler")[0].read_at is None
    assert inbox_of(rt, org, "reporter")[0].read_at is not None


def test_opening_an_item_marks_it_read_and_goes_to_the_case(app, org, rt, handled):
    [item] = inbox_of(rt, org, "handler")
    web = Web(app)
    web.login("handler")
    web.get("/inbox")
    r = web.post(f"/inbox/{item.id}/open")
    assert r.status_code == 302 and r.headers["Location"].endswith(f"/cases/{handled.case_id}")
    assert inbox_of(rt, org, "handler")[0].read_at is not None
    assert web.get(r.headers["Location"]).status_code == 200


def test_the_inbox_needs_a_signed_in_user(app):
    r = Web(app).get("/inbox")
    assert r.status_code == 302 and "/login" in r.headers["Location"]


def test_a_person_chooses_the_daily_digest_and_bad_choices_are_refused(app, org, rt):
    web = Web(app)
    web.login("reporter")
    page = text(web.get("/inbox/settings"))
    assert 'value="immediate" checked' in page
    assert web.post("/inbox/settings", {"email": "digest"}).status_code == 302
    with rt.read_session() as s:
        assert preferences.preferences_of(s, org.actor("reporter").user_id)[EMAIL] == "digest"
    assert 'value="digest" checked' in text(web.get("/inbox/settings"))
    assert web.post("/inbox/settings", {"email": "every-hour"}).status_code == 422
    assert web.post("/inbox/settings", {"email": "off"}, csrf=False).status_code == 400
    with rt.read_session() as s:
        assert preferences.preferences_of(s, org.actor("reporter").user_id)[EMAIL] == "digest"


def test_admins_see_failed_deliveries_and_retry_them(app, org, rt, handled):
    with rt.uow() as uow:
        uow.session.execute(update(OutboxMessage).where(OutboxMessage.topic == "transition.assess")
                            .values(status=FAILED, attempts=8, last_error="SMTPRecipientsRefused: 550"))  # fmt: skip
        uow.commit()
    web = Web(app)
    web.login("handler")
    assert web.get("/admin/notifications").status_code == 403
    web = Web(app)
    web.login("admin")
    page = text(web.get("/admin/notifications"))
    assert handled.reference in page and "transition.assess" in page and "SMTPRecipientsRefused: 550" in page
    with rt.read_session() as s:
        ids = list(s.scalars(select(OutboxMessage.id).where(OutboxMessage.status == FAILED)))
    assert len(ids) == 2
    assert web.post(f"/admin/notifications/{ids[0]}/retry", csrf=False).status_code == 400
    assert web.post(f"/admin/notifications/{ids[0]}/retry").status_code == 302
    with rt.read_session() as s:
        assert s.get(OutboxMessage, ids[0]).status == "pending" and s.get(OutboxMessage, ids[1]).status == FAILED
    web.get("/admin/notifications")
    web.post("/admin/notifications/retry-all")
    with rt.read_session() as s:
        assert s.scalars(select(OutboxMessage.status).where(OutboxMessage.id.in_(ids))).all() == ["pending", "pending"]
    assert "Không có thông báo nào gửi lỗi." in text(web.get("/admin/notifications"))


def test_presscase_notify_once_delivers_with_the_environments_mail_settings(app, org, rt, smtp, monkeypatch):
    give_addresses(org)
    out = case_in(org, "reported")
    monkeypatch.setenv("MAIL_SERVER", "127.0.0.1")
    monkeypatch.setenv("MAIL_PORT", str(smtp.port))
    monkeypatch.setenv("MAIL_DEFAULT_SENDER", "Phản ánh <noreply@presscase.test>")
    monkeypatch.setenv("PRESSCASE_BASE_URL", "https://phanh.example.vn/")
    result = app.test_cli_runner().invoke(args=["notify", "--once"])
    assert result.exit_code == 0, result.output
    assert "rows_sent=1" in result.output and "emails_sent=1" in result.output
    [msg] = smtp.mailbox.received
    assert msg.rcpt_tos == [address("assessor")] and msg.message["From"].addresses[0].addr_spec == "noreply@presscase.test"
    assert f"Xem vụ việc: https://phanh.example.vn/cases/{out.case_id}" in lines(msg.text())
    again = app.test_cli_runner().invoke(args=["notify", "--once"])
    assert "rows_claimed=0" in again.output and len(smtp.mailbox.received) == 1


def test_the_scheduler_job_delivers_and_never_raises(app, org, rt, monkeypatch):
    from web.scheduler import deliver_notifications as deliver_job

    monkeypatch.delenv("MAIL_SERVER", raising=False)
    case_in(org, "reported")
    deliver_job(app)
    with rt.read_session() as s:
        assert len(s.scalars(select(InboxItem)).all()) == 1
    monkeypatch.setattr(app.extensions["presscase"], "sessions", None)  # a broken runtime: logged, not raised
    deliver_job(app)
