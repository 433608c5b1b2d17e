"""Data given to a transition, checked against the fields the definition declares.

How each field type reads and checks a value is declared once, in `workflows/field_types.py`;
this module applies it to a transition's fields: unknown keys, forbidden code points, empty
values, `required` and `required_if`, and every bad field reported at once. Every message comes
in Vietnamese and English; the form shows it beside the field.
"""

from __future__ import annotations

from typing import Any

from engine.cases.clean_text import forbidden_message, has_forbidden
from engine.errors import InvalidData
from workflows.definition import Definition, TransitionSpec
from workflows.field_types import (
    MAX_DATE,
    MIN_DATE,
    FieldValueError,
    Lookups,
    ReferenceLookup,
    UnitLookup,
    field_type,
)

__all__ = ["MAX_DATE", "MIN_DATE", "ReferenceLookup", "UnitLookup", "validate"]


def _forbidden(value: Any) -> tuple[str, str] | None:
    """Text with a code point XML 1.0 forbids, or a bidirectional control, is refused with the field's error:
    recorded, it would break every export and feed for good (the history cannot be edited)."""
    items = value if isinstance(value, list | tuple) else [value]
    for item in items:
        if isinstance(item, str) and has_forbidden(item):
            return forbidden_message(item)
    return None


def _is_empty(value: Any) -> bool:
    return value is None or (isinstance(value, str) and not value.strip()) or value == []


def _condition_holds(cond: dict[str, Any], cleaned: dict[str, Any]) -> bool:
    other = cleaned.get(cond["field"])
    if "equals" in cond:
        return other == cond["equals"]
    if "contains" in cond:
        return isinstance(other, list) and cond["contains"] in other
    return not _is_empty(other)


def validate(
    defn: Definition,
    t: TransitionSpec,
    data: dict[str, Any],
    *,
    units: UnitLookup | None = None,
    refs: ReferenceLookup | None = None,
) -> dict[str, Any]:
    """The cleaned data, or InvalidData naming every bad field at once."""
    errors: dict[str, tuple[str, str]] = {}
    known = {f.name for f in t.fields}
    for key in data:
        if key not in known:
            errors[key] = ("Trường không được khai báo cho thao tác này.", "Unknown field for this action.")
    lookups = Lookups(units, refs)
    cleaned: dict[str, Any] = {}
    for f in t.fields:
        ft = field_type(f.type)
        value = data.get(f.name)
        if _is_empty(value):
            if ft.has_default:
                cleaned[f.name] = ft.default
            continue
        bad = _forbidden(value)
        if bad:
            errors[f.name] = bad
            continue
        try:
            cleaned[f.name] = ft.parse(f, value, defn, lookups)
        except FieldValueError as err:
            errors[f.name] = err.pair
    for f in t.fields:
        if f.name in errors or field_type(f.type).has_default:
            continue
        missing = _is_empty(cleaned.get(f.name))
        needed = f.required or (f.required_if is not None and _condition_holds(f.required_if, cleaned))
        if missing and needed:
            errors[f.name] = ("Bắt buộc nhập.", "Required.")
    if errors:
        raise InvalidData(errors)
    return cleaned
