"""The Flask application: an application factory as in the Flask tutorial, one blueprint per concern.

No scheduler is started here (the reloader builds the app twice, and tests build many): the
timer sweep has its own command and guarded hook (web/scheduler.py).
"""

from __future__ import annotations

import logging
import os
from pathlib import Path
from typing import Any

from flask import Flask, Response, current_app, request
from flask_wtf.csrf import CSRFProtect
from sqlalchemy import inspect
from werkzeug.middleware.proxy_fix import ProxyFix

from engine.audit.key import derive_audit_key
from engine.cases.uow import Runtime
from engine.errors import DefinitionError
from engine.org import passwords
from web import config

log = logging.getLogger(__name__)
csrf = CSRFProtect()

# Everything the pages load comes from this server: no CDN, and no inline script.
CONTENT_SECURITY_POLICY = (
    "default-src 'self'; script-src 'self'; style-src 'self' 'unsafe-inline'; img-src 'self' data:; "
    "font-src 'self' data:; object-src 'none'; base-uri 'self'; form-action 'self'; frame-ancestors 'none'"
)


def create_app(test_config: dict[str, Any] | None = None) -> Flask:
    app = Flask(__name__, instance_relative_config=True)
    os.makedirs(app.instance_path, exist_ok=True)
    app.config.update(config.from_environment(app.instance_path))
    if test_config:
        app.config.update(test_config)

    runtime = test_config.get("RUNTIME") if test_config else None
    if runtime is None:
        runtime = Runtime.from_url(app.config["DATABASE_URL"], synchronous=app.config["SQLITE_SYNCHRONOUS"],
                                   audit_key=derive_audit_key(app.config["SECRET_KEY"]))
    app.extensions["presscase"] = runtime
    runtime.evidence_quota_bytes = (app.config.get("EVIDENCE_QUOTA_MB") or 0) * 1024 * 1024 or None
    runtime.registry_check_s = float(app.config.get("REGISTRY_CHECK_S", runtime.registry_check_s))
    _load_definitions_if_migrated(runtime)
    app.before_request(_refresh_definitions)

    if app.config.get("PRESSCASE_HTTPS"):
        # Behind exactly one TLS-terminating proxy: trust its X-Forwarded-For (the client's address,
        # which sign-in throttling counts) and X-Forwarded-Proto (https, for CSRF's Referer check).
        # Not X-Forwarded-Host: links are built from PRESSCASE_BASE_URL, never from a header.
        app.wsgi_app = ProxyFix(app.wsgi_app, x_for=1, x_proto=1)  # type: ignore[method-assign]
    passwords.set_concurrency(app.config["PASSWORD_HASH_SLOTS"])

    csrf.init_app(app)
    from web import assets, auth, i18n, throttle

    assets.init_app(app)  # first: its compression runs after every other after_request hook

    i18n.init_app(app)
    auth.init_app(app)
    _register_blueprints(app)
    throttle.init_app(app)
    from web import api

    api.init_app(app)  # after the limiter: the API's limits are per token on the same one
    app.after_request(_security_headers)

    from web.cli import register_commands

    register_commands(app)

    from web.scheduler import start_in_process

    start_in_process(app)  # only when RUN_SCHEDULER_IN_WEB, never under TESTING, once per database
    return app


def _register_blueprints(app: Flask) -> None:
    from web import (
        admin,
        audit,
        auth,
        cases,
        dashboard,
        errors,
        extend,
        failed_timers,
        home,
        inbox,
        overview,
        reports,
        retry,
        search,
        worklist,
    )
    from web import register as public_register

    app.url_map.converters["id"] = cases.IdConverter
    app.url_map.converters["int"] = cases.BoundedIntConverter  # also guards other blueprints' <int:...> routes
    for module in (home, auth, reports, worklist, search, cases, admin, overview, inbox, public_register, dashboard, extend,
                   failed_timers, audit):
        app.register_blueprint(module.bp)
    errors.init_app(app)
    retry.init_app(app)


def _security_headers(response: Response) -> Response:
    response.headers.setdefault("Content-Security-Policy", CONTENT_SECURITY_POLICY)
    response.headers.setdefault("X-Content-Type-Options", "nosniff")
    response.headers.setdefault("Referrer-Policy", "same-origin")
    response.headers.setdefault("X-Frame-Options", "DENY")
    # Nothing but the static files and the public register (which sets its own policy) may be kept
    # by a browser or proxy: a signed-in page left in a shared computer's cache outlives sign-out.
    if request.endpoint != "static":
        response.headers.setdefault("Cache-Control", "no-store")
    if current_app.config.get("PRESSCASE_HTTPS"):
        response.headers.setdefault("Strict-Transport-Security", "max-age=31536000")
    return response


def _refresh_definitions() -> None:
    """A version `presscase workflow load` recorded from another process is served without a restart:
    at most every REGISTRY_CHECK_S seconds one primary-key read of the registry generation."""
    if request.endpoint != "static":
        runtime_of(current_app).refresh_definitions()


def runtime_of(app: Flask) -> Runtime:
    return app.extensions["presscase"]


def _load_definitions_if_migrated(runtime: Runtime) -> None:
    """Before `presscase db upgrade` there are no tables; the CLI still has to start then.

    A definition file changed under a version the database already holds is not loaded: the
    app starts on the recorded version and says so in the log (and `presscase workflow load`
    names the file and key), rather than refusing to start at all.
    """
    url = runtime.engine.url
    if url.get_backend_name() == "sqlite" and url.database not in (None, "", ":memory:") and not Path(url.database).exists():
        return  # inspecting would create an empty database file (`presscase --help` must leave no trace)
    tables = inspect(runtime.engine)
    # Loading records each new version in the audit log (engine.audit.log) and advances the registry
    # generation (engine.cases.registry): wait for their tables too (`presscase db upgrade` loads after migrating).
    if all(tables.has_table(t) for t in ("workflow_definitions", "audit_head", "registry_generation")):
        refused: list[DefinitionError] = []
        runtime.load_definitions(refused=refused)
        for err in refused:
            log.error("workflow definition not loaded: %s", err)
