"""The public register's indexes on `cases` (migration 0004): the register owns no table of its own.

The register is a projection read from `cases` and `case_events` (engine/read/public_register.py), so what it
needs from the schema is only the order it reads in: published cases newest first (listing, year
filter) and most recently changed first (the Atom feed, Last-Modified). Declared here, beside the
register, so `engine/store/models.py` stays the engine's; Alembic's env.py imports this module so that
autogenerate and the models-versus-migrations test see them.
"""

from __future__ import annotations

from sqlalchemy import Index

from engine.store.models import Case

# Over finished cases only (a published state is terminal; the loader refuses a register whose state is
# not): an open case's transition moves its state and updated_at, and every index over them is one more
# page each transition writes and syncs; a finished case's entries change only when it is published,
# dismissed, closed or corrected. The register's queries say `closed IS 1` in the same words, so both
# databases use them, and name the workflow and its published state, so each reads one range in order;
# `closed` ends each so that what is read of a range comes from the index alone.
FINISHED = Case.closed.is_(True)
# A workflow's published cases newest publication first (listing, year filter, years).
IX_PUBLISHED = Index("ix_cases_published_entered", Case.workflow_name, Case.state, Case.state_entered_at, Case.closed,
                     sqlite_where=FINISHED, postgresql_where=FINISHED)
# Most recently changed first (the Atom feed), and the count, last change and versions for the ETag.
IX_UPDATED = Index("ix_cases_published_updated", Case.workflow_name, Case.state, Case.updated_at, Case.version, Case.closed,
                   sqlite_where=FINISHED, postgresql_where=FINISHED)
