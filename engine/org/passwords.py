"""Argon2 password hashes (argon2-cffi's recommended parameters), computed a few at a time.

Each hash with the RFC 9106 low-memory profile takes 64 MiB for tens of milliseconds. A burst of
sign-ins (or guesses) would otherwise run one hash per server thread at once and exhaust the
machine's memory; a semaphore bounds how many run together, and a caller that waits too long
gets `HashingBusy` (a 503 for the person) instead of queueing forever.
"""

from __future__ import annotations

import os
import threading
from collections.abc import Iterator
from contextlib import contextmanager

from argon2 import Parameters, PasswordHasher
from argon2.exceptions import InvalidHashError, VerificationError

from engine.errors import EngineError

_hasher = PasswordHasher()
_slots = threading.BoundedSemaphore(max(1, min(4, os.cpu_count() or 1)))
WAIT_S = 10.0


class HashingBusy(EngineError):
    """Every hashing slot stayed taken for WAIT_S seconds: the server is saturated, try again shortly."""

    status = 503

    def __init__(self) -> None:
        super().__init__("The server is busy; please try again in a moment.",
                         "Máy chủ đang bận; vui lòng thử lại sau giây lát.")  # fmt: skip


def use_parameters(parameters: Parameters) -> None:
    """Replace the Argon2 cost for this process.

    The test suite creates hundreds of users and lowers the cost through this hook; production
    code never calls it, so no setting in the environment can weaken the hashes.
    """
    global _hasher
    _hasher = PasswordHasher.from_parameters(parameters)


def set_concurrency(slots: int) -> None:
    """How many hashes may run at once in this process (each takes the profile's memory, 64 MiB)."""
    global _slots
    _slots = threading.BoundedSemaphore(max(1, slots))


@contextmanager
def _slot() -> Iterator[None]:
    slots = _slots
    if not slots.acquire(timeout=WAIT_S):
        raise HashingBusy()
    try:
        yield
    finally:
        slots.release()


def hash_password(password: str) -> str:
    with _slot():
        return _hasher.hash(password)


def verify_password(password_hash: str, password: str) -> bool:
    with _slot():
        try:
            return _hasher.verify(password_hash, password)
        except (VerificationError, InvalidHashError):
            return False


def needs_rehash(password_hash: str) -> bool:
    """True for a hash made with other parameters than today's (e.g. before an argon2-cffi upgrade)."""
    try:
        return _hasher.check_needs_rehash(password_hash)
    except InvalidHashError:
        return True
