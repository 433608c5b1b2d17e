"""The two writes every change to a case shares: an event in its hash-chained history, and outbox rows.

Transitions (`service._apply`), deadline extensions and fired timers all write through these
two functions, so a timer's escalation is chained and notified exactly like a person's action.
"""

from __future__ import annotations

from collections.abc import Callable, Iterable
from datetime import datetime
from typing import Any

from sqlalchemy.orm import Session

from engine.cases.history import GENESIS, event_hash, session_key
from engine.cases.outbox import MESSAGE_FAILED, UNRESOLVED_RELATION, add_outbox_row, tell_admins
from engine.cases.routing import try_resolve, unresolvable
from engine.org.actors import Actor
from engine.org.chart import OrgChart
from engine.store.db import add_row
from engine.store.models import CaseEvent, CaseRow
from workflows.definition import Definition, Recipient


def append_event(
    session: Session,
    case: CaseRow,
    trigger: str,
    from_state: str | None,
    to_state: str,
    actor: Actor,
    now: datetime,
    data: dict[str, Any],
) -> int:
    """Add the next event to the case's chain and move the case's head; returns its sequence number."""
    seq = case.event_count + 1
    prev = case.last_event_hash or GENESIS
    digest = event_hash(session_key(session), prev, case.id, seq, trigger, from_state, to_state, actor.user_id,
                        actor.unit_id, now, data)  # fmt: skip
    add_row(
        session, CaseEvent, case_id=case.id, seq=seq, trigger=trigger, from_state=from_state, to_state=to_state,
        actor_id=actor.user_id, actor_unit_id=actor.unit_id, at=now, data=data, prev_hash=prev, hash=digest,
    )  # fmt: skip
    case.event_count = seq
    case.last_event_hash = digest
    case.updated_at = now
    return seq


def notify(
    session: Session,
    defn: Definition,
    case: CaseRow,
    recipients: Iterable[Recipient],
    topic: str,
    event_seq: int,
    payload: dict[str, Any],
    now: datetime,
    chart: Callable[[], OrgChart],
    *,
    refuse_unresolved: bool = True,
) -> int:
    """One outbox row per recipient (a unit and/or role, fanned out to people by the notifications worker).

    A recipient whose relation resolves to no active unit is never widened to everyone holding
    the role: a person's command is refused (Unresolvable, nothing written); a timer, which
    cannot be refused, writes that row failed (listed for the administrators) and tells them;
    retried, the worker resolves the relation again (notifications/worker.py).
    """
    n = 0
    for r in recipients:
        unit_id = try_resolve(defn, r.relation, case, chart) if r.relation else None
        failed_because = None
        row_payload = payload
        if r.relation and unit_id is None:
            if refuse_unresolved:
                raise unresolvable(defn, r.relation)
            err = unresolvable(defn, r.relation)
            failed_because = err.message_en
            # kept so that a retry resolves the relation again (once the unit is back), never widens
            row_payload = {**payload, UNRESOLVED_RELATION: r.relation}
            tell_admins(
                session, MESSAGE_FAILED, now, detail_vi=err.message_vi, detail_en=err.message_en,
                path="/admin/notifications", case_id=case.id, reference=case.reference,
            )  # fmt: skip
        add_outbox_row(
            session, topic, now, row_payload, case_id=case.id, event_seq=event_seq, unit_id=unit_id,
            unit_type=r.unit_type, role=r.role, failed_because=failed_because,
        )  # fmt: skip
        n += 1
    return n
