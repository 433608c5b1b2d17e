"""Sign-in, sign-out and one's own password, with Flask-Login.

The session and the remember cookie carry the user id and the account's session generation
(nothing derived from the password hash). Signing out, a new password and disabling the
account advance the generation in the database, so every cookie issued before is refused on
the server, wherever it was copied to. The user is reloaded on every request, so a disabled
account is signed out at its next click.
"""

from __future__ import annotations

import logging
from dataclasses import dataclass
from urllib.parse import urlsplit

from flask import Blueprint, Flask, current_app, flash, redirect, render_template, request, session, url_for
from flask_babel import gettext as _
from flask_babel import lazy_gettext
from flask_login import LoginManager, current_user, login_required, login_user, logout_user
from werkzeug.wrappers import Response

from engine.errors import InvalidData
from engine.org import accounts, signin
from engine.org.actors import Actor
from engine.org.password_policy import MIN_LENGTH
from engine.store.models import User
from web.access import current_actor, runtime
from web.forms import FormField, form_text
from web.i18n import lang

log = logging.getLogger("presscase.web")
bp = Blueprint("auth", __name__)
login_manager = LoginManager()


@dataclass(frozen=True)
class SessionUser:
    """What Flask-Login keeps for a request: a snapshot of the user row and their engine Actor."""

    id: int
    username: str
    full_name: str
    unit_id: int
    unit_name: str
    language: str
    roles: frozenset[str]
    generation: int
    is_active: bool = True
    unit_type: str | None = None
    is_authenticated: bool = True
    is_anonymous: bool = False

    @classmethod
    def from_user(cls, user: User) -> SessionUser:
        return cls(user.id, user.username, user.full_name, user.unit_id, user.unit.name, user.language, user.roles,
                   user.session_generation, user.active, unit_type=user.unit.type)  # fmt: skip

    def get_id(self) -> str:
        return f"{self.id}.{self.generation}"

    @property
    def actor(self) -> Actor:
        return Actor(self.id, self.unit_id, self.roles, self.full_name, self.language, self.unit_type)


def load_user(user_key: str) -> SessionUser | None:
    """None for a malformed key, an unknown or disabled user, or a session ended since (sign-out, new password)."""
    uid_text, _sep, generation = user_key.partition(".")
    if not (uid_text.isdigit() and generation.isdigit()) or len(uid_text) > 12 or len(generation) > 12:
        return None
    with runtime().read_session() as s:
        user = s.get(User, int(uid_text))
        if user is None or not user.active or user.session_generation != int(generation):
            return None
        return SessionUser.from_user(user)


def init_app(app: Flask) -> None:
    login_manager.init_app(app)
    login_manager.user_loader(load_user)
    login_manager.login_view = "auth.login"
    login_manager.login_message = lazy_gettext("Vui lòng đăng nhập để tiếp tục.")
    login_manager.login_message_category = "info"
    login_manager.session_protection = "strong"


def _safe_next(target: str | None) -> str:
    """Only a path on this site (no scheme, no host, no '//'), else the home page."""
    if target:
        parts = urlsplit(target)
        if not parts.scheme and not parts.netloc and target.startswith("/") and not target.startswith("//"):
            return target
    return url_for("home.index")


def login_fields(username: str = "", error: str | None = None) -> list[FormField]:
    return [
        FormField("username", "string", _("Tên đăng nhập"), required=True, value=username, error=error),
        FormField("password", "password", _("Mật khẩu"), required=True),
        FormField("remember", "boolean", _("Ghi nhớ đăng nhập trên máy này (3 ngày)")),
    ]


@bp.route("/login", methods=["GET", "POST"])
def login() -> Response | str | tuple[str, int]:
    if current_user.is_authenticated:
        return redirect(url_for("home.index"))
    if request.method == "GET":
        return render_template("auth/login.html", fields=login_fields(), next=request.args.get("next", ""))
    username = form_text("username", 200).strip().lower()
    password = form_text("password", 1000)
    rt = runtime()
    result = signin.sign_in(rt, username, password, current_app.config.get("LOGIN_LOCKOUT", signin.Lockout()))
    if result.outcome == signin.LOCKED:
        from web.throttle import too_many_attempts

        log.warning("sign-in refused: account %r locked after repeated wrong passwords (from %s)",
                    username, request.remote_addr)  # fmt: skip
        minutes = max(1, -(-result.retry_after_s // 60))
        return too_many_attempts(_("Tài khoản này tạm khóa do nhập sai mật khẩu nhiều lần. "
                                   "Vui lòng thử lại sau %(n)s phút.", n=minutes), result.retry_after_s)  # fmt: skip
    if result.outcome == signin.OK:
        with rt.read_session() as s:
            user = s.get(User, result.user_id)
            _start_session(SessionUser.from_user(user), remember=request.form.get("remember") in ("1", "on"))  # type: ignore[arg-type]
        return redirect(_safe_next(request.form.get("next")))
    if result.outcome == signin.DISABLED:
        error = _("Tài khoản này đã bị khóa. Vui lòng liên hệ quản trị hệ thống.")
    else:
        error = _("Tên đăng nhập hoặc mật khẩu không đúng.")
    fields = login_fields(username, error)
    return render_template("auth/login.html", fields=fields, next=request.form.get("next", "")), 422


def _start_session(user: SessionUser, remember: bool = False) -> None:
    """A fresh session for a signed-in person: nothing kept from before sign-in but the language chosen,
    so the CSRF token handed out on the sign-in page (or planted by someone else) stops working."""
    chosen = session.get("lang")
    session.clear()
    if chosen:
        session["lang"] = chosen
    login_user(user, remember=remember)


@bp.route("/logout", methods=["POST"])
def logout() -> Response:
    """Ends the account's sessions on the server: a copy of the cookie taken before no longer works."""
    if current_user.is_authenticated:
        with runtime().uow() as uow:
            accounts.end_sessions(uow, current_user.id)
    logout_user()
    flash(_("Bạn đã đăng xuất."), "info")
    return redirect(url_for("auth.login"))


@bp.route("/account/password", methods=["GET", "POST"])
@login_required
def change_password() -> Response | str | tuple[str, int]:
    errors: dict[str, str] = {}
    if request.method == "POST":
        current = form_text("current_password", 1000)
        new = form_text("new_password", 1000)
        if new != form_text("confirm_password", 1000):
            errors["confirm_password"] = _("Hai lần nhập mật khẩu mới không khớp.")
        try:
            if errors:  # still tell everything else that is wrong, without changing anything
                with runtime().read_session() as s:
                    user = s.get(User, current_user.id)
                    errors.update({k: v[0 if lang() == "vi" else 1]
                                   for k, v in accounts.password_change_errors(user, current, new).items()})  # type: ignore[arg-type]
            else:
                with runtime().uow() as uow:
                    accounts.change_own_password(uow, current_actor().user_id or 0, current, new)
                with runtime().read_session() as s:
                    user = s.get(User, current_user.id)
                    login_user(SessionUser.from_user(user))  # type: ignore[arg-type]  # the new session generation
                flash(_("Đã đổi mật khẩu."), "success")
                return redirect(url_for("home.index"))
        except InvalidData as err:
            errors.update(err.field_messages(lang()))
    fields = [
        FormField("current_password", "password", _("Mật khẩu hiện tại"), required=True, error=errors.get("current_password")),
        FormField("new_password", "password", _("Mật khẩu mới (tối thiểu %(n)s ký tự)", n=MIN_LENGTH), required=True,
                  error=errors.get("new_password")),
        FormField("confirm_password", "password", _("Nhập lại mật khẩu mới"), required=True,
                  error=errors.get("confirm_password")),
    ]  # fmt: skip
    return render_template("auth/password.html", fields=fields), (422 if errors else 200)


@bp.route("/account/language", methods=["POST"])
@login_required
def set_language() -> Response:
    """Each person picks Vietnamese or English for themselves; an unknown choice is simply refused."""
    choice = form_text("language", 10)
    try:
        with runtime().uow() as uow:
            accounts.set_language(uow, current_user.id, choice)
    except InvalidData as err:
        flash(err.message(lang()), "error")
    return redirect(_safe_next(request.form.get("next")))
