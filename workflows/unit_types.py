"""The unit types of the organisation, as configuration (`workflows/org/unit_types.toml`), not code.

A definition speaks of unit types, never of named bodies; this file is the one list of them, with
the vi/en labels people see. The administration pages offer its types, adding a unit checks
against it, the confidentiality projection names a hidden filer by its label, and every
definition is checked against it when loaded: a type a definition names that the file lacks is
refused with the definition's file and key.

The file is re-read when it changes on disk (its modification time is looked at every
RECHECK_SECONDS), so an administrator's edit reaches a running process without a restart; a
broken edit raises DefinitionError naming the file, the key and the problem.
"""

from __future__ import annotations

import os
import re
import time
import tomllib
from collections.abc import Iterator
from dataclasses import dataclass
from functools import lru_cache
from pathlib import Path
from typing import Any

from workflows.errors import DefinitionError

DEFAULT_UNIT_TYPES_FILE = Path(__file__).parent / "org" / "unit_types.toml"
UNIT_TYPES_ENV = "PRESSCASE_UNIT_TYPES_FILE"
TYPE_ID = re.compile(r"^[a-z][a-z0-9_]{0,39}$")
LABEL_KEYS = ("vi", "en")


@dataclass(frozen=True)
class UnitType:
    id: str
    label_vi: str
    label_en: str

    def label(self, lang: str = "vi") -> str:
        return self.label_vi if lang == "vi" else self.label_en


@dataclass(frozen=True)
class UnitTypes:
    """The configured types, in the file's order (the order a form offers them)."""

    path: str
    types: dict[str, UnitType]

    def __contains__(self, type_id: object) -> bool:
        return type_id in self.types

    def __iter__(self) -> Iterator[str]:
        return iter(self.types)

    def label(self, type_id: str, lang: str = "vi") -> str:
        """The type's label; a type no longer configured (a unit created before it was removed) shows its id."""
        t = self.types.get(type_id)
        return t.label(lang) if t else type_id

    def choices(self, lang: str = "vi") -> list[tuple[str, str]]:
        return [(t.id, t.label(lang)) for t in self.types.values()]


def unit_types_path() -> Path:
    env = os.environ.get(UNIT_TYPES_ENV)
    return Path(env) if env else DEFAULT_UNIT_TYPES_FILE


def parse_unit_types(source: str, path: str = "<string>") -> UnitTypes:
    """The `[unit_types]` table: `id = { vi = "...", en = "..." }`, every id and label checked."""
    try:
        raw = tomllib.loads(source)
    except tomllib.TOMLDecodeError as exc:
        raise DefinitionError(path, "(syntax)", str(exc)) from exc
    table = raw.get("unit_types")
    if not isinstance(table, dict) or not table:
        raise DefinitionError(path, "unit_types", "is missing or empty: a table of `id = { vi = ..., en = ... }`")
    extra = sorted(set(raw) - {"unit_types"})
    if extra:
        raise DefinitionError(path, extra[0], "is not understood (the file holds only [unit_types])")
    types: dict[str, UnitType] = {}
    for type_id, spec in table.items():
        where = f"unit_types.{type_id}"
        if not TYPE_ID.match(type_id):
            raise DefinitionError(path, where, "a type id is 1 to 40 of a-z, 0-9 and '_', starting with a letter")
        if not isinstance(spec, dict):
            raise DefinitionError(path, where, f"must be a table {{ vi = ..., en = ... }}, got {spec!r}")
        unknown = sorted(set(spec) - set(LABEL_KEYS))
        if unknown:
            raise DefinitionError(path, f"{where}.{unknown[0]}", "is not understood (only 'vi' and 'en' labels)")
        for lang in LABEL_KEYS:
            label = spec.get(lang)
            if not isinstance(label, str) or not label.strip():
                raise DefinitionError(path, f"{where}.{lang}", "is missing: every type needs a Vietnamese and an English label")
        types[type_id] = UnitType(type_id, spec["vi"].strip(), spec["en"].strip())
    return UnitTypes(path, types)


@lru_cache(maxsize=8)
def _unit_types_at(path: str, mtime_ns: int) -> UnitTypes:
    try:
        source = Path(path).read_text(encoding="utf-8")
    except OSError as exc:
        raise DefinitionError(path, "(file)", f"cannot be read: {exc}") from exc
    return parse_unit_types(source, path)


# How often the file's modification time is looked at again. Labels are asked for once per case shown
# (a confidential filer is named by their unit's type), so a report over a million cases must not stat
# the file a million times; an administrator's edit is seen within this many seconds.
RECHECK_SECONDS = 2.0
_last_checked: dict[str, tuple[float, UnitTypes]] = {}
_DEFAULT_KEY = str(DEFAULT_UNIT_TYPES_FILE)


def load_unit_types(path: Path | str | None = None) -> UnitTypes:
    """The types in force (the configured file, or `path`); read again when the file changes."""
    key = str(path) if path is not None else os.environ.get(UNIT_TYPES_ENV) or _DEFAULT_KEY
    now = time.monotonic()
    seen = _last_checked.get(key)
    if seen is not None and now - seen[0] < RECHECK_SECONDS:
        return seen[1]
    try:
        mtime = Path(key).stat().st_mtime_ns
    except OSError as exc:
        raise DefinitionError(key, "(file)", f"cannot be read: {exc}") from exc
    types = _unit_types_at(key, mtime)
    _last_checked[key] = (now, types)
    return types


def unit_type_references(raw: dict[str, Any]) -> Iterator[tuple[str, str]]:
    """Every unit type a parsed definition file names, as (key, type): wherever a `unit_type` or a
    `unit_types` list appears (relations, transitions, notices, escalations, any later section), the
    keys of `[fine_ceilings]`, and the items of each list a unit field draws its types from."""
    yield from _walk(raw, "", raw)
    for type_id in (raw.get("fine_ceilings") or {}):
        yield f"fine_ceilings.{type_id}", type_id


def _walk(node: Any, where: str, raw: dict[str, Any]) -> Iterator[tuple[str, str]]:
    if isinstance(node, dict):
        for key, value in node.items():
            here = f"{where}.{key}" if where else str(key)
            if key == "unit_type" and isinstance(value, str):
                yield here, value
            elif key == "unit_types" and isinstance(value, list):
                yield from ((here, v) for v in value if isinstance(v, str))
            elif key == "unit_types" and isinstance(value, str):
                # a unit field names the list its units' types come from
                for type_id in (raw.get("lists") or {}).get(value) or {}:
                    yield f"lists.{value}.{type_id}", type_id
            else:
                yield from _walk(value, here, raw)
    elif isinstance(node, list):
        for i, item in enumerate(node):
            trigger = item.get("trigger") if isinstance(item, dict) else None
            yield from _walk(item, f"{where}[{i}]" + (f" ({trigger})" if isinstance(trigger, str) else ""), raw)


def check_unit_types(raw: dict[str, Any], path: str, known: UnitTypes) -> None:
    """Refuse a definition that names a unit type the configuration lacks (the first one found)."""
    for key, type_id in unit_type_references(raw):
        if type_id not in known:
            raise DefinitionError(
                path, key, f"unknown unit type {type_id!r} (the unit types are configured in {known.path}: "
                f"{', '.join(known)})",
            )
