"""case search: a folded search column on cases, indexed for substring search on both databases

Revision ID: 0011
Revises: 0010
Create Date: 2026-12-02 04:00:00

`cases.search_text` holds the reference and subject folded (lower case, no diacritics), written
by the engine with every transition (engine/read/search.py) and filled here for existing cases.
PostgreSQL indexes it with a GIN trigram index (pg_trgm, a trusted extension since PostgreSQL 13);
SQLite with an FTS5 table using the trigram tokenizer (`cases_search`, rowid = case id, with its
own copy of the text) kept in step by triggers. A later migration that rebuilds `cases` in SQLite batch mode drops those
triggers: it must re-create them (`_create_sqlite_index` below) and refill the FTS table.
"""
from __future__ import annotations

import sqlalchemy as sa
from alembic import op

from engine.read.search import search_text

revision = "0011"
down_revision = "0010"
branch_labels = None
depends_on = None

FTS = "cases_search"


def _create_sqlite_index() -> None:
    # The FTS table keeps its own copy of the text: checking a LIKE candidate then reads a short
    # row, not the end of a wide case row (search_text is its last column, after the JSON facts).
    op.execute(f"CREATE VIRTUAL TABLE {FTS} USING fts5(search_text, tokenize='trigram')")
    op.execute(f"""CREATE TRIGGER {FTS}_ai AFTER INSERT ON cases BEGIN
        INSERT INTO {FTS}(rowid, search_text) VALUES (new.id, coalesce(new.search_text, '')); END""")
    op.execute(f"""CREATE TRIGGER {FTS}_ad AFTER DELETE ON cases BEGIN
        DELETE FROM {FTS} WHERE rowid = old.id; END""")
    op.execute(f"""CREATE TRIGGER {FTS}_au AFTER UPDATE OF search_text ON cases
        WHEN old.search_text IS NOT new.search_text BEGIN
        UPDATE {FTS} SET search_text = coalesce(new.search_text, '') WHERE rowid = new.id; END""")


def _backfill() -> None:
    conn = op.get_bind()
    cases = sa.table("cases", sa.column("id", sa.Integer), sa.column("reference", sa.String),
                     sa.column("subject", sa.String), sa.column("search_text", sa.String))
    last = 0
    while True:
        rows = conn.execute(sa.select(cases.c.id, cases.c.reference, cases.c.subject)
                            .where(cases.c.id > last).order_by(cases.c.id).limit(5000)).all()
        if not rows:
            break
        conn.execute(cases.update().where(cases.c.id == sa.bindparam("b_id")).values(search_text=sa.bindparam("b_text")),
                     [{"b_id": r.id, "b_text": search_text(r.reference, r.subject)} for r in rows])
        last = rows[-1].id


def upgrade() -> None:
    with op.batch_alter_table("cases") as batch:
        batch.add_column(sa.Column("search_text", sa.String(length=400), nullable=True))
    _backfill()
    if op.get_bind().dialect.name == "postgresql":
        op.execute("CREATE EXTENSION IF NOT EXISTS pg_trgm")
        op.execute("CREATE INDEX ix_cases_search_trgm ON cases USING gin (search_text gin_trgm_ops)")
    else:
        _create_sqlite_index()
        op.execute(f"INSERT INTO {FTS}(rowid, search_text) SELECT id, coalesce(search_text, '') FROM cases")


def downgrade() -> None:
    if op.get_bind().dialect.name == "postgresql":
        op.execute("DROP INDEX IF EXISTS ix_cases_search_trgm")
    else:
        for suffix in ("ai", "ad", "au"):
            op.execute(f"DROP TRIGGER IF EXISTS {FTS}_{suffix}")
        op.execute(f"DROP TABLE IF EXISTS {FTS}")
    with op.batch_alter_table("cases") as batch:
        batch.drop_column("search_text")
