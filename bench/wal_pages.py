"""Pages a transition writes and syncs on SQLite, and which table or index each belongs to.

On SQLite (WAL, synchronous=FULL) a commit writes every page the transaction changed as its own
WAL frame and then syncs the WAL; on a virtual disk each page costs about as much as a short
statement, so the count per commit is what the engine's own indexes cost each transition. The
bench's lifecycle (file -> assess -> handle -> publish) runs on a fresh migrated file with the
automatic checkpoint off, so every frame stays in the WAL to be counted and mapped to its table
or index through SQLite's dbstat table.

    .venv/bin/python bench/wal_pages.py [--cases 100]

Last line: wal_pages_per_commit=... wal_pages_case_indexes=... wal_pages_events=... (per commit)
"""

from __future__ import annotations

import argparse
import sqlite3
import struct
import sys
from collections import Counter
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent.parent))

from sqlalchemy import event  # noqa: E402

from bench._common import emit, seed_org, sqlite_database, unit_ids  # noqa: E402
from bench.engine import lifecycle  # noqa: E402
from engine.cases.uow import Runtime  # noqa: E402

FRAME_HEADER, WAL_HEADER = 24, 32


def frames(wal: bytes, page_size: int, start: int) -> list[tuple[int, bool]]:
    """(page number, ends a commit) of each frame from byte `start` of the WAL."""
    out = []
    step = FRAME_HEADER + page_size
    at = WAL_HEADER + max(0, (start - WAL_HEADER) // step) * step
    while at + FRAME_HEADER <= len(wal):
        page, db_size = struct.unpack(">II", wal[at : at + 8])
        out.append((page, db_size != 0))
        at += step
    return out


def main() -> None:
    p = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    p.add_argument("--cases", type=int, default=100, help="lifecycles counted (four transitions each)")
    args = p.parse_args()
    with sqlite_database() as url:
        rt = Runtime.from_url(url)

        @event.listens_for(rt.engine, "connect")
        def _keep_every_frame(dbapi_connection: object, _record: object) -> None:
            dbapi_connection.execute("PRAGMA wal_autocheckpoint=0")  # type: ignore[attr-defined]

        actors = seed_org(rt)
        units = unit_ids(rt)
        lifecycle(rt, actors, units, 50)  # the tables and indexes past their first pages
        path = url.removeprefix("sqlite:///")
        wal_path = Path(path + "-wal")
        start = wal_path.stat().st_size
        lifecycle(rt, actors, units, args.cases)
        wal = wal_path.read_bytes()  # before the engine's connections close: the last one to close checkpoints
        conn = sqlite3.connect(path)
        page_size = conn.execute("PRAGMA page_size").fetchone()[0]
        names = dict((page, name) for name, page in conn.execute("SELECT name, pageno FROM dbstat"))
        conn.close()
        rt.engine.dispose()
    written = frames(wal, page_size, start)
    commits = sum(1 for _, ends in written if ends)
    by_object = Counter(names.get(page, "(freed)") for page, _ in written)
    print(f"{commits} commits, {len(written)} pages: {len(written) / commits:.2f} per commit")
    for name, n in by_object.most_common():
        print(f"  {n / commits:6.2f}  {name}")

    def share(*prefixes: str) -> float:
        return sum(n for name, n in by_object.items() if name.startswith(prefixes)) / commits

    emit({"wal_pages_per_commit": f"{len(written) / commits:.2f}",
          "wal_pages_case_indexes": f"{share('ix_cases_', 'sqlite_autoindex_cases'):.2f}",
          "wal_pages_events": f"{share('case_events', 'ix_case_events', 'sqlite_autoindex_case_events'):.2f}",
          "wal_pages_timers": f"{share('timers', 'ix_timers'):.2f}",
          "wal_pages_outbox": f"{share('outbox', 'ix_outbox'):.2f}"})  # fmt: skip


if __name__ == "__main__":
    main()
