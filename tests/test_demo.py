"""`presscase demo` seeds a district with every state, through the engine's commands."""

from __future__ import annotations

from sqlalchemy import func, select

from engine.cases.history import verify_all
from engine.demo import USERS, seed_demo
from engine.store.models import Case, Unit


def test_demo_covers_every_state_and_role(rt):
    result = seed_demo(rt)
    assert set(result.passwords) == {u[0] for u in USERS}
    with rt.read_session() as s:
        states = {(w, st) for w, st in s.execute(select(Case.workflow_name, Case.state).distinct())}
        n_cases = s.scalar(select(func.count()).select_from(Case))
        unit_types = set(s.scalars(select(Unit.type)))
        checked, problems = verify_all(s)
        newest = s.scalar(select(func.max(Case.updated_at)))
    press_states = {st for w, st in states if w == "press_violation"}
    assert press_states == {"reported", "awaiting_info", "assessed", "handled", "published", "dismissed", "closed"}
    assert ("staff_discipline", "reported") in states
    assert 28 <= n_cases <= 40 and checked == n_cases and problems == []
    assert newest <= rt.clock.now(), "the demo must not date anything in the future"
    assert {"standing_committee", "propaganda_department", "people_committee_office", "inspectorate", "police",
            "media_centre", "party_cell"} <= unit_types
