"""The `presscase` command: Flask's CLI over the application factory, one module per group."""

from __future__ import annotations

import click
from flask import Flask
from flask.cli import FlaskGroup


def register_commands(app: Flask) -> None:
    from web.cli import admin, audit, backup, db, demo, notify, report, timers, token, workflow

    for group in (db.db, admin.unit, admin.user, workflow.workflow, audit.audit, demo.demo,
                  timers.scheduler_command, timers.sweep_command, timers.timers_command, notify.notify, report.report_command,
                  backup.backup_command, token.token):
        app.cli.add_command(group)


def _create_app() -> Flask:
    from web import create_app

    return create_app()


@click.group(cls=FlaskGroup, create_app=_create_app, add_version_option=False)
def main() -> None:
    """presscase: reported press and media violations, from report to public register."""
