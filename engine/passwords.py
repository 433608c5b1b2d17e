"""Argon2 password hashes (argon2-cffi's recommended parameters)."""

from __future__ import annotations

import os

from argon2 import PasswordHasher, profiles
from argon2.exceptions import InvalidHashError, VerificationError

# The test suite creates hundreds of users; PRESSCASE_ARGON2_PROFILE=cheapest makes each hash
# take microseconds there. Production never sets it and gets the RFC 9106 low-memory profile.
_hasher = (
    PasswordHasher.from_parameters(profiles.CHEAPEST)
    if os.environ.get("PRESSCASE_ARGON2_PROFILE") == "cheapest"
    else PasswordHasher()
)
MIN_LENGTH = 8


def hash_password(password: str) -> str:
    return _hasher.hash(password)


def verify_password(password_hash: str, password: str) -> bool:
    try:
        return _hasher.verify(password_hash, password)
    except (VerificationError, InvalidHashError):
        return False


def needs_rehash(password_hash: str) -> bool:
    return _hasher.check_needs_rehash(password_hash)
