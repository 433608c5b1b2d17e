"""Administration is history too: record who changed accounts, roles, units, definitions, deadlines
and retries, in the same transaction as the change, on a keyed hash chain like a case's.

`record` is what every administrative command calls before its commit; `verify_log` is what
`presscase audit verify` runs over the whole chain; `page` is what the admin page lists.
"""

from __future__ import annotations

import getpass
import hmac
from dataclasses import dataclass
from datetime import datetime
from typing import Any

from sqlalchemy import func, select
from sqlalchemy.orm import Session

from engine.cases.history import GENESIS, ChainProblem, canonical_bytes, canonical_time, keyed_hash, session_key
from engine.store.audit_models import AuditEvent, AuditHead
from engine.store.db import add_row

LOG_NAME = "audit log"


@dataclass(frozen=True)
class Operator:
    """Who did an administrative act: an account when there is one, and how they came (web, cli, system)."""

    user_id: int | None
    label: str

    @classmethod
    def web(cls, user_id: int | None, username: str) -> Operator:
        return cls(user_id, f"web:{username}")

    @classmethod
    def cli(cls) -> Operator:
        """The shell account running `presscase`: the CLI has no sign-in, but the machine knows who."""
        try:
            who = getpass.getuser()
        except (KeyError, OSError):
            who = "?"
        return cls(None, f"cli:{who}")

    @classmethod
    def system(cls, what: str = "system") -> Operator:
        return cls(None, what)


UNATTRIBUTED = Operator(None, "unattributed")


def audit_hash(key: bytes, prev_hash: str, seq: int, at: datetime, actor_id: int | None, actor: str,
               action: str, subject: str, data: dict[str, Any]) -> str:  # fmt: skip
    return keyed_hash(key, canonical_bytes([prev_hash, seq, canonical_time(at), actor_id, actor, action, subject, data]))


def _hash_of(key: bytes, ev: AuditEvent) -> str:
    return audit_hash(key, ev.prev_hash, ev.seq, ev.at, ev.actor_id, ev.actor, ev.action, ev.subject, ev.data)


def record(
    session: Session, by: Operator | None, action: str, subject: str, data: dict[str, Any], now: datetime
) -> int:
    """Append one audit event in the caller's transaction (the caller commits); returns its number."""
    by = by or UNATTRIBUTED
    head = session.scalars(select(AuditHead).where(AuditHead.id == 1).with_for_update()).first()
    if head is None:
        head = AuditHead(id=1, seq=0, hash=GENESIS)
        session.add(head)
    seq = head.seq + 1
    digest = audit_hash(session_key(session), head.hash, seq, now, by.user_id, by.label, action, subject[:200], data)
    add_row(session, AuditEvent, seq=seq, at=now, actor_id=by.user_id, actor=by.label[:120], action=action,
            subject=subject[:200], data=data, prev_hash=head.hash, hash=digest)  # fmt: skip
    head.seq, head.hash = seq, digest
    return seq


def head(session: Session) -> tuple[int, str]:
    row = session.get(AuditHead, 1)
    return (row.seq, row.hash) if row is not None else (0, GENESIS)


def verify_log(session: Session, batch: int = 1000) -> list[ChainProblem]:
    """Every break in the audit chain: a gap, a bad link, a changed row, or a head that does not match."""
    key = session_key(session)
    problems: list[ChainProblem] = []
    prev, expected = GENESIS, 1
    last_seq = 0
    while True:
        rows = session.scalars(select(AuditEvent).where(AuditEvent.seq > last_seq).order_by(AuditEvent.seq)
                               .limit(batch)).all()  # fmt: skip
        if not rows:
            break
        for ev in rows:
            if ev.seq != expected:
                problems.append(ChainProblem(None, LOG_NAME, expected,
                                             f"missing: the log goes from event {expected - 1} to event {ev.seq}"))
            elif ev.prev_hash != prev:
                problems.append(ChainProblem(None, LOG_NAME, ev.seq,
                                             f"does not link to event {ev.seq - 1} (its previous-hash differs)"))
            if not hmac.compare_digest(_hash_of(key, ev), ev.hash):
                problems.append(ChainProblem(None, LOG_NAME, ev.seq,
                                             f"content was changed after it was recorded ({ev.action} {ev.subject}: "
                                             f"its keyed hash does not match)"))  # fmt: skip
            prev, expected = ev.hash, ev.seq + 1
        last_seq = rows[-1].seq
        session.expunge_all()
    n, head_hash = head(session)
    if n != expected - 1 or head_hash != prev:
        if n > expected - 1:
            problems.append(ChainProblem(None, LOG_NAME, expected,
                                         f"missing: the log's head counts {n} events, the log ends at event "
                                         f"{expected - 1} (the newest were deleted)"))  # fmt: skip
        else:
            problems.append(ChainProblem(None, LOG_NAME, expected - 1,
                                         f"the log's head (event {n}) does not match its last event {expected - 1}"))
    return problems


@dataclass(frozen=True)
class AuditRow:
    seq: int
    at: datetime
    actor: str
    actor_name: str | None
    action: str
    subject: str
    data: dict[str, Any]


def page(session: Session, page_no: int, per_page: int = 50) -> tuple[list[AuditRow], int]:
    """One page of the log, newest first, and the total count."""
    from engine.store.models import User

    total = int(session.scalar(select(func.count()).select_from(AuditEvent)) or 0)
    rows = session.execute(
        select(AuditEvent, User.full_name).outerjoin(User, User.id == AuditEvent.actor_id)
        .order_by(AuditEvent.seq.desc()).offset((page_no - 1) * per_page).limit(per_page)
    ).all()  # fmt: skip
    return [AuditRow(e.seq, e.at, e.actor, name, e.action, e.subject, e.data) for e, name in rows], total
