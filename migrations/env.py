"""Alembic environment: the only way the schema changes, on SQLite and PostgreSQL alike."""

from __future__ import annotations

from alembic import context

import engine.read.search  # noqa: F401 - the search index on cases (PostgreSQL trigram)
import engine.store.api_token_models  # noqa: F401 - the JSON API's tokens
import engine.store.audit_models  # noqa: F401 - the administration's audit log
import engine.store.idempotency_models  # noqa: F401 - retry keys (safe retries of forms and API requests)
import engine.store.models  # noqa: F401 - registers the tables on the metadata
import engine.store.notification_models  # noqa: F401 - inbox, deliveries, digests, preferences
import engine.store.register_models  # noqa: F401 - the public register's indexes on cases
import engine.store.report_models  # noqa: F401 - working-day index and the statistics indexes (reports)
from engine.read.search import schema_filters
from engine.store.db import Base, make_engine

config = context.config
target_metadata = Base.metadata


def run_migrations_online() -> None:
    connection = config.attributes.get("connection")
    if connection is not None:
        _run(connection)
        return
    eng = make_engine(config.get_main_option("sqlalchemy.url"))
    with eng.connect() as conn:
        _run(conn)
    eng.dispose()


def _run(connection) -> None:  # noqa: ANN001
    context.configure(
        connection=connection,
        target_metadata=target_metadata,
        render_as_batch=True,  # SQLite cannot ALTER most things; batch mode copies the table
        compare_type=True,
        **schema_filters(connection.dialect.name),
    )
    with context.begin_transaction():
        context.run_migrations()


if context.is_offline_mode():
    context.configure(url=config.get_main_option("sqlalchemy.url"), target_metadata=target_metadata,
                      literal_binds=True, render_as_batch=True)
    with context.begin_transaction():
        context.run_migrations()
else:
    run_migrations_online()
