"""Guards are declared once (workflows/guards.py) with their parameters, implemented by the engine under the
same names, and take their fields from the definition, never from code."""

from __future__ import annotations

from datetime import date

import pytest

from engine.cases import guards as engine_guards
from engine.cases.guards import GuardContext, field_hints, run_guards
from engine.errors import DefinitionError, InvalidData
from workflows import DEFINITIONS_DIR, load_all, parse_definition
from workflows.guards import GUARDS as DECLARED

PRESS = (DEFINITIONS_DIR / "press_violation.toml").read_text(encoding="utf-8")
GUARD_SECTION = '[guards.fine_within_ceiling]\nfield = "fine_amount"\n'


def edited(old: str, new: str) -> str:
    assert old in PRESS, old
    return PRESS.replace(old, new, 1)


def without(start: str, end: str) -> str:
    a = PRESS.index(start)
    return PRESS[:a] + PRESS[PRESS.index(end, a):]


def test_the_engine_implements_exactly_the_declared_guards():
    undeclared, unimplemented = engine_guards.undeclared_or_unimplemented()
    assert (undeclared, unimplemented) == (set(), set())
    assert set(engine_guards.GUARDS) == set(DECLARED)
    assert set(engine_guards.HINTS) <= set(DECLARED)


def test_every_guard_a_shipped_definition_names_is_declared_with_its_parameters():
    for defn in load_all():
        named = {g for t in defn.transitions for g in t.guards}
        assert named <= set(DECLARED), defn.name
        assert set(defn.guard_params) == named
        for g in named:
            assert {p.name for p in DECLARED[g].params} <= set(defn.guard_params[g])
    press = {d.name: d for d in load_all()}["press_violation"]
    assert press.guard_params["fine_within_ceiling"] == {"field": "fine_amount"}


CASES = [
    ("a section for an unknown guard", edited(GUARD_SECTION, GUARD_SECTION + "\n[guards.always_yes]\nx = 1\n"),
     "guards.always_yes", "unknown guard 'always_yes'"),
    ("parameters for a guard no transition runs", edited('guards = ["fine_within_ceiling", "within_limitation"]',
                                                        'guards = ["within_limitation"]'),
     "guards.fine_within_ceiling", "no transition names 'fine_within_ceiling'"),
    ("guards that are not a list", edited('guards = ["fine_within_ceiling", "within_limitation"]',
                                          'guards = "fine_within_ceiling"'),
     "transitions[8] (handle).guards", "must be a list of guard names"),
    ("an unknown parameter", edited(GUARD_SECTION, GUARD_SECTION + "ceiling = 5\n"),
     "guards.fine_within_ceiling.ceiling", "is not a parameter of 'fine_within_ceiling'"),
    ("a field of the wrong type", edited('field = "fine_amount"', 'field = "decision_number"'),
     "guards.fine_within_ceiling.field", "'decision_number' is not a money field of transitions[8] (handle)"),
    ("a field the transition lacks", edited('field = "fine_amount"', 'field = "penalty"'),
     "guards.fine_within_ceiling.field", "'penalty' is not a money field of transitions[8] (handle)"),
    ("a field that is not a name", edited('field = "fine_amount"', "field = 3"),
     "guards.fine_within_ceiling.field", "must be a field name"),
    ("the fine guard without [fine_ceilings]", without("[fine_ceilings.people_committee_office]", "# The parameters"),
     "transitions[8] (handle).guards", "'fine_within_ceiling' needs a [fine_ceilings] section"),
    ("the limitation guard without [limitation]", without("[limitation]", "# ------------"),
     "transitions[8] (handle).guards", "'within_limitation' needs a [limitation] section"),
    ("an ambiguous field left out", edited(GUARD_SECTION, "").replace(
        "[transitions.fields.fine_amount]",
        '[transitions.fields.bail]\ntype = "money"\nlabel_vi = "Tiền bảo lãnh"\nlabel_en = "Bail"\n\n'
        "[transitions.fields.fine_amount]"),
     "guards.fine_within_ceiling.field", "is missing"),
]  # fmt: skip


@pytest.mark.parametrize("why,source,key,words", CASES, ids=[c[0] for c in CASES])
def test_a_guard_named_badly_is_refused_with_file_key_and_problem(why, source, key, words):
    with pytest.raises(DefinitionError) as info:
        parse_definition(source, "workflows/broken.toml")
    assert info.value.key == key, str(info.value)
    assert words in info.value.problem, str(info.value)


def test_a_definition_written_before_guards_had_parameters_still_loads():
    """Stored versions are parsed again by every process: one without [guards] finds its one money field."""
    legacy = parse_definition(edited(GUARD_SECTION, ""), "<database: press_violation v2>")
    assert legacy.guard_params == {"fine_within_ceiling": {"field": "fine_amount"}, "within_limitation": {}}


def test_the_fine_guard_and_the_form_hint_follow_the_field_the_definition_names():
    defn = parse_definition(PRESS.replace("fine_amount", "penalty"), "workflows/renamed.toml")
    handle = next(t for t in defn.transitions if t.trigger == "handle")
    ctx = GuardContext(defn, None, {"penalty": 60_000_000}, "people_committee_office", date(2026, 3, 2))  # type: ignore[arg-type]
    with pytest.raises(InvalidData) as info:
        run_guards(("fine_within_ceiling",), ctx)
    assert list(info.value.errors) == ["penalty"]
    assert "50.000.000" in info.value.errors["penalty"][0] and "50,000,000" in info.value.errors["penalty"][1]
    run_guards(("fine_within_ceiling",), GuardContext(defn, None, {"penalty": 50_000_000}, "people_committee_office",  # type: ignore[arg-type]
                                                      date(2026, 3, 2)))
    hints = field_hints(defn, handle.guards, "police")
    assert list(hints) == ["penalty"] and "20.000.000" in hints["penalty"][0]
