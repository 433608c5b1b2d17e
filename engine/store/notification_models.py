"""The tables notifications need beyond the engine's outbox: inbox items, deliveries, digests, preferences.

They live in engine/ only because every table shares `engine.store.db.Base` and its migrations; the
engine itself never reads or writes them (the notifications package does). An outbox row says
"tell the assessors of unit X"; the worker fans it out to people, and these rows remember, per
person and channel, what was delivered, so a worker that dies midway resends nothing already sent.
"""

from __future__ import annotations

from datetime import date, datetime

from sqlalchemy import Date, ForeignKey, Index, Integer, String, Text, UniqueConstraint
from sqlalchemy.orm import Mapped, mapped_column

from engine.store.db import Base, UtcDateTime

# Channels and the modes a person may choose for each (the first is the default).
INBOX = "inbox"
EMAIL = "email"
IMMEDIATE = "immediate"
DIGEST = "digest"
OFF = "off"
CHANNEL_MODES: dict[str, tuple[str, ...]] = {
    INBOX: (IMMEDIATE,),  # inbox items always appear at once
    EMAIL: (IMMEDIATE, DIGEST, OFF),
}

# Delivery and digest statuses.
PENDING = "pending"  # to send (email, immediate) or to collect (digest)
QUEUED = "queued"  # waiting in a daily digest
SENT = "sent"
FAILED = "failed"


class InboxItem(Base):
    """One message in one person's in-app inbox, rendered in their language when it was delivered."""

    __tablename__ = "inbox_items"
    __table_args__ = (
        UniqueConstraint("outbox_id", "user_id", name="uq_inbox_items_outbox_id_user_id"),
        Index("ix_inbox_items_user_id_read_at", "user_id", "read_at"),
    )

    id: Mapped[int] = mapped_column(primary_key=True)
    user_id: Mapped[int] = mapped_column(ForeignKey("users.id"))
    outbox_id: Mapped[int | None] = mapped_column(ForeignKey("outbox.id"))
    case_id: Mapped[int | None] = mapped_column(ForeignKey("cases.id"))
    topic: Mapped[str] = mapped_column(String(60))
    subject: Mapped[str] = mapped_column(String(300))
    body: Mapped[str] = mapped_column(Text)
    created_at: Mapped[datetime] = mapped_column(UtcDateTime())
    read_at: Mapped[datetime | None] = mapped_column(UtcDateTime())


class NotificationDigest(Base):
    """One person's daily email digest for one local day; claimed like an outbox row, sent once."""

    __tablename__ = "notification_digests"
    __table_args__ = (
        UniqueConstraint("user_id", "day", name="uq_notification_digests_user_id_day"),
        Index("ix_notification_digests_status_next_attempt_at", "status", "next_attempt_at"),
    )

    id: Mapped[int] = mapped_column(primary_key=True)
    user_id: Mapped[int] = mapped_column(ForeignKey("users.id"))
    day: Mapped[date] = mapped_column(Date)  # in Asia/Ho_Chi_Minh
    status: Mapped[str] = mapped_column(String(12), default=PENDING)
    attempts: Mapped[int] = mapped_column(Integer, default=0)
    next_attempt_at: Mapped[datetime] = mapped_column(UtcDateTime())  # the local midnight ending `day`, then backoff
    claimed_by: Mapped[str | None] = mapped_column(String(80))
    lease_until: Mapped[datetime | None] = mapped_column(UtcDateTime())
    sent_at: Mapped[datetime | None] = mapped_column(UtcDateTime())
    last_error: Mapped[str | None] = mapped_column(Text)
    created_at: Mapped[datetime] = mapped_column(UtcDateTime())


class NotificationDelivery(Base):
    """An outbox row delivered to one person on one channel (email): at most one row, hence at most one send."""

    __tablename__ = "notification_deliveries"
    __table_args__ = (
        UniqueConstraint("outbox_id", "user_id", "channel", name="uq_notification_deliveries_outbox_id_user_id_channel"),
        Index("ix_notification_deliveries_digest_id", "digest_id"),
    )

    id: Mapped[int] = mapped_column(primary_key=True)
    outbox_id: Mapped[int] = mapped_column(ForeignKey("outbox.id"))
    user_id: Mapped[int] = mapped_column(ForeignKey("users.id"))
    channel: Mapped[str] = mapped_column(String(20))
    mode: Mapped[str] = mapped_column(String(12))  # immediate or digest
    status: Mapped[str] = mapped_column(String(12))  # pending, queued, sent, failed
    address: Mapped[str] = mapped_column(String(254))  # where it went (the user's address when fanned out)
    digest_id: Mapped[int | None] = mapped_column(ForeignKey("notification_digests.id"))
    attempts: Mapped[int] = mapped_column(Integer, default=0)
    last_error: Mapped[str | None] = mapped_column(Text)
    created_at: Mapped[datetime] = mapped_column(UtcDateTime())
    sent_at: Mapped[datetime | None] = mapped_column(UtcDateTime())


class NotificationPreference(Base):
    """How one person wants one channel: every message at once, a daily digest, or nothing."""

    __tablename__ = "notification_preferences"

    user_id: Mapped[int] = mapped_column(ForeignKey("users.id", ondelete="CASCADE"), primary_key=True)
    channel: Mapped[str] = mapped_column(String(20), primary_key=True)
    mode: Mapped[str] = mapped_column(String(12))
    updated_at: Mapped[datetime] = mapped_column(UtcDateTime())
