"""APScheduler only wakes the sweep; the timers themselves are rows in the database.

Two ways to run it: `presscase scheduler` (a BlockingScheduler in its own process, the
production shape) or, for the single-machine default, `start_in_process(app)` from the web
process. Either way the scheduler uses a memory job store (two processes sharing an APScheduler
job store run jobs twice), `coalesce=True` and `max_instances=1` (a slow sweep is never stacked),
and UTC. Even if two schedulers do run, the sweep's atomic claim keeps every timer exactly-once.

Jobs are a list: the timer sweep, the notifications worker (which delivers the outbox after
each commit, so a failed email never touches a case), the working-day index's refresh (built
ahead for the configured report years, so no report request builds it) and the deletion of retry
keys past PRESSCASE_IDEMPOTENCY_HOURS.
"""

from __future__ import annotations

import atexit
import logging
import os
import time
from collections.abc import Callable
from dataclasses import dataclass
from typing import Any

import click
from apscheduler.schedulers.background import BackgroundScheduler
from apscheduler.schedulers.base import BaseScheduler
from apscheduler.schedulers.blocking import BlockingScheduler
from flask import Flask

from engine.jobs.retry_keys import DEFAULT_HOURS, purge_retry_keys
from engine.jobs.sweep import sweep
from engine.time.workday_index import ensure
from notifications.worker import deliver_pending
from web.report_years import app_report_years
from web.runner_lock import RunnerLock

log = logging.getLogger(__name__)


@dataclass(frozen=True)
class ScheduledJob:
    """A periodic job: `run(app)` every `interval_key` seconds of config (or `default_s`)."""

    name: str
    run: Callable[[Flask], Any]
    interval_key: str
    default_s: float = 30.0

    def interval(self, app: Flask) -> float:
        return float(app.config.get(self.interval_key) or self.default_s)


def refresh_definitions(app: Flask) -> None:
    """Load the definition versions `presscase workflow load` recorded since this process looked,
    before a job fires a timer or renders a message of a case filed under one (one primary-key
    read when nothing changed); errors are logged, never raised."""
    try:
        app.extensions["presscase"].refresh_definitions()
    except Exception:  # noqa: BLE001 - a failed check must not stop the job
        log.exception("workflow registry check failed")


def sweep_timers(app: Flask) -> None:
    """One sweep of due timers; errors are logged, never raised into the scheduler."""
    rt = app.extensions["presscase"]
    refresh_definitions(app)
    try:
        report = sweep(rt)
        if report.claimed:
            log.info("sweep: claimed %d, fired %d, moot %d, released %d, failed %d",
                     report.claimed, report.fired, report.moot, report.released, report.failed)  # fmt: skip
    except Exception:  # noqa: BLE001 - a failed sweep must not stop the next one
        log.exception("sweep failed")


def deliver_notifications(app: Flask) -> None:
    """One delivery pass of the outbox (inbox, email, due digests); errors are logged, never raised."""
    refresh_definitions(app)
    try:
        deliver_pending(app.extensions["presscase"])
    except Exception:  # noqa: BLE001 - a failed pass must not stop the next one
        log.exception("notification delivery failed")


def refresh_workday_index(app: Flask) -> None:
    """Build the working-day index ahead for the configured report years (and rebuild it after a calendar
    change), so a report only reads it; errors are logged, never raised."""
    try:
        ensure(app.extensions["presscase"], app_report_years(app))
    except Exception:  # noqa: BLE001 - a failed pass must not stop the next one
        log.exception("working-day index refresh failed")


def forget_retry_keys(app: Flask) -> None:
    """Delete retry keys older than IDEMPOTENCY_HOURS; errors are logged, never raised."""
    try:
        deleted = purge_retry_keys(app.extensions["presscase"], float(app.config.get("IDEMPOTENCY_HOURS") or DEFAULT_HOURS))
        if deleted:
            log.info("retry keys: deleted %d past their hours", deleted)
    except Exception:  # noqa: BLE001 - a failed pass must not stop the next one
        log.exception("retry key deletion failed")


JOBS: list[ScheduledJob] = [
    ScheduledJob("sweep_timers", sweep_timers, "SCHEDULER_INTERVAL_S", 30.0),
    ScheduledJob("deliver_notifications", deliver_notifications, "NOTIFY_INTERVAL_S", 30.0),
    ScheduledJob("refresh_workday_index", refresh_workday_index, "WORKDAY_INDEX_INTERVAL_S", 3600.0),
    ScheduledJob("forget_retry_keys", forget_retry_keys, "IDEMPOTENCY_PURGE_INTERVAL_S", 3600.0),
]


def build_scheduler(app: Flask, scheduler_cls: type[BaseScheduler] = BlockingScheduler,
                    jobs: list[ScheduledJob] | None = None) -> BaseScheduler:  # fmt: skip
    scheduler = scheduler_cls(
        timezone="UTC",
        job_defaults={"coalesce": True, "max_instances": 1, "misfire_grace_time": None},
    )  # the default memory job store: never shared between processes
    for job in jobs if jobs is not None else JOBS:
        scheduler.add_job(job.run, "interval", seconds=job.interval(app), args=[app], id=job.name, name=job.name,
                          next_run_time=_now_utc())  # fmt: skip
    return scheduler


def _now_utc() -> Any:
    from datetime import UTC, datetime

    return datetime.now(UTC)


def run_blocking(app: Flask) -> None:
    """`presscase scheduler`: run until interrupted, once this process holds its database's scheduler lock.

    Without the lock it waits as a standby, trying again every SCHEDULER_STANDBY_S seconds (the
    holder may die), and says so in its log.
    """
    standby_s = float(app.config.get("SCHEDULER_STANDBY_S") or 30.0)
    lock = runner_lock(app)
    if not lock.acquire():
        log.warning("another process runs the scheduler for this database (%s); waiting as a standby", lock.where)
        while not lock.acquire():
            time.sleep(standby_s)
    log.info("scheduler started for this database (%s)", lock.where)
    build_scheduler(app, BlockingScheduler).start()


_in_process: BackgroundScheduler | None = None
_lock: RunnerLock | None = None


def _in_serving_process() -> bool:
    """A WSGI server's worker (no command line at all) or `presscase run` (which builds the app in its own command).

    Every other command builds the app while the `presscase` group resolves it (`demo`, `user`, ...).
    """
    ctx = click.get_current_context(silent=True)
    return ctx is None or ctx.command.name == "run"


def should_start_in_process(app: Flask) -> bool:
    """Only when asked (RUN_SCHEDULER_IN_WEB), only in a serving process, never under tests.

    A serving process is a WSGI server's worker or `presscase run` (in debug, only the reloader's
    child). Every other command builds the app too: with PRESSCASE_WEB_SCHEDULER set in the
    environment, `presscase db upgrade` would otherwise sweep a schema it is still creating, and a
    short `presscase user add` would take the database's scheduler lock from the web server.
    """
    if app.testing or app.config.get("TESTING") or not app.config.get("RUN_SCHEDULER_IN_WEB"):
        return False
    if not _in_serving_process():
        return False
    return not app.debug or os.environ.get("WERKZEUG_RUN_MAIN") == "true"


def runner_lock(app: Flask) -> RunnerLock:
    """This process's claim on its database's one scheduler (web/runner_lock.py)."""
    global _lock
    if _lock is None or _lock.engine is not app.extensions["presscase"].engine:
        _lock = RunnerLock(app.extensions["presscase"].engine)
    return _lock


def start_in_process(app: Flask) -> BackgroundScheduler | None:
    """Start a background scheduler inside the web process if the guards allow; returns it, or None."""
    global _in_process
    if _in_process is not None or not should_start_in_process(app):
        return None
    lock = runner_lock(app)
    if not lock.acquire():
        log.warning("scheduler not started in this process: another process runs it for this database (%s)", lock.where)
        return None
    scheduler = build_scheduler(app, BackgroundScheduler)
    scheduler.start()
    _in_process = scheduler
    atexit.register(lambda: scheduler.shutdown(wait=False))
    log.info("in-process scheduler started for this database (%s): sweep every %ss", lock.where, JOBS[0].interval(app))
    return scheduler
