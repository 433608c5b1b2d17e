"""Commands: the only functions that change a case.

Each command checks the policy and the machine, validates the data against the definition,
and writes in ONE transaction the new state, the history event, the new deadline and the
outbox rows, then commits, or writes nothing at all (invariants 1 and 2).
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime
from typing import Any

from sqlalchemy import select

from engine import policy
from engine.actors import Actor
from engine.clock import LOCAL_TZ
from engine.deadlines import compute_deadline, remaining_working_days
from engine.errors import NotFound, StaleVersion
from engine.evidence import Evidence, Upload, check_uploads
from engine.guards import GuardContext, run_guards
from engine.history import GENESIS, event_hash
from engine.machine import next_state
from engine.models import Attachment, Case, CaseEvent, OutboxMessage
from engine.org import resolve_relation
from engine.references import next_reference
from engine.uow import UnitOfWork
from engine.validation import validate
from workflows.definition import Definition, TransitionSpec


@dataclass(frozen=True)
class Outcome:
    """What a command returns to its caller: enough to redirect and to show the result."""

    case_id: int
    reference: str
    state: str
    version: int
    event_seq: int


def _unit_lookup(uow: UnitOfWork):  # noqa: ANN202 - a closure for validation
    return lambda value: uow.org_chart().lookup(value)


def _reference_exists(uow: UnitOfWork):  # noqa: ANN202
    def exists(reference: str) -> bool:
        return uow.session.scalar(select(Case.id).where(Case.reference == reference)) is not None

    return exists


def _actor_unit_type(uow: UnitOfWork, actor: Actor) -> str | None:
    return uow.org_chart().type.get(actor.unit_id) if actor.unit_id is not None else None


def file_report(
    uow: UnitOfWork,
    actor: Actor,
    workflow: str,
    data: dict[str, Any],
    uploads: list[Upload] | None = None,
) -> Outcome:
    """A new case under the newest version of `workflow`, filed for the actor's own unit."""
    defn = uow.registry.latest(workflow)
    t = defn.create_transition
    policy.ensure_may_fire(t, None, actor)
    cleaned = validate(defn, t, data, units=_unit_lookup(uow), refs=_reference_exists(uow))
    evidence = check_uploads(uploads or [])
    now = uow.clock.now()
    flag = defn.confidentiality.get("flag_field")
    case = Case(
        reference=next_reference(uow.session, defn.reference_prefix, now.astimezone(LOCAL_TZ).year),
        workflow_name=defn.name,
        workflow_version=defn.version,
        state=next_state(defn, None, t.trigger),
        filing_unit_id=actor.unit_id,
        reporter_id=actor.user_id,
        reporter_confidential=bool(cleaned.get(flag)) if flag else False,
        facts={},
        created_at=now,
        updated_at=now,
        state_entered_at=now,
        event_count=0,
        last_event_hash=GENESIS,
    )
    uow.session.add(case)
    uow.flush()
    seq = _apply(uow, defn, case, t, actor, cleaned, now, None, evidence)
    uow.commit()
    return Outcome(case.id, case.reference, case.state, case.version, seq)


def fire(
    uow: UnitOfWork,
    case_id: int,
    trigger: str,
    actor: Actor,
    data: dict[str, Any] | None = None,
    expected_version: int | None = None,
    uploads: list[Upload] | None = None,
) -> Outcome:
    """Fire `trigger` on a case as `actor`; a stale `expected_version` changes nothing."""
    case = uow.session.get(Case, case_id)
    if case is None:
        raise NotFound("Case not found.", "Không tìm thấy vụ việc.")
    defn = uow.registry.get(case.workflow_name, case.workflow_version)
    policy.ensure_visible(defn, case, actor)
    if expected_version is not None and case.version != expected_version:
        raise StaleVersion(expected_version, case.version)
    from_state = case.state
    dest = next_state(defn, from_state, trigger)  # NotAvailable when the machine says no
    t = defn.transition(trigger, from_state)
    assert t is not None and t.dest == dest
    policy.ensure_may_fire(t, case, actor)
    cleaned = validate(defn, t, data or {}, units=_unit_lookup(uow), refs=_reference_exists(uow))
    evidence = check_uploads(uploads or [])
    now = uow.clock.now()
    if t.guards:
        ctx = GuardContext(defn, case, cleaned, _actor_unit_type(uow, actor), now.astimezone(LOCAL_TZ).date())
        run_guards(t.guards, ctx)
    seq = _apply(uow, defn, case, t, actor, cleaned, now, from_state, evidence)
    uow.commit()
    return Outcome(case.id, case.reference, case.state, case.version, seq)


def _apply(
    uow: UnitOfWork,
    defn: Definition,
    case: Case,
    t: TransitionSpec,
    actor: Actor,
    cleaned: dict[str, Any],
    now: datetime,
    from_state: str | None,
    evidence: list[Evidence],
) -> int:
    """The writes every transition shares; returns the new event's number. The caller commits
    (no flush here: the commit's single flush is the cheapest, and a conflict surfaces there)."""
    session = uow.session
    chart = uow.org_chart

    for column, names in defn.index.items():
        for name in names:
            if cleaned.get(name) not in (None, ""):
                setattr(case, column, str(cleaned[name])[:300])
    case.facts = {**(case.facts or {}), **{k: v for k, v in cleaned.items()}}

    if t.assign:
        if "from_field" in t.assign:
            case.assigned_unit_id = cleaned[t.assign["from_field"]]
            case.handling_unit_id = case.assigned_unit_id
        else:
            case.assigned_unit_id = resolve_relation(defn, t.assign["relation"], case, chart)

    old_deadline, old_info = case.deadline_at, case.deadline_info
    case.state = t.dest
    seq = case.event_count + 1
    dest_spec = defn.states[t.dest]
    case.closed = dest_spec.terminal
    if t.dest != from_state or t.restart_deadline:
        resume = None
        paused = None
        if from_state is not None:
            from_spec = defn.states[from_state]
            if dest_spec.pauses_clock_of == from_state and old_deadline is not None:
                left = max(remaining_working_days(old_deadline, now, uow.calendar), 0)
                paused = {"state": from_state, "remaining_working_days": left, "since": now.isoformat()}
            elif from_spec.pauses_clock_of == t.dest and old_info and old_info.get("paused"):
                resume = old_info["paused"]["remaining_working_days"]
        case.deadline_at, case.deadline_info = compute_deadline(
            defn, dest_spec, now, uow.calendar, event_seq=seq, resume_days=resume
        )
        if paused and case.deadline_info is not None:
            case.deadline_info = {**case.deadline_info, "paused": paused}
        if t.dest != from_state:
            case.state_entered_at = now

    event_data: dict[str, Any] = dict(cleaned)
    if evidence:
        event_data["evidence"] = [
            {**e.describe(), "received_at": now.isoformat()} for e in evidence
        ]
    prev = case.last_event_hash or GENESIS
    digest = event_hash(prev, case.id, seq, t.trigger, from_state, t.dest, actor.user_id, actor.unit_id, now, event_data)
    session.add(
        CaseEvent(
            case_id=case.id, seq=seq, trigger=t.trigger, from_state=from_state, to_state=t.dest,
            actor_id=actor.user_id, actor_unit_id=actor.unit_id, at=now, data=event_data,
            prev_hash=prev, hash=digest,
        )
    )  # fmt: skip
    for e in evidence:
        session.add(
            Attachment(
                case_id=case.id, event_seq=seq, filename=e.filename, content_type=e.content_type,
                size=e.size, sha256=e.sha256, received_at=now, uploaded_by=actor.user_id, content=e.content,
            )
        )  # fmt: skip
    case.event_count = seq
    case.last_event_hash = digest
    case.updated_at = now

    payload = {
        "reference": case.reference,
        "workflow": defn.name,
        "trigger": t.trigger,
        "from_state": from_state,
        "to_state": t.dest,
        "deadline": case.deadline_at.isoformat() if case.deadline_at else None,
    }
    for r in t.notify:
        unit_id = resolve_relation(defn, r.relation, case, chart) if r.relation else None
        session.add(
            OutboxMessage(
                case_id=case.id, event_seq=seq, topic=f"transition.{t.trigger}",
                recipient_unit_id=unit_id, recipient_unit_type=r.unit_type, recipient_role=r.role,
                payload=payload, status="pending", attempts=0, next_attempt_at=now, created_at=now,
            )
        )  # fmt: skip
    return seq
