"""`hardenify fix`: apply fixes in place, or show them as a diff."""

from __future__ import annotations

import sys
from collections.abc import Sequence
from dataclasses import replace
from pathlib import Path
from typing import TYPE_CHECKING

import click

from hardenify.commands._common import (
    EXIT_ERROR,
    EXIT_FINDINGS,
    EXIT_OK,
    display_name,
    plan_or_exit,
    prove_detail_options,
    rule_options,
    run_options,
    show_fixes_text,
    use_color,
)
from hardenify.outcome import FileOutcome
from hardenify.runner import Task

if TYPE_CHECKING:
    from hardenify.prove.docker import Docker
    from hardenify.prove.model import Proof


@click.command("fix", context_settings={"help_option_names": ["-h", "--help"], "max_content_width": 100})
@click.argument("paths", nargs=-1, type=click.Path(path_type=str, readable=False))
@rule_options
@run_options
@click.option(
    "--diff", is_flag=True, help="Write nothing; print a unified diff and exit 1 if anything would change."
)
@click.option(
    "--unsafe-fixes/--no-unsafe-fixes",
    default=None,
    help="Also apply fixes that can change behaviour (each rule's docs say why it is unsafe).",
)
@click.option("--exit-non-zero-on-fix", is_flag=True, help="Exit 1 when any file was changed.")
@click.option("--show-fixes", is_flag=True, help="List the fixes applied in each file, counted per rule.")
@click.option(
    "--split-stages",
    is_flag=True,
    help="Split single-stage images into build and runtime stages (HF413's unsafe fix) "
    "without enabling the other unsafe fixes.",
)
@click.option(
    "--repos",
    is_flag=True,
    help="PATHS are git repositories: same as `hardenify bulk PATHS` (--diff means --dry-run).",
)
@click.option(
    "--prove",
    is_flag=True,
    help="Build and run each changed Dockerfile before and after its fix (needs a Docker engine); "
    "a fix whose image fails where the original passed is reverted. This runs the project's build "
    "and image (no network, all capabilities dropped): use it where you would run its CI.",
)
@click.option(
    "--pin",
    is_flag=True,
    help="Also pin every image reference to its digest, as `hardenify pin` would (needs the registry; "
    "an image it cannot resolve keeps its tag and is reported).",
)
@prove_detail_options
def command(
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
    diff: bool,
    unsafe_fixes: bool | None,
    exit_non_zero_on_fix: bool,
    repos: bool,
    split_stages: bool,
    prove: bool = False,
    keep_unproven: bool = False,
    build_args: tuple[str, ...] = (),
    build_secrets: tuple[str, ...] = (),
    show_fixes: bool = False,
    pin: bool = False,
) -> None:
    """Fix findings in place, keeping every byte the fix does not mean to change.

    Safe fixes are applied by default; --unsafe-fixes adds the ones that can change how the
    image behaves (adding a USER, turning secret ARG/ENV into BuildKit secret mounts,
    removing EXPOSE 22, ...). A fixed file is written only when BuildKit's parser accepts
    it and a second pass would not change it again; otherwise it is left untouched and the
    reason is printed. Writes are atomic and keep the file's mode, owner, line endings
    and BOM; a read-only file, a file edited meanwhile or one with merge-conflict markers
    is left alone with one line saying why.

    \b
    Examples:
      hardenify fix --diff .                    # preview, exit 1 if anything would change
      hardenify fix .                           # apply safe fixes
      hardenify fix --unsafe-fixes --select HF101,HF3 Dockerfile
      hardenify fix --split-stages Dockerfile   # build and runtime stages only
      hardenify fix --pin .                     # fix, then pin images to digests (HF202, HF615)
      hardenify fix - < Dockerfile > Dockerfile.fixed

    \b
    Exit codes: 0 done (remaining findings are listed, not failures), 1 with --diff when
    something would change (or --exit-non-zero-on-fix when something changed), 2 a path,
    file or config could not be used.
    """
    from hardenify import writeback
    from hardenify.prove.docker import engine_or_exit
    from hardenify.reporters.diff import fix_summary, unified_diff
    from hardenify.runner import Progress, run_all

    engine = engine_or_exit() if prove else None
    if repos:
        from hardenify.commands.bulk import _prove_options, collect_repos, run_bulk

        sys.exit(
            run_bulk(
                collect_repos(paths, None, None),
                select=select,
                ignore=ignore,
                extend_select=extend_select,
                config_file=config_file,
                unsafe_fixes=bool(unsafe_fixes),
                dry_run=diff,
                jobs=jobs,
                quiet=quiet,
                prove=_prove_options(prove, keep_unproven, build_args, build_secrets),
                pin=pin,
            )
        )
    p = plan_or_exit(
        paths,
        mode="fix",
        select=select,
        ignore=ignore,
        extend_select=extend_select,
        config_file=config_file,
        unsafe_fixes=unsafe_fixes,
        stdin_filename=stdin_filename,
        respect_gitignore=respect_gitignore,
        force_exclude=force_exclude,
    )
    if split_stages:
        for t in p.tasks:
            t.settings = replace(
                t.settings,
                extend_select=(*t.settings.extend_select, "HF413"),
                unsafe_fixes_for=t.settings.unsafe_fixes_for | {"HF413"},
            )
    for path, msg in p.errors:
        click.echo(f"hardenify: error: {path}: {msg}", err=True)
    outcomes = run_all(p.tasks, jobs, Progress(len(p.tasks), "fixing "))
    errors = bool(p.errors)
    for o in outcomes:
        if o.error:
            errors = True
            click.echo(f"hardenify: error: {o.filename}: {o.redactor(o.error)}", err=True)

    stdin_mode = len(p.tasks) == 1 and p.tasks[0].path == "-"
    proofs = _prove(engine, outcomes, p.tasks, keep_unproven, build_args, build_secrets) if engine else []
    color_out = use_color(color)
    created = [] if stdin_mode else writeback.plan_companions(outcomes, p.tasks)  # may re-fix compose files
    if pin:  # last: it pins what the fixes and the compose rewiring wrote
        from hardenify.pinstep import pin_outcomes, registry_config

        for _, note in pin_outcomes(outcomes, registry_config()).notes:
            click.echo(f"hardenify: note: {note}", err=True)
    changed = [o for o in outcomes if o.changed]
    if stdin_mode:
        o = outcomes[0]
        if diff:
            if o.changed:
                click.echo(unified_diff(o, color=color_out, keep_cr=not color_out), nl=False)
        elif o.fixed_text is not None:
            sys.stdout.buffer.write(o.fixed_text.encode("utf-8", "surrogateescape"))
            sys.stdout.flush()
        elif o.original is not None:
            sys.stdout.buffer.write(o.original.encode("utf-8", "surrogateescape"))
    elif diff:
        for o in changed:
            click.echo(unified_diff(o, color=color_out, keep_cr=not color_out), nl=False)
        for nf in created:
            click.echo(_new_file_diff(nf.path, nf.content), nl=False)
    else:
        for nf in created:
            try:
                writeback.create(nf)
                click.echo(f"{display_name(nf.path)}: {nf.reason}", err=True)
            except OSError as e:
                click.echo(f"hardenify: error: cannot create {nf.path}: {e.strerror or e}", err=True)
                errors = True
        roots = writeback.roots_of(paths)
        for o, t in zip(outcomes, p.tasks, strict=True):
            if not o.changed or o.fixed_text is None:
                continue
            try:
                writeback.write_fix(t.path, roots, o.fixed_text, o.original)
            except OSError as e:
                o.refused = (
                    str(e) if isinstance(e, writeback.WriteRefused) else f"cannot write: {e.strerror or e}"
                )
                o.status = "failure"
                o.fixed.clear()
                errors = True
    if not quiet or any(o.refused for o in outcomes):
        summary = fix_summary(outcomes, unsafe_fixes=bool(unsafe_fixes), diff_mode=diff)
        if summary:
            click.echo(summary, err=True, nl=not summary.endswith("\n"))
        if not quiet:
            _print_secret_wiring(outcomes)
            _print_declined(outcomes)
    if show_fixes:
        click.echo(show_fixes_text(outcomes, diff_mode=diff), err=True, nl=False)
    if show_fixes or diff:
        _print_suggestions(outcomes)
    for proof in proofs:
        click.echo(proof.line(), err=True)
        if proof.log_excerpt and proof.verdict.value != "proven":
            click.echo("  " + proof.log_excerpt.replace("\n", "\n  "), err=True)
    if errors:
        sys.exit(EXIT_ERROR)
    if (changed or created) and (diff or exit_non_zero_on_fix):
        sys.exit(EXIT_FINDINGS)
    sys.exit(EXIT_OK)


def _prove(
    engine: Docker,
    outcomes: Sequence[FileOutcome],
    tasks: Sequence[Task],
    keep_unproven: bool,
    build_args: tuple[str, ...],
    build_secrets: tuple[str, ...],
) -> list[Proof]:
    """`--prove`: build and run each changed Dockerfile (`hardenify.prove`), reverting what fails."""
    from hardenify.prove.run import ProveOptions, prove_outcomes

    opts = ProveOptions(build_args=build_args, secrets=build_secrets, keep_unproven=keep_unproven)
    return prove_outcomes(engine, outcomes, tasks, opts)


def _new_file_diff(path: Path, content: str) -> str:
    lines = content.splitlines()
    head = f"--- /dev/null\n+++ b/{display_name(path)}\n@@ -0,0 +1,{len(lines)} @@\n"
    return head + "".join(f"+{line}\n" for line in lines)


def _print_suggestions(outcomes: Sequence[FileOutcome]) -> None:
    """Display-only fixes: shown with `--diff`/`--show-fixes`, never applied (not even unsafe)."""
    from hardenify.diagnostics import Applicability

    for o in outcomes:
        for d in sorted(o.diagnostics, key=lambda d: (d.location.row, d.location.column, d.code)):
            if d.fix is not None and d.fix.applicability is Applicability.DISPLAY_ONLY:
                what = o.redactor(d.fix.message or d.message)
                click.echo(
                    f"{o.filename}:{d.location.row}: {d.code} suggestion (not applied): {what}", err=True
                )


def _print_declined(outcomes: Sequence[FileOutcome]) -> None:
    """Say why a fix was not applied, and what an applied fix needs from the operator."""
    for o in outcomes:
        for d, why in o.declined():
            click.echo(f"{o.filename}:{d.location.row}: {d.code} left for a human: {why}", err=True)
        for a, action in o.actions():
            click.echo(f"{o.filename}:{a.row}: {a.code} action required before merge: {action}", err=True)


def _print_secret_wiring(outcomes: Sequence[FileOutcome]) -> None:
    """After secret fixes, say how to pass the secrets to `docker build`."""
    from hardenify.writeback import secret_wiring

    for filename, flags in secret_wiring(outcomes):
        click.echo(
            f"{filename}: build it with: docker build {' '.join(flags)} .  "
            "(and rotate any credential that was hard-coded)",
            err=True,
        )
