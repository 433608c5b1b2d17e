"""A case as a plain record, read and written with SQLAlchemy Core on the command hot path.

Profiling the engine showed the ORM's identity map and unit-of-work flush costing more than the
SQL of a transition; `file_report` and `fire` therefore read the case row into a `CaseRecord`
(attribute access, so the policy, deadlines and timers code treat it like the mapped `Case`)
and write it back with one UPDATE guarded by the version, the same optimistic check the mapped
class's `version_id_col` does. The mapped `Case` remains for queries and the sweep.
"""

from __future__ import annotations

from typing import Any, cast

from sqlalchemy import JSON, Table, bindparam, case, insert, null, select, update
from sqlalchemy.exc import IntegrityError
from sqlalchemy.orm import Session

from engine.errors import StaleVersion
from engine.store import lean
from engine.store.models import Case, CaseRecord

CASES = cast(Table, Case.__table__)
_FIXED = {"id", "reference", "workflow_name", "workflow_version", "filing_unit_id", "reporter_id",
          "reporter_confidential", "created_at", "version"}  # fmt: skip
_MUTABLE = [c.name for c in CASES.c if c.name not in _FIXED]
# JSON columns are written back whenever the row is: their values are dicts a caller may have
# changed in place, which a comparison with what was read would miss. No index contains them.
_ALWAYS = tuple(name for name in _MUTABLE if isinstance(CASES.c[name].type, JSON))
_COMPARED = tuple(name for name in _MUTABLE if name not in _ALWAYS)
# Where a record keeps the scalar columns as they were read, to write back only what changed.
_AS_READ = "_as_read"
# Built once: constructing a statement per call cost more than executing it (the compiled form
# is cached by SQLAlchemy either way).
# FOR UPDATE (PostgreSQL; SQLite's BEGIN IMMEDIATE already holds the write lock): every caller
# writes the case, and the row locked from the read means the version read is the version the
# UPDATE finds, so the UPDATE can go out with the commit (`lean.at_commit`) instead of alone.
# A concurrent command on the same case waits here and then reads the version that won.
_LOAD = lean.Statement(select(CASES).where(CASES.c.id == bindparam("p_id")).with_for_update())
_SAVES: dict[tuple[str, ...], lean.Statement] = {}


def _save_statement(columns: tuple[str, ...]) -> lean.Statement:
    """UPDATE of exactly `columns` (plus the version), guarded by the version read; one per shape.

    Writing only the columns that changed keeps the indexes that contain none of them untouched:
    SQLite rewrites the entries of every index over a column in the SET list, changed or not, and
    re-checks the search index's trigger whenever `search_text` is in it. A transition changes
    the state, the event head and the deadline; the reference, unit, kind and subject columns
    mostly stay as they were.

    The guard is in the SQL: a row whose version is no longer the one read gets a NULL version,
    which the NOT NULL column refuses, so the UPDATE fails with everything sent after it, COMMIT
    included, even when it went out with the commit (`lean.at_commit`) and nobody reads its count.
    """
    stmt = _SAVES.get(columns)
    if stmt is None:
        stmt = _SAVES[columns] = lean.Statement(
            update(CASES)
            .where(CASES.c.id == bindparam("p_id"))
            .values({**{name: bindparam(f"p_{name}", type_=CASES.c[name].type) for name in columns},
                     "version": case((CASES.c.version == bindparam("p_version"), bindparam("p_new_version")),
                                     else_=null())})
        )  # fmt: skip
    return stmt


def is_stale_version(err: IntegrityError) -> bool:
    """Whether a refused write is `save`'s version guard: NOT NULL refused on cases.version."""
    diag = getattr(err.orig, "diag", None)
    if diag is not None:  # PostgreSQL names the column and table
        return getattr(diag, "table_name", None) == "cases" and getattr(diag, "column_name", None) == "version"
    return "NOT NULL constraint failed: cases.version" in str(err.orig)


_CREATE = lean.Statement(
    insert(CASES)
    .values({c.name: bindparam(f"p_{c.name}", type_=c.type) for c in CASES.c if c.name != "id"})
    .returning(CASES.c.id)
)


def _remember(rec: CaseRecord, values: dict[str, Any]) -> CaseRecord:
    vars(rec)[_AS_READ] = {name: values.get(name) for name in _COMPARED}
    return rec


def load(session: Session, case_id: int) -> CaseRecord | None:
    """The case row, locked for this transaction: for a command that may write it."""
    values = lean.first(session, _LOAD, {"p_id": case_id})
    if values is None:
        return None
    return _remember(CaseRecord(values), values)


def new(**values: Any) -> CaseRecord:
    """A case not yet written (no id): the filing transition fills it in, then `insert_new` writes it once."""
    values = {"id": None, "version": 1, "closed": False, "escalation_level": 0, "kind": None, "severity": None,
              "subject": None, "search_text": None, "assigned_unit_id": None, "handling_unit_id": None, "deadline_at": None,
              "deadline_info": None, "limitation_expires_on": None, **values}  # fmt: skip
    return CaseRecord(values)


def insert_new(session: Session, rec: CaseRecord) -> None:
    """Write a new case with everything its filing set, in one INSERT (not an INSERT and an UPDATE); sets its id."""
    values = {k: v for k, v in vars(rec).items() if k != _AS_READ}
    rec.id = lean.scalar(session, _CREATE, {f"p_{k}": v for k, v in values.items() if k != "id"})
    _remember(rec, vars(rec))


def save(session: Session, rec: CaseRecord) -> None:
    """Write the record back if nobody changed the row since it was read; else StaleVersion, nothing written.

    On PostgreSQL the UPDATE goes out with the commit (the row is locked since `load`), where a
    stale version fails the whole transaction (`_save_statement`); the unit of work reports it
    as StaleVersion.
    """
    as_read: dict[str, Any] = vars(rec).get(_AS_READ) or {}
    columns = _ALWAYS + tuple(n for n in _COMPARED if n not in as_read or as_read[n] != getattr(rec, n))
    params = {f"p_{name}": getattr(rec, name) for name in columns}
    params.update(p_id=rec.id, p_version=rec.version, p_new_version=rec.version + 1)
    try:
        cursor = lean.at_commit(session, _save_statement(columns), params)
    except IntegrityError as err:
        if is_stale_version(err):
            raise StaleVersion(rec.version, None) from err
        raise
    if cursor is not None and cursor.rowcount != 1:  # run now (SQLite): the row itself is gone
        raise StaleVersion(rec.version, None)
    rec.version += 1
    _remember(rec, vars(rec))
