"""`presscase workflow list|load|diagram|migrate`."""

from __future__ import annotations

from datetime import datetime
from pathlib import Path

import click
from flask.cli import with_appcontext

from engine.cases import migration
from engine.cases.machine import mermaid
from engine.time.clock import LOCAL_TZ
from web.cli.common import cli_operator, engine_errors, runtime
from web.diagram import workflow_svg


@click.group()
def workflow() -> None:
    """Workflow definitions."""


@workflow.command("list")
@with_appcontext
def workflow_list() -> None:
    """Every loaded definition version."""
    for d in runtime().registry.all():
        click.echo(f"{d.name:<20} v{d.version:<4} {len(d.states)} states, {len(d.transitions)} transitions  {d.label_vi}")


@workflow.command("load")
@click.option("--dir", "directory", type=click.Path(file_okay=False, exists=True, path_type=Path),
              help="the folder of definition files (default: workflows/)")
@with_appcontext
@engine_errors
def workflow_load(directory: Path | None) -> None:
    """Validate the definition files and record new versions (a changed file needs a new version).

    Running web and scheduler processes pick the new versions up within PRESSCASE_REGISTRY_CHECK_S seconds.
    """
    recorded = runtime().load_definitions(str(directory) if directory else None, by=cli_operator())
    click.echo("\n".join(f"loaded {n}" for n in recorded) or "nothing new")


@workflow.command("diagram")
@click.argument("name")
@click.option("--version", "version", type=int, help="default: the newest")
@click.option("--format", "fmt", type=click.Choice(["mermaid", "svg"]), default=None,
              help="default: from --out's suffix, else mermaid")
@click.option("--out", type=click.Path(dir_okay=False, path_type=Path), help="default: standard output")
@click.option("--lang", type=click.Choice(["vi", "en"]), default="vi")
@with_appcontext
@engine_errors
def workflow_diagram(name: str, version: int | None, fmt: str | None, out: Path | None, lang: str) -> None:
    """Draw a definition's states and transitions (Mermaid text, or SVG drawn as on the case page)."""
    reg = runtime().registry
    defn = reg.get(name, version) if version else reg.latest(name)
    text = mermaid(defn, lang=lang)
    fmt = fmt or ("svg" if out and out.suffix == ".svg" else "mermaid")
    if fmt == "mermaid":
        if out:
            out.write_text(text, encoding="utf-8")
        else:
            click.echo(text, nl=False)
        return
    svg = '<?xml version="1.0" encoding="UTF-8"?>\n' + str(workflow_svg(defn, None, lang)) + "\n"
    if out:
        out.write_text(svg, encoding="utf-8")
    else:
        click.echo(svg, nl=False)


def _when(at: datetime | None) -> str:
    return at.astimezone(LOCAL_TZ).strftime("%Y-%m-%d %H:%M") if at is not None else "none"


@workflow.command("migrate")
@click.argument("name")
@click.option("--to", "to_version", type=click.IntRange(min=1), required=True, help="the loaded version to move open cases to")
@click.option("--dry-run", is_flag=True, help="print what would change per case; write nothing")
@with_appcontext
@engine_errors
def workflow_migrate(name: str, to_version: int, dry_run: bool) -> None:
    """Move the open cases of NAME under older versions to version --to, by the new file's [migration.from_N] states.

    Refuses, writing nothing, when an open case's state has no mapping (exit 1). Each case moves in
    its own transaction; one changed meanwhile is skipped and reported (exit 3: run it again).
    """
    rt = runtime()
    the_plan = migration.plan(rt, name, to_version)
    if the_plan.refusals:
        click.echo(f"error: {len(the_plan.refusals)} open case(s) of {name} cannot move to version {to_version}; "
                   f"nothing was changed:", err=True)  # fmt: skip
        for r in the_plan.refusals:
            click.echo(f"  {r.reference}  v{r.from_version} {r.state}: {r.why}", err=True)
        raise SystemExit(1)
    if not the_plan.moves:
        click.echo(f"no open case of {name} is under a version older than {to_version}")
        return
    if dry_run:
        for m in the_plan.moves:
            click.echo(_line(m, to_version))
        click.echo(f"dry run: {len(the_plan.moves)} case(s) would move to {name} v{to_version}; nothing was written")
        return

    def progress(m: migration.Move, skipped: str | None) -> None:
        click.echo(f"skipped {m.reference}: {skipped}" if skipped else f"moved {_line(m, to_version)}")

    result = migration.run(rt, the_plan, cli_operator(), progress)
    click.echo(f"{len(result.moved)} case(s) moved to {name} v{to_version}, {len(result.skipped)} skipped")
    if result.skipped:
        raise SystemExit(3)


def _line(m: migration.Move, to_version: int) -> str:
    return (f"{m.reference}  v{m.from_version} {m.from_state} -> v{to_version} {m.to_state}  "
            f"deadline {_when(m.old_deadline)} -> {_when(m.new_deadline)}")
