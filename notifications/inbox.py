"""The in-app inbox: items are written by the delivery worker; people list, count and mark them read.

Queries take a Session, commands a UnitOfWork (and commit), as in engine/. Every function is
scoped to one user id: nobody can read or mark another person's items, whatever id they send.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime

from sqlalchemy import func, select, update
from sqlalchemy.orm import Session

from engine.cases.uow import UnitOfWork
from engine.store.models import OutboxMessage, User
from engine.store.notification_models import InboxItem
from notifications.render import Rendered

MAX_PER_PAGE = 100


@dataclass
class InboxPage:
    items: list[InboxItem]
    total: int
    unread: int
    page: int
    per_page: int

    @property
    def pages(self) -> int:
        return max(1, -(-self.total // self.per_page))


def add_item(session: Session, user: User, row: OutboxMessage, rendered: Rendered, now: datetime) -> InboxItem:
    """Called by the worker inside its fan-out transaction (the unique (outbox, user) pair keeps it single)."""
    item = InboxItem(
        user_id=user.id, outbox_id=row.id, case_id=row.case_id, topic=row.topic,
        subject=rendered.subject, body=rendered.inbox, created_at=now,
    )  # fmt: skip
    session.add(item)
    return item


def unread_count(session: Session, user_id: int) -> int:
    q = select(func.count()).select_from(InboxItem).where(InboxItem.user_id == user_id, InboxItem.read_at.is_(None))
    return session.scalar(q) or 0


def list_items(session: Session, user_id: int, page: int = 1, per_page: int = 20, unread_only: bool = False) -> InboxPage:
    """Newest first."""
    per_page = max(1, min(per_page, MAX_PER_PAGE))
    page = max(1, page)
    q = select(InboxItem).where(InboxItem.user_id == user_id)
    if unread_only:
        q = q.where(InboxItem.read_at.is_(None))
    total = session.scalar(select(func.count()).select_from(q.subquery())) or 0
    items = list(session.scalars(q.order_by(InboxItem.created_at.desc(), InboxItem.id.desc())
                                 .limit(per_page).offset((page - 1) * per_page)))  # fmt: skip
    return InboxPage(items, total, unread_count(session, user_id), page, per_page)


def get_item(session: Session, user_id: int, item_id: int) -> InboxItem | None:
    item = session.get(InboxItem, item_id)
    return item if item is not None and item.user_id == user_id else None


def mark_read(uow: UnitOfWork, user_id: int, item_id: int, now: datetime) -> bool:
    """True when the item is the user's (already read or not); False for anyone else's or none."""
    result = uow.session.execute(
        update(InboxItem)
        .where(InboxItem.id == item_id, InboxItem.user_id == user_id, InboxItem.read_at.is_(None))
        .values(read_at=now)
    )
    uow.commit()
    if result.rowcount:  # type: ignore[attr-defined]
        return True
    return get_item(uow.session, user_id, item_id) is not None


def mark_all_read(uow: UnitOfWork, user_id: int, now: datetime) -> int:
    result = uow.session.execute(
        update(InboxItem).where(InboxItem.user_id == user_id, InboxItem.read_at.is_(None)).values(read_at=now)
    )
    uow.commit()
    return int(result.rowcount)  # type: ignore[attr-defined]
