"""The append-only, keyed, hash-chained history of a case, and its verification.

Each event's hash is an HMAC-SHA-256, keyed by the audit key, of its own content and the
previous event's hash; the case row keeps the last hash and the count, so deleting the newest
event is detectable too. The key lives outside the database (it is derived from the app's
secret key, or given as PRESSCASE_AUDIT_KEY; see `engine.audit.key`): someone who can write the
database but does not hold the key cannot compute a hash that verifies, so a rewritten chain or
a forged event is caught. Truncation with a fixed-up case row, or a deleted case, leaves a
valid-looking chain behind: an anchor kept elsewhere catches those (`engine.audit.anchor`).

Databases written before the chain was keyed hold plain SHA-256 hashes; `rekey_legacy`
re-signs every such chain that still verifies (run by `presscase db upgrade` and
`presscase audit rekey`), and `verify_case` names any plain hash left as a problem, so a
writer cannot downgrade a chain to the unkeyed form.
"""

from __future__ import annotations

import hashlib
import hmac
import json
from collections.abc import Iterator
from dataclasses import dataclass
from datetime import UTC, datetime
from typing import Any

from sqlalchemy import select, update
from sqlalchemy.orm import Session

from engine.store.models import Case, CaseEvent

GENESIS = "0" * 64
# Where a Runtime's sessions carry the key (`Session.info`), so every writer of a chain, from a
# command to the timer sweep, hashes with it without a key parameter threaded through each call.
AUDIT_KEY_INFO = "presscase_audit_key"
# What a session made outside a Runtime hashes with: chains written so verify only under the
# same (absent) configuration, and `presscase audit verify` warns that no key was configured.
UNCONFIGURED_KEY = b"presscase: no audit key configured"


def canonical_time(at: datetime) -> str:
    return at.astimezone(UTC).strftime("%Y-%m-%dT%H:%M:%S.%fZ")


def canonical_bytes(items: list[Any]) -> bytes:
    return json.dumps(items, sort_keys=True, ensure_ascii=False, separators=(",", ":")).encode("utf-8")


def keyed_hash(key: bytes, body: bytes) -> str:
    return hmac.new(key, body, hashlib.sha256).hexdigest()


def session_key(session: Session) -> bytes:
    key = session.info.get(AUDIT_KEY_INFO)
    return key if isinstance(key, bytes) and key else UNCONFIGURED_KEY


def _event_body(
    prev_hash: str, case_id: int, seq: int, trigger: str, from_state: str | None, to_state: str,
    actor_id: int | None, actor_unit_id: int | None, at: datetime, data: dict[str, Any],
) -> bytes:  # fmt: skip
    return canonical_bytes([prev_hash, case_id, seq, trigger, from_state, to_state, actor_id, actor_unit_id,
                            canonical_time(at), data])  # fmt: skip


def event_hash(
    key: bytes,
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
    """The event's HMAC: the same bytes the unkeyed chain hashed, so writing an event costs the same."""
    body = _event_body(prev_hash, case_id, seq, trigger, from_state, to_state, actor_id, actor_unit_id, at, data)
    return keyed_hash(key, body)


def _fields(ev: CaseEvent) -> tuple[Any, ...]:
    return (ev.prev_hash, ev.case_id, ev.seq, ev.trigger, ev.from_state, ev.to_state, ev.actor_id,
            ev.actor_unit_id, ev.at, ev.data)  # fmt: skip


def hash_of(key: bytes, ev: CaseEvent) -> str:
    return event_hash(key, *_fields(ev))


def legacy_hash_of(ev: CaseEvent) -> str:
    """The plain SHA-256 the chain used before it was keyed."""
    return hashlib.sha256(_event_body(*_fields(ev))).hexdigest()


@dataclass(frozen=True)
class ChainProblem:
    """One thing wrong, said once: `reference` and `seq` say where, `problem` says what differs."""

    case_id: int | None
    reference: str
    seq: int | None
    problem: str

    def line(self) -> str:
        where = f"{self.reference} event {self.seq}" if self.seq is not None else self.reference
        return f"{where}: {self.problem}"


def check_chain(key: bytes, case: Case, events: list[CaseEvent]) -> ChainProblem | None:
    """The first break in one case's chain (events in seq order), or None when it is whole."""
    prev = GENESIS
    expected_seq = 1
    for ev in events:
        if ev.seq != expected_seq:
            gap = f"events {expected_seq}-{ev.seq - 1} were" if ev.seq - expected_seq > 1 else "it was"
            return ChainProblem(case.id, case.reference, expected_seq,
                                f"missing: the history goes from event {expected_seq - 1} to event {ev.seq} "
                                f"({gap} deleted)")  # fmt: skip
        if ev.prev_hash != prev:
            return ChainProblem(case.id, case.reference, ev.seq,
                                f"does not link to event {ev.seq - 1} (its previous-hash differs)")
        if not hmac.compare_digest(hash_of(key, ev), ev.hash):
            if hmac.compare_digest(legacy_hash_of(ev), ev.hash):
                problem = "carries an unkeyed SHA-256 hash (run 'presscase audit rekey' if it predates keyed chains)"
            else:
                problem = "content was changed after it was recorded (its keyed hash does not match)"
            return ChainProblem(case.id, case.reference, ev.seq, problem)
        prev = ev.hash
        expected_seq += 1
    last = expected_seq - 1
    if last != case.event_count or prev != (case.last_event_hash or GENESIS):
        if last < case.event_count:
            what = f"events {last + 1}-{case.event_count} were deleted" if case.event_count - last > 1 \
                else f"event {case.event_count} was deleted"
            return ChainProblem(case.id, case.reference, last + 1,
                                f"missing: the case row counts {case.event_count} events, the history ends at "
                                f"event {last} ({what})")  # fmt: skip
        return ChainProblem(case.id, case.reference, last,
                            f"the case row's chain head (event {case.event_count}) does not match the history's "
                            f"last event {last}")  # fmt: skip
    return None


def events_of(session: Session, case_id: int) -> list[CaseEvent]:
    return list(session.scalars(select(CaseEvent).where(CaseEvent.case_id == case_id).order_by(CaseEvent.seq)))


def events_by_case(session: Session, case_ids: list[int]) -> dict[int, list[CaseEvent]]:
    """The histories of many cases in one query (a walk over every case reads them a batch at a time)."""
    out: dict[int, list[CaseEvent]] = {cid: [] for cid in case_ids}
    for ev in session.scalars(select(CaseEvent).where(CaseEvent.case_id.in_(case_ids))
                              .order_by(CaseEvent.case_id, CaseEvent.seq)):  # fmt: skip
        out[ev.case_id].append(ev)
    return out


def verify_case(session: Session, case: Case) -> ChainProblem | None:
    """The first bad event of one case, or None when its chain is whole."""
    return check_chain(session_key(session), case, events_of(session, case.id))


def case_batches(session: Session, batch: int = 500) -> Iterator[list[Case]]:
    """Every case in id order, `batch` at a time; each batch's changes are flushed and its objects
    let go before the next is read, so walking a million cases holds one batch in memory."""
    last_id = 0
    while True:
        cases = list(session.scalars(select(Case).where(Case.id > last_id).order_by(Case.id).limit(batch)))
        if not cases:
            return
        yield cases
        last_id = cases[-1].id
        session.flush()
        session.expunge_all()


def verify_all(session: Session, batch: int = 500) -> tuple[int, list[ChainProblem]]:
    """Walk every case's chain; returns how many were checked and the problems found."""
    problems: list[ChainProblem] = []
    checked = 0
    for cases in case_batches(session, batch):
        for case in cases:
            checked += 1
            problem = verify_case(session, case)
            if problem:
                problems.append(problem)
    return checked, problems


def rekey_legacy(session: Session, batch: int = 200) -> tuple[int, list[str]]:
    """Re-sign every chain still hashed with plain SHA-256 under the keyed hash; the caller commits.

    A chain is re-signed only when it verifies in full as the unkeyed chain it claims to be, so
    re-keying never launders an edit: a broken legacy chain is left as it is (its references are
    returned) and `audit verify` keeps naming it. Returns how many chains were re-signed.
    """
    key = session_key(session)
    done = 0
    refused: list[str] = []
    for cases in case_batches(session, batch):
        for case in cases:
            events = events_of(session, case.id)
            if not events or check_chain(key, case, events) is None:
                continue
            if not all(hmac.compare_digest(legacy_hash_of(ev), ev.hash) for ev in events) or \
                    _legacy_break(case, events):
                refused.append(case.reference)
                continue
            prev = GENESIS
            for ev in events:
                ev.prev_hash = prev
                ev.hash = prev = hash_of(key, ev)
            session.execute(update(Case).where(Case.id == case.id).values(last_event_hash=prev)
                            .execution_options(synchronize_session=False))  # fmt: skip
            done += 1
    return done, refused


def _legacy_break(case: Case, events: list[CaseEvent]) -> bool:
    """Whether an unkeyed chain is broken (gap, bad link, or a case row that does not match its head)."""
    prev = GENESIS
    for i, ev in enumerate(events, start=1):
        if ev.seq != i or ev.prev_hash != prev:
            return True
        prev = ev.hash
    return len(events) != case.event_count or prev != case.last_event_hash
