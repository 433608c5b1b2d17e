"""Driving a case of ANY workflow from its definition alone: valid data, a fitting actor, a path to every state.

The generic suites (permission table, whole lifecycle, confidentiality, stale version) use this
instead of naming a workflow, a trigger or a field, so a new file in workflows/ is covered without
editing a test: `WORKFLOWS` is the folder's listing.
"""

from __future__ import annotations

from collections import deque
from dataclasses import dataclass
from datetime import date
from typing import Any

from sqlalchemy import select

from engine.cases import commands as service
from engine.org.actors import Actor
from engine.store.models import Case, Unit, User
from engine.time.clock import LOCAL_TZ
from tests.support import TEST_USERS, Org
from workflows import DEFINITIONS_DIR
from workflows.definition import Definition, FieldSpec, TransitionSpec

WORKFLOWS = sorted(p.stem for p in DEFINITIONS_DIR.glob("*.toml"))


def definition(org: Org, name: str) -> Definition:
    return org.rt.registry.latest(name)


def _units(org: Org) -> dict[int, tuple[str, str]]:
    """id -> (code, type) of every unit."""
    with org.rt.read_session() as s:
        return {i: (c, t) for i, c, t in s.execute(select(Unit.id, Unit.code, Unit.type))}


def _staffed_codes(org: Org) -> set[str]:
    with org.rt.read_session() as s:
        return set(s.scalars(select(Unit.code).join(User, User.unit_id == Unit.id)))


def value_for(org: Org, defn: Definition, f: FieldSpec) -> Any:
    """A valid value of one field, chosen from its type and the definition's lists."""
    if f.type in ("choice", "multichoice"):
        first = next(iter(defn.lists[f.choices or ""]))
        return [first] if f.type == "multichoice" else first
    if f.type == "unit":
        types = set(defn.lists.get(f.unit_types or "", {}))
        staffed = _staffed_codes(org)
        units = sorted((code, uid) for uid, (code, utype) in _units(org).items() if not types or utype in types)
        return next((uid for code, uid in units if code in staffed), units[0][1])
    if f.type == "date":
        return org.rt.clock.now().astimezone(LOCAL_TZ).date().isoformat()
    if f.type in ("integer", "money"):
        return max(f.min or 1, 1)
    if f.type == "boolean":
        return False
    if f.type == "url":
        return "https://example.invalid/bai-viet"
    if f.type == "reference":
        return ""
    return "Nội dung kiểm thử"[: f.max_length or 200]


def _needed(f: FieldSpec, data: dict[str, Any]) -> bool:
    if f.required:
        return True
    rule = f.required_if
    if not rule:
        return False
    other = data.get(str(rule.get("field")))
    if "equals" in rule:
        return bool(other == rule["equals"])
    if "contains" in rule:
        return isinstance(other, list) and rule["contains"] in other
    return bool(other)


def data_for(org: Org, defn: Definition, t: TransitionSpec, **overrides: Any) -> dict[str, Any]:
    """The required fields (and those their `required_if` makes required), each with a valid value."""
    data: dict[str, Any] = {}
    for _ in range(2):  # a required_if may name a field declared after it
        for f in t.fields:
            if f.name not in data and _needed(f, data):
                data[f.name] = value_for(org, defn, f)
    data.update(overrides)
    return data


def _code_of(org: Org, unit_id: int | None) -> str:
    return _units(org)[unit_id or 0][0] if unit_id else ""


def filing_unit(org: Org, defn: Definition, role: str) -> str:
    """Where `role` files a case of `defn`: a unit of the creating transition's unit types, else where a test
    account already holds the role."""
    t = defn.create_transition
    units = _units(org)
    if t.unit_types:
        staffed = _staffed_codes(org)
        fits = sorted(code for code, utype in units.values() if utype in t.unit_types)
        return next((c for c in fits if c in staffed), fits[0])
    return next(unit for _name, unit, roles in TEST_USERS if role in roles)


def actor_unit(org: Org, t: TransitionSpec, case: Case | None, role: str, defn: Definition) -> str:
    """The unit from which `t`'s scope lets an actor fire it on `case`."""
    if case is None:
        return filing_unit(org, defn, role)
    if t.scope in ("own_unit", "own_report"):
        return _code_of(org, case.filing_unit_id)
    if t.scope in ("handling_unit", "competent_unit"):
        return _code_of(org, case.handling_unit_id or case.assigned_unit_id)
    return _code_of(org, case.assigned_unit_id)


@dataclass
class Driven:
    case_id: int
    version: int
    filer: Actor
    steps: list[str]


def load(org: Org, case_id: int) -> Case:
    with org.rt.read_session() as s:
        case = s.get(Case, case_id)
        assert case is not None
        return case


def actor_for(org: Org, defn: Definition, t: TransitionSpec, case: Case | None, filer: Actor | None = None,
              role: str | None = None) -> Actor:  # fmt: skip
    role = role or t.roles[0]
    if case is not None and t.scope == "own_report" and filer is not None:
        return filer
    return org.as_role(role, actor_unit(org, t, case, role, defn))


def file_case(org: Org, name: str, *, confidential: bool = False, role: str | None = None,
              who: Actor | None = None) -> Driven:  # fmt: skip
    defn = definition(org, name)
    t = defn.create_transition
    who = who or actor_for(org, defn, t, None, role=role)
    flag = defn.confidentiality.get("flag_field")
    data = data_for(org, defn, t, **({flag: confidential} if flag else {}))
    with org.rt.uow() as uow:
        out = service.file_report(uow, who, name, data, confirm_unstaffed=True)
    return Driven(out.case_id, out.version, who, [t.trigger])


def fire_step(org: Org, name: str, driven: Driven, trigger: str) -> Driven:
    defn = definition(org, name)
    case = load(org, driven.case_id)
    t = defn.transition(trigger, case.state)
    assert t is not None, f"{name}: no {trigger!r} from {case.state!r}"
    who = actor_for(org, defn, t, case, driven.filer)
    with org.rt.uow() as uow:
        out = service.fire(uow, driven.case_id, trigger, who, data_for(org, defn, t), driven.version,
                           confirm_unstaffed=True)  # fmt: skip
    return Driven(driven.case_id, out.version, driven.filer, [*driven.steps, trigger])


def paths(defn: Definition) -> dict[str, list[str]]:
    """The shortest trigger sequence from a fresh case to every state (breadth first over the transitions)."""
    start = defn.create_transition.dest
    found: dict[str, list[str]] = {start: []}
    queue = deque([start])
    while queue:
        state = queue.popleft()
        for t in defn.transitions_from(state):
            if t.dest not in found:
                found[t.dest] = [*found[state], t.trigger]
                queue.append(t.dest)
    return found


def case_in(org: Org, name: str, state: str, *, confidential: bool = False, who: Actor | None = None) -> Driven:
    driven = file_case(org, name, confidential=confidential, who=who)
    for trigger in paths(definition(org, name))[state]:
        driven = fire_step(org, name, driven, trigger)
    return driven


def today(org: Org) -> date:
    return org.rt.clock.now().astimezone(LOCAL_TZ).date()
