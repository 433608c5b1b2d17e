"""The administration's audit log, for administrators: who changed accounts, roles, units,
definitions and deadlines, and who retried what, newest first (engine.audit.log)."""

from __future__ import annotations

from typing import Any

from flask import Blueprint, render_template, url_for
from flask_babel import gettext as _
from flask_login import current_user

from engine.audit import log as audit_log
from engine.audit.log import Operator
from engine.read.queries import Page
from web.access import admin_roles, current_actor, roles_required, runtime
from web.forms import arg_int

bp = Blueprint("audit", __name__, url_prefix="/admin")
PER_PAGE = 50


def operator() -> Operator:
    """The signed-in person, as the audit log names them."""
    return Operator.web(current_actor().user_id, getattr(current_user, "username", "") or "?")


def action_labels() -> dict[str, str]:
    return {
        "unit.create": _("Đã tạo đơn vị"),
        "user.create": _("Đã tạo tài khoản"),
        "user.disable": _("Đã khóa tài khoản"),
        "user.enable": _("Đã mở khóa tài khoản"),
        "user.roles": _("Đã đổi vai trò"),
        "user.unit": _("Đã chuyển đơn vị"),
        "user.password_reset": _("Đã đặt lại mật khẩu"),
        "user.password_change": _("Người dùng tự đổi mật khẩu"),
        "user.password_rehash": _("Mã băm mật khẩu được làm mới khi đăng nhập"),
        "workflow.load": _("Đã nạp quy trình"),
        "case.deadline_extended": _("Đã gia hạn xử lý"),
        "notification.retry": _("Đã gửi lại thông báo"),
        "digest.retry": _("Đã gửi lại bản tin tổng hợp"),
        "timer.retry": _("Đã chạy lại hẹn giờ"),
        "audit.rekey": _("Đã ký lại chuỗi băm bằng khóa"),
        "audit.accounts_baseline": _("Đã ghi trạng thái tài khoản ban đầu"),
        "api_token.issue": _("Đã cấp khóa API"),
        "api_token.revoke": _("Đã thu hồi khóa API"),
    }


def _details(data: dict[str, Any]) -> str:
    """The recorded data in one line; a password's fingerprint is for `audit verify`, not for reading."""
    def show(v: Any) -> str:
        if isinstance(v, list):
            return ", ".join(map(str, v))
        return str(len(v)) if isinstance(v, dict) else str(v)

    return "; ".join(f"{k}: {show(v)}" for k, v in data.items() if k != "password" and v not in (None, "", []))


@bp.get("/audit")
@roles_required(admin_roles)
def index() -> str:
    page_no = arg_int("page", 1) or 1
    with runtime().read_session() as s:
        rows, total = audit_log.page(s, page_no, PER_PAGE)
    page = Page(rows, total, page_no, PER_PAGE)  # type: ignore[arg-type]

    def page_url(n: int) -> str:
        return url_for("audit.index", page=n)

    return render_template("admin/audit.html", rows=rows, page=page, labels=action_labels(), details=_details,
                           page_url=page_url)  # fmt: skip
