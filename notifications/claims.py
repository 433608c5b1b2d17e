"""The outbox's and digests' use of the one claim, lease and backoff mechanism (engine/jobs/leases.py).

Outbox rows and digests are ready when `next_attempt_at` has come, and are taken in id order.
"""

from __future__ import annotations

from datetime import datetime, timedelta

from sqlalchemy.orm import Session

from engine.jobs import leases as jobs
from engine.jobs.leases import PENDING, backoff, renew
from engine.store.db import Base

__all__ = ["PENDING", "backoff", "claim", "renew"]


def claim(session: Session, model: type[Base], worker: str, now: datetime, lease: timedelta, limit: int) -> list[int]:
    """Claim up to `limit` due rows of `model` for `worker`; commits, returns their ids in id order."""
    ids = jobs.claim(session, model, worker, now, lease, limit)
    session.commit()
    return ids
