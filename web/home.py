"""The home page only sends each person to where their work is."""

from __future__ import annotations

from flask import Blueprint, redirect, url_for
from flask_login import current_user
from werkzeug.wrappers import Response

from web.access import admin_roles, filing_roles, has_any_role, overview_roles, worklist_roles

bp = Blueprint("home", __name__)


@bp.route("/")
def index() -> Response:
    if not current_user.is_authenticated:
        return redirect(url_for("auth.login"))
    if has_any_role(worklist_roles()):
        return redirect(url_for("worklist.index"))
    if has_any_role(filing_roles()):
        return redirect(url_for("reports.mine"))
    if has_any_role(overview_roles()):
        return redirect(url_for("overview.index"))
    if has_any_role(admin_roles()):
        return redirect(url_for("admin.units"))
    return redirect(url_for("auth.change_password"))


@bp.app_context_processor
def navigation() -> dict[str, object]:
    """The menu shows only the pages this person's roles open (the pages themselves check again)."""
    from flask_babel import gettext as _
    from flask_babel import pgettext

    if not current_user.is_authenticated:
        return {"nav": []}
    items = []
    if has_any_role(filing_roles()):
        items += [("reports.new", _("Gửi phản ánh")), ("reports.mine", _("Phản ánh của đơn vị"))]
    if has_any_role(worklist_roles()):
        items.append(("worklist.index", _("Việc cần xử lý")))
    from web.search import search_roles

    if has_any_role(search_roles()):
        items.append(("search.index", _("Tra cứu")))
    if has_any_role(overview_roles()):
        items.append(("overview.index", _("Tổng quan")))
    from web.dashboard import dashboard_roles

    if has_any_role(dashboard_roles()):
        items.append(("dashboard.index", _("Thống kê, báo cáo")))
    if has_any_role(admin_roles()):
        items += [("admin.units", pgettext("menu", "Đơn vị")), ("admin.users", _("Người dùng")),
                  ("admin.workflows", _("Quy trình")), ("inbox.failed", _("Thông báo gửi lỗi")),
                  ("failed_timers.index", _("Bộ hẹn giờ lỗi")), ("audit.index", _("Nhật ký quản trị")),
                  ("api_tokens_admin.index", _("Khóa API"))]  # fmt: skip
    items.append(("inbox.index", _("Hộp thư")))
    return {"nav": items}
