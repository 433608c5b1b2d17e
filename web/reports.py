"""Reporters' pages: file a report (with evidence), and follow their unit's reports."""

from __future__ import annotations

from flask import Blueprint, abort, redirect, render_template, request, url_for
from werkzeug.wrappers import Response

from engine.cases import commands as service
from engine.cases import policy
from engine.cases.idempotency import AlreadyDone, KeyReused
from engine.errors import InvalidData, NeedsConfirmation, Unresolvable
from engine.read.queries import WorklistFilter, visible_cases
from web import retry as retry_keys
from web.access import current_actor, filing_roles, roles_required, runtime
from web.badges import badge_for
from web.forms import (
    CONFIRM_UNSTAFFED,
    EVIDENCE_FIELD,
    arg_int,
    arg_text,
    data_from_request,
    evidence_field,
    fields_for,
    uploads_from_request,
)
from web.i18n import lang
from web.present import reporter_words
from workflows.definition import Definition

bp = Blueprint("reports", __name__, url_prefix="/reports")


def _fileable() -> list[Definition]:
    """The newest version of each workflow this person may file in, in the order the definitions'
    `[reporting] position` gives (then by name)."""
    actor = current_actor()
    defs = [d for d in runtime().registry.latest_all() if policy.may_fire(d.create_transition, None, actor)]
    return sorted(defs, key=lambda d: (d.reporting.position if d.reporting else 100, d.name))


@bp.route("/new", methods=["GET", "POST"])
@roles_required(filing_roles)
def new() -> Response | str | tuple[str, int]:
    choices = _fileable()
    if not choices:
        abort(403)
    wanted = arg_text("workflow", 80) or (request.form.get("workflow") or "")[:80] or choices[0].name
    defn = next((d for d in choices if d.name == wanted), None)
    if defn is None:
        abort(404)
    t = defn.create_transition
    rt = runtime()
    errors: dict[str, str] = {}
    values: dict[str, object] = {}
    refusal: str | None = None
    confirm = False
    if request.method == "POST":
        values = data_from_request(t)
        retry = retry_keys.posted()
        try:
            # the same rendered form sent again (Back, a double click, a resend): the report it filed
            first = retry_keys.first_result(retry)
            if first is not None:
                return retry_keys.already_sent(first, filed=1)
            with rt.uow() as uow:
                uow.retry_key = retry
                out = service.file_report(uow, current_actor(), defn.name, values, uploads_from_request(),
                                          confirm_unstaffed=request.form.get(CONFIRM_UNSTAFFED) == "1")  # fmt: skip
        except AlreadyDone as done:
            return retry_keys.already_sent(done.outcome, filed=1)
        except KeyReused as err:
            # sent again with changed content: nothing written, nothing typed lost; sending it now files a new report
            refusal = retry_keys.reused_message(err.first)
            retry_keys.renew()
        except InvalidData as err:
            errors = err.field_messages(lang())
        except (Unresolvable, NeedsConfirmation) as err:
            refusal = err.message(lang())  # nothing written; the form comes back as typed, with the reason
            confirm = isinstance(err, NeedsConfirmation)
        else:
            # the case page says the reference prominently (?filed=1), so no second flash message
            return redirect(url_for("cases.show", case_id=out.case_id, filed=1))
    with rt.read_session() as s:
        fields = fields_for(s, defn, t, values, errors)
    evidence = evidence_field(errors.get(EVIDENCE_FIELD))
    status = 422 if errors or refusal else 200
    return render_template("reports/new.html", defn=defn, choices=choices, fields=fields, evidence=evidence,
                           errors=errors, refusal=refusal, confirm_unstaffed=confirm), status  # fmt: skip


@bp.route("")
@roles_required(filing_roles)
def mine() -> str:
    """Every case this person's unit filed (the policy's own_unit visibility), newest first."""
    rt = runtime()
    now = rt.clock.now()
    page_no = arg_int("page", 1) or 1
    actor = current_actor()
    with rt.read_session() as s:
        page = visible_cases(s, rt.registry, actor, now, WorklistFilter(open_only=False), page=page_no)
        calendar = rt.calendar
        rows = []
        for case in page.items:
            defn = rt.registry.get(case.workflow_name, case.workflow_version)
            rows.append({
                "case": case, "defn": defn, "state": defn.states[case.state].label(lang()),
                "words": reporter_words(defn, case.state), "badge": badge_for(case, now, calendar, defn),
                "needs_me": bool(policy.allowed_transitions(defn, case, actor)),
            })  # fmt: skip
    return render_template("reports/mine.html", rows=rows, page=page)
