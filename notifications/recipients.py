"""Who an outbox row is for: the active people matching its unit, unit type, role and/or user.

The engine writes one outbox row per recipient spec of the definition (`notify` of a
transition, or of a timer kind), with the spec's relation already resolved to a unit. Here
that spec becomes people. The person whose action caused the event is not told about it.
Confidentiality is not decided here but when rendering (render.py asks engine.cases.policy), since
it changes what a message says, not who gets one.
"""

from __future__ import annotations

from sqlalchemy import select
from sqlalchemy.orm import Session

from engine.store.models import OutboxMessage, Unit, User, UserRole


def people_for(session: Session, row: OutboxMessage, exclude_user_id: int | None = None) -> list[User]:
    """Active users in active units matching every part of the row's spec, in id order.

    A spec with a role alone means everyone holding the role: only when the definition (or an
    alert to the administrators) names no relation. A relation that resolves to no unit never
    gets here: the engine refuses the command, or writes the row failed (engine/cases/journal.py).
    """
    if (row.recipient_unit_id, row.recipient_unit_type, row.recipient_role, row.recipient_user_id) == (None,) * 4:
        return []
    q = (
        select(User)
        .join(Unit, Unit.id == User.unit_id)
        .where(User.active.is_(True), Unit.active.is_(True))
        .order_by(User.id)
    )
    if row.recipient_user_id is not None:
        q = q.where(User.id == row.recipient_user_id)
    if row.recipient_unit_id is not None:
        q = q.where(User.unit_id == row.recipient_unit_id)
    if row.recipient_unit_type is not None:
        q = q.where(Unit.type == row.recipient_unit_type)
    if row.recipient_role is not None:
        q = q.where(User.id.in_(select(UserRole.user_id).where(UserRole.role == row.recipient_role)))
    if exclude_user_id is not None:
        q = q.where(User.id != exclude_user_id)
    return list(session.scalars(q).unique())


def nobody_reached(session: Session, row: OutboxMessage) -> bool:
    """True when no active person at all matches the row (not merely the person who acted)."""
    return not people_for(session, row)
