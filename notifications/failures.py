"""What did not arrive: failed outbox rows and digests for the administrators' page, and retrying them.

A row is failed after `Settings.max_attempts` attempts; retrying gives it (and its failed
deliveries) a fresh set of attempts, due at once. Only deliveries that failed are retried:
those already sent stay sent, so a retry never repeats a message.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from datetime import date, datetime

from sqlalchemy import select, update
from sqlalchemy.orm import Session

from engine.audit import log as audit_log
from engine.audit.log import Operator
from engine.cases.outbox import MESSAGE_FAILED, is_alert, tell_admins
from engine.cases.registry import DefinitionRegistry
from engine.cases.uow import UnitOfWork
from engine.org.actors import Actor
from engine.read import projection
from engine.store.models import Case, OutboxMessage, User
from engine.store.notification_models import FAILED, PENDING, QUEUED, NotificationDelivery, NotificationDigest


@dataclass
class FailedDelivery:
    user_name: str
    address: str
    channel: str
    error: str | None


@dataclass
class FailedRow:
    id: int
    topic: str
    case_id: int | None
    reference: str | None
    attempts: int
    last_error: str | None
    created_at: datetime
    deliveries: list[FailedDelivery] = field(default_factory=list)


@dataclass
class FailedDigest:
    id: int
    user_name: str
    day: date
    attempts: int
    last_error: str | None


def failed_rows(session: Session, registry: DefinitionRegistry, viewer: Actor, limit: int = 200) -> list[FailedRow]:
    """Failed messages with the people they failed to reach, as `viewer` (an administrator) may see them.

    An administrator needs the person and the address to mend a delivery, not the case: where the
    viewer may not know a case's filer (engine.read.projection) and a failed delivery went to the reporter
    or to someone of the filing unit, the row names no case, or the page would tie the filer to it.
    """
    rows = session.execute(
        select(OutboxMessage, Case)
        .outerjoin(Case, Case.id == OutboxMessage.case_id)
        .where(OutboxMessage.status == FAILED)
        .order_by(OutboxMessage.id.desc())
        .limit(limit)
    ).all()
    cases = {r.id: case for r, case in rows}
    out = {r.id: FailedRow(r.id, r.topic, r.case_id, case.reference if case else None, r.attempts, r.last_error,
                           r.created_at) for r, case in rows}  # fmt: skip
    if out:
        for d, user in session.execute(
            select(NotificationDelivery, User)
            .join(User, User.id == NotificationDelivery.user_id)
            .where(NotificationDelivery.outbox_id.in_(out), NotificationDelivery.status == FAILED)
            .order_by(NotificationDelivery.id)
        ).all():
            row, case = out[d.outbox_id], cases[d.outbox_id]
            row.deliveries.append(FailedDelivery(user.full_name, d.address, d.channel, d.last_error))
            if case is not None and (user.id == case.reporter_id or user.unit_id == case.filing_unit_id):
                defn = registry.get(case.workflow_name, case.workflow_version)
                if not projection.may_know_case_filer(defn, case, viewer):
                    row.case_id, row.reference = None, None
    return list(out.values())


def failed_digests(session: Session, limit: int = 200) -> list[FailedDigest]:
    rows = session.execute(
        select(NotificationDigest, User.full_name)
        .join(User, User.id == NotificationDigest.user_id)
        .where(NotificationDigest.status == FAILED)
        .order_by(NotificationDigest.id.desc())
        .limit(limit)
    ).all()
    return [FailedDigest(d.id, name, d.day, d.attempts, d.last_error) for d, name in rows]


def retry_row(uow: UnitOfWork, outbox_id: int, now: datetime, by: Operator | None = None) -> bool:
    """A failed row becomes pending and due now, with its failed deliveries; False if it was not failed."""
    s = uow.session
    done = s.execute(
        update(OutboxMessage)
        .where(OutboxMessage.id == outbox_id, OutboxMessage.status == FAILED)
        .values(status=PENDING, attempts=0, next_attempt_at=now, claimed_by=None, lease_until=None)
    ).rowcount  # type: ignore[attr-defined]
    if done:
        s.execute(update(NotificationDelivery)
                  .where(NotificationDelivery.outbox_id == outbox_id, NotificationDelivery.status == FAILED)
                  .values(status=PENDING, attempts=0))  # fmt: skip
        topic = s.scalar(select(OutboxMessage.topic).where(OutboxMessage.id == outbox_id))
        audit_log.record(s, by, "notification.retry", f"outbox {outbox_id}", {"topic": topic}, now)
    uow.commit()
    return bool(done)


def retry_digest(uow: UnitOfWork, digest_id: int, now: datetime, by: Operator | None = None) -> bool:
    s = uow.session
    done = s.execute(
        update(NotificationDigest)
        .where(NotificationDigest.id == digest_id, NotificationDigest.status == FAILED)
        .values(status=PENDING, attempts=0, next_attempt_at=now, claimed_by=None, lease_until=None)
    ).rowcount  # type: ignore[attr-defined]
    if done:
        s.execute(update(NotificationDelivery)
                  .where(NotificationDelivery.digest_id == digest_id, NotificationDelivery.status == FAILED)
                  .values(status=QUEUED, attempts=0))  # fmt: skip
        audit_log.record(s, by, "digest.retry", f"digest {digest_id}", {}, now)
    uow.commit()
    return bool(done)


def retry_all(uow: UnitOfWork, now: datetime, by: Operator | None = None) -> int:
    ids = list(uow.session.scalars(select(OutboxMessage.id).where(OutboxMessage.status == FAILED)))
    uow.session.rollback()
    n = 0
    for outbox_id in ids:
        n += retry_row(uow, outbox_id, now, by)
    return n


def tell_admins_row_failed(session: Session, row: OutboxMessage, now: datetime) -> None:
    """A message given up on is announced to the administrators, in the same transaction.

    An alert that fails itself announces nothing (it would never end); it stays on the page.
    """
    if is_alert(row.topic):
        return
    ref = (row.payload or {}).get("reference") or ""
    tell_admins(
        session, MESSAGE_FAILED, now, case_id=row.case_id, reference=ref or None, path="/admin/notifications",
        # Not the error itself: an SMTP refusal names the address, and with the reference it would
        # tie a confidential filer to the case. The page lists the error as the viewer may see it.
        detail_vi=f"Thông báo «{row.topic}» {ref} không gửi được; xem lỗi tại trang Thông báo gửi lỗi.",
        detail_en=f"The message {row.topic} {ref} could not be delivered; the error is on the failed notifications page.",
        outbox_id=row.id,
    )  # fmt: skip
