"""Account commands the web administration needs beyond engine/org/admin.py: unit, language, own password.

Kept in a module of their own so engine/org/admin.py (owned by the engine's author) stays untouched;
each is one unit of work, like the commands there.
"""

from __future__ import annotations

from sqlalchemy import select

from engine.audit import log as audit_log
from engine.audit.accounts import password_fingerprint
from engine.audit.log import Operator
from engine.cases.uow import UnitOfWork
from engine.errors import InvalidData, NotFound
from engine.org.password_policy import password_problem
from engine.org.passwords import hash_password, verify_password
from engine.store.models import Unit, User

LANGUAGES = ("vi", "en")


def _user_by_id(uow: UnitOfWork, user_id: int) -> User:
    user = uow.session.get(User, user_id)
    if user is None:
        raise NotFound("No such user.", "Không tìm thấy người dùng.")
    return user


def set_unit(uow: UnitOfWork, user_id: int, unit_id: int, *, by: Operator | None = None) -> User:
    user = _user_by_id(uow, user_id)
    code = uow.session.scalar(select(Unit.code).where(Unit.id == unit_id, Unit.active.is_(True)))
    if code is None:
        raise InvalidData({"unit": ("Không tìm thấy đơn vị.", "No such unit.")})
    if user.unit_id != unit_id:
        before = uow.session.scalar(select(Unit.code).where(Unit.id == user.unit_id))
        user.unit_id = unit_id
        audit_log.record(uow.session, by, "user.unit", user.username, {"from": before, "to": code}, uow.clock.now())
    uow.commit()
    return user


def set_language(uow: UnitOfWork, user_id: int, language: str) -> User:
    if language not in LANGUAGES:
        raise InvalidData({"language": ("Ngôn ngữ: vi hoặc en.", "Language: vi or en.")})
    user = _user_by_id(uow, user_id)
    user.language = language
    uow.commit()
    return user


def change_own_password(uow: UnitOfWork, user_id: int, current: str, new: str) -> User:
    """The person proves they know the current password; the new one must pass the policy and differ.

    Every session of the account ends (its generation moves on); the web view signs the person
    in again in the browser they used, so only the others are signed out.
    """
    user = _user_by_id(uow, user_id)
    errors = password_change_errors(user, current, new)
    if errors:
        raise InvalidData(errors)
    user.password_hash = hash_password(new)
    user.session_generation += 1
    audit_log.record(uow.session, Operator.web(user.id, user.username), "user.password_change", user.username,
                     {"password": password_fingerprint(uow.session, user.password_hash)}, uow.clock.now())
    uow.commit()
    return user


def end_sessions(uow: UnitOfWork, user_id: int) -> None:
    """Sign the account out everywhere: every session and remember cookie issued so far is refused."""
    user = _user_by_id(uow, user_id)
    user.session_generation += 1
    uow.commit()


def password_change_errors(user: User, current: str, new: str) -> dict[str, tuple[str, str]]:
    """Every reason the change would be refused, so a form can show them all at once."""
    errors: dict[str, tuple[str, str]] = {}
    if not verify_password(user.password_hash, current):
        errors["current_password"] = ("Mật khẩu hiện tại không đúng.", "The current password is wrong.")
    problem = password_problem(new, user.username)
    if problem:
        errors["new_password"] = problem
    elif new == current:
        errors["new_password"] = ("Mật khẩu mới phải khác mật khẩu cũ.", "The new password must differ from the old one.")
    return errors
