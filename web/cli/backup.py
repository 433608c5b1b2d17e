"""`presscase backup --out FILE`: a consistent, verified copy of the SQLite database."""

from __future__ import annotations

from pathlib import Path

import click
from flask import current_app
from flask.cli import with_appcontext

from engine.store.backup import PG_DUMP_HELP, BackupError, backup_sqlite
from engine.store.db import sqlite_path


@click.command("backup")
@click.option("--out", "out_path", required=True, type=click.Path(dir_okay=False, path_type=Path),
              help="the new backup file (never overwritten)")  # fmt: skip
@with_appcontext
def backup_command(out_path: Path) -> None:
    """Copy the live SQLite database (online backup API), then check the copy's histories."""
    url = current_app.config["DATABASE_URL"]
    if sqlite_path(url) is None:
        click.echo(PG_DUMP_HELP)
        raise SystemExit(1)
    try:
        report = backup_sqlite(url, out_path)
    except BackupError as err:
        click.echo(f"error: {err}", err=True)
        raise SystemExit(1) from err
    for p in report.problems:
        where = f"event {p.seq}" if p.seq else "history"
        click.echo(f"BAD {p.reference}: {where} {p.problem}")
    click.echo(f"wrote {report.path} ({report.size} bytes, mode 0600)")
    click.echo(f"integrity check: {report.integrity}")
    click.echo(f"checked {report.cases_checked} cases: "
               f"{'all chains intact' if not report.problems else f'{len(report.problems)} broken'}")  # fmt: skip
    if not report.ok:
        raise SystemExit(1)
