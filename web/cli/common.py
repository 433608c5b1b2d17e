"""What every command group shares: the runtime, and engine errors shown as plain messages."""

from __future__ import annotations

import functools
from collections.abc import Callable
from typing import Any

import click
from flask import current_app

from engine.audit.log import Operator
from engine.cases.uow import Runtime
from engine.errors import DefinitionError, EngineError, InvalidData


def runtime() -> Runtime:
    return current_app.extensions["presscase"]


def cli_operator() -> Operator:
    """Who an administrative command is recorded as: the shell account (the CLI has no sign-in)."""
    return Operator.cli()


def engine_errors(fn: Callable[..., Any]) -> Callable[..., Any]:
    """Turn an engine error into a one-line message and exit status 1, never a traceback."""

    @functools.wraps(fn)
    def wrapper(*args: Any, **kwargs: Any) -> Any:
        try:
            return fn(*args, **kwargs)
        except InvalidData as err:
            for name, msg in err.field_messages("en").items():
                click.echo(f"error: {name}: {msg}", err=True)
            raise SystemExit(1) from err
        except (EngineError, DefinitionError) as err:
            click.echo(f"error: {err.message_en}", err=True)
            raise SystemExit(1) from err

    return wrapper
