"""Helpers for the notification tests: email addresses for the test organisation, a worker pass, what arrived."""

from __future__ import annotations

from collections.abc import Iterator
from typing import Any

from sqlalchemy import func, select, update

from engine.cases.uow import Runtime
from engine.store.models import Case, User
from engine.store.notification_models import InboxItem
from engine.time.clock import to_local
from notifications.settings import PassReport, Settings
from notifications.worker import deliver_pending
from tests.smtp_server import SmtpServer
from tests.support import Org

BASE_URL = "https://presscase.test"
FAST = Settings(backoff_base_s=60, backoff_max_s=3600, max_attempts=4, batch=5)


def address(username: str) -> str:
    return f"{username}@presscase.test"


def give_addresses(org: Org, **names: str) -> None:
    """Every test user gets username@presscase.test; `names` renames some (distinctive words to look for)."""
    with org.rt.uow() as uow:
        for user in uow.session.scalars(select(User)):
            user.email = address(user.username)
            if user.username in names:
                user.full_name = names[user.username]
        uow.commit()


def set_user(org: Org, username: str, **values: Any) -> None:
    with org.rt.uow() as uow:
        uow.session.execute(update(User).where(User.username == username).values(**values))
        uow.commit()


def deliver(rt: Runtime, server: SmtpServer | None, **kw: Any) -> PassReport:
    kw.setdefault("settings", FAST)
    mail = server.config if server is not None else kw.pop("mail")
    return deliver_pending(rt, mail=mail, url=BASE_URL, **kw)


def inbox_of(rt: Runtime, org: Org, username: str) -> list[InboxItem]:
    with rt.read_session() as s:
        uid = org.actor(username).user_id
        return list(s.scalars(select(InboxItem).where(InboxItem.user_id == uid).order_by(InboxItem.id)))


def count(rt: Runtime, model: type, *where: Any) -> int:
    with rt.read_session() as s:
        return s.scalar(select(func.count()).select_from(model).where(*where)) or 0


def local_deadline(rt: Runtime, case_id: int) -> str:
    with rt.read_session() as s:
        case = s.get(Case, case_id)
        assert case is not None and case.deadline_at is not None
        return to_local(case.deadline_at).strftime("%d/%m/%Y")


def lines(text: str) -> str:
    """A body with CRLF line ends (as SMTP carries it) normalised for assertions."""
    return text.replace("\r\n", "\n")


def running_smtp() -> Iterator[SmtpServer]:
    """The body of each test module's `smtp` fixture: a started server, stopped afterwards."""
    server = SmtpServer()
    server.start()
    yield server
    server.stop()
