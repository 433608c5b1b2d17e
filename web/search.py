"""Tra cứu vụ việc: every case the person may see, in every state, searched and filtered in the database.

The worklist answers "what must I do now"; this page answers "where is that case": dismissed,
closed and published cases included, each state a filter of its own (`?state=published`). The
figures of the overview and the dashboard link here with the filters that reproduce them.
Which cases a person may see is engine.cases.policy's decision (queries.visible_cases); the filters
only narrow it. Values that are not among the choices are ignored, never an error.
"""

from __future__ import annotations

from datetime import UTC, date, datetime, time, timedelta
from urllib.parse import urlencode

from flask import Blueprint, render_template, request
from sqlalchemy import select

from engine.cases.validation import MAX_DATE, MIN_DATE
from engine.read.queries import WorklistFilter, visible_cases
from engine.read.search import MIN_TERM, fold
from engine.store.models import Unit
from engine.time.clock import LOCAL_TZ
from web.access import current_actor, roles_required, runtime
from web.badges import badge_for
from web.forms import arg_int, arg_text
from web.i18n import lang
from web.worklist import list_choices, state_choices
from workflows.definition import Definition

bp = Blueprint("search", __name__, url_prefix="/search")



def search_roles() -> set[str]:
    """Roles that see some cases (the definitions' [visibility]): an administrator alone sees none."""
    return {role for d in runtime().registry.all() for role in d.visibility}


def _arg_date(name: str) -> date | None:
    """A date filter from the query string; one the engine would never store (outside the dates its
    validation accepts, e.g. 9999-12-31, whose next day does not exist) filters nothing."""
    try:
        day = date.fromisoformat(arg_text(name, 10))
    except ValueError:
        return None
    return day if MIN_DATE <= day <= MAX_DATE else None


def read_filter(defs: list[Definition], unit_ids: set[int]) -> WorklistFilter:
    states = {k for k, _ in state_choices(defs)}
    kinds = {k for k, _ in list_choices(defs, "kind")}
    severities = {k for k, _ in list_choices(defs, "severity")}
    workflows = {d.name for d in defs}
    state, kind, severity = arg_text("state", 40), arg_text("kind", 60), arg_text("severity", 20)
    status, workflow = arg_text("status", 10), arg_text("workflow", 80)
    unit, handled_by, involving = arg_int("unit"), arg_int("handled_by"), arg_int("involving")
    start, end = _arg_date("from"), _arg_date("to")
    return WorklistFilter(
        state=state if state in states else None,
        kind=kind if kind in kinds else None,
        unit_id=unit if unit in unit_ids else None,
        severity=severity if severity in severities else None,
        overdue_only=request.args.get("overdue") in ("1", "on"),
        escalated_only=request.args.get("escalated") in ("1", "on"),
        search=arg_text("q", 100) or None,
        workflow=workflow if workflow in workflows else None,
        open_only=status == "open",
        closed_only=status == "closed",
        handling_unit_id=handled_by if handled_by in unit_ids else None,
        involving_unit_id=involving if involving in unit_ids else None,
        created_from=_utc_start(start) if start else None,
        created_to=_utc_start(end + timedelta(days=1)) if end else None,
    )


def _utc_start(day: date) -> datetime:
    """The first instant of a local (Asia/Ho_Chi_Minh) day, in UTC, as cases' created_at is stored."""
    return datetime.combine(day, time(0), tzinfo=LOCAL_TZ).astimezone(UTC)


@bp.route("")
@roles_required(search_roles)
def index() -> str:
    rt = runtime()
    defs = rt.registry.latest_all()
    now = rt.clock.now()
    with rt.read_session() as s:
        units: list[tuple[int, str]] = [(uid, name) for uid, name in s.execute(select(Unit.id, Unit.name).order_by(Unit.name))]
        names = dict(units)
        f = read_filter(defs, set(names))
        page = visible_cases(s, rt.registry, current_actor(), now, f, page=arg_int("page", 1) or 1, per_page=25)
        kinds = dict(list_choices(defs, "kind"))
        rows = []
        for case in page.items:
            defn = rt.registry.get(case.workflow_name, case.workflow_version)
            rows.append({"case": case, "state": defn.states[case.state].label(lang()),
                         "kind": kinds.get(case.kind or "", case.kind or ""),
                         "holder": names.get(case.assigned_unit_id or 0, ""),
                         "badge": badge_for(case, now, rt.calendar, defn)})  # fmt: skip
    args = {k: v for k, v in request.args.items() if k != "page" and v}
    status = "open" if f.open_only else "closed" if f.closed_only else ""
    return render_template(
        "search.html", rows=rows, page=page, f=f, status=status, units=units, states=state_choices(defs),
        kinds=list_choices(defs, "kind"), narrowed=bool(args.keys() - {"q", "state", "kind", "unit", "status"}),
        page_url=lambda n: "?" + urlencode({**args, "page": n}),
        too_short=bool(f.search) and len(fold(f.search)) < MIN_TERM, min_term=MIN_TERM,
    )  # fmt: skip
