"""`hardenify check`: report findings (ruff's flags, formats and exit codes)."""

from __future__ import annotations

import sys
from pathlib import Path

import click

from hardenify.commands._common import (
    EXIT_ERROR,
    EXIT_FINDINGS,
    EXIT_OK,
    plan_or_exit,
    rule_options,
    run_options,
    use_color,
)

FORMATS = ["text", "concise", "json", "sarif", "github", "gitlab"]


@click.command("check", context_settings={"help_option_names": ["-h", "--help"], "max_content_width": 100})
@click.argument("paths", nargs=-1, type=click.Path(path_type=str, readable=False))
@rule_options
@run_options
@click.option(
    "--output-format",
    type=click.Choice(FORMATS),
    envvar="HARDENIFY_OUTPUT_FORMAT",
    default="text",
    show_default=True,
    help="text/concise for people, json/sarif/gitlab for tools, github for Actions annotations.",
)
@click.option(
    "-o", "--output-file", type=click.Path(dir_okay=False, path_type=Path), help="Write the report here."
)
@click.option("--exit-zero", is_flag=True, help="Exit 0 even when there are findings.")
@click.option(
    "--statistics",
    is_flag=True,
    help="Count findings per rule (most frequent first) instead of listing them.",
)
@click.option(
    "--unsafe-fixes/--no-unsafe-fixes",
    default=None,
    help="Show unsafe fixes as available ([*]) in the output; with --fix, apply them too.",
)
@click.option(
    "--fix", is_flag=True, help="Apply the safe fixes (as `hardenify fix`), then report what remains."
)
@click.option("--fix-only", is_flag=True, help="Apply fixes but do not report what remains (implies --fix).")
@click.option(
    "--diff",
    is_flag=True,
    help="Write nothing; print the fixes as a diff, exit 1 if any (implies --fix-only).",
)
@click.option("--show-fixes", is_flag=True, help="With --fix: list the fixes applied in each file.")
@click.option(
    "--no-cache",
    is_flag=True,
    envvar="HARDENIFY_NO_CACHE",
    help="Analyse every file again instead of reusing the results of unchanged files.",
)
@click.pass_context
def command(
    ctx: click.Context,
    paths: tuple[str, ...],
    select: tuple[str, ...] | None,
    ignore: tuple[str, ...] | None,
    extend_select: tuple[str, ...] | None,
    config_file: Path | None,
    color: str,
    quiet: bool,
    jobs: int | None,
    stdin_filename: str | None,
    force_exclude: bool,
    respect_gitignore: bool | None,
    output_format: str,
    output_file: Path | None,
    exit_zero: bool,
    statistics: bool,
    unsafe_fixes: bool | None,
    fix: bool,
    fix_only: bool,
    diff: bool,
    show_fixes: bool,
    no_cache: bool,
) -> None:
    """Report findings in Dockerfiles, .dockerignore and compose files.

    PATHS are files or directories (default: the current directory); directories are
    searched for Dockerfile, Dockerfile.*, *.Dockerfile, Containerfile, .dockerignore and
    compose files, honouring .gitignore. Use `-` to read stdin (with --stdin-filename).

    \b
    Examples:
      hardenify check .
      hardenify check --select HF1,HF3 --output-format concise services/
      hardenify check --output-format sarif -o hardenify.sarif .
      cat Dockerfile | hardenify check - --stdin-filename api/Dockerfile
      hardenify check --fix --show-fixes .          # fix what is safe, report the rest
      hardenify check --diff .

    Results of unchanged files are reused from a cache (in the user's cache directory, or
    HARDENIFY_CACHE_DIR); --no-cache analyses everything again.

    \b
    Exit codes: 0 no findings, 1 findings (or changes with --diff), 2 a path, file or config
    could not be used.
    """
    from hardenify.engine import fails
    from hardenify.reporters import render
    from hardenify.runner import Progress, run_all

    if fix or fix_only or diff:
        code = _fix_first(ctx, diff=diff, show_fixes=show_fixes)
        if code == EXIT_ERROR or diff or fix_only or "-" in paths:
            sys.exit(code)

    p = plan_or_exit(
        paths,
        mode="check",
        select=select,
        ignore=ignore,
        extend_select=extend_select,
        config_file=config_file,
        unsafe_fixes=unsafe_fixes,
        stdin_filename=stdin_filename,
        respect_gitignore=respect_gitignore,
        force_exclude=force_exclude,
    )
    progress = Progress(len(p.tasks), "checking ")
    if no_cache or not p.tasks:
        outcomes = run_all(p.tasks, jobs, progress)
    else:
        from hardenify.cache import run_cached

        outcomes = run_cached(p.tasks, jobs, progress)
    for path, msg in p.errors:
        click.echo(f"hardenify: error: {path}: {msg}", err=True)
    machine = output_format not in ("text", "concise")
    if machine:
        for o in outcomes:
            if o.error:
                click.echo(f"hardenify: error: {o.redactor(o.filename)}: {o.redactor(o.error)}", err=True)
    if quiet and not machine:
        # findings only: drop files that produced nothing
        shown = [o for o in outcomes if o.diagnostics or o.error]
    else:
        shown = outcomes
    stream_color = use_color(color) and output_file is None
    text = render(
        shown,
        output_format,
        color=stream_color,
        statistics=statistics,
        unsafe_fixes=bool(unsafe_fixes),
        quiet=quiet,
    )
    if output_file is not None:
        from hardenify.writeback import atomic_write

        try:
            atomic_write(output_file, text)
        except OSError as e:
            click.echo(f"hardenify: error: cannot write {output_file}: {e.strerror or e}", err=True)
            sys.exit(EXIT_ERROR)
    elif text:
        click.echo(text, nl=not text.endswith("\n"))
    if p.errors or any(o.error for o in outcomes):
        sys.exit(EXIT_ERROR)
    failing = any(fails(d, t.settings) for o, t in zip(outcomes, p.tasks, strict=True) for d in o.diagnostics)
    sys.exit(EXIT_FINDINGS if failing and not exit_zero else EXIT_OK)


def _fix_first(ctx: click.Context, *, diff: bool, show_fixes: bool) -> int:
    """`check --fix/--fix-only/--diff`: run `hardenify fix` with this command's options (its
    machinery, not a copy of it) and return its exit code."""
    from hardenify.commands.fix import command as fix_command

    shared = (
        "paths",
        "select",
        "ignore",
        "extend_select",
        "config_file",
        "color",
        "quiet",
        "jobs",
        "stdin_filename",
        "force_exclude",
        "respect_gitignore",
        "unsafe_fixes",
    )
    try:
        ctx.invoke(fix_command, **{k: ctx.params[k] for k in shared}, diff=diff, show_fixes=show_fixes)
    except SystemExit as e:
        return e.code if isinstance(e.code, int) else EXIT_ERROR
    return EXIT_OK
