"""Parse and validate definition files; every refusal names the file, the key and the problem."""

from __future__ import annotations

import hashlib
import tomllib
from collections import deque
from pathlib import Path
from typing import Any, NoReturn

from workflows.definition import (
    DEADLINE_UNITS,
    SCOPES,
    Deadline,
    Definition,
    Escalation,
    ExtensionPolicy,
    FieldSpec,
    LegalBasis,
    LimitationRule,
    Recipient,
    RegisterSpec,
    ReportingSpec,
    StateSpec,
    TimerRules,
    TransitionSpec,
)
from workflows.errors import DefinitionError
from workflows.field_types import FIELD_TYPES
from workflows.guards import parse_guard_params
from workflows.migration import parse_migrations
from workflows.unit_types import UnitTypes, check_unit_types, load_unit_types

DEFINITIONS_DIR = Path(__file__).parent
BUILTIN_RELATIONS = ("filing_unit", "assigned_unit", "handling_unit")
INDEX_COLUMNS = ("kind", "severity", "subject")


class _Checker:
    """Collects the context (file) so each check reads as one line."""

    def __init__(self, path: str) -> None:
        self.path = path

    def fail(self, key: str, problem: str) -> NoReturn:
        raise DefinitionError(self.path, key, problem)

    def need(self, table: dict[str, Any], key: str, where: str, kind: type | tuple[type, ...]) -> Any:
        if key not in table:
            self.fail(f"{where}.{key}" if where else key, "is missing")
        value = table[key]
        if not isinstance(value, kind) or (kind is int and isinstance(value, bool)):
            names = kind.__name__ if isinstance(kind, type) else "/".join(k.__name__ for k in kind)
            self.fail(f"{where}.{key}" if where else key, f"must be a {names}, got {value!r}")
        return value


def load_file(path: Path | str, unit_types: UnitTypes | None = None) -> Definition:
    path = Path(path)
    try:
        source = path.read_text(encoding="utf-8")
    except OSError as exc:
        raise DefinitionError(str(path), "(file)", f"cannot be read: {exc}") from exc
    return parse_definition(source, str(path), unit_types)


def load_all(directory: Path | str = DEFINITIONS_DIR, unit_types: UnitTypes | None = None) -> list[Definition]:
    """Every `*.toml` in the directory (the calendar and the unit types live in sub-folders and are skipped)."""
    known = unit_types if unit_types is not None else load_unit_types()
    return [load_file(p, known) for p in sorted(Path(directory).glob("*.toml"))]


def parse_definition(source: str, path: str = "<string>", unit_types: UnitTypes | None = None) -> Definition:
    """The parsed definition, or DefinitionError; unit types are checked against `unit_types`
    (by default the configured file, workflows/unit_types.py)."""
    c = _Checker(path)
    try:
        raw = tomllib.loads(source)
    except tomllib.TOMLDecodeError as exc:
        raise DefinitionError(path, "(syntax)", str(exc)) from exc

    wf = c.need(raw, "workflow", "", dict)
    name = c.need(wf, "name", "workflow", str)
    version = c.need(wf, "version", "workflow", int)
    if version < 1:
        c.fail("workflow.version", "must be 1 or more")
    prefix = c.need(wf, "reference_prefix", "workflow", str)
    if not prefix.isalpha() or not prefix.isupper() or len(prefix) > 6:
        c.fail("workflow.reference_prefix", "must be 1 to 6 capital letters")
    create_trigger = c.need(wf, "create_trigger", "workflow", str)

    roles = c.need(raw, "roles", "", dict)
    for role, spec in roles.items():
        if not isinstance(spec, dict):
            c.fail(f"roles.{role}", "must be a table with label_vi and label_en")
    relations = raw.get("relations", {})
    for rel, spec in relations.items():
        if rel in BUILTIN_RELATIONS:
            c.fail(f"relations.{rel}", "is a built-in relation and cannot be redefined")
        c.need(spec, "unit_type", f"relations.{rel}", str)
    relation_names = set(BUILTIN_RELATIONS) | set(relations)

    lists = raw.get("lists", {})
    legal = {}
    for key, spec in raw.get("legal_basis", {}).items():
        legal[key] = LegalBasis(
            key=key,
            document=c.need(spec, "document", f"legal_basis.{key}", str),
            article=spec.get("article", ""),
            effective=str(spec.get("effective", "")),
        )

    def check_basis(where: str, key: Any) -> None:
        if key is not None and key not in legal:
            c.fail(f"{where}.basis", f"names legal basis {key!r}, which [legal_basis] does not define")

    for list_name, items in lists.items():
        for item_key, item in items.items():
            if not isinstance(item, dict) or "vi" not in item or "en" not in item:
                c.fail(f"lists.{list_name}.{item_key}", "needs both 'vi' and 'en' labels")
            check_basis(f"lists.{list_name}.{item_key}", item.get("basis"))
            if "sanction" in item and not isinstance(item["sanction"], bool):
                c.fail(f"lists.{list_name}.{item_key}.sanction", f"must be true or false, got {item['sanction']!r}")

    states: dict[str, StateSpec] = {}
    for sid, spec in c.need(raw, "states", "", dict).items():
        where = f"states.{sid}"
        deadline = None
        if "deadline" in spec:
            d = spec["deadline"]
            days = c.need(d, "days", f"{where}.deadline", int)
            if days < 1:
                c.fail(f"{where}.deadline.days", "must be 1 or more")
            unit = d.get("unit", "working")
            if unit not in DEADLINE_UNITS:
                c.fail(f"{where}.deadline.unit", f"must be one of {', '.join(DEADLINE_UNITS)}, got {unit!r}")
            check_basis(f"{where}.deadline", d.get("basis"))
            deadline = Deadline(days, unit, d.get("basis"), d.get("article", ""), d.get("note", ""))
        responsible = spec.get("responsible")
        if responsible is not None and responsible not in roles:
            c.fail(f"{where}.responsible", f"role {responsible!r} does not exist in [roles]")
        known = {"label_vi", "label_en", "terminal", "deadline", "responsible", "pauses_clock_of", *TIMER_KEYS}
        states[sid] = StateSpec(
            id=sid,
            label_vi=c.need(spec, "label_vi", where, str),
            label_en=c.need(spec, "label_en", where, str),
            terminal=bool(spec.get("terminal", False)),
            deadline=deadline,
            responsible=responsible,
            pauses_clock_of=spec.get("pauses_clock_of"),
            extra={k: v for k, v in spec.items() if k not in known},
            timers=_parse_timer_rules(c, where, spec, roles, relation_names),
        )
    for sid, st in states.items():
        if st.pauses_clock_of and st.pauses_clock_of not in states:
            c.fail(f"states.{sid}.pauses_clock_of", f"unknown state {st.pauses_clock_of!r}")

    raw_transitions = c.need(raw, "transitions", "", list)
    transitions: list[TransitionSpec] = []
    seen: dict[tuple[str, str], int] = {}
    for i, t in enumerate(raw_transitions):
        trigger = t.get("trigger")
        where = f"transitions[{i}]" + (f" ({trigger})" if isinstance(trigger, str) else "")
        trigger = c.need(t, "trigger", where, str)
        sources = c.need(t, "source", where, (list, str))
        sources = [sources] if isinstance(sources, str) else sources
        for s in sources:
            if s not in states:
                c.fail(f"{where}.source", f"unknown state {s!r}")
        dest = c.need(t, "dest", where, str)
        if dest not in states:
            c.fail(f"{where}.dest", f"unknown state {dest!r}")
        for s in sources or ["<create>"]:
            if (trigger, s) in seen:
                c.fail(f"{where}.trigger", f"duplicate trigger {trigger!r} from state {s!r}")
            seen[(trigger, s)] = i
        t_roles = c.need(t, "roles", where, list)
        if not t_roles:
            c.fail(f"{where}.roles", "must name at least one role")
        for r in t_roles:
            if r not in roles:
                c.fail(f"{where}.roles", f"role {r!r} does not exist in [roles]")
        scope = t.get("scope", "any")
        if scope not in SCOPES:
            c.fail(f"{where}.scope", f"must be one of {', '.join(SCOPES)}, got {scope!r}")
        fields = _parse_fields(c, where, t.get("fields", {}), lists)
        assign = t.get("assign")
        if assign is not None:
            if "relation" in assign and assign["relation"] not in relation_names:
                c.fail(f"{where}.assign.relation", f"unknown relation {assign['relation']!r}")
            if "from_field" in assign:
                f = next((f for f in fields if f.name == assign["from_field"]), None)
                if f is None or f.type != "unit":
                    c.fail(f"{where}.assign.from_field", f"{assign['from_field']!r} is not a unit field")
            if not ({"relation", "from_field"} & set(assign)):
                c.fail(f"{where}.assign", "needs 'relation' or 'from_field'")
        raw_guards = t.get("guards", [])
        if not isinstance(raw_guards, list) or not all(isinstance(g, str) for g in raw_guards):
            c.fail(f"{where}.guards", f"must be a list of guard names, got {raw_guards!r}")
        guards = tuple(raw_guards)  # checked with their parameters below (workflows/guards.py)
        notify = _parse_recipients(c, f"{where}.notify", t.get("notify", []), roles, relation_names)
        if assign is not None and assign.get("handling_unit", "keep") not in ("keep", "clear"):
            c.fail(f"{where}.assign.handling_unit", f"must be 'keep' or 'clear', got {assign['handling_unit']!r}")
        t_unit_types = t.get("unit_types", [])
        if not isinstance(t_unit_types, list) or not all(isinstance(u, str) for u in t_unit_types):
            c.fail(f"{where}.unit_types", f"must be a list of unit types, got {t_unit_types!r}")
        transitions.append(
            TransitionSpec(
                trigger=trigger,
                sources=tuple(sources),
                dest=dest,
                roles=tuple(t_roles),
                scope=scope,
                label_vi=c.need(t, "label_vi", where, str),
                label_en=c.need(t, "label_en", where, str),
                fields=fields,
                assign=assign,
                guards=guards,
                notify=notify,
                restart_deadline=bool(t.get("restart_deadline", True)),
                unit_types=tuple(t_unit_types),
            )
        )

    creates = [t for t in transitions if t.creates]
    if not any(t.trigger == create_trigger for t in creates):
        c.fail("workflow.create_trigger", f"no transition {create_trigger!r} with an empty source creates a case")
    if len(creates) > 1:
        c.fail("transitions", "only one transition may create a case (empty source)")

    # Reachability from the creating transition, then a way out of every non-terminal state.
    reachable: set[str] = set()
    queue = deque([creates[0].dest])
    while queue:
        s = queue.popleft()
        if s in reachable:
            continue
        reachable.add(s)
        queue.extend(t.dest for t in transitions if s in t.sources)
    for sid in states:
        if sid not in reachable:
            c.fail(f"states.{sid}", "is unreachable: no transition leads to it from the initial state")
    for sid, st in states.items():
        leaves = any(sid in t.sources and t.dest != sid for t in transitions)
        if not st.terminal and not leaves:
            c.fail(f"states.{sid}", "has no way out and is not marked terminal = true")
        if not st.terminal and st.deadline is None:
            c.fail(f"states.{sid}.deadline", "is missing: every open state needs a deadline")

    visibility: dict[str, tuple[dict[str, Any], ...]] = {}
    for role, rules in raw.get("visibility", {}).items():
        if role not in roles:
            c.fail(f"visibility.{role}", f"role {role!r} does not exist in [roles]")
        rules = [rules] if isinstance(rules, dict) else rules
        if not isinstance(rules, list) or not rules or not all(isinstance(r, dict) for r in rules):
            c.fail(f"visibility.{role}", "must be a { scope, states } table or a list of them")
        for j, rule in enumerate(rules):
            rw = f"visibility.{role}" + (f"[{j}]" if len(rules) > 1 else "")
            if rule.get("scope") not in SCOPES:
                c.fail(f"{rw}.scope", f"must be one of {', '.join(SCOPES)}")
            for s in rule.get("states", []):
                if s not in states:
                    c.fail(f"{rw}.states", f"unknown state {s!r}")
        visibility[role] = tuple(rules)

    confidentiality = raw.get("confidentiality", {})
    for r in confidentiality.get("reporter_visible_to", []):
        if r not in roles:
            c.fail("confidentiality.reporter_visible_to", f"role {r!r} does not exist in [roles]")
    if not isinstance(confidentiality.get("always", False), bool):
        c.fail("confidentiality.always", f"must be true or false, got {confidentiality['always']!r}")
    flag = confidentiality.get("flag_field")
    if flag is not None and not any(f.name == flag and f.type == "boolean" for t in transitions if t.creates for f in t.fields):
        c.fail("confidentiality.flag_field", f"{flag!r} is not a boolean field of the creating transition")

    index: dict[str, tuple[str, ...]] = {}
    for column, names in raw.get("index", {}).items():
        if column not in INDEX_COLUMNS:
            c.fail(f"index.{column}", f"must be one of {', '.join(INDEX_COLUMNS)}")
        index[column] = tuple(names)

    ceilings = raw.get("fine_ceilings", {})
    for unit_type, spec in ceilings.items():
        c.need(spec, "amount", f"fine_ceilings.{unit_type}", int)
        check_basis(f"fine_ceilings.{unit_type}", spec.get("basis"))

    extension = _parse_extension(c, raw.get("extension"), roles, relation_names, check_basis)
    limitation = _parse_limitation(c, raw.get("limitation"), states, transitions, lists, roles, relation_names, check_basis)
    guard_params = parse_guard_params(raw, transitions, c.fail)
    check_unit_types(raw, path, unit_types if unit_types is not None else load_unit_types())

    reporting = _parse_reporting(c, raw.get("reporting"), states, transitions, lists)
    register = _parse_register(c, raw.get("register"), states, transitions)
    explanations = _parse_explanations(c, raw.get("explanations", {}), states)

    parse_migrations(raw, version, set(states), path)  # checked here; engine.cases.migration reads it when migrating

    return Definition(
        name=name,
        version=version,
        label_vi=c.need(wf, "label_vi", "workflow", str),
        label_en=c.need(wf, "label_en", "workflow", str),
        reference_prefix=prefix,
        create_trigger=create_trigger,
        states=states,
        transitions=tuple(transitions),
        roles=roles,
        relations=relations,
        visibility=visibility,
        lists=lists,
        legal_basis=legal,
        index=index,
        fine_ceilings=ceilings,
        confidentiality=confidentiality,
        checksum=hashlib.sha256(source.encode("utf-8")).hexdigest(),
        source=source,
        path=path,
        raw=raw,
        extension=extension,
        limitation=limitation,
        reporting=reporting,
        register=register,
        explanations=explanations,
        guard_params=guard_params,
    )


def _parse_fields(
    c: _Checker, where: str, raw_fields: dict[str, Any], lists: dict[str, Any]
) -> tuple[FieldSpec, ...]:
    fields = []
    for fname, f in raw_fields.items():
        fw = f"{where}.fields.{fname}"
        ftype = c.need(f, "type", fw, str)
        if ftype not in FIELD_TYPES:
            c.fail(f"{fw}.type", f"unknown field type {ftype!r} (known: {', '.join(FIELD_TYPES)})")
        choices = f.get("choices")
        if FIELD_TYPES[ftype].options == "list" and choices not in lists:
            c.fail(f"{fw}.choices", f"names list {choices!r}, which [lists] does not define")
        unit_types = f.get("unit_types")
        if unit_types is not None and unit_types not in lists:
            c.fail(f"{fw}.unit_types", f"names list {unit_types!r}, which [lists] does not define")
        req_if = f.get("required_if")
        if req_if is not None and req_if.get("field") not in raw_fields:
            c.fail(f"{fw}.required_if", f"refers to unknown field {req_if.get('field')!r}")
        max_length = f.get("max_length")
        if max_length is not None and (not isinstance(max_length, int) or max_length < 1):
            c.fail(f"{fw}.max_length", "must be a positive integer")
        fields.append(
            FieldSpec(
                name=fname,
                type=ftype,
                label_vi=c.need(f, "label_vi", fw, str),
                label_en=c.need(f, "label_en", fw, str),
                required=bool(f.get("required", False)),
                required_if=req_if,
                choices=choices,
                unit_types=unit_types,
                max_length=max_length,
                min=f.get("min"),
                max=f.get("max"),
                public=bool(f.get("public", False)),
                official=bool(f.get("official", False)),
            )
        )
    return tuple(fields)


TIMER_KEYS = ("due_soon_days", "due_soon_notify", "overdue_notify", "escalation")


def _positive_int(c: _Checker, key: str, value: Any) -> int:
    if not isinstance(value, int) or isinstance(value, bool) or value < 1:
        c.fail(key, f"must be a whole number of 1 or more, got {value!r}")
    return value


def _parse_recipients(
    c: _Checker, where: str, items: Any, roles: dict[str, Any], relation_names: set[str]
) -> tuple[Recipient, ...]:
    """A list of `{ relation, role, unit_type }` tables: who is told (fanned out to people later)."""
    if not isinstance(items, list):
        c.fail(where, f"must be a list of {{ relation, role, unit_type }} tables, got {items!r}")
    out = []
    for j, n in enumerate(items):
        if not isinstance(n, dict):
            c.fail(f"{where}[{j}]", f"must be a table {{ relation, role, unit_type }}, got {n!r}")
        rel = n.get("relation")
        if rel is not None and rel not in relation_names:
            c.fail(f"{where}[{j}].relation", f"unknown relation {rel!r}")
        if n.get("role") is not None and n["role"] not in roles:
            c.fail(f"{where}[{j}].role", f"role {n['role']!r} does not exist in [roles]")
        if rel is None and n.get("role") is None and n.get("unit_type") is None:
            c.fail(f"{where}[{j}]", "names no relation, role or unit type")
        out.append(Recipient(rel, n.get("role"), n.get("unit_type")))
    return tuple(out)


def _parse_timer_rules(
    c: _Checker, where: str, spec: dict[str, Any], roles: dict[str, Any], relation_names: set[str]
) -> TimerRules:
    """`due_soon_days`, `due_soon_notify`, `overdue_notify` and `escalation = [{ level, after_working_days, notify }]`."""
    due_soon = spec.get("due_soon_days")
    if due_soon is not None:
        _positive_int(c, f"{where}.due_soon_days", due_soon)
    escalations: list[Escalation] = []
    raw_esc = spec.get("escalation", [])
    if not isinstance(raw_esc, list):
        c.fail(f"{where}.escalation", "must be a list of { level, after_working_days, notify } tables")
    for j, e in enumerate(raw_esc):
        ew = f"{where}.escalation[{j}]"
        if not isinstance(e, dict):
            c.fail(ew, f"must be a table {{ level, after_working_days, notify }}, got {e!r}")
        level = _positive_int(c, f"{ew}.level", e.get("level"))
        after = e.get("after_working_days")
        if not isinstance(after, int) or isinstance(after, bool) or after < 0:
            c.fail(f"{ew}.after_working_days", f"must be a whole number of 0 or more, got {after!r}")
        if level != j + 1:
            c.fail(f"{ew}.level", f"levels must be 1, 2, ... in order; expected {j + 1}, got {level}")
        if escalations and after <= escalations[-1].after_working_days:
            c.fail(f"{ew}.after_working_days", f"must be later than level {level - 1}'s ({escalations[-1].after_working_days})")
        notify = _parse_recipients(c, f"{ew}.notify", e.get("notify", []), roles, relation_names)
        if not notify:
            c.fail(f"{ew}.notify", "must name at least one recipient: an escalation nobody hears of is none")
        escalations.append(Escalation(level, after, notify))
    return TimerRules(
        due_soon_days=due_soon,
        due_soon_notify=_parse_recipients(c, f"{where}.due_soon_notify", spec.get("due_soon_notify", []), roles, relation_names),
        overdue_notify=_parse_recipients(c, f"{where}.overdue_notify", spec.get("overdue_notify", []), roles, relation_names),
        escalation=tuple(escalations),
    )


def _parse_extension(
    c: _Checker, spec: Any, roles: dict[str, Any], relation_names: set[str], check_basis: Any
) -> ExtensionPolicy | None:
    """`[extension]`: the roles that may extend a deadline (the policy lives in the definition, not in code)."""
    if spec is None:
        return None
    if not isinstance(spec, dict):
        c.fail("extension", "must be a table")
    ext_roles = c.need(spec, "roles", "extension", list)
    if not ext_roles:
        c.fail("extension.roles", "must name at least one role")
    for r in ext_roles:
        if r not in roles:
            c.fail("extension.roles", f"role {r!r} does not exist in [roles]")
    scope = spec.get("scope", "any")
    if scope not in SCOPES:
        c.fail("extension.scope", f"must be one of {', '.join(SCOPES)}, got {scope!r}")
    max_days = _positive_int(c, "extension.max_working_days", spec.get("max_working_days", 30))
    check_basis("extension", spec.get("basis"))
    return ExtensionPolicy(
        roles=tuple(ext_roles),
        scope=scope,
        max_working_days=max_days,
        notify=_parse_recipients(c, "extension.notify", spec.get("notify", []), roles, relation_names),
        basis=spec.get("basis"),
        article=spec.get("article", ""),
    )


def _parse_limitation(
    c: _Checker,
    spec: Any,
    states: dict[str, StateSpec],
    transitions: list[TransitionSpec],
    lists: dict[str, Any],
    roles: dict[str, Any],
    relation_names: set[str],
    check_basis: Any,
) -> LimitationRule | None:
    """`[limitation]`: the period for sanctioning, the dates it runs from, and its warnings."""
    if spec is None:
        return None
    if not isinstance(spec, dict):
        c.fail("limitation", "must be a table")
    years, days = spec.get("years"), spec.get("days")
    if (years is None) == (days is None):
        c.fail("limitation", "needs exactly one of 'years' or 'days'")
    if years is not None:
        _positive_int(c, "limitation.years", years)
    if days is not None:
        _positive_int(c, "limitation.days", days)
    from_fields = c.need(spec, "from_fields", "limitation", list)
    if not from_fields:
        c.fail("limitation.from_fields", "must name at least one date field")
    date_fields = {f.name for t in transitions for f in t.fields if f.type == "date"}
    for f in from_fields:
        if f not in date_fields:
            c.fail("limitation.from_fields", f"{f!r} is not a date field of any transition")
    warn = spec.get("warn_days_before", [])
    if not isinstance(warn, list):
        c.fail("limitation.warn_days_before", f"must be a list of days, got {warn!r}")
    for w in warn:
        _positive_int(c, "limitation.warn_days_before", w)
    watch = spec.get("watch_states", [])
    for s in watch:
        if s not in states:
            c.fail("limitation.watch_states", f"unknown state {s!r}")
        if states[s].terminal:
            c.fail("limitation.watch_states", f"state {s!r} is terminal: nothing can be sanctioned there")
    sanction_list = spec.get("sanction_list")
    if sanction_list is not None and sanction_list not in lists:
        c.fail("limitation.sanction_list", f"names list {sanction_list!r}, which [lists] does not define")
    sanction_field = spec.get("sanction_field")
    if sanction_field is not None:
        fields = [f for t in transitions for f in t.fields if f.name == sanction_field]
        if not fields or all(f.choices != sanction_list for f in fields):
            c.fail("limitation.sanction_field", f"{sanction_field!r} is not a choice field over list {sanction_list!r}")
    check_basis("limitation", spec.get("basis"))
    return LimitationRule(
        from_fields=tuple(from_fields),
        years=years,
        days=days,
        warn_days_before=tuple(sorted(set(warn), reverse=True)),
        watch_states=tuple(watch),
        sanction_field=sanction_field,
        sanction_list=sanction_list,
        basis=spec.get("basis"),
        article=spec.get("article", ""),
        notify=_parse_recipients(c, "limitation.notify", spec.get("notify", []), roles, relation_names),
    )


def _triggers(c: _Checker, where: str, value: Any, transitions: list[TransitionSpec]) -> tuple[str, ...]:
    """A list of trigger names, each fired by some transition of the definition."""
    if isinstance(value, str):
        value = [value]
    if not isinstance(value, list) or not all(isinstance(v, str) for v in value):
        c.fail(where, f"must be a list of trigger names, got {value!r}")
    known = {t.trigger for t in transitions}
    for v in value:
        if v not in known:
            c.fail(where, f"unknown trigger {v!r} (known: {', '.join(sorted(known))})")
    return tuple(value)


def _field_name(c: _Checker, where: str, value: Any, transitions: list[TransitionSpec], types: tuple[str, ...] = (),
                public: bool = False) -> str | None:  # fmt: skip
    """A field some transition declares, of one of `types` (any when empty), `public = true` when asked."""
    if value is None:
        return None
    if not isinstance(value, str):
        c.fail(where, f"must be a field name, got {value!r}")
    found = [f for t in transitions for f in t.fields if f.name == value]
    if not found:
        c.fail(where, f"names field {value!r}, which no transition declares")
    if types and not any(f.type in types for f in found):
        c.fail(where, f"field {value!r} must be of type {' or '.join(types)}, not {found[0].type}")
    if public and not any(f.public for f in found):
        c.fail(where, f"field {value!r} is not marked public = true, so the public register may not show it")
    return value


def _list_name(c: _Checker, where: str, value: Any, lists: dict[str, Any]) -> str | None:
    if value is None:
        return None
    if not isinstance(value, str) or value not in lists:
        c.fail(where, f"names list {value!r}, which [lists] does not define")
    return str(value)


def _text(c: _Checker, where: str, value: Any) -> str:
    if not isinstance(value, str):
        c.fail(where, f"must be text, got {value!r}")
    return str(value)


def _only_keys(c: _Checker, section: str, spec: dict[str, Any], known: tuple[str, ...]) -> None:
    for key in spec:
        if key not in known:
            c.fail(f"{section}.{key}", f"is not a key of [{section}] (known: {', '.join(known)})")


REPORTING_KEYS = (
    "handling_state", "handled", "assessed", "dismissed", "published", "kind_list", "kind_label_vi", "kind_label_en",
    "measures_field", "measures_list", "outcome_field", "outcome_list", "amount_field", "decision_number_field",
    "decision_date_field", "unit_types_list", "position", "title_vi", "title_en",
)  # fmt: skip


def _parse_reporting(c: _Checker, spec: Any, states: dict[str, StateSpec], transitions: list[TransitionSpec],
                     lists: dict[str, Any]) -> ReportingSpec | None:  # fmt: skip
    """`[reporting]`: which transitions the figures count, and which fields they read (engine/read/figures.py)."""
    if spec is None:
        return None
    if not isinstance(spec, dict):
        c.fail("reporting", "must be a table")
    _only_keys(c, "reporting", spec, REPORTING_KEYS)
    handling_state = c.need(spec, "handling_state", "reporting", str)
    if handling_state not in states:
        c.fail("reporting.handling_state", f"unknown state {handling_state!r}")
    if states[handling_state].deadline is None:
        c.fail("reporting.handling_state", f"state {handling_state!r} has no deadline to be handled within")
    handled = _triggers(c, "reporting.handled", c.need(spec, "handled", "reporting", (list, str)), transitions)
    if not handled:
        c.fail("reporting.handled", "must name at least one trigger")
    for trig in handled:
        if not any(t.trigger == trig and handling_state in t.sources for t in transitions):
            c.fail("reporting.handled", f"trigger {trig!r} does not leave the handling state {handling_state!r}")
    if not any(t.dest == handling_state and handling_state not in t.sources for t in transitions):
        c.fail("reporting.handling_state", f"no transition enters {handling_state!r}, so its stage never starts")
    kind_label_vi = spec.get("kind_label_vi", "Loại")
    kind_label_en = spec.get("kind_label_en", "Kind")
    if not isinstance(kind_label_vi, str) or not isinstance(kind_label_en, str):
        c.fail("reporting.kind_label_vi", "the kind's labels must be text")
    return ReportingSpec(
        handling_state=handling_state,
        handled=handled,
        assessed=_triggers(c, "reporting.assessed", spec.get("assessed", []), transitions),
        dismissed=_triggers(c, "reporting.dismissed", spec.get("dismissed", []), transitions),
        published=_triggers(c, "reporting.published", spec.get("published", []), transitions),
        kind_list=_list_name(c, "reporting.kind_list", spec.get("kind_list"), lists),
        kind_label_vi=kind_label_vi,
        kind_label_en=kind_label_en,
        measures_field=_field_name(c, "reporting.measures_field", spec.get("measures_field"), transitions,
                                   ("choice", "multichoice")),  # fmt: skip
        measures_list=_list_name(c, "reporting.measures_list", spec.get("measures_list"), lists),
        outcome_field=_field_name(c, "reporting.outcome_field", spec.get("outcome_field"), transitions, ("choice",)),
        outcome_list=_list_name(c, "reporting.outcome_list", spec.get("outcome_list"), lists),
        amount_field=_field_name(c, "reporting.amount_field", spec.get("amount_field"), transitions, ("money", "integer")),
        decision_number_field=_field_name(c, "reporting.decision_number_field", spec.get("decision_number_field"),
                                          transitions),  # fmt: skip
        decision_date_field=_field_name(c, "reporting.decision_date_field", spec.get("decision_date_field"), transitions,
                                        ("date",)),  # fmt: skip
        unit_types_list=_list_name(c, "reporting.unit_types_list", spec.get("unit_types_list"), lists),
        position=_positive_int(c, "reporting.position", spec.get("position", 100)),
        title_vi=_text(c, "reporting.title_vi", spec.get("title_vi", "")),
        title_en=_text(c, "reporting.title_en", spec.get("title_en", "")),
    )


REGISTER_SLOTS = (
    "subject_field", "subject_type_field", "kind_field", "outcome_field", "measures_field", "summary_field",
    "decision_number_field", "decision_date_field", "legal_basis_field", "decided_by_field", "correction_field",
)  # fmt: skip
REGISTER_KEYS = ("published_state", "publish", "correct", "withhold", "title_vi", "title_en", "names_field",
                 "decision_triggers", "measure_amounts", *REGISTER_SLOTS)  # fmt: skip


def _parse_register(c: _Checker, spec: Any, states: dict[str, StateSpec],
                    transitions: list[TransitionSpec]) -> RegisterSpec | None:  # fmt: skip
    """`[register]`: the public register's view of this workflow; every field it names must be `public = true`."""
    if spec is None:
        return None
    if not isinstance(spec, dict):
        c.fail("register", "must be a table")
    _only_keys(c, "register", spec, REGISTER_KEYS)
    published_state = c.need(spec, "published_state", "register", str)
    if published_state not in states:
        c.fail("register.published_state", f"unknown state {published_state!r}")
    elif not states[published_state].terminal:
        c.fail("register.published_state", f"state {published_state!r} must be terminal = true: the register lists "
                                           f"finished handling")  # fmt: skip
    publish = _triggers(c, "register.publish", c.need(spec, "publish", "register", (list, str)), transitions)
    if not publish:
        c.fail("register.publish", "must name at least one trigger")
    for trig in publish:
        if not any(t.trigger == trig and t.dest == published_state for t in transitions):
            c.fail("register.publish", f"trigger {trig!r} does not lead to {published_state!r}")
    correct = _triggers(c, "register.correct", spec.get("correct", []), transitions)
    for trig in correct:
        if not any(t.trigger == trig and published_state in t.sources for t in transitions):
            c.fail("register.correct", f"trigger {trig!r} does not start from {published_state!r}")
    slots = {k: _field_name(c, f"register.{k}", spec.get(k), transitions, public=True) for k in REGISTER_SLOTS}
    if correct and slots["correction_field"] is None:
        c.fail("register.correction_field", "is missing: a correction needs the public field holding its text")
    amounts = spec.get("measure_amounts", {})
    if not isinstance(amounts, dict):
        c.fail("register.measure_amounts", "must be a table { measure = field }")
    for key, fname in amounts.items():
        _field_name(c, f"register.measure_amounts.{key}", fname, transitions, ("money", "integer"), public=True)
    names_field = _field_name(c, "register.names_field", spec.get("names_field"), transitions, ("string", "text"))
    return RegisterSpec(
        published_state=published_state,
        publish=publish,
        title_vi=c.need(spec, "title_vi", "register", str),
        title_en=c.need(spec, "title_en", "register", str),
        correct=correct,
        withhold=_triggers(c, "register.withhold", spec.get("withhold", []), transitions),
        names_field=names_field,
        decision_triggers=_triggers(c, "register.decision_triggers", spec.get("decision_triggers", []), transitions),
        measure_amounts=dict(amounts),
        **{k: v for k, v in slots.items()},
    )


def _parse_explanations(c: _Checker, spec: Any, states: dict[str, StateSpec]) -> dict[str, dict[str, str]]:
    """`[explanations]`: `state = { vi, en }`, what became of a case in its filer's words."""
    if not isinstance(spec, dict):
        c.fail("explanations", "must be a table of state = { vi, en }")
    out: dict[str, dict[str, str]] = {}
    for state, words in spec.items():
        if state not in states:
            c.fail(f"explanations.{state}", f"unknown state {state!r}")
        if not isinstance(words, dict) or not isinstance(words.get("vi"), str) or not isinstance(words.get("en"), str):
            c.fail(f"explanations.{state}", "needs both 'vi' and 'en' texts")
        out[state] = {"vi": words["vi"], "en": words["en"]}
    return out
