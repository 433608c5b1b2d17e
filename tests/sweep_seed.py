"""Bulk seeding for sweep tests and bench/sweep.py: many open cases with due (and future) timers, via Core.

Going through the engine would cost minutes for a million timers; the rows written here are
what the engine itself writes on entering `reported` (state, deadline, assigned unit), so the
sweep fires them through the ordinary path.
"""

from __future__ import annotations

from datetime import datetime, timedelta
from typing import Any

import sqlalchemy as sa

from engine.cases.history import GENESIS
from engine.cases.uow import Runtime
from engine.store.models import Case, Timer, Unit


def unit_id(rt: Runtime, code: str) -> int:
    with rt.read_session() as s:
        return int(s.scalar(sa.select(Unit.id).where(Unit.code == code)))  # type: ignore[arg-type]


def seed_cases(rt: Runtime, n: int, now: datetime, *, prefix: str = "SW", chunk: int = 20_000) -> list[int]:
    """`n` press_violation cases sitting in `reported`, three days past their deadline; returns their ids."""
    filing, intake = unit_id(rt, "CB-MS"), unit_id(rt, "BTG")
    deadline = now - timedelta(days=3)
    info = {"state": "reported", "unit": "working", "days": 5, "rule_days": 5, "due": deadline.isoformat(),
            "started_at": (deadline - timedelta(days=7)).isoformat(), "started_by_event": 0,
            "due_soon_days": 2, "escalation": [[1, 2], [2, 5]]}  # fmt: skip
    with rt.engine.begin() as conn:
        start = int(conn.execute(sa.select(sa.func.coalesce(sa.func.max(Case.id), 0))).scalar_one())
        for lo in range(0, n, chunk):
            rows: list[dict[str, Any]] = [
                dict(reference=f"{prefix}-{start + i + 1:09d}", workflow_name="press_violation",
                     workflow_version=rt.registry.latest("press_violation").version,
                     state="reported", version=1, closed=False, filing_unit_id=filing, reporter_id=None,
                     reporter_confidential=False, assigned_unit_id=intake, handling_unit_id=None, facts={},
                     state_entered_at=deadline - timedelta(days=7), deadline_at=deadline, deadline_info=info,
                     created_at=now, updated_at=now, event_count=0, last_event_hash=GENESIS, escalation_level=0)
                for i in range(lo, min(n, lo + chunk))
            ]  # fmt: skip
            conn.execute(sa.insert(Case), rows)
        ids = list(conn.execute(sa.select(Case.id).where(Case.id > start).order_by(Case.id)).scalars())
    return ids


def seed_timers(rt: Runtime, case_ids: list[int], due_at: datetime | list[datetime], now: datetime, *,
                kind: str = "escalation", level: int = 1, chunk: int = 50_000) -> None:  # fmt: skip
    """One pending timer per case id (ids may repeat); `due_at` one time for all, or one per id."""
    dues = due_at if isinstance(due_at, list) else [due_at] * len(case_ids)
    with rt.engine.begin() as conn:
        for lo in range(0, len(case_ids), chunk):
            conn.execute(
                sa.insert(Timer),
                [dict(case_id=cid, kind=kind, level=level, state="reported", started_by_event=0, due_at=due,
                      status="pending", attempts=0, created_at=now)
                 for cid, due in zip(case_ids[lo:lo + chunk], dues[lo:lo + chunk], strict=True)],
            )  # fmt: skip
