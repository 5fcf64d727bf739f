"""`hardenify bulk`: fix a fleet of git working copies, one branch, commit and PR body each."""

from __future__ import annotations

import sys
from collections.abc import Sequence
from pathlib import Path
from typing import TYPE_CHECKING

import click

from hardenify.commands._common import EXIT_ERROR, EXIT_FINDINGS, EXIT_OK, prove_detail_options, rule_options

if TYPE_CHECKING:
    from hardenify.prove.run import ProveOptions


def read_repos_file(path: Path) -> list[Path]:
    """One repository path a line; blank lines and `#` comments skipped, relative to the file."""
    try:
        text = path.read_text(encoding="utf-8")
    except OSError as e:
        raise click.UsageError(f"--repos-file {path}: {e.strerror or e}") from None
    except UnicodeDecodeError:
        raise click.UsageError(f"--repos-file {path}: not UTF-8 text") from None
    out = []
    for line in text.splitlines():
        line = line.strip()
        if not line or line.startswith("#"):
            continue
        p = Path(line).expanduser()
        out.append(p if p.is_absolute() else path.parent / p)
    return out


def scan_repos_dir(path: Path) -> list[Path]:
    """The direct children of `path` that are git working copies, sorted by name."""
    try:
        children = sorted(path.iterdir(), key=lambda p: p.name)
    except OSError as e:
        raise click.UsageError(f"--repos-dir {path}: {e.strerror or e}") from None
    return [c for c in children if c.is_dir() and (c / ".git").exists()]


def collect_repos(repos: Sequence[str], repos_file: Path | None, repos_dir: Path | None) -> list[Path]:
    """Every repository named on the command line, in a file or under a directory, once each."""
    paths = [Path(r) for r in repos]
    if repos_file is not None:
        paths += read_repos_file(repos_file)
    if repos_dir is not None:
        paths += scan_repos_dir(repos_dir)
    seen: set[Path] = set()
    out = []
    for p in paths:
        key = p.resolve()
        if key not in seen:
            seen.add(key)
            out.append(p)
    if not out:
        raise click.UsageError("no repositories: give paths, --repos-file FILE or --repos-dir DIR")
    return out


def _prove_options(
    prove: bool, keep_unproven: bool, build_args: tuple[str, ...], build_secrets: tuple[str, ...]
) -> ProveOptions | None:
    if not prove:
        return None
    from hardenify.prove.run import ProveOptions

    return ProveOptions(build_args=build_args, secrets=build_secrets, keep_unproven=keep_unproven)


def run_bulk(
    repos: list[Path],
    *,
    select: tuple[str, ...] | None = None,
    ignore: tuple[str, ...] | None = None,
    extend_select: tuple[str, ...] | None = None,
    config_file: Path | None = None,
    unsafe_fixes: bool = False,
    author: str | None = None,
    push: bool = False,
    remote: str = "origin",
    dry_run: bool = False,
    pr_body_dir: Path | None = None,
    jobs: int | None = None,
    output_format: str = "table",
    quiet: bool = False,
    prove: ProveOptions | None = None,
    pin: bool = False,
) -> int:
    """Run the fleet and print the table; returns the exit code (0 all ok or skipped, 1 some failed)."""
    from hardenify.bulk.fleet import BulkOptions, run_fleet
    from hardenify.bulk.table import render_json, render_table
    from hardenify.bulk.treefix import FixOptions
    from hardenify.prove.docker import engine_or_exit

    if push and dry_run:
        raise click.UsageError("--push and --dry-run cannot be combined")
    fix = FixOptions(
        select=select,
        ignore=ignore or (),
        extend_select=extend_select or (),
        unsafe_fixes=unsafe_fixes,
        config_file=config_file,
        pin=pin,
    )
    opts = BulkOptions(
        fix=fix,
        author=author,
        push=push,
        remote=remote,
        dry_run=dry_run,
        pr_body_dir=pr_body_dir,
        jobs=jobs,
        prove=prove,
        engine=engine_or_exit() if prove is not None else None,
    )

    def log(msg: str) -> None:
        if not quiet:
            click.echo(f"hardenify: {msg}", err=True)

    results = run_fleet(repos, opts, log)
    out = render_json(results) if output_format == "json" else render_table(results)
    click.echo(out, nl=False)
    return EXIT_OK if all(r.ok for r in results) else EXIT_FINDINGS


@click.command("bulk", context_settings={"help_option_names": ["-h", "--help"], "max_content_width": 100})
@click.argument("repos", nargs=-1, type=click.Path(path_type=str))
@click.option(
    "--repos-file",
    type=click.Path(dir_okay=False, path_type=Path),
    help="A file listing repository paths, one a line (# comments; relative to the file).",
)
@click.option(
    "--repos-dir",
    type=click.Path(file_okay=False, path_type=Path),
    help="A directory of clones: every direct child with a .git is a repository.",
)
@rule_options
@click.option(
    "--unsafe-fixes/--no-unsafe-fixes",
    default=False,
    help="Also apply fixes that can change behaviour (changes the branch name).",
)
@click.option("--author", metavar="'NAME <EMAIL>'", help="Commit author (default: git config).")
@click.option("--push", is_flag=True, help="Push each new commit: git push -u <remote> <branch>.")
@click.option("--remote", default="origin", show_default=True, help="The remote --push pushes to.")
@click.option(
    "--dry-run", is_flag=True, help="Fix, show the diff stat and PR body, then undo: no branch, no commit."
)
@click.option(
    "--pr-body-dir",
    type=click.Path(file_okay=False, path_type=Path),
    help="Write each PR body to DIR/<repo>.md instead of <repo>/.git/hardenify/PR_BODY.md.",
)
@click.option(
    "-j", "--jobs", type=click.IntRange(min=1), default=None, help="Worker processes (default: CPU cores)."
)
@click.option(
    "--output-format",
    type=click.Choice(["table", "json"]),
    default="table",
    show_default=True,
    help="The closing summary as a table for people or JSON for scripts.",
)
@click.option("-q", "--quiet", is_flag=True, help="No per-repository progress lines on stderr.")
@click.option(
    "--prove",
    is_flag=True,
    help="Build and run each changed Dockerfile before and after its fix (needs a Docker engine); "
    "a fix whose image fails where the original passed is reverted; the PR body gets the evidence. "
    "This runs each repository's build and image (no network, all capabilities dropped).",
)
@prove_detail_options
@click.option(
    "--pin",
    is_flag=True,
    help="Also pin every image reference to its digest, as `hardenify pin` would (one registry lookup per "
    "distinct image for the whole fleet; an image it cannot resolve keeps its tag, and the PR body says so).",
)
def command(
    repos: tuple[str, ...],
    repos_file: Path | None,
    repos_dir: Path | None,
    select: tuple[str, ...] | None,
    ignore: tuple[str, ...] | None,
    extend_select: tuple[str, ...] | None,
    config_file: Path | None,
    unsafe_fixes: bool,
    author: str | None,
    push: bool,
    remote: str,
    dry_run: bool,
    pr_body_dir: Path | None,
    jobs: int | None,
    output_format: str,
    quiet: bool,
    prove: bool = False,
    keep_unproven: bool = False,
    build_args: tuple[str, ...] = (),
    build_secrets: tuple[str, ...] = (),
    pin: bool = False,
) -> None:
    """Fix many git repositories: a branch, a commit and a PR body each.

    For every repository (a clean working copy on a branch): run `hardenify fix` on its
    tracked files on the branch `hardenify/fix-<hash>` (the hash of hardenify's version,
    the selected rules and --unsafe-fixes), commit the changed files with a message
    listing the fixed codes, write the PR body to .git/hardenify/PR_BODY.md, and push with
    --push. A repository with nothing to fix gets no branch. Rerunning is a no-op: a repo
    whose branch already has the fix is skipped. The working copy is left on its branch.

    A dirty working tree, a detached HEAD, or a file that cannot be read or does not parse
    makes that repository a failure (nothing committed there); the others go on.

    \b
    Examples:
      hardenify bulk --dry-run --repos-dir ~/src/org     # preview every clone
      hardenify bulk --repos-file repos.txt --push       # fix, commit and push
      hardenify bulk --select HF3 --unsafe-fixes api/ web/
      hardenify bulk --pin --repos-dir ~/src/org         # fix and pin images to digests

    \b
    Exit codes: 0 every repository committed, pushed, changed (dry run) or skipped;
    1 some repository failed; 2 usage error.
    """
    from hardenify.config import ConfigError

    paths = collect_repos(repos, repos_file, repos_dir)
    try:
        code = run_bulk(
            paths,
            select=select,
            ignore=ignore,
            extend_select=extend_select,
            config_file=config_file,
            unsafe_fixes=unsafe_fixes,
            author=author,
            push=push,
            remote=remote,
            dry_run=dry_run,
            pr_body_dir=pr_body_dir,
            jobs=jobs,
            output_format=output_format,
            quiet=quiet,
            prove=_prove_options(prove, keep_unproven, build_args, build_secrets),
            pin=pin,
        )
    except ConfigError as e:
        click.echo(f"hardenify: error: {e}", err=True)
        sys.exit(EXIT_ERROR)
    sys.exit(code)
