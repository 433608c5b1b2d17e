"""The command hot path's few statements, run on the driver's cursor of the session's transaction.

Profiling a transition showed SQLAlchemy's per-execution layers (execution context, parameter
and result set-up, events, the session's connection lookup) costing more than the database's
own work for its five or six statements. The statements stay SQLAlchemy Core constructs,
compiled once per dialect with the type processors SQLAlchemy itself would apply (UTC datetimes,
JSON, booleans), so the bytes written are the ones `Connection.execute` would write; only the
per-call layers are skipped. They run inside the session's transaction (its BEGIN IMMEDIATE on
SQLite, its row locks on PostgreSQL), and a driver error is raised as SQLAlchemy's own exception
class (`IntegrityError`, `OperationalError`), so callers handle one family of errors.
"""

from __future__ import annotations

from collections.abc import Callable, Iterator, Mapping, Sequence
from contextlib import contextmanager
from dataclasses import dataclass
from typing import Any

from sqlalchemy import event, exc
from sqlalchemy.engine import Dialect
from sqlalchemy.orm import Session
from sqlalchemy.sql.expression import ClauseElement

_CURSOR = "presscase.lean_cursor"
_AT_COMMIT = "presscase.lean_at_commit"
try:
    import psycopg

    _PIPELINES = psycopg.Pipeline.is_supported()
except ImportError:  # SQLite only
    _PIPELINES = False

Processor = Callable[[Any], Any] | None


@dataclass(frozen=True)
class _Compiled:
    sql: str
    names: tuple[str, ...]  # the bound parameters, in the driver's order when it is positional
    processors: tuple[Processor, ...]
    fixed: dict[str, Any]  # parameters the statement carries a value for (`values(status="pending")`)
    positional: bool
    results: tuple[Processor, ...]  # per column of a RETURNING or SELECT, else ()
    columns: tuple[str, ...]

    def bind(self, params: Mapping[str, Any]) -> Sequence[Any] | dict[str, Any]:
        if self.fixed:
            params = {**self.fixed, **params}
        values = [p(params[n]) if p is not None else params[n] for n, p in zip(self.names, self.processors, strict=True)]
        return values if self.positional else dict(zip(self.names, values, strict=True))

    def row(self, raw: Sequence[Any]) -> tuple[Any, ...]:
        return tuple(p(v) if p is not None else v for p, v in zip(self.results, raw, strict=True))


class Statement:
    """A Core statement compiled once per dialect; execute it with `run`, `run_many`, `first` or `scalar`."""

    def __init__(self, stmt: ClauseElement) -> None:
        self.stmt = stmt
        self._compiled: dict[str, _Compiled] = {}

    def compiled(self, dialect: Dialect) -> _Compiled:
        done = self._compiled.get(dialect.name)
        if done is None:
            done = self._compiled[dialect.name] = _compile(self.stmt, dialect)
        return done


def _compile(stmt: ClauseElement, dialect: Dialect) -> _Compiled:
    compiled: Any = stmt.compile(dialect=dialect)
    binds = {name: bind for bind, name in compiled.bind_names.items()}
    names = tuple(compiled.positiontup) if compiled.positional else tuple(binds)
    if "POSTCOMPILE" in compiled.string:  # an expanding IN: its SQL depends on the values, so not compiled once
        raise ValueError("a statement with an expanding parameter cannot be compiled once; spell the IN as ORs")
    if getattr(compiled, "escaped_bind_names", None):
        raise ValueError(f"a bound parameter needs escaping on {dialect.name}: {sorted(compiled.escaped_bind_names)}")
    fixed = {n: binds[n].value for n in names if binds[n].value is not None}
    processors = tuple(_bind_processor(binds[n].type, dialect) for n in names)
    results: tuple[Processor, ...] = ()
    columns: tuple[str, ...] = ()
    if compiled._result_columns:  # noqa: SLF001 - the compiled statement's documented column list
        cols = compiled._result_columns  # noqa: SLF001
        columns = tuple(c[0] for c in cols)
        results = tuple(_result_processor(c[3], dialect) for c in cols)
    return _Compiled(compiled.string, names, processors, fixed, compiled.positional, results, columns)


def _bind_processor(type_: Any, dialect: Dialect) -> Processor:
    """SQLAlchemy's own processor for the type, or the type's one-step equivalent when it offers one."""
    lean_bind = getattr(type_, "lean_bind_processor", None)
    fast = lean_bind(dialect) if lean_bind is not None else None
    return fast if fast is not None else type_.dialect_impl(dialect).bind_processor(dialect)


def _result_processor(type_: Any, dialect: Dialect) -> Processor:
    lean_result = getattr(type_, "lean_result_processor", None)
    fast = lean_result(dialect) if lean_result is not None else None
    return fast if fast is not None else type_.dialect_impl(dialect).result_processor(dialect, None)


def _cursor(session: Session) -> tuple[Any, Dialect]:
    """The driver cursor of the session's current transaction, opened once per transaction."""
    held = session.info.get(_CURSOR)
    if held is None:
        conn = session.connection()  # begins the session's transaction (BEGIN IMMEDIATE on SQLite)
        dbapi = conn.connection.driver_connection
        if dbapi is None:
            raise RuntimeError("the session's connection has no driver connection")
        held = session.info[_CURSOR] = (dbapi.cursor(), conn.dialect)
    return held


@event.listens_for(Session, "after_transaction_end")
def _forget_cursor(session: Session, transaction: Any) -> None:
    if transaction.parent is None:
        session.info.pop(_AT_COMMIT, None)
        held = session.info.pop(_CURSOR, None)
        if held is not None:
            held[0].close()


def _wrapped(err: Exception, sql: str, params: Any, dialect: Dialect) -> Exception:
    return exc.DBAPIError.instance(sql, params, err, dialect.loaded_dbapi.Error)


def dialect_of(session: Session) -> Dialect:
    return _cursor(session)[1]


def run(session: Session, stmt: Statement, params: Mapping[str, Any]) -> Any:
    """Execute once; returns the driver cursor (for `rowcount`, or rows via `fetch`)."""
    if _AT_COMMIT in session.info:
        send_queued(session)
    cursor, dialect = _cursor(session)
    c = stmt.compiled(dialect)
    bound = c.bind(params)
    try:
        cursor.execute(c.sql, bound)
    except dialect.loaded_dbapi.Error as err:
        raise _wrapped(err, c.sql, bound, dialect) from err
    return cursor


def run_many(session: Session, stmt: Statement, rows: Sequence[Mapping[str, Any]]) -> None:
    """Execute once per row in one driver call (psycopg pipelines them in one round trip)."""
    if _AT_COMMIT in session.info:
        send_queued(session)
    cursor, dialect = _cursor(session)
    c = stmt.compiled(dialect)
    bound = [c.bind(r) for r in rows]
    try:
        cursor.executemany(c.sql, bound)
    except dialect.loaded_dbapi.Error as err:
        raise _wrapped(err, c.sql, bound, dialect) from err


def pipelined(session: Session) -> bool:
    """Whether statements of this session's transaction can go out together (PostgreSQL with psycopg's pipeline)."""
    return _PIPELINES and dialect_of(session).name == "postgresql"


def at_commit(session: Session, stmt: Statement, params: Mapping[str, Any]) -> Any:
    """An UPDATE whose result the command does not read: on PostgreSQL it goes out with the commit's
    new rows and the COMMIT itself, in one round trip (`send_at_commit`), in the order given and
    before those rows; elsewhere it runs now (a statement on SQLite costs no round trip) and its
    cursor is returned. A guard the UPDATE needs is therefore written in its SQL, as an error the
    database raises (see engine.cases.records.save), not as a row count read afterwards.
    """
    if not pipelined(session):
        return run(session, stmt, params)
    session.info.setdefault(_AT_COMMIT, []).append((stmt, params))
    return None


def send_at_commit(session: Session) -> None:
    """Send what `at_commit` queued, in order (inside a `batch`, to go out together)."""
    for stmt, params in session.info.pop(_AT_COMMIT, None) or ():
        run(session, stmt, params)


def has_at_commit(session: Session) -> bool:
    return bool(session.info.get(_AT_COMMIT))


def commit_in_batch(session: Session) -> None:
    """Inside a `batch` on PostgreSQL: the COMMIT goes out in the batch's round trip, after everything
    sent before it, and an error in any of them means nothing is committed; SQLAlchemy's own commit
    then finds the transaction ended and sends nothing. Elsewhere it does nothing: the caller commits."""
    if pipelined(session):
        _cursor(session)[0].connection.commit()


def send_queued(session: Session) -> None:
    """Send what `at_commit` queued now: before any other statement of the transaction, as the ORM's
    autoflush does, so a read in the same transaction sees the writes."""
    with batch(session):
        send_at_commit(session)


@event.listens_for(Session, "do_orm_execute")
def _send_before_orm_statements(orm_execute_state: Any) -> None:
    if _AT_COMMIT in orm_execute_state.session.info:
        send_queued(orm_execute_state.session)


@contextmanager
def batch(session: Session) -> Iterator[None]:
    """Statements sent together: on PostgreSQL in one round trip (psycopg's pipeline), with the
    transaction's BEGIN when they are its first; elsewhere one after another. A statement's error
    is raised at the end of the block (SQLAlchemy's class, as from `run`)."""
    cursor, dialect = _cursor(session)
    if dialect.name != "postgresql" or not _PIPELINES:
        yield
        return
    try:
        with cursor.connection.pipeline():
            yield
    except dialect.loaded_dbapi.Error as err:
        raise _wrapped(err, "(statements sent together)", None, dialect) from err


def first(session: Session, stmt: Statement, params: Mapping[str, Any]) -> dict[str, Any] | None:
    """The first row of a SELECT or RETURNING, by column name, through the result type processors."""
    with batch(session):  # the case read that opens a command goes out with its BEGIN
        cursor = run(session, stmt, params)
    raw = cursor.fetchone()
    if raw is None:
        return None
    c = stmt.compiled(session.info[_CURSOR][1])
    rest = cursor.fetchall()  # let the driver finish the statement (SQLite resets it)
    del rest
    return dict(zip(c.columns, c.row(raw), strict=True))


def scalar(session: Session, stmt: Statement, params: Mapping[str, Any]) -> Any:
    row = first(session, stmt, params)
    return None if row is None else next(iter(row.values()))
