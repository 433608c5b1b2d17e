"""`presscase workflow list|load|diagram`."""

from __future__ import annotations

from pathlib import Path

import click
from flask.cli import with_appcontext

from engine.cases.machine import mermaid
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
