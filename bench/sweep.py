"""Benchmark of the timer sweep: `.venv/bin/python bench/sweep.py` (a few minutes).

1. One full sweep of 10,000 due timers with 100,000 pending, then (after adding 900,000 more
   pending in the future and 10,000 newly due) with 1,000,000 pending, on SQLite and PostgreSQL.
   The partial index on the due time of pending rows should make both cost the same.
2. Lateness: the real scheduler (APScheduler waking the sweep every 5 s, system clock, SQLite)
   with 10,000 timers coming due over a minute: how late each fired, p50 and p99.

Targets (issue 3): p99 lateness under the sweep interval + 2 s; the two sweeps within 1.5x of
each other; 10,000 escalations in under 10 s on SQLite. The last line is the figures.
"""

from __future__ import annotations

import random
import sys
import time
from datetime import UTC, datetime, timedelta
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent.parent))

import sqlalchemy as sa  # noqa: E402

from bench._common import emit, pg_available, pg_database, seed_org, sqlite_database  # noqa: E402
from engine.cases.uow import Runtime  # noqa: E402
from engine.jobs.sweep import sweep  # noqa: E402
from engine.store.models import Timer  # noqa: E402
from engine.time.clock import FrozenClock, SystemClock  # noqa: E402
from tests.sweep_seed import seed_cases, seed_timers  # noqa: E402

DUE = 10_000
SWEEP_INTERVAL_S = 5.0
T0 = datetime(2026, 3, 2, 2, 0, tzinfo=UTC)


def _future(n: int, now: datetime, rng: random.Random) -> list[datetime]:
    return [now + timedelta(seconds=rng.uniform(60, 365 * 86400)) for _ in range(n)]


def _analyze(rt: Runtime) -> None:
    """Fresh statistics; on PostgreSQL also VACUUM, as autovacuum would after a bulk load (and so that
    it does not run during the timed sweep, competing for the machine's two cores)."""
    if rt.engine.dialect.name == "postgresql":
        with rt.engine.connect().execution_options(isolation_level="AUTOCOMMIT") as c:
            c.exec_driver_sql("VACUUM ANALYZE")
        return
    with rt.engine.begin() as c:
        c.exec_driver_sql("ANALYZE")


def _timed_sweep(rt: Runtime) -> float:
    t = time.perf_counter()
    report = sweep(rt)
    elapsed = time.perf_counter() - t
    assert report.fired == DUE and report.failed == 0, report
    return elapsed


def sweeps(url: str, label: str) -> tuple[float, float]:
    rng = random.Random(3)
    rt = Runtime.from_url(url, clock=FrozenClock(T0))
    seed_org(rt)
    t = time.perf_counter()
    ids = seed_cases(rt, DUE, T0)
    many = ids * 9
    seed_timers(rt, many, _future(len(many), T0, rng), T0)  # 90,000 in the future
    seed_timers(rt, ids, T0 - timedelta(minutes=1), T0)  # 10,000 due
    _analyze(rt)
    print(f"[{label}] seeded 100,000 pending in {time.perf_counter() - t:.1f}s", flush=True)
    s100k = _timed_sweep(rt)
    print(f"[{label}] sweep of {DUE} due among 100,000 pending: {s100k:.2f}s", flush=True)

    t = time.perf_counter()
    more = ids * 90
    seed_timers(rt, more, _future(len(more), T0, rng), T0)  # 900,000 more in the future
    seed_timers(rt, ids, T0 - timedelta(minutes=1), T0)  # 10,000 due again
    _analyze(rt)
    with rt.read_session() as s:
        n_pending = s.scalar(sa.select(sa.func.count()).select_from(Timer).where(Timer.status == "pending"))
    print(f"[{label}] seeded up to {n_pending:,} pending in {time.perf_counter() - t:.1f}s", flush=True)
    s1m = _timed_sweep(rt)
    print(f"[{label}] sweep of {DUE} due among {n_pending:,} pending: {s1m:.2f}s", flush=True)
    rt.engine.dispose()
    return s1m, s100k


def lateness(url: str) -> tuple[float, float]:
    """The real scheduler, the system clock: timers coming due over a minute, swept every few seconds."""
    from apscheduler.schedulers.background import BackgroundScheduler
    from flask import Flask

    from web.scheduler import build_scheduler

    rng = random.Random(5)
    rt = Runtime.from_url(url, clock=SystemClock())
    seed_org(rt)
    now = rt.clock.now()
    ids = seed_cases(rt, DUE, now, prefix="LT")
    start = now + timedelta(seconds=5)
    seed_timers(rt, ids, [start + timedelta(seconds=rng.uniform(0, 60)) for _ in ids], now)
    app = Flask("bench", root_path=str(Path(__file__).resolve().parent))
    app.config["SCHEDULER_INTERVAL_S"] = SWEEP_INTERVAL_S
    app.extensions["presscase"] = rt
    scheduler = build_scheduler(app, BackgroundScheduler)
    scheduler.start()
    deadline = time.monotonic() + 150
    try:
        while time.monotonic() < deadline:
            time.sleep(2)
            with rt.read_session() as s:
                left = s.scalar(sa.select(sa.func.count()).select_from(Timer).where(Timer.status == "pending"))
            if not left:
                break
    finally:
        scheduler.shutdown(wait=True)
    with rt.read_session() as s:
        rows = s.execute(sa.select(Timer.due_at, Timer.fired_at).where(Timer.status == "fired")).all()
    assert len(rows) == DUE, f"only {len(rows)} of {DUE} fired"
    late = sorted((f - d).total_seconds() for d, f in rows)
    p50, p99 = late[len(late) // 2], late[int(len(late) * 0.99) - 1]
    print(f"[lateness] sweep every {SWEEP_INTERVAL_S:g}s, {DUE} timers over 60s: p50 {p50:.2f}s p99 {p99:.2f}s "
          f"max {late[-1]:.2f}s (target p99 < {SWEEP_INTERVAL_S + 2:g}s)", flush=True)  # fmt: skip
    rt.engine.dispose()
    return p50, p99


def main() -> None:
    figures: dict[str, object] = {}
    with sqlite_database() as url:
        s1m, s100k = sweeps(url, "sqlite")
    figures.update(sweep_s_1m_sqlite=f"{s1m:.2f}", sweep_s_100k_sqlite=f"{s100k:.2f}")
    if pg_available():
        with pg_database() as url:
            p1m, p100k = sweeps(url, "postgresql")
        figures.update(sweep_s_1m_pg=f"{p1m:.2f}", sweep_s_100k_pg=f"{p100k:.2f}")
    else:
        print("[postgresql] not reachable: skipped", flush=True)
        figures.update(sweep_s_1m_pg="nan", sweep_s_100k_pg="nan")
    with sqlite_database() as url:
        p50, p99 = lateness(url)
    figures.update(lateness_p50_s=f"{p50:.2f}", lateness_p99_s=f"{p99:.2f}")
    emit(figures)


if __name__ == "__main__":
    main()
