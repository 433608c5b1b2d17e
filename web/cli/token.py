"""`presscase token ...`: API tokens from the shell (engine.org.api_tokens; recorded in the audit log)."""

from __future__ import annotations

import click
from flask.cli import with_appcontext

from engine.org import api_tokens
from web.cli.common import cli_operator, engine_errors, runtime


@click.group()
def token() -> None:
    """API tokens for /api/v1 (each acts as its user)."""


@token.command("issue")
@click.argument("username")
@click.option("--expires", default=None, help="lifetime such as 90d, 12w or 36h (default: no expiry)")
@click.option("--label", default="", help="what the token is for")
@with_appcontext
@engine_errors
def token_issue(username: str, expires: str | None, label: str) -> None:
    """Issue a token for USERNAME; it is printed once, on standard output, and never again."""
    lifetime = api_tokens.parse_duration(expires) if expires else None
    with runtime().uow() as uow:
        issued = api_tokens.issue(uow, username, expires_in=lifetime, label=label, by=cli_operator())
    until = issued.expires_at.isoformat() if issued.expires_at else "never"
    click.echo(f"token {issued.id} for {issued.username}, expires {until}", err=True)
    click.echo(issued.token)


@token.command("revoke")
@click.argument("token_id", type=click.IntRange(1, 2**31 - 1))
@with_appcontext
@engine_errors
def token_revoke(token_id: int) -> None:
    """Revoke the token with TOKEN_ID (it stops at once)."""
    with runtime().uow() as uow:
        row = api_tokens.revoke(uow, token_id, by=cli_operator())
    click.echo(f"revoked token {row.id} ({row.prefix}...)")


@token.command("list")
@with_appcontext
def token_list() -> None:
    """Every token with its user, status and last use."""
    rt = runtime()
    now = rt.clock.now()
    with rt.read_session() as s:
        for t in api_tokens.listing(s):
            used = t.last_used_at.isoformat(timespec="minutes") if t.last_used_at else "never"
            click.echo(f"{t.id:>5} {t.username:<16} {t.prefix}... {t.status(now):<13} last used {used}  {t.label}")
