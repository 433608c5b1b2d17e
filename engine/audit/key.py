"""The audit key: the secret, kept out of the database, that keys every hash chain and signs anchors.

PRESSCASE_AUDIT_KEY, when set, is the key itself (any string; 32+ random bytes as hex is a good
choice). Otherwise the key is derived from the app's secret key (PRESSCASE_SECRET_KEY or the
instance folder's `secret_key` file) with an HMAC under a fixed label, so the two are never
the same bytes and a leaked session cookie secret is not the audit key in plain text. Set
PRESSCASE_AUDIT_KEY before rotating the secret key: a chain verifies only under the key it
was written with.
"""

from __future__ import annotations

import hashlib
import hmac
import os

DERIVATION_LABEL = b"presscase audit chain v2"


def derive_audit_key(secret_key: str, explicit: str | None = None) -> bytes:
    explicit = explicit if explicit is not None else os.environ.get("PRESSCASE_AUDIT_KEY")
    if explicit:
        return explicit.encode("utf-8")
    return hmac.new(secret_key.encode("utf-8"), DERIVATION_LABEL, hashlib.sha256).digest()


def key_id(key: bytes) -> str:
    """A short public fingerprint: says which key signed an anchor without revealing it."""
    return hmac.new(key, b"presscase key id", hashlib.sha256).hexdigest()[:16]
