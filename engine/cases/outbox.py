"""Writing outbox rows, and telling the administrators that something failed.

`add_outbox_row` is the one place an outbox row is queued (inserted at commit with the other
append-only rows: engine.store.db.add_row). `tell_admins` writes a row to everyone holding the
admin role: every failure the system cannot resolve by itself (a timer given up on, a message that
reached nobody, a case routed to a unit where nobody can act) ends here, so nothing fails silently. The
row goes through the ordinary outbox, in the caller's transaction; its words, in Vietnamese and
English, travel in the payload because no workflow definition names them.
"""

from __future__ import annotations

from datetime import datetime
from typing import Any

from sqlalchemy.orm import Session

from engine.errors import BrokenInvariant
from engine.org.actors import ADMIN_ROLE
from engine.store.db import add_row
from engine.store.models import OutboxMessage

TOPIC_PREFIX = "admin."
TIMER_FAILED = "admin.timer_failed"
MESSAGE_FAILED = "admin.message_failed"
UNIT_UNSTAFFED = "admin.unit_unstaffed"
# In the payload of a row whose relation resolved to no unit: the relation, to resolve on retry.
UNRESOLVED_RELATION = "unresolved_relation"


def tell_admins(
    session: Session,
    topic: str,
    now: datetime,
    *,
    detail_vi: str,
    detail_en: str,
    path: str,
    case_id: int | None = None,
    reference: str | None = None,
    **extra: Any,
) -> None:
    """One pending outbox row for the admin role; `path` is the page where the administrator acts."""
    if not topic.startswith(TOPIC_PREFIX):
        raise BrokenInvariant(f"an administrators' alert with the topic '{topic}'")
    payload = {"reference": reference, "detail_vi": detail_vi, "detail_en": detail_en, "path": path, **extra}
    add_outbox_row(session, topic, now, payload, case_id=case_id, role=ADMIN_ROLE)


def add_outbox_row(
    session: Session,
    topic: str,
    now: datetime,
    payload: dict[str, Any],
    *,
    case_id: int | None = None,
    event_seq: int | None = None,
    unit_id: int | None = None,
    unit_type: str | None = None,
    role: str | None = None,
    failed_because: str | None = None,
) -> None:
    """Queue one outbox row; with `failed_because` it is written failed (listed for the administrators)."""
    add_row(
        session, OutboxMessage, case_id=case_id, event_seq=event_seq, topic=topic, recipient_unit_id=unit_id,
        recipient_unit_type=unit_type, recipient_role=role, payload=payload,
        status="failed" if failed_because else "pending", last_error=failed_because, attempts=0,
        next_attempt_at=now, created_at=now,
    )  # fmt: skip


def is_alert(topic: str) -> bool:
    """An alert that fails is listed, but raises no alert of its own (that would never end)."""
    return topic.startswith(TOPIC_PREFIX)
