"""The commands' typed case record has exactly the case table's columns, with the same types.

Commands read and write a case through `CaseRecord` (SQLAlchemy Core, for speed); the policy,
guards, journal and timers accept either it or the mapped `Case`. A column added to the table but
not to the record would be an attribute mypy cannot see and `records.load` silently carries.
"""

from __future__ import annotations

import typing

from engine.store.models import Case, CaseRecord


def _mapped_types() -> dict[str, object]:
    hints = typing.get_type_hints(Case)
    return {c.name: typing.get_args(hints[c.key])[0] for c in Case.__table__.columns}  # Mapped[X] -> X


def test_the_record_has_every_column_of_the_case_table_with_its_type() -> None:
    record = typing.get_type_hints(CaseRecord)
    mapped = _mapped_types()
    assert set(record) == set(mapped)
    assert {name: record[name] for name in mapped} == mapped
