"""The guards a definition may name, and their parameters: the one list of them.

A guard is a check a transition runs after its data is validated and before anything is written
(`guards = [...]` on a transition). This module declares each guard's name and parameters;
the engine implements each under the same name (`engine/cases/guards.py`), and a test checks that
the two name the same guards. A definition gives a guard's parameters in a `[guards.<name>]`
section, by field name, so no workflow's field is named in code:

    [guards.fine_within_ceiling]
    field = "fine_amount"

Loading a definition checks that every guard it names exists, that its parameters are given and
known, that a `field` parameter names a field of the right type on every transition naming the
guard, and that the sections the guard reads its numbers from (`[fine_ceilings]`,
`[limitation]`) are there.

To add a guard: declare it here, implement it under the same name in `engine/cases/guards.py`.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass
from typing import Any, NoReturn

from workflows.definition import TransitionSpec


@dataclass(frozen=True)
class GuardParam:
    """A parameter naming a field of the transitions that run the guard.

    Left out, it is the one field of an accepted type on those transitions, when there is exactly
    one (so a definition written before guards took parameters still loads as it did).
    """

    name: str
    field_types: tuple[str, ...]
    doc: str


@dataclass(frozen=True)
class GuardSpec:
    name: str
    doc: str
    params: tuple[GuardParam, ...] = ()
    needs_sections: tuple[str, ...] = ()  # sections of the definition the guard reads its numbers from


GUARDS: dict[str, GuardSpec] = {
    spec.name: spec
    for spec in (
        GuardSpec(
            "fine_within_ceiling",
            "Refuse a fine above what the deciding unit's type may impose ([fine_ceilings]).",
            params=(GuardParam("field", ("money",), "the field holding the fine's amount"),),
            needs_sections=("fine_ceilings",),
        ),
        GuardSpec(
            "within_limitation",
            "Refuse a sanction once the limitation period has run out ([limitation]).",
            needs_sections=("limitation",),
        ),
    )
}


def parse_guard_params(
    raw: dict[str, Any], transitions: list[TransitionSpec], fail: Callable[[str, str], NoReturn]
) -> dict[str, dict[str, Any]]:
    """Check every guard the transitions name, and return each named guard's parameters.

    `fail(key, problem)` raises the loader's DefinitionError naming the file.
    """
    section = raw.get("guards", {})
    if not isinstance(section, dict):
        fail("guards", "must be a table of [guards.<name>] sections")
    for name, given in section.items():
        if name not in GUARDS:
            fail(f"guards.{name}", f"unknown guard {name!r} (known: {', '.join(GUARDS)})")
        if not isinstance(given, dict):
            fail(f"guards.{name}", f"must be a table of parameters, got {given!r}")
        known = {p.name for p in GUARDS[name].params}
        for key in given:
            if key not in known:
                listed = ", ".join(sorted(known)) or "none"
                fail(f"guards.{name}.{key}", f"is not a parameter of {name!r} (its parameters: {listed})")
    users: dict[str, list[tuple[int, TransitionSpec]]] = {}
    for i, t in enumerate(transitions):
        for g in t.guards:
            if g not in GUARDS:
                fail(f"transitions[{i}] ({t.trigger}).guards", f"unknown guard {g!r} (known: {', '.join(GUARDS)})")
            users.setdefault(g, []).append((i, t))
    for name in section:
        if name not in users:
            fail(f"guards.{name}", f"no transition names {name!r} in its guards: its parameters would be read by nothing")
    params: dict[str, dict[str, Any]] = {}
    for name, uses in users.items():
        spec = GUARDS[name]
        first = f"transitions[{uses[0][0]}] ({uses[0][1].trigger}).guards"
        for needed in spec.needs_sections:
            if not raw.get(needed):
                fail(first, f"{name!r} needs a [{needed}] section")
        given = dict(section.get(name, {}))
        for p in spec.params:
            given[p.name] = _field_param(name, p, given.get(p.name), uses, fail)
        params[name] = given
    return params


def _field_param(
    guard: str, p: GuardParam, value: Any, uses: list[tuple[int, TransitionSpec]], fail: Callable[[str, str], NoReturn]
) -> str:
    types = "/".join(p.field_types)
    if value is None:
        found = {f.name for _, t in uses for f in t.fields if f.type in p.field_types}
        if len(found) != 1:
            i, t = uses[0]
            fail(f"guards.{guard}.{p.name}", f"is missing: name {p.doc} (a {types} field of transitions[{i}] ({t.trigger}))")
        value = found.pop()
    if not isinstance(value, str):
        fail(f"guards.{guard}.{p.name}", f"must be a field name, got {value!r}")
    for i, t in uses:
        f = t.field(value)
        if f is None or f.type not in p.field_types:
            fail(f"guards.{guard}.{p.name}",
                 f"{value!r} is not a {types} field of transitions[{i}] ({t.trigger}), which runs {guard!r}")
    return value
