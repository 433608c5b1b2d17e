"""Benchmark of the annual report: `.venv/bin/python bench/report.py` (a few minutes the first time).

A district with 1,000,000 press-violation cases filed over four years (2023-2026) and their
history (about 3.3 million events: filing, assessment or dismissal, handling, publication, a few
deadline extensions), bulk-loaded with Core executemany on SQLite and COPY on PostgreSQL, the
rows being what the engine writes. The databases are kept (SQLite under /tmp, PostgreSQL as
`presscase_bench_report`) and reused by the next run when they hold the same data; pass
--fresh to rebuild them.

Timed: the annual report for 2026 (15/12/2025 - 14/12/2026), whole district: every figure,
the count of cases handled or published, and the DOCX with its first 200 cases, as
`presscase report --period 2026 --format docx` produces it. Also shown (not in the last line):
streaming the full case list, as the CSV/XLSX export reads it. Target: under 5 s on SQLite.
"""

from __future__ import annotations

import json
import random
import sys
import time
from datetime import UTC, datetime, timedelta
from pathlib import Path
from typing import Any

sys.path.insert(0, str(Path(__file__).resolve().parent.parent))

import sqlalchemy as sa  # noqa: E402

from bench._common import PG_URL, emit, pg_available, seed_org, unit_ids  # noqa: E402
from engine.cases.uow import Runtime  # noqa: E402
from engine.read.reporting import iter_cases, make_report  # noqa: E402
from engine.store import migrate  # noqa: E402
from engine.store.models import Case, CaseEvent  # noqa: E402
from engine.time.clock import FrozenClock  # noqa: E402
from engine.time.periods import parse_period  # noqa: E402
from web.exports.document import DOCX_CASE_LIMIT, docx_bytes  # noqa: E402
from web.exports.settings import PARTY, ReportSettings  # noqa: E402
from workflows.loader import DEFINITIONS_DIR, load_file  # noqa: E402

N_CASES = 1_000_000
CHUNK = 50_000
NOW = datetime(2026, 12, 20, 2, 0, tzinfo=UTC)
FIRST = datetime(2023, 1, 1, tzinfo=UTC)
LAST = datetime(2026, 11, 30, tzinfo=UTC)
SQLITE_PATH = Path("/tmp/presscase-bench-report/report.sqlite3")
PG_NAME = "presscase_bench_report"
KINDS = ["false_information", "unverified_information", "mission_deviation", "newspaperisation", "privatisation",
         "commercialisation", "ethics_breach", "abuse_of_title", "inflammatory_information", "other"]  # fmt: skip
PV_VERSION = load_file(DEFINITIONS_DIR / "press_violation.toml").version  # the cases follow the newest definition
MARKER = f"bench-report-v{PV_VERSION}-{N_CASES}"


def generate(units: dict[str, int], lo: int, hi: int, rng: random.Random) -> tuple[list[dict[str, Any]], list[dict[str, Any]]]:
    """Cases lo..hi-1 (ids lo+1..hi) and their events, consistent with what the engine writes."""
    cells = [units[c] for c in ("CB-TT", "CB-MS", "CB-SSH", "CB-DS", "CB-KL")]
    handlers = [units[c] for c in ("VHTT", "TTRA", "CA", "TTVH")]
    intake, publishing = units["BTG"], units["TTVH"]
    span = (LAST - FIRST).total_seconds()
    cases: list[dict[str, Any]] = []
    events: list[dict[str, Any]] = []
    for i in range(lo, hi):
        cid = i + 1
        filed = FIRST + timedelta(seconds=rng.random() * span)
        kind = rng.choice(KINDS)
        evs = [("file", None, "reported", filed, {})]
        state, handling, assigned, deadline, level = "reported", None, intake, filed + timedelta(days=7), 0
        r = rng.random()
        t = filed
        if r < 0.10:
            t = t + timedelta(days=rng.uniform(0.5, 9))
            evs.append(("dismiss", "reported", "dismissed", t, {"reason": "unfounded"}))
            state, deadline = "dismissed", None
        elif r < 0.95:
            t = t + timedelta(days=rng.uniform(0.5, 9))
            handling = assigned = rng.choice(handlers)
            evs.append(("assess", "reported", "assessed", t, {"confirmed_kind": kind, "severity": "medium"}))
            state, deadline = "assessed", t + timedelta(days=21)
            if rng.random() < 0.9:
                if rng.random() < 0.03:
                    t = t + timedelta(days=rng.uniform(1, 10))
                    evs.append(("extend_deadline", "assessed", "assessed", t, {"working_days": 5, "reason": "Xác minh"}))
                t = t + timedelta(days=rng.uniform(1, 30))
                evs.append(("handle", "assessed", "handled", t, {"outcome": "measures", "measures": ["fine"],
                            "fine_amount": 10_000_000, "decision_number": f"{cid}/QĐ-XPHC",
                            "decision_date": t.date().isoformat()}))  # fmt: skip
                state, assigned, deadline = "handled", publishing, t + timedelta(days=7)
                if rng.random() < 0.8:
                    t = t + timedelta(days=rng.uniform(0.2, 7))
                    evs.append(("publish", "handled", "published", t, {"channels": ["portal"]}))
                    state, deadline = "published", None
        evs = [e for e in evs if e[3] < NOW]
        state = evs[-1][2]
        closed = state in ("dismissed", "published")
        if closed:
            deadline = None
        elif deadline is not None and deadline < NOW:
            level = 2 if (NOW - deadline).days > 7 else 0
        cases.append(dict(id=cid, reference=f"PA-B-{cid:09d}", workflow_name="press_violation", workflow_version=PV_VERSION,
                          state=state, version=len(evs), closed=closed, filing_unit_id=rng.choice(cells),
                          reporter_id=None, reporter_confidential=False, assigned_unit_id=assigned,
                          handling_unit_id=handling, kind=kind, severity="medium", subject=f"Trang tin {cid % 997}",
                          facts={}, state_entered_at=evs[-1][3], deadline_at=deadline, deadline_info=None,
                          escalation_level=level, limitation_expires_on=None, created_at=filed, updated_at=evs[-1][3],
                          event_count=len(evs), last_event_hash=""))  # fmt: skip
        for seq, (trigger, frm, to, at, data) in enumerate(evs, start=1):
            events.append(dict(case_id=cid, seq=seq, trigger=trigger, from_state=frm, to_state=to, actor_id=None,
                               actor_unit_id=None, at=at, data=data, prev_hash="", hash=""))  # fmt: skip
    return cases, events


def _copy(raw: Any, table: str, rows: list[dict[str, Any]]) -> None:
    cols = list(rows[0])
    with raw.cursor() as cur, cur.copy(f"COPY {table} ({', '.join(cols)}) FROM STDIN") as cp:
        for r in rows:
            cp.write_row([json.dumps(v, ensure_ascii=False) if isinstance(v, dict) else v for v in r.values()])


def load(rt: Runtime, label: str) -> None:
    seed_org(rt)
    units = unit_ids(rt)
    rng = random.Random(7)
    t = time.perf_counter()
    pg = rt.engine.dialect.name == "postgresql"
    with rt.engine.begin() as conn:
        for lo in range(0, N_CASES, CHUNK):
            cases, events = generate(units, lo, min(N_CASES, lo + CHUNK), rng)
            if pg:
                raw = conn.connection.driver_connection
                _copy(raw, "cases", cases)
                _copy(raw, "case_events", events)
            else:
                conn.execute(sa.insert(Case), cases)
                conn.execute(sa.insert(CaseEvent), events)
            print(f"[{label}] loaded {lo + len(cases):,} cases ({time.perf_counter() - t:.0f}s)", flush=True)
        if pg:
            conn.exec_driver_sql("SELECT setval(pg_get_serial_sequence('cases', 'id'), (SELECT max(id) FROM cases))")
            conn.exec_driver_sql("SELECT setval(pg_get_serial_sequence('case_events', 'id'), (SELECT max(id) FROM case_events))")
        conn.exec_driver_sql("CREATE TABLE bench_marker (v VARCHAR(80))")  # the next run reuses this data
        conn.exec_driver_sql(f"INSERT INTO bench_marker VALUES ('{MARKER}')")
    if pg:
        with rt.engine.connect().execution_options(isolation_level="AUTOCOMMIT") as c:
            c.exec_driver_sql("VACUUM ANALYZE")
    else:
        with rt.engine.begin() as c:
            c.exec_driver_sql("ANALYZE")
    print(f"[{label}] {N_CASES:,} cases and their history loaded in {time.perf_counter() - t:.0f}s", flush=True)


def ready(url: str) -> bool:
    eng = sa.create_engine(url)
    try:
        with eng.connect() as c:
            return c.exec_driver_sql("SELECT v FROM bench_marker").scalar() == MARKER
    except Exception:  # noqa: BLE001 - no table: not loaded yet
        return False
    finally:
        eng.dispose()


def timed_report(url: str, label: str) -> float:
    rt = Runtime.from_url(url, clock=FrozenClock(NOW))
    rt.load_definitions()
    period = parse_period("2026")
    t = time.perf_counter()
    report = make_report(rt, period, case_limit=0)
    figures_s = time.perf_counter() - t
    with rt.read_session() as s:
        first = list(iter_cases(s, rt.registry, period, limit=DOCX_CASE_LIMIT))
    data = docx_bytes(report, first, PARTY, ReportSettings())
    elapsed = time.perf_counter() - t
    f = report.figures
    print(f"[{label}] annual report 2026: {elapsed:.2f}s (figures {figures_s:.2f}s, docx {len(data) // 1024} KiB); "
          f"opened {f.opened:,}, closed {f.closed:,}, handled {f.handled:,} ({f.share_in_time or 0:.1%} in time), "
          f"published {f.published:,}, overdue now {f.overdue_now:,}; time to assess median {f.time_to_assess.median} "
          f"p90 {f.time_to_assess.p90}, to handle median {f.time_to_handle.median} p90 {f.time_to_handle.p90}; "
          f"{report.cases_total:,} cases in the list", flush=True)  # fmt: skip
    t = time.perf_counter()
    with rt.read_session() as s:
        n = sum(1 for _ in iter_cases(s, rt.registry, period))
    print(f"[{label}] streaming the full list of {n:,} cases (CSV/XLSX input): {time.perf_counter() - t:.2f}s", flush=True)
    rt.engine.dispose()
    return elapsed


def sqlite_url(fresh: bool) -> str:
    SQLITE_PATH.parent.mkdir(parents=True, exist_ok=True)
    url = f"sqlite:///{SQLITE_PATH}"
    if fresh or not ready(url):
        for p in SQLITE_PATH.parent.glob(SQLITE_PATH.name + "*"):
            p.unlink()
        migrate.upgrade(url)
        load(Runtime.from_url(url, clock=FrozenClock(NOW)), "sqlite")
    else:
        migrate.upgrade(url)
    return url


def pg_url(fresh: bool) -> str:
    url = sa.engine.make_url(PG_URL).set(database=PG_NAME).render_as_string(hide_password=False)
    if fresh or not ready(url):
        adm = sa.create_engine(PG_URL, isolation_level="AUTOCOMMIT")
        with adm.connect() as c:
            c.exec_driver_sql(f'DROP DATABASE IF EXISTS "{PG_NAME}" WITH (FORCE)')
            c.exec_driver_sql(f'CREATE DATABASE "{PG_NAME}"')
        adm.dispose()
        migrate.upgrade(url)
        load(Runtime.from_url(url, clock=FrozenClock(NOW)), "postgresql")
    else:
        migrate.upgrade(url)
    return url


def main() -> None:
    fresh = "--fresh" in sys.argv
    figures: dict[str, object] = {}
    figures["report_s_sqlite"] = f"{timed_report(sqlite_url(fresh), 'sqlite'):.2f}"
    if pg_available():
        figures["report_s_pg"] = f"{timed_report(pg_url(fresh), 'postgresql'):.2f}"
    else:
        print("[postgresql] not reachable: skipped", flush=True)
        figures["report_s_pg"] = "skipped"
    emit(figures)


if __name__ == "__main__":
    main()
