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

Every number is computed by engine/read/figures.py, the module the dashboard and the periodic report
read: the same calendar months, the same "handled within the deadline" rule (an extension granted
after the deadline had passed does not make a late case punctual), so the register and the report
never give two answers for one month. Which workflow's results these are is its `[register]` and
its `[reporting]` sections.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import UTC, date, datetime, timedelta

from sqlalchemy.orm import Session

from engine.cases.registry import DefinitionRegistry
from engine.read.figures import Scope, compute
from engine.read.public_register import year_bounds
from engine.time.calendar import WorkingCalendar
from engine.time.clock import LOCAL_TZ, FrozenClock
from engine.time.periods import Period

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


def published_until(now: datetime) -> datetime:
    """The UTC instant up to which figures are public: the start of the newest month that ended
    PUBLICATION_DELAY_DAYS days or more before `now`, as a boundary (exclusive)."""
    local = (now - timedelta(days=PUBLICATION_DELAY_DAYS)).astimezone(LOCAL_TZ)
    return datetime(local.year, local.month, 1, tzinfo=LOCAL_TZ).astimezone(UTC)


def statistics(session: Session, registry: DefinitionRegistry, calendar: WorkingCalendar, year: int,
               now: datetime, workflow: str) -> Statistics:  # fmt: skip
    """The published months of `year` for one workflow, from the figures module (the index must be current)."""
    defn = registry.latest(workflow)
    start, year_end = year_bounds(year)
    end = min(year_end, published_until(now))
    months = 0 if end <= start else (12 if end >= year_end else end.astimezone(LOCAL_TZ).month - 1)
    kind_list = defn.reporting.kind_list if defn.reporting else None
    kind = {k: [0, 0] for k in defn.lists.get(kind_list, {})} if kind_list else {}
    month = {k: [0, 0, 0, 0] for k in range(1, months + 1)}
    if months:
        last = (end - timedelta(seconds=1)).astimezone(LOCAL_TZ).date()
        period = Period(date(year, 1, 1), last, "dates", f"{year}-01-01..{last.isoformat()}")
        fig = compute(session, registry, calendar, FrozenClock(now), period, Scope(workflow))
        for i, m in enumerate(fig.per_month, 1):
            month[i] = [m.opened, m.handled, m.handled_in_time, m.published]
        for k in kind:
            kind[k] = [fig.by_kind.get(k, 0), fig.published_by_kind.get(k, 0)]
    by_month = suppress_table(("received", "handled", "handled_on_time", "published"),
                              [(f"{year}-{k:02d}", v) for k, v in month.items()])  # fmt: skip
    by_kind = suppress_table(("received", "published"), [(k, v) for k, v in kind.items()])
    headline = dict(zip(by_month.columns, by_month.totals, strict=True))
    through = (end - timedelta(seconds=1)).astimezone(LOCAL_TZ).date() if months else None
    return Statistics(year, headline, by_month, by_kind, months, through)
