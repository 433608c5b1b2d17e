"""`presscase audit verify|anchor|rekey`: check the history against itself, its case rows and an anchor."""

from __future__ import annotations

from pathlib import Path

import click
from flask.cli import with_appcontext
from sqlalchemy import select

from engine.audit import accounts as audit_accounts
from engine.audit import log as audit_log
from engine.audit.anchor import AnchorError, anchor_time, load_anchor, make_anchor, write_anchor
from engine.audit.key import key_id
from engine.audit.verify import verify_database
from engine.cases.history import UNCONFIGURED_KEY, rekey_legacy
from engine.store.audit_models import AuditEvent
from web.cli.common import cli_operator, runtime

REKEY = "audit.rekey"


@click.group()
def audit() -> None:
    """Tamper-evident history: case chains, case rows, evidence and the administration log."""


@audit.command("verify")
@click.option("--anchor", "anchor_path", type=click.Path(dir_okay=False, exists=True, path_type=Path),
              help="an anchor written by 'presscase audit anchor'; also find truncation and deleted cases")
@with_appcontext
def audit_verify(anchor_path: Path | None) -> None:
    """Print one line per problem (case reference, event number, what differs); exit status 1 if any."""
    rt = runtime()
    if rt.audit_key == UNCONFIGURED_KEY:
        click.echo("warning: no audit key configured; chains are keyed with a public default", err=True)
    try:
        anchor = load_anchor(anchor_path, rt.audit_key) if anchor_path else None
    except AnchorError as err:
        click.echo(f"PROBLEM anchor: {err}")
        raise SystemExit(1) from err
    with rt.read_session() as s:
        report = verify_database(s, rt.registry, rt.calendar, anchor)
    for p in report.problems:
        click.echo(f"PROBLEM {p.line()}")
    changed_first = sum(1 for p in report.problems
                        if p.case_id is not None and p.seq == 1 and p.problem.startswith("content was changed"))
    if report.cases and changed_first == report.cases:
        click.echo(f"hint: every chain fails at its first event; is {key_id(rt.audit_key)} (this installation's audit "
                   f"key id) the key the database was written with? See PRESSCASE_AUDIT_KEY.", err=True)  # fmt: skip
    summary = f"checked {report.cases} cases, {report.events} events and the audit log"
    if anchor is not None:
        summary += f" against the anchor of {anchor_time(anchor)}"
    click.echo(f"{summary}: {'no problems' if not report.problems else f'{len(report.problems)} problems'}")
    if report.problems:
        raise SystemExit(1)


@audit.command("anchor")
@click.option("--out", "out", required=True, type=click.Path(dir_okay=False, path_type=Path),
              help="where to write it; keep the file off this machine (another host, removable media)")
@with_appcontext
def audit_anchor(out: Path) -> None:
    """Write a signed checkpoint of every chain head, the count of cases and the audit log's head."""
    rt = runtime()
    with rt.read_session() as s:
        anchor = make_anchor(s, rt.clock.now())
    write_anchor(out, anchor)
    click.echo(f"anchored {anchor['cases']} cases and audit log event {anchor['audit_log'][0]} "
               f"(key id {key_id(rt.audit_key)}) in {out}")  # fmt: skip


@audit.command("rekey")
@with_appcontext
def audit_rekey() -> None:
    """Re-sign chains written before they were keyed (each only if it still verifies as written)."""
    n, refused = rekey_chains(cli_operator())
    click.echo(f"re-signed {n} unkeyed chains")
    for ref in refused:
        click.echo(f"PROBLEM {ref}: its unkeyed chain is broken; left as it is")
    if refused:
        raise SystemExit(1)


def rekey_chains(by: audit_log.Operator, *, once: bool = False) -> tuple[int, list[str]]:
    """One transaction: the chains re-signed, and an audit event saying how many and which were refused.

    With `once` (what `db upgrade` asks), nothing is done when the log shows it was done before:
    walking every chain on each upgrade would cost a large database minutes for nothing.
    """
    rt = runtime()
    with rt.uow() as uow:
        if once and uow.session.scalar(select(AuditEvent.id).where(AuditEvent.action == REKEY).limit(1)) is not None:
            return 0, []
        n, refused = rekey_legacy(uow.session)
        audit_log.record(uow.session, by, REKEY, "case chains", {"rekeyed": n, "refused": refused[:100]},
                         rt.clock.now())
        if once:  # the first upgrade to a recorded administration: the accounts as they are become its start
            accounts = audit_accounts.baseline(uow.session)
            if accounts["users"]:
                audit_log.record(uow.session, by, audit_accounts.BASELINE, "accounts", accounts, rt.clock.now())
        uow.commit()
    return n, refused
