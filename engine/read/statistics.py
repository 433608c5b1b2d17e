"""The figures of the dashboard and the periodic report, computed by aggregate queries in the database.

Nothing here loads cases into Python: every figure is a GROUP BY / COUNT over an index range
(cases by `created_at`, history events by `(trigger, at)`), and the durations are joined to the
working-day index (engine/store/report_models.py), so a million cases cost a few index scans.

Definitions (the issue left them open; chosen to match how the plan's reports are read):
- "opened in the period": filed (created) in it; the breakdowns by state, kind, handling unit and
  commune (filing unit) count those cases, by their state *now*.
- "closed in the period": transitions into a terminal state (dismiss, publish, withhold) in it.
- assessed / dismissed / handled / published: cases with such an event in the period.
- time to assess: filing -> the case's *first* assessment decision (assess or dismiss), for
  first decisions made in the period; time to handle: the last `assess` before a `handle` ->
  that `handle`, for handlings in the period. Both in working days, (start, end] as
  `WorkingCalendar.working_days_between` counts them; the reporter's answering time is included.
- within the deadline: handled no later than the handling stage's time limit in the
  definition (15 working days) plus the extensions granted in that stage.
- overdue / escalated now: a snapshot when the figures are computed, as the overview shows it.
Percentiles are `percentile_cont` (linear interpolation), computed from a per-duration histogram
the database groups, so SQLite and PostgreSQL give the same numbers from one code path.
"""

from __future__ import annotations

import math
from dataclasses import dataclass, field
from datetime import date, datetime
from typing import Any

from sqlalchemy import ColumnElement, Date, Select, and_, case, cast, false, func, literal, or_, select, text, union_all
from sqlalchemy.orm import Session, aliased

from engine.cases.policy import scope_clause
from engine.cases.registry import DefinitionRegistry
from engine.org.actors import Actor
from engine.store.models import Case, CaseEvent
from engine.store.report_models import WorkingDayIndex
from engine.time.calendar import WorkingCalendar
from engine.time.clock import LOCAL_TZ, Clock
from engine.time.deadlines import EXTEND_TRIGGER
from engine.time.periods import Month, Period
from engine.time.workday_index import is_current


@dataclass(frozen=True)
class Stages:
    """Which triggers mark the stages a press-violation report measures (names from the definition)."""

    workflow: str = "press_violation"
    decide: tuple[str, ...] = ("assess", "dismiss")
    assess: str = "assess"
    dismiss: str = "dismiss"
    handle: str = "handle"
    publish: str = "publish"
    handling_state: str = "assessed"


PRESS = Stages()


@dataclass(frozen=True)
class Scope:
    """The whole district (unit_id None) or one unit: the cases it holds or handled (the policy's `handling_unit`)."""

    workflow: str = PRESS.workflow
    unit_id: int | None = None


DISTRICT = Scope()


@dataclass(frozen=True)
class Durations:
    n: int
    median: float | None
    p90: float | None
    histogram: tuple[tuple[int, int], ...] = ()  # (working days, cases)


@dataclass(frozen=True)
class MonthFigures:
    month: Month
    start: date
    end: date
    opened: int
    closed: int


@dataclass
class Figures:
    period: Period
    scope: Scope
    computed_at: datetime
    opened: int = 0
    closed: int = 0
    assessed: int = 0
    dismissed: int = 0
    handled: int = 0
    published: int = 0
    open_now: int = 0
    overdue_now: int = 0
    escalated_now: int = 0
    by_state: dict[str, int] = field(default_factory=dict)
    by_kind: dict[str | None, int] = field(default_factory=dict)
    by_handling_unit: dict[int | None, int] = field(default_factory=dict)
    by_filing_unit: dict[int, int] = field(default_factory=dict)
    per_month: list[MonthFigures] = field(default_factory=list)
    time_to_assess: Durations = Durations(0, None, None)
    time_to_handle: Durations = Durations(0, None, None)
    handled_in_time: int = 0
    handled_measured: int = 0

    @property
    def share_in_time(self) -> float | None:
        """Share of handlings within the deadline, 0..1 (None when nothing was handled)."""
        return self.handled_in_time / self.handled_measured if self.handled_measured else None


def percentile_cont(histogram: list[tuple[int, int]] | tuple[tuple[int, int], ...], p: float) -> float | None:
    """PostgreSQL's percentile_cont over the values a histogram stands for (value, count), sorted by value."""
    n = sum(c for _, c in histogram)
    if n == 0:
        return None
    pos = p * (n - 1)
    lo_i, hi_i = math.floor(pos), math.ceil(pos)

    def value_at(i: int) -> int:
        seen = 0
        for v, c in histogram:
            seen += c
            if i < seen:
                return v
        return histogram[-1][0]

    lo_v, hi_v = value_at(lo_i), value_at(hi_i)
    return lo_v + (hi_v - lo_v) * (pos - lo_i)


def local_day(col: Any, dialect: str) -> ColumnElement[Any]:
    """The Hà Nội calendar date of a stored UTC timestamp, in SQL (the working-day index's key)."""
    if dialect == "postgresql":
        return cast(func.timezone(LOCAL_TZ.key, col), Date)
    hours = int(LOCAL_TZ.utcoffset(datetime(2000, 1, 1)).total_seconds() // 3600)  # type: ignore[union-attr]
    return func.date(col, f"{hours:+d} hours")  # Vietnam has kept UTC+7, without DST, since 1975


def scope_filter(scope: Scope) -> ColumnElement[bool]:
    cond = Case.workflow_name == scope.workflow
    if scope.unit_id is not None:
        # the same rule that decides what a handler or unit leader may see (engine.cases.policy)
        cond = and_(cond, scope_clause("handling_unit", Actor(None, scope.unit_id, frozenset())))
    return cond


def month_edges(period: Period) -> list[tuple[datetime, datetime]]:
    """The UTC bounds [lo, hi) of each reporting month: the figures count each month as its own index range."""
    lo, hi = period.utc_bounds()
    uppers = [Period(m_hi, m_hi, "dates", "", period.start_day).utc_bounds()[1] for _m, _lo, m_hi in period.months()[:-1]]
    edges = [lo, *uppers, hi]
    return list(zip(edges[:-1], edges[1:], strict=True))


def closing_triggers(registry: DefinitionRegistry, workflow: str) -> list[str]:
    """Triggers that move a case from an open state into a terminal one, in any version of the workflow."""
    out: set[str] = set()
    for d in registry.all():
        if d.name != workflow:
            continue
        for t in d.transitions:
            if d.states[t.dest].terminal and any(not d.states[s].terminal for s in t.sources):
                out.add(t.trigger)
    return sorted(out)


def allowed_days(registry: DefinitionRegistry, workflow: str, state: str) -> dict[int, int]:
    """The handling stage's time limit in working days, per definition version."""
    out = {}
    for d in registry.all():
        spec = d.states.get(state)
        if d.name == workflow and spec is not None and spec.deadline is not None:
            out[d.version] = spec.deadline.days
    return out


def compute(session: Session, registry: DefinitionRegistry, calendar: WorkingCalendar, clock: Clock, period: Period,
            scope: Scope = DISTRICT, stages: Stages = PRESS) -> Figures:  # fmt: skip
    """Every figure of the dashboard and report, for one period and scope.

    The working-day index must cover the period under `calendar` (workday_index.ensure, which
    reporting.make_report calls); the durations are wrong otherwise, so this checks it.
    """
    if not is_current(session, calendar, clock, period.start, period.end):
        raise RuntimeError("the working-day index is stale: call engine.time.workday_index.ensure(rt, ...) first")
    now = clock.now()
    lo, hi = period.utc_bounds()
    dialect = session.get_bind().dialect.name
    if dialect == "postgresql":
        # The duration queries are estimated costly (many index probes), so PostgreSQL compiles them with JIT:
        # ~0.4 s each on the annual bench for queries that run in ~1 s. Off for this transaction only.
        session.execute(text("SET LOCAL jit = off"))
    in_scope = scope_filter(scope)
    fig = Figures(period, scope, now)

    # One pass over the cases opened in the period: every breakdown and the months, grouped together
    # (a few thousand groups at most), instead of one scan per breakdown. Each month is its own range of
    # ix_cases_workflow_created (UNION ALL): no month CASE per case, and twelve small sorts instead of one large.
    opened_m: dict[int, int] = {}
    parts = [
        select(Case.state, Case.kind, Case.handling_unit_id, Case.filing_unit_id, literal(i).label("m"), func.count().label("n"))
        .where(in_scope, Case.created_at >= m_lo, Case.created_at < m_hi)
        .group_by(Case.state, Case.kind, Case.handling_unit_id, Case.filing_unit_id)
        for i, (m_lo, m_hi) in enumerate(month_edges(period))
    ]  # fmt: skip
    for state, kind, handling, filing, m, n in session.execute(union_all(*parts)):
        for target, key in ((fig.by_state, state), (fig.by_kind, kind), (fig.by_handling_unit, handling),
                            (fig.by_filing_unit, filing), (opened_m, m)):  # fmt: skip
            target[key] = target.get(key, 0) + n  # type: ignore[index, arg-type]
    fig.opened = sum(fig.by_state.values())

    # The period's events of the counted triggers, by trigger and month: one range of ix_case_events_trigger_at
    # per month, counted in index order (UNION ALL), rather than a month CASE per event and a sort of them all,
    # which cost SQLite eight times as much on a year of a million-case district.
    closing = closing_triggers(registry, scope.workflow)
    counted = sorted({stages.assess, stages.dismiss, stages.handle, stages.publish, *closing})
    join_case = needs_case_join(registry, scope, counted)
    event_parts: list[Select[str, int, int]] = []
    for i, (m_lo, m_hi) in enumerate(month_edges(period)):
        part = select(CaseEvent.trigger, literal(i).label("m"), func.count().label("n")).where(
            CaseEvent.trigger.in_(counted), CaseEvent.at >= m_lo, CaseEvent.at < m_hi)
        if join_case:
            part = part.join(Case, Case.id == CaseEvent.case_id).where(in_scope)
        event_parts.append(part.group_by(CaseEvent.trigger))
    closed_m: dict[int, int] = {}
    per_trigger: dict[str, int] = {}
    for trigger, m, n in session.execute(union_all(*event_parts)):
        per_trigger[trigger] = per_trigger.get(trigger, 0) + n
        if trigger in closing:
            closed_m[m] = closed_m.get(m, 0) + n
    months = period.months()
    fig.per_month = [MonthFigures(m, a, b, opened_m.get(i, 0), closed_m.get(i, 0)) for i, (m, a, b) in enumerate(months)]
    fig.closed = sum(closed_m.values())
    fig.assessed, fig.dismissed = per_trigger.get(stages.assess, 0), per_trigger.get(stages.dismiss, 0)
    fig.handled, fig.published = per_trigger.get(stages.handle, 0), per_trigger.get(stages.publish, 0)

    # The snapshot, in one pass over the open cases.
    overdue = Case.deadline_at < now
    snap = select(func.count(), func.coalesce(func.sum(case((overdue, 1), else_=0)), 0),
                  func.coalesce(func.sum(case((and_(overdue, Case.escalation_level > 0), 1), else_=0)), 0)
                  ).where(in_scope, Case.closed == false())  # fmt: skip
    fig.open_now, fig.overdue_now, fig.escalated_now = (int(x) for x in session.execute(snap).one())

    fig.time_to_assess = _time_to_assess(session, dialect, lo, hi, in_scope, stages)
    fig.time_to_handle, fig.handled_in_time = _time_to_handle(session, registry, dialect, lo, hi, scope, in_scope, stages)
    fig.handled_measured = fig.time_to_handle.n
    return fig


def needs_case_join(registry: DefinitionRegistry, scope: Scope, triggers: list[str] | tuple[str, ...]) -> bool:
    """Events need their case only to filter by scope: not for the whole district when no other
    workflow has a trigger of these names (then the trigger alone says the workflow)."""
    if scope.unit_id is not None:
        return True
    return any(t.trigger in triggers for d in registry.all() if d.name != scope.workflow for t in d.transitions)


def _durations(histogram: list[tuple[int, int]]) -> Durations:
    histogram = sorted(histogram)
    return Durations(sum(c for _, c in histogram), percentile_cont(histogram, 0.5), percentile_cont(histogram, 0.9),
                     tuple(histogram))  # fmt: skip


def _time_to_assess(session: Session, dialect: str, lo: datetime, hi: datetime, in_scope: ColumnElement[bool],
                    stages: Stages) -> Durations:  # fmt: skip
    """Group the first decisions by (day filed, day decided) first: a few thousand pairs, looked up in
    the working-day index once each, instead of two index lookups per case."""
    e, prior = aliased(CaseEvent), aliased(CaseEvent)
    # EXISTS (SELECT seq ...), not SELECT *: SQLite counts `*` as reading every column, so it would fetch each
    # case's filing event from the table instead of answering from ix_case_events_case_seq_trigger.
    first_decision = ~select(prior.seq).where(prior.case_id == e.case_id, prior.trigger.in_(stages.decide),
                                              prior.seq < e.seq).exists()  # fmt: skip
    pairs = (
        select(local_day(Case.created_at, dialect).label("a"), local_day(e.at, dialect).label("b"), func.count().label("n"))
        .select_from(e)
        .join(Case, Case.id == e.case_id)
        .where(e.trigger.in_(stages.decide), e.at >= lo, e.at < hi, in_scope, first_decision)
        .group_by("a", "b")
    ).subquery()
    return _durations(_histogram(session, pairs))


def _histogram(session: Session, pairs: Any, ok: ColumnElement[Any] | None = None) -> list[tuple[int, int]]:
    wa, wb = aliased(WorkingDayIndex), aliased(WorkingDayIndex)
    d = (wb.seq - wa.seq).label("d")
    q = (select(d, func.sum(pairs.c.n)).select_from(pairs).join(wa, wa.day == pairs.c.a).join(wb, wb.day == pairs.c.b)
         .group_by(d))  # fmt: skip
    return [(int(x), int(n)) for x, n in session.execute(q)]


def _time_to_handle(session: Session, registry: DefinitionRegistry, dialect: str, lo: datetime, hi: datetime,
                    scope: Scope, in_scope: ColumnElement[bool], stages: Stages) -> tuple[Durations, int]:  # fmt: skip
    """Per handling: the last assessment before it, and the working days granted by extensions in between;
    grouped by (day assessed, day handled, limit) before the working-day lookups."""
    h, a, later, x = aliased(CaseEvent), aliased(CaseEvent), aliased(CaseEvent), aliased(CaseEvent)
    # "The last assessment before the handling" as a join with an anti-join (no assessment between the two),
    # not a correlated max(seq) plus a second lookup of that event: SQLite evaluated the scalar subquery once
    # per place it was referenced, and both forms are answered by ix_case_events_case_seq_trigger alone.
    # (checked only when an event fits between the two: seq are integers, and most handlings follow their assessment)
    later_assess = select(later.seq).where(later.case_id == h.case_id, later.trigger == stages.assess, later.seq > a.seq,
                                           later.seq < h.seq).exists()  # fmt: skip
    no_later_assess = or_(h.seq - a.seq <= 1, ~later_assess)
    limits = allowed_days(registry, scope.workflow, stages.handling_state)
    per_version = len(set(limits.values())) > 1
    # Only look for extensions when an event fits between the two (seq are integers): most handlings follow
    # their assessment directly, and SQLite evaluates this subquery both in the SELECT and in the GROUP BY.
    extended = case((h.seq - a.seq > 1, (
        select(func.coalesce(func.sum(x.data["working_days"].as_integer()), 0))
        .where(x.case_id == h.case_id, x.trigger == EXTEND_TRIGGER, x.seq > a.seq, x.seq < h.seq)
        .scalar_subquery()
    )), else_=0)  # fmt: skip
    default_limit = max(limits.values(), default=0)
    limit: Any = default_limit
    if per_version:
        limit = case(*[(Case.workflow_version == v, days) for v, days in limits.items()], else_=default_limit)
    pairs_q = (
        select(local_day(a.at, dialect).label("a"), local_day(h.at, dialect).label("b"), (limit + extended).label("lim"),
               func.count().label("n"))
        .select_from(h)
        .join(a, and_(a.case_id == h.case_id, a.trigger == stages.assess, a.seq < h.seq))
        .where(h.trigger == stages.handle, h.at >= lo, h.at < hi, no_later_assess)
        .group_by("a", "b", "lim")
    )  # fmt: skip
    if per_version or needs_case_join(registry, scope, (stages.handle, stages.assess)):
        pairs_q = pairs_q.join(Case, Case.id == h.case_id).where(in_scope)
    pairs = pairs_q.subquery()
    wa, wb = aliased(WorkingDayIndex), aliased(WorkingDayIndex)
    d = (wb.seq - wa.seq).label("d")
    ok = case((wb.seq - wa.seq <= pairs.c.lim, 1), else_=0).label("ok")
    q = (select(d, ok, func.sum(pairs.c.n)).select_from(pairs).join(wa, wa.day == pairs.c.a).join(wb, wb.day == pairs.c.b)
         .group_by(d, ok))  # fmt: skip
    hist: dict[int, int] = {}
    in_time = 0
    for dd, is_ok, n in session.execute(q):
        hist[int(dd)] = hist.get(int(dd), 0) + int(n)
        in_time += int(n) if is_ok else 0
    return _durations(list(hist.items())), in_time
