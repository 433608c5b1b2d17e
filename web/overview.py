"""A simple overview for oversight: how many cases are in each state, and which are overdue."""

from __future__ import annotations

from flask import Blueprint, render_template

from engine.read.queries import WorklistFilter, counts_by_state, visible_cases
from web.access import current_actor, overview_roles, roles_required, runtime
from web.badges import badge_for
from web.forms import arg_int
from web.i18n import lang

bp = Blueprint("overview", __name__, url_prefix="/overview")


@bp.route("")
@roles_required(overview_roles)
def index() -> str:
    rt = runtime()
    actor = current_actor()
    now = rt.clock.now()
    with rt.read_session() as s:
        counts = counts_by_state(s, rt.registry, actor)
        groups = []
        for defn in rt.registry.latest_all():
            rows = [(spec.label(lang()), counts.get((defn.name, sid), 0), sid) for sid, spec in defn.states.items()]
            groups.append({"defn": defn, "rows": rows, "total": sum(n for _, n, _ in rows)})
        page = visible_cases(s, rt.registry, actor, now, WorklistFilter(overdue_only=True, open_only=True),
                             page=arg_int("page", 1) or 1, per_page=50)  # fmt: skip
        calendar = rt.calendar
        overdue = []
        for case in page.items:
            defn = rt.registry.get(case.workflow_name, case.workflow_version)
            overdue.append({"case": case, "state": defn.states[case.state].label(lang()),
                            "badge": badge_for(case, now, calendar, defn)})  # fmt: skip
    return render_template("overview.html", groups=groups, overdue=overdue, page=page)
