"""What the benchmarks share: fresh databases, a seeded organisation, memory readings."""

from __future__ import annotations

import os
import resource
import tempfile
import uuid
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path

import sqlalchemy as sa
from argon2 import profiles

from engine.cases.uow import Runtime
from engine.demo import UNITS
from engine.org import admin, passwords
from engine.org.actors import Actor
from engine.store import migrate
from engine.store.models import Unit, User

passwords.use_parameters(profiles.CHEAPEST)  # the benchmarks measure cases, not password hashing

PG_URL = os.environ.get("PRESSCASE_BENCH_PG_URL", "postgresql+psycopg://postgres@127.0.0.1:5432/test")

BENCH_USERS = [
    ("reporter", "CB-MS", ["reporter"]),
    ("assessor", "BTG", ["assessor"]),
    ("handler", "VHTT", ["handler"]),
    ("publisher", "TTVH", ["publisher"]),
    ("supervisor", "BTV", ["supervisor"]),
]


def peak_rss_mb() -> float:
    return resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024


def current_rss_mb() -> float:
    with open("/proc/self/statm") as fh:
        pages = int(fh.read().split()[1])
    return pages * os.sysconf("SC_PAGE_SIZE") / (1024 * 1024)


@contextmanager
def sqlite_database() -> Iterator[str]:
    with tempfile.TemporaryDirectory(prefix="presscase-bench-") as d:
        url = f"sqlite:///{Path(d) / 'bench.sqlite3'}"
        migrate.upgrade(url)
        yield url


def pg_available() -> bool:
    try:
        eng = sa.create_engine(PG_URL, connect_args={"connect_timeout": 3})
        with eng.connect():
            pass
        eng.dispose()
        return True
    except Exception:  # noqa: BLE001
        return False


@contextmanager
def pg_database() -> Iterator[str]:
    name = f"presscase_bench_{uuid.uuid4().hex[:8]}"
    adm = sa.create_engine(PG_URL, isolation_level="AUTOCOMMIT")
    with adm.connect() as c:
        c.exec_driver_sql(f'CREATE DATABASE "{name}"')
    url = sa.engine.make_url(PG_URL).set(database=name).render_as_string(hide_password=False)
    try:
        migrate.upgrade(url)
        yield url
    finally:
        with adm.connect() as c:
            c.exec_driver_sql(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)')
        adm.dispose()


def seed_org(rt: Runtime) -> dict[str, Actor]:
    rt.load_definitions()
    for code, name, utype, parent in UNITS:
        with rt.uow() as uow:
            admin.add_unit(uow, code, name, utype, parent)
    for username, unit, roles in BENCH_USERS:
        with rt.uow() as uow:
            admin.add_user(uow, username, username, unit, roles, "benchmark-password")
    return actors(rt)


def actors(rt: Runtime) -> dict[str, Actor]:
    with rt.read_session() as s:
        return {u.username: Actor.from_user(u) for u in s.scalars(sa.select(User))}


def unit_ids(rt: Runtime) -> dict[str, int]:
    with rt.read_session() as s:
        return {u.code: u.id for u in s.scalars(sa.select(Unit))}


def emit(figures: dict[str, object]) -> None:
    """The one line runs are compared by."""
    print(" ".join(f"{k}={v}" for k, v in figures.items()), flush=True)
