"""`hardenify report`: a fleet report (HTML, Markdown, JSON) over many repositories."""

from __future__ import annotations

import sys
from pathlib import Path

import click

from hardenify.commands._common import EXIT_ERROR, EXIT_OK, rule_options

FORMATS = ("html", "md", "json")


def _formats(ctx: click.Context, param: click.Parameter, value: str) -> tuple[str, ...]:
    out = tuple(dict.fromkeys(v.strip().lower() for v in value.split(",") if v.strip()))
    bad = [v for v in out if v not in FORMATS]
    if bad or not out:
        raise click.BadParameter(
            f"{', '.join(bad) or value!r}: choose from {', '.join(FORMATS)} (comma-separated)"
        )
    return out


@click.command("report", context_settings={"help_option_names": ["-h", "--help"], "max_content_width": 100})
@click.argument("paths", nargs=-1, type=click.Path(exists=True, file_okay=False, path_type=Path))
@click.option(
    "-o",
    "--output-dir",
    type=click.Path(file_okay=False, path_type=Path),
    default=Path("hardenify-report"),
    show_default=True,
    help="Where to write hardenify-report.{html,md,json}.",
)
@click.option(
    "--format",
    "formats",
    default="html,md,json",
    show_default=True,
    callback=_formats,
    help="Comma-separated: html, md, json.",
)
@click.option(
    "--baseline",
    type=click.Path(dir_okay=False, path_type=Path),
    help="A JSON report from an earlier run: adds before/after counts (e.g. before and after a fix).",
)
@click.option("--title", default="hardenify fleet report", show_default=True, help="The report's heading.")
@rule_options
@click.option(
    "-j", "--jobs", type=click.IntRange(min=1), default=None, help="Worker processes (default: CPU cores)."
)
def command(
    paths: tuple[Path, ...],
    output_dir: Path,
    formats: tuple[str, ...],
    baseline: Path | None,
    title: str,
    select: tuple[str, ...] | None,
    ignore: tuple[str, ...] | None,
    extend_select: tuple[str, ...] | None,
    config_file: Path | None,
    jobs: int | None,
) -> None:
    """Write a fleet report: findings by repository and by rule, with a chart of the top rules.

    Each PATH is a repository (or any directory); a directory whose children are git
    clones stands for those clones. The HTML file is self-contained (inline CSS and SVG,
    no script), so it can be mailed or attached to a CI run; secrets are redacted and
    every path and message is escaped. The JSON file is the --baseline of a later run.

    \b
    Examples:
      hardenify report ~/src/org                        # every clone under ~/src/org
      hardenify report ~/src/org -o before --format json
      hardenify bulk --repos-dir ~/src/org
      hardenify report ~/src/org --baseline before/hardenify-report.json

    \b
    Exit codes: 0 report written (findings are the report's content, not a failure);
    2 a path, baseline, config or output file could not be used.
    """
    from hardenify.bulk.report import html, markdown
    from hardenify.bulk.report.model import BaselineError, Fleet, collect, load_baseline
    from hardenify.config import ConfigError
    from hardenify.writeback import atomic_write

    if not paths:
        raise click.UsageError("give at least one repository or directory")
    base = None
    if baseline is not None:
        try:
            base = load_baseline(baseline)
        except BaselineError as e:
            click.echo(f"hardenify: error: --baseline: {e}", err=True)
            sys.exit(EXIT_ERROR)
    try:
        repos = collect(
            list(paths),
            select=select,
            ignore=ignore or (),
            extend_select=extend_select or (),
            config_file=config_file,
            jobs=jobs,
            progress=True,
        )
    except ConfigError as e:
        click.echo(f"hardenify: error: {e}", err=True)
        sys.exit(EXIT_ERROR)
    fleet = Fleet(repos=repos, title=title, baseline=base)
    renderers = {"html": html.render, "md": markdown.render, "json": Fleet.to_json}
    try:
        output_dir.mkdir(parents=True, exist_ok=True)
        for fmt in formats:
            target = output_dir / f"hardenify-report.{fmt}"
            atomic_write(target, renderers[fmt](fleet))
            click.echo(str(target))
    except OSError as e:
        click.echo(f"hardenify: error: cannot write the report to {output_dir}: {e.strerror or e}", err=True)
        sys.exit(EXIT_ERROR)
    click.echo(
        f"{len(fleet.repos)} repositories, {fleet.files} files, {fleet.total} findings"
        + (f" (before: {base.total})" if base else "")
        + ".",
        err=True,
    )
    sys.exit(EXIT_OK)
