"""One scheduler per database: the lock a process must hold to run the timer sweep and the outbox jobs.

The lock belongs to the database, not to the install: two instances on two databases each run
a scheduler, two on one database share one, whichever machines they are on.

- PostgreSQL: a session-level advisory lock (`pg_try_advisory_lock`), held by a connection
  opened for it alone and kept for the life of the process. Advisory locks are scoped to one
  database, and the server frees the lock when that connection ends (the process died).
- SQLite: an exclusive `flock` on a file beside the database file (`<db>.scheduler.lock`),
  freed by the kernel when the process ends.

A process that does not get the lock says so in its log. The sweep's atomic claim keeps every
timer exactly-once even without this lock; the lock keeps a deployment from running N sweeps
where one is wanted, and makes a missing scheduler visible.
"""

from __future__ import annotations

import fcntl
import logging
import os
from pathlib import Path
from typing import IO

from sqlalchemy import Connection, text
from sqlalchemy.engine import Engine

log = logging.getLogger(__name__)

# An arbitrary 64-bit key (the bytes of "presscas" as a signed integer): only this application
# takes advisory locks in its database.
ADVISORY_KEY = 0x7072657373636173


class RunnerLock:
    """Try once with `acquire()`; keep the object alive for as long as the lock must be held."""

    def __init__(self, engine: Engine) -> None:
        self.engine = engine
        self._conn: Connection | None = None
        self._file: IO[str] | None = None

    @property
    def where(self) -> str:
        """Where the lock lives, for the log."""
        if self.engine.dialect.name == "postgresql":
            return f"advisory lock {ADVISORY_KEY} in database {self.engine.url.database}"
        return str(self.lock_path() or "in-memory database")

    def lock_path(self) -> Path | None:
        """`<database file>.scheduler.lock`; None for an in-memory database, which no other process can open."""
        db = self.engine.url.database
        if not db or db == ":memory:" or db.startswith("file::memory:"):
            return None
        return Path(db).resolve().with_name(Path(db).name + ".scheduler.lock")

    @property
    def held(self) -> bool:
        return self._conn is not None or self._file is not None

    def acquire(self) -> bool:
        if self.held:
            return True
        if self.engine.dialect.name == "postgresql":
            return self._acquire_pg()
        return self._acquire_file()

    def _acquire_pg(self) -> bool:
        conn = self.engine.connect()
        try:
            got = bool(conn.execute(text("SELECT pg_try_advisory_lock(:k)"), {"k": ADVISORY_KEY}).scalar())
            conn.commit()  # a session-level lock outlives the transaction; the connection stays idle, not idle-in-transaction
        except Exception:
            conn.close()
            raise
        if not got:
            conn.close()
            return False
        self._conn = conn
        return True

    def _acquire_file(self) -> bool:
        path = self.lock_path()
        if path is None:
            self._file = open(os.devnull)  # noqa: SIM115 - "held": nobody else shares this database
            return True
        fh = open(path, "a+")  # noqa: SIM115 - held open for the life of the process
        try:
            fcntl.flock(fh, fcntl.LOCK_EX | fcntl.LOCK_NB)
        except OSError:
            fh.close()
            return False
        fh.seek(0)
        fh.truncate()
        fh.write(str(os.getpid()))
        fh.flush()
        self._file = fh
        return True

    def release(self) -> None:
        if self._conn is not None:
            try:
                self._conn.execute(text("SELECT pg_advisory_unlock(:k)"), {"k": ADVISORY_KEY})
                self._conn.commit()
            finally:
                self._conn.close()
                self._conn = None
        if self._file is not None:
            if self._file.name != os.devnull:
                fcntl.flock(self._file, fcntl.LOCK_UN)
            self._file.close()
            self._file = None
