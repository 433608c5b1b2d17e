"""Safe retries: a request that carries a retry key acts at most once, and a retry gets the first result.

Phones on weak links resend, people press Back and send a form again, scripts retry after a
timeout: each would otherwise file a second report or fire a second transition. A caller (the JSON
API's `Idempotency-Key` header, a web form's hidden key) gives the unit of work a `RetryKey`; the
command's commit writes its `Outcome` beside the case change, in the SAME transaction, as a row
unique on (scope, key) (engine/store/idempotency_models.py). So:

- a retry after the first committed finds the row: `replayed` returns the first Outcome (the caller
  may ask before acting), or the unit of work raises `AlreadyDone` with it;
- two requests with one key at the same moment both run, but only one can commit the row: the
  other's commit fails on the unique constraint (PostgreSQL makes it wait for the first to commit;
  SQLite's BEGIN IMMEDIATE serialises them), everything of it is rolled back, and it raises
  `AlreadyDone` with the first Outcome, read after the rollback;
- the same key with another request (a different fingerprint) is refused: `KeyReused`, 422.

Keys are scoped ("user:<id>"), so two people's keys never meet, and kept at least 24 hours
(PRESSCASE_IDEMPOTENCY_HOURS, 48 by default; engine/jobs/retry_keys.py deletes older ones).
"""

from __future__ import annotations

import hashlib
import json
from collections.abc import Mapping
from dataclasses import dataclass
from datetime import datetime
from typing import Any, cast

from sqlalchemy import Table, delete, insert, select
from sqlalchemy.exc import IntegrityError
from sqlalchemy.orm import Session

from engine.cases.outcome import Outcome
from engine.errors import EngineError, InvalidData
from engine.store.idempotency_models import UNIQUE_NAME, RetryKeyRecord

KEY_FIELD = "idempotency_key"
MAX_KEY_LENGTH = 255
MAX_SCOPE_LENGTH = 64
_KEYS = cast(Table, RetryKeyRecord.__table__)
_FIRST = select(_KEYS.c.fingerprint, _KEYS.c.case_id, _KEYS.c.reference, _KEYS.c.state, _KEYS.c.version,
                _KEYS.c.event_seq)  # fmt: skip


class BadRetryKey(InvalidData):
    """A key that is empty, longer than 255 characters or not printable ASCII (it travels in an HTTP header)."""

    code = "idempotency_key_invalid"

    def __init__(self) -> None:
        super().__init__({KEY_FIELD: (
            f"Khóa chống gửi lặp (Idempotency-Key) phải gồm 1 đến {MAX_KEY_LENGTH} ký tự ASCII in được.",
            f"The idempotency key must be 1 to {MAX_KEY_LENGTH} printable ASCII characters.",
        )})  # fmt: skip


class KeyReused(InvalidData):
    """The key was already used for a different request (another body, path or method): nothing is done."""

    code = "idempotency_key_reused"

    def __init__(self) -> None:
        super().__init__({KEY_FIELD: (
            "Khóa chống gửi lặp này đã được dùng cho một yêu cầu có nội dung khác; không có gì được ghi. "
            "Hãy dùng một khóa mới cho yêu cầu mới.",
            "This idempotency key was already used for a request with different content; nothing was done. "
            "Use a new key for a new request.",
        )})  # fmt: skip


class AlreadyDone(EngineError):
    """The request was carried out before (or by a concurrent request with the same key); nothing was done twice.

    `outcome` is what the first request produced: a caller answers with it as if this request had acted.
    """

    status = 409  # only if a caller does not catch it: the page then says it was done already
    code = "idempotency_replayed"

    def __init__(self, outcome: Outcome) -> None:
        super().__init__(
            f"This request was already carried out (case {outcome.reference}); nothing was done twice.",
            f"Yêu cầu này đã được thực hiện trước đó (vụ việc {outcome.reference}); không có gì bị ghi hai lần.",
        )
        self.outcome = outcome


def user_scope(user_id: int) -> str:
    """The scope of a signed-in person's keys (web forms and API tokens alike): one person's keys never meet another's."""
    return f"user:{user_id}"


def _valid_key(key: object) -> bool:
    return (isinstance(key, str) and 1 <= len(key) <= MAX_KEY_LENGTH
            and all(" " <= ch <= "~" for ch in key))  # fmt: skip


@dataclass(frozen=True)
class RetryKey:
    """Who (scope), which key the client chose, and what the request was (fingerprint)."""

    scope: str
    key: str
    fingerprint: str

    def __post_init__(self) -> None:
        if not _valid_key(self.key):
            raise BadRetryKey()
        if not self.scope or len(self.scope) > MAX_SCOPE_LENGTH:
            raise ValueError(f"a retry key's scope must be 1 to {MAX_SCOPE_LENGTH} characters, not {self.scope!r}")
        if len(self.fingerprint) != 64 or any(ch not in "0123456789abcdef" for ch in self.fingerprint):
            raise ValueError("a retry key's fingerprint is a sha256 hex digest: use fingerprint()")


def _canonical(value: Any) -> Any:
    """JSON-able, order-free: mappings sorted by key (json does that), tuples as lists, bytes by their sha256."""
    if isinstance(value, Mapping):
        return {str(k): _canonical(v) for k, v in value.items()}
    if isinstance(value, list | tuple):
        return [_canonical(v) for v in value]
    if isinstance(value, bytes | bytearray | memoryview):
        return {"sha256": hashlib.sha256(bytes(value)).hexdigest()}
    return value


def fingerprint(method: str, path: str, body: bytes | Mapping[str, Any]) -> str:
    """sha256 hex of the method, the path and the body.

    A mapping body is canonical (keys sorted, no whitespace, files by their sha256), so the same data
    sent twice in another order gives the same fingerprint; raw bytes are taken as they are. A caller
    uses one form for all its requests (the web forms pass mappings).
    """
    if isinstance(body, Mapping):
        raw = json.dumps(_canonical(body), sort_keys=True, separators=(",", ":"), ensure_ascii=False, default=str)
        payload = b"json:" + raw.encode("utf-8")
    else:
        payload = b"raw:" + bytes(body)
    h = hashlib.sha256()
    for part in (method.upper().encode("ascii", "replace"), path.encode("utf-8"), payload):
        h.update(len(part).to_bytes(8, "big"))
        h.update(part)
    return h.hexdigest()


def replayed(session: Session, retry: RetryKey) -> Outcome | None:
    """The Outcome the first request with this key produced, or None if no request with it committed.

    Raises KeyReused when the key was used for a different request.
    """
    row = session.execute(_FIRST.where(_KEYS.c.scope == retry.scope, _KEYS.c.key == retry.key)).first()
    if row is None:
        return None
    if row.fingerprint != retry.fingerprint:
        raise KeyReused()
    return Outcome(row.case_id, row.reference, row.state, row.version, row.event_seq)


_REMEMBER = insert(_KEYS)


def remember(session: Session, retry: RetryKey, outcome: Outcome, now: datetime) -> None:
    """Write the key's row in the caller's transaction (the unit of work's commit, beside the case change).

    Inserted at once, not deferred: on PostgreSQL a concurrent request with the same key waits here
    on the unique index until the first commits, then fails; the case row was locked before, in the
    order every command and the sweep take.
    """
    session.connection().execute(_REMEMBER, {
        "scope": retry.scope, "key": retry.key, "fingerprint": retry.fingerprint, "case_id": outcome.case_id,
        "reference": outcome.reference, "state": outcome.state, "version": outcome.version,
        "event_seq": outcome.event_seq, "created_at": now,
    })  # fmt: skip


def is_key_conflict(err: IntegrityError) -> bool:
    """The unique (scope, key) refused the row: another request with the key committed first."""
    text = str(err.orig)
    return UNIQUE_NAME in text or "retry_keys.scope" in text


def forget_before(session: Session, cutoff: datetime) -> int:
    """Delete the keys written before `cutoff`; how many. A retry after that acts again, as a new request."""
    result = session.execute(delete(RetryKeyRecord).where(RetryKeyRecord.created_at < cutoff))
    return int(getattr(result, "rowcount", 0) or 0)
