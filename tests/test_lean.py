"""The hot path's lean statements write what SQLAlchemy writes, in the session's transaction, with its errors."""

from __future__ import annotations

from datetime import UTC, datetime

import pytest
import sqlalchemy as sa
from sqlalchemy.exc import IntegrityError

from engine.cases import records
from engine.cases.uow import Runtime
from engine.store import lean
from engine.store.db import add_row
from engine.store.models import Case, CaseEvent, OutboxMessage
from tests.support import file as file_case


def test_a_case_read_and_written_lean_reads_back_the_same_through_the_orm(org, rt: Runtime):
    out = file_case(org)
    with rt.uow() as uow:
        rec = records.load(uow.session, out.case_id)
        assert rec is not None
        rec.facts = {**rec.facts, "ghi_chu": "Tiếng Việt có dấu"}
        rec.deadline_at = datetime(2026, 3, 20, 9, 30, 15, 123456, tzinfo=UTC)
        records.save(uow.session, rec)
        uow.commit()
    with rt.read_session() as s:
        case = s.get(Case, out.case_id)
        assert case is not None
        assert case.facts["ghi_chu"] == "Tiếng Việt có dấu"
        assert case.deadline_at == datetime(2026, 3, 20, 9, 30, 15, 123456, tzinfo=UTC)
        assert case.version == out.version + 1
        # and the ORM's own comparison finds the row by the stored time: the format is SQLAlchemy's
        assert s.scalar(sa.select(Case.id).where(Case.deadline_at == rec.deadline_at)) == out.case_id


def test_a_stale_record_writes_nothing(org, rt: Runtime):
    from engine.errors import StaleVersion

    out = file_case(org)
    now = rt.clock.now()
    with rt.uow() as uow:
        first = records.load(uow.session, out.case_id)
        assert first is not None
        first.version -= 1  # as if read before someone else's change
        first.subject = "changed by a stale writer"
        # SQLite runs the guarded UPDATE at once; PostgreSQL sends it with the commit's rows and
        # checks the guard before the COMMIT goes out: either way, nothing of the command is kept.
        with pytest.raises(StaleVersion):
            records.save(uow.session, first)
            add_row(uow.session, OutboxMessage, case_id=out.case_id, event_seq=1, topic="test.stale", payload={},
                    next_attempt_at=now, created_at=now)  # fmt: skip
            uow.commit()
    with rt.read_session() as s:
        case = s.get(Case, out.case_id)
        assert case is not None and case.version == out.version and case.subject != "changed by a stale writer"
        assert s.scalar(sa.select(sa.func.count()).select_from(OutboxMessage).where(OutboxMessage.topic == "test.stale")) == 0


def test_a_duplicate_event_is_sqlalchemys_integrity_error_and_nothing_is_kept(org, rt: Runtime):
    out = file_case(org)
    now = rt.clock.now()
    with rt.uow() as uow:
        add_row(uow.session, OutboxMessage, case_id=out.case_id, event_seq=1, topic="test.lean", payload={},
                next_attempt_at=now, created_at=now)  # fmt: skip
        add_row(uow.session, CaseEvent, case_id=out.case_id, seq=1, trigger="x", from_state=None, to_state="x",
                actor_id=None, actor_unit_id=None, at=now, data={}, prev_hash="0" * 64, hash="1" * 64)  # fmt: skip
        with pytest.raises(IntegrityError):
            uow.session.commit()
    with rt.read_session() as s:
        assert s.scalar(sa.select(sa.func.count()).select_from(OutboxMessage).where(OutboxMessage.topic == "test.lean")) == 0
        row = s.scalar(sa.select(OutboxMessage).where(OutboxMessage.case_id == out.case_id).limit(1))
        assert row is not None and row.status == "pending" and row.attempts == 0  # defaults filled as the ORM would


def test_statements_run_inside_the_sessions_transaction(org, rt: Runtime):
    out = file_case(org)
    with rt.uow() as uow:
        rec = records.load(uow.session, out.case_id)
        assert rec is not None
        rec.subject = "Không được lưu"
        records.save(uow.session, rec)
        # the ORM's own query in the same session sees the uncommitted change: one transaction
        assert uow.session.scalar(sa.select(Case.subject).where(Case.id == out.case_id)) == "Không được lưu"
        assert lean.dialect_of(uow.session).name == rt.engine.dialect.name
        # leaving without a commit rolls it back
    with rt.read_session() as s:
        assert s.scalar(sa.select(Case.subject).where(Case.id == out.case_id)) != "Không được lưu"


def test_the_one_step_sqlite_time_text_is_sqlalchemys_own():
    from datetime import timedelta, timezone

    from sqlalchemy.dialects import sqlite

    from engine.store.db import UtcDateTime

    d = sqlite.dialect()
    two_steps = UtcDateTime().dialect_impl(d).bind_processor(d)
    one_step = UtcDateTime().lean_bind_processor(d)
    hanoi = timezone(timedelta(hours=7))
    for v in (datetime(2026, 3, 2, 9, 0, tzinfo=hanoi), datetime(2026, 12, 31, 23, 59, 59, 999999, tzinfo=UTC),
              datetime(2027, 1, 1, 6, 59, 59, 1, tzinfo=hanoi), datetime(999, 5, 6, 7, 8, 9, tzinfo=UTC), None):  # fmt: skip
        assert one_step(v) == two_steps(v)
    with pytest.raises(ValueError):
        one_step(datetime(2026, 3, 2, 9, 0))  # naive: refused, as the ORM refuses it
    with pytest.raises(ValueError):
        two_steps(datetime(2026, 3, 2, 9, 0))


def test_the_one_step_sqlite_time_reading_is_sqlalchemys_own():
    from sqlalchemy.dialects import sqlite

    from engine.store.db import UtcDateTime

    d = sqlite.dialect()
    two_steps = UtcDateTime().dialect_impl(d).result_processor(d, None)
    one_step = UtcDateTime().lean_result_processor(d)
    for text in ("2026-03-02 02:00:00.000000", "2026-12-31 23:59:59.999999", "2026-03-02 02:00:00", None):
        assert one_step(text) == two_steps(text)
        assert text is None or one_step(text).tzinfo is UTC
