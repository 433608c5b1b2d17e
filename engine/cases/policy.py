"""Who may do what to which case: decided here, from the definition, and nowhere else.

The web layer asks these functions to decide which buttons to show; the service layer asks
them again before it writes, so a forged request changes nothing (invariant 7).
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

from sqlalchemy import ColumnElement, and_, false, or_, true

from engine.cases import machine
from engine.errors import NotFound
from engine.org.actors import Actor
from engine.store.models import Case, CaseRow
from workflows.definition import Definition, TransitionSpec


def in_scope(scope: str, case: CaseRow, actor: Actor) -> bool:
    if scope == "any":
        return True
    if scope == "own_report":
        return actor.user_id is not None and case.reporter_id == actor.user_id
    if actor.unit_id is None:
        return False
    if scope == "own_unit":
        return case.filing_unit_id == actor.unit_id
    if scope == "assigned_unit":
        return case.assigned_unit_id == actor.unit_id
    if scope == "competent_unit":
        return case.handling_unit_id == actor.unit_id
    if scope == "handling_unit":
        return actor.unit_id in (case.assigned_unit_id, case.handling_unit_id)
    return False


def scope_clause(scope: str, actor: Actor) -> ColumnElement[bool]:
    """The same rule as `in_scope`, as SQL, so worklists filter and paginate in the database."""
    if scope == "any":
        return true()
    if scope == "own_report":
        return Case.reporter_id == actor.user_id if actor.user_id is not None else false()
    if actor.unit_id is None:
        return false()
    if scope == "own_unit":
        return Case.filing_unit_id == actor.unit_id
    if scope == "assigned_unit":
        return Case.assigned_unit_id == actor.unit_id
    if scope == "competent_unit":
        return Case.handling_unit_id == actor.unit_id
    if scope == "handling_unit":
        return or_(Case.assigned_unit_id == actor.unit_id, Case.handling_unit_id == actor.unit_id)
    return false()


def _rules(defn: Definition, actor: Actor) -> list[dict[str, Any]]:
    return [rule for role in sorted(actor.roles & defn.visibility.keys()) for rule in defn.visibility[role]]


def can_see(defn: Definition, case: CaseRow, actor: Actor) -> bool:
    if actor.is_system:
        return True
    for rule in _rules(defn, actor):
        states = rule.get("states")
        if (not states or case.state in states) and in_scope(rule["scope"], case, actor):
            return True
    return False


def ensure_visible(defn: Definition, case: CaseRow, actor: Actor) -> None:
    """A case the actor may not see is reported as not found, so its existence does not leak."""
    if not can_see(defn, case, actor):
        raise NotFound("Case not found.", "Không tìm thấy vụ việc.")


def acting_roles(t: TransitionSpec, actor: Actor) -> frozenset[str]:
    """The actor's roles in which it may fire `t` on some case (its roles, its unit's type); empty: none.

    The part of the rule that does not depend on the case: `may_fire` adds the scope for one case,
    `actionable_branches` adds it as SQL for a worklist."""
    if actor.is_system:
        return frozenset()  # the system only fires timers, never a person's transition
    roles = actor.roles.intersection(t.roles)
    if not roles or (t.unit_types and actor.unit_type not in t.unit_types):
        return frozenset()
    return frozenset(roles)


def may_fire(t: TransitionSpec, case: CaseRow | None, actor: Actor) -> bool:
    """The condition the compiled machine (engine.cases.machine) carries on each transition."""
    if not acting_roles(t, actor):
        return False
    if case is None:  # creating: own_unit means filing for one's own unit
        return actor.unit_id is not None
    return in_scope(t.scope, case, actor)


def allowed_transitions(defn: Definition, case: CaseRow, actor: Actor) -> list[TransitionSpec]:
    """What this actor may fire on this case now, the buttons to show: asked of the compiled machine,
    the same conditions firing checks."""
    if case.workflow_name != defn.name:
        return []
    return machine.machine_for(defn).permitted(case.state, case, actor)


def may_extend(defn: Definition, case: CaseRow, actor: Actor) -> bool:
    """Whether the actor may give this case's running stage more time (the definition's [extension])."""
    ext = defn.extension
    if ext is None or actor.is_system or not (actor.roles & set(ext.roles)) or not in_scope(ext.scope, case, actor):
        return False
    return not case.closed and case.deadline_at is not None and case.deadline_info is not None


def may_supersede_evidence(defn: Definition, case: CaseRow, actor: Actor) -> bool:
    """Whether the actor may mark this case's evidence superseded: the intake roles, i.e. those who may fire
    a transition out of the state a report is filed into (the assessor, for press violations), in that
    transition's scope. Read from the definition, so a new workflow needs no code."""
    if actor.is_system or case.workflow_name != defn.name:
        return False
    intake = defn.create_transition.dest
    return any(actor.roles & set(t.roles) and in_scope(t.scope, case, actor)
               for t in machine.machine_for(defn).transitions_from(intake))  # fmt: skip


def visible_clause(definitions: list[Definition], actor: Actor) -> ColumnElement[bool]:
    parts = visible_parts(definitions, actor)
    return or_(*parts) if parts else false()


def visible_parts(definitions: list[Definition], actor: Actor) -> list[ColumnElement[bool]]:
    """What the actor may see, one clause per definition version (disjoint: each names its version).

    A list read newest first goes part by part, each down its own index, and merges the pages: one
    query with the OR of them all collects every matching row and sorts it (1.4 s for a reporter's
    "my unit's reports" at a million cases on SQLite).
    """
    parts = []
    for defn in definitions:
        rules = []
        for rule in _rules(defn, actor):
            cond = [scope_clause(rule["scope"], actor)]
            if rule.get("states"):
                cond.append(Case.state.in_(rule["states"]))
            rules.append(and_(*cond))
        if rules:
            parts.append(and_(Case.workflow_name == defn.name, Case.workflow_version == defn.version, or_(*rules)))
    return parts


# scope -> the scopes it implies: a case in the first is always in each of these.
_IMPLIES = {
    "any": {"any"},
    "own_report": {"own_report", "any"},
    "own_unit": {"own_unit", "any"},
    "assigned_unit": {"assigned_unit", "handling_unit", "any"},
    "competent_unit": {"competent_unit", "handling_unit", "any"},
    "handling_unit": {"handling_unit", "any"},
}


@dataclass(frozen=True)
class Branch:
    """The cases of one workflow version in one state on which an actor may act: in one of `scopes`,
    and in none of `excluded` (where another transition from the state makes the case their own work).

    A worklist is the union of its branches, which never overlap (each is one state of one version),
    so each can be read in deadline order from an index of its own and the pages merged.
    """

    workflow: str
    version: int
    state: str
    scopes: tuple[str, ...]
    excluded: tuple[str, ...] = ()

    def scope_clause(self, actor: Actor) -> ColumnElement[bool]:
        cond: ColumnElement[bool] = true() if "any" in self.scopes else or_(*(scope_clause(sc, actor) for sc in self.scopes))
        if self.excluded:
            cond = and_(cond, ~or_(*(scope_clause(sc, actor) for sc in self.excluded)))
        return cond

    def clause(self, actor: Actor) -> ColumnElement[bool]:
        return and_(Case.workflow_name == self.workflow, Case.workflow_version == self.version, Case.state == self.state,
                    self.scope_clause(actor))  # fmt: skip

    @property
    def held_by_own_unit(self) -> bool:
        """Whether every case in the branch is held by the actor's unit (a filter on another holding unit then finds nothing)."""
        return self.scopes == ("assigned_unit",)


def visible_in_state(defn: Definition, state: str, actor: Actor, implied_by: tuple[str, ...] = ()) -> ColumnElement[bool]:
    """`visible_clause` for the cases of one definition version in one state; true() when the rules make
    every case in `implied_by`'s scopes visible (an assigned unit's handler sees what the unit holds), so
    the worklist's query names only the columns of the index it walks."""
    rules = [r for r in _rules(defn, actor) if not r.get("states") or state in r["states"]]
    scopes = {r["scope"] for r in rules}
    if "any" in scopes or (implied_by and all(_IMPLIES.get(sc, set()) & scopes for sc in implied_by)):
        return true()
    return or_(*(scope_clause(sc, actor) for sc in sorted(scopes))) if scopes else false()


def actionable_branches(definitions: list[Definition], actor: Actor, *, responsible: bool | None = None) -> list[Branch]:
    """Cases on which the actor may fire at least one transition now, one Branch per workflow version and state.

    `responsible=True` keeps only the open cases waiting on the actor: a transition the actor may
    fire in the role the state names as `responsible` (any of the actor's roles, where the state
    names none). `False` gives the other open cases the actor may act on while they wait on someone
    else (an assessor may reassign a case a handling unit holds). `None`: every case the actor may
    act on, finished ones included (a supervisor reopens a dismissed case). A list with nothing in
    it has no branches, not a scan of every case.
    """
    anyone: dict[tuple[str, int, str], list[str]] = {}
    mine: dict[tuple[str, int, str], list[str]] = {}
    others: dict[tuple[str, int, str], list[str]] = {}
    for defn in definitions:
        for t, sources in machine.machine_for(defn).edges():
            roles = acting_roles(t, actor)
            if not roles:
                continue
            for state in sources:
                key = (defn.name, defn.version, state)
                anyone.setdefault(key, []).append(t.scope)
                spec = defn.states[state]
                if spec.terminal:
                    continue  # nobody's work: a closed case is reopened from the search, not the worklist
                on_me = spec.responsible is None or spec.responsible in roles
                (mine if on_me else others).setdefault(key, []).append(t.scope)

    def uniq(scopes: list[str]) -> tuple[str, ...]:
        return ("any",) if "any" in scopes else tuple(sorted(set(scopes)))

    if responsible is None:
        return [Branch(*k, uniq(v)) for k, v in anyone.items()]
    if responsible:
        return [Branch(*k, uniq(v)) for k, v in mine.items()]
    # waiting on others, unless another transition from the same state makes it this actor's own work
    out = []
    for k, v in others.items():
        excluded = uniq(mine.get(k, []))
        if excluded != ("any",):
            out.append(Branch(*k, uniq(v), excluded))
    return out

