"""The compiled machine decides: a case page's buttons, what firing accepts and the worklist agree.

Derived from the definition files, for every definition in workflows/, every state, every role the
definition names and three places an actor can sit (the filing unit as the case's reporter, the
unit holding and handling the case, an uninvolved unit). For each combination:

- offered: the actions the case page shows (`case_view(...).allowed`; none when the page is a 404);
- accepted: each trigger the definition has from that state, fired through the service on a fresh
  copy of the case; "accepted" unless refused as not permitted, not available or not found (bad or
  missing data is refused later, by validation, which is not the policy's question);
- listed: whether the worklist's query (actionable and visible) lists the case for the actor.

Offered must equal accepted, and the worklist must list exactly the cases with something offered.
"""

from __future__ import annotations

import itertools
from typing import Any

import sqlalchemy as sa

from engine.cases import commands as service
from engine.cases import policy
from engine.cases.history import GENESIS
from engine.errors import EngineError, NotAvailable, NotFound, NotPermitted
from engine.org.actors import Actor
from engine.read.queries import case_view
from engine.store.models import Case
from tests.support import Org
from workflows.definition import Definition

# place -> (unit code the actor sits in, the actor filed the case)
PLACES = {"filing": ("CB-MS", True), "holding": ("VHTT", False), "other": ("CA", False)}
FILING, HOLDING = "CB-MS", "VHTT"
_SERIAL = itertools.count(1)


def _probe_rows(org: Org, defn: Definition, state: str, reporter: Actor, n: int) -> list[dict[str, Any]]:
    now = org.rt.clock.now()
    return [
        dict(reference=f"MD-{next(_SERIAL):08d}",
             workflow_name=defn.name, workflow_version=defn.version, state=state, version=1,
             closed=defn.states[state].terminal, filing_unit_id=org.units[FILING], reporter_id=reporter.user_id,
             reporter_confidential=False, assigned_unit_id=org.units[HOLDING], handling_unit_id=org.units[HOLDING],
             facts={}, state_entered_at=now, created_at=now, updated_at=now, event_count=0,
             last_event_hash=GENESIS, escalation_level=0)
        for i in range(n)
    ]  # fmt: skip


def _insert(org: Org, rows: list[dict[str, Any]]) -> list[int]:
    with org.rt.engine.begin() as conn:
        return [int(conn.execute(sa.insert(Case).values(**row).returning(Case.id)).scalar_one()) for row in rows]


def _offered(org: Org, actor: Actor, case_id: int) -> set[str]:
    with org.rt.read_session() as s:
        try:
            return {t.trigger for t in case_view(s, org.rt.registry, actor, case_id=case_id).allowed}
        except NotFound:
            return set()


def _accepted(org: Org, actor: Actor, case_id: int, trigger: str) -> bool:
    try:
        with org.rt.uow() as uow:
            service.fire(uow, case_id, trigger, actor, {}, expected_version=1)
    except (NotPermitted, NotAvailable, NotFound):
        return False
    except EngineError:  # invalid data, an unresolvable relation, a confirmation asked: the policy said yes
        return True
    return True


def _listed(org: Org, defn: Definition, actor: Actor, case_ids: list[int], responsible: bool | None) -> set[int]:
    with org.rt.read_session() as s:
        branches = policy.actionable_branches([defn], actor, responsible=responsible)
        actionable = sa.or_(sa.false(), *(b.clause(actor) for b in branches))
        q = sa.select(Case.id).where(Case.id.in_(case_ids), actionable, policy.visible_clause([defn], actor))
        return set(s.scalars(q))


def test_page_policy_and_worklist_agree_for_every_definition_role_and_state(org: Org) -> None:
    definitions = org.rt.registry.all()
    assert {d.name for d in definitions} >= {"press_violation", "staff_discipline"}
    mismatches: list[str] = []
    checked = 0
    for defn in definitions:
        for role in defn.roles:
            for place, (unit, is_reporter) in PLACES.items():
                actor = org.as_role(role, unit)
                reporter = actor if is_reporter else org.actor("reporter")
                probes: dict[str, int] = {}
                for state in defn.states:
                    triggers = [t.trigger for t in defn.transitions if state in t.sources]
                    ids = _insert(org, _probe_rows(org, defn, state, reporter, 1 + len(triggers)))
                    probes[state] = ids[0]
                    offered = _offered(org, actor, ids[0])
                    accepted = {tr for tr, cid in zip(triggers, ids[1:], strict=True) if _accepted(org, actor, cid, tr)}
                    checked += 1
                    if offered != accepted:
                        mismatches.append(f"{defn.name} {state} {role}@{place}: page offers {sorted(offered)}, "
                                          f"firing accepts {sorted(accepted)}")  # fmt: skip
                every = _listed(org, defn, actor, list(probes.values()), None)
                mine = _listed(org, defn, actor, list(probes.values()), True)
                others = _listed(org, defn, actor, list(probes.values()), False)
                for state, cid in probes.items():
                    has_work = bool(_offered(org, actor, cid))
                    if (cid in every) != has_work:
                        mismatches.append(f"{defn.name} {state} {role}@{place}: worklist lists it: {cid in every}, "
                                          f"page offers something: {has_work}")  # fmt: skip
                    if defn.states[state].terminal:
                        if cid in mine or cid in others:
                            mismatches.append(f"{defn.name} {state} {role}@{place}: a closed case on a worklist tab")
                    elif (cid in mine or cid in others) != has_work or (cid in mine and cid in others):
                        mismatches.append(f"{defn.name} {state} {role}@{place}: my work {cid in mine}, "
                                          f"others' {cid in others}, offered something {has_work}")  # fmt: skip
    assert checked > 0
    assert not mismatches, "\n".join(mismatches)
