"""Who an API request speaks for: the `Authorization: Bearer <token>` header, and nothing else.

The session cookie is ignored on purpose: the API is exempt from CSRF, so a browser's cookie
must never authorise it. Each request reads the token and its user afresh
(engine.org.api_tokens.authenticate), so a revoked token or a disabled user stops at once.
"""

from __future__ import annotations

from flask import Response, g, request

from engine.org import api_tokens
from engine.org.actors import Actor
from web.access import runtime
from web.api.problems import problem
from web.api.spec import public_endpoints


def bearer_token() -> str | None:
    scheme, _sep, token = request.headers.get("Authorization", "").partition(" ")
    token = token.strip()
    return token if scheme.lower() == "bearer" and token else None


def authenticate() -> Response | None:
    """The blueprint's before_request: 401 (with WWW-Authenticate) unless a valid token is sent."""
    if request.endpoint in public_endpoints():
        return None
    token = bearer_token()
    if token is None:
        return problem("unauthorized", headers={"WWW-Authenticate": 'Bearer realm="presscase"'})
    found = api_tokens.authenticate(runtime(), token)
    if found is None:
        return problem("unauthorized", headers={"WWW-Authenticate": 'Bearer realm="presscase", error="invalid_token"'})
    g.api_bearer = found
    return None


def api_actor() -> Actor:
    return g.api_bearer.actor  # type: ignore[no-any-return]
