"""The administrators' page for API tokens: issue one for a user (shown once), list them with their
last use, revoke one. Every change goes through engine.org.api_tokens, which records it in the audit log."""

from __future__ import annotations

from flask import Blueprint, flash, redirect, render_template, request, url_for
from flask_babel import gettext as _
from sqlalchemy import select
from werkzeug.wrappers import Response

from engine.errors import EngineError, InvalidData
from engine.org import api_tokens
from engine.store.models import User
from web.access import admin_roles, roles_required, runtime
from web.audit import operator
from web.forms import FormField, form_text
from web.i18n import lang

bp = Blueprint("api_tokens_admin", __name__, url_prefix="/admin/api-tokens")
DEFAULT_EXPIRY = "90d"


def _fields(values: dict[str, str], errors: dict[str, str]) -> list[FormField]:
    with runtime().read_session() as s:
        people = [(u, f"{n} ({u})") for u, n in s.execute(select(User.username, User.full_name)
                                                            .where(User.active.is_(True)).order_by(User.username))]  # fmt: skip
    return [
        FormField("username", "choice", _("Tài khoản"), required=True, choices=people, value=values.get("username"),
                  error=errors.get("username")),
        FormField("label", "string", _("Ghi chú (dùng cho hệ thống nào)"), value=values.get("label"), error=errors.get("label"),
                  max_length=200),
        FormField("expires", "string", _("Thời hạn (ví dụ 90d, 12w; để trống: không hết hạn)"),
                  value=values.get("expires", DEFAULT_EXPIRY), error=errors.get("expires"), max_length=10),
    ]  # fmt: skip


def _page(values: dict[str, str] | None = None, errors: dict[str, str] | None = None,
          issued: api_tokens.Issued | None = None, status: int = 200) -> tuple[str, int]:  # fmt: skip
    rt = runtime()
    with rt.read_session() as s:
        rows = api_tokens.listing(s)
    return render_template("admin/api_tokens.html", rows=rows, now=rt.clock.now(), issued=issued,
                           fields=_fields(values or {}, errors or {})), status  # fmt: skip


@bp.route("", methods=["GET", "POST"])
@roles_required(admin_roles)
def index() -> tuple[str, int]:
    if request.method == "GET":
        return _page()
    values = {k: form_text(k, 300).strip() for k in ("username", "label", "expires")}
    try:
        expires = api_tokens.parse_duration(values["expires"]) if values["expires"] else None
        with runtime().uow() as uow:
            issued = api_tokens.issue(uow, values["username"], expires_in=expires, label=values["label"], by=operator())
    except InvalidData as err:
        return _page(values, err.field_messages(lang()), status=422)
    except EngineError as err:
        return _page(values, {"username": err.message(lang())}, status=422)
    # The token is on this page only: never in a flash message (the session cookie) nor in a redirect.
    return _page(issued=issued, status=201)


@bp.route("/<id:token_id>/revoke", methods=["POST"])
@roles_required(admin_roles)
def revoke(token_id: int) -> Response:
    with runtime().uow() as uow:
        row = api_tokens.revoke(uow, token_id, by=operator())
    flash(_("Đã thu hồi khóa API %(prefix)s…", prefix=row.prefix), "success")
    return redirect(url_for("api_tokens_admin.index"))
