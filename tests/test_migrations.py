"""The schema is made only by Alembic, from an empty database, on SQLite and PostgreSQL alike."""

from __future__ import annotations

import uuid

import pytest
import sqlalchemy as sa

from engine.read.search import schema_filters
from engine.store import migrate
from engine.store.db import Base
from tests.conftest import PG_URL


def _roundtrip(url: str) -> None:
    migrate.upgrade(url)
    eng = sa.create_engine(url)
    tables = set(sa.inspect(eng).get_table_names())
    assert {t.name for t in Base.metadata.sorted_tables} <= tables
    eng.dispose()
    migrate.downgrade(url, "base")
    eng = sa.create_engine(url)
    assert set(sa.inspect(eng).get_table_names()) <= {"alembic_version"}
    eng.dispose()
    migrate.upgrade(url)
    assert migrate.current(url) is not None


def test_sqlite_from_empty_and_back(tmp_path):
    _roundtrip(f"sqlite:///{tmp_path / 'empty.sqlite3'}")


@pytest.mark.pg
def test_postgresql_from_empty_and_back(pg_database):
    name = f"presscase_mig_{uuid.uuid4().hex[:8]}"
    admin = sa.create_engine(PG_URL, isolation_level="AUTOCOMMIT")
    with admin.connect() as c:
        c.exec_driver_sql(f'CREATE DATABASE "{name}"')
    try:
        _roundtrip(sa.engine.make_url(PG_URL).set(database=name).render_as_string(hide_password=False))
    finally:
        with admin.connect() as c:
            c.exec_driver_sql(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)')
        admin.dispose()


def test_models_and_migrations_agree(tmp_path):
    """Autogenerate against a migrated database finds nothing to do: no schema change outside Alembic."""
    from alembic.autogenerate import compare_metadata
    from alembic.migration import MigrationContext

    url = f"sqlite:///{tmp_path / 'cmp.sqlite3'}"
    migrate.upgrade(url)
    eng = sa.create_engine(url)
    with eng.connect() as conn:
        opts = {"compare_type": False, **schema_filters(conn.dialect.name)}
        diff = compare_metadata(MigrationContext.configure(conn, opts=opts), Base.metadata)
    eng.dispose()
    assert diff == []
