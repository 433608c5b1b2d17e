"""Daily email digests: one email per person per local day, with that day's messages.

A person who chose the digest gets their email deliveries *queued* on the digest row of the
day (Asia/Ho_Chi_Minh) the worker handled them. The row becomes due at the local midnight that
ends its day; the job claims due rows like outbox rows, sends one email, and marks the digest
and its deliveries sent together, so two workers never send the same digest twice. Inbox items
are not affected: they always appear at once.
"""

from __future__ import annotations

import logging
from datetime import UTC, date, datetime, time, timedelta
from email.message import EmailMessage
from typing import Any

from sqlalchemy import select, update
from sqlalchemy.dialects.postgresql import insert as pg_insert
from sqlalchemy.dialects.sqlite import insert as sqlite_insert
from sqlalchemy.orm import Session

from engine.cases.outbox import MESSAGE_FAILED, tell_admins
from engine.cases.uow import Runtime
from engine.jobs.leases import retry_later
from engine.store.models import OutboxMessage, User
from engine.store.notification_models import FAILED, PENDING, QUEUED, SENT, NotificationDelivery, NotificationDigest
from engine.time.clock import LOCAL_TZ
from notifications.claims import claim, renew
from notifications.email import MailConfig, SmtpMailer, build_message
from notifications.render import Facts, gather, message_context, render_digest
from notifications.settings import PassReport, Settings

log = logging.getLogger(__name__)


def local_day(now: datetime) -> date:
    return now.astimezone(LOCAL_TZ).date()


def end_of_day(day: date) -> datetime:
    """The UTC instant of the local midnight that ends `day`: when its digest becomes due."""
    return datetime.combine(day + timedelta(days=1), time(0), LOCAL_TZ).astimezone(UTC)


def queue_for(session: Session, user_id: int, now: datetime) -> int:
    """The id of the open digest of today for this user, created if needed (race-free on both databases).

    A digest already claimed or sent (a row handled just after its day ended) is not reopened:
    the message goes into the next day's digest instead.
    """
    day = local_day(now)
    insert = pg_insert if session.get_bind().dialect.name == "postgresql" else sqlite_insert
    for _ in range(7):
        session.execute(
            insert(NotificationDigest)
            .values(user_id=user_id, day=day, status=PENDING, attempts=0, next_attempt_at=end_of_day(day), created_at=now)
            .on_conflict_do_nothing(index_elements=["user_id", "day"])
        )
        found = session.execute(
            select(NotificationDigest.id, NotificationDigest.status, NotificationDigest.attempts, NotificationDigest.claimed_by)
            .where(NotificationDigest.user_id == user_id, NotificationDigest.day == day)
        ).one()  # fmt: skip
        if found.status == PENDING and found.attempts == 0 and found.claimed_by is None:
            return int(found.id)
        day += timedelta(days=1)
    raise RuntimeError(f"no open digest for user {user_id} within a week of {day}")


def send_due(runtime: Runtime, mailer: SmtpMailer, mail: MailConfig, worker: str, settings: Settings, url: str,
             report: PassReport) -> None:  # fmt: skip
    """Send every due digest (the days that have ended); with email off, digests wait."""
    if not mail.enabled:
        return
    sent_or_tried = 0
    while sent_or_tried < settings.max_rows_per_pass:
        with runtime.uow() as uow:
            ids = claim(uow.session, NotificationDigest, worker, runtime.clock.now(), settings.lease, settings.batch)
        if not ids:
            return
        for digest_id in ids:
            _send_one(runtime, digest_id, mailer, mail, worker, settings, url, report)
        sent_or_tried += len(ids)


def _compose(runtime: Runtime, digest_id: int, mail: MailConfig, url: str) -> tuple[EmailMessage | None, list[int], str | None]:
    """The digest email (None when nothing is queued), the deliveries it carries, or why it cannot be sent."""
    with runtime.read_session() as s:
        digest = s.get(NotificationDigest, digest_id)
        assert digest is not None
        user = s.get(User, digest.user_id)
        deliveries = list(s.scalars(
            select(NotificationDelivery)
            .where(NotificationDelivery.digest_id == digest_id, NotificationDelivery.status == QUEUED)
            .order_by(NotificationDelivery.id)
        ))  # fmt: skip
        ids = [d.id for d in deliveries]
        if not deliveries or user is None:
            return None, ids, None
        address = user.email or deliveries[-1].address
        if not address:
            return None, ids, "no email address"
        facts: dict[int, Facts] = {}
        items: list[dict[str, Any]] = []
        for d in deliveries:
            if d.outbox_id not in facts:
                row = s.get(OutboxMessage, d.outbox_id)
                assert row is not None
                facts[d.outbox_id] = gather(s, runtime.registry, row)
            items.append(message_context(facts[d.outbox_id], user, url))
        rendered = render_digest(user, digest.day, items, runtime.clock.now())
        return build_message(mail, user.full_name, address, rendered, f"digest-{digest_id}"), ids, None


def _send_one(runtime: Runtime, digest_id: int, mailer: SmtpMailer, mail: MailConfig, worker: str, settings: Settings,
              url: str, report: PassReport) -> None:  # fmt: skip
    error: str | None
    try:
        msg, delivery_ids, error = _compose(runtime, digest_id, mail, url)
    except Exception as exc:  # noqa: BLE001 - a broken template or row must not stop the other digests
        log.exception("digest %s could not be composed", digest_id)
        msg, delivery_ids, error = None, [], f"{type(exc).__name__}: {exc}"
    if msg is not None:
        with runtime.uow() as uow:
            if not renew(uow.session, NotificationDigest, digest_id, worker, runtime.clock.now(), settings.lease):
                return  # our lease ran out and another worker took the digest over
            uow.commit()
        try:
            mailer.send(msg)
        except Exception as exc:  # noqa: BLE001 - any failure is retried, and never reaches a case
            error = f"{type(exc).__name__}: {exc}"
    _finish(runtime, digest_id, delivery_ids, worker, settings, error, report, sent_email=msg is not None)


def _finish(runtime: Runtime, digest_id: int, delivery_ids: list[int], worker: str, settings: Settings,
            error: str | None, report: PassReport, sent_email: bool) -> None:  # fmt: skip
    with runtime.uow() as uow:
        s = uow.session
        now = runtime.clock.now()
        digest = s.get(NotificationDigest, digest_id, with_for_update=True)
        if digest is None or digest.claimed_by != worker or digest.status != PENDING:
            return
        if error is None:
            digest.status = SENT
            digest.sent_at = now
            digest.last_error = None
            if delivery_ids:
                s.execute(update(NotificationDelivery).where(NotificationDelivery.id.in_(delivery_ids))
                          .values(status=SENT, sent_at=now, attempts=NotificationDelivery.attempts + 1))  # fmt: skip
            report.digests_sent += int(sent_email)
        else:
            report.digest_errors += 1
            if retry_later(digest, now, error, settings.retry):
                if delivery_ids:
                    s.execute(update(NotificationDelivery).where(NotificationDelivery.id.in_(delivery_ids))
                              .values(status=FAILED, last_error=error[:2000]))  # fmt: skip
                tell_admins(
                    s, MESSAGE_FAILED, now, path="/admin/notifications", digest_id=digest.id,
                    detail_vi=f"Thư tổng hợp ngày {digest.day:%d/%m/%Y} không gửi được: {digest.last_error}",
                    detail_en=f"The digest of {digest.day:%d/%m/%Y} could not be delivered: {digest.last_error}",
                )  # fmt: skip
        digest.claimed_by = None
        digest.lease_until = None
        uow.commit()
