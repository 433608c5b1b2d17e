"""`presscase report`: the periodic report as a file (CSV, XLSX, DOCX), from the command line or cron.

    presscase report --period 2026 --format docx --layout party --out bao-cao-2026.docx
    presscase report --period 2026-Q1 --unit VHTT --format xlsx --out vhtt-q1.xlsx
    presscase report --period 2026 --workflow correction_request --format csv --out yeu-cau-cai-chinh.csv

The same code as the web page's downloads (engine.read.reporting + web.exports); a progress bar
follows the case list, which is the only part that grows with the district.
"""

from __future__ import annotations

import sys
from dataclasses import replace
from pathlib import Path

import click
from flask import current_app
from flask.cli import with_appcontext
from sqlalchemy import select

from engine.org.actors import Actor
from engine.read.figures import Scope, reporting_workflows
from engine.read.reporting import build, iter_cases
from engine.store.models import Unit
from engine.time.periods import PeriodError, PeriodOutOfRange, parse_period
from engine.time.workday_index import ensure
from web.cli.common import runtime
from web.exports.document import DOCX_CASE_LIMIT, build_docx
from web.exports.settings import LAYOUTS, PARTY, STATE, LayoutSettings, ReportSettings, load_settings
from web.exports.tabular import write_csv, write_xlsx
from web.report_years import app_report_years

FORMATS = ("csv", "xlsx", "docx")


def unit_layout(settings: ReportSettings, layout: str, unit: Unit | None, parent: Unit | None) -> LayoutSettings:
    """A unit's own report names the unit (and its parent body) in the State layout's head."""
    s = settings.layout(layout)
    if unit is None or layout != STATE:
        return s
    return replace(s, issuing_body=unit.name.upper(), parent_body=parent.name.upper() if parent else "")


@click.command("report")
@click.option("--period", "period_text", required=True,
              help="2026, 2026-Q1, 2026-H1, 2026-03 or 2026-01-01..2026-03-31 (calendar periods, Hà Nội time).")
@click.option("--workflow", default=None,
              help="The workflow reported on (one whose definition has [reporting]); default: the first by its position.")
@click.option("--unit", "unit_code", default=None, help="A unit code: only the cases it holds or handled (default: district).")
@click.option("--format", "fmt", type=click.Choice(FORMATS), required=True)
@click.option("--layout", type=click.Choice(LAYOUTS), default=PARTY, show_default=True,
              help="DOCX only: state (Decree 30/2020/NĐ-CP) or party (Party Central Office guidance).")
@click.option("--number", default="", help="DOCX only: the document number, when the clerk has given one.")
@click.option("--out", "out_path", required=True, type=click.Path(dir_okay=False, writable=True, path_type=Path))
@click.option("--name-filers", is_flag=True, default=False,
              help="Name the filing unit of confidential reports (only for readers the definition lets know them, "
                   "such as the Standing Committee); by default they are shown as the kind of unit only.")
@with_appcontext
def report_command(period_text: str, workflow: str | None, unit_code: str | None, fmt: str, layout: str, number: str,
                   out_path: Path, name_filers: bool) -> None:  # fmt: skip
    """Write the periodic report for a period and scope to a file."""
    viewer = Actor.system() if name_filers else None  # None: the projection's reader who knows no confidential filer
    settings = load_settings(current_app.instance_path)
    years = app_report_years(current_app._get_current_object())  # type: ignore[attr-defined]
    try:
        period = parse_period(period_text, settings.period_start_day, years)
    except PeriodOutOfRange as err:
        raise click.BadParameter(f"{err} (set PRESSCASE_REPORT_FIRST_YEAR / PRESSCASE_REPORT_LAST_YEAR to widen)",
                                 param_hint="--period") from err  # fmt: skip
    except PeriodError as err:
        raise click.BadParameter(str(err), param_hint="--period") from err
    rt = runtime()
    known = [d.name for d in reporting_workflows(rt.registry)]
    if workflow is not None and workflow not in known:
        raise click.BadParameter(f"no workflow {workflow!r} with figures (known: {', '.join(known)})", param_hint="--workflow")
    ensure(rt, years)
    with rt.read_session() as s:
        unit = parent = None
        if unit_code:
            unit = s.scalar(select(Unit).where(Unit.code == unit_code))
            if unit is None:
                raise click.BadParameter(f"no unit with code {unit_code!r}", param_hint="--unit")
            parent = s.get(Unit, unit.parent_id) if unit.parent_id else None
        scope = Scope(workflow, unit.id if unit else None).resolved(rt.registry)
        click.echo(f"Computing the figures for {period.label_en()} ({period.range_text()}), "
                   f"{unit.name if unit else 'whole district'}...", err=True)  # fmt: skip
        report = build(s, rt.registry, rt.calendar, rt.clock, period, scope, "vi", case_limit=0, viewer=viewer)
        total = report.cases_total if fmt != "docx" else min(report.cases_total, DOCX_CASE_LIMIT)
        limit = DOCX_CASE_LIMIT if fmt == "docx" else None
        cases = iter_cases(s, rt.registry, period, scope, "vi", limit, viewer=viewer)
        with click.progressbar(length=total, label=f"Writing {total} cases", file=sys.stderr) as bar:
            tick = lambda: bar.update(1)  # noqa: E731 - the exports call it once per case
            if fmt == "csv":
                with out_path.open("w", encoding="utf-8", newline="") as fh:
                    write_csv(report, cases, fh, tick)
            elif fmt == "xlsx":
                write_xlsx(report, cases, str(out_path), tick)
            else:
                s_layout = unit_layout(settings, layout, unit, parent)
                if number:
                    s_layout = replace(s_layout, number=number)
                listed = []
                for c in cases:
                    listed.append(c)
                    tick()
                build_docx(report, listed, layout, settings, s_layout).save(str(out_path))
    f = report.figures
    click.echo(f"{out_path}: opened {f.opened}, handled {f.handled}, published {f.published}, "
               f"{report.cases_total} cases listed", err=True)  # fmt: skip
