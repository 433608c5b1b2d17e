"""`presscase scheduler`, `presscase sweep --once`, `presscase timers`: the timers from the command line."""

from __future__ import annotations

import logging

import click
from flask import current_app
from flask.cli import with_appcontext

from engine.cases import timers
from engine.jobs.sweep import DEFAULT_BATCH, DEFAULT_LEASE_S, sweep
from engine.time.clock import LOCAL_TZ
from web.cli.common import cli_operator, engine_errors, runtime


@click.command("scheduler")
@with_appcontext
def scheduler_command() -> None:
    """Run the scheduler in this process: it wakes the timer sweep every SCHEDULER_INTERVAL_S seconds."""
    from web.scheduler import JOBS, run_blocking

    app = current_app._get_current_object()  # type: ignore[attr-defined]
    if not logging.getLogger().handlers:  # a long-running process: its log says whether it holds the lock
        logging.basicConfig(level=logging.INFO, format="%(asctime)s %(levelname)s %(name)s: %(message)s")
    click.echo("scheduler: " + ", ".join(f"{j.name} every {j.interval(app):g}s" for j in JOBS) + " (Ctrl-C stops)")
    run_blocking(app)


@click.command("sweep")
@click.option("--once", is_flag=True, default=True, help="run one sweep and exit (the only mode; `scheduler` repeats it)")
@click.option("--batch-size", default=DEFAULT_BATCH, show_default=True)
@click.option("--lease", "lease_s", default=DEFAULT_LEASE_S, show_default=True, help="seconds a claim is held")
@with_appcontext
@engine_errors
def sweep_command(once: bool, batch_size: int, lease_s: float) -> None:
    """Fire every timer that is due now (exactly once, whatever else is sweeping)."""
    report = sweep(runtime(), batch_size=batch_size, lease_s=lease_s)
    click.echo(f"claimed {report.claimed}, fired {report.fired}, moot {report.moot}, "
               f"released {report.released}, failed {report.failed} in {report.batches} batches")  # fmt: skip
    for err in report.errors:
        click.echo(f"error: {err}", err=True)


@click.command("timers")
@click.option("--limit", default=20, show_default=True)
@click.option("--failed", "show_failed", is_flag=True, help="list the timers given up on (retry: /admin/timers or --retry)")
@click.option("--retry", "retry_id", type=int, default=None, help="make the failed timer with this id pending again")
@with_appcontext
def timers_command(limit: int, show_failed: bool, retry_id: int | None) -> None:
    """List the pending timers that fall due next (local time, Asia/Ho_Chi_Minh), or the failed ones."""
    rt = runtime()
    now = rt.clock.now()
    if retry_id is not None:
        with rt.uow() as uow:
            ok = timers.retry(uow.session, retry_id, now, by=cli_operator())
            uow.commit()
        if not ok:
            raise click.ClickException(f"timer {retry_id} is not failed")
        click.echo(f"timer {retry_id} will fire at the next sweep")
        return
    with rt.read_session() as s:
        rows = timers.failed(s, limit) if show_failed else timers.next_due(s, limit)
    if not rows:
        click.echo("no failed timers" if show_failed else "no pending timers")
        return
    for r in rows:
        due = r.due_at.astimezone(LOCAL_TZ).strftime("%Y-%m-%d %H:%M")
        kind = r.kind + (f" {r.level}" if r.level is not None else "")
        if show_failed:
            click.echo(f"#{r.id:<6} {due}  {r.reference:<16} {kind:<22} {r.state or '(case)':<14} "
                       f"{r.attempts} attempts: {r.last_error or ''}")  # fmt: skip
            continue
        flag = "DUE " if r.due_at <= now else "    "
        claim = f"  claimed by {r.claimed_by}" if r.claimed_by else ""
        retry = ""
        if r.next_attempt_at is not None and r.next_attempt_at > now:
            at = r.next_attempt_at.astimezone(LOCAL_TZ).strftime("%H:%M:%S")
            retry = f"  retry at {at} (attempt {r.attempts}: {r.last_error or ''})"
        click.echo(f"{flag}{due}  {r.reference:<16} {kind:<22} {r.state or '(case)':<14}{claim}{retry}")
