"""Administration (admins only): the unit tree, users, and the loaded workflow definitions.

Every change goes through engine.org.admin / engine.org.accounts commands; this module only turns
forms into their arguments and their InvalidData back into inline messages.
"""

from __future__ import annotations

from dataclasses import dataclass

from flask import Blueprint, abort, flash, redirect, render_template, request, url_for
from flask_babel import gettext as _
from sqlalchemy import select
from werkzeug.wrappers import Response

from engine.errors import InvalidData
from engine.org import accounts
from engine.org import admin as admin_cmd
from engine.org.password_policy import MIN_LENGTH
from engine.store.models import Unit, User, WorkflowDefinitionRow
from web.access import admin_roles, current_actor, roles_required, runtime
from web.audit import operator
from web.cases import diagram
from web.forms import FormField, form_text
from web.i18n import lang
from workflows.unit_types import load_unit_types

bp = Blueprint("admin", __name__, url_prefix="/admin")


@dataclass
class UnitNode:
    unit: Unit
    depth: int


def _unit_tree(units: list[Unit]) -> list[UnitNode]:
    """Depth-first, children under their parent, each level by name."""
    children: dict[int | None, list[Unit]] = {}
    for u in units:
        children.setdefault(u.parent_id, []).append(u)
    out: list[UnitNode] = []

    def walk(parent: int | None, depth: int) -> None:
        for u in sorted(children.get(parent, []), key=lambda u: u.name):
            out.append(UnitNode(u, depth))
            if depth < 20:
                walk(u.id, depth + 1)

    walk(None, 0)
    return out


def _unit_type_choices() -> list[tuple[str, str]]:
    """The configured unit types (workflows/org/unit_types.toml), labelled in the person's language."""
    return load_unit_types().choices(lang())


def _role_choices() -> list[tuple[str, str]]:
    labels: dict[str, str] = {"admin": _("Quản trị hệ thống")}
    for d in runtime().registry.all():
        for role, spec in d.roles.items():
            labels.setdefault(role, spec.get(f"label_{lang()}") or spec.get("label_vi") or role)
    return sorted(labels.items(), key=lambda kv: kv[1])


def _language_choices() -> list[tuple[str, str]]:
    return [("vi", "Tiếng Việt"), ("en", "English")]


def _unit_fields(s: object, values: dict[str, str], errors: dict[str, str], units: list[Unit]) -> list[FormField]:
    parents = [("", _("(không có)"))] + [(u.code, f"{u.name} ({u.code})") for u in units]
    return [
        FormField("code", "string", _("Mã đơn vị"), required=True, value=values.get("code"), error=errors.get("code"),
                  max_length=40),
        FormField("name", "string", _("Tên đơn vị"), required=True, value=values.get("name"), error=errors.get("name"),
                  max_length=200),
        FormField("type", "choice", _("Loại đơn vị"), required=True, choices=_unit_type_choices(),
                  value=values.get("type"), error=errors.get("type")),
        FormField("parent", "choice", _("Đơn vị cấp trên"), choices=parents, value=values.get("parent"),
                  error=errors.get("parent")),
    ]  # fmt: skip


@bp.route("/units", methods=["GET", "POST"])
@roles_required(admin_roles)
def units() -> Response | tuple[str, int]:
    rt = runtime()
    values: dict[str, str] = {}
    errors: dict[str, str] = {}
    if request.method == "POST":
        values = {k: form_text(k, 300).strip() for k in ("code", "name", "type", "parent")}
        try:
            with rt.uow() as uow:
                admin_cmd.add_unit(uow, values["code"], values["name"], values["type"], values["parent"] or None,
                                   by=operator())
        except InvalidData as err:
            errors = err.field_messages(lang())
        else:
            flash(_("Đã thêm đơn vị %(name)s.", name=values["name"]), "success")
            return redirect(url_for("admin.units"))
    with rt.read_session() as s:
        all_units = list(s.scalars(select(Unit).order_by(Unit.name)))
        types = dict(_unit_type_choices())
        return render_template("admin/units.html", tree=_unit_tree(all_units), types=types,
                               fields=_unit_fields(s, values, errors, all_units)), (422 if errors else 200)  # fmt: skip


def _user_fields(values: dict[str, object], errors: dict[str, str], unit_choices: list[tuple[str, str]]) -> list[FormField]:
    return [
        FormField("username", "string", _("Tên đăng nhập"), required=True, value=values.get("username"),
                  error=errors.get("username"), max_length=80,
                  help=_("3–80 ký tự: chữ thường không dấu, số, '.', '-', '_'.")),
        FormField("full_name", "string", _("Họ và tên"), required=True, value=values.get("full_name"),
                  error=errors.get("full_name"), max_length=200),
        FormField("email", "string", _("Thư điện tử"), value=values.get("email"), error=errors.get("email"), max_length=254),
        FormField("unit", "choice", _("Đơn vị"), required=True, choices=unit_choices, value=values.get("unit"),
                  error=errors.get("unit")),
        FormField("roles", "multichoice", _("Vai trò"), required=True, choices=_role_choices(), value=values.get("roles"),
                  error=errors.get("roles")),
        FormField("language", "choice", _("Ngôn ngữ"), required=True, choices=_language_choices(),
                  value=values.get("language", "vi"), error=errors.get("language")),
        FormField("password", "password", _("Mật khẩu ban đầu (tối thiểu %(n)s ký tự)", n=MIN_LENGTH), required=True,
                  error=errors.get("password")),
    ]  # fmt: skip


def _unit_code_choices() -> list[tuple[str, str]]:
    with runtime().read_session() as s:
        return [(code, f"{name} ({code})") for code, name in
                s.execute(select(Unit.code, Unit.name).where(Unit.active.is_(True)).order_by(Unit.name))]  # fmt: skip


@bp.route("/users")
@roles_required(admin_roles)
def users() -> str:
    with runtime().read_session() as s:
        rows = list(s.scalars(select(User).order_by(User.username)))
        return render_template("admin/users.html", users=rows, roles=dict(_role_choices()))


@bp.route("/users/new", methods=["GET", "POST"])
@roles_required(admin_roles)
def new_user() -> Response | tuple[str, int]:
    values: dict[str, object] = {}
    errors: dict[str, str] = {}
    if request.method == "POST":
        values = {k: form_text(k, 300).strip() for k in ("username", "full_name", "email", "unit", "language")}
        values["roles"] = [form_text_item(r) for r in request.form.getlist("roles")][:20]
        password = form_text("password", 1000)
        try:
            with runtime().uow() as uow:
                admin_cmd.add_user(uow, str(values["username"]), str(values["full_name"]), str(values["unit"]),
                                   values["roles"], password, email=str(values["email"]) or None,  # type: ignore[arg-type]
                                   language=str(values["language"]), by=operator())  # fmt: skip
        except InvalidData as err:
            errors = err.field_messages(lang())
        else:
            flash(_("Đã tạo tài khoản %(u)s.", u=values["username"]), "success")
            return redirect(url_for("admin.users"))
    return render_template("admin/user_new.html", fields=_user_fields(values, errors, _unit_code_choices())), (
        422 if errors else 200
    )


def form_text_item(value: str) -> str:
    from web.forms import clean_text

    return clean_text(value, 60).strip()


def _load_user(user_id: int) -> User:
    with runtime().read_session() as s:
        user = s.get(User, user_id)
        if user is None:
            abort(404)
        _ = user.roles, user.unit  # loaded before the session closes
        return user


@bp.route("/users/<id:user_id>", methods=["GET", "POST"])
@roles_required(admin_roles)
def edit_user(user_id: int) -> Response | tuple[str, int]:
    """Roles, unit and language in one form; enabling, disabling and password resets have their own buttons."""
    user = _load_user(user_id)
    errors: dict[str, str] = {}
    values: dict[str, object] = {"unit": user.unit.code, "roles": sorted(user.roles), "language": user.language}
    if request.method == "POST":
        values = {"unit": form_text("unit", 60).strip(), "language": form_text("language", 5).strip(),
                  "roles": [form_text_item(r) for r in request.form.getlist("roles")][:20]}  # fmt: skip
        try:
            if not values["language"]:
                raise InvalidData({"language": ("Bắt buộc nhập.", "Required.")})
            if values["language"] not in accounts.LANGUAGES:
                raise InvalidData({"language": ("Ngôn ngữ: vi hoặc en.", "Language: vi or en.")})
            with runtime().read_session() as s:
                unit_id = s.scalar(select(Unit.id).where(Unit.code == values["unit"]))
            if unit_id is None:
                raise InvalidData({"unit": ("Không tìm thấy đơn vị.", "No such unit.")})
            with runtime().uow() as uow:
                admin_cmd.set_roles(uow, user.username, values["roles"], by=operator())  # type: ignore[arg-type]
            with runtime().uow() as uow:
                accounts.set_unit(uow, user.id, unit_id, by=operator())
            with runtime().uow() as uow:
                accounts.set_language(uow, user.id, str(values["language"]))
        except InvalidData as err:
            errors = err.field_messages(lang())
        else:
            flash(_("Đã lưu thay đổi cho %(u)s.", u=user.username), "success")
            return redirect(url_for("admin.edit_user", user_id=user.id))
    return _edit_page(user, values, errors)


def _edit_page(user: User, values: dict[str, object], errors: dict[str, str],
               reset_error: str | None = None) -> tuple[str, int]:
    fields = [f for f in _user_fields(values, errors, _unit_code_choices()) if f.name in ("unit", "roles", "language")]
    reset = [FormField("password", "password", _("Mật khẩu mới (tối thiểu %(n)s ký tự)", n=MIN_LENGTH), required=True,
                       error=reset_error)]
    return render_template("admin/user_edit.html", user=user, fields=fields, reset=reset,
                           is_self=user.id == current_actor().user_id), (422 if errors or reset_error else 200)  # fmt: skip


@bp.route("/users/<id:user_id>/active", methods=["POST"])
@roles_required(admin_roles)
def set_active(user_id: int) -> Response:
    user = _load_user(user_id)
    active = request.form.get("active") == "1"
    if user.id == current_actor().user_id and not active:
        flash(_("Không thể tự khóa tài khoản của chính mình."), "error")
        return redirect(url_for("admin.edit_user", user_id=user.id))
    try:
        with runtime().uow() as uow:
            admin_cmd.set_active(uow, user.username, active, by=operator())
    except InvalidData as err:  # the last active administrator
        flash(err.field_messages(lang()).get("active", err.message(lang())), "error")
        return redirect(url_for("admin.edit_user", user_id=user.id))
    flash(_("Đã mở khóa tài khoản.") if active else _("Đã khóa tài khoản; người dùng bị đăng xuất."), "success")
    return redirect(url_for("admin.edit_user", user_id=user.id))


@bp.route("/users/<id:user_id>/password", methods=["POST"])
@roles_required(admin_roles)
def reset_password(user_id: int) -> Response | tuple[str, int]:
    user = _load_user(user_id)
    try:
        with runtime().uow() as uow:
            admin_cmd.set_password(uow, user.username, form_text("password", 1000), by=operator())
    except InvalidData as err:
        values: dict[str, object] = {"unit": user.unit.code, "roles": sorted(user.roles), "language": user.language}
        return _edit_page(user, values, {}, err.field_messages(lang()).get("password", err.message(lang())))
    flash(_("Đã đặt lại mật khẩu; các phiên đăng nhập cũ của người dùng đã kết thúc."), "success")
    return redirect(url_for("admin.edit_user", user_id=user.id))


@bp.route("/workflows")
@roles_required(admin_roles)
def workflows() -> str:
    rt = runtime()
    with rt.read_session() as s:
        rows = list(s.scalars(select(WorkflowDefinitionRow).order_by(WorkflowDefinitionRow.name, WorkflowDefinitionRow.version)))
    items = []
    for row in rows:
        if (row.name, row.version) not in rt.registry:
            continue
        defn = rt.registry.get(row.name, row.version)
        items.append({"row": row, "defn": defn, "diagram": diagram(defn, "", lang()),
                      "states": len(defn.states), "transitions": len(defn.transitions)})  # fmt: skip
    return render_template("admin/workflows.html", items=items)
