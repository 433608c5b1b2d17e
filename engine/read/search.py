"""Finding a case by what people type: case- and diacritics-insensitive, partial references too.

People type "tin nong" for "Tin nóng", "PHONG THO" for "Phong Thổ", and "000032" for
PA-2026-000032. Neither database folds Vietnamese diacritics (SQLite's LIKE folds only ASCII
case; PostgreSQL's ILIKE folds case but not "ổ" to "o"), so the engine keeps a folded copy of
what is searched, `cases.search_text`, written with every transition (engine.cases.commands) and
indexed for substring search with each database's own tool:

- PostgreSQL: a GIN trigram index (pg_trgm), which serves `LIKE '%term%'`;
- SQLite: an FTS5 table with the trigram tokenizer over the same column (`cases_search`, kept in
  step by triggers), which serves `LIKE '%term%'` on the FTS table.

Both need three characters to use the index; a shorter term finds nothing (the page says so).
"""

from __future__ import annotations

import re
import unicodedata
from functools import lru_cache
from typing import Any

from sqlalchemy import ColumnElement, Index, Integer, Select, String, column, event, false, select, table
from sqlalchemy.orm import Session

from engine.store.models import Case

MAX_TERM = 100
MIN_TERM = 3
FTS_PROBE = 500
SQLITE_FTS_TABLE = "cases_search"
FTS = table(SQLITE_FTS_TABLE, column("rowid", Integer), column("search_text", String))
_SPACES = re.compile(r"\s+")


def fold(value: str | None) -> str:
    """Lower case, without diacritics ("đ" becomes "d"), with single spaces: what both sides of a search compare."""
    if not value:
        return ""
    decomposed = unicodedata.normalize("NFKD", value.replace("đ", "d").replace("Đ", "D"))
    bare = "".join(ch for ch in decomposed if not unicodedata.combining(ch))
    return _SPACES.sub(" ", bare.casefold()).strip()


@lru_cache(maxsize=4096)  # every transition asks again for the same case's words
def search_text(reference: str | None, subject: str | None) -> str:
    """The folded text a case is found by: its reference and its subject (the promoted columns people name)."""
    return fold(f"{reference or ''} {subject or ''}")[:400]


def _like_pattern(term: str) -> str:
    return "%" + term.replace("\\", "\\\\").replace("%", "\\%").replace("_", "\\_") + "%"


def _fts_able(session: Session, folded: str) -> bool:
    return session.get_bind().dialect.name == "sqlite" and not any(ch in folded for ch in "%_\\")


def search_clause(session: Session, term: str) -> ColumnElement[bool] | None:
    """A WHERE clause finding `term` anywhere in a case's folded reference or subject; None when there is nothing to find.

    For lists in an order of their own (the worklist, most urgent first). On SQLite the FTS5
    trigram table is asked first, for at most FTS_PROBE matches (it stops there): a rarer term
    becomes a list of case ids, read by primary key; a commoner one is matched on the column
    while the list's own index is walked, which stops after a page since matches are everywhere.
    PostgreSQL's planner makes that choice itself from the trigram index's statistics.
    """
    folded = fold(term[:MAX_TERM])
    if not folded:
        return None
    if len(folded) < MIN_TERM:  # one or two letters match nearly everything, and no index serves them
        return false()
    on_column = Case.search_text.like(_like_pattern(folded), escape="\\")
    if not _fts_able(session, folded):
        return on_column
    # A page with two lists asks twice for the same term: the session (one request's reads) keeps the answer.
    asked: dict[str, ColumnElement[bool]] = session.info.setdefault(_ASKED, {})
    if folded not in asked:
        # No ESCAPE clause here: FTS5 leaves a LIKE with ESCAPE to a full scan of its table.
        probe = select(FTS.c.rowid).where(FTS.c.search_text.like(f"%{folded}%")).limit(FTS_PROBE)
        ids = list(session.scalars(probe))
        asked[folded] = Case.id.in_(ids) if len(ids) < FTS_PROBE else on_column
    return asked[folded]


_ASKED = "presscase.search_clauses"


@event.listens_for(Session, "after_transaction_end")
def _forget_answers(session: Session, transaction: Any) -> None:
    """What the search table said holds for one transaction's snapshot, not after it."""
    if transaction.parent is None:
        session.info.pop(_ASKED, None)


def newest_first(session: Session, q: Select[Any], term: str) -> Select[Any]:
    """`q` narrowed to the cases matching `term`, newest (highest id) first: the search page's order.

    On SQLite the FTS5 table drives: it yields matches newest first and lazily, each case is read
    by primary key, and the page (and the capped count) stop as soon as they have enough, however
    common the term. `NOT INDEXED` keeps SQLite's planner from walking a unit's cases instead and
    probing the FTS table for each (measured thousands of times slower for a common term).
    """
    folded = fold(term[:MAX_TERM])
    if not folded:
        return q.order_by(Case.id.desc())
    if len(folded) < MIN_TERM:
        return q.where(false())
    if not _fts_able(session, folded):
        return q.where(Case.search_text.like(_like_pattern(folded), escape="\\")).order_by(Case.id.desc())
    return (
        q.join(FTS, FTS.c.rowid == Case.id)
        .where(FTS.c.search_text.like(f"%{folded}%"))
        .with_hint(Case, "NOT INDEXED", "sqlite")
        .order_by(FTS.c.rowid.desc())
    )


def _render_sqlite_table_hints() -> None:
    """Let `select().with_hint(table, "NOT INDEXED", "sqlite")` reach SQLite, which SQLAlchemy's SQLite compiler drops.

    SQLite's own syntax puts the hint after the table name (`FROM cases NOT INDEXED`); only hints
    given for the "sqlite" dialect are rendered, so other databases never see them.
    """
    from sqlalchemy.dialects.sqlite.base import SQLiteCompiler

    def get_from_hint_text(self: SQLiteCompiler, table: Any, text: str | None) -> str | None:
        return text

    SQLiteCompiler.get_from_hint_text = get_from_hint_text  # type: ignore[method-assign,assignment]


_render_sqlite_table_hints()


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
