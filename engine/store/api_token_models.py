"""API tokens: a user's keys for the JSON API, kept only as a keyed hash.

Kept apart from engine/store/models.py: a token is not part of a case or of the organisation,
only a second way in for an account that already exists.
"""

from __future__ import annotations

from datetime import datetime

from sqlalchemy import ForeignKey, String
from sqlalchemy.orm import Mapped, mapped_column

from engine.store.db import Base, UtcDateTime


class ApiToken(Base):
    """One issued token. `token_hash` is HMAC-SHA256 of the token under a key derived from the app's
    secret, so a copy of the database alone neither holds nor can test a token; `prefix` is the
    token's first characters, for a person to recognise it in a list."""

    __tablename__ = "api_tokens"

    id: Mapped[int] = mapped_column(primary_key=True)
    user_id: Mapped[int] = mapped_column(ForeignKey("users.id", ondelete="CASCADE"), index=True)
    token_hash: Mapped[str] = mapped_column(String(64), unique=True)
    prefix: Mapped[str] = mapped_column(String(16))
    label: Mapped[str] = mapped_column(String(200), default="")
    created_at: Mapped[datetime] = mapped_column(UtcDateTime())
    expires_at: Mapped[datetime | None] = mapped_column(UtcDateTime())
    revoked_at: Mapped[datetime | None] = mapped_column(UtcDateTime())
    last_used_at: Mapped[datetime | None] = mapped_column(UtcDateTime())
