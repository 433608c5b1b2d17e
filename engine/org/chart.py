"""The organisation as a tree of typed units, and the relations a definition speaks of.

A definition says "the intake body" or "the publishing body" as a unit *type*; the unit that
plays it for a case is the one of that type nearest to the filing unit in the tree, so the
same definition serves a district with many offices and a province of merged communes.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass

from sqlalchemy import select
from sqlalchemy.orm import Session

from engine.store.models import CaseRow, Unit
from workflows.definition import Definition


@dataclass(frozen=True)
class OrgChart:
    parent: dict[int, int | None]
    type: dict[int, str]
    children: dict[int | None, list[int]]
    by_code: dict[str, int]

    @classmethod
    def load(cls, session: Session) -> OrgChart:
        rows = session.execute(select(Unit.id, Unit.parent_id, Unit.type, Unit.code).where(Unit.active.is_(True))).all()
        children: dict[int | None, list[int]] = {}
        for uid, pid, _, _ in rows:
            children.setdefault(pid, []).append(uid)
        return cls({r[0]: r[1] for r in rows}, {r[0]: r[2] for r in rows}, children, {r[3]: r[0] for r in rows})

    def lookup(self, value: object) -> tuple[int, str] | None:
        """A unit by id or code: (id, type), or None when there is no such active unit."""
        text = str(value).strip()
        uid = int(text) if text.isdigit() else self.by_code.get(text)
        return (uid, self.type[uid]) if uid in self.type else None

    def nearest_of_type(self, unit_type: str, near: int | None) -> int | None:
        """Walk up from `near`; at each ancestor search its subtree breadth-first."""
        seen: set[int] = set()
        node: int | None = near
        while True:
            queue = [node] if node is not None else list(self.children.get(None, []))
            while queue:
                u = queue.pop(0)
                if u in seen:
                    continue
                seen.add(u)
                if self.type.get(u) == unit_type:
                    return u
                queue.extend(self.children.get(u, []))
            if node is None:
                return None
            node = self.parent.get(node)


def resolve_relation(defn: Definition, relation: str, case: CaseRow, chart: Callable[[], OrgChart]) -> int | None:
    if relation == "filing_unit":
        return case.filing_unit_id
    if relation == "assigned_unit":
        return case.assigned_unit_id
    if relation == "handling_unit":
        return case.handling_unit_id or case.assigned_unit_id
    spec = defn.relations[relation]
    return chart().nearest_of_type(spec["unit_type"], case.filing_unit_id)
