"""Accounts replayed from the audit log and compared with the users table.

Granting oneself a role, moving an account to another unit, enabling it, setting its password
or creating an account with plain SQL leaves no audit event; replaying the log's account events
(create, roles, unit, enable/disable, password) gives what every account should be, and any
difference is named. Passwords are compared through a keyed fingerprint of the stored hash, so
the log never holds the hash itself and nobody without the key can forge a matching one.
"""

from __future__ import annotations

from typing import Any

from sqlalchemy import select
from sqlalchemy.orm import Session

from engine.cases.history import ChainProblem, keyed_hash, session_key
from engine.store.audit_models import AuditEvent
from engine.store.models import Unit, User

BASELINE = "audit.accounts_baseline"


def password_fingerprint(session: Session, password_hash: str) -> str:
    return keyed_hash(session_key(session), b"password " + password_hash.encode("utf-8"))[:24]


def account_state(session: Session, user: User) -> dict[str, Any]:
    """What the log records of an account: unit code, roles, active, password fingerprint."""
    code = session.scalar(select(Unit.code).where(Unit.id == user.unit_id))
    return {"unit": code, "roles": sorted(user.roles), "active": bool(user.active),
            "password": password_fingerprint(session, user.password_hash)}  # fmt: skip


def baseline(session: Session) -> dict[str, Any]:
    """Every account as it is now: recorded once when a database that predates the log is upgraded."""
    return {"users": {u.username: account_state(session, u) for u in session.scalars(select(User).order_by(User.id))}}


def _replay(session: Session) -> tuple[dict[str, dict[str, Any]], bool]:
    expected: dict[str, dict[str, Any]] = {}
    has_baseline = False
    rows = session.execute(select(AuditEvent.action, AuditEvent.subject, AuditEvent.data)
                           .where(AuditEvent.action.like("user.%") | (AuditEvent.action == BASELINE))
                           .order_by(AuditEvent.seq))  # fmt: skip
    for action, subject, data in rows:
        if action == BASELINE:
            has_baseline = True
            for name, state in (data.get("users") or {}).items():
                expected[name] = dict(state)
            continue
        if action == "user.create":
            expected[subject] = {"unit": data.get("unit"), "roles": sorted(data.get("roles") or []), "active": True,
                                 "password": data.get("password")}  # fmt: skip
            continue
        state = expected.setdefault(subject, {})
        if action in ("user.enable", "user.disable"):
            state["active"] = action == "user.enable"
        elif action == "user.roles":
            state["roles"] = sorted(data.get("to") or [])
        elif action == "user.unit":
            state["unit"] = data.get("to")
        elif action in ("user.password_reset", "user.password_change", "user.password_rehash"):
            state["password"] = data.get("password")
    return expected, has_baseline


def check_accounts(session: Session) -> list[ChainProblem]:
    """One problem per account whose row differs from what the audit log says happened to it."""
    expected, has_baseline = _replay(session)
    out: list[ChainProblem] = []
    seen: set[str] = set()
    for user in session.scalars(select(User).order_by(User.username)):
        seen.add(user.username)
        where = f"account {user.username}"
        if user.username not in expected:
            if has_baseline or expected:
                out.append(ChainProblem(None, where, None, "exists, but the audit log never created it"))
            continue
        want, have = expected[user.username], account_state(session, user)
        for field, label in (("unit", "unit"), ("roles", "roles"), ("active", "state"), ("password", "password")):
            if field not in want or want[field] is None:
                continue  # not recorded (an event written before this field was)
            if have[field] != want[field]:
                if field == "password":
                    out.append(ChainProblem(None, where, None, "its password was set without an audit event"))
                elif field == "active":
                    state = "enabled" if have[field] else "disabled"
                    out.append(ChainProblem(None, where, None, f"it is {state}, but the audit log never {state} it"))
                else:
                    verb = "are" if field == "roles" else "is"
                    out.append(ChainProblem(None, where, None, f"its {label} {verb} {_show(have[field])} but the audit "
                                                               f"log gives {_show(want[field])}"))  # fmt: skip
    for name in sorted(set(expected) - seen):
        out.append(ChainProblem(None, f"account {name}", None, "is in the audit log but was deleted"))
    return out


def _show(value: Any) -> str:
    if isinstance(value, list):
        return "[" + ", ".join(map(str, value)) + "]"
    return str(value)
