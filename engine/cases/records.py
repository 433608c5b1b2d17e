"""A case as a plain record, read and written with SQLAlchemy Core on the command hot path.

Profiling the engine showed the ORM's identity map and unit-of-work flush costing more than the
SQL of a transition; `file_report` and `fire` therefore read the case row into a `CaseRecord`
(attribute access, so the policy, deadlines and timers code treat it like the mapped `Case`)
and write it back with one UPDATE guarded by the version, the same optimistic check the mapped
class's `version_id_col` does. The mapped `Case` remains for queries and the sweep.
"""

from __future__ import annotations

from typing import Any, cast

from sqlalchemy import Table, bindparam, insert, select, update
from sqlalchemy.orm import Session

from engine.errors import StaleVersion
from engine.store.models import Case, CaseRecord

CASES = cast(Table, Case.__table__)
_FIXED = {"id", "reference", "workflow_name", "workflow_version", "filing_unit_id", "reporter_id",
          "reporter_confidential", "created_at", "version"}  # fmt: skip
_MUTABLE = [c.name for c in CASES.c if c.name not in _FIXED]
# Built once: constructing a statement per call cost more than executing it (the compiled form
# is cached by SQLAlchemy either way).
_LOAD = select(CASES).where(CASES.c.id == bindparam("p_id"))
_SAVE = (
    update(CASES)
    .where(CASES.c.id == bindparam("p_id"), CASES.c.version == bindparam("p_version"))
    .values({**{name: bindparam(f"p_{name}", type_=CASES.c[name].type) for name in _MUTABLE},
             "version": bindparam("p_new_version")})
)
_CREATE = insert(CASES).values({c.name: bindparam(f"p_{c.name}", type_=c.type) for c in CASES.c if c.name != "id"}).returning(
    CASES.c.id
)




def load(session: Session, case_id: int) -> CaseRecord | None:
    row = session.connection().execute(_LOAD, {"p_id": case_id}).mappings().first()
    return CaseRecord(dict(row)) if row is not None else None


def create(session: Session, **values: Any) -> CaseRecord:
    """Insert a new case row (version 1) and return it as a record with its id."""
    values = {"version": 1, "closed": False, "escalation_level": 0, "kind": None, "severity": None, "subject": None,
              "search_text": None, "assigned_unit_id": None, "handling_unit_id": None, "deadline_at": None, "deadline_info": None,
              "limitation_expires_on": None, **values}  # fmt: skip
    case_id = session.connection().execute(_CREATE, {f"p_{k}": v for k, v in values.items()}).scalar_one()
    return CaseRecord({**values, "id": case_id})


def save(session: Session, rec: CaseRecord) -> None:
    """Write the record back if nobody changed the row since it was read; else StaleVersion, nothing written."""
    params = {f"p_{name}": getattr(rec, name) for name in _MUTABLE}
    params.update(p_id=rec.id, p_version=rec.version, p_new_version=rec.version + 1)
    result = session.connection().execute(_SAVE, params)
    if result.rowcount != 1:
        raise StaleVersion(rec.version, None)
    rec.version += 1
