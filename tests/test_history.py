"""The history is append-only and hash-chained: a row changed or deleted behind the engine's back is caught."""

from __future__ import annotations

from sqlalchemy import text

from engine.cases.history import verify_all
from tests.support import case_in


def check(org):
    with org.rt.read_session() as s:
        return verify_all(s)


def test_an_untouched_history_verifies(org):
    for state in ("published", "dismissed", "awaiting_info"):
        case_in(org, state)
    checked, problems = check(org)
    assert checked == 3 and problems == []


def test_an_edited_event_is_caught_and_named(org):
    good = case_in(org, "handled")
    bad = case_in(org, "published")
    with org.rt.engine.begin() as c:
        c.execute(text("UPDATE case_events SET data = :d WHERE case_id = :c AND seq = 3"),
                  {"d": '{"outcome": "no_violation"}', "c": bad.case_id})
    checked, problems = check(org)
    assert checked == 2
    assert [(p.reference, p.seq) for p in problems] == [(bad.reference, 3)]
    assert "changed" in problems[0].problem
    assert good.reference not in {p.reference for p in problems}


def test_a_changed_actor_or_time_is_caught(org):
    out = case_in(org, "assessed")
    with org.rt.engine.begin() as c:
        c.execute(text("UPDATE case_events SET actor_id = NULL WHERE case_id = :c AND seq = 2"), {"c": out.case_id})
    _, problems = check(org)
    assert [(p.reference, p.seq) for p in problems] == [(out.reference, 2)]


def test_a_deleted_event_is_caught(org):
    middle = case_in(org, "published")
    last = case_in(org, "handled")
    with org.rt.engine.begin() as c:
        c.execute(text("DELETE FROM case_events WHERE case_id = :c AND seq = 2"), {"c": middle.case_id})
        c.execute(text("DELETE FROM case_events WHERE case_id = :c AND seq = 3"), {"c": last.case_id})
    _, problems = check(org)
    found = {p.reference: (p.seq, p.problem) for p in problems}
    assert found[middle.reference] == (2, "missing: the history goes from event 1 to event 3 (it was deleted)")
    assert found[last.reference] == (3, "missing: the case row counts 3 events, the history ends at event 2 "
                                        "(event 3 was deleted)")
