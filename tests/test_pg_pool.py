"""A pooled PostgreSQL connection that died while idle is replaced before a command uses it."""

from __future__ import annotations

import pytest
import sqlalchemy as sa

from engine.store import db

pytestmark = pytest.mark.pg


def _backend_pid(engine: sa.Engine) -> int:
    with engine.connect() as c:
        return int(c.exec_driver_sql("select pg_backend_pid()").scalar_one())


def test_a_connection_killed_while_idle_is_replaced_and_the_next_command_runs(pg_database, monkeypatch):
    engine = db.make_engine(pg_database, pool_size=1, max_overflow=0)
    killer = sa.create_engine(pg_database, isolation_level="AUTOCOMMIT")
    try:
        first = _backend_pid(engine)
        assert _backend_pid(engine) == first  # used moments ago: handed out again, no ping needed
        with killer.connect() as c:  # the server drops it (a restart, a firewall) while it sits in the pool
            c.exec_driver_sql(f"select pg_terminate_backend({first})")
        monkeypatch.setattr(db, "PING_AFTER_IDLE_S", 0.0)  # as if it had been idle long enough to be checked
        second = _backend_pid(engine)  # no error reaches the caller: the pool replaced the connection
        assert second != first
    finally:
        engine.dispose()
        killer.dispose()


def test_a_connection_used_moments_ago_is_handed_out_without_a_ping(pg_database, monkeypatch):
    engine = db.make_engine(pg_database, pool_size=1, max_overflow=0)
    pings: list[object] = []
    ping = engine.dialect.do_ping
    monkeypatch.setattr(engine.dialect, "do_ping", lambda conn: pings.append(conn) or ping(conn))
    try:
        _backend_pid(engine)
        _backend_pid(engine)
        assert pings == []  # a command right after another pays no extra round trip
        monkeypatch.setattr(db, "PING_AFTER_IDLE_S", 0.0)
        _backend_pid(engine)
        assert len(pings) == 1  # idle long enough: checked once before use
    finally:
        engine.dispose()
