"""`presscase notify`: deliver the outbox (inbox items and email) by hand or in a loop; the scheduler's job.

`presscase notify --once` runs one pass and exits (cron, or after fixing the mail server);
without `--once` it repeats every `--interval` seconds. The scheduler process runs the same pass
as one of its jobs (web/scheduler.py).
"""

from __future__ import annotations

import logging
import time

import click
from flask.cli import with_appcontext

from notifications import failures
from notifications.email import MailConfig
from notifications.worker import deliver_pending
from web.cli.common import cli_operator, engine_errors, runtime

log = logging.getLogger(__name__)


@click.command("notify")
@click.option("--once", is_flag=True, help="one pass, then exit")
@click.option("--interval", default=30.0, show_default=True, help="seconds between passes without --once")
@click.option("--no-digests", is_flag=True, help="leave the daily digests for another pass")
@click.option("--retry-failed", is_flag=True, help="first give every failed message a fresh set of attempts")
@with_appcontext
@engine_errors
def notify(once: bool, interval: float, no_digests: bool, retry_failed: bool) -> None:
    """Deliver pending notifications: inbox items and email (MAIL_SERVER, MAIL_PORT, ... from the environment)."""
    rt = runtime()
    mail = MailConfig.from_env()
    if not mail.enabled:
        click.echo("email is off (MAIL_SERVER is not set): delivering to the inbox only", err=True)
    if retry_failed:
        with rt.uow() as uow:
            click.echo(f"retrying {failures.retry_all(uow, rt.clock.now(), cli_operator())} failed messages")
    while True:
        report = deliver_pending(rt, mail=mail, digests=not no_digests)
        click.echo(report.summary())
        if once:
            return
        time.sleep(interval)
