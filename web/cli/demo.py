"""`presscase demo`: migrate, load the definitions, seed the demo district, print the accounts."""

from __future__ import annotations

import secrets

import click
from flask import current_app
from flask.cli import with_appcontext
from sqlalchemy import func, select

from engine.demo import USERS, holds_only_the_demo, seed_demo
from engine.org import admin as admin_service
from engine.store import migrate
from engine.store.models import Unit
from web.cli.common import cli_operator, engine_errors, runtime


@click.command()
@click.option("--cases", default=32, show_default=True, help="how many demo cases to file")
@click.option("--new-passwords", is_flag=True, help="on an already seeded database: give the demo users new passwords")
@with_appcontext
@engine_errors
def demo(cases: int, new_passwords: bool) -> None:
    """Seed a realistic district (Phong Thổ) with one user per role and cases in every state."""
    migrate.upgrade(current_app.config["DATABASE_URL"])
    rt = runtime()
    rt.load_definitions()
    with rt.read_session() as s:
        seeded = (s.scalar(select(func.count()).select_from(Unit)) or 0) > 0
    if seeded and not new_passwords:
        click.echo("The database already has units: demo not seeded again.")
        click.echo("Run `presscase demo --new-passwords` to print fresh passwords for the demo accounts.")
        return
    if seeded:
        if not holds_only_the_demo(rt):
            click.echo("error: this database holds accounts or units besides the demo's: "
                       "refusing to reset passwords by name (use `presscase user password USERNAME`).", err=True)  # fmt: skip
            raise SystemExit(1)
        passwords = {}
        for username, *_ in USERS:
            pw = secrets.token_urlsafe(9)
            with rt.uow() as uow:
                admin_service.set_password(uow, username, pw, by=cli_operator())
            passwords[username] = pw
    else:
        result = seed_demo(rt, cases)
        passwords = result.passwords
        click.echo(f"Seeded {len(passwords)} users and {result.cases} cases.")
    click.echo("Demo accounts (shown once):")
    for username, full_name, unit, roles in USERS:
        click.echo(f"  {username:<10} {passwords[username]:<14} {'/'.join(roles):<20} {unit:<7} {full_name}")
