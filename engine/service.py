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

from engine import deadlines, limitation, policy, records, search, timers
from engine.actors import Actor
from engine.clock import LOCAL_TZ
from engine.errors import InvalidData, NotAvailable, NotFound, NotPermitted, StaleVersion
from engine.evidence import Evidence, Upload, check_uploads
from engine.guards import GuardContext, run_guards
from engine.history import GENESIS
from engine.journal import append_event, notify
from engine.machine import next_state
from engine.models import Attachment, Case
from engine.org import resolve_relation
from engine.records import CaseRecord
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


def _open_case(
    uow: UnitOfWork, case_id: int, actor: Actor, expected_version: int | None
) -> tuple[CaseRecord, Definition]:
    """The case a command acts on, if the actor may see it and nobody changed it since they looked."""
    case = records.load(uow.session, case_id)
    if case is None:
        raise NotFound("Case not found.", "Không tìm thấy vụ việc.")
    defn = uow.registry.get(case.workflow_name, case.workflow_version)
    policy.ensure_visible(defn, case, actor)
    if expected_version is not None and case.version != expected_version:
        raise StaleVersion(expected_version, case.version)
    return case, defn


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
    case = records.create(
        uow.session,
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
    case, defn = _open_case(uow, case_id, actor, expected_version)
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
    case: CaseRecord,
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
    case.search_text = search.search_text(case.reference, case.subject)

    if t.assign:
        if "from_field" in t.assign:
            case.assigned_unit_id = cleaned[t.assign["from_field"]]
            case.handling_unit_id = case.assigned_unit_id
        else:
            case.assigned_unit_id = resolve_relation(defn, t.assign["relation"], case, chart)

    old_expiry = case.limitation_expires_on
    case.limitation_expires_on = limitation.expires_on(defn, case.facts)
    case.state = t.dest
    seq = case.event_count + 1
    case.closed = defn.states[t.dest].terminal
    restarted = t.dest != from_state or t.restart_deadline
    if restarted:
        change = deadlines.on_transition(
            defn, from_state, t.dest, case.deadline_at, case.deadline_info, now, uow.calendar, seq, case.escalation_level or 0
        )
        case.deadline_at, case.deadline_info = change.deadline_at, change.info
        case.escalation_level = change.resumed_escalation_level or 0
        if t.dest != from_state:
            case.state_entered_at = now

    event_data: dict[str, Any] = dict(cleaned)
    if evidence:
        event_data["evidence"] = [
            {**e.describe(), "received_at": now.isoformat()} for e in evidence
        ]
    seq = append_event(session, case, t.trigger, from_state, t.dest, actor, now, event_data)
    for e in evidence:
        session.add(
            Attachment(
                case_id=case.id, event_seq=seq, filename=e.filename, content_type=e.content_type,
                size=e.size, sha256=e.sha256, received_at=now, uploaded_by=actor.user_id, content=e.content,
            )
        )  # fmt: skip

    payload = {
        "reference": case.reference,
        "workflow": defn.name,
        "trigger": t.trigger,
        "from_state": from_state,
        "to_state": t.dest,
        "deadline": case.deadline_at.isoformat() if case.deadline_at else None,
    }
    notify(session, defn, case, t.notify, f"transition.{t.trigger}", seq, payload, now, chart)
    # The case row is written (and on PostgreSQL locked) before the timers of the stage left are
    # cancelled and the new stage's written: the order the sweep takes too, so a person and a
    # sweeper never deadlock. A stale version fails here, before anything else is written.
    records.save(session, case)
    timers.sync_on_transition(
        session, defn, case, from_state=from_state, restarted=restarted, old_expiry=old_expiry, seq=seq, now=now,
        calendar=uow.calendar,
    )
    return seq


def extend_deadline(
    uow: UnitOfWork,
    case_id: int,
    actor: Actor,
    working_days: int,
    reason: str,
    expected_version: int | None = None,
) -> Outcome:
    """Give the current stage N more working days, with a reason; who may is declared in the definition.

    The stage's pending timers are re-planned from the new date and its escalation level starts
    again; the filing unit (and whoever else the definition names) is told the new expected date.
    """
    case, defn = _open_case(uow, case_id, actor, expected_version)
    ext = defn.extension
    if case.closed or case.deadline_at is None or case.deadline_info is None:
        raise NotAvailable("This case has no running deadline to extend.", "Vụ việc không có thời hạn đang chạy để gia hạn.")
    if ext is None or not policy.may_extend(defn, case, actor):
        raise NotPermitted("You may not extend this case's deadline.", "Bạn không có quyền gia hạn vụ việc này.")
    errors: dict[str, tuple[str, str]] = {}
    if isinstance(working_days, bool) or not isinstance(working_days, int) or not 1 <= working_days <= ext.max_working_days:
        errors["working_days"] = (
            f"Số ngày làm việc gia hạn phải từ 1 đến {ext.max_working_days}.",
            f"The extension must be from 1 to {ext.max_working_days} working days.",
        )
    reason = (reason or "").strip()
    if not reason or len(reason) > 4000:
        errors["reason"] = ("Cần nêu lý do gia hạn (tối đa 4000 ký tự).", "A reason is required (4000 characters at most).")
    if errors:
        raise InvalidData(errors)

    session = uow.session
    now = uow.clock.now()
    old_deadline = case.deadline_at
    was_late = now > old_deadline
    case.deadline_at, case.deadline_info = deadlines.extend(
        old_deadline, case.deadline_info, working_days, now, uow.calendar, case.event_count + 1, reason, actor.user_id
    )
    case.escalation_level = 0
    data = {"working_days": working_days, "reason": reason, "previous_deadline": old_deadline.isoformat(),
            "deadline": case.deadline_at.isoformat(), "was_late": was_late}  # fmt: skip
    seq = append_event(session, case, deadlines.EXTEND_TRIGGER, case.state, case.state, actor, now, data)
    payload = {
        "reference": case.reference,
        "workflow": defn.name,
        "state": case.state,
        "previous_deadline": old_deadline.isoformat(),
        "deadline": case.deadline_at.isoformat(),
        "expected_on": case.deadline_at.astimezone(LOCAL_TZ).date().isoformat(),
        "was_late": was_late,
        "reason": reason,
    }
    notify(session, defn, case, ext.notify, "deadline.extended", seq, payload, now, uow.org_chart)
    records.save(session, case)  # the case row first, then its timers: the sweep's lock order
    timers.cancel_pending(session, case.id, now, stage=True)
    timers.schedule_stage(session, case, seq, now, uow.calendar)
    uow.commit()
    return Outcome(case.id, case.reference, case.state, case.version, seq)
