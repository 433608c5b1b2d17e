"""Per person and channel: every message at once, a daily digest, or nothing (email only).

The inbox has a single mode: its items always appear at once. A person without a stored
preference gets every email at once (the default mode is the first of CHANNEL_MODES).
"""

from __future__ import annotations

from collections.abc import Iterable
from datetime import datetime

from sqlalchemy import select
from sqlalchemy.orm import Session

from engine.cases.uow import UnitOfWork
from engine.errors import InvalidData
from engine.store.notification_models import CHANNEL_MODES, NotificationPreference


def default_mode(channel: str) -> str:
    return CHANNEL_MODES[channel][0]


def modes_for(session: Session, user_ids: Iterable[int], channel: str) -> dict[int, str]:
    """Each user's mode for `channel` (the default for those who chose nothing)."""
    ids = list(user_ids)
    rows = session.execute(
        select(NotificationPreference.user_id, NotificationPreference.mode).where(
            NotificationPreference.user_id.in_(ids), NotificationPreference.channel == channel
        )
    ).all()
    chosen = {uid: mode for uid, mode in rows}
    return {uid: chosen.get(uid, default_mode(channel)) for uid in ids}


def preferences_of(session: Session, user_id: int) -> dict[str, str]:
    """Every channel's mode for one person: what the preferences form shows."""
    return {channel: modes_for(session, [user_id], channel)[user_id] for channel in CHANNEL_MODES}


def set_mode(uow: UnitOfWork, user_id: int, channel: str, mode: str, now: datetime) -> None:
    """Store one person's choice for one channel; refuses channels and modes that do not exist."""
    if channel not in CHANNEL_MODES or mode not in CHANNEL_MODES[channel]:
        raise InvalidData({channel: ("Lựa chọn không hợp lệ.", "Not a valid choice.")})
    pref = uow.session.get(NotificationPreference, (user_id, channel))
    if pref is None:
        uow.session.add(NotificationPreference(user_id=user_id, channel=channel, mode=mode, updated_at=now))
    else:
        pref.mode = mode
        pref.updated_at = now
    uow.commit()
