"""Every (state, trigger, role, scope) of press_violation, against a table written by hand.

The table below is the plan's division of responsibility, not derived from the definition:
if the definition or the policy drift from it, this test says exactly where.
"""

from __future__ import annotations

import pytest

from engine.errors import NotAvailable, NotFound, NotPermitted
from tests.support import PATHS, case_in, data_for, fire, load_case
from tests.workflow_driver import WORKFLOWS, _units, actor_unit, definition, load, paths
from tests.workflow_driver import case_in as generic_case_in
from tests.workflow_driver import data_for as generic_data

STATES = list(PATHS)
TRIGGERS = ["request_info", "provide_info", "assess", "dismiss", "return", "reassign", "record_explanation",
            "handle", "publish", "correct_publication", "withhold", "reopen"]  # fmt: skip
ROLES = ["reporter", "assessor", "handler", "publisher", "supervisor"]
# Where the actor sits relative to the case: the filing unit, the unit the case is assigned to
# now, or an uninvolved unit.
PLACES = ["filing", "assigned", "other"]

# Allowed: (state, trigger, role) -> the places from which it is allowed.
ALLOWED = {
    ("reported", "request_info", "assessor"): {"assigned"},
    ("reported", "assess", "assessor"): {"assigned"},
    ("reported", "dismiss", "assessor"): {"assigned"},
    ("awaiting_info", "provide_info", "reporter"): {"filing"},
    ("assessed", "return", "handler"): {"assigned"},
    ("assessed", "reassign", "assessor"): {"filing", "assigned", "other"},
    ("assessed", "reassign", "supervisor"): {"filing", "assigned", "other"},
    ("assessed", "record_explanation", "handler"): {"assigned"},
    ("assessed", "handle", "handler"): {"assigned"},
    ("handled", "publish", "publisher"): {"filing", "assigned", "other"},
    ("handled", "withhold", "supervisor"): {"filing", "assigned", "other"},
    ("published", "correct_publication", "publisher"): {"filing", "assigned", "other"},
    ("dismissed", "reopen", "supervisor"): {"filing", "assigned", "other"},
    ("closed", "reopen", "supervisor"): {"filing", "assigned", "other"},
}
FROM_STATE = {
    "reported": {"request_info", "assess", "dismiss"}, "awaiting_info": {"provide_info"},
    "assessed": {"return", "reassign", "record_explanation", "handle"}, "handled": {"publish", "withhold"},
    "published": {"correct_publication"}, "dismissed": {"reopen"}, "closed": {"reopen"},
}  # fmt: skip
ASSIGNED_UNIT = {"reported": "BTG", "awaiting_info": "BTG", "assessed": "VHTT", "handled": "TTVH",
                 "published": "TTVH", "dismissed": "BTG", "closed": "TTVH"}  # fmt: skip
OTHER_UNIT = "CA"


def sees(role: str, place: str, state: str) -> bool:
    """Who may see the case at all (others get "not found")."""
    if role in ("assessor", "supervisor"):
        return True
    if role == "reporter":
        return place == "filing"
    if role == "handler":
        return place == "assigned"
    if role == "publisher":
        return state in ("handled", "published", "closed")
    return False


def unit_for(place: str, state: str) -> str:
    return {"filing": "CB-MS", "assigned": ASSIGNED_UNIT[state], "other": OTHER_UNIT}[place]


def test_every_combination_matches_the_table(org):
    mismatches = []
    probes = {s: case_in(org, s) for s in STATES}  # refused actions leave these untouched
    for state in STATES:
        for trigger in TRIGGERS:
            for role in ROLES:
                for place in PLACES:
                    actor = org.as_role(role, unit_for(place, state))
                    allowed = place in ALLOWED.get((state, trigger, role), set())
                    if allowed:
                        target = case_in(org, state).case_id
                        expected = "ok"
                    else:
                        target = probes[state].case_id
                        if not sees(role, place, state):
                            expected = "NotFound"
                        elif trigger not in FROM_STATE[state]:
                            expected = "NotAvailable"
                        else:
                            expected = "NotPermitted"
                    try:
                        fire(org, target, trigger, actor, data_for(org, trigger))
                        got = "ok"
                    except (NotFound, NotAvailable, NotPermitted) as err:
                        got = type(err).__name__
                    if got != expected:
                        mismatches.append(f"{state:>13} {trigger:<20} {role:<10} {place:<8} expected {expected}, got {got}")
    for state, probe in probes.items():
        assert load_case(org, probe.case_id).state == state, "a refused action changed a case"
    assert not mismatches, "\n" + "\n".join(mismatches)


@pytest.mark.parametrize("role", ROLES)
def test_the_system_actor_fires_no_persons_transition(org, role):
    from engine.org.actors import Actor

    out = case_in(org, "reported")
    with pytest.raises(NotPermitted):
        fire(org, out.case_id, "assess", Actor.system())


# ---------------------------------------------------------------- every workflow, from its definition
# The table above is written by hand for press_violation. Below, the same question for every file in
# workflows/ (a new file is covered without editing this test): from each state, every trigger of the
# definition, fired by every role of the definition from the unit the transition's scope names, succeeds
# exactly when the definition lists that role for that trigger from that state, and is refused otherwise
# without changing the case.


@pytest.mark.parametrize("name", WORKFLOWS)
def test_every_workflow_obeys_its_definition(org, name):
    defn = definition(org, name)
    states = paths(defn)
    assert set(states) == set(defn.states), f"{name}: some state cannot be reached"
    probes = {s: generic_case_in(org, name, s) for s in states}
    mismatches = []
    for state, probe in probes.items():
        case = load(org, probe.case_id)
        for trigger in sorted({t.trigger for t in defn.transitions if not t.creates}):
            t = defn.transition(trigger, state)
            scope_of = t or next(x for x in defn.transitions if x.trigger == trigger)
            for role in defn.roles:
                unit = actor_unit(org, scope_of, case, role, defn)
                actor = probe.filer if scope_of.scope == "own_report" and role in probe.filer.roles else org.as_role(role, unit)
                allowed = t is not None and role in t.roles and (not t.unit_types or _unit_type(org, unit) in t.unit_types)
                target = generic_case_in(org, name, state) if allowed else probe
                got = _try(org, defn, target, trigger, actor)
                want = "ok" if allowed else "refused"
                if got != want:
                    mismatches.append(f"{name} {state:>14} {trigger:<20} {role:<10} at {unit:<7} expected {want}, got {got}")
    for state, probe in probes.items():
        assert load(org, probe.case_id).state == state, "a refused action changed a case"
    assert not mismatches, "\n" + "\n".join(mismatches)


def _unit_type(org, code: str) -> str:
    return next(t for c, t in _units(org).values() if c == code)


def _try(org, defn, target, trigger: str, actor) -> str:
    from engine.cases import commands as service
    from engine.errors import StaleVersion

    case = load(org, target.case_id)
    t = defn.transition(trigger, case.state) or next(x for x in defn.transitions if x.trigger == trigger)
    try:
        with org.rt.uow() as uow:
            service.fire(uow, target.case_id, trigger, actor, generic_data(org, defn, t), case.version,
                         confirm_unstaffed=True)  # fmt: skip
    except (NotFound, NotAvailable, NotPermitted):
        return "refused"
    except StaleVersion as err:  # pragma: no cover - a probe changed under the test
        return f"conflict {err}"
    return "ok"
