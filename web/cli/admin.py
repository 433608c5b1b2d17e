"""`presscase unit ...` and `presscase user ...`: set a district up by script.

A password is never an argument (it would sit in the shell history and the process list):
it is read from standard input with --password-stdin, or prompted for.
"""

from __future__ import annotations

import sys

import click
from flask.cli import with_appcontext
from sqlalchemy import select

from engine.org import admin as admin_service
from engine.store.models import Unit, User
from web.cli.common import cli_operator, engine_errors, runtime


@click.group()
def unit() -> None:
    """Units of the organisation (a tree)."""


@unit.command("list")
@with_appcontext
def unit_list() -> None:
    """Print the unit tree."""
    with runtime().read_session() as s:
        units = list(s.scalars(select(Unit).order_by(Unit.code)))
    children: dict[int | None, list[Unit]] = {}
    for u in units:
        children.setdefault(u.parent_id, []).append(u)

    def show(parent: int | None, depth: int) -> None:
        for u in children.get(parent, []):
            flag = "" if u.active else " (inactive)"
            click.echo(f"{'  ' * depth}{u.code:<12} {u.type:<24} {u.name}{flag}")
            show(u.id, depth + 1)

    show(None, 0)


@unit.command("add")
@click.argument("code")
@click.argument("name")
@click.option("--type", "unit_type", required=True,
              help="a unit type configured in workflows/org/unit_types.toml (or PRESSCASE_UNIT_TYPES_FILE)")
@click.option("--parent", "parent_code", help="code of the parent unit")
@with_appcontext
@engine_errors
def unit_add(code: str, name: str, unit_type: str, parent_code: str | None) -> None:
    """Add a unit with CODE and NAME."""
    with runtime().uow() as uow:
        u = admin_service.add_unit(uow, code, name, unit_type, parent_code, by=cli_operator())
    click.echo(f"added unit {u.code}")


@click.group()
def user() -> None:
    """User accounts."""


@user.command("list")
@with_appcontext
def user_list() -> None:
    """Print every user with unit and roles."""
    with runtime().read_session() as s:
        for u in s.scalars(select(User).order_by(User.username)):
            state = "active" if u.active else "disabled"
            click.echo(f"{u.username:<16} {u.unit.code:<12} {','.join(sorted(u.roles)):<28} {state:<9} {u.full_name}")


def _read_password(from_stdin: bool) -> str:
    if from_stdin:
        return sys.stdin.readline().rstrip("\r\n")
    return click.prompt("Password", hide_input=True, confirmation_prompt=True)


@user.command("add")
@click.argument("username")
@click.option("--name", "full_name", required=True)
@click.option("--unit", "unit_code", required=True, help="unit code")
@click.option("--role", "roles", multiple=True, required=True, help="repeat for several roles")
@click.option("--email")
@click.option("--language", default="vi", type=click.Choice(["vi", "en"]))
@click.option("--password-stdin", is_flag=True, help="read the password from the first line of stdin")
@with_appcontext
@engine_errors
def user_add(
    username: str, full_name: str, unit_code: str, roles: tuple[str, ...], email: str | None, language: str,
    password_stdin: bool,
) -> None:
    """Add a user; the password is prompted for, or read from stdin."""
    password = _read_password(password_stdin)
    with runtime().uow() as uow:
        u = admin_service.add_user(uow, username, full_name, unit_code, roles, password, email=email, language=language,
                                   by=cli_operator())
    click.echo(f"added user {u.username}")


@user.command("disable")
@click.argument("username")
@with_appcontext
@engine_errors
def user_disable(username: str) -> None:
    """Disable a user: they can no longer sign in; their history stays."""
    with runtime().uow() as uow:
        admin_service.set_active(uow, username, False, by=cli_operator())
    click.echo(f"disabled user {username}")


@user.command("enable")
@click.argument("username")
@with_appcontext
@engine_errors
def user_enable(username: str) -> None:
    """Enable a disabled user again."""
    with runtime().uow() as uow:
        admin_service.set_active(uow, username, True, by=cli_operator())
    click.echo(f"enabled user {username}")


@user.command("password")
@click.argument("username")
@click.option("--password-stdin", is_flag=True)
@with_appcontext
@engine_errors
def user_password(username: str, password_stdin: bool) -> None:
    """Set a user's password."""
    password = _read_password(password_stdin)
    with runtime().uow() as uow:
        admin_service.set_password(uow, username, password, by=cli_operator())
    click.echo(f"password changed for {username}")


@user.command("grant")
@click.argument("username")
@click.argument("role")
@with_appcontext
@engine_errors
def user_grant(username: str, role: str) -> None:
    """Give USERNAME the ROLE (e.g. `admin`, to restore an administrator)."""
    with runtime().uow() as uow:
        u = admin_service.grant_role(uow, username, role, by=cli_operator())
    click.echo(f"{u.username}: {', '.join(sorted(u.roles))}")


@user.command("revoke")
@click.argument("username")
@click.argument("role")
@with_appcontext
@engine_errors
def user_revoke(username: str, role: str) -> None:
    """Take ROLE from USERNAME; refused for the last active administrator's admin role."""
    with runtime().uow() as uow:
        u = admin_service.revoke_role(uow, username, role, by=cli_operator())
    click.echo(f"{u.username}: {', '.join(sorted(u.roles))}")
