"""Configuration from the environment and the instance folder; no secret is a constant in code."""

from __future__ import annotations

import os
import secrets
from datetime import timedelta
from pathlib import Path
from typing import Any

from engine.jobs.retry_keys import DEFAULT_HOURS, MIN_HOURS
from engine.org.signin import Lockout
from notifications.render import base_url


def default_database_url(instance_path: str) -> str:
    return "sqlite:///" + str(Path(instance_path) / "presscase.sqlite3")


def load_secret_key(instance_path: str) -> str:
    """From PRESSCASE_SECRET_KEY, or generated once into the instance folder (mode 0600)."""
    env = os.environ.get("PRESSCASE_SECRET_KEY") or os.environ.get("SECRET_KEY")
    if env:
        return env
    path = Path(instance_path) / "secret_key"
    if not path.exists():
        path.parent.mkdir(parents=True, exist_ok=True)
        fd = os.open(path, os.O_WRONLY | os.O_CREAT | os.O_EXCL, 0o600)
        with os.fdopen(fd, "w") as fh:
            fh.write(secrets.token_hex(32))
    return path.read_text().strip()


def _year(value: str | None) -> int | None:
    """A configured year, or None (the default); anything else stops the app at start, not at a request."""
    if not value:
        return None
    if not value.isascii() or not value.isdigit() or not 1900 <= int(value) <= 2199:
        raise ValueError(f"a report year must be from 1900 to 2199, not {value!r}")
    return int(value)


def _megabytes(value: str | None) -> int | None:
    if not value:
        return None
    if not value.isascii() or not value.isdigit():
        raise ValueError(f"PRESSCASE_EVIDENCE_QUOTA_MB must be a whole number of megabytes, not {value!r}")
    return int(value)


def _retry_hours(value: str | None) -> float:
    """How long retry keys are kept (engine/jobs/retry_keys.py); a wrong value stops the app at start."""
    if not value:
        return float(DEFAULT_HOURS)
    try:
        hours = float(value)
    except ValueError:
        hours = -1.0
    if not hours >= MIN_HOURS or hours > 24 * 366:
        raise ValueError(f"PRESSCASE_IDEMPOTENCY_HOURS must be a number of hours from {MIN_HOURS}, not {value!r}")
    return hours


def from_environment(instance_path: str) -> dict[str, Any]:
    env = os.environ
    behind_https = env.get("PRESSCASE_HTTPS", "").lower() in ("1", "true", "yes")
    return {
        "DATABASE_URL": env.get("DATABASE_URL") or default_database_url(instance_path),
        "SECRET_KEY": load_secret_key(instance_path),
        "TIMEZONE": "Asia/Ho_Chi_Minh",
        "BABEL_DEFAULT_LOCALE": "vi",
        "BABEL_DEFAULT_TIMEZONE": "Asia/Ho_Chi_Minh",
        "PRESSCASE_HTTPS": behind_https,
        "SESSION_COOKIE_HTTPONLY": True,
        "SESSION_COOKIE_SAMESITE": "Lax",
        "SESSION_COOKIE_SECURE": behind_https,
        "REMEMBER_COOKIE_HTTPONLY": True,
        "REMEMBER_COOKIE_SAMESITE": "Lax",
        "REMEMBER_COOKIE_SECURE": behind_https,
        "PERMANENT_SESSION_LIFETIME": 8 * 3600,
        "MAX_CONTENT_LENGTH": 60 * 1024 * 1024,
        # A form's text (not its files) may be large: a report's description is up to 10,000 characters.
        "MAX_FORM_MEMORY_SIZE": 1024 * 1024,
        # Short, deliberate lifetimes: "remember me" keeps a person signed in for 3 days, not Flask-Login's 365.
        "REMEMBER_COOKIE_DURATION": 3 * 24 * 3600,
        # A CSRF token lives as long as the session (8 h), so a long report written slowly is not refused
        # after Flask-WTF's default 1 h; the token is still bound to the session and the secret key.
        "WTF_CSRF_TIME_LIMIT": 8 * 3600,
        "SQLITE_SYNCHRONOUS": env.get("PRESSCASE_SQLITE_SYNCHRONOUS", "FULL"),
        "SCHEDULER_INTERVAL_S": int(env.get("PRESSCASE_SWEEP_INTERVAL", "30")),
        "NOTIFY_INTERVAL_S": int(env.get("PRESSCASE_NOTIFY_INTERVAL", "30")),
        # A `presscase scheduler` without its database's scheduler lock tries again this often (standby).
        "SCHEDULER_STANDBY_S": float(env.get("PRESSCASE_SCHEDULER_STANDBY", "30")),
        # The years reports may cover (default: the data's first year to next year): engine/time/periods.py.
        "REPORT_FIRST_YEAR": _year(env.get("PRESSCASE_REPORT_FIRST_YEAR")),
        "REPORT_LAST_YEAR": _year(env.get("PRESSCASE_REPORT_LAST_YEAR")),
        # Seconds between a process's checks for definition versions another process loaded (0: every request).
        "REGISTRY_CHECK_S": float(env.get("PRESSCASE_REGISTRY_CHECK_S", "2")),
        "WORKDAY_INDEX_INTERVAL_S": int(env.get("PRESSCASE_WORKDAY_INDEX_INTERVAL", "3600")),
        # Evidence a unit's people may upload in all, in MB (0: no limit): engine/cases/evidence.py.
        "EVIDENCE_QUOTA_MB": _megabytes(env.get("PRESSCASE_EVIDENCE_QUOTA_MB", "2048")),
        # Retry keys (forms and API requests) are kept this many hours, then deleted by a scheduler job.
        "IDEMPOTENCY_HOURS": _retry_hours(env.get("PRESSCASE_IDEMPOTENCY_HOURS")),
        "IDEMPOTENCY_PURGE_INTERVAL_S": int(env.get("PRESSCASE_IDEMPOTENCY_PURGE_INTERVAL", "3600")),
        "RUN_SCHEDULER_IN_WEB": env.get("PRESSCASE_WEB_SCHEDULER", "").lower() in ("1", "true", "yes"),
        # Links in the feed, the JSON and emails: from configuration, never from the request's Host header.
        "BASE_URL": base_url(),
        # Failed sign-ins per address (Flask-Limiter); memory:// counts per process, redis://... shares the count.
        "RATELIMIT_STORAGE_URI": env.get("PRESSCASE_RATELIMIT_STORAGE_URI", "memory://"),
        "LOGIN_RATE_LIMIT": env.get("PRESSCASE_LOGIN_RATE_LIMIT", "20 per minute;200 per hour"),
        # Wrong passwords per account (in the database, across processes) before it is locked for the window.
        "LOGIN_LOCKOUT": Lockout(int(env.get("PRESSCASE_LOCKOUT_ATTEMPTS", "10")),
                                 timedelta(minutes=int(env.get("PRESSCASE_LOCKOUT_MINUTES", "15")))),
        # Argon2 hashes computed at once per process (64 MiB each); more sign-ins wait their turn.
        "PASSWORD_HASH_SLOTS": int(env.get("PRESSCASE_PASSWORD_HASH_SLOTS", "2")),
    }
