"""The append-only, hash-chained history of a case, and its verification.

Each event hashes its own content together with the previous event's hash; the case row
keeps the last hash and the count, so deleting the newest event is detectable too.
"""

from __future__ import annotations

import hashlib
import json
from dataclasses import dataclass
from datetime import UTC, datetime
from typing import Any

from sqlalchemy import select
from sqlalchemy.orm import Session

from engine.models import Case, CaseEvent

GENESIS = "0" * 64


def canonical_time(at: datetime) -> str:
    return at.astimezone(UTC).strftime("%Y-%m-%dT%H:%M:%S.%fZ")


def event_hash(
    prev_hash: str,
    case_id: int,
    seq: int,
    trigger: str,
    from_state: str | None,
    to_state: str,
    actor_id: int | None,
    actor_unit_id: int | None,
    at: datetime,
    data: dict[str, Any],
) -> str:
    body = json.dumps(
        [prev_hash, case_id, seq, trigger, from_state, to_state, actor_id, actor_unit_id, canonical_time(at), data],
        sort_keys=True,
        ensure_ascii=False,
        separators=(",", ":"),
    )
    return hashlib.sha256(body.encode("utf-8")).hexdigest()


def hash_of(ev: CaseEvent) -> str:
    return event_hash(
        ev.prev_hash, ev.case_id, ev.seq, ev.trigger, ev.from_state, ev.to_state,
        ev.actor_id, ev.actor_unit_id, ev.at, ev.data,
    )  # fmt: skip


@dataclass(frozen=True)
class ChainProblem:
    case_id: int
    reference: str
    seq: int | None
    problem: str


def verify_case(session: Session, case: Case) -> ChainProblem | None:
    """The first bad event of one case, or None when its chain is whole."""
    prev = GENESIS
    expected_seq = 1
    events = session.scalars(select(CaseEvent).where(CaseEvent.case_id == case.id).order_by(CaseEvent.seq))
    for ev in events:
        if ev.seq != expected_seq:
            return ChainProblem(case.id, case.reference, expected_seq, f"event {expected_seq} is missing")
        if ev.prev_hash != prev:
            return ChainProblem(case.id, case.reference, ev.seq, "does not link to the previous event")
        if hash_of(ev) != ev.hash:
            return ChainProblem(case.id, case.reference, ev.seq, "its content was changed after it was written")
        prev = ev.hash
        expected_seq += 1
    if expected_seq - 1 != case.event_count or prev != (case.last_event_hash or GENESIS):
        return ChainProblem(case.id, case.reference, expected_seq, "events after this one were removed")
    return None


def verify_all(session: Session, batch: int = 500) -> tuple[int, list[ChainProblem]]:
    """Walk every case; returns how many were checked and the problems found."""
    problems: list[ChainProblem] = []
    checked = 0
    last_id = 0
    while True:
        cases = session.scalars(select(Case).where(Case.id > last_id).order_by(Case.id).limit(batch)).all()
        if not cases:
            break
        for case in cases:
            checked += 1
            problem = verify_case(session, case)
            if problem:
                problems.append(problem)
        last_id = cases[-1].id
        session.expunge_all()
    return checked, problems
