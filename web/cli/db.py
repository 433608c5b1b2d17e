"""`presscase db upgrade|current`: the schema changes only through Alembic's migrations."""

from __future__ import annotations

import click
from flask import current_app
from flask.cli import with_appcontext

from engine.store import migrate
from web.cli.audit import rekey_chains
from web.cli.common import cli_operator, engine_errors, runtime


@click.group()
def db() -> None:
    """Database schema."""


@db.command()
@click.argument("revision", default="head")
@with_appcontext
@engine_errors
def upgrade(revision: str) -> None:
    """Apply migrations up to REVISION (default: the newest), then load the workflow definitions."""
    url = current_app.config["DATABASE_URL"]
    migrate.upgrade(url, revision)
    recorded = runtime().load_definitions(by=cli_operator())
    click.echo(f"database at revision {migrate.current(url)}")
    for name in recorded:
        click.echo(f"loaded workflow {name}")
    rekeyed, refused = rekey_chains(cli_operator(), once=True)  # chains written before they were keyed (engine.cases.history)
    if rekeyed or refused:
        click.echo(f"re-signed {rekeyed} unkeyed case chains" + (f"; {len(refused)} broken ones left for 'presscase audit verify'"
                                                                 if refused else ""))


@db.command()
@with_appcontext
def current() -> None:
    """Show the database's migration revision."""
    click.echo(migrate.current(current_app.config["DATABASE_URL"]) or "(empty database)")
