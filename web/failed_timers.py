"""/admin/timers: the timers the sweep gave up on, for administrators, with a retry button each.

A timer fails only after repeated errors (engine/jobs/sweep.py); a busy case or a definition version
this process had not loaded is retried with backoff, not failed. Retrying makes the timer
pending and due at once; if its case has moved on meanwhile the sweep cancels it as moot.
"""

from __future__ import annotations

from flask import Blueprint, flash, redirect, render_template, url_for
from flask_babel import gettext as _
from werkzeug.wrappers import Response

from engine.cases import timers
from web.access import admin_roles, roles_required, runtime
from web.audit import operator

bp = Blueprint("failed_timers", __name__, url_prefix="/admin/timers")


@bp.get("")
@roles_required(admin_roles)
def index() -> str:
    with runtime().read_session() as s:
        rows = timers.failed(s)
    return render_template("admin/timers.html", rows=rows)


@bp.post("/<int:timer_id>/retry")
@roles_required(admin_roles)
def retry(timer_id: int) -> Response:
    rt = runtime()
    with rt.uow() as uow:
        ok = timers.retry(uow.session, timer_id, rt.clock.now(), by=operator())
        uow.commit()
    flash(_("Bộ hẹn giờ sẽ được thực hiện lại ở lượt quét tới.") if ok else _("Bộ hẹn giờ này không ở trạng thái lỗi."),
          "success" if ok else "info")  # fmt: skip
    return redirect(url_for("failed_timers.index"))
