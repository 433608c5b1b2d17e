"""A consistent copy of a live SQLite database, checked before anyone relies on it.

Copying the file with `cp` while the app runs can catch a half-written page or miss what sits
in the WAL; SQLite's online backup API copies a consistent snapshot however many writers are
busy. The copy is then opened read-only and checked: SQLite's own integrity check, and every
case's hash-chained history (the same check as `presscase audit verify`). PostgreSQL has
its own tool for this (`pg_dump`), which this module only explains.
"""

from __future__ import annotations

import os
import sqlite3
from dataclasses import dataclass, field
from pathlib import Path

from sqlalchemy import create_engine
from sqlalchemy.orm import Session

from engine.cases.history import ChainProblem, verify_all
from engine.store.db import sqlite_path

PG_DUMP_HELP = """\
PostgreSQL is backed up with its own tools, not by presscase:
  pg_dump --format=custom --file=presscase.dump "$DATABASE_URL"      (consistent while the app runs)
Restore into an empty database, then check the history:
  createdb presscase_restored
  pg_restore --no-owner --dbname=presscase_restored presscase.dump
  DATABASE_URL=postgresql://.../presscase_restored presscase audit verify"""


class BackupError(Exception):
    """The backup could not be made (the message says why); nothing usable was left at the target."""


@dataclass
class BackupReport:
    path: Path
    size: int
    integrity: str
    cases_checked: int
    problems: list[ChainProblem] = field(default_factory=list)

    @property
    def ok(self) -> bool:
        return self.integrity == "ok" and not self.problems


def backup_sqlite(url: str, out: Path) -> BackupReport:
    """Copy the database at `url` into `out` (a new file, mode 0600), then verify the copy."""
    source = sqlite_path(url)
    if source is None:
        raise BackupError("Not a SQLite database file: PostgreSQL is backed up with pg_dump.")
    if not Path(source).exists():
        raise BackupError(f"No database at {source}.")
    out = Path(out)
    try:
        os.close(os.open(out, os.O_WRONLY | os.O_CREAT | os.O_EXCL, 0o600))  # never overwrite an older backup
    except FileExistsError as err:
        raise BackupError(f"{out} exists already; choose a new file name.") from err
    except OSError as err:
        raise BackupError(f"Cannot create {out}: {err.strerror}.") from err
    try:
        src = sqlite3.connect(source, timeout=30)
        dst = sqlite3.connect(out)
        try:
            src.backup(dst)  # one step: a single consistent snapshot, whatever writers do meanwhile
            dst.execute("PRAGMA journal_mode=DELETE")  # the copy is one self-contained file
        finally:
            dst.close()
            src.close()
    except sqlite3.Error as err:
        out.unlink(missing_ok=True)
        raise BackupError(f"SQLite could not copy the database: {err}.") from err
    return verify_copy(out)


def verify_copy(path: Path) -> BackupReport:
    """Open the copy read-only (nothing is written beside it) and check its pages and its histories."""
    uri = f"file:{Path(path).resolve()}?mode=ro"
    engine = create_engine("sqlite://", creator=lambda: sqlite3.connect(uri, uri=True))
    try:
        with engine.connect() as conn:
            integrity = "; ".join(row[0] for row in conn.exec_driver_sql("PRAGMA integrity_check").all())
        with Session(bind=engine) as s:
            checked, problems = verify_all(s)
    finally:
        engine.dispose()
    return BackupReport(Path(path), Path(path).stat().st_size, integrity, checked, problems)
