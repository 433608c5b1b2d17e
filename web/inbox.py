"""The in-app inbox, the notification settings, and the administrators' page of failed deliveries.

Pages only: what an item says, who gets it and when is decided by the notifications package;
each view calls one of its queries or commands. Every POST carries Flask-WTF's CSRF token, and
every inbox function is scoped to the signed-in user, so an id in a URL never reaches another
person's items. The header's unread count comes from `inbox_unread_count()`, a template global
this blueprint installs (lazy: it queries only when a template calls it).
"""

from __future__ import annotations

from flask import Blueprint, abort, flash, redirect, render_template, request, url_for
from flask_babel import gettext as _
from flask_login import current_user, login_required
from werkzeug.wrappers import Response

from engine.errors import InvalidData
from engine.store.notification_models import CHANNEL_MODES, EMAIL
from notifications import failures, inbox, preferences
from web.access import admin_roles, current_actor, roles_required, runtime
from web.audit import operator
from web.forms import arg_int

bp = Blueprint("inbox", __name__)


@bp.app_context_processor
def unread_counter() -> dict[str, object]:
    def inbox_unread_count() -> int:
        if not getattr(current_user, "is_authenticated", False):
            return 0
        with runtime().read_session() as s:
            return inbox.unread_count(s, current_user.id)

    return {"inbox_unread_count": inbox_unread_count}


def _user_id() -> int:
    uid = current_actor().user_id
    if uid is None:  # behind login_required: a signed-in person always has an id
        abort(403)
    return uid


@bp.get("/inbox")
@login_required
def index() -> str:
    unread_only = request.args.get("unread") == "1"
    with runtime().read_session() as s:
        page = inbox.list_items(s, _user_id(), page=arg_int("page", 1) or 1, unread_only=unread_only)
    def page_url(n: int) -> str:
        return url_for("inbox.index", page=n, unread=1 if unread_only else None)

    return render_template("inbox/index.html", page=page, unread_only=unread_only, page_url=page_url)


@bp.post("/inbox/<int:item_id>/read")
@login_required
def mark_read(item_id: int) -> Response:
    rt = runtime()
    with rt.uow() as uow:
        if not inbox.mark_read(uow, _user_id(), item_id, rt.clock.now()):
            abort(404)
    return redirect(url_for("inbox.index", unread=request.form.get("unread") or None))


@bp.post("/inbox/<int:item_id>/open")
@login_required
def open_item(item_id: int) -> Response:
    """Mark read and go to the case (the case page decides whether this person may see it)."""
    rt = runtime()
    uid = _user_id()
    with rt.read_session() as s:
        item = inbox.get_item(s, uid, item_id)
    if item is None:
        abort(404)
    with rt.uow() as uow:
        inbox.mark_read(uow, uid, item_id, rt.clock.now())
    if item.case_id is None:
        return redirect(url_for("inbox.index"))
    return redirect(url_for("cases.show", case_id=item.case_id))


@bp.post("/inbox/read-all")
@login_required
def mark_all_read() -> Response:
    rt = runtime()
    with rt.uow() as uow:
        n = inbox.mark_all_read(uow, _user_id(), rt.clock.now())
    flash(_("Đã đánh dấu %(n)d thông báo là đã đọc.", n=n), "success")
    return redirect(url_for("inbox.index"))


def _mode_labels() -> dict[str, str]:
    return {
        "immediate": _("Nhận từng thư ngay khi có thông báo"),
        "digest": _("Nhận một thư tổng hợp mỗi ngày"),
        "off": _("Không nhận thư (chỉ xem trong hộp thư)"),
    }


@bp.route("/inbox/settings", methods=["GET", "POST"])
@login_required
def settings() -> str | Response:
    rt = runtime()
    uid = _user_id()
    error = None
    if request.method == "POST":
        mode = request.form.get("email", "")
        try:
            with rt.uow() as uow:
                preferences.set_mode(uow, uid, EMAIL, mode, rt.clock.now())
        except InvalidData:
            error = _("Lựa chọn không hợp lệ.")
        else:
            flash(_("Đã lưu tùy chọn thông báo."), "success")
            return redirect(url_for("inbox.settings"))
    with rt.read_session() as s:
        chosen = preferences.preferences_of(s, uid)
    labels = _mode_labels()
    choices = [(m, labels[m]) for m in CHANNEL_MODES[EMAIL]]
    return render_template("inbox/settings.html", chosen=chosen, choices=choices, error=error), (422 if error else 200)


@bp.get("/admin/notifications")
@roles_required(admin_roles)
def failed() -> str:
    rt = runtime()
    with rt.read_session() as s:
        rows = failures.failed_rows(s, rt.registry, current_actor())
        digests = failures.failed_digests(s)
    return render_template("inbox/failed.html", rows=rows, digests=digests)


@bp.post("/admin/notifications/<int:outbox_id>/retry")
@roles_required(admin_roles)
def retry(outbox_id: int) -> Response:
    rt = runtime()
    with rt.uow() as uow:
        ok = failures.retry_row(uow, outbox_id, rt.clock.now(), operator())
    flash(_("Sẽ gửi lại thông báo.") if ok else _("Thông báo này không ở trạng thái lỗi."), "success" if ok else "info")
    return redirect(url_for("inbox.failed"))


@bp.post("/admin/notifications/digests/<int:digest_id>/retry")
@roles_required(admin_roles)
def retry_digest(digest_id: int) -> Response:
    rt = runtime()
    with rt.uow() as uow:
        ok = failures.retry_digest(uow, digest_id, rt.clock.now(), operator())
    flash(_("Sẽ gửi lại thư tổng hợp.") if ok else _("Thư tổng hợp này không ở trạng thái lỗi."), "success" if ok else "info")
    return redirect(url_for("inbox.failed"))


@bp.post("/admin/notifications/retry-all")
@roles_required(admin_roles)
def retry_all() -> Response:
    rt = runtime()
    with rt.uow() as uow:
        n = failures.retry_all(uow, rt.clock.now(), operator())
    flash(_("Sẽ gửi lại %(n)d thông báo.", n=n), "success")
    return redirect(url_for("inbox.failed"))
