"""Commands that administer the organisation: units and users."""

from __future__ import annotations

import re
from collections.abc import Iterable

from sqlalchemy import select

from engine.clean_text import forbidden_message, has_forbidden
from engine.errors import InvalidData, NotFound
from engine.models import Unit, User, UserRole
from engine.passwords import MIN_LENGTH, hash_password
from engine.uow import UnitOfWork

UNIT_TYPES = {
    "party_cell": ("Chi bộ, đảng bộ cơ sở", "Grassroots party cell"),
    "propaganda_department": ("Ban Tuyên giáo", "Propaganda Department"),
    "people_committee": ("Ủy ban nhân dân", "People's Committee"),
    "people_committee_office": ("Phòng chuyên môn UBND", "People's Committee office"),
    "inspectorate": ("Thanh tra", "Inspectorate"),
    "police": ("Công an", "Police"),
    "media_centre": ("Trung tâm truyền thông", "Media centre"),
    "standing_committee": ("Ban Thường vụ", "Standing Committee"),
    "party_committee": ("Cấp ủy", "Party Committee"),
    "it_office": ("Bộ phận công nghệ thông tin", "IT office"),
}
USERNAME_RE = re.compile(r"^[a-z0-9_.-]{3,80}$")


def add_unit(
    uow: UnitOfWork, code: str, name: str, unit_type: str, parent_code: str | None = None
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
    if unit_type not in UNIT_TYPES:
        errors["type"] = (f"Loại đơn vị không hợp lệ ({', '.join(UNIT_TYPES)}).", f"Unknown type ({', '.join(UNIT_TYPES)}).")
    parent_id = None
    if parent_code:
        parent_id = uow.session.scalar(select(Unit.id).where(Unit.code == parent_code))
        if parent_id is None:
            errors["parent"] = ("Không tìm thấy đơn vị cấp trên.", "No such parent unit.")
    if errors:
        raise InvalidData(errors)
    unit = Unit(code=code, name=name.strip(), type=unit_type, parent_id=parent_id, active=True)
    uow.session.add(unit)
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
    if len(password) < MIN_LENGTH:
        errors["password"] = (f"Mật khẩu tối thiểu {MIN_LENGTH} ký tự.", f"At least {MIN_LENGTH} characters.")
    if language not in ("vi", "en"):
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
    uow.commit()
    return user


def _user(uow: UnitOfWork, username: str) -> User:
    user = uow.session.scalar(select(User).where(User.username == username.strip().lower()))
    if user is None:
        raise NotFound(f"No user {username}.", f"Không có người dùng {username}.")
    return user


def set_active(uow: UnitOfWork, username: str, active: bool) -> User:
    user = _user(uow, username)
    user.active = active
    uow.commit()
    return user


def set_password(uow: UnitOfWork, username: str, password: str) -> User:
    if len(password) < MIN_LENGTH:
        raise InvalidData({"password": (f"Mật khẩu tối thiểu {MIN_LENGTH} ký tự.", f"At least {MIN_LENGTH} characters.")})
    user = _user(uow, username)
    user.password_hash = hash_password(password)
    uow.commit()
    return user


def set_roles(uow: UnitOfWork, username: str, roles: Iterable[str]) -> User:
    user = _user(uow, username)
    roles = sorted(set(roles))
    unknown = [r for r in roles if r not in known_roles(uow)]
    if unknown or not roles:
        raise InvalidData({"roles": (f"Vai trò không hợp lệ: {', '.join(unknown)}.", f"Unknown roles: {', '.join(unknown)}.")})
    user.role_rows = [UserRole(role=r) for r in roles]
    uow.commit()
    return user
