"""A sweeper in its own process, for the exactly-once and crash tests: `python -m tests.sweep_worker URL NOW [MODE]`.

Prints one JSON line with its report. MODE `hang-before-commit` claims a batch, writes it, says
`CLAIMED` on stdout and then waits inside the open transaction to be killed (SIGKILL).
"""

from __future__ import annotations

import json
import sys
import time
from datetime import datetime

from engine.cases.uow import Runtime
from engine.jobs.sweep import sweep
from engine.time.clock import FrozenClock


def main(argv: list[str]) -> None:
    url, now = argv[0], datetime.fromisoformat(argv[1])
    mode = argv[2] if len(argv) > 2 else "sweep"
    batch = int(argv[3]) if len(argv) > 3 else 200
    rt = Runtime.from_url(url, clock=FrozenClock(now))
    rt.load_definitions()

    def hang() -> None:
        print("CLAIMED", flush=True)
        time.sleep(600)

    if mode == "hang-before-commit":
        sweep(rt, owner="doomed", batch_size=batch, max_batches=1, before_commit=hang)
        return
    report = sweep(rt, batch_size=batch)
    print(json.dumps({"claimed": report.claimed, "fired": report.fired, "moot": report.moot,
                      "released": report.released, "failed": report.failed, "errors": report.errors[:5]}), flush=True)  # fmt: skip
    rt.engine.dispose()


if __name__ == "__main__":
    main(sys.argv[1:])
