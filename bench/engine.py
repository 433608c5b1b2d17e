"""Transitions per second through the engine, on SQLite (WAL, synchronous=FULL) and PostgreSQL.

Each case goes file -> assess -> handle -> publish, every transition its own committed
transaction through the real service layer (policy, validation, machine, history hash,
deadline, outbox). Memory is read after the same work on a database of 10,000 and of
100,000 cases, to show it stays flat as the database grows.

    .venv/bin/python bench/engine.py [--cases 2000] [--procs 4]

Last line: transitions_per_s_sqlite=... transitions_per_s_pg=... transitions_per_s_pg_4proc=... peak_rss_mb=...
"""

from __future__ import annotations

import argparse
import multiprocessing as mp
import sys
import time
from datetime import UTC, datetime, timedelta
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent.parent))

import sqlalchemy as sa  # noqa: E402

from bench._common import (  # noqa: E402
    actors,
    current_rss_mb,
    emit,
    peak_rss_mb,
    pg_available,
    pg_database,
    seed_org,
    sqlite_database,
    unit_ids,
)
from engine.cases import commands as service  # noqa: E402
from engine.cases.uow import Runtime  # noqa: E402
from engine.store.models import Case  # noqa: E402

REPORT = {
    "violation_kind": "false_information",
    "subject_name": "Trang tin \"Tây Bắc 24h\"",
    "subject_type": "e_information_site",
    "description": "Đăng tin sai sự thật về thu hồi đất.",
}


def lifecycle(rt: Runtime, a: dict, units: dict[str, int], n: int) -> int:
    assess = {"confirmed_kind": "false_information", "severity": "medium", "competent_unit": units["VHTT"],
              "assessment_note": "Có dấu hiệu vi phạm."}  # fmt: skip
    handle = {"outcome": "measures", "measures": ["fine", "content_removal"], "fine_amount": 10_000_000,
              "decision_number": "01/QĐ-XPHC", "decision_date": "2026-03-03", "legal_basis": "Điều 10 NĐ 119/2020",
              "decided_by": "Chủ tịch UBND huyện", "summary": "Phạt tiền, buộc gỡ bỏ."}  # fmt: skip
    publish = {"public_summary": "Đã xử phạt.", "channels": ["portal"]}
    done = 0
    for _ in range(n):
        with rt.uow() as uow:
            out = service.file_report(uow, a["reporter"], "press_violation", REPORT)
        for trigger, who, data in (("assess", "assessor", assess), ("handle", "handler", handle),
                                   ("publish", "publisher", publish)):  # fmt: skip
            with rt.uow() as uow:
                out = service.fire(uow, out.case_id, trigger, a[who], data, out.version)
        done += 4
    return done


def timed(rt: Runtime, a: dict, units: dict[str, int], n: int) -> float:
    t0 = time.perf_counter()
    done = lifecycle(rt, a, units, n)
    return done / (time.perf_counter() - t0)


def fill(rt: Runtime, units: dict[str, int], reporter_id: int, upto: int) -> None:
    """Grow the database to `upto` cases quickly with Core (for the memory reading only)."""
    with rt.read_session() as s:
        have = s.scalar(sa.select(sa.func.count()).select_from(Case)) or 0
    now = datetime.now(UTC)
    version = rt.registry.latest("press_violation").version
    batch = []
    for i in range(have, upto):
        batch.append({
            "reference": f"ZZ-2026-{i:07d}", "workflow_name": "press_violation", "workflow_version": version,
            "state": "published", "version": 5, "closed": True, "filing_unit_id": units["CB-MS"],
            "reporter_id": reporter_id, "reporter_confidential": False, "assigned_unit_id": units["TTVH"],
            "handling_unit_id": units["VHTT"], "kind": "false_information", "severity": "medium",
            "subject": f"Trang tin {i}", "facts": {}, "state_entered_at": now - timedelta(days=1),
            "created_at": now - timedelta(days=2), "updated_at": now, "event_count": 0, "last_event_hash": "0" * 64,
        })  # fmt: skip
        if len(batch) == 5000:
            with rt.engine.begin() as c:
                c.execute(sa.insert(Case), batch)
            batch = []
    if batch:
        with rt.engine.begin() as c:
            c.execute(sa.insert(Case), batch)


def _worker(url: str, n: int, q: mp.Queue) -> None:
    rt = Runtime.from_url(url)
    rt.load_definitions()
    a = actors(rt)
    units = unit_ids(rt)
    q.put(lifecycle(rt, a, units, n))
    rt.engine.dispose()


def parallel(url: str, procs: int, n_each: int) -> float:
    ctx = mp.get_context("spawn")
    q: mp.Queue = ctx.Queue()
    workers = [ctx.Process(target=_worker, args=(url, n_each, q)) for _ in range(procs)]
    t0 = time.perf_counter()
    for w in workers:
        w.start()
    total = sum(q.get(timeout=600) for _ in workers)
    for w in workers:
        w.join()
    return total / (time.perf_counter() - t0)


def bench_backend(url: str, cases: int, memory: bool) -> tuple[float, dict[str, float]]:
    rt = Runtime.from_url(url)
    a = seed_org(rt)
    units = unit_ids(rt)
    lifecycle(rt, a, units, 50)  # warm up caches and statement compilation
    rate = timed(rt, a, units, cases)
    mem: dict[str, float] = {}
    if memory:
        for size in (10_000, 100_000):
            fill(rt, units, a["reporter"].user_id, size)
            lifecycle(rt, a, units, 500)
            mem[f"rss_mb_at_{size // 1000}k_cases"] = round(current_rss_mb(), 1)
    rt.engine.dispose()
    return rate, mem


def main() -> None:
    p = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    p.add_argument("--cases", type=int, default=2000, help="cases pushed through the lifecycle per backend")
    p.add_argument("--procs", type=int, default=4, help="parallel processes for the PostgreSQL run")
    args = p.parse_args()
    figures: dict[str, object] = {}

    with sqlite_database() as url:
        rate, mem = bench_backend(url, args.cases, memory=True)
    print(f"SQLite (WAL, synchronous=FULL): {rate:,.0f} transitions/s over {args.cases * 4:,} transitions; {mem}")
    figures["transitions_per_s_sqlite"] = round(rate)

    if pg_available():
        with pg_database() as url:
            rate, _ = bench_backend(url, args.cases, memory=False)
            print(f"PostgreSQL, 1 process: {rate:,.0f} transitions/s")
            prate = parallel(url, args.procs, max(args.cases // args.procs, 1))
            print(f"PostgreSQL, {args.procs} processes: {prate:,.0f} transitions/s")
        figures["transitions_per_s_pg"] = round(rate)
        figures[f"transitions_per_s_pg_{args.procs}proc"] = round(prate)
    else:
        print("PostgreSQL not reachable: its figures are missing (set PRESSCASE_BENCH_PG_URL)")
        figures["transitions_per_s_pg"] = "nan"
    figures.update(mem)
    figures["peak_rss_mb"] = round(peak_rss_mb(), 1)
    emit(figures)


if __name__ == "__main__":
    main()
