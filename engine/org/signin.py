"""Signing in: the password check, the per-account lockout, and rehashing old hashes.

The lockout lives on the user row (`failed_logins`, `failed_logins_since`), not in a process's
memory: it must hold however many server processes run and across restarts. An attempt is
charged as a failure, in one short transaction that first checks the lockout, *before* the
password is verified; a right password then clears the count. So concurrent guesses, in any
number of processes, cannot verify more passwords than the limit allows, and no transaction is
held open while Argon2 works (which on SQLite would stall every writer).
"""

from __future__ import annotations

import math
from dataclasses import dataclass
from datetime import timedelta

from sqlalchemy import select

from engine.audit import log as audit_log
from engine.audit.accounts import password_fingerprint
from engine.audit.log import Operator
from engine.cases.uow import Runtime
from engine.org.passwords import hash_password, needs_rehash, verify_password
from engine.store.models import User

OK, WRONG, DISABLED, LOCKED = "ok", "wrong", "disabled", "locked"
_dummy: list[str] = []


@dataclass(frozen=True)
class Lockout:
    """At most `attempts` wrong passwords per account within `window`; then refused until the window ends."""

    attempts: int = 10
    window: timedelta = timedelta(minutes=15)


@dataclass(frozen=True)
class SignInResult:
    outcome: str
    user_id: int | None = None
    retry_after_s: int = 0


def _dummy_hash() -> str:
    if not _dummy:
        _dummy.append(hash_password("not-a-password-at-all"))
    return _dummy[0]


def sign_in(rt: Runtime, username: str, password: str, lockout: Lockout = Lockout()) -> SignInResult:
    """Check a username and password; a locked account is refused without verifying anything."""
    now = rt.clock.now()
    with rt.uow() as uow:
        user = uow.session.scalar(select(User).where(User.username == username).with_for_update(of=User)) if username else None
        if user is None:
            stored, user_id, active = None, None, False
        else:
            since = user.failed_logins_since
            if since is not None and now - since >= lockout.window:
                user.failed_logins, user.failed_logins_since = 0, None
                since = None
            if since is not None and user.failed_logins >= lockout.attempts:
                uow.commit()
                left = (since + lockout.window - now).total_seconds()
                return SignInResult(LOCKED, retry_after_s=max(1, math.ceil(left)))
            user.failed_logins += 1
            user.failed_logins_since = since or now
            stored, user_id, active = user.password_hash, user.id, user.active
            uow.commit()
    if stored is None:
        verify_password(_dummy_hash(), password)  # the same work either way: no user enumeration by timing
        return SignInResult(WRONG)
    if not verify_password(stored, password):
        return SignInResult(WRONG)
    fresh = hash_password(password) if needs_rehash(stored) else None
    with rt.uow() as uow:
        user = uow.session.scalar(select(User).where(User.id == user_id).with_for_update(of=User))
        if user is None:  # deleted between the password check and now: not signed in
            return SignInResult(WRONG)
        user.failed_logins, user.failed_logins_since = 0, None
        if fresh is not None and user.password_hash == stored:  # not if the password changed meanwhile
            user.password_hash = fresh
            # A new hash of the same password, still a change to the account row: recorded, so that
            # `audit verify` can tell it from a hash replaced behind the application's back.
            audit_log.record(uow.session, Operator.web(user.id, user.username), "user.password_rehash", user.username,
                             {"password": password_fingerprint(uow.session, fresh)}, now)
        uow.commit()
    return SignInResult(OK if active else DISABLED, user_id)
