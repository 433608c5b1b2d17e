"""The tables, in SQLAlchemy 2's typed declarative style.

A case stores facts generically (the definition decides which fields exist); the few columns
that the worklist filters and sorts on (kind, severity, subject, deadline) are promoted from
the data by rules in the definition, so the engine stays ignorant of any particular workflow.
"""

from __future__ import annotations

from datetime import date, datetime
from typing import Any

from sqlalchemy import (
    JSON,
    Boolean,
    Date,
    ForeignKey,
    Index,
    Integer,
    LargeBinary,
    String,
    Text,
    UniqueConstraint,
    text,
)
from sqlalchemy.orm import Mapped, deferred, mapped_column, relationship

from engine.store.db import Base, UtcDateTime


class Unit(Base):
    """A body in the organisation tree; the definition speaks of unit *types*, never of names."""

    __tablename__ = "units"

    id: Mapped[int] = mapped_column(primary_key=True)
    code: Mapped[str] = mapped_column(String(40), unique=True)
    name: Mapped[str] = mapped_column(String(200))
    type: Mapped[str] = mapped_column(String(40), index=True)
    parent_id: Mapped[int | None] = mapped_column(ForeignKey("units.id"), index=True)
    active: Mapped[bool] = mapped_column(Boolean, default=True)

    parent: Mapped[Unit | None] = relationship(remote_side=[id])


class User(Base):
    __tablename__ = "users"

    id: Mapped[int] = mapped_column(primary_key=True)
    username: Mapped[str] = mapped_column(String(80), unique=True)
    full_name: Mapped[str] = mapped_column(String(200))
    email: Mapped[str | None] = mapped_column(String(254))
    password_hash: Mapped[str] = mapped_column(String(255))
    unit_id: Mapped[int] = mapped_column(ForeignKey("units.id"), index=True)
    language: Mapped[str] = mapped_column(String(5), default="vi")
    active: Mapped[bool] = mapped_column(Boolean, default=True)
    created_at: Mapped[datetime] = mapped_column(UtcDateTime())
    # Carried in the session and remember cookies; sign-out, a new password and disabling advance it.
    session_generation: Mapped[int] = mapped_column(Integer, default=0, server_default="0")
    # Wrong passwords since `failed_logins_since` (engine/org/signin.py locks the account past a limit).
    failed_logins: Mapped[int] = mapped_column(Integer, default=0, server_default="0")
    failed_logins_since: Mapped[datetime | None] = mapped_column(UtcDateTime())

    unit: Mapped[Unit] = relationship(lazy="joined")
    role_rows: Mapped[list[UserRole]] = relationship(
        cascade="all, delete-orphan", lazy="selectin", back_populates="user"
    )

    @property
    def roles(self) -> frozenset[str]:
        return frozenset(r.role for r in self.role_rows)


class UserRole(Base):
    __tablename__ = "user_roles"

    user_id: Mapped[int] = mapped_column(ForeignKey("users.id", ondelete="CASCADE"), primary_key=True)
    role: Mapped[str] = mapped_column(String(40), primary_key=True)

    user: Mapped[User] = relationship(back_populates="role_rows")


class WorkflowDefinitionRow(Base):
    """A loaded definition version; its checksum refuses a changed file under an old version."""

    __tablename__ = "workflow_definitions"
    __table_args__ = (UniqueConstraint("name", "version", name="uq_workflow_definitions_name_version"),)

    id: Mapped[int] = mapped_column(primary_key=True)
    name: Mapped[str] = mapped_column(String(80))
    version: Mapped[int] = mapped_column(Integer)
    checksum: Mapped[str] = mapped_column(String(64))
    source: Mapped[str] = mapped_column(Text)
    loaded_at: Mapped[datetime] = mapped_column(UtcDateTime())


class RegistryGeneration(Base):
    """One row whose number every `workflow load` that records a version advances, in that transaction.

    Running processes compare it with the number they last loaded (one primary-key read, at most
    every few seconds) and load the new versions when it moved, so no restart is needed.
    """

    __tablename__ = "registry_generation"

    id: Mapped[int] = mapped_column(Integer, primary_key=True, autoincrement=False)
    generation: Mapped[int] = mapped_column(Integer, default=0)


class ReferenceCounter(Base):
    """Per prefix and year, the last sequence number given out (PA-2026-000123)."""

    __tablename__ = "reference_counters"

    prefix: Mapped[str] = mapped_column(String(10), primary_key=True)
    year: Mapped[int] = mapped_column(Integer, primary_key=True)
    last: Mapped[int] = mapped_column(Integer, default=0)


# The columns after a worklist filter's own in its index: the branch (state, version), then the order.
_BRANCH = ("state", "workflow_name", "workflow_version", "deadline_at")


class Case(Base):
    __tablename__ = "cases"
    __table_args__ = (
        Index("ix_cases_open_deadline", "closed", "deadline_at"),
        # What a worklist branch (engine.read.queries.worklist) reads, in deadline order so a page stops
        # after its rows, and with the branch's workflow version so its capped count reads the index
        # alone: a state of a version (roles acting on any case; also the counts by state, on its
        # first three columns), what a unit holds in a state (a unit's own work; the holding-unit
        # filter), a kind in a state (the kind filter), a severity in a state (the severity filter).
        # Each ends with the other filters' columns, so a filtered branch is read and counted from
        # the index alone, without reading the rows it skips.
        # It ends with the folded search text: a search inside a list whose branch is read from this index
        # (a role acting on every case of a state) checks each entry without reading its row.
        Index("ix_cases_workflow_state_deadline", "workflow_name", "workflow_version", "state", "deadline_at",
              "kind", "severity", "assigned_unit_id", "search_text"),
        Index("ix_cases_assigned_state_deadline", "assigned_unit_id", *_BRANCH, "kind", "severity"),
        Index("ix_cases_kind_state_deadline", "kind", *_BRANCH, "severity", "assigned_unit_id"),
        Index("ix_cases_severity_state_deadline", "severity", *_BRANCH, "kind", "assigned_unit_id"),
        # What a person may see, one definition version at a time, newest first (policy.visible_parts):
        # the filing unit's cases, the reporter's own (columns that never change after filing).
        Index("ix_cases_filing_unit_workflow", "filing_unit_id", "workflow_name", "workflow_version"),
        Index("ix_cases_reporter_workflow", "reporter_id", "workflow_name", "workflow_version"),
    )

    id: Mapped[int] = mapped_column(primary_key=True)
    reference: Mapped[str] = mapped_column(String(30), unique=True)
    workflow_name: Mapped[str] = mapped_column(String(80))
    workflow_version: Mapped[int] = mapped_column(Integer)
    # No index of its own: every index that starts with the state serves a query on it
    # (ix_cases_state_state_entered_at), and a transition rewrites each index over the state.
    state: Mapped[str] = mapped_column(String(40))
    version: Mapped[int] = mapped_column(Integer, default=1)
    closed: Mapped[bool] = mapped_column(Boolean, default=False)

    filing_unit_id: Mapped[int] = mapped_column(ForeignKey("units.id"))
    reporter_id: Mapped[int | None] = mapped_column(ForeignKey("users.id"))
    reporter_confidential: Mapped[bool] = mapped_column(Boolean, default=False)
    assigned_unit_id: Mapped[int | None] = mapped_column(ForeignKey("units.id"))
    handling_unit_id: Mapped[int | None] = mapped_column(ForeignKey("units.id"), index=True)

    kind: Mapped[str | None] = mapped_column(String(60))
    severity: Mapped[str | None] = mapped_column(String(20))
    subject: Mapped[str | None] = mapped_column(String(300))
    # Reference and subject folded (lower case, no diacritics) for search, written by the engine (engine/read/search.py).
    search_text: Mapped[str | None] = mapped_column(String(400))
    facts: Mapped[dict[str, Any]] = mapped_column(JSON, default=dict)

    state_entered_at: Mapped[datetime] = mapped_column(UtcDateTime())
    deadline_at: Mapped[datetime | None] = mapped_column(UtcDateTime())
    deadline_info: Mapped[dict[str, Any] | None] = mapped_column(JSON)
    # 0 until a timer escalates the current stage; reset when the stage's clock restarts or is extended.
    escalation_level: Mapped[int] = mapped_column(Integer, default=0, server_default="0")
    # The last day a sanction may be imposed (limitation period), when the facts give its start.
    limitation_expires_on: Mapped[date | None] = mapped_column(Date)
    created_at: Mapped[datetime] = mapped_column(UtcDateTime(), index=True)
    updated_at: Mapped[datetime] = mapped_column(UtcDateTime())

    event_count: Mapped[int] = mapped_column(Integer, default=0)
    last_event_hash: Mapped[str] = mapped_column(String(64), default="")

    __mapper_args__ = {"version_id_col": version}

    filing_unit: Mapped[Unit] = relationship(foreign_keys=[filing_unit_id], lazy="raise")
    assigned_unit: Mapped[Unit | None] = relationship(foreign_keys=[assigned_unit_id], lazy="raise")



class CaseRecord:
    """The columns of one case row as typed attributes; `version` is the version it was read at.

    The annotations mirror the mapped `Case`'s columns (a test compares the two), so code that
    takes `CaseRow` reads either the same way and mypy checks both.
    """

    id: int
    reference: str
    workflow_name: str
    workflow_version: int
    state: str
    version: int
    closed: bool
    filing_unit_id: int
    reporter_id: int | None
    reporter_confidential: bool
    assigned_unit_id: int | None
    handling_unit_id: int | None
    kind: str | None
    severity: str | None
    subject: str | None
    search_text: str | None
    facts: dict[str, Any]
    state_entered_at: datetime
    deadline_at: datetime | None
    deadline_info: dict[str, Any] | None
    escalation_level: int
    limitation_expires_on: date | None
    created_at: datetime
    updated_at: datetime
    event_count: int
    last_event_hash: str

    def __init__(self, values: dict[str, Any]) -> None:
        self.__dict__.update(values)


# What the policy, guards, journal, timers and routing read a case through: the mapped row (queries,
# the sweep) or the Core record (the commands' hot path), attribute for attribute the same.
CaseRow = Case | CaseRecord

class CaseEvent(Base):
    """Append-only history; each row hashes its content and the previous row's hash."""

    __tablename__ = "case_events"
    __table_args__ = (UniqueConstraint("case_id", "seq", name="uq_case_events_case_id_seq"),)

    id: Mapped[int] = mapped_column(primary_key=True)
    case_id: Mapped[int] = mapped_column(ForeignKey("cases.id"))
    seq: Mapped[int] = mapped_column(Integer)
    trigger: Mapped[str] = mapped_column(String(60))
    from_state: Mapped[str | None] = mapped_column(String(40))
    to_state: Mapped[str] = mapped_column(String(40))
    actor_id: Mapped[int | None] = mapped_column(ForeignKey("users.id"))
    actor_unit_id: Mapped[int | None] = mapped_column(ForeignKey("units.id"))
    at: Mapped[datetime] = mapped_column(UtcDateTime())
    data: Mapped[dict[str, Any]] = mapped_column(JSON, default=dict)
    prev_hash: Mapped[str] = mapped_column(String(64))
    hash: Mapped[str] = mapped_column(String(64))


class Attachment(Base):
    """Evidence as received: its content and name never altered, never deleted; only marked superseded."""

    __tablename__ = "attachments"

    id: Mapped[int] = mapped_column(primary_key=True)
    case_id: Mapped[int] = mapped_column(ForeignKey("cases.id"), index=True)
    event_seq: Mapped[int] = mapped_column(Integer)
    filename: Mapped[str] = mapped_column(String(255))
    content_type: Mapped[str] = mapped_column(String(120))
    size: Mapped[int] = mapped_column(Integer)
    sha256: Mapped[str] = mapped_column(String(64))
    received_at: Mapped[datetime] = mapped_column(UtcDateTime())
    uploaded_by: Mapped[int | None] = mapped_column(ForeignKey("users.id"))
    content: Mapped[bytes] = deferred(mapped_column(LargeBinary))
    # The history event that marked this file superseded (engine.cases.commands.supersede_evidence); the file is kept.
    superseded_seq: Mapped[int | None] = mapped_column(Integer)


class OutboxMessage(Base):
    """A notification to deliver after commit; the recipient is a unit and/or role, fanned out later."""

    __tablename__ = "outbox"
    __table_args__ = (Index("ix_outbox_pending", "status", "next_attempt_at"),)

    id: Mapped[int] = mapped_column(primary_key=True)
    case_id: Mapped[int | None] = mapped_column(ForeignKey("cases.id"))
    event_seq: Mapped[int | None] = mapped_column(Integer)
    topic: Mapped[str] = mapped_column(String(60))
    recipient_unit_id: Mapped[int | None] = mapped_column(ForeignKey("units.id"))
    recipient_unit_type: Mapped[str | None] = mapped_column(String(40))
    recipient_role: Mapped[str | None] = mapped_column(String(40))
    recipient_user_id: Mapped[int | None] = mapped_column(ForeignKey("users.id"))
    payload: Mapped[dict[str, Any]] = mapped_column(JSON, default=dict)
    status: Mapped[str] = mapped_column(String(12), default="pending")
    attempts: Mapped[int] = mapped_column(Integer, default=0)
    next_attempt_at: Mapped[datetime] = mapped_column(UtcDateTime())
    claimed_by: Mapped[str | None] = mapped_column(String(80))
    lease_until: Mapped[datetime | None] = mapped_column(UtcDateTime())
    sent_at: Mapped[datetime | None] = mapped_column(UtcDateTime())
    last_error: Mapped[str | None] = mapped_column(Text)
    created_at: Mapped[datetime] = mapped_column(UtcDateTime())


PENDING = "pending"


class Timer(Base):
    """A due time the engine acts on: written with the transition that starts it, cancelled with the one that leaves.

    A sweeper claims due rows (`claimed_by`, `lease_until`), fires them through the engine and
    marks them `fired` in the same transaction as the history event; a claim whose lease ran out
    (its sweeper died) is taken over, so a timer is never lost and never fired twice.
    """

    __tablename__ = "timers"
    __table_args__ = (
        Index(
            "ix_timers_pending_due", "due_at",
            sqlite_where=text("status = 'pending'"), postgresql_where=text("status = 'pending'"),
        ),
        Index("ix_timers_case_id_status", "case_id", "status"),
        Index(
            "ix_timers_failed", "id",
            sqlite_where=text("status = 'failed'"), postgresql_where=text("status = 'failed'"),
        ),
    )  # fmt: skip

    id: Mapped[int] = mapped_column(primary_key=True)
    case_id: Mapped[int] = mapped_column(ForeignKey("cases.id"))
    kind: Mapped[str] = mapped_column(String(30))  # due_soon, overdue, escalation, limitation_warning
    level: Mapped[int | None] = mapped_column(Integer)  # escalation level, or days before the limitation date
    state: Mapped[str | None] = mapped_column(String(40))  # the state it belongs to; None: the whole case
    started_by_event: Mapped[int] = mapped_column(Integer)
    due_at: Mapped[datetime] = mapped_column(UtcDateTime())
    status: Mapped[str] = mapped_column(String(12), default=PENDING)  # pending, fired, cancelled, failed
    claimed_by: Mapped[str | None] = mapped_column(String(80))
    lease_until: Mapped[datetime | None] = mapped_column(UtcDateTime())
    attempts: Mapped[int] = mapped_column(Integer, default=0)
    last_error: Mapped[str | None] = mapped_column(Text)
    next_attempt_at: Mapped[datetime | None] = mapped_column(UtcDateTime())  # handed back: not before this
    created_at: Mapped[datetime] = mapped_column(UtcDateTime())
    fired_at: Mapped[datetime | None] = mapped_column(UtcDateTime())
    fired_event_seq: Mapped[int | None] = mapped_column(Integer)
    cancelled_at: Mapped[datetime | None] = mapped_column(UtcDateTime())
