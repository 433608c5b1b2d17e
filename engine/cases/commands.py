"""Commands: the only functions that change a case.

Each command checks the policy and the machine, validates the data against the definition,
and writes in ONE transaction the new state, the history event, the new deadline and the
outbox rows, then commits, or writes nothing at all (invariants 1 and 2).
"""

from __future__ import annotations

from datetime import datetime
from typing import Any

from sqlalchemy import select
from sqlalchemy.orm import Session

from engine.audit import log as audit_log
from engine.audit.case_rows import ASSIGNED_KEY
from engine.audit.log import Operator
from engine.cases import policy, records, timers
from engine.cases.clean_text import forbidden_message, has_forbidden
from engine.cases.evidence import SUPERSEDE_TRIGGER, Evidence, Upload, check_quota, check_uploads
from engine.cases.guards import GuardContext, run_guards
from engine.cases.history import GENESIS
from engine.cases.journal import append_event, notify
from engine.cases.machine import machine_for
from engine.cases.outbox import UNIT_UNSTAFFED, tell_admins
from engine.cases.outcome import Outcome
from engine.cases.records import CaseRecord
from engine.cases.references import next_reference
from engine.cases.routing import can_anyone_act, needs_confirmation, resolve_exactly, unit_name
from engine.cases.uow import UnitOfWork
from engine.cases.validation import validate
from engine.errors import InvalidData, NotAvailable, NotFound, NotPermitted, StaleVersion
from engine.org.actors import Actor
from engine.read import search
from engine.store.db import add_row
from engine.store.models import Attachment, Case, OutboxMessage
from engine.time import deadlines, limitation
from engine.time.clock import LOCAL_TZ
from workflows.definition import Definition, TransitionSpec


def _commit(uow: UnitOfWork, outcome: Outcome) -> Outcome:
    """Every case command ends here: the commit also stores the Outcome under the unit of work's retry key."""
    uow.commit(outcome)
    return outcome


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
    confirm_unstaffed: bool = False,
) -> Outcome:
    """A new case under the newest version of `workflow`, filed for the actor's own unit."""
    defn = uow.registry.latest(workflow)
    t = machine_for(defn).fire(None, defn.create_trigger, None, actor)  # NotPermitted unless the machine takes it
    cleaned = validate(defn, t, data, units=_unit_lookup(uow), refs=_reference_exists(uow))
    evidence = check_uploads(uploads or [])
    check_quota(uow.session, actor.unit_id, evidence, uow.runtime.evidence_quota_bytes)
    now = uow.clock.now()
    flag = defn.confidentiality.get("flag_field")
    case = records.new(
        reference=next_reference(uow.session, defn.reference_prefix, now.astimezone(LOCAL_TZ).year),
        workflow_name=defn.name,
        workflow_version=defn.version,
        state=t.dest,
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
    seq = _apply(uow, defn, case, t, actor, cleaned, now, None, evidence, confirm_unstaffed)
    return _commit(uow, Outcome(case.id, case.reference, case.state, case.version, seq))


def fire(
    uow: UnitOfWork,
    case_id: int,
    trigger: str,
    actor: Actor,
    data: dict[str, Any] | None = None,
    expected_version: int | None = None,
    uploads: list[Upload] | None = None,
    confirm_unstaffed: bool = False,
) -> Outcome:
    """Fire `trigger` on a case as `actor`; a stale `expected_version` changes nothing.

    A transition whose relations cannot be resolved is refused (Unresolvable); one that would
    route the case to a unit where nobody active can act is refused (NeedsConfirmation) unless
    `confirm_unstaffed`, and then the administrators are told.
    """
    case, defn = _open_case(uow, case_id, actor, expected_version)
    from_state = case.state
    # The compiled machine decides: NotAvailable when the state has no such transition, NotPermitted
    # when its condition (the policy's roles, unit types and scope) refuses this actor on this case.
    t = machine_for(defn).fire(from_state, trigger, case, actor)
    cleaned = validate(defn, t, data or {}, units=_unit_lookup(uow), refs=_reference_exists(uow))
    evidence = check_uploads(uploads or [])
    check_quota(uow.session, actor.unit_id, evidence, uow.runtime.evidence_quota_bytes)
    now = uow.clock.now()
    if t.guards:
        ctx = GuardContext(defn, case, cleaned, _actor_unit_type(uow, actor), now.astimezone(LOCAL_TZ).date())
        run_guards(t.guards, ctx)
    seq = _apply(uow, defn, case, t, actor, cleaned, now, from_state, evidence, confirm_unstaffed)
    return _commit(uow, Outcome(case.id, case.reference, case.state, case.version, seq))


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
    confirm_unstaffed: bool = False,
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

    previous_unit_id = case.assigned_unit_id
    unstaffed: int | None = None
    if t.assign:
        if "from_field" in t.assign:
            case.assigned_unit_id = cleaned[t.assign["from_field"]]
            case.handling_unit_id = case.assigned_unit_id
        else:
            case.assigned_unit_id = resolve_exactly(defn, t.assign["relation"], case, chart)
        if t.assign.get("handling_unit") == "clear":  # e.g. `return`: the unit that gave it back no longer sees it
            case.handling_unit_id = None
        if case.assigned_unit_id is not None and not can_anyone_act(session, defn, t.dest, case.assigned_unit_id):
            if not confirm_unstaffed:
                raise needs_confirmation(unit_name(session, case.assigned_unit_id))
            unstaffed = case.assigned_unit_id

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
    if t.assign:  # chained with the event, so `audit verify` can check the case row's unit against it
        event_data[ASSIGNED_KEY] = case.assigned_unit_id
    if evidence:
        event_data["evidence"] = [
            {**e.describe(), "received_at": now.isoformat()} for e in evidence
        ]
    if case.id is None:
        # A new case is written here, once, with all its filing set (the units, the indexed columns,
        # the search text, the deadline): its id is needed by the event's hash, which comes next.
        records.insert_new(session, case)
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
        "assigned_unit_id": case.assigned_unit_id,  # the holder at this event, whatever happens later
    }
    moved = previous_unit_id is not None and previous_unit_id != case.assigned_unit_id
    if moved:
        payload["from_unit_id"], payload["to_unit_id"] = previous_unit_id, case.assigned_unit_id
    notify(session, defn, case, t.notify, f"transition.{t.trigger}", seq, payload, now, chart)
    if moved and from_state is not None and actor.unit_id != previous_unit_id:
        _tell_the_unit_that_lost_it(session, defn, case, from_state, previous_unit_id, f"transition.{t.trigger}", seq,
                                    payload, now)  # fmt: skip
    if unstaffed is not None:
        name = unit_name(session, unstaffed)
        tell_admins(
            session, UNIT_UNSTAFFED, now, case_id=case.id, reference=case.reference, path="/admin/users",
            detail_vi=f"Vụ việc {case.reference} đã được chuyển đến {name}, nơi chưa có ai đang hoạt động có thể xử lý; "
                      f"đề nghị phân công người và vai trò.",
            detail_en=f"Case {case.reference} was sent to {name}, where nobody active can act on it; "
                      f"give someone there the role.",
        )  # fmt: skip
    # The case row is written before the timers of the stage left are cancelled and the new stage's
    # written (on PostgreSQL it has been locked since it was read): the order the sweep takes too, so a
    # person and a sweeper never deadlock. A stale version fails the UPDATE, here on SQLite and in
    # the commit's pipeline on PostgreSQL; either way nothing of the command is written.
    records.save(session, case)
    timers.sync_on_transition(
        session, defn, case, from_state=from_state, restarted=restarted, old_expiry=old_expiry, seq=seq, now=now,
        calendar=uow.calendar,
    )
    return seq


def _tell_the_unit_that_lost_it(session: Session, defn: Definition, case: CaseRecord, from_state: str, unit_id: int | None,
                                topic: str, seq: int, payload: dict[str, Any], now: datetime) -> None:  # fmt: skip
    """A case taken from a unit by someone else (a reassignment) is announced to that unit's people who
    were responsible for it in the state it left, so nobody keeps working on a case that is no longer theirs."""
    role = defn.states[from_state].responsible
    if role is None or unit_id is None:
        return
    add_row(session, OutboxMessage, case_id=case.id, event_seq=seq, topic=topic, recipient_unit_id=unit_id,
            recipient_unit_type=None, recipient_role=role, payload=payload, status="pending", attempts=0,
            next_attempt_at=now, created_at=now)  # fmt: skip


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
    elif has_forbidden(reason):
        errors["reason"] = forbidden_message(reason)
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
    # Last, so the audit log's head row is locked after the case row, never before it.
    audit_log.record(session, Operator(actor.user_id, actor.name or "?"), "case.deadline_extended", case.reference,
                     {"event": seq, "working_days": working_days, "deadline": data["deadline"]}, now)  # fmt: skip
    return _commit(uow, Outcome(case.id, case.reference, case.state, case.version, seq))


def supersede_evidence(
    uow: UnitOfWork,
    case_id: int,
    attachment_id: int,
    actor: Actor,
    reason: str,
    expected_version: int | None = None,
) -> Outcome:
    """Mark an attachment superseded (a wrong or replaced file), with a reason; the file is kept.

    Who may is the policy's (`policy.may_supersede_evidence`, from the definition); the mark is an
    event in the case's history, so it is signed, chained and shown on the case page like any change.
    """
    case, defn = _open_case(uow, case_id, actor, expected_version)
    if not policy.may_supersede_evidence(defn, case, actor):
        raise NotPermitted("You may not mark this case's evidence superseded.",
                           "Bạn không có quyền đánh dấu tệp chứng cứ của vụ việc này là đã bị thay thế.")  # fmt: skip
    session = uow.session
    att = session.scalar(select(Attachment).where(Attachment.id == attachment_id, Attachment.case_id == case.id))
    if att is None:
        raise NotFound("No such attachment on this case.", "Vụ việc không có tệp đính kèm này.")
    if att.superseded_seq is not None:
        raise NotAvailable("This file is already marked superseded.", "Tệp này đã được đánh dấu là bị thay thế.")
    reason = (reason or "").strip()
    if not reason or len(reason) > 2000:
        raise InvalidData({"reason": ("Cần nêu lý do (tối đa 2000 ký tự).", "A reason is required (2000 characters at most).")})
    if has_forbidden(reason):
        raise InvalidData({"reason": forbidden_message(reason)})
    now = uow.clock.now()
    data = {"attachment_id": att.id, "filename": att.filename, "sha256": att.sha256, "reason": reason}
    seq = append_event(session, case, SUPERSEDE_TRIGGER, case.state, case.state, actor, now, data)
    records.save(session, case)  # the case row first: a stale version fails before the mark is written
    att.superseded_seq = seq
    return _commit(uow, Outcome(case.id, case.reference, case.state, case.version, seq))
