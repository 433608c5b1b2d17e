"""Safe retries: an `Idempotency-Key` on a POST that changes a case returns the first result again.

The storage and its one-transaction guarantee are the engine's (engine.cases.idempotency): the
key, scoped to the token's user, and a fingerprint of the request are set on the unit of work; the
command's commit stores its Outcome beside the case's change, and a concurrent twin's commit rolls
back with AlreadyDone carrying the first Outcome. This module is the only place the API touches
that mechanism, and it is written so the API still works (without replays) where the engine
module is absent.
"""

from __future__ import annotations

import hashlib
import json
import re
from collections.abc import Callable
from typing import Any

from flask import request

from engine.cases.commands import Outcome
from engine.cases.uow import UnitOfWork
from engine.org.actors import Actor
from web.access import runtime
from web.api.problems import problem
from web.api.spec import IDEMPOTENCY_HEADER, Refused

try:  # the mechanism lives in the engine; without it a key is checked for shape and otherwise ignored
    from engine.cases import idempotency as _mechanism
except ImportError:  # pragma: no cover - only on a tree without the engine's idempotency module
    _mechanism = None  # type: ignore[assignment]

KEY_RE = re.compile(r"^[\x21-\x7e]{1,200}$")


def available() -> bool:
    return _mechanism is not None


def fingerprint(method: str, path: str, raw: bytes) -> str:
    """SHA-256 of the method, the path and the body in canonical form (keys sorted, no spaces), so the
    same request sent with its members in another order is the same request."""
    try:
        canonical = json.dumps(json.loads(raw or b"{}"), sort_keys=True, separators=(",", ":"), ensure_ascii=False)
    except ValueError:
        canonical = raw.decode("utf-8", "replace")
    return hashlib.sha256(f"{method}\n{path}\n{canonical}".encode()).hexdigest()


def retry_key(actor: Actor) -> Any:
    """The request's RetryKey, or None without the header; 400 for a malformed key."""
    value = request.headers.get(IDEMPOTENCY_HEADER)
    if value is None:
        return None
    if not KEY_RE.match(value):
        raise Refused(problem("bad_request", errors={IDEMPOTENCY_HEADER: "1–200 printable ASCII characters."}))
    if _mechanism is None:
        return None
    return _mechanism.RetryKey(scope=f"user:{actor.user_id}", key=value,
                               fingerprint=fingerprint(request.method, request.path, request.get_data(cache=True)))


def run_once(retry: Any, command: Callable[[UnitOfWork], Outcome]) -> tuple[Outcome, bool]:
    """Run `command` in a unit of work unless this retry already ran; (outcome, replayed)."""
    rt = runtime()
    if retry is not None and _mechanism is not None:
        with rt.read_session() as s:
            first = _mechanism.replayed(s, retry)  # KeyReused (422) for the same key with another request
        if first is not None:
            return first, True
    try:
        with rt.uow() as uow:
            if retry is not None:
                uow.retry_key = retry  # type: ignore[attr-defined]
            return command(uow), False
    except Exception as err:
        done = _mechanism is not None and isinstance(err, _mechanism.AlreadyDone)
        if not done:
            raise
        return err.outcome, True  # type: ignore[attr-defined]
