"""The sweep fires every due timer exactly once, with several sweeper processes and across a crash.

Real processes against the same SQLite file and the same PostgreSQL database. The process tests
use SWEEP_TEST_TIMERS due timers (default 10,000, as the issue asks; bench/sweep.py times them).
"""

from __future__ import annotations

import json
import os
import signal
import subprocess
import sys
from collections import Counter
from datetime import timedelta
from pathlib import Path

import pytest
import sqlalchemy as sa

from engine.cases.history import verify_case
from engine.jobs.sweep import claim, fire_claimed, sweep
from engine.store.models import Case, CaseEvent, OutboxMessage, Timer
from tests.sweep_seed import seed_cases, seed_timers

ROOT = Path(__file__).resolve().parent.parent
N = int(os.environ.get("SWEEP_TEST_TIMERS", "10000"))


def _worker(url: str, now_iso: str, mode: str = "sweep", batch: int = 200) -> subprocess.Popen[str]:
    env = {**os.environ, "PYTHONPATH": str(ROOT)}
    return subprocess.Popen([sys.executable, "-m", "tests.sweep_worker", url, now_iso, mode, str(batch)],
                            cwd=ROOT, env=env, stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True)  # fmt: skip


def _timer_events(rt) -> list[CaseEvent]:
    with rt.read_session() as s:
        return list(s.scalars(sa.select(CaseEvent).where(CaseEvent.trigger.like("timer.%"))))


def _status_counts(rt) -> Counter[str]:
    with rt.read_session() as s:
        return Counter(dict(s.execute(sa.select(Timer.status, sa.func.count()).group_by(Timer.status)).all()))


@pytest.mark.parametrize("processes", [2, 4])
def test_several_sweeper_processes_fire_each_timer_exactly_once(rt, org, db_url, processes):
    now = rt.clock.now()
    ids = seed_cases(rt, N, now)
    seed_timers(rt, ids, now - timedelta(minutes=1), now)
    seed_timers(rt, ids[:50], now + timedelta(days=30), now)  # not due: must be left alone

    procs = [_worker(db_url, now.isoformat()) for _ in range(processes)]
    reports = []
    for p in procs:
        out, err = p.communicate(timeout=600)
        assert p.returncode == 0, err[-3000:]
        reports.append(json.loads(out.strip().splitlines()[-1]))

    assert sum(r["fired"] for r in reports) == N
    assert all(r["failed"] == 0 and not r["errors"] for r in reports), reports
    # each fired level-1 escalation wrote its case's next timer (level 2, not yet due): one pending each
    assert _status_counts(rt) == Counter({"fired": N, "pending": N + 50})
    events = _timer_events(rt)
    assert len(events) == N
    per_timer = Counter(e.data["timer_id"] for e in events)
    assert len(per_timer) == N and set(per_timer.values()) == {1}  # no history event duplicated
    assert Counter(e.case_id for e in events) == Counter(ids)  # each case escalated once
    with rt.read_session() as s:
        assert s.scalar(sa.select(sa.func.count()).select_from(OutboxMessage).where(OutboxMessage.topic == "timer.escalated")) == N
        assert set(s.scalars(sa.select(Case.escalation_level).where(Case.id.in_(ids)))) == {1}
        sample = s.scalars(sa.select(Case).where(Case.id.in_(ids[:: max(1, N // 200)]))).all()
        assert all(verify_case(s, c) is None for c in sample)


def test_a_sweeper_killed_before_commit_loses_nothing_and_fires_nothing_twice(rt, org, db_url, clock):
    now = rt.clock.now()
    ids = seed_cases(rt, 300, now)
    seed_timers(rt, ids, now - timedelta(minutes=1), now)

    doomed = _worker(db_url, now.isoformat(), "hang-before-commit", 100)
    assert doomed.stdout is not None
    line = doomed.stdout.readline()  # it has claimed 100 and written their events, uncommitted
    assert line.strip() == "CLAIMED", doomed.stderr.read() if doomed.stderr else ""
    doomed.send_signal(signal.SIGKILL)
    doomed.wait(timeout=30)
    assert doomed.returncode == -signal.SIGKILL

    with rt.read_session() as s:
        held = s.scalars(sa.select(Timer.id).where(Timer.claimed_by == "doomed")).all()
    assert len(held) == 100 and not _timer_events(rt)  # the claim survived, its writes did not

    first = sweep(rt, owner="rescuer")  # within the lease: the held timers are left alone
    assert first.fired == 200
    clock.advance(seconds=301)  # the default lease is 300 s
    second = sweep(rt, owner="rescuer")
    assert second.fired == 100

    events = _timer_events(rt)
    assert len(events) == 300 and len({e.data["timer_id"] for e in events}) == 300
    assert _status_counts(rt) == Counter({"fired": 300, "pending": 300})  # each case's next timer, written once


def test_a_slow_sweeper_whose_lease_was_taken_over_fires_nothing(rt, org, clock):
    now = rt.clock.now()
    ids = seed_cases(rt, 5, now)
    seed_timers(rt, ids, now - timedelta(minutes=1), now)
    slow = claim(rt, "slow", now, timedelta(seconds=60), 10)
    assert len(slow) == 5
    assert claim(rt, "other", now, timedelta(seconds=60), 10) == []  # held
    clock.advance(seconds=61)
    assert sweep(rt, owner="other").fired == 5
    fired, moot, _ = fire_claimed(rt, "slow", slow)  # the slow one wakes up: its claim is gone
    assert (fired, moot) == (0, 0)
    assert len(_timer_events(rt)) == 5


def test_a_timer_whose_case_moved_on_is_not_fired(rt, org, clock):
    from tests.support import file as file_report
    from tests.support import fire, load_case

    out = file_report(org)
    fire(org, out.case_id, "assess", "assessor")  # leaves `reported`: its timers are cancelled now
    with rt.read_session() as s:
        stale = s.scalars(sa.select(Timer).where(Timer.case_id == out.case_id, Timer.state == "reported")).all()
    assert stale and {t.status for t in stale} == {"cancelled"}
    clock.advance(days=8)  # past the reported deadline (9 March), before the assessed one's warning
    assert sweep(rt).fired == 0
    assert _timer_events(rt) == [] and load_case(org, out.case_id).state == "assessed"
