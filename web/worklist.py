"""The worklist: cases the person may act on now, most urgent first, filtered and paginated in the database."""

from __future__ import annotations

from urllib.parse import urlencode

from flask import Blueprint, redirect, render_template, request, url_for
from sqlalchemy import select
from werkzeug.wrappers import Response

from engine.read.queries import Page, WorklistFilter, worklist
from engine.store.models import Unit
from web.access import current_actor, roles_required, runtime, worklist_roles
from web.badges import badge_for
from web.forms import arg_int, arg_text
from web.i18n import lang
from workflows.definition import Definition

bp = Blueprint("worklist", __name__, url_prefix="/worklist")


def list_choices(defs: list[Definition], column: str) -> list[tuple[str, str]]:
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


def state_choices(defs: list[Definition]) -> list[tuple[str, str]]:
    """Every state of every workflow, open ones first, each once."""
    out: dict[str, str] = {}
    for terminal in (False, True):
        for d in defs:
            for sid, spec in d.states.items():
                if spec.terminal == terminal:
                    out.setdefault(sid, spec.label(lang()))
    return list(out.items())


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
    kinds = {k for k, _ in list_choices(defs, "kind")}
    severities = {k for k, _ in list_choices(defs, "severity")}
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


def _rows(page: Page, defs_kinds: dict[str, str], severities: dict[str, str], units: dict[int, str]) -> list[dict[str, object]]:
    rt = runtime()
    now, calendar = rt.clock.now(), rt.calendar  # the calendar once per list: asking checks its file on disk
    rows = []
    for case in page.items:
        defn = rt.registry.get(case.workflow_name, case.workflow_version)
        rows.append({"case": case, "state": defn.states[case.state].label(lang()),
                     "kind": defs_kinds.get(case.kind or "", case.kind or ""),
                     "severity": severities.get(case.severity or "", case.severity or ""),
                     "holder": units.get(case.assigned_unit_id or 0, ""),
                     "badge": badge_for(case, now, calendar, defn)})  # fmt: skip
    return rows


@bp.route("")
@roles_required(worklist_roles)
def index() -> str | Response:
    """Two lists: the cases waiting on this person's role and unit ("my work"), then those they may
    act on while another unit holds them (an assessor may reassign a case a handler holds), each
    with the unit holding it. A state no worklist holds (published, dismissed...) is the search's."""
    rt = runtime()
    defs = rt.registry.latest_all()
    wanted = arg_text("state", 40)
    if wanted and wanted not in {k for k, _ in _state_choices(defs)} and wanted in {k for k, _ in state_choices(defs)}:
        return redirect(url_for("search.index", **request.args))
    now = rt.clock.now()
    actor = current_actor()
    with rt.read_session() as s:
        all_units = s.execute(select(Unit.id, Unit.name, Unit.active).order_by(Unit.name)).all()
        names = {uid: name for uid, name, _ in all_units}
        active = [(uid, name) for uid, name, is_active in all_units if is_active]
        f = read_filter(defs, {uid for uid, _ in active})
        mine = worklist(s, rt.registry, actor, now, f, page=arg_int("page", 1) or 1, per_page=25, responsible=True)
        others = worklist(s, rt.registry, actor, now, f, page=arg_int("opage", 1) or 1, per_page=25, responsible=False)
        kinds, severities = dict(list_choices(defs, "kind")), dict(list_choices(defs, "severity"))
        rows = _rows(mine, kinds, severities, names)
        other_rows = _rows(others, kinds, severities, names)
    args = {k: v for k, v in request.args.items() if k not in ("page", "opage") and v}
    return render_template(
        "worklist.html", rows=rows, page=mine, other_rows=other_rows, others=others, f=f, units=active,
        states=_state_choices(defs), kinds=list_choices(defs, "kind"), severities=list_choices(defs, "severity"),
        page_url=lambda n: "?" + urlencode({**args, "opage": others.page, "page": n}),
        other_page_url=lambda n: "?" + urlencode({**args, "page": mine.page, "opage": n}) + "#others",
    )  # fmt: skip
