"""The Flask application: an application factory as in the Flask tutorial, one blueprint per concern."""

from __future__ import annotations

import logging
import os
from typing import Any

from flask import Flask
from sqlalchemy import inspect

from engine.uow import Runtime
from web import config

log = logging.getLogger(__name__)


def create_app(test_config: dict[str, Any] | None = None) -> Flask:
    app = Flask(__name__, instance_relative_config=True)
    os.makedirs(app.instance_path, exist_ok=True)
    app.config.update(config.from_environment(app.instance_path))
    if test_config:
        app.config.update(test_config)

    runtime = test_config.get("RUNTIME") if test_config else None
    if runtime is None:
        runtime = Runtime.from_url(app.config["DATABASE_URL"], synchronous=app.config["SQLITE_SYNCHRONOUS"])
    app.extensions["presscase"] = runtime
    _load_definitions_if_migrated(runtime)

    from web.cli import register_commands

    register_commands(app)
    return app


def runtime_of(app: Flask) -> Runtime:
    return app.extensions["presscase"]


def _load_definitions_if_migrated(runtime: Runtime) -> None:
    """Before `presscase db upgrade` there are no tables; the CLI still has to start then."""
    if inspect(runtime.engine).has_table("workflow_definitions"):
        runtime.load_definitions()
