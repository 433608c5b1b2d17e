"""Public statistics of the register, with small counts suppressed.

Why suppression: in a district of a few communes, "1 report from commune X in March" can name a
person. A count of 1 or 2 is shown as "< 3" (primary suppression); when a column has exactly one
such cell, its total would give it away, so the smallest count of 3 or more in that column is
shown as "≥ 3" too (secondary suppression). Zero identifies nobody and is shown.

What is never published, and when the rest is: the statistics have no breakdown by filing unit or
commune, and count only calendar months that ended at least PUBLICATION_DELAY_DAYS days ago. A
count by commune that moves when a report is filed names the commune of that report (and the
register's sequential references name the case), whatever the suppression of small numbers; a
month's figures that appear a month after it closed mix every filing of that month, so watching
the page ties no filing to its day, and the page (its ETag and Last-Modified too) changes only when
a month is published. Monthly, because the plan's periodic reports are monthly.

"Handled within the deadline": the handling decision was recorded before the deadline the case
had at that moment, recomputed from its history (engine.time.deadlines.recompute_deadline), so the
answer does not depend on the timer sweep having run. One calendar year (Hà Nội time) at a time.
"""

from __future__ import annotations

from collections import defaultdict
from dataclasses import dataclass
from datetime import UTC, date, datetime, timedelta

from sqlalchemy import select
from sqlalchemy.orm import Session

from engine.cases.registry import DefinitionRegistry
from engine.read.public_register import WORKFLOW, year_bounds
from engine.store.models import Case, CaseEvent
from engine.time.calendar import WorkingCalendar
from engine.time.clock import LOCAL_TZ
from engine.time.deadlines import recompute_deadline, versions_along
from workflows.definition import Definition

THRESHOLD = 3
PUBLICATION_DELAY_DAYS = 30  # a month is published once it has been over for this many days


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
    published_months: int = 12  # months of the year published so far (1..12), 0 when none yet
    published_through: date | None = None  # the last day counted, Hà Nội time


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


def published_until(now: datetime) -> datetime:
    """The UTC instant up to which figures are public: the start of the newest month that ended
    PUBLICATION_DELAY_DAYS days or more before `now`, as a boundary (exclusive)."""
    local = (now - timedelta(days=PUBLICATION_DELAY_DAYS)).astimezone(LOCAL_TZ)
    return datetime(local.year, local.month, 1, tzinfo=LOCAL_TZ).astimezone(UTC)


def statistics(session: Session, registry: DefinitionRegistry, calendar: WorkingCalendar, year: int,
               now: datetime) -> Statistics:  # fmt: skip
    defn = registry.latest(WORKFLOW)
    start, year_end = year_bounds(year)
    end = min(year_end, published_until(now))
    months = 0 if end <= start else (12 if end >= year_end else end.astimezone(LOCAL_TZ).month - 1)
    in_wf = Case.workflow_name == WORKFLOW
    received = session.execute(
        select(Case.created_at, Case.kind).where(in_wf, Case.created_at >= start, Case.created_at < end)
    ).all()
    moves = session.execute(
        select(CaseEvent.case_id, CaseEvent.seq, CaseEvent.trigger, CaseEvent.at, Case.kind)
        .join(Case, Case.id == CaseEvent.case_id)
        .where(in_wf, CaseEvent.trigger.in_(("handle", "publish")), CaseEvent.at >= start, CaseEvent.at < end)
    ).all()  # fmt: skip

    handled = [m for m in moves if m.trigger == "handle"]
    on_time = _handled_on_time(session, registry, calendar, handled)

    month = {k: [0, 0, 0, 0] for k in range(1, months + 1)}
    kind = {k: [0, 0] for k in defn.lists.get("violation_kinds", {})}
    for at, k in received:
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

    by_month = suppress_table(("received", "handled", "handled_on_time", "published"),
                              [(f"{year}-{k:02d}", v) for k, v in month.items()])  # fmt: skip
    by_kind = suppress_table(("received", "published"), [(k, v) for k, v in kind.items()])
    headline = dict(zip(by_month.columns, by_month.totals, strict=True))
    through = (end - timedelta(seconds=1)).astimezone(LOCAL_TZ).date() if months else None
    return Statistics(year, headline, by_month, by_kind, months, through)


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
    def definitions(v: int) -> Definition:
        return registry.get(WORKFLOW, v)

    for m in handled:
        events = history[m.case_id]
        before = [e for e in events if e.seq < m.seq]
        # The version in force then: a case moved to a newer version later replays its past under the older one.
        defn = versions_along(events, definitions(versions[m.case_id]), definitions)[len(before) - 1] if before \
            else definitions(versions[m.case_id])
        deadline, _ = recompute_deadline(before, defn, calendar, definitions)
        if deadline is None or m.at <= deadline:
            out.add((m.case_id, m.seq))
    return out
