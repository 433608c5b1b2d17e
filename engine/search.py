"""Finding a case by what people type: case- and diacritics-insensitive, partial references too.

People type "tin nong" for "Tin nóng", "PHONG THO" for "Phong Thổ", and "000032" for
PA-2026-000032. Neither database folds Vietnamese diacritics (SQLite's LIKE folds only ASCII
case; PostgreSQL's ILIKE folds case but not "ổ" to "o"), so the engine keeps a folded copy of
what is searched, `cases.search_text`, written with every transition (engine.service) and
indexed for substring search with each database's own tool:

- PostgreSQL: a GIN trigram index (pg_trgm), which serves `LIKE '%term%'`;
- SQLite: an FTS5 table with the trigram tokenizer over the same column (`cases_search`, kept in
  step by triggers), which serves `LIKE '%term%'` on the FTS table.

Both need three characters to use the index; a shorter term is matched by a scan of the column.
"""

from __future__ import annotations

import re
import unicodedata
from typing import Any

from sqlalchemy import ColumnElement, Index, literal_column, or_, select, text

from engine.models import Case

MAX_TERM = 100
SQLITE_FTS_TABLE = "cases_search"
_SPACES = re.compile(r"\s+")


def fold(value: str | None) -> str:
    """Lower case, without diacritics ("đ" becomes "d"), with single spaces: what both sides of a search compare."""
    if not value:
        return ""
    decomposed = unicodedata.normalize("NFKD", value.replace("đ", "d").replace("Đ", "D"))
    bare = "".join(ch for ch in decomposed if not unicodedata.combining(ch))
    return _SPACES.sub(" ", bare.casefold()).strip()


def search_text(reference: str | None, subject: str | None) -> str:
    """The folded text a case is found by: its reference and its subject (the promoted columns people name)."""
    return fold(f"{reference or ''} {subject or ''}")[:400]


def _like_pattern(term: str) -> str:
    return "%" + term.replace("\\", "\\\\").replace("%", "\\%").replace("_", "\\_") + "%"


def search_clause(term: str, dialect: str) -> ColumnElement[bool] | None:
    """A WHERE clause finding `term` anywhere in a case's reference or subject; None when there is nothing to find.

    On SQLite a term of three characters or more goes through the FTS5 trigram table (an index
    lookup instead of a scan of every case); the exact reference also matches through its unique index.
    """
    folded = fold(term[:MAX_TERM])
    if not folded:
        return None
    pattern = _like_pattern(folded)
    exact = Case.reference == term.strip().upper()
    if dialect == "sqlite" and len(folded) >= 3 and not any(ch in folded for ch in "%_\\"):
        # No ESCAPE clause here: FTS5 leaves a LIKE with ESCAPE to a full scan of its table.
        hits = select(literal_column("rowid")).select_from(text(SQLITE_FTS_TABLE)).where(
            literal_column("search_text").like(f"%{folded}%")
        )
        return or_(exact, Case.id.in_(hits))
    return or_(exact, Case.search_text.like(pattern, escape="\\"))


# PostgreSQL's substring index; SQLite's is the FTS5 table made by migration 0011.
IX_SEARCH_TRGM = Index(
    "ix_cases_search_trgm", Case.search_text, postgresql_using="gin", postgresql_ops={"search_text": "gin_trgm_ops"}
).ddl_if(dialect="postgresql")


def is_fts_table(name: str | None) -> bool:
    """SQLite's FTS5 table and its shadow tables: the database's own, absent from the models (Alembic skips them)."""
    return bool(name) and (name == SQLITE_FTS_TABLE or str(name).startswith(SQLITE_FTS_TABLE + "_"))


def schema_filters(dialect: str) -> dict[str, Any]:
    """Alembic compare options that leave out what is not the models' on this database.

    The FTS5 tables exist only in SQLite and only as the database's own; the trigram index is
    declared for PostgreSQL alone (`ddl_if`), which Alembic's comparison does not read.
    """

    def include_name(name: str | None, type_: str, _parents: Any) -> bool:
        return not (type_ == "table" and is_fts_table(name))

    def include_object(obj: Any, _name: str | None, type_: str, _reflected: bool, _compare_to: Any) -> bool:
        ddl_if = getattr(obj, "_ddl_if", None)
        return not (type_ == "index" and ddl_if is not None and ddl_if.dialect not in (None, dialect))

    return {"include_name": include_name, "include_object": include_object}
