"""Engines, sessions and the column types every table shares.

SQLite is the embedded default and PostgreSQL the scale-out database; the differences that
matter (pragmas, BEGIN IMMEDIATE, time zones) are handled here and nowhere else.
"""

from __future__ import annotations

import os
import time
from datetime import UTC, datetime
from typing import Any

from sqlalchemy import JSON, DateTime, MetaData, bindparam, create_engine, event, insert, make_url
from sqlalchemy.engine import Engine
from sqlalchemy.exc import DBAPIError, DisconnectionError
from sqlalchemy.orm import DeclarativeBase, Session, sessionmaker
from sqlalchemy.types import TypeDecorator

from engine.store import lean

NAMING_CONVENTION = {
    "ix": "ix_%(column_0_label)s",
    "uq": "uq_%(table_name)s_%(column_0_name)s",
    "ck": "ck_%(table_name)s_%(constraint_name)s",
    "fk": "fk_%(table_name)s_%(column_0_name)s_%(referred_table_name)s",
    "pk": "pk_%(table_name)s",
}


class Base(DeclarativeBase):
    """Declarative base; the naming convention lets Alembic's batch mode find constraints on SQLite."""

    metadata = MetaData(naming_convention=NAMING_CONVENTION)
    type_annotation_map = {dict[str, Any]: JSON, list[Any]: JSON}


class UtcDateTime(TypeDecorator[datetime]):
    """Stores UTC, returns aware UTC, refuses naive datetimes.

    `DateTime(timezone=True)` on SQLite silently drops the offset without converting, so a
    local time would be stored as if it were UTC; this type makes that mistake impossible.
    """

    impl = DateTime(timezone=True)
    cache_ok = True

    def process_bind_param(self, value: datetime | None, dialect: Any) -> datetime | None:
        if value is None:
            return None
        if value.tzinfo is None:
            raise ValueError("naive datetime refused: pass an aware datetime")
        value = value.astimezone(UTC)
        if dialect.name == "sqlite":
            return value.replace(tzinfo=None)
        return value

    def lean_bind_processor(self, dialect: Any) -> Any:
        """For engine.store.lean: the same text SQLAlchemy stores on SQLite, in one step instead of two."""
        return _sqlite_utc_text if dialect.name == "sqlite" else None

    def lean_result_processor(self, dialect: Any) -> Any:
        """For engine.store.lean: SQLite's stored text read back as an aware UTC datetime in one step."""
        return _sqlite_utc_value if dialect.name == "sqlite" else None

    def process_result_value(self, value: datetime | None, dialect: Any) -> datetime | None:
        if value is None:
            return None
        if value.tzinfo is None:
            return value.replace(tzinfo=UTC)
        return value.astimezone(UTC)


def _sqlite_utc_text(value: datetime | None) -> str | None:
    """What UtcDateTime then SQLite's DATETIME make of a value (the ORM reads and compares by this text)."""
    if value is None:
        return None
    if value.tzinfo is None:
        raise ValueError("naive datetime refused: pass an aware datetime")
    v = value.astimezone(UTC)
    return f"{v.year:04d}-{v.month:02d}-{v.day:02d} {v.hour:02d}:{v.minute:02d}:{v.second:02d}.{v.microsecond:06d}"


def _sqlite_utc_value(text: str | None) -> datetime | None:
    return None if text is None else datetime.fromisoformat(text).replace(tzinfo=UTC)


def normalise_url(url: str) -> str:
    """Accept the `postgresql://` URLs people paste, and use psycopg 3 for them."""
    if url.startswith("postgres://"):
        url = "postgresql://" + url[len("postgres://") :]
    if url.startswith("postgresql://"):
        url = "postgresql+psycopg://" + url[len("postgresql://") :]
    return url


SQLITE_COMPANIONS = ("", "-wal", "-shm", "-journal")


def sqlite_path(url: str) -> str | None:
    """The file a SQLite URL names; None for an in-memory database or a URI SQLite parses itself."""
    parsed = make_url(normalise_url(url))
    database = parsed.database
    if not parsed.drivername.startswith("sqlite") or not database or database == ":memory:" or database.startswith("file:"):
        return None
    return database


def keep_sqlite_private(url: str) -> None:
    """Create the SQLite file readable by its owner only (0600), and tighten one made before.

    The file holds every case, the reporters' identities and the evidence; SQLite gives its
    WAL and shared-memory files the main file's mode, so creating it 0600 before SQLite opens
    it covers them too. A file left group- or world-readable by an older version is narrowed.
    """
    path = sqlite_path(url)
    if path is None:
        return
    try:
        os.close(os.open(path, os.O_WRONLY | os.O_CREAT | os.O_EXCL, 0o600))
    except FileExistsError:
        for suffix in SQLITE_COMPANIONS:
            try:
                if os.stat(path + suffix).st_mode & 0o077:
                    os.chmod(path + suffix, 0o600)
            except OSError:  # absent, or not ours to change: SQLite reports what matters when it opens
                pass
    except OSError:
        pass  # e.g. the folder does not exist: SQLite's own error says so when it connects


def make_engine(url: str, *, synchronous: str = "FULL", echo: bool = False, **kwargs: Any) -> Engine:
    """Build an engine; for SQLite: WAL, foreign keys, busy timeout, and BEGIN IMMEDIATE for writers.

    `synchronous=FULL` is the shipped default: a filed report must survive a power cut.
    A deferred BEGIN followed by read-then-write fails at once with "database is locked" when
    another writer committed in between, so write transactions start with BEGIN IMMEDIATE;
    engines made with `execution_options(readonly=True)` begin deferred so readers never queue.
    """
    url = normalise_url(url)
    if url.startswith("sqlite"):
        kwargs.setdefault("connect_args", {}).setdefault("timeout", 30)
        engine = create_engine(url, echo=echo, **kwargs)

        @event.listens_for(engine, "do_connect")
        def _sqlite_private(*_args: Any) -> None:
            # Just before SQLite opens (and may create) the file, not when the engine is built:
            # a command that never touches the database (`presscase --help`) leaves no file behind.
            keep_sqlite_private(url)

        @event.listens_for(engine, "connect")
        def _sqlite_connect(dbapi_connection: Any, _record: Any) -> None:
            dbapi_connection.isolation_level = None  # we emit BEGIN ourselves
            cursor = dbapi_connection.cursor()
            cursor.execute("PRAGMA journal_mode=WAL")
            cursor.execute(f"PRAGMA synchronous={synchronous}")
            cursor.execute("PRAGMA foreign_keys=ON")
            cursor.execute("PRAGMA busy_timeout=30000")
            cursor.close()

        @event.listens_for(engine, "begin")
        def _sqlite_begin(conn: Any) -> None:
            # On the driver itself: SQLAlchemy's execution layers cost more than the BEGIN (engine.store.lean).
            sql = "BEGIN" if conn.get_execution_options().get("readonly", False) else "BEGIN IMMEDIATE"
            try:
                conn.connection.driver_connection.execute(sql)
            except conn.dialect.loaded_dbapi.Error as err:
                raise DBAPIError.instance(sql, (), err, conn.dialect.loaded_dbapi.Error) from err

        return engine
    engine = create_engine(url, echo=echo, **kwargs)
    if not kwargs.get("pool_pre_ping"):
        _ping_when_idle(engine)
    return engine


# A pooled PostgreSQL connection idle longer than this (seconds) is pinged before it is handed out.
PING_AFTER_IDLE_S = 10.0
_IDLE_SINCE = "presscase.idle_since"


def _ping_when_idle(engine: Engine) -> None:
    """SQLAlchemy's `pool_pre_ping`, but only for a connection that sat idle in the pool a while.

    The pre-ping costs a round trip on every checkout, that is on every command (a tenth of a
    transition's time on PostgreSQL). A connection handed back moments ago is known alive;
    one idle longer (a restarted server, a firewall that dropped it) is pinged as before, and a
    dead one replaced by the pool before anyone uses it.
    """

    @event.listens_for(engine, "checkin")
    def _idle_from(_dbapi_connection: Any, record: Any) -> None:
        record.info[_IDLE_SINCE] = time.monotonic()

    @event.listens_for(engine, "checkout")
    def _ping(dbapi_connection: Any, record: Any, _proxy: Any) -> None:
        since = record.info.get(_IDLE_SINCE)
        if since is None or time.monotonic() - since < PING_AFTER_IDLE_S:
            return  # new, or used moments ago
        try:
            engine.dialect.do_ping(dbapi_connection)
        except engine.dialect.loaded_dbapi.Error as err:
            if engine.dialect.is_disconnect(err, dbapi_connection, None):
                raise DisconnectionError() from err  # the pool replaces the connection and tries again
            raise


def make_sessionmaker(engine: Engine) -> sessionmaker:
    return sessionmaker(bind=engine, expire_on_commit=False)


def utcnow() -> datetime:
    return datetime.now(UTC)


_DEFERRED = "presscase.deferred_rows"


def add_row(session: Session, model: type[Base], **values: Any) -> None:
    """Queue an append-only row (history event, outbox message, timer) to be inserted at commit.

    These rows are never read back in the transaction that writes them, so instead of an ORM
    object each (the unit of work's per-object cost dominated the engine's profile), they are
    written with one executemany INSERT per table just before the commit, after the ORM has
    flushed the case row itself (so on PostgreSQL the case is locked first, as the sweep does).
    Rows of one table may carry different keys (a column left to its default); each shape gets
    its own executemany, since one statement binds the same parameters for every row.
    """
    session.info.setdefault(_DEFERRED, {}).setdefault(model.__table__, []).append(values)


_INSERTS: dict[tuple[Any, frozenset[str]], tuple[lean.Statement, tuple[tuple[str, Any], ...]]] = {}


def _insert_for(table: Any, keys: frozenset[str]) -> tuple[lean.Statement, tuple[tuple[str, Any], ...]]:
    """The INSERT of rows carrying `keys`, built once per shape; a column left out gets its Python
    default as the ORM would give it (a constant in the statement, or a callable's value per row)."""
    built = _INSERTS.get((table, keys))
    if built is None:
        values: dict[str, Any] = {k: bindparam(k, type_=table.c[k].type) for k in keys}
        per_row: list[tuple[str, Any]] = []
        for c in table.c:
            if c.name in keys or c.default is None or not hasattr(c.default, "arg"):
                continue
            if c.default.is_scalar:
                values[c.name] = c.default.arg
            elif c.default.is_callable:
                per_row.append((c.name, c.default.arg))
                values[c.name] = bindparam(c.name, type_=c.type)
        built = _INSERTS[(table, keys)] = (lean.Statement(insert(table).values(values)), tuple(per_row))
    return built


@event.listens_for(Session, "before_commit")
def _insert_deferred_rows(session: Session) -> None:
    pending = session.info.pop(_DEFERRED, None)
    if not pending and not lean.has_at_commit(session):
        return
    session.flush()
    with lean.batch(session):  # on PostgreSQL the queued updates, every table's rows and the COMMIT in one round trip
        lean.send_at_commit(session)  # first: a stage's timers are cancelled before its next are written
        for table, rows in (pending or {}).items():
            shapes: dict[frozenset[str], list[dict[str, Any]]] = {}
            for row in rows:
                shapes.setdefault(frozenset(row), []).append(row)
            for keys, same_keys in shapes.items():
                stmt, per_row = _insert_for(table, keys)
                if per_row:
                    same_keys = [{**row, **{name: make(None) for name, make in per_row}} for row in same_keys]
                lean.run_many(session, stmt, same_keys)
        lean.commit_in_batch(session)


@event.listens_for(Session, "after_soft_rollback")
def _drop_deferred_rows(session: Session, _previous_transaction: Any) -> None:
    session.info.pop(_DEFERRED, None)
