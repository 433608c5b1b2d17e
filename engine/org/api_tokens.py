"""Per-user API tokens: issued and revoked by an administrator, checked on every API request.

A token is 256 random bits, shown once. The database keeps only HMAC-SHA256 of it under a key
derived from the app's secret (the runtime's audit key): a fast keyed hash is right for a random
secret of this size (nothing to guess, so nothing for a slow hash like Argon2 to slow down, and
a request must not spend tens of milliseconds on it), and a stolen database copy alone cannot
test a token. A token acts as its user: the same roles, unit and language, read fresh from the
user row on every request, so a disabled account's tokens stop at once.

Issuing and revoking are recorded in the administration's audit log (engine.audit.log).
"""

from __future__ import annotations

import hashlib
import hmac
import re
import secrets
from dataclasses import dataclass
from datetime import datetime, timedelta
from typing import Any

from sqlalchemy import bindparam, select, update
from sqlalchemy.orm import Session

from engine.audit import log as audit_log
from engine.audit.log import Operator
from engine.cases.uow import Runtime, UnitOfWork
from engine.errors import InvalidData, NotFound
from engine.org.actors import Actor
from engine.store.api_token_models import ApiToken
from engine.store.models import Unit, User, UserRole

TOKEN_PREFIX = "pct_"  # recognisable in logs and by secret scanners
LAST_USE_RESOLUTION = timedelta(minutes=1)  # last use is written at most this often per token
MAX_EXPIRY_DAYS = 3650
_DURATION_RE = re.compile(r"^\s*(\d{1,5})\s*([dhw]?)\s*$")
_TOKEN_RE = re.compile(r"^pct_[A-Za-z0-9_-]{43}$")


def _hash_key(runtime: Runtime) -> bytes:
    """The key tokens are hashed under: derived from the audit key (itself from the app's secret)."""
    return hmac.new(runtime.audit_key, b"presscase api token v1", hashlib.sha256).digest()


def token_hash(runtime: Runtime, token: str) -> str:
    return hmac.new(_hash_key(runtime), token.encode("utf-8"), hashlib.sha256).hexdigest()


def parse_duration(text: str) -> timedelta:
    """'90d', '12w', '36h' or a bare number of days; InvalidData for anything else or beyond ten years."""
    m = _DURATION_RE.match(text or "")
    if not m:
        raise InvalidData({"expires": ("Thời hạn dạng 90d, 12w hoặc 36h.", "An expiry looks like 90d, 12w or 36h.")})
    n, unit = int(m.group(1)), m.group(2) or "d"
    delta = {"d": timedelta(days=n), "w": timedelta(weeks=n), "h": timedelta(hours=n)}[unit]
    if n == 0 or delta > timedelta(days=MAX_EXPIRY_DAYS):
        raise InvalidData({"expires": (f"Thời hạn từ 1 giờ đến {MAX_EXPIRY_DAYS} ngày.",
                                       f"An expiry from 1 hour to {MAX_EXPIRY_DAYS} days.")})  # fmt: skip
    return delta


@dataclass(frozen=True)
class Issued:
    """The one moment the token itself exists outside its holder: show it, then forget it."""

    id: int
    token: str
    username: str
    expires_at: datetime | None


def issue(uow: UnitOfWork, username: str, *, expires_in: timedelta | None = None, label: str = "",
          by: Operator | None = None) -> Issued:  # fmt: skip
    """A new token for an active user; the caller shows `Issued.token` once."""
    session = uow.session
    user = session.scalar(select(User).where(User.username == (username or "").strip().lower()))
    if user is None:
        raise NotFound(f"No user {username!r}.", f"Không có tài khoản {username!r}.")
    if not user.active:
        raise InvalidData({"username": ("Tài khoản đã bị khóa.", "The account is disabled.")})
    label = " ".join((label or "").split())[:200]
    now = uow.clock.now()
    token = TOKEN_PREFIX + secrets.token_urlsafe(32)
    row = ApiToken(user_id=user.id, token_hash=token_hash(uow.runtime, token), prefix=token[:12], label=label,
                   created_at=now, expires_at=now + expires_in if expires_in else None)  # fmt: skip
    session.add(row)
    session.flush()
    audit_log.record(session, by, "api_token.issue", user.username,
                     {"token_id": row.id, "prefix": row.prefix, "label": label,
                      "expires_at": row.expires_at.isoformat() if row.expires_at else None}, now)  # fmt: skip
    uow.commit()
    return Issued(row.id, token, user.username, row.expires_at)


def revoke(uow: UnitOfWork, token_id: int, *, by: Operator | None = None) -> ApiToken:
    """Revoke a token (kept, listed as revoked); revoking twice changes nothing and records nothing."""
    session = uow.session
    row = session.get(ApiToken, token_id)
    if row is None:
        raise NotFound(f"No API token {token_id}.", f"Không có khóa API số {token_id}.")
    if row.revoked_at is None:
        now = uow.clock.now()
        row.revoked_at = now
        username = session.scalar(select(User.username).where(User.id == row.user_id)) or "?"
        audit_log.record(session, by, "api_token.revoke", username, {"token_id": row.id, "prefix": row.prefix}, now)
        uow.commit()
    return row


@dataclass(frozen=True)
class TokenRow:
    id: int
    username: str
    full_name: str
    prefix: str
    label: str
    created_at: datetime
    expires_at: datetime | None
    revoked_at: datetime | None
    last_used_at: datetime | None
    user_active: bool

    def status(self, now: datetime) -> str:
        if self.revoked_at is not None:
            return "revoked"
        if self.expires_at is not None and self.expires_at <= now:
            return "expired"
        return "active" if self.user_active else "user_disabled"


def listing(session: Session) -> list[TokenRow]:
    """Every token, newest first, with its user and last use (for the admin page and the CLI)."""
    rows = session.execute(select(ApiToken, User).join(User, User.id == ApiToken.user_id).order_by(ApiToken.id.desc()))
    return [TokenRow(t.id, u.username, u.full_name, t.prefix, t.label, t.created_at, t.expires_at, t.revoked_at,
                     t.last_used_at, u.active) for t, u in rows]  # fmt: skip


@dataclass(frozen=True)
class Bearer:
    """Who a valid token speaks for: the user as the engine knows them, and the token's id (rate limits)."""

    token_id: int
    actor: Actor
    username: str


def _build_lookup() -> Any:
    """The token, its user, the user's unit type and roles: one row per role, in one round trip.
    Built once (its compiled form is cached by SQLAlchemy): building a select costs more than running it."""
    return (
        select(ApiToken.id, ApiToken.token_hash, ApiToken.revoked_at, ApiToken.expires_at, ApiToken.last_used_at,
               User.id, User.unit_id, User.full_name, User.language, User.active, User.username, Unit.type, UserRole.role)
        .join(User, User.id == ApiToken.user_id)
        .join(Unit, Unit.id == User.unit_id)
        .outerjoin(UserRole, UserRole.user_id == User.id)
        .where(ApiToken.token_hash == bindparam("digest"))
    )  # fmt: skip


_LOOKUP = _build_lookup()


def _read_rows(runtime: Runtime, stmt: Any, params: dict[str, Any]) -> list[Any]:
    """On PostgreSQL outside a transaction (no BEGIN and ROLLBACK round trips for one SELECT); on SQLite
    in the runtime's read session, which begins deferred so it never waits behind a writer."""
    if runtime.engine.dialect.name == "postgresql":
        with runtime.engine.connect().execution_options(isolation_level="AUTOCOMMIT") as conn:
            return list(conn.execute(stmt, params).all())
    with runtime.read_session() as s:
        return list(s.execute(stmt, params).all())


def authenticate(runtime: Runtime, token: str) -> Bearer | None:
    """The token's user, or None for an unknown, revoked or expired token or a disabled user.

    One indexed read per request; the last use is written at most once a minute per token, in a
    short transaction of its own, so a busy client does not turn every read into a write.
    """
    if not _TOKEN_RE.match(token or ""):
        return None
    digest = token_hash(runtime, token)
    now = runtime.clock.now()
    rows = _read_rows(runtime, _LOOKUP, {"digest": digest})
    if not rows:
        return None
    (token_id, stored, revoked_at, expires_at, last_used_at, user_id, unit_id, full_name, language, active, username,
     unit_type, _role) = rows[0]  # fmt: skip
    if not hmac.compare_digest(stored, digest) or revoked_at is not None or not active:
        return None
    if expires_at is not None and expires_at <= now:
        return None
    roles = frozenset(r[-1] for r in rows if r[-1] is not None)
    bearer = Bearer(token_id, Actor(user_id, unit_id, roles, full_name, language, unit_type), username)
    if last_used_at is None or now - last_used_at >= LAST_USE_RESOLUTION:
        _touch(runtime, token_id, now)
    return bearer


def _touch(runtime: Runtime, token_id: int, now: datetime) -> None:
    """Record the last use unless another request did within the resolution (a conditional UPDATE:
    concurrent requests of one token write it once)."""
    with runtime.uow() as uow:
        uow.session.execute(
            update(ApiToken).where(ApiToken.id == token_id)
            .where((ApiToken.last_used_at.is_(None)) | (ApiToken.last_used_at <= now - LAST_USE_RESOLUTION))
            .values(last_used_at=now)
        )  # fmt: skip
        uow.commit()
