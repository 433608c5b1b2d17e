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

# WHERE state = 'published' ORDER BY state_entered_at DESC: one index range, stopped after a page.
IX_PUBLISHED = Index("ix_cases_state_state_entered_at", Case.state, Case.state_entered_at)
# WHERE state = 'published' ORDER BY updated_at DESC, and max(updated_at) for Last-Modified.
IX_UPDATED = Index("ix_cases_state_updated_at", Case.state, Case.updated_at)
