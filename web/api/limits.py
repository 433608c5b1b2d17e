"""Rate limits per token, with Flask-Limiter: 429 with Retry-After when a token sends too much.

The limit is PRESSCASE_API_RATE_LIMIT (Flask-Limiter's syntax, "600 per minute" by default).
Counts are kept where the app's limiter keeps them (PRESSCASE_RATELIMIT_STORAGE_URI, memory by
default): in memory each worker process counts on its own, so N workers allow up to N times the
limit; a deployment that needs one shared count points the storage at Redis or Memcached.
The key is a hash of the token itself (no database read before counting), or the address for a
request without one.
"""

from __future__ import annotations

import hashlib
import math
import os
import time

from flask import Blueprint, Flask, current_app, request
from flask_limiter import RateLimitExceeded
from werkzeug.wrappers import Response

from web.api.bearer import bearer_token
from web.api.problems import problem

DEFAULT_LIMIT = "600 per minute"


def _key() -> str:
    token = bearer_token()
    if token:
        return "api-token:" + hashlib.sha256(token.encode("utf-8", "replace")).hexdigest()[:32]
    return "api-addr:" + (request.remote_addr or "?")


def _limit() -> str:
    return str(current_app.config.get("API_RATE_LIMIT") or DEFAULT_LIMIT)


def init_app(app: Flask, bp: Blueprint) -> None:
    """Per application: this app's limiter counts the blueprint's requests per token."""
    app.config.setdefault("API_RATE_LIMIT", os.environ.get("PRESSCASE_API_RATE_LIMIT") or DEFAULT_LIMIT)
    app.extensions["presscase_limiter"].limit(_limit, key_func=_key)(bp)


def install(bp: Blueprint) -> None:
    """Once per blueprint: a refused request is a problem+json 429 with Retry-After."""

    @bp.errorhandler(RateLimitExceeded)
    def too_many(err: RateLimitExceeded) -> Response:
        wait = _retry_after(current_app.extensions["presscase_limiter"], err)
        return problem("rate_limited", headers={"Retry-After": str(wait)})


def _retry_after(limiter: object, err: RateLimitExceeded) -> int:
    """Seconds until the window that was exceeded resets: at least 1, at most the window's length."""
    item = getattr(getattr(err, "limit", None), "limit", None)
    window = int(item.get_expiry()) if item is not None else 60
    reset_at = getattr(getattr(limiter, "current_limit", None), "reset_at", None)
    if reset_at:
        return max(1, min(window, math.ceil(reset_at - time.time())))
    return max(1, window)
