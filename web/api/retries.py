"""Safe retries: an `Idempotency-Key` on a POST that changes a case returns the first result again.

The storage and its one-transaction guarantee are the engine's (engine.cases.idempotency): the
key, scoped to the token's user, and a fingerprint of the request (method, path, canonical JSON
body) go to the unit of work; the command's commit stores its Outcome beside the case change, and
a retry, or a concurrent twin whose commit lost, gets AlreadyDone with the first Outcome, which
the view answers exactly as the first request was answered. The same key with another body is
KeyReused (422). This module is the only place the API touches that mechanism.
"""

from __future__ import annotations

import json
from collections.abc import Callable
from typing import Any

from flask import request

from engine.cases.idempotency import AlreadyDone, RetryKey, fingerprint, user_scope
from engine.cases.outcome import Outcome
from engine.cases.uow import UnitOfWork
from engine.org.actors import Actor
from web.access import runtime
from web.api.spec import IDEMPOTENCY_HEADER


def _body() -> Any:
    raw = request.get_data(cache=True)
    try:
        parsed = json.loads(raw or b"{}")
    except ValueError:
        return raw  # the view has refused it already; kept for completeness
    return parsed if isinstance(parsed, dict) else raw


def retry_key(actor: Actor) -> RetryKey | None:
    """The request's RetryKey, or None without the header; BadRetryKey (422) for a malformed key."""
    value = request.headers.get(IDEMPOTENCY_HEADER)
    if value is None:
        return None
    return RetryKey(scope=user_scope(actor.user_id or 0), key=value,
                    fingerprint=fingerprint(request.method, request.path, _body()))  # fmt: skip


def run_once(retry: RetryKey | None, command: Callable[[UnitOfWork], Outcome]) -> tuple[Outcome, bool]:
    """Run `command` in a unit of work unless a request with this key already ran; (outcome, replayed)."""
    try:
        with runtime().uow(retry) as uow:
            return command(uow), False
    except AlreadyDone as done:
        return done.outcome, True
