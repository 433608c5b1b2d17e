"""The delivery worker: claims outbox rows, fans them out to people, sends, retries, gives up visibly.

For each claimed row, in order:

1. one transaction: renew the lease, resolve the people (recipients.py), write an inbox item
   for each (unless there is one) and an email delivery row for each who gets email (unless
   there is one): `pending` to send now, or `queued` on today's digest;
2. for each pending email delivery: render, hand it to the SMTP server, mark it sent in its
   own short transaction (no transaction is open during network I/O, so SQLite writers never
   wait behind an SMTP timeout);
3. one transaction: the row is `sent` when nothing is pending, else its attempt is counted and it
   waits `backoff` (1, 2, 4 ... minutes), or after `max_attempts` it is `failed`, shows on the
   administrators' page (failures.py), from where it can be retried, and raises an alert to them.

A row that matches no active person fails at once (no retry brings someone); a row written
failed because its relation had no unit resolves the relation again when retried. Claims,
leases and backoff are the mechanism the timer sweep uses too (engine/jobs/leases.py).

A worker that dies at any point loses nothing: its lease runs out, another worker claims the
row, and the delivery rows keep what was already sent from being sent again (a message being
handed over at the very moment of the crash may arrive twice; none is lost). The worker never
writes a case: a failed email changes nothing but its own rows (invariant 8).
"""

from __future__ import annotations

import logging
from datetime import datetime
from email.message import EmailMessage

from sqlalchemy import func, select, update
from sqlalchemy.orm import Session

from engine.cases.outbox import UNRESOLVED_RELATION
from engine.cases.routing import try_resolve
from engine.cases.uow import Runtime, UnitOfWork
from engine.jobs.leases import retry_later
from engine.store.models import OutboxMessage, User
from engine.store.notification_models import (
    DIGEST,
    EMAIL,
    FAILED,
    IMMEDIATE,
    OFF,
    PENDING,
    QUEUED,
    SENT,
    InboxItem,
    NotificationDelivery,
)
from notifications import digest, inbox, preferences
from notifications.claims import claim, renew
from notifications.email import MailConfig, SmtpMailer, build_message
from notifications.failures import tell_admins_row_failed
from notifications.recipients import nobody_reached, people_for
from notifications.render import Rendered, base_url, gather, may_be_told, message_context, render_message
from notifications.settings import PassReport, Settings, worker_name

log = logging.getLogger(__name__)


def deliver_pending(
    runtime: Runtime,
    *,
    mail: MailConfig | None = None,
    settings: Settings | None = None,
    url: str | None = None,
    worker: str | None = None,
    digests: bool = True,
) -> PassReport:
    """One pass: deliver every due outbox row, then (with `digests`) every digest whose day has ended.

    The scheduler calls this as a job; `presscase notify --once` calls it by hand. Everything
    not given comes from the environment (MAIL_*, PRESSCASE_BASE_URL, PRESSCASE_NOTIFY_*).
    """
    mail = mail if mail is not None else MailConfig.from_env()
    settings = settings or Settings.from_env()
    url = (url or base_url()).rstrip("/")
    worker = worker or worker_name()
    report = PassReport()
    with SmtpMailer(mail) as mailer:
        while report.rows_claimed < settings.max_rows_per_pass:
            with runtime.uow() as uow:
                ids = claim(uow.session, OutboxMessage, worker, runtime.clock.now(), settings.lease, settings.batch)
            if not ids:
                break
            report.rows_claimed += len(ids)
            for row_id in ids:
                _deliver_row(runtime, row_id, mailer, mail, worker, settings, url, report)
        if digests:
            digest.send_due(runtime, mailer, mail, worker, settings, url, report)
    if report.rows_claimed or report.digests_sent or report.digest_errors:
        log.info("notifications: %s", report.summary())
    return report


def _deliver_row(runtime: Runtime, row_id: int, mailer: SmtpMailer, mail: MailConfig, worker: str,
                 settings: Settings, url: str, report: PassReport) -> None:  # fmt: skip
    try:
        rendered = _fan_out(runtime, row_id, mail, worker, settings, url, report)
        if rendered is None:
            return  # no longer ours
        emails = _compose_pending(runtime, row_id, mail, url, rendered)
    except Exception as exc:  # noqa: BLE001 - a broken row must not stop the others; it is retried, then shown
        log.exception("outbox row %s could not be prepared", row_id)
        _finish(runtime, row_id, worker, settings, f"{type(exc).__name__}: {exc}", report)
        return
    error: str | None = None
    for delivery_id, msg in emails:
        with runtime.uow() as uow:
            if not renew(uow.session, OutboxMessage, row_id, worker, runtime.clock.now(), settings.lease):
                return  # our lease ran out and another worker took the row over: stop, it will finish
            uow.commit()
        try:
            mailer.send(msg)
        except Exception as exc:  # noqa: BLE001 - refused, unreachable, anything: counted and retried
            error = error or f"{type(exc).__name__}: {exc}"
            report.email_errors += 1
            _mark_delivery(runtime, delivery_id, f"{type(exc).__name__}: {exc}")
        else:
            report.emails_sent += 1
            _mark_delivery(runtime, delivery_id, None)
    _finish(runtime, row_id, worker, settings, error, report)


def _fan_out(runtime: Runtime, row_id: int, mail: MailConfig, worker: str, settings: Settings, url: str,
             report: PassReport) -> dict[int, Rendered] | None:  # fmt: skip
    """Step 1 in one transaction; None when the row is no longer ours.

    Returns each person's message as rendered here, once: the inbox item and the email are the
    same rendering (same moment, same facts), so a subject and a body can never disagree.
    """
    with runtime.uow() as uow:
        s = uow.session
        now = runtime.clock.now()
        if not renew(s, OutboxMessage, row_id, worker, now, settings.lease):
            return None
        row = s.get(OutboxMessage, row_id)
        assert row is not None
        facts = gather(s, runtime.registry, row)
        unresolved = (row.payload or {}).get(UNRESOLVED_RELATION)
        if unresolved and row.recipient_unit_id is None:
            # A row written failed because its relation had no unit, now retried: resolve it again.
            # Still none: nobody is told (never everyone holding the role), and the row fails again.
            unit_id = None
            if facts.case is not None and facts.defn is not None:
                unit_id = try_resolve(facts.defn, unresolved, facts.case, lambda: runtime.org_chart(s))
            if unit_id is None:
                return _fail_now(s, row, f"relation {unresolved} resolves to no active unit", report, now, uow)
            row.recipient_unit_id = unit_id
        people = [p for p in people_for(s, row, exclude_user_id=facts.actor_id) if may_be_told(facts, p)]
        if not people and nobody_reached(s, row):
            # Nobody active matches the recipient: failed and shown at once (no retry brings someone).
            return _fail_now(s, row, "no active person matches this recipient", report, now, uow)
        have_inbox = set(s.scalars(select(InboxItem.user_id).where(InboxItem.outbox_id == row_id)))
        have_email = set(s.scalars(select(NotificationDelivery.user_id).where(
            NotificationDelivery.outbox_id == row_id, NotificationDelivery.channel == EMAIL)))  # fmt: skip
        email_modes = preferences.modes_for(s, [p.id for p in people], EMAIL)
        rendered: dict[int, Rendered] = {}
        for user in people:
            rendered[user.id] = render_message(message_context(facts, user, url), now)
            if user.id not in have_inbox:
                inbox.add_item(s, user, row, rendered[user.id], now)
                report.inbox_items += 1
            mode = email_modes[user.id]
            if not mail.enabled or not user.email or user.id in have_email or mode == OFF:
                continue
            s.add(NotificationDelivery(
                outbox_id=row_id, user_id=user.id, channel=EMAIL, mode=mode,
                status=QUEUED if mode == DIGEST else PENDING, address=user.email,
                digest_id=digest.queue_for(s, user.id, now) if mode == DIGEST else None,
                attempts=0, created_at=now,
            ))  # fmt: skip
        uow.commit()
    return rendered


def _fail_now(s: Session, row: OutboxMessage, error: str, report: PassReport, now: datetime, uow: UnitOfWork) -> None:
    """A row no retry can help until an administrator acts: failed at once, listed, and announced.

    Returns None, as `_fan_out` does for a row that is no longer this worker's: nothing to send."""
    row.status = FAILED
    row.last_error = error
    row.claimed_by = row.lease_until = None
    report.rows_failed += 1
    tell_admins_row_failed(s, row, now)
    uow.commit()
    return None


def _compose_pending(runtime: Runtime, row_id: int, mail: MailConfig, url: str,
                     rendered: dict[int, Rendered] | None = None) -> list[tuple[int, EmailMessage]]:  # fmt: skip
    """Step 2's messages: the fan-out's own rendering, or (a retry, whose fan-out was an earlier pass)
    rendered afresh in a read session that is closed before anything is sent."""
    rendered = rendered or {}
    with runtime.read_session() as s:
        pending = list(s.scalars(
            select(NotificationDelivery)
            .where(NotificationDelivery.outbox_id == row_id, NotificationDelivery.channel == EMAIL,
                   NotificationDelivery.mode == IMMEDIATE, NotificationDelivery.status == PENDING)
            .order_by(NotificationDelivery.id)
        ))  # fmt: skip
        if not pending:
            return []
        row = s.get(OutboxMessage, row_id)
        assert row is not None
        facts = gather(s, runtime.registry, row)
        out = []
        for d in pending:
            user = s.get(User, d.user_id)
            assert user is not None
            message = rendered.get(user.id) or render_message(message_context(facts, user, url), runtime.clock.now())
            out.append((d.id, build_message(mail, user.full_name, d.address, message, f"outbox-{row_id}-user-{user.id}")))
        return out


def _mark_delivery(runtime: Runtime, delivery_id: int, error: str | None) -> None:
    with runtime.uow() as uow:
        values: dict[str, object] = {"attempts": NotificationDelivery.attempts + 1}
        if error is None:
            values.update(status=SENT, sent_at=runtime.clock.now(), last_error=None)
        else:
            values.update(last_error=error[:2000])
        uow.session.execute(
            update(NotificationDelivery)
            .where(NotificationDelivery.id == delivery_id, NotificationDelivery.status == PENDING)
            .values(**values)
        )
        uow.commit()


def _finish(runtime: Runtime, row_id: int, worker: str, settings: Settings, error: str | None, report: PassReport) -> None:
    """Step 3: sent, or one more attempt counted (with backoff), or failed; the claim is released."""
    with runtime.uow() as uow:
        s = uow.session
        now = runtime.clock.now()
        row = s.get(OutboxMessage, row_id, with_for_update=True)
        if row is None or row.claimed_by != worker or row.status != PENDING:
            return
        unsent = s.scalar(select(func.count()).select_from(NotificationDelivery).where(
            NotificationDelivery.outbox_id == row_id, NotificationDelivery.status == PENDING)) or 0  # fmt: skip
        if error is None and unsent == 0:
            row.status = SENT
            row.sent_at = now
            row.last_error = None
            report.rows_sent += 1
        elif retry_later(row, now, error or f"{unsent} deliveries not sent", settings.retry):
            s.execute(update(NotificationDelivery)
                      .where(NotificationDelivery.outbox_id == row_id, NotificationDelivery.status == PENDING)
                      .values(status=FAILED))  # fmt: skip
            report.rows_failed += 1
            log.warning("outbox row %s failed after %s attempts: %s", row_id, row.attempts, row.last_error)
            tell_admins_row_failed(s, row, now)
        else:
            report.rows_retrying += 1
        row.claimed_by = None
        row.lease_until = None
        uow.commit()
