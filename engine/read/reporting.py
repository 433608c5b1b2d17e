"""The periodic report as data: the figures with their labels, and the cases handled or published in the period.

Every output (the page, CSV, XLSX, DOCX, the CLI) renders this one structure, so they cannot
disagree. Labels come from the definition (states, kinds) and the unit tree; the words around
them are given in Vietnamese and English here, as the engine does for its other messages.
The filer of a case is named through the one projection (engine/read/projection.py), for the viewer
the report is made for: a confidential filer is only the type of its unit, and the breakdown by
filing unit is left out for a viewer who may not know every filer.
"""

from __future__ import annotations

from collections.abc import Iterator
from dataclasses import dataclass, field
from datetime import date, datetime
from typing import Any

from sqlalchemy import ColumnElement, and_, func, select, text
from sqlalchemy.orm import Session, aliased

from engine.cases.policy import visible_clause
from engine.cases.registry import DefinitionRegistry
from engine.cases.uow import Runtime
from engine.org.actors import Actor
from engine.read import projection
from engine.read.figures import DISTRICT, Figures, Scope, Stages, compute, needs_case_join, scope_filter, stages_for
from engine.store.models import Case, CaseEvent, Unit
from engine.time.calendar import WorkingCalendar
from engine.time.clock import LOCAL_TZ, Clock
from engine.time.periods import Period, YearRange
from engine.time.workday_index import ensure
from workflows.definition import Definition

NO_UNIT = ("Chưa giao xử lý", "Not yet assigned")
NOBODY = Actor(None, None, frozenset())  # the viewer of a report made for no one in particular: knows no confidential filer
NO_KIND = ("Chưa phân loại", "Not classified")


@dataclass(frozen=True)
class Row:
    key: str
    label: str
    value: int | float | None
    unit: str = ""  # "", "%", "ngày làm việc"


@dataclass(frozen=True)
class CaseRow:
    """One case handled or published in the period; dates are local calendar dates."""

    reference: str
    kind: str
    subject: str
    filing_unit: str
    handling_unit: str
    state: str
    filed_on: date
    handled_on: date | None
    decision_number: str
    decision_date: date | None
    measures: str
    amount: int | None  # the `[reporting] amount_field` (a fine), when the workflow has one
    published_on: date | None


@dataclass
class Report:
    figures: Figures
    lang: str
    scope_name: str  # "toàn huyện" or the unit's name
    summary: list[Row]
    by_state: list[Row]
    by_kind: list[Row]
    by_handling_unit: list[Row]
    by_filing_unit: list[Row]
    per_month: list[tuple[str, int, int]]  # (label, opened, closed)
    cases: list[CaseRow] = field(default_factory=list)
    cases_total: int = 0
    filers_hidden: bool = False  # the viewer may not know every filer: no breakdown by filing unit
    definition: Definition | None = None  # the newest version of the workflow reported on (its labels)


    @property
    def kind_label(self) -> str:
        """What the workflow calls the kind of a case ("Loại vi phạm"), from its `[reporting]`."""
        r = self.definition.reporting if self.definition else None
        return r.kind_label(self.lang) if r else ("Loại" if self.lang == "vi" else "Kind")

    @property
    def title(self) -> str:
        """The report's title, the workflow's `[reporting] title_vi/en` (its label when none)."""
        d = self.definition
        if d is None:
            return ""
        r = d.reporting
        given = (r.title_vi if self.lang == "vi" else r.title_en) if r else ""
        return given or d.label(self.lang)

    @property
    def workflow_label(self) -> str:
        return self.definition.label(self.lang) if self.definition else ""

    @property
    def period(self) -> Period:
        return self.figures.period

    @property
    def period_label(self) -> str:
        return self.period.label_vi() if self.lang == "vi" else self.period.label_en()

    def tables(self) -> list[tuple[str, str, list[Row]]]:
        """(key, title, rows) of every breakdown, in the order documents print them."""
        vi = self.lang == "vi"
        return [
            ("by_state", "Theo trạng thái xử lý" if vi else "By state", self.by_state),
            ("by_kind", ("Theo " if vi else "By ") + _lower_first(self.kind_label), self.by_kind),
            ("by_handling_unit", "Theo cơ quan xử lý" if vi else "By handling unit", self.by_handling_unit),
        ] + ([] if self.filers_hidden else [
            ("by_filing_unit", "Theo đơn vị phản ánh (xã, thị trấn)" if vi else "By filing unit (commune)", self.by_filing_unit),
        ])  # fmt: skip


def _lower_first(text: str) -> str:
    return text[:1].lower() + text[1:]


def _t(pair: tuple[str, str], lang: str) -> str:
    return pair[0] if lang == "vi" else pair[1]


def _latest(registry: DefinitionRegistry, workflow: str) -> Definition:
    return max((d for d in registry.all() if d.name == workflow), key=lambda d: d.version)


def _round(x: float | None) -> float | None:
    return None if x is None else round(x, 1)


def summary_rows(fig: Figures, lang: str = "vi") -> list[Row]:
    wd = "ngày làm việc" if lang == "vi" else "working days"
    share = None if fig.share_in_time is None else round(100 * fig.share_in_time, 1)
    items: list[tuple[str, tuple[str, str], int | float | None, str]] = [
        ("opened", ("Vụ việc tiếp nhận trong kỳ", "Cases opened in the period"), fig.opened, ""),
        ("closed", ("Vụ việc kết thúc trong kỳ", "Cases closed in the period"), fig.closed, ""),
        ("assessed", ("Đã thẩm định, chuyển xử lý", "Assessed and assigned"), fig.assessed, ""),
        ("dismissed", ("Không có căn cứ (đã bác)", "Dismissed"), fig.dismissed, ""),
        ("handled", ("Đã xử lý", "Handled"), fig.handled, ""),
        ("published", ("Đã công khai kết quả", "Results published"), fig.published, ""),
        ("open_now", ("Đang giải quyết (tại thời điểm lập báo cáo)", "Open (when the report was made)"), fig.open_now, ""),
        ("overdue_now", ("Quá hạn (tại thời điểm lập báo cáo)", "Overdue (when the report was made)"), fig.overdue_now, ""),
        ("escalated_now", ("Đã báo cáo cấp trên (tại thời điểm lập báo cáo)", "Escalated (when the report was made)"),
         fig.escalated_now, ""),
        ("assess_n", ("Số vụ việc được thẩm định lần đầu", "Cases given a first assessment decision"), fig.time_to_assess.n, ""),
        ("assess_median", ("Thời gian thẩm định, trung vị", "Time to assess, median"), _round(fig.time_to_assess.median), wd),
        ("assess_p90", ("Thời gian thẩm định, bách phân vị 90", "Time to assess, 90th percentile"),
         _round(fig.time_to_assess.p90), wd),
        ("handle_median", ("Thời gian xử lý, trung vị", "Time to handle, median"), _round(fig.time_to_handle.median), wd),
        ("handle_p90", ("Thời gian xử lý, bách phân vị 90", "Time to handle, 90th percentile"),
         _round(fig.time_to_handle.p90), wd),
        ("handled_in_time", ("Xử lý đúng hạn", "Handled within the deadline"), fig.handled_in_time, ""),
        ("share_in_time", ("Tỷ lệ xử lý đúng hạn", "Share handled within the deadline"), share, "%"),
    ]  # fmt: skip
    return [Row(k, _t(lbl, lang), v, u) for k, lbl, v, u in items]


def build(session: Session, registry: DefinitionRegistry, calendar: WorkingCalendar, clock: Clock, period: Period,
          scope: Scope = DISTRICT, lang: str = "vi", case_limit: int | None = None,
          viewer: Actor | None = None) -> Report:  # fmt: skip
    """The figures, labelled, and the first `case_limit` cases of the list (all when None), as `viewer`
    may see them (None: a viewer who may know no confidential filer)."""
    viewer = viewer or NOBODY
    scope = scope.resolved(registry)
    assert scope.workflow is not None
    stages = stages_for(registry, scope.workflow)
    fig = compute(session, registry, calendar, clock, period, scope)
    defn = _latest(registry, scope.workflow)
    kind_list = defn.reporting.kind_list if defn.reporting else None
    units = dict(session.execute(select(Unit.id, Unit.name)).all())
    filers_known = projection.may_know_every_filer([d for d in registry.all() if d.name == scope.workflow], viewer)
    by_state = [Row(sid, spec.label(lang), fig.by_state.get(sid, 0)) for sid, spec in defn.states.items()]
    kinds = list(defn.lists.get(kind_list, {})) if kind_list else []
    kinds += sorted(k for k in fig.by_kind if k and k not in kinds)
    by_kind = [Row(k, defn.choice_label(kind_list, k, lang) if kind_list else k, fig.by_kind.get(k, 0)) for k in kinds]
    if fig.by_kind.get(None):
        by_kind.append(Row("", _t(NO_KIND, lang), fig.by_kind[None]))
    by_handling = sorted((Row(str(u), units.get(u, str(u)), n) for u, n in fig.by_handling_unit.items() if u is not None),
                         key=lambda r: (-int(r.value or 0), r.label))  # fmt: skip
    if fig.by_handling_unit.get(None):
        by_handling.append(Row("", _t(NO_UNIT, lang), fig.by_handling_unit[None]))
    if not filers_known:
        fig.by_filing_unit = {}
    by_filing = sorted((Row(str(u), units.get(u, str(u)), n) for u, n in fig.by_filing_unit.items()),
                       key=lambda r: (-int(r.value or 0), r.label))  # fmt: skip
    month_word = "Tháng" if lang == "vi" else "Month"
    per_month = [(f"{month_word} {m.month.month:02d}/{m.month.year}", m.opened, m.closed) for m in fig.per_month]
    scope_name = ("toàn huyện" if lang == "vi" else "whole district") if scope.unit_id is None else units.get(scope.unit_id, "")
    report = Report(fig, lang, scope_name, summary_rows(fig, lang), by_state, by_kind, by_handling, by_filing, per_month,
                    filers_hidden=not filers_known, definition=defn)  # fmt: skip
    report.cases_total = count_cases(session, period, scope, stages, registry, viewer=viewer)
    if case_limit is None or case_limit > 0:
        report.cases = list(iter_cases(session, registry, period, scope, lang, case_limit, viewer=viewer))
    return report


def large_reads(session: Session) -> None:
    """On SQLite, let a report's reads use memory-mapped I/O and a larger page cache for this connection:
    the lookups a million-case report makes are random, and the 2 MB default cache halves its speed."""
    if session.get_bind().dialect.name == "sqlite":
        session.execute(text("PRAGMA mmap_size=1073741824"))
        session.execute(text("PRAGMA cache_size=-131072"))


def make_report(rt: Runtime, period: Period, scope: Scope = DISTRICT, lang: str = "vi",
                case_limit: int | None = None, years: YearRange | None = None,
                viewer: Actor | None = None) -> Report:  # fmt: skip
    """The report from a runtime: checks the working-day index (rebuilding only its fixed window, for
    `years`, the configured range the period was validated against), then reads in one session; for
    a `viewer`, through the projection (only the cases they may see, filers only where they may know them)."""
    ensure(rt, years)
    with rt.read_session() as s:
        large_reads(s)
        return build(s, rt.registry, rt.calendar, rt.clock, period, scope, lang, case_limit, viewer=viewer)


def _listed_to(registry: DefinitionRegistry, viewer: Actor | None) -> ColumnElement[bool] | None:
    """A person's report lists only the cases the definition lets them see (the media centre's leader
    does not get every result it published); a report made for no one in particular (the command
    line) lists its scope, with the filers hidden."""
    if viewer is None or viewer.user_id is None or viewer.is_system:
        return None
    return visible_clause(registry.all(), viewer)


def count_cases(session: Session, period: Period, scope: Scope, stages: Stages,
                registry: DefinitionRegistry | None = None, viewer: Actor | None = None) -> int:  # fmt: skip
    """How many cases the list holds: distinct cases with a handling or publication event in the period."""
    lo, hi = period.utc_bounds()
    triggers = (*stages.handle, *stages.publish)
    q = select(func.count(func.distinct(CaseEvent.case_id))).where(CaseEvent.trigger.in_(triggers), CaseEvent.at >= lo,
                                                                   CaseEvent.at < hi)  # fmt: skip
    listed = _listed_to(registry, viewer) if registry is not None else None
    if registry is None or listed is not None or needs_case_join(registry, scope, triggers):
        q = q.join(Case, Case.id == CaseEvent.case_id).where(scope_filter(scope))
        if listed is not None:
            q = q.where(listed)
    return session.scalar(q) or 0


def _measures_text(d: Definition, r: Any, data: dict[str, Any], lang: str) -> str:
    """The measures a handling recorded (or its outcome when it took none), labelled from the definition."""
    if r is None:
        return ""
    measures = ""
    if r.measures_field and r.measures_list:
        value = data.get(r.measures_field) or []
        items = value if isinstance(value, list) else [value]
        measures = ", ".join(d.choice_label(r.measures_list, str(m), lang) for m in items)
    if not measures and r.outcome_field and r.outcome_list and data.get(r.outcome_field):
        measures = d.choice_label(r.outcome_list, str(data[r.outcome_field]), lang)
    return measures


def _local(value: datetime | None) -> date | None:
    return value.astimezone(LOCAL_TZ).date() if value else None


def _iso(value: Any) -> date | None:
    try:
        return date.fromisoformat(str(value)[:10]) if value else None
    except ValueError:
        return None


def iter_cases(session: Session, registry: DefinitionRegistry, period: Period, scope: Scope = DISTRICT,
               lang: str = "vi", limit: int | None = None,
               viewer: Actor | None = None) -> Iterator[CaseRow]:  # fmt: skip
    """The cases with a handling decision or a publication in the period, in the order of the first of those, streamed.

    The filing unit is named through the projection for `viewer` (None: a viewer who may know no
    confidential filer), so the page, CSV, XLSX and DOCX say the same as the case page."""
    viewer = viewer or NOBODY
    scope = scope.resolved(registry)
    assert scope.workflow is not None
    stages = stages_for(registry, scope.workflow)
    defn = _latest(registry, scope.workflow)
    directory = projection.Directory.load(session)
    units = {uid: name for uid, (name, _type) in directory.units.items()}
    lo, hi = period.utc_bounds()
    # The page of cases is chosen first (scope, order, limit on the events alone), so the per-case
    # lookups below run for the listed cases only, not for every case of the period.
    triggers = (*stages.handle, *stages.publish)
    firsts_q = (
        select(CaseEvent.case_id.label("cid"), func.min(CaseEvent.at).label("first_at"))
        .where(CaseEvent.trigger.in_(triggers), CaseEvent.at >= lo, CaseEvent.at < hi)
        .group_by(CaseEvent.case_id)
        .order_by(func.min(CaseEvent.at), CaseEvent.case_id)
    )  # fmt: skip
    listed = _listed_to(registry, viewer)
    if listed is not None or needs_case_join(registry, scope, triggers):
        firsts_q = firsts_q.join(Case, Case.id == CaseEvent.case_id).where(scope_filter(scope))
        if listed is not None:
            firsts_q = firsts_q.where(listed)
    if limit is not None:
        firsts_q = firsts_q.limit(limit)
    firsts = firsts_q.subquery()
    h, p, ev = aliased(CaseEvent), aliased(CaseEvent), aliased(CaseEvent)
    last_handle = select(func.max(h.seq)).where(h.case_id == Case.id, h.trigger.in_(stages.handle)).scalar_subquery()
    published = select(func.max(p.at)).where(p.case_id == Case.id, p.trigger.in_(stages.publish)).scalar_subquery()
    q = (
        select(Case.reference, Case.kind, Case.subject, Case.filing_unit_id, Case.reporter_id, Case.reporter_confidential,
               Case.handling_unit_id, Case.state, Case.workflow_version, Case.created_at, ev.at, ev.data,
               published.label("published_at"))
        .select_from(firsts)
        .join(Case, Case.id == firsts.c.cid)
        .outerjoin(ev, and_(ev.case_id == Case.id, ev.seq == last_handle))
        .order_by(firsts.c.first_at, Case.id)
    )  # fmt: skip
    versions = {d.version: d for d in registry.all() if d.name == scope.workflow}
    for ref, kind, subject, filing, reporter, confidential, handling, state, ver, created, h_at, data, pub_at in session.execute(
        q.execution_options(yield_per=2000)
    ):
        d = versions.get(ver, defn)
        r = d.reporting or defn.reporting
        who = projection.filer(d, viewer, directory, filing_unit_id=filing, reporter_id=reporter, confidential=confidential,
                               lang=lang)  # fmt: skip
        data = data or {}
        measures = _measures_text(d, r, data, lang)
        fine = data.get(r.amount_field) if r and r.amount_field else None
        kind_list = r.kind_list if r else None
        yield CaseRow(
            reference=ref, kind=(d.choice_label(kind_list, kind, lang) if kind_list else kind) if kind else _t(NO_KIND, lang),
            subject=subject or "", filing_unit=who.unit_name, handling_unit=units.get(handling, "") if handling else "",
            state=d.states[state].label(lang) if state in d.states else state, filed_on=_local(created) or created.date(),
            handled_on=_local(h_at),
            decision_number=str(data.get(r.decision_number_field) or "") if r and r.decision_number_field else "",
            decision_date=_iso(data.get(r.decision_date_field)) if r and r.decision_date_field else None, measures=measures,
            amount=int(fine) if isinstance(fine, int | float) else None, published_on=_local(pub_at),
        )  # fmt: skip


CASE_COLUMNS: dict[str, tuple[str, str]] = {
    "reference": ("Số hiệu", "Reference"),
    "kind": ("Loại vi phạm", "Kind of violation"),
    "subject": ("Đối tượng bị phản ánh", "Subject"),
    "filing_unit": ("Đơn vị phản ánh", "Filing unit"),
    "handling_unit": ("Cơ quan xử lý", "Handling unit"),
    "state": ("Trạng thái", "State"),
    "filed_on": ("Ngày tiếp nhận", "Filed on"),
    "handled_on": ("Ngày xử lý", "Handled on"),
    "decision_number": ("Số quyết định", "Decision number"),
    "decision_date": ("Ngày quyết định", "Decision date"),
    "measures": ("Biện pháp xử lý", "Measures"),
    "amount": ("Số tiền", "Amount"),
    "published_on": ("Ngày công khai", "Published on"),
}


def case_headers(lang: str = "vi", report: Report | None = None) -> list[str]:
    """The case list's column titles; the kind's is the workflow's own word for it."""
    heads = {k: _t(v, lang) for k, v in CASE_COLUMNS.items()}
    if report is not None:
        heads["kind"] = report.kind_label
        r = report.definition.reporting if report.definition else None
        amount = report.definition.field_spec(r.amount_field) if report.definition and r and r.amount_field else None
        if amount is not None:
            heads["amount"] = amount.label(lang)
    return list(heads.values())


def case_values(row: CaseRow) -> list[Any]:
    return [getattr(row, k) for k in CASE_COLUMNS]
