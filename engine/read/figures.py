"""Every figure the dashboard, the periodic report and the public register's statistics show: one module.

The three surfaces read these numbers and nothing else, so they cannot disagree. Which transitions
and fields a figure counts is the workflow's `[reporting]` section (workflows/definition.py); no
workflow's name, trigger or field is written here.

Nothing here loads cases into Python: every figure is a GROUP BY / COUNT over an index range
(cases by `created_at`, history events by `(trigger, at)`), and the durations are joined to the
working-day index (engine/store/report_models.py), so a million cases cost a few index scans.

The period rule (engine/time/periods.py): calendar months, quarters and years in Asia/Ho_Chi_Minh,
for every view. The definitions of the figures:
- "opened in the period": filed (created) in it; the breakdowns by state, kind, handling unit and
  filing unit count those cases, by their state *now*.
- "closed in the period": transitions into a terminal state in it.
- assessed / dismissed / handled / published: events of the `[reporting]` triggers in the period.
- time to assess: filing -> the case's *first* decision (assessed or dismissed), for first
  decisions made in the period; time to handle: the start of the handling stage (the last
  transition into `[reporting] handling_state`) -> the handling, for handlings in the period. Both
  in working days, (start, end] as `WorkingCalendar.working_days_between` counts them.
- handled within the deadline (`in_time`): the handling was recorded no later than the deadline the
  case had at that moment, replayed from its history (extensions included), AND no extension in
  that stage was granted after the deadline it extended had already passed. A late case stays late:
  an extension granted once the time was up gives the handler a new date to work to, but does not
  turn a missed deadline into a kept one. Handlings without an extension (nearly all) are decided
  in SQL from the working-day index; the few with one are replayed in Python by the same deadline
  code the engine uses (engine/time/deadlines.py).
- overdue / escalated now: a snapshot when the figures are computed, as the overview shows it.
Percentiles are `percentile_cont` (linear interpolation), computed from a per-duration histogram
the database groups, so SQLite and PostgreSQL give the same numbers from one code path.
"""

from __future__ import annotations

import math
from collections import defaultdict
from collections.abc import Callable
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
from engine.time.deadlines import EXTEND_TRIGGER, recompute_deadline, versions_along
from engine.time.periods import Month, Period
from engine.time.workday_index import is_current
from workflows.definition import Definition


@dataclass(frozen=True)
class Stages:
    """The triggers and the handling state a workflow's figures count, from its `[reporting]` section."""

    workflow: str
    decide: tuple[str, ...]
    assess: tuple[str, ...]
    dismiss: tuple[str, ...]
    handle: tuple[str, ...]
    publish: tuple[str, ...]
    handling_state: str
    stage_start: tuple[str, ...]  # the transitions that start the handling stage (enter it from elsewhere)

    @classmethod
    def of(cls, defn: Definition) -> Stages:
        r = defn.reporting
        if r is None:
            raise ValueError(f"workflow {defn.name!r} has no [reporting] section: it has no figures")
        starts = tuple(sorted({t.trigger for t in defn.transitions
                               if t.dest == r.handling_state and r.handling_state not in t.sources}))  # fmt: skip
        return cls(defn.name, r.decided, r.assessed, r.dismissed, r.handled, r.published, r.handling_state, starts)


def reporting_workflows(registry: DefinitionRegistry) -> list[Definition]:
    """The newest version of every workflow with a `[reporting]` section, in the order its `position` says."""
    found = [d for d in registry.latest_all() if d.reporting is not None]
    return sorted(found, key=lambda d: (d.reporting.position if d.reporting else 0, d.name))


def default_workflow(registry: DefinitionRegistry) -> str:
    found = reporting_workflows(registry)
    if not found:
        raise ValueError("no loaded workflow has a [reporting] section")
    return found[0].name


def stages_for(registry: DefinitionRegistry, workflow: str) -> Stages:
    return Stages.of(registry.latest(workflow))


@dataclass(frozen=True)
class Scope:
    """One workflow (None: the first the dashboard lists), for the whole district (unit_id None) or one
    unit: the cases it holds or handled (the policy's `handling_unit`)."""

    workflow: str | None = None
    unit_id: int | None = None

    def resolved(self, registry: DefinitionRegistry) -> Scope:
        return self if self.workflow else Scope(default_workflow(registry), self.unit_id)


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
    handled: int = 0
    handled_in_time: int = 0
    published: int = 0


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
    published_by_kind: dict[str | None, int] = field(default_factory=dict)
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
    if not scope.workflow:
        raise ValueError("resolve the scope's workflow first (Scope.resolved)")
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


def _month_index(period: Period) -> dict[date, int]:
    """Local date -> the index of its month in `period.months()`."""
    out: dict[date, int] = {}
    for i, (_m, a, b) in enumerate(period.months()):
        day = a
        while day <= b:
            out[day] = i
            day = date.fromordinal(day.toordinal() + 1)
    return out


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
    """The handling stage's time limit, per definition version."""
    out = {}
    for d in registry.all():
        spec = d.states.get(state)
        if d.name == workflow and spec is not None and spec.deadline is not None:
            out[d.version] = spec.deadline.days
    return out


def _replay_only(registry: DefinitionRegistry, workflow: str, state: str) -> bool:
    """Whether the SQL rule cannot decide "in time" for this stage: its limit is in calendar days, or another
    state pauses its clock; then every handling is replayed with the engine's deadline code."""
    for d in registry.all():
        if d.name != workflow or state not in d.states:
            continue
        spec = d.states[state]
        if spec.deadline is None or spec.deadline.unit != "working":
            return True
        if any(s.pauses_clock_of == state for s in d.states.values()):
            return True
    return False


def compute(session: Session, registry: DefinitionRegistry, calendar: WorkingCalendar, clock: Clock, period: Period,
            scope: Scope = DISTRICT) -> Figures:  # fmt: skip
    """Every figure of the dashboard, the report and the register's statistics, for one period and scope.

    The working-day index must cover the period under `calendar` (workday_index.ensure, which
    reporting.make_report calls); the durations are wrong otherwise, so this checks it.
    """
    scope = scope.resolved(registry)
    assert scope.workflow is not None
    stages = stages_for(registry, scope.workflow)
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
    counted = sorted({*stages.assess, *stages.dismiss, *stages.handle, *stages.publish, *closing})
    join_case = needs_case_join(registry, scope, counted)
    event_parts: list[Select[str, int, int]] = []
    for i, (m_lo, m_hi) in enumerate(month_edges(period)):
        part = select(CaseEvent.trigger, literal(i).label("m"), func.count().label("n")).where(
            CaseEvent.trigger.in_(counted), CaseEvent.at >= m_lo, CaseEvent.at < m_hi)
        if join_case:
            part = part.join(Case, Case.id == CaseEvent.case_id).where(in_scope)
        event_parts.append(part.group_by(CaseEvent.trigger))
    closed_m: dict[int, int] = {}
    published_m: dict[int, int] = {}
    per_trigger: dict[str, int] = {}
    for trigger, m, n in session.execute(union_all(*event_parts)):
        per_trigger[trigger] = per_trigger.get(trigger, 0) + n
        if trigger in closing:
            closed_m[m] = closed_m.get(m, 0) + n
        if trigger in stages.publish:
            published_m[m] = published_m.get(m, 0) + n
    fig.closed = sum(closed_m.values())
    fig.assessed = sum(per_trigger.get(t, 0) for t in stages.assess)
    fig.dismissed = sum(per_trigger.get(t, 0) for t in stages.dismiss)
    fig.handled = sum(per_trigger.get(t, 0) for t in stages.handle)
    fig.published = sum(per_trigger.get(t, 0) for t in stages.publish)
    if stages.publish:
        pk = (select(Case.kind, func.count()).select_from(CaseEvent).join(Case, Case.id == CaseEvent.case_id)
              .where(CaseEvent.trigger.in_(stages.publish), CaseEvent.at >= lo, CaseEvent.at < hi, in_scope)
              .group_by(Case.kind))  # fmt: skip
        fig.published_by_kind = {k: int(n) for k, n in session.execute(pk)}

    # The snapshot, in one pass over the open cases.
    overdue = Case.deadline_at < now
    snap = select(func.count(), func.coalesce(func.sum(case((overdue, 1), else_=0)), 0),
                  func.coalesce(func.sum(case((and_(overdue, Case.escalation_level > 0), 1), else_=0)), 0)
                  ).where(in_scope, Case.closed == false())  # fmt: skip
    fig.open_now, fig.overdue_now, fig.escalated_now = (int(x) for x in session.execute(snap).one())

    fig.time_to_assess = _time_to_assess(session, dialect, lo, hi, in_scope, stages)
    handlings = _handlings(session, registry, calendar, dialect, lo, hi, scope, in_scope, stages)
    month_of_day = _month_index(period)
    hist: dict[int, int] = defaultdict(int)
    handled_m: dict[int, int] = defaultdict(int)
    in_time_m: dict[int, int] = defaultdict(int)
    for days, ok, day, n in handlings:
        hist[days] += n
        m_i = month_of_day.get(day)
        if m_i is not None:
            handled_m[m_i] += n
            in_time_m[m_i] += n if ok else 0
    fig.time_to_handle = _durations(list(hist.items()))
    fig.handled_in_time = sum(in_time_m.values())
    fig.handled_measured = fig.time_to_handle.n
    months = period.months()
    fig.per_month = [MonthFigures(m, a, b, opened_m.get(i, 0), closed_m.get(i, 0), handled_m.get(i, 0),
                                  in_time_m.get(i, 0), published_m.get(i, 0))
                     for i, (m, a, b) in enumerate(months)]  # fmt: skip
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
    if not stages.decide:
        return Durations(0, None, None)
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
    wa, wb = aliased(WorkingDayIndex), aliased(WorkingDayIndex)
    d = (wb.seq - wa.seq).label("d")
    q = (select(d, func.sum(pairs.c.n)).select_from(pairs).join(wa, wa.day == pairs.c.a).join(wb, wb.day == pairs.c.b)
         .group_by(d))  # fmt: skip
    return _durations([(int(x), int(n)) for x, n in session.execute(q)])


def _as_date(value: Any) -> date:
    return value if isinstance(value, date) else date.fromisoformat(str(value)[:10])


def _handlings(session: Session, registry: DefinitionRegistry, calendar: WorkingCalendar, dialect: str, lo: datetime,
               hi: datetime, scope: Scope, in_scope: ColumnElement[bool],
               stages: Stages) -> list[tuple[int, bool, date, int]]:  # fmt: skip
    """(working days in the stage, within the deadline, local day handled, handlings) for the period's handlings.

    Per handling: the last start of the handling stage before it. Handlings with no extension in
    between are grouped by (day started, day handled, limit) and decided in SQL; those with one are
    replayed in Python (`in_time`), as are all when the stage's limit is not in working days."""
    if not stages.stage_start:
        return []
    h, a, later, x = aliased(CaseEvent), aliased(CaseEvent), aliased(CaseEvent), aliased(CaseEvent)
    # "The last stage start before the handling" as a join with an anti-join (no start between the two),
    # not a correlated max(seq) plus a second lookup of that event: SQLite evaluated the scalar subquery once
    # per place it was referenced, and both forms are answered by ix_case_events_case_seq_trigger alone.
    # (checked only when an event fits between the two: seq are integers, and most handlings follow their start)
    later_start = select(later.seq).where(later.case_id == h.case_id, later.trigger.in_(stages.stage_start),
                                          later.seq > a.seq, later.seq < h.seq).exists()  # fmt: skip
    no_later_start = or_(h.seq - a.seq <= 1, ~later_start)
    extended = and_(h.seq - a.seq > 1, select(x.seq).where(x.case_id == h.case_id, x.trigger == EXTEND_TRIGGER,
                                                           x.seq > a.seq, x.seq < h.seq).exists())  # fmt: skip
    replay_all = _replay_only(registry, scope.workflow or "", stages.handling_state)
    limits = allowed_days(registry, scope.workflow or "", stages.handling_state)
    per_version = len(set(limits.values())) > 1
    join_case = per_version or needs_case_join(registry, scope, (*stages.handle, *stages.stage_start))
    base = (select().select_from(h)
            .join(a, and_(a.case_id == h.case_id, a.trigger.in_(stages.stage_start), a.seq < h.seq))
            .where(h.trigger.in_(stages.handle), h.at >= lo, h.at < hi, no_later_start))  # fmt: skip
    if join_case:
        base = base.join(Case, Case.id == h.case_id).where(in_scope)
    out: list[tuple[int, bool, date, int]] = []
    if not replay_all:
        default_limit = max(limits.values(), default=0)
        limit: Any = default_limit
        if per_version:
            limit = case(*[(Case.workflow_version == v, days) for v, days in limits.items()], else_=default_limit)
        pairs = (base.add_columns(local_day(a.at, dialect).label("a"), local_day(h.at, dialect).label("b"),
                                  literal(0).label("pad") if not per_version else limit.label("pad"),
                                  func.count().label("n"))
                 .where(~extended).group_by("a", "b", "pad")).subquery()  # fmt: skip
        lim = pairs.c.pad if per_version else literal(default_limit)
        wa, wb = aliased(WorkingDayIndex), aliased(WorkingDayIndex)
        d = wb.seq - wa.seq
        # Due at the end of the limit-th working day: a handling on a later day off is late, though it adds no working day.
        ok = case((or_(d < lim, and_(d == lim, wb.working)), 1), else_=0)
        q = (select(d.label("d"), ok.label("ok"), pairs.c.b, func.sum(pairs.c.n)).select_from(pairs)
             .join(wa, wa.day == pairs.c.a).join(wb, wb.day == pairs.c.b).group_by("d", "ok", pairs.c.b))  # fmt: skip
        out += [(int(dd), bool(is_ok), _as_date(b), int(n)) for dd, is_ok, b, n in session.execute(q)]
    replay_q = base.add_columns(h.case_id, h.seq, h.at, a.at)
    if not replay_all:
        replay_q = replay_q.where(extended)
    rows = session.execute(replay_q).all()
    if rows:
        out += _replayed(session, registry, calendar, [(r[0], r[1], r[2], r[3]) for r in rows])
    return out


def _replayed(session: Session, registry: DefinitionRegistry, calendar: WorkingCalendar,
              rows: list[tuple[int, int, datetime, datetime]]) -> list[tuple[int, bool, date, int]]:  # fmt: skip
    """The handlings SQL leaves open, decided from each case's history by `in_time`."""
    ids = {r[0] for r in rows}
    history: dict[int, list[CaseEvent]] = defaultdict(list)
    for ev in session.scalars(select(CaseEvent).where(CaseEvent.case_id.in_(ids)).order_by(CaseEvent.case_id, CaseEvent.seq)):
        history[ev.case_id].append(ev)
    versions = {cid: (w, v) for cid, w, v in session.execute(
        select(Case.id, Case.workflow_name, Case.workflow_version).where(Case.id.in_(ids)))}  # fmt: skip
    out = []
    for case_id, seq, h_at, a_at in rows:
        name, version = versions[case_id]

        def definitions(v: int, name: str = name) -> Definition:
            return registry.get(name, v)

        events = history[case_id]
        before = [e for e in events if e.seq < seq]
        # The version in force then: a case moved to a newer version later replays its past under the older one.
        defn = versions_along(events, definitions(version), definitions)[len(before) - 1] if before else definitions(version)
        ok = in_time(before, h_at, defn, calendar, definitions)
        a_day, b_day = a_at.astimezone(LOCAL_TZ).date(), h_at.astimezone(LOCAL_TZ).date()
        out.append((calendar.working_days_between(a_day, b_day), ok, b_day, 1))
    return out


def in_time(events_before: list[CaseEvent], handled_at: datetime, defn: Definition, calendar: WorkingCalendar,
            definitions: Callable[[int], Definition] | None = None) -> bool:
    """Handled within the deadline: no later than the deadline the case had then, and no extension of
    the stage granted after the deadline it extended had passed (a late case is not made punctual)."""
    deadline, info = recompute_deadline(events_before, defn, calendar, definitions)
    if deadline is None:
        return True
    if any(x.get("was_late") for x in (info or {}).get("extensions", [])):
        return False
    return handled_at <= deadline
