"""How hard the worker tries, and what one pass did: shared by the outbox worker and the digest job."""

from __future__ import annotations

import os
import socket
import threading
import uuid
from collections.abc import Mapping
from dataclasses import dataclass, fields
from datetime import timedelta

from engine.jobs.leases import RetryPolicy


@dataclass(frozen=True)
class Settings:
    """Retry up to `max_attempts` times, waiting base, 2*base, 4*base ... (at most `backoff_max_s`).

    With the defaults a message is tried for about 4 hours (1+2+4+...+64 minutes) before it is
    marked failed for an administrator; the lease is long enough for a batch of slow SMTP sends.
    """

    max_attempts: int = 8
    backoff_base_s: float = 60.0
    backoff_max_s: float = 6 * 3600.0
    lease_s: float = 300.0
    batch: int = 20
    max_rows_per_pass: int = 2000

    @property
    def lease(self) -> timedelta:
        return timedelta(seconds=self.lease_s)

    @property
    def retry(self) -> RetryPolicy:
        return RetryPolicy(self.backoff_base_s, self.backoff_max_s, self.max_attempts)

    @classmethod
    def from_env(cls, env: Mapping[str, str] | None = None) -> Settings:
        env = os.environ if env is None else env
        kw: dict[str, float | int] = {}
        for f in fields(cls):
            raw = env.get(f"PRESSCASE_NOTIFY_{f.name.upper()}")
            if raw:
                kw[f.name] = int(raw) if f.type in ("int", int) else float(raw)
        return cls(**kw)  # type: ignore[arg-type]


@dataclass
class PassReport:
    """Counts of one pass, for the CLI and the scheduler's log."""

    rows_claimed: int = 0
    rows_sent: int = 0
    rows_retrying: int = 0
    rows_failed: int = 0
    inbox_items: int = 0
    emails_sent: int = 0
    email_errors: int = 0
    digests_sent: int = 0
    digest_errors: int = 0

    def summary(self) -> str:
        return ", ".join(f"{f.name}={getattr(self, f.name)}" for f in fields(self))


def worker_name() -> str:
    """Unique per process, thread and call: two workers never mistake each other's claims."""
    return f"{socket.gethostname()[:40]}:{os.getpid()}:{threading.get_ident() % 100000}:{uuid.uuid4().hex[:8]}"
