"""Extending a stage's deadline (supervisors, as the definition's [extension] says).

The button is shown when `engine.cases.policy.may_extend` allows it; the command
`engine.cases.commands.extend_deadline` checks the same policy again before it writes.
"""

from __future__ import annotations

from flask import Blueprint, abort, flash, redirect, render_template, request, url_for
from flask_babel import gettext as _
from flask_login import login_required
from werkzeug.wrappers import Response

from engine.cases import commands as service
from engine.cases import policy
from engine.cases.idempotency import AlreadyDone, KeyReused
from engine.errors import InvalidData, NotAvailable, StaleVersion, Unresolvable
from engine.read.queries import load_visible_case
from web import retry as retry_keys
from web.access import current_actor, runtime
from web.cases import _page, _posted_version
from web.forms import FormField
from web.i18n import lang

bp = Blueprint("extend", __name__, url_prefix="/cases")


def _fields(max_days: int, values: dict[str, str], errors: dict[str, str]) -> list[FormField]:
    return [
        FormField("working_days", "integer", _("Số ngày làm việc gia hạn"), required=True, value=values.get("working_days"),
                  error=errors.get("working_days"), min=1, max=max_days,
                  help=_("Tối đa %(n)d ngày làm việc, tính từ hạn hiện tại (hoặc từ hôm nay nếu đã quá hạn).", n=max_days)),
        FormField("reason", "text", _("Lý do gia hạn"), required=True, value=values.get("reason"),
                  error=errors.get("reason"), max_length=4000),
    ]  # fmt: skip


def _form(case_id: int, values: dict[str, str], errors: dict[str, str], version: int | None = None,
          refusal: str | None = None) -> tuple[str, int]:  # fmt: skip
    rt = runtime()
    with rt.read_session() as s:
        case, defn = load_visible_case(s, rt.registry, current_actor(), case_id=case_id)
        if not policy.may_extend(defn, case, current_actor()) or defn.extension is None:
            abort(403)
        ctx = {
            "case": case, "fields": _fields(defn.extension.max_working_days, values, errors),
            "version": version if version is not None else case.version,
            "state_label": defn.states[case.state].label(lang()), "refusal": refusal, "confirm_unstaffed": False,
        }  # fmt: skip
        return render_template("cases/extend.html", **ctx), (422 if errors or refusal else 200)


@bp.route("/<id:case_id>/extend", methods=["GET", "POST"])
@login_required
def extend(case_id: int) -> Response | tuple[str, int]:
    if request.method == "GET":
        return _form(case_id, {}, {})
    version = _posted_version()
    values = {k: (request.form.get(k) or "").strip()[:5000] for k in ("working_days", "reason")}
    retry = retry_keys.posted()
    try:
        first = retry_keys.first_result(retry)
    except KeyReused as err:
        retry_keys.renew()
        return _page(case_id, conflict=retry_keys.reused_message(err.first), status=422)
    if first is not None:
        return retry_keys.already_sent(first)
    text = values["working_days"]
    if not text.isdigit() or len(text) > 4:
        return _form(case_id, values, {"working_days": _("Nhập một số nguyên dương.")}, version)
    try:
        with runtime().uow() as uow:
            uow.retry_key = retry
            service.extend_deadline(uow, case_id, current_actor(), int(text), values["reason"], version)
    except AlreadyDone as done:
        return retry_keys.already_sent(done.outcome)
    except KeyReused as err:
        retry_keys.renew()
        return _page(case_id, conflict=retry_keys.reused_message(err.first), status=422)
    except (StaleVersion, NotAvailable) as err:
        retry_keys.renew()
        return _page(case_id, conflict=err.message(lang()), status=409)
    except InvalidData as err:
        return _form(case_id, values, err.field_messages(lang()), version)
    except Unresolvable as err:  # someone the definition says must be told has no unit: nothing written
        return _form(case_id, values, {}, version, refusal=err.message(lang()))
    flash(_("Đã gia hạn xử lý vụ việc."), "success")
    return redirect(url_for("cases.show", case_id=case_id))
