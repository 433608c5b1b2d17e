"""The administration's own history: one keyed hash chain of audit events, and its head.

Kept apart from engine/store/models.py: a case's history is per case, this one is for everything
done to the system around the cases (accounts, roles, units, definitions, extensions, retries).
"""

from __future__ import annotations

from datetime import datetime
from typing import Any

from sqlalchemy import JSON, ForeignKey, Integer, String
from sqlalchemy.orm import Mapped, mapped_column

from engine.store.db import Base, UtcDateTime


class AuditEvent(Base):
    """Append-only; `hash` is the HMAC of the row's content and the previous row's hash."""

    __tablename__ = "audit_events"

    id: Mapped[int] = mapped_column(primary_key=True)
    seq: Mapped[int] = mapped_column(Integer, unique=True)
    at: Mapped[datetime] = mapped_column(UtcDateTime(), index=True)
    actor_id: Mapped[int | None] = mapped_column(ForeignKey("users.id"))
    actor: Mapped[str] = mapped_column(String(120))  # "web:admin", "cli:root", "system": who, even without an account
    action: Mapped[str] = mapped_column(String(60))
    subject: Mapped[str] = mapped_column(String(200))
    data: Mapped[dict[str, Any]] = mapped_column(JSON, default=dict)
    prev_hash: Mapped[str] = mapped_column(String(64))
    hash: Mapped[str] = mapped_column(String(64))


class AuditHead(Base):
    """The single row holding the audit chain's length and last hash: as the case row does for a case.

    Writers update it in their transaction, so concurrent administrators queue on it (a row lock
    on PostgreSQL; SQLite's writers are serial anyway) instead of both taking the same number,
    and a deleted last audit event leaves a head that no longer matches.
    """

    __tablename__ = "audit_head"

    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    seq: Mapped[int] = mapped_column(Integer)
    hash: Mapped[str] = mapped_column(String(64))
