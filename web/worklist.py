"""The worklist: cases the person may act on now, most urgent first, filtered and paginated in the database."""

from __future__ import annotations

from urllib.parse import urlencode

from flask import Blueprint, render_template, request
from sqlalchemy import select

from engine.models import Unit
from engine.queries import WorklistFilter, worklist
from web.access import current_actor, roles_required, runtime, worklist_roles
from web.badges import badge_for
from web.forms import arg_int, arg_text
from web.i18n import lang
from workflows.definition import Definition

bp = Blueprint("worklist", __name__, url_prefix="/worklist")


def _list_choices(defs: list[Definition], column: str) -> list[tuple[str, str]]:
    """Values of an indexed column (kind, severity) with labels, from the choice lists that feed it."""
    out: dict[str, str] = {}
    for d in defs:
        names = d.index.get(column, ())
        for t in d.transitions:
            for f in t.fields:
                if f.name in names and f.choices:
                    for key in d.lists.get(f.choices, {}):
                        out.setdefault(key, d.choice_label(f.choices, key, lang()))
    return sorted(out.items(), key=lambda kv: kv[1])


def _state_choices(defs: list[Definition]) -> list[tuple[str, str]]:
    out: dict[str, str] = {}
    for d in defs:
        for sid, spec in d.states.items():
            if not spec.terminal:
                out.setdefault(sid, spec.label(lang()))
    return list(out.items())


def read_filter(defs: list[Definition], unit_ids: set[int]) -> WorklistFilter:
    """The query string as a filter; values that are not among the choices are ignored, never an error."""
    states = {k for k, _ in _state_choices(defs)}
    kinds = {k for k, _ in _list_choices(defs, "kind")}
    severities = {k for k, _ in _list_choices(defs, "severity")}
    state, kind, severity = arg_text("state", 40), arg_text("kind", 60), arg_text("severity", 20)
    unit_id = arg_int("unit")
    return WorklistFilter(
        state=state if state in states else None,
        kind=kind if kind in kinds else None,
        unit_id=unit_id if unit_id in unit_ids else None,
        severity=severity if severity in severities else None,
        overdue_only=request.args.get("overdue") in ("1", "on"),
        search=arg_text("q", 100) or None,
    )


@bp.route("")
@roles_required(worklist_roles)
def index() -> str:
    rt = runtime()
    defs = rt.registry.latest_all()
    now = rt.clock.now()
    with rt.read_session() as s:
        q = select(Unit.id, Unit.name).where(Unit.active.is_(True)).order_by(Unit.name)
        units: list[tuple[int, str]] = [(uid, name) for uid, name in s.execute(q)]
        f = read_filter(defs, {uid for uid, _ in units})
        page = worklist(s, rt.registry, current_actor(), now, f, page=arg_int("page", 1) or 1, per_page=25)
        calendar = rt.calendar
        kinds, severities = dict(_list_choices(defs, "kind")), dict(_list_choices(defs, "severity"))
        rows = []
        for case in page.items:
            defn = rt.registry.get(case.workflow_name, case.workflow_version)
            rows.append({"case": case, "state": defn.states[case.state].label(lang()),
                         "kind": kinds.get(case.kind or "", case.kind or ""),
                         "severity": severities.get(case.severity or "", case.severity or ""),
                         "badge": badge_for(case, now, calendar, defn)})  # fmt: skip
    args = {k: v for k, v in request.args.items() if k != "page" and v}
    return render_template(
        "worklist.html", rows=rows, page=page, f=f, units=units,
        states=_state_choices(defs), kinds=_list_choices(defs, "kind"), severities=_list_choices(defs, "severity"),
        page_url=lambda n: "?" + urlencode({**args, "page": n}),
    )  # fmt: skip
