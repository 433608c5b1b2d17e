"""The JSON API under /api/v1: a thin adapter over the engine's commands and queries, like the pages.

One small blueprint per concern (cases, reports, reference data, public results, the description),
each authenticated by bearer token (web/api/bearer.py), rate-limited per token (web/api/limits.py),
exempt from CSRF (no cookie ever authorises it), and answering every error as RFC 9457 problem
details (web/api/problems.py). The OpenAPI 3.1 description is generated from the same pydantic
models that validate requests (web/api/spec.py) and browsable at /api/v1/docs (Swagger UI, vendored).
"""

from __future__ import annotations

import logging
import uuid

from flask import Blueprint, Flask, Response, current_app, render_template, request
from werkzeug.exceptions import HTTPException

from engine.errors import EngineError
from web.api import bearer, problems
from web.api.spec import Refused, document_json, operation

log = logging.getLogger("presscase.api")
PREFIX = "/api/v1"
API_VERSION = "1.0"

bp = Blueprint("api", __name__)


@bp.route("/openapi.json")
def openapi() -> Response:
    return Response(document_json(API_VERSION), mimetype="application/json")


@bp.route("/docs")
def docs() -> str:
    return render_template("api/docs.html")


def _http_error(err: HTTPException) -> Response:
    code = err.code or 500
    if code >= 500:
        return _unexpected(err)
    return problems.problem(problems.HTTP_KINDS.get(code, "bad_request"))


def _unexpected(err: Exception) -> Response:
    reference = uuid.uuid4().hex[:10].upper()
    log.error("Unhandled API error, reference %s", reference, exc_info=err)
    if current_app.config.get("TESTING") and current_app.config.get("PROPAGATE_500_IN_TESTS", True):
        raise err  # tests see the real traceback: a 500 is a failure
    lang = problems.api_lang()
    detail = problems.HTTP_DETAILS["server_error"][0 if lang == "vi" else 1] + f" ({reference})"
    return problems.problem("server_error", detail, reference=reference)


def _install(blueprint: Blueprint, *, authenticated: bool = True) -> None:
    if authenticated:
        blueprint.before_request(bearer.authenticate)
    blueprint.register_error_handler(Refused, lambda err: err.response)
    blueprint.register_error_handler(EngineError, problems.from_engine)
    blueprint.register_error_handler(HTTPException, _http_error)
    blueprint.register_error_handler(Exception, _unexpected)


def _problems_for_unrouted_paths(app: Flask) -> None:
    """A path under /api/v1 that matches no route (or not with this method) never reaches a blueprint,
    so the application's HTML error page would answer: wrap that handler to answer problem+json there."""
    handlers = app.error_handler_spec[None][None]
    previous = handlers.get(HTTPException)

    def handler(err: HTTPException) -> object:
        if request.path == PREFIX or request.path.startswith(PREFIX + "/"):
            return _http_error(err)
        return previous(err) if previous else err

    handlers[HTTPException] = handler


_set_up: list[Blueprint] = []


def _blueprints() -> list[Blueprint]:
    """The API's blueprints, their hooks installed once per process (a blueprint refuses new hooks after
    its first registration, and tests build many apps)."""
    if not _set_up:
        from web.api import cases, limits, public, reference, reports

        for module in (cases, reports, reference, public):
            _install(module.bp)
            limits.install(module.bp)
            _set_up.append(module.bp)
        _install(bp, authenticated=False)
    return _set_up


def init_app(app: Flask) -> None:
    """Called by create_app after the pages' blueprints and the limiter exist."""
    from web import csrf
    from web.api import admin_tokens, limits

    for blueprint in _blueprints():
        limits.init_app(app, blueprint)
        csrf.exempt(blueprint)
        app.register_blueprint(blueprint, url_prefix=PREFIX)
    app.register_blueprint(bp, url_prefix=PREFIX)
    app.register_blueprint(admin_tokens.bp)
    _problems_for_unrouted_paths(app)


__all__ = ["init_app", "operation"]
