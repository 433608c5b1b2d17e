"""What a new password must be: long enough, not blank, not the username, not a common password.

The common passwords are the 30,000 most frequent leaked passwords that the zxcvbn package ships
(`zxcvbn.frequency_lists`, a maintained release), not a list typed here. The same rule applies
wherever a password is set: one's own change, an administrator's reset, `presscase user add`
and `presscase user password`.
"""

from __future__ import annotations

import functools

MIN_LENGTH = 10
MAX_LENGTH = 1000  # Argon2 takes any length; this only bounds what a form may send


@functools.cache
def _common() -> frozenset[str]:
    from zxcvbn.frequency_lists import FREQUENCY_LISTS

    return frozenset(p.casefold() for p in FREQUENCY_LISTS["passwords"])


def is_common(password: str) -> bool:
    return password.casefold() in _common()


def password_problem(password: str, username: str = "") -> tuple[str, str] | None:
    """The first reason the password is refused, in Vietnamese and English; None when it is acceptable."""
    folded = password.casefold()
    name = username.strip().casefold()
    if not password.strip():
        return ("Mật khẩu không được chỉ gồm khoảng trắng.", "A password cannot be only spaces.")
    if len(password) < MIN_LENGTH:
        return (f"Mật khẩu tối thiểu {MIN_LENGTH} ký tự.", f"At least {MIN_LENGTH} characters.")
    if len(password) > MAX_LENGTH:
        return (f"Mật khẩu tối đa {MAX_LENGTH} ký tự.", f"At most {MAX_LENGTH} characters.")
    if name and name in folded:
        return ("Mật khẩu không được chứa tên đăng nhập.", "A password cannot contain the username.")
    if len(set(folded)) == 1 or is_common(password) or is_common(password.strip()):
        return ("Mật khẩu này quá phổ biến, dễ bị đoán; hãy chọn mật khẩu khác.",
                "This password is too common and easily guessed; choose another.")  # fmt: skip
    return None
