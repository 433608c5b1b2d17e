"""Error pages in the person's language; engine errors mapped to HTTP by their own `.status`.

A 500 shows a short reference that is also written to the log with the traceback, so a
person can quote it and an administrator can find it.
"""

from __future__ import annotations

import logging
import uuid

from flask import Flask, render_template
from flask_babel import gettext as _
from flask_wtf.csrf import CSRFError
from werkzeug.exceptions import HTTPException

from engine.errors import EngineError
from web.i18n import lang

log = logging.getLogger("presscase.web")


def _titles() -> dict[int, str]:
    return {
        400: _("Yêu cầu không hợp lệ"),
        403: _("Bạn không có quyền truy cập"),
        404: _("Không tìm thấy trang hoặc vụ việc"),
        405: _("Phương thức không được hỗ trợ"),
        409: _("Xung đột dữ liệu"),
        413: _("Tệp hoặc nội dung gửi lên quá lớn"),
        422: _("Dữ liệu không hợp lệ"),
        429: _("Quá nhiều yêu cầu"),
        500: _("Lỗi hệ thống"),
        503: _("Máy chủ đang bận"),
    }


def _explanations() -> dict[int, str]:
    return {
        400: _("Yêu cầu gửi lên không đúng định dạng. Vui lòng quay lại và thử lại."),
        403: _("Tài khoản của bạn không được phép xem trang này hoặc thực hiện thao tác này."),
        404: _("Trang hoặc vụ việc không tồn tại, hoặc bạn không có quyền xem."),
        405: _("Trang này không nhận yêu cầu theo cách đó."),
        409: _("Vụ việc đã thay đổi; vui lòng tải lại trang và kiểm tra trạng thái mới."),
        413: _("Tổng dung lượng gửi lên vượt quá giới hạn cho phép (mỗi tệp tối đa 10 MB)."),
        422: _("Dữ liệu gửi lên không hợp lệ."),
        429: _("Bạn đã gửi quá nhiều yêu cầu. Vui lòng thử lại sau ít phút."),
        503: _("Máy chủ đang bận. Vui lòng thử lại sau giây lát."),
        500: _("Đã có lỗi ngoài ý muốn. Vui lòng báo cho quản trị hệ thống mã lỗi dưới đây."),
    }


def render_error(status: int, message: str | None = None, reference: str | None = None) -> tuple[str, int]:
    title = _titles().get(status, _("Lỗi"))
    text = message or _explanations().get(status, "")
    return render_template("error.html", status=status, title=title, message=text, reference=reference), status


def init_app(app: Flask) -> None:
    @app.errorhandler(EngineError)
    def engine_error(err: EngineError) -> tuple[str, int]:
        status = err.status if err.status in (400, 403, 404, 409, 422, 429, 503) else 500
        if status == 500:
            return _server_error(err)
        return render_error(status, err.message(lang()))

    @app.errorhandler(CSRFError)
    def csrf_error(err: CSRFError) -> tuple[str, int]:
        text = _("Phiên làm việc của biểu mẫu đã hết hạn hoặc không hợp lệ. Vui lòng tải lại trang và gửi lại.")
        return render_error(400, text)

    @app.errorhandler(HTTPException)
    def http_error(err: HTTPException) -> tuple[str, int]:
        return render_error(err.code or 500)

    @app.errorhandler(Exception)
    def unexpected(err: Exception) -> tuple[str, int]:
        if isinstance(err, HTTPException):
            return http_error(err)
        return _server_error(err)

    def _server_error(err: Exception) -> tuple[str, int]:
        reference = uuid.uuid4().hex[:10].upper()
        log.error("Unhandled error, reference %s", reference, exc_info=err)
        if app.config.get("TESTING") and app.config.get("PROPAGATE_500_IN_TESTS", True):
            raise err  # tests see the real traceback: a 500 is a failure, never a page that passes
        return render_error(500, reference=reference)
