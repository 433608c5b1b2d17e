"""Public statistics of the register, with small counts suppressed.

Why suppression: in a district of a few communes, "1 report from commune X in March" can name a
person. A count of 1 or 2 is shown as "< 3" (primary suppression); when a column has exactly one
such cell, its total would give it away, so the smallest count of 3 or more in that column is
shown as "≥ 3" too (secondary suppression). Zero identifies nobody and is shown.

"Handled within the deadline": the handling decision was recorded before the deadline the case
had at that moment, recomputed from its history (engine.deadlines.recompute_deadline), so the
answer does not depend on the timer sweep having run. One calendar year (Hà Nội time) at a time.
"""

from __future__ import annotations

from collections import Counter, defaultdict
from dataclasses import dataclass, field
from datetime import datetime

from sqlalchemy import select
from sqlalchemy.orm import Session

from engine.calendar import WorkingCalendar
from engine.clock import LOCAL_TZ
from engine.deadlines import recompute_deadline
from engine.models import Case, CaseEvent, Unit
from engine.register import WORKFLOW, year_bounds
from engine.registry import DefinitionRegistry

THRESHOLD = 3
COMMUNE_UNIT_TYPE = "party_cell"  # the grassroots party cells of the communes and the town


@dataclass(frozen=True)
class Cell:
    n: int
    hidden: str = ""  # "", "primary" (shown "< 3") or "secondary" (shown "≥ 3")

    @property
    def text(self) -> str:
        if self.hidden == "primary":
            return f"< {THRESHOLD}"
        if self.hidden == "secondary":
            return f"≥ {THRESHOLD}"
        return str(self.n)

    def public(self) -> int | str:
        """What may leave the server (JSON): the number, or the suppressed text."""
        return self.text if self.hidden else self.n


@dataclass(frozen=True)
class Row:
    key: str
    cells: tuple[Cell, ...]


@dataclass(frozen=True)
class Table:
    columns: tuple[str, ...]
    rows: tuple[Row, ...]
    totals: tuple[Cell, ...]


@dataclass(frozen=True)
class Statistics:
    year: int
    headline: dict[str, Cell]
    by_month: Table
    by_kind: Table
    by_commune: Table
    commune_names: dict[str, str] = field(default_factory=dict)


def _primary(n: int) -> Cell:
    return Cell(n, "primary") if 0 < n < THRESHOLD else Cell(n)


def suppress_table(columns: tuple[str, ...], raw: list[tuple[str, list[int]]]) -> Table:
    """Primary then secondary suppression, column by column; totals suppressed like any cell."""
    grid = [[_primary(n) for n in counts] for _, counts in raw]
    for c in range(len(columns)):
        primary = [r for r in range(len(grid)) if grid[r][c].hidden == "primary"]
        if len(primary) == 1:
            visible = [r for r in range(len(grid)) if not grid[r][c].hidden and grid[r][c].n >= THRESHOLD]
            if visible:
                r = min(visible, key=lambda i: grid[i][c].n)
                grid[r][c] = Cell(grid[r][c].n, "secondary")
    totals = tuple(_primary(sum(counts[c] for _, counts in raw)) for c in range(len(columns)))
    rows = tuple(Row(key, tuple(cells)) for (key, _), cells in zip(raw, grid, strict=True))
    return Table(columns, rows, totals)


def _month(at: datetime) -> int:
    return at.astimezone(LOCAL_TZ).month


def statistics(session: Session, registry: DefinitionRegistry, calendar: WorkingCalendar, year: int) -> Statistics:
    defn = registry.latest(WORKFLOW)
    start, end = year_bounds(year)
    in_wf = Case.workflow_name == WORKFLOW
    received = session.execute(
        select(Case.created_at, Case.kind, Case.filing_unit_id).where(in_wf, Case.created_at >= start, Case.created_at < end)
    ).all()
    moves = session.execute(
        select(CaseEvent.case_id, CaseEvent.seq, CaseEvent.trigger, CaseEvent.at, Case.kind)
        .join(Case, Case.id == CaseEvent.case_id)
        .where(in_wf, CaseEvent.trigger.in_(("handle", "publish")), CaseEvent.at >= start, CaseEvent.at < end)
    ).all()  # fmt: skip

    handled = [m for m in moves if m.trigger == "handle"]
    on_time = _handled_on_time(session, registry, calendar, handled)

    month = {k: [0, 0, 0, 0] for k in range(1, 13)}
    kind = {k: [0, 0] for k in defn.lists.get("violation_kinds", {})}
    for at, k, _unit in received:
        month[_month(at)][0] += 1
        if k in kind:
            kind[k][0] += 1
    for m in moves:
        col = 1 if m.trigger == "handle" else 3
        month[_month(m.at)][col] += 1
        if m.trigger == "publish" and m.kind in kind:
            kind[m.kind][1] += 1
    for m in handled:
        if (m.case_id, m.seq) in on_time:
            month[_month(m.at)][2] += 1

    communes = dict(session.execute(select(Unit.id, Unit.name).where(Unit.type == COMMUNE_UNIT_TYPE).order_by(Unit.name)).all())
    by_unit = Counter(u for _, _, u in received if u in communes)

    by_month = suppress_table(("received", "handled", "handled_on_time", "published"),
                              [(f"{year}-{k:02d}", v) for k, v in month.items()])  # fmt: skip
    by_kind = suppress_table(("received", "published"), [(k, v) for k, v in kind.items()])
    by_commune = suppress_table(("received",), [(str(uid), [by_unit[uid]]) for uid in communes])
    headline = dict(zip(by_month.columns, by_month.totals, strict=True))
    return Statistics(year, headline, by_month, by_kind, by_commune, {str(k): v for k, v in communes.items()})


def _handled_on_time(session: Session, registry: DefinitionRegistry, calendar: WorkingCalendar,
                     handled: list) -> set[tuple[int, int]]:  # fmt: skip
    """(case id, seq) of the handle events recorded before the deadline the case had just before them."""
    if not handled:
        return set()
    ids = {m.case_id for m in handled}
    history: dict[int, list[CaseEvent]] = defaultdict(list)
    for ev in session.scalars(select(CaseEvent).where(CaseEvent.case_id.in_(ids)).order_by(CaseEvent.case_id, CaseEvent.seq)):
        history[ev.case_id].append(ev)
    versions = dict(session.execute(select(Case.id, Case.workflow_version).where(Case.id.in_(ids))).all())
    out = set()
    for m in handled:
        defn = registry.get(WORKFLOW, versions[m.case_id])
        deadline, _ = recompute_deadline([e for e in history[m.case_id] if e.seq < m.seq], defn, calendar)
        if deadline is None or m.at <= deadline:
            out.add((m.case_id, m.seq))
    return out
