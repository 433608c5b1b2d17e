"""Shared fixtures: the same tests run on a real SQLite file and on a real PostgreSQL.

PostgreSQL is found at PRESSCASE_TEST_PG_URL (default: postgres@127.0.0.1:5432/test). Without
it the PostgreSQL half is skipped and the run says so at the end; with PRESSCASE_REQUIRE_PG=1
(as CI sets) an unreachable server fails the run instead.
"""

from __future__ import annotations

import os
import shutil
import uuid
from collections.abc import Iterator
from datetime import UTC, datetime
from pathlib import Path

import pytest
import sqlalchemy as sa
from argon2 import profiles

from engine.cases.uow import Runtime
from engine.org import passwords
from engine.store import migrate
from engine.store.db import Base
from engine.time.clock import FrozenClock
from tests.support import Org, make_org

# The suite creates hundreds of users: each hash takes microseconds here instead of 64 MiB and
# tens of milliseconds. Only the tests lower the cost; nothing in the environment can.
passwords.use_parameters(profiles.CHEAPEST)

PG_URL = os.environ.get("PRESSCASE_TEST_PG_URL", "postgresql+psycopg://postgres@127.0.0.1:5432/test")
REQUIRE_PG = os.environ.get("PRESSCASE_REQUIRE_PG") == "1"
_pg_skipped: list[str] = []


def _pg_problem() -> str | None:
    try:
        eng = sa.create_engine(PG_URL, connect_args={"connect_timeout": 3})
        with eng.connect() as conn:
            conn.execute(sa.text("select 1"))
        eng.dispose()
        return None
    except Exception as exc:  # noqa: BLE001 - any failure means "not available"
        return f"{type(exc).__name__}: {str(exc).splitlines()[0]}"


@pytest.fixture(scope="session")
def sqlite_template(tmp_path_factory: pytest.TempPathFactory) -> Path:
    """One migrated SQLite file per run; each test gets a copy (migrations, not create_all)."""
    path = tmp_path_factory.mktemp("template") / "template.sqlite3"
    migrate.upgrade(f"sqlite:///{path}")
    con = sa.create_engine(f"sqlite:///{path}")
    with con.connect() as c:
        c.exec_driver_sql("PRAGMA wal_checkpoint(TRUNCATE)")
        c.exec_driver_sql("PRAGMA journal_mode=DELETE")
    con.dispose()
    return path


@pytest.fixture(scope="session")
def pg_database() -> Iterator[str]:
    """A fresh database for this run, migrated once through Alembic, dropped at the end."""
    problem = _pg_problem()
    if problem:
        if REQUIRE_PG:
            pytest.fail(f"PostgreSQL required (PRESSCASE_REQUIRE_PG=1) but unreachable at {PG_URL}: {problem}")
        _pg_skipped.append(problem)
        pytest.skip(f"PostgreSQL not reachable at {PG_URL}: {problem}")
    name = f"presscase_test_{uuid.uuid4().hex[:10]}"
    admin = sa.create_engine(PG_URL, isolation_level="AUTOCOMMIT")
    with admin.connect() as c:
        c.exec_driver_sql(f'CREATE DATABASE "{name}"')
    url = sa.engine.make_url(PG_URL).set(database=name).render_as_string(hide_password=False)
    migrate.upgrade(url)
    yield url
    with admin.connect() as c:
        c.exec_driver_sql(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)')
    admin.dispose()


def _truncate_pg(url: str) -> None:
    eng = sa.create_engine(url)
    tables = ", ".join(f'"{t.name}"' for t in Base.metadata.sorted_tables)
    with eng.begin() as c:
        c.exec_driver_sql(f"TRUNCATE {tables} RESTART IDENTITY CASCADE")
    eng.dispose()


@pytest.fixture(params=["sqlite", pytest.param("postgresql", marks=pytest.mark.pg)])
def db_url(request: pytest.FixtureRequest, tmp_path: Path, sqlite_template: Path) -> str:
    if request.param == "sqlite":
        path = tmp_path / "presscase.sqlite3"
        shutil.copy(sqlite_template, path)
        return f"sqlite:///{path}"
    url = request.getfixturevalue("pg_database")
    _truncate_pg(url)
    return url


@pytest.fixture
def clock() -> FrozenClock:
    """Monday 2 March 2026, 09:00 in Hà Nội: an ordinary working morning."""
    return FrozenClock(datetime(2026, 3, 2, 2, 0, tzinfo=UTC))


@pytest.fixture
def rt(db_url: str, clock: FrozenClock) -> Iterator[Runtime]:
    runtime = Runtime.from_url(db_url, clock=clock)
    runtime.load_definitions()
    yield runtime
    runtime.engine.dispose()


@pytest.fixture
def org(rt: Runtime) -> Org:
    """The demo district's units and one user per role, without cases."""
    return make_org(rt)


@pytest.hookimpl(trylast=True)
def pytest_terminal_summary(terminalreporter: pytest.TerminalReporter) -> None:
    """Say plainly when the PostgreSQL half did not run (also under xdist, where the skips happen in workers)."""
    skipped_here = any(
        "PostgreSQL not reachable" in str(getattr(r, "longrepr", "")) for r in terminalreporter.stats.get("skipped", [])
    )
    if _pg_skipped or skipped_here:
        terminalreporter.section("PostgreSQL", sep="!")
        terminalreporter.write_line(f"The PostgreSQL half of the suite was SKIPPED: no server at {PG_URL}.")
        terminalreporter.write_line(
            "To run it: start PostgreSQL (e.g. `pg_ctlcluster 15 main start`) or point "
            "PRESSCASE_TEST_PG_URL at a database whose user may create databases."
        )
