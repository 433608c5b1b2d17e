"""Statistics and periodic reports: a dashboard, a printable report page, and the files officials file.

Who sees what is decided here once, server-side, from the definitions' visibility rules:
- roles that see every case (assessor, supervisor: `access.overview_roles`) get the whole
  district, or any one unit they pick;
- roles that see the cases their unit holds (handler, leader: visibility scope `handling_unit`)
  get their own unit only; asking for another unit is refused (403), never silently widened.
The figures come from engine.read.reporting (aggregate queries), made for the person asking: a
confidential filer is named in no format, and the breakdown by filing unit is only for those who
may know every filer (engine/read/projection.py).
"""

from __future__ import annotations

from dataclasses import replace
from datetime import date

from flask import Blueprint, abort, current_app, render_template, request, url_for
from flask_babel import gettext as _
from sqlalchemy import select
from werkzeug.wrappers import Response

from engine.read.figures import Scope, reporting_workflows
from engine.read.reporting import Report, iter_cases, make_report
from engine.store.models import Unit
from engine.time.clock import LOCAL_TZ
from engine.time.periods import Period, PeriodError, PeriodOutOfRange, YearRange, default_period, parse_period
from web import charts
from web.access import current_actor, overview_roles, roles_required, runtime
from web.exports.document import DOCX_CASE_LIMIT, docx_bytes
from web.exports.settings import LAYOUTS, PARTY, STATE, ReportSettings, load_settings
from web.exports.tabular import csv_bytes, xlsx_bytes
from web.i18n import lang
from web.report_years import app_report_years

bp = Blueprint("dashboard", __name__, url_prefix="/dashboard")

PAGE_CASE_LIMIT = 500  # the report page lists this many; the CSV/XLSX carry the whole list

MIME = {
    "csv": "text/csv; charset=utf-8",
    "xlsx": "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet",
    "docx": "application/vnd.openxmlformats-officedocument.wordprocessingml.document",
}


def district_roles() -> set[str]:
    return overview_roles()


UNIT_SCOPES = ("handling_unit", "assigned_unit", "competent_unit")


def _workflow() -> str:
    """The workflow asked for (`?workflow=`), or the first the definitions' `[reporting] position` lists; 404 for
    one without figures."""
    found = [d.name for d in reporting_workflows(runtime().registry)]
    if not found:
        abort(404)
    wanted = (request.args.get("workflow") or "").strip()[:80]
    if wanted and wanted not in found:
        abort(404)
    return wanted or found[0]


def workflow_choices() -> list[tuple[str, str]]:
    """(name, label) of every workflow with figures, for the dashboard's picker."""
    return [(d.name, d.label(lang())) for d in reporting_workflows(runtime().registry)]


def unit_roles(workflow: str | None = None) -> set[str]:
    """Roles that see the cases their own unit holds or handled (the policy's `handling_unit` scope)."""
    return {
        role
        for d in runtime().registry.all()
        if workflow is None or d.name == workflow
        for role, rules in d.visibility.items()
        for rule in rules
        if rule.get("scope") in UNIT_SCOPES
    }


def dashboard_roles() -> set[str]:
    return district_roles() | unit_roles()


def _settings() -> ReportSettings:
    return load_settings(current_app.instance_path)


def _scope() -> tuple[Scope, Unit | None, bool]:
    """(scope, the unit or None, whether this person may choose the unit), or 403."""
    actor = current_actor()
    raw = (request.args.get("unit") or "").strip()
    wanted: int | None = int(raw) if raw.isdigit() and len(raw) < 10 else None
    if raw and wanted is None:
        abort(400)
    rt = runtime()
    workflow = _workflow()
    if actor.roles & district_roles():
        unit_id, may_choose = wanted, True
    elif actor.roles & unit_roles(workflow) and actor.unit_id is not None:
        if wanted is not None and wanted != actor.unit_id:
            abort(403)
        unit_id, may_choose = actor.unit_id, False
    else:
        abort(403)
    unit = None
    if unit_id is not None:
        with rt.read_session() as s:
            unit = s.get(Unit, unit_id)
        if unit is None:
            abort(404)
    return Scope(workflow, unit_id), unit, may_choose


def _period(settings: ReportSettings) -> tuple[Period, str | None, YearRange]:
    """The period asked for, or this reporting year with a form error saying what a period may be.

    Checked against the configured years before any date is computed, so `0000`, `9999-12` or
    `9999-12-31..9999-12-31` cost nothing and full-width digits are folded to ASCII.
    """
    text = (request.args.get("period") or "").strip()
    years = app_report_years(current_app._get_current_object())  # type: ignore[attr-defined]
    today = runtime().clock.now().astimezone(LOCAL_TZ).date()
    fallback = default_period(today, years, settings.period_start_day)
    if not text:
        return fallback, None, years
    try:
        return parse_period(text, settings.period_start_day, years), None, years
    except PeriodOutOfRange as err:
        return fallback, _("Báo cáo chỉ tính cho các năm từ %(first)s đến %(last)s.", first=err.years.first,
                           last=err.years.last), years  # fmt: skip
    except PeriodError:
        return fallback, _(
            "Kỳ báo cáo không hợp lệ. Ví dụ: 2026, 2026-Q1, 2026-H1, 2026-03, 2026-01-01..2026-03-31."
        ), years


def _units_to_choose(workflow: str) -> list[Unit]:
    """Units a case can be handled by (the list `[reporting] unit_types_list` names), for the unit picker."""
    rt = runtime()
    types = {t for d in rt.registry.all() if d.name == workflow and d.reporting and d.reporting.unit_types_list
             for t in d.lists.get(d.reporting.unit_types_list, {})}  # fmt: skip
    with rt.read_session() as s:
        return list(s.scalars(select(Unit).where(Unit.type.in_(types)).order_by(Unit.name)))


def _charts(report: Report) -> dict[str, object]:
    tables = {key: rows for key, _title, rows in report.tables()}
    out: dict[str, object] = {
        key: charts.hbar(title, [(r.label, float(r.value or 0)) for r in rows]) for key, title, rows in report.tables()
    }
    out["months"] = charts.columns(
        _("Tiếp nhận và kết thúc theo tháng"),
        [f"{m.month.month:02d}/{m.month.year}" for m in report.figures.per_month],
        [(_("Tiếp nhận"), "bar", [m.opened for m in report.figures.per_month]),
         (_("Kết thúc"), "bar-alt", [m.closed for m in report.figures.per_month])],
    )  # fmt: skip
    out["tables"] = tables
    return out


def _query(period: Period, unit: Unit | None, workflow: str | None = None) -> dict[str, str]:
    q = {"period": period.key}
    if workflow:
        q["workflow"] = workflow
    if unit is not None:
        q["unit"] = str(unit.id)
    return q


def figure_links(report: Report, period: Period, unit: Unit | None, workflow: str) -> dict[str, dict[str, str]]:
    """Each figure's list of cases on the search page, with the filters that reproduce the figure.

    The breakdowns count the cases received in the period (by their state now); overdue and
    escalated are counted now, over open cases. The breakdown by filing unit has no link: a list of
    the cases one party cell filed would name the reporters of confidential reports.
    """
    base: dict[str, object] = {"workflow": workflow}
    if unit is not None:
        base["involving"] = unit.id
    received = {**base, "from": period.start.isoformat(), "to": period.end.isoformat()}
    links: dict[str, dict[str, str]] = {
        "kpi": {"opened": url_for("search.index", **received),
                "overdue": url_for("search.index", **base, overdue=1),
                "escalated": url_for("search.index", **base, overdue=1, escalated=1)},
        "by_state": {r.key: url_for("search.index", **received, state=r.key) for r in report.by_state},
        "by_kind": {r.key: url_for("search.index", **received, kind=r.key) for r in report.by_kind if r.key},
        "by_handling_unit": {r.key: url_for("search.index", **received, handled_by=r.key)
                             for r in report.by_handling_unit if r.key},
    }  # fmt: skip
    return links


@bp.route("")
@roles_required(dashboard_roles)
def index() -> tuple[str, int]:
    settings = _settings()
    scope, unit, may_choose = _scope()
    period, error, years = _period(settings)
    report = make_report(runtime(), period, scope, lang(), case_limit=0, years=years, viewer=current_actor())
    return render_template("dashboard/index.html", report=report, charts=_charts(report), unit=unit,
                           links=figure_links(report, period, unit, scope.workflow or ""),
                           may_choose=may_choose, units=_units_to_choose(scope.workflow or "") if may_choose else [],
                           error=error, query=_query(period, unit, scope.workflow), layouts=LAYOUTS,
                           workflows=workflow_choices(), workflow=scope.workflow), (400 if error else 200)  # fmt: skip


@bp.route("/report")
@roles_required(dashboard_roles)
def report_page() -> tuple[str, int]:
    settings = _settings()
    scope, unit, _may_choose = _scope()
    period, error, years = _period(settings)
    report = make_report(runtime(), period, scope, lang(), case_limit=PAGE_CASE_LIMIT, years=years, viewer=current_actor())
    return render_template("dashboard/report.html", report=report, unit=unit, error=error,
                           query=_query(period, unit, scope.workflow),
                           limit=PAGE_CASE_LIMIT, layouts=LAYOUTS), (400 if error else 200)  # fmt: skip


def _filename(period: Period, unit: Unit | None, ext: str, layout: str | None = None) -> str:
    """bao-cao-2026-toan-huyen.xlsx; the two Word layouts are two documents, so they are named apart
    (…-dang.docx, …-chinh-quyen.docx) and one never replaces the other in a downloads folder."""
    who = unit.code if unit is not None else "toan-huyen"
    kind = {PARTY: "-dang", STATE: "-chinh-quyen"}.get(layout or "", "")
    return f"bao-cao-{period.key.replace('..', '_')}-{who}{kind}.{ext}".replace("/", "-")


@bp.route("/report.<any(csv, xlsx, docx):fmt>")
@roles_required(dashboard_roles)
def report_file(fmt: str) -> Response:
    settings = _settings()
    scope, unit, _may_choose = _scope()
    period, error, years = _period(settings)
    if error:
        return Response(error, status=422, mimetype="text/plain")
    rt = runtime()
    report = make_report(rt, period, scope, "vi", case_limit=0, years=years,
                         viewer=current_actor())  # official files are in Vietnamese
    with rt.read_session() as s:
        if fmt == "docx":
            layout = request.args.get("layout", PARTY)
            if layout not in LAYOUTS:
                abort(400)
            cases = list(iter_cases(s, rt.registry, period, scope, "vi", DOCX_CASE_LIMIT, viewer=current_actor()))
            s_layout = settings.layout(layout)
            if unit is not None and layout == STATE:
                parent = s.get(Unit, unit.parent_id) if unit.parent_id else None
                s_layout = replace(s_layout, issuing_body=unit.name.upper(), parent_body=parent.name.upper() if parent else "")
            body = docx_bytes(report, cases, layout, settings, s_layout, _today())
        else:
            cases_iter = iter_cases(s, rt.registry, period, scope, "vi", viewer=current_actor())
            body = csv_bytes(report, cases_iter) if fmt == "csv" else xlsx_bytes(report, cases_iter)
    resp = Response(body, mimetype=MIME[fmt])
    layout_name = request.args.get("layout", PARTY) if fmt == "docx" else None
    resp.headers["Content-Disposition"] = f'attachment; filename="{_filename(period, unit, fmt, layout_name)}"'
    resp.headers["Cache-Control"] = "private, no-store"
    return resp


def _today() -> date:
    return runtime().clock.now().astimezone(LOCAL_TZ).date()
