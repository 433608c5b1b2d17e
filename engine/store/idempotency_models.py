"""The table of retry keys: what the first request that carried a key produced.

A row is written in the same transaction as the case change it records (engine/cases/uow.py), so it
exists exactly when that change does; the unique (scope, key) lets only one of two concurrent
requests with one key commit. Rows are kept PRESSCASE_IDEMPOTENCY_HOURS and then deleted by a
scheduler job (engine/jobs/retry_keys.py). Declared in a module of its own so the engine's main
models stay about cases; Alembic's env.py imports it.
"""

from __future__ import annotations

from datetime import datetime

from sqlalchemy import ForeignKey, Integer, String, UniqueConstraint
from sqlalchemy.orm import Mapped, mapped_column

from engine.store.db import Base, UtcDateTime

UNIQUE_NAME = "uq_retry_keys_scope_key"


class RetryKeyRecord(Base):
    """One retry key's first result: the Outcome (engine/cases/outcome.py) column by column."""

    __tablename__ = "retry_keys"
    __table_args__ = (UniqueConstraint("scope", "key", name=UNIQUE_NAME),)

    id: Mapped[int] = mapped_column(primary_key=True)
    scope: Mapped[str] = mapped_column(String(64))
    key: Mapped[str] = mapped_column(String(255))
    # sha256 hex of the request (method, path, canonical body): the same key with another body is refused.
    fingerprint: Mapped[str] = mapped_column(String(64))
    case_id: Mapped[int] = mapped_column(ForeignKey("cases.id", ondelete="CASCADE"))
    reference: Mapped[str] = mapped_column(String(30))
    state: Mapped[str] = mapped_column(String(40))
    version: Mapped[int] = mapped_column(Integer)
    event_seq: Mapped[int] = mapped_column(Integer)
    created_at: Mapped[datetime] = mapped_column(UtcDateTime(), index=True)
