"""Per-address throttling of sign-in with Flask-Limiter, as a first line before the per-account lockout.

Only failed sign-ins count (a district office behind one address signs in many people). The
storage is memory by default, which counts per process; a deployment with several processes
or machines points PRESSCASE_RATELIMIT_STORAGE_URI at Redis or Memcached so they share one
count. The per-account lockout (engine/org/signin.py) is in the database and holds regardless.
"""

from __future__ import annotations

import logging

from flask import Flask, render_template, request
from flask_babel import gettext as _
from flask_limiter import Limiter, RateLimitExceeded
from flask_limiter.util import get_remote_address
from werkzeug.wrappers import Response

RETRY_AFTER_S = 60
log = logging.getLogger("presscase.web")


def init_app(app: Flask) -> None:
    """One limiter per application (its own storage), wrapped around the views that check a password."""
    limiter = Limiter(
        key_func=get_remote_address,
        app=app,
        storage_uri=app.config.get("RATELIMIT_STORAGE_URI", "memory://"),
        enabled=app.config.get("RATELIMIT_ENABLED", True),
        key_prefix="presscase",
    )
    app.extensions["presscase_limiter"] = limiter
    # Changing one's password checks the current one: guessing it there is throttled the same way.
    for endpoint in ("auth.login", "auth.change_password"):
        app.view_functions[endpoint] = limiter.limit(
            app.config.get("LOGIN_RATE_LIMIT", "20 per minute;200 per hour"),
            methods=["POST"],
            deduct_when=lambda response: response.status_code != 302,
        )(app.view_functions[endpoint])

    @app.errorhandler(RateLimitExceeded)
    def too_many(_err: RateLimitExceeded) -> Response:
        log.warning("refused: too many wrong passwords from %s at %s", request.remote_addr, request.endpoint)
        if request.endpoint != "auth.login":
            from web.errors import render_error

            body, status = render_error(429)
            return Response(body, status=status, mimetype="text/html", headers={"Retry-After": str(RETRY_AFTER_S)})
        return too_many_attempts(_("Quá nhiều lần đăng nhập không thành công từ địa chỉ này. "
                                   "Vui lòng thử lại sau ít phút."), RETRY_AFTER_S)  # fmt: skip


def too_many_attempts(message: str, retry_after_s: int) -> Response:
    """The sign-in page again, with the reason, as 429 with Retry-After (per address or per account alike)."""
    from web.auth import login_fields

    body = render_template("auth/login.html", fields=login_fields(request.form.get("username", "")[:200], message),
                           next=request.form.get("next", "")[:2000])  # fmt: skip
    response = Response(body, status=429, mimetype="text/html")
    response.headers["Retry-After"] = str(retry_after_s)
    return response
