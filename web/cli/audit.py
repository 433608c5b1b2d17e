"""`presscase audit verify`: check every case's hash chain and name the first bad event."""

from __future__ import annotations

import click
from flask.cli import with_appcontext

from engine.history import verify_all
from web.cli.common import runtime


@click.group()
def audit() -> None:
    """Tamper-evident history."""


@audit.command("verify")
@with_appcontext
def audit_verify() -> None:
    """Exit status 1 if any case's history was changed behind the engine's back."""
    with runtime().read_session() as s:
        checked, problems = verify_all(s)
    for p in problems:
        where = f"event {p.seq}" if p.seq else "history"
        click.echo(f"BAD {p.reference}: {where} {p.problem}")
    click.echo(f"checked {checked} cases: {'all chains intact' if not problems else f'{len(problems)} broken'}")
    if problems:
        raise SystemExit(1)
