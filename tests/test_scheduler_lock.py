"""One scheduler per database, proved with real `presscase scheduler` processes on real databases.

Two processes on one database: one runs, the other logs that it waits as a standby and takes
over when the first dies. Two processes on two databases (from one install, one instance
folder): each runs its own. SQLite (a lock file beside the database file) and PostgreSQL (a
session-level advisory lock, per database).
"""

from __future__ import annotations

import os
import queue
import shutil
import signal
import socket
import subprocess
import sys
import threading
import time
import uuid
from collections.abc import Iterator
from pathlib import Path

import pytest
import sqlalchemy as sa

from engine.store import migrate
from tests.conftest import PG_URL

STARTED = "scheduler started for this database"
STANDBY = "waiting as a standby"
PRESSCASE = str(Path(sys.executable).with_name("presscase"))


class Proc:
    """A `presscase scheduler` (or `presscase run`) whose log lines are read by a thread, so a test waits without blocking."""

    def __init__(self, url: str, args: tuple[str, ...] = ("scheduler",), **extra_env: str) -> None:
        env = {**os.environ, "DATABASE_URL": url, "PRESSCASE_SECRET_KEY": "x" * 32, "PRESSCASE_SCHEDULER_STANDBY": "0.3",
               "PRESSCASE_SWEEP_INTERVAL": "3600", "PRESSCASE_NOTIFY_INTERVAL": "3600", **extra_env}  # fmt: skip
        self.p = subprocess.Popen([PRESSCASE, *args], env=env, stdout=subprocess.PIPE, stderr=subprocess.STDOUT,
                                  text=True, start_new_session=True)  # fmt: skip
        self.lines: queue.Queue[str] = queue.Queue()
        self.seen: list[str] = []
        threading.Thread(target=self._read, daemon=True).start()

    def _read(self) -> None:
        assert self.p.stdout is not None
        for line in self.p.stdout:
            self.lines.put(line)

    def wait_for(self, text: str, timeout: float = 40.0) -> bool:
        end = time.monotonic() + timeout
        while time.monotonic() < end:
            if any(text in s for s in self.seen):
                return True
            try:
                self.seen.append(self.lines.get(timeout=0.2))
            except queue.Empty:
                if self.p.poll() is not None and self.lines.empty():
                    return any(text in s for s in self.seen)
        return False

    def stop(self) -> None:
        if self.p.poll() is None:
            os.killpg(self.p.pid, signal.SIGKILL)
        self.p.wait(10)


@pytest.fixture
def procs() -> Iterator[list[Proc]]:
    started: list[Proc] = []
    yield started
    for p in started:
        p.stop()


def _two_sqlite(tmp_path: Path, sqlite_template: Path) -> tuple[str, str]:
    urls = []
    for name in ("a", "b"):
        (tmp_path / name).mkdir()
        path = tmp_path / name / "presscase.sqlite3"
        shutil.copy(sqlite_template, path)
        urls.append(f"sqlite:///{path}")
    return urls[0], urls[1]


@pytest.fixture
def two_pg() -> Iterator[tuple[str, str]]:
    try:
        admin = sa.create_engine(PG_URL, isolation_level="AUTOCOMMIT", connect_args={"connect_timeout": 3})
        admin.connect().close()
    except Exception as exc:  # noqa: BLE001 - no server: the PostgreSQL half is skipped, as conftest does
        pytest.skip(f"PostgreSQL not reachable: {exc}")
    names = [f"presscase_lock_{uuid.uuid4().hex[:8]}" for _ in range(2)]
    urls = []
    for name in names:
        with admin.connect() as c:
            c.exec_driver_sql(f'CREATE DATABASE "{name}"')
        url = sa.engine.make_url(PG_URL).set(database=name).render_as_string(hide_password=False)
        migrate.upgrade(url)
        urls.append(url)
    yield urls[0], urls[1]
    for name in names:
        with admin.connect() as c:
            c.exec_driver_sql(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)')
    admin.dispose()


def _check(url_a: str, url_b: str, procs: list[Proc]) -> None:
    # One install (one instance folder), two databases: each database gets its own scheduler.
    first = Proc(url_a)
    procs.append(first)
    assert first.wait_for(STARTED), first.seen
    other_db = Proc(url_b)
    procs.append(other_db)
    assert other_db.wait_for(STARTED), other_db.seen
    # A second process on the first database does not run one, and says so.
    second = Proc(url_a)
    procs.append(second)
    assert second.wait_for(STANDBY), second.seen
    assert not second.wait_for(STARTED, timeout=2.0), second.seen
    # The holder dies: the standby takes over.
    first.stop()
    assert second.wait_for(STARTED), second.seen


def test_one_scheduler_per_sqlite_database(tmp_path, sqlite_template, procs):
    url_a, url_b = _two_sqlite(tmp_path, sqlite_template)
    _check(url_a, url_b, procs)
    assert (tmp_path / "a" / "presscase.sqlite3.scheduler.lock").exists()


@pytest.mark.pg
def test_one_scheduler_per_postgresql_database(tmp_path, two_pg, procs):
    _check(two_pg[0], two_pg[1], procs)


def _free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return int(sock.getsockname()[1])


def test_in_web_schedulers_one_per_database(tmp_path, sqlite_template, procs):
    """`presscase run` with PRESSCASE_WEB_SCHEDULER=1: the second server on a database logs that it has none."""
    url_a, url_b = _two_sqlite(tmp_path, sqlite_template)

    def serve(url: str) -> Proc:
        p = Proc(url, ("run", "--host", "127.0.0.1", "--port", str(_free_port())), PRESSCASE_WEB_SCHEDULER="1")
        procs.append(p)
        assert p.wait_for("Running on"), p.seen
        return p

    first = serve(url_a)
    lock_a = tmp_path / "a" / "presscase.sqlite3.scheduler.lock"
    assert lock_a.read_text() == str(first.p.pid)
    second = serve(url_a)
    assert second.wait_for("scheduler not started in this process: another process runs it for this database"), second.seen
    other_db = serve(url_b)
    assert (tmp_path / "b" / "presscase.sqlite3.scheduler.lock").read_text() == str(other_db.p.pid)
    assert not other_db.wait_for("scheduler not started", timeout=1.0), other_db.seen
    assert not first.wait_for("scheduler not started", timeout=0.5), first.seen
