"""Commands that administer the organisation: units and users.

Each records what it changed in the audit log (engine.audit.log) in its own transaction, with
`by`, the operator who asked (the web's signed-in admin, or the CLI's shell account).
"""

from __future__ import annotations

import re
from collections.abc import Iterable

from sqlalchemy import func, select, text

from engine.audit import log as audit_log
from engine.audit.accounts import password_fingerprint
from engine.audit.log import Operator
from engine.cases.clean_text import forbidden_message, has_forbidden
from engine.cases.uow import UnitOfWork
from engine.errors import InvalidData, NotFound
from engine.org.actors import ADMIN_ROLE
from engine.org.password_policy import password_problem
from engine.org.passwords import hash_password
from engine.store.models import Unit, User, UserRole
from workflows.unit_types import load_unit_types

USERNAME_RE = re.compile(r"^[a-z0-9_.-]{3,80}$")


def add_unit(
    uow: UnitOfWork, code: str, name: str, unit_type: str, parent_code: str | None = None, *, by: Operator | None = None
) -> Unit:
    errors = {}
    code = code.strip()
    if not re.fullmatch(r"[A-Za-z0-9_.-]{1,40}", code):
        errors["code"] = ("Mã đơn vị chỉ gồm chữ, số, '-', '_' hoặc '.'.", "Use letters, digits, '-', '_', '.'.")
    elif uow.session.scalar(select(Unit.id).where(Unit.code == code)) is not None:
        errors["code"] = ("Mã đơn vị đã tồn tại.", "A unit with this code exists.")
    if not name.strip():
        errors["name"] = ("Bắt buộc nhập.", "Required.")
    elif has_forbidden(name):
        errors["name"] = forbidden_message(name)
    types = load_unit_types()  # configured in workflows/org/unit_types.toml, not in code
    if unit_type not in types:
        errors["type"] = (f"Loại đơn vị không hợp lệ ({', '.join(types)}).", f"Unknown type ({', '.join(types)}).")
    parent_id = None
    if parent_code:
        parent_id = uow.session.scalar(select(Unit.id).where(Unit.code == parent_code))
        if parent_id is None:
            errors["parent"] = ("Không tìm thấy đơn vị cấp trên.", "No such parent unit.")
    if errors:
        raise InvalidData(errors)
    unit = Unit(code=code, name=name.strip(), type=unit_type, parent_id=parent_id, active=True)
    uow.session.add(unit)
    audit_log.record(uow.session, by, "unit.create", code, {"name": unit.name, "type": unit_type, "parent": parent_code},
                     uow.clock.now())  # fmt: skip
    uow.commit()
    uow.runtime.forget_org_chart()
    return unit


def known_roles(uow: UnitOfWork) -> set[str]:
    roles = {"admin"}
    for defn in uow.registry.all():
        roles |= set(defn.roles)
    return roles


def add_user(
    uow: UnitOfWork,
    username: str,
    full_name: str,
    unit_code: str,
    roles: Iterable[str],
    password: str,
    *,
    email: str | None = None,
    language: str = "vi",
    by: Operator | None = None,
) -> User:
    errors = {}
    username = username.strip().lower()
    if not USERNAME_RE.match(username):
        errors["username"] = (
            "Tên đăng nhập 3–80 ký tự: chữ thường không dấu, số, '.', '-', '_'.",
            "Username: 3-80 of a-z, 0-9, '.', '-', '_'.",
        )
    elif uow.session.scalar(select(User.id).where(User.username == username)) is not None:
        errors["username"] = ("Tên đăng nhập đã tồn tại.", "This username is taken.")
    if not full_name.strip():
        errors["full_name"] = ("Bắt buộc nhập.", "Required.")
    elif has_forbidden(full_name):
        errors["full_name"] = forbidden_message(full_name)
    unit_id = uow.session.scalar(select(Unit.id).where(Unit.code == unit_code))
    if unit_id is None:
        errors["unit"] = ("Không tìm thấy đơn vị.", "No such unit.")
    roles = sorted(set(roles))
    unknown = [r for r in roles if r not in known_roles(uow)]
    if unknown or not roles:
        errors["roles"] = (
            f"Vai trò không hợp lệ: {', '.join(unknown) or '(trống)'}.",
            f"Unknown roles: {', '.join(unknown) or '(none)'}.",
        )
    problem = password_problem(password, username)
    if problem:
        errors["password"] = problem
    if not language:
        errors["language"] = ("Bắt buộc nhập.", "Required.")
    elif language not in ("vi", "en"):
        errors["language"] = ("Ngôn ngữ: vi hoặc en.", "Language: vi or en.")
    if email and (not re.fullmatch(r"[^@\s]+@[^@\s]+\.[^@\s]+", email) or has_forbidden(email)):
        errors["email"] = ("Địa chỉ thư điện tử không hợp lệ.", "Not a valid email address.")
    if errors:
        raise InvalidData(errors)
    user = User(
        username=username,
        full_name=full_name.strip(),
        email=email or None,
        password_hash=hash_password(password),
        unit_id=unit_id,
        language=language,
        active=True,
        created_at=uow.clock.now(),
        role_rows=[UserRole(role=r) for r in roles],
    )
    uow.session.add(user)
    audit_log.record(uow.session, by, "user.create", username,
                     {"unit": unit_code, "roles": roles, "language": language,
                      "password": password_fingerprint(uow.session, user.password_hash)}, uow.clock.now())
    uow.commit()
    return user


def _user(uow: UnitOfWork, username: str) -> User:
    user = uow.session.scalar(select(User).where(User.username == username.strip().lower()))
    if user is None:
        raise NotFound(f"No user {username}.", f"Không có người dùng {username}.")
    return user


LAST_ADMIN = ("Phải luôn còn ít nhất một quản trị hệ thống đang hoạt động.",
              "At least one active administrator must remain.")  # fmt: skip


def _keeps_an_admin(uow: UnitOfWork, user: User) -> bool:
    """Whether some *other* active account holds the admin role.

    Changes to administrators are serialised first (SQLite's writers already are, by BEGIN
    IMMEDIATE; PostgreSQL takes a transaction-scoped advisory lock), so two administrators
    removing each other at the same moment cannot both succeed and leave none.
    """
    if uow.session.get_bind().dialect.name == "postgresql":
        uow.session.execute(text("SELECT pg_advisory_xact_lock(7020011)"))
    others = uow.session.scalar(
        select(func.count()).select_from(User).join(UserRole)
        .where(UserRole.role == ADMIN_ROLE, User.active.is_(True), User.id != user.id)
    )  # fmt: skip
    return bool(others)


def set_active(uow: UnitOfWork, username: str, active: bool, *, by: Operator | None = None) -> User:
    """Disabling also ends every session of the account (its session generation moves on)."""
    user = _user(uow, username)
    if not active and user.active and ADMIN_ROLE in user.roles and not _keeps_an_admin(uow, user):
        raise InvalidData({"active": LAST_ADMIN})
    if user.active != active:
        if not active:
            user.session_generation += 1
        user.active = active
        audit_log.record(uow.session, by, "user.enable" if active else "user.disable", user.username, {},
                         uow.clock.now())
    uow.commit()
    return user


def set_password(uow: UnitOfWork, username: str, password: str, *, by: Operator | None = None) -> User:
    """An administrator's reset (or the CLI's): the policy applies, and the account's sessions end."""
    user = _user(uow, username)
    problem = password_problem(password, user.username)
    if problem:
        raise InvalidData({"password": problem})
    user.password_hash = hash_password(password)
    user.session_generation += 1
    user.failed_logins, user.failed_logins_since = 0, None
    audit_log.record(uow.session, by, "user.password_reset", user.username,
                     {"password": password_fingerprint(uow.session, user.password_hash)}, uow.clock.now())
    uow.commit()
    return user


def set_roles(uow: UnitOfWork, username: str, roles: Iterable[str], *, by: Operator | None = None) -> User:
    user = _user(uow, username)
    roles = sorted(set(roles))
    unknown = [r for r in roles if r not in known_roles(uow)]
    if unknown:
        raise InvalidData({"roles": (f"Vai trò không hợp lệ: {', '.join(unknown)}.", f"Unknown roles: {', '.join(unknown)}.")})
    if user.active and ADMIN_ROLE in user.roles and ADMIN_ROLE not in roles and not _keeps_an_admin(uow, user):
        raise InvalidData({"roles": LAST_ADMIN})
    if not roles:
        raise InvalidData({"roles": ("Tài khoản cần ít nhất một vai trò.", "An account needs at least one role.")})
    before = sorted(user.roles)
    if before != roles:
        user.role_rows = [UserRole(role=r) for r in roles]
        audit_log.record(uow.session, by, "user.roles", user.username, {"from": before, "to": roles}, uow.clock.now())
    uow.commit()
    return user


def grant_role(uow: UnitOfWork, username: str, role: str, *, by: Operator | None = None) -> User:
    """Add one role (`presscase user grant`), e.g. to restore an administrator from the command line."""
    return set_roles(uow, username, _user(uow, username).roles | {role}, by=by)


def revoke_role(uow: UnitOfWork, username: str, role: str, *, by: Operator | None = None) -> User:
    """Remove one role; an account keeps at least one, and the district at least one administrator."""
    user = _user(uow, username)
    if role not in user.roles:
        raise InvalidData({"roles": (f"{username} không có vai trò {role}.", f"{username} does not have the role {role}.")})
    return set_roles(uow, username, user.roles - {role}, by=by)
