"""Tables and indexes that serve the statistics and periodic reports (issue 7).

Durations are counted in working days, and the calendar (holidays, Tết, announced swaps) lives
in Python (engine/time/calendar.py). To let the database compute a million durations without a
round trip per case, the calendar is materialised as a running index: for each date, how many
working days have passed up to and including it. The working days in (a, b] are then
`seq(b) - seq(a)`, two primary-key lookups, exactly what `WorkingCalendar.working_days_between`
returns. The index is rebuilt from the calendar whenever the calendar's version changes.
"""

from __future__ import annotations

from datetime import date, datetime

from sqlalchemy import Boolean, Date, Index, Integer, String
from sqlalchemy.orm import Mapped, mapped_column

from engine.store.db import Base, UtcDateTime
from engine.store.models import Case, CaseEvent


class WorkingDayIndex(Base):
    """One row per date: `seq` is the number of working days from the index's first day up to this one."""

    __tablename__ = "working_day_index"

    day: Mapped[date] = mapped_column(Date, primary_key=True)
    seq: Mapped[int] = mapped_column(Integer)
    working: Mapped[bool] = mapped_column(Boolean)


class WorkingDayIndexMeta(Base):
    """The single row saying which calendar version and which dates the index was built for."""

    __tablename__ = "working_day_index_meta"

    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    calendar_version: Mapped[str] = mapped_column(String(200))
    first_day: Mapped[date] = mapped_column(Date)
    last_day: Mapped[date] = mapped_column(Date)
    built_at: Mapped[datetime] = mapped_column(UtcDateTime())


# Counts by state per workflow version (the dashboard and the web overview) read the first three
# columns of Case's ix_cases_workflow_state_deadline.
# "Which cases were assessed / handled / published / closed in this period": a range over the
# events of a few triggers, instead of a scan of the whole history; it carries case_id and seq so
# the counts and the stage lookups read the index alone (4x faster on a million cases than (trigger, at)).
CASE_EVENTS_TRIGGER_AT = Index("ix_case_events_trigger_at", CaseEvent.trigger, CaseEvent.at, CaseEvent.case_id, CaseEvent.seq)
# "The last assessment before this handling", "no decision before this one", "extensions in between": probes
# by case in seq order that read the index alone. seq before trigger on purpose: with (case_id, trigger, seq),
# SQLite 3.40 answers `trigger IN (...) AND seq < ?` wrongly (it found a prior decision where there was none).
CASE_EVENTS_CASE_SEQ_TRIGGER = Index("ix_case_events_case_seq_trigger", CaseEvent.case_id, CaseEvent.seq, CaseEvent.trigger,
                                     CaseEvent.at)  # fmt: skip
# The cases opened in a period with every column the breakdowns group by, so that pass reads the index alone
# instead of a million-row table at random (the report's slowest query before it).
CASES_WORKFLOW_CREATED = Index("ix_cases_workflow_created", Case.workflow_name, Case.created_at, Case.state, Case.kind,
                               Case.handling_unit_id, Case.filing_unit_id)  # fmt: skip
# The snapshot of open cases (overdue, escalated now) from the index alone.
CASES_OPEN_WORKFLOW_DEADLINE = Index("ix_cases_open_workflow_deadline", Case.closed, Case.workflow_name, Case.deadline_at,
                                     Case.escalation_level)  # fmt: skip
