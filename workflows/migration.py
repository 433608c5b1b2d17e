"""The `[migration.from_N]` sections of a definition: how open cases of an older version map onto this one.

    [migration.from_2]
    states = { reported = "received", awaiting_info = "awaiting_reply" }

A state of version N with the same name in this version maps to itself unless the section says
otherwise; a state named neither way has no mapping, and `presscase workflow migrate` refuses to
move a case that is in one. Without a section for N, only the same-name rule applies. Targets are
checked when the file is loaded; source names are checked against version N when migrating
(version N may no longer be on disk).
"""

from __future__ import annotations

import re
from typing import Any

from workflows.errors import DefinitionError

SECTION_RE = re.compile(r"^from_(\d+)$")


def parse_migrations(raw: dict[str, Any], version: int, states: set[str], path: str) -> dict[int, dict[str, str]]:
    """{older version: {old state: new state}} as declared; refuses a bad section naming its key."""
    section = raw.get("migration", {})
    if not isinstance(section, dict):
        raise DefinitionError(path, "migration", "must be a table of [migration.from_N] sections")
    out: dict[int, dict[str, str]] = {}
    for key, body in section.items():
        where = f"migration.{key}"
        m = SECTION_RE.match(key)
        if m is None:
            raise DefinitionError(path, where, "must be named from_N, N being the older version it maps from")
        older = int(m.group(1))
        if not 1 <= older < version:
            raise DefinitionError(path, where, f"maps from version {older}, which is not older than {version}")
        if not isinstance(body, dict) or set(body) - {"states"}:
            raise DefinitionError(path, where, "may only hold states = { old = \"new\" }")
        mapping = body.get("states", {})
        if not isinstance(mapping, dict):
            raise DefinitionError(path, f"{where}.states", "must be a table { old = \"new\" }")
        for old, new in mapping.items():
            if not isinstance(new, str) or new not in states:
                raise DefinitionError(path, f"{where}.states.{old}", f"maps to unknown state {new!r}")
        out[older] = dict(mapping)
    return out


def state_map(migrations: dict[int, dict[str, str]], older: int, old_states: set[str], states: set[str]) -> dict[str, str]:
    """Every state of version `older` that has a mapping, to its state in this version."""
    declared = migrations.get(older, {})
    same = {s: s for s in old_states if s in states}
    return {**same, **{k: v for k, v in declared.items() if k in old_states}}
