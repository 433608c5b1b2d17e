"""Moving open cases to a newer definition version: `presscase workflow migrate NAME --to V`.

A case keeps the version it was created under (invariant 6) until an administrator moves it.
The new version's file says where each old state goes (`[migration.from_N]`, workflows/migration.py);
`plan` reads every open case of the workflow under an older version and either refuses the
whole run (a case in a state with no mapping, or mapped onto a terminal state: nothing is
written) or lists what each case would become, deadline included. `run` then moves each case in
ITS OWN transaction, guarded by the case's version: a migration over thousands of cases in one
transaction would hold every case (on SQLite the whole database) locked against the people
working on them for its whole length, and one conflict would undo it all. A case someone changed
since the plan is skipped and reported; running the command again moves it. Each move writes a
history event (`migrate_version`, chained like any other, with both versions and states and both
deadlines), the case row, and its timers re-planned; the run is recorded in the administration log.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass, field
from datetime import datetime
from typing import Any

from sqlalchemy import func, select, update
from sqlalchemy.orm import Session

from engine.audit import log as audit_log
from engine.audit.log import Operator
from engine.cases import records, timers
from engine.cases.journal import append_event
from engine.cases.records import CASES
from engine.cases.uow import Runtime
from engine.errors import DefinitionError, NotAvailable, NotFound, StaleVersion
from engine.org.actors import Actor
from engine.store.models import Case, CaseEvent, CaseRow
from engine.time import deadlines, limitation
from engine.time.calendar import WorkingCalendar
from engine.time.deadlines import MIGRATE_TRIGGER
from workflows.definition import Definition
from workflows.migration import parse_migrations, state_map


@dataclass(frozen=True)
class Move:
    """One case as the plan saw it, and what it becomes."""

    case_id: int
    reference: str
    row_version: int
    from_version: int
    from_state: str
    to_state: str
    old_deadline: datetime | None
    new_deadline: datetime | None


@dataclass(frozen=True)
class Refusal:
    reference: str
    from_version: int
    state: str
    why: str


@dataclass
class Plan:
    name: str
    to_version: int
    moves: list[Move] = field(default_factory=list)
    refusals: list[Refusal] = field(default_factory=list)


@dataclass
class RunResult:
    moved: list[Move] = field(default_factory=list)
    skipped: list[tuple[Move, str]] = field(default_factory=list)


def mapping(old: Definition, target: Definition) -> dict[str, str]:
    """Each state of `old` that has a place in `target`: same name, unless `[migration.from_N]` says otherwise."""
    declared = parse_migrations(target.raw, target.version, set(target.states), target.path)
    unknown = sorted(set(declared.get(old.version, {})) - set(old.states))
    if unknown:
        raise DefinitionError(target.path, f"migration.from_{old.version}.states",
                              f"names states version {old.version} does not have: {', '.join(unknown)}")  # fmt: skip
    return state_map(declared, old.version, set(old.states), set(target.states))


def _entered_seq(session: Session, case_id: int) -> int:
    """The event that put the case into its current state (a migration renames a state, it enters none)."""
    seq = session.scalar(select(func.max(CaseEvent.seq)).where(
        CaseEvent.case_id == case_id, CaseEvent.trigger != MIGRATE_TRIGGER,
        (CaseEvent.from_state.is_(None)) | (CaseEvent.from_state != CaseEvent.to_state)))  # fmt: skip
    return int(seq or 0)


def _paused_to(info: dict[str, Any] | None, states: dict[str, str]) -> str | None:
    paused = (info or {}).get("paused")
    if not paused:
        return None
    return states.get(paused.get("state", ""), paused.get("state"))


def _new_deadline(
    session: Session, old: Definition, target: Definition, case: CaseRow, to_state: str, states: dict[str, str],
    now: datetime, calendar: WorkingCalendar,
) -> tuple[deadlines.DeadlineChange, str | None]:  # fmt: skip
    paused_to = _paused_to(case.deadline_info, states)
    change = deadlines.on_migration(old, target, case.state, to_state, case.deadline_at, case.deadline_info,
                                    case.state_entered_at, _entered_seq(session, case.id), now, calendar,
                                    case.event_count + 1, paused_to)  # fmt: skip
    return change, paused_to


def plan(rt: Runtime, name: str, to_version: int) -> Plan:
    """What migrating every open case of `name` to `to_version` would do; writes nothing.

    Raises NotFound when the version is not loaded, DefinitionError when its mapping names states
    the old version lacks; a case that cannot move is a refusal in the plan (the CLI then stops).
    """
    rt.refresh_definitions(force=True)
    target = rt.registry.get(name, to_version)
    out = Plan(name, to_version)
    now = rt.clock.now()
    calendar = rt.calendar
    maps: dict[int, dict[str, str]] = {}
    with rt.read_session() as s:
        cases = s.scalars(select(Case).where(Case.workflow_name == name, Case.closed.is_(False),
                                             Case.workflow_version < to_version).order_by(Case.id)).all()  # fmt: skip
        for case in cases:
            old = rt.definition(s, name, case.workflow_version)
            if old is None:
                out.refusals.append(Refusal(case.reference, case.workflow_version, case.state,
                                            f"version {case.workflow_version} is not recorded in the database"))
                continue
            if old.version not in maps:
                maps[old.version] = mapping(old, target)
            to_state = maps[old.version].get(case.state)
            if to_state is None:
                out.refusals.append(Refusal(case.reference, old.version, case.state,
                                            f"state '{case.state}' has no mapping in version {to_version} "
                                            f"(add it to [migration.from_{old.version}].states)"))  # fmt: skip
                continue
            if target.states[to_state].terminal:
                out.refusals.append(Refusal(case.reference, old.version, case.state,
                                            f"maps the open case onto the terminal state '{to_state}'"))
                continue
            change, _ = _new_deadline(s, old, target, case, to_state, maps[old.version], now, calendar)
            out.moves.append(Move(case.id, case.reference, case.version, old.version, case.state, to_state,
                                  case.deadline_at, change.deadline_at))  # fmt: skip
    return out


def migrate_case(rt: Runtime, move: Move, target: Definition, by: Operator) -> Move:
    """Move one case in its own transaction; StaleVersion when it changed since the plan (nothing written)."""
    with rt.uow() as uow:
        s = uow.session
        case = records.load(s, move.case_id)
        if case is None:
            raise NotFound("Case not found.", "Không tìm thấy vụ việc.")
        if case.version != move.row_version or case.workflow_version != move.from_version or case.closed:
            raise StaleVersion(move.row_version, case.version)
        old = rt.registry.get(case.workflow_name, case.workflow_version)
        states = mapping(old, target)
        to_state = states.get(case.state)
        if to_state is None or target.states[to_state].terminal:
            raise NotAvailable(f"State '{case.state}' has no place in version {target.version}.")
        now = uow.clock.now()
        change, paused_to = _new_deadline(s, old, target, case, to_state, states, now, uow.calendar)
        from_state, previous = case.state, case.deadline_at
        data: dict[str, Any] = {
            "from_version": old.version, "to_version": target.version, "from_state": from_state, "to_state": to_state,
            "previous_deadline": previous.isoformat() if previous else None,
            "deadline": change.deadline_at.isoformat() if change.deadline_at else None,
            "by": by.label,
        }  # fmt: skip
        if paused_to is not None:
            data["paused_state_to"] = paused_to
        case.state = to_state
        case.deadline_at, case.deadline_info = change.deadline_at, change.info
        case.limitation_expires_on = limitation.expires_on(target, case.facts)
        seq = append_event(s, case, MIGRATE_TRIGGER, from_state, to_state, Actor.system(), now, data)
        records.save(s, case)  # guarded by the version read: a concurrent change fails here, nothing written
        s.execute(update(CASES).where(CASES.c.id == case.id).values(workflow_version=target.version))
        case.workflow_version = target.version
        timers.replan_after_migration(s, target, case, from_state, seq, now, uow.calendar)
        uow.commit()
    return Move(move.case_id, move.reference, case.version, old.version, from_state, to_state, previous,
                change.deadline_at)  # fmt: skip


def run(rt: Runtime, the_plan: Plan, by: Operator, progress: Callable[[Move, str | None], None] | None = None) -> RunResult:
    """Move every case of a plan without refusals, one transaction each; record the run in the audit log."""
    if the_plan.refusals:
        raise NotAvailable("The plan has cases that cannot be migrated.")
    target = rt.registry.get(the_plan.name, the_plan.to_version)
    result = RunResult()
    for move in the_plan.moves:
        try:
            done = migrate_case(rt, move, target, by)
        except (StaleVersion, NotAvailable, NotFound) as err:
            why = "changed since the plan was made" if isinstance(err, StaleVersion) else err.message_en
            result.skipped.append((move, why))
            if progress:
                progress(move, why)
            continue
        result.moved.append(done)
        if progress:
            progress(done, None)
    if result.moved or result.skipped:
        with rt.uow() as uow:
            audit_log.record(uow.session, by, "workflow.migrate", f"{the_plan.name} v{the_plan.to_version}", {
                "to_version": the_plan.to_version,
                "moved": len(result.moved),
                "from_versions": sorted({m.from_version for m in result.moved}),
                "skipped": [m.reference for m, _ in result.skipped],
            }, uow.clock.now())  # fmt: skip
            uow.commit()
    return result
