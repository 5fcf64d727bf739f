"""Options and plumbing shared by `check` and `fix` (ruff's flag names and exit codes)."""

from __future__ import annotations

import functools
import os
import sys
from collections.abc import Callable, Sequence
from dataclasses import dataclass
from pathlib import Path
from typing import Any, TypeVar

import click

from hardenify.outcome import FileOutcome
from hardenify.runner import Task
from hardenify.settings import Settings

F = TypeVar("F", bound=Callable[..., Any])

EXIT_OK, EXIT_FINDINGS, EXIT_ERROR = 0, 1, 2


def _codes(ctx: click.Context, param: click.Parameter, value: Sequence[str]) -> tuple[str, ...] | None:
    """`--select HF1,HF201 --select HF3` → ("HF1", "HF201", "HF3"), validated: a selector that
    names no rule (`HF999`, `E501`) is a usage error, never a silent "All checks passed!"."""
    from hardenify.rules import selects_any

    out: list[str] = []
    for v in value or ():
        for tok in v.split(","):
            tok = tok.strip()
            if not tok:
                continue
            if not selects_any(tok):
                click.echo(f"hardenify: error: unknown rule selector '{tok}'", err=True)
                ctx.exit(EXIT_ERROR)
            out.append(tok.upper())
    return tuple(out) if out else None


def rule_options(f: F) -> F:
    """--select/--ignore/--extend-select/--config, as in ruff."""
    f = click.option(
        "--config",
        "config_file",
        type=click.Path(dir_okay=False, path_type=Path),
        help="Use this config file instead of discovering pyproject.toml/.hardenify.toml.",
    )(f)
    f = click.option(
        "--extend-select", multiple=True, callback=_codes, metavar="CODES", help="Enable these in addition."
    )(f)
    f = click.option(
        "--ignore", multiple=True, callback=_codes, metavar="CODES", help="Disable these codes or prefixes."
    )(f)
    f = click.option(
        "--select",
        multiple=True,
        callback=_codes,
        metavar="CODES",
        help="Only these codes or prefixes (comma-separated; e.g. HF1,HF301; ALL).",
    )(f)
    return f


def prove_detail_options(f: F) -> F:
    """--keep-unproven/--build-arg/--secret: what `--prove` builds with, the same for fix and bulk."""
    f = click.option(
        "--secret",
        "build_secrets",
        multiple=True,
        metavar="SPEC",
        help="With --prove: a `docker build --secret` spec.",
    )(f)
    f = click.option(
        "--build-arg", "build_args", multiple=True, metavar="K=V", help="With --prove: a build argument."
    )(f)
    f = click.option(
        "--keep-unproven", is_flag=True, help="With --prove: keep a fix even when its proof fails."
    )(f)
    return f


def run_options(f: F) -> F:
    f = click.option(
        "--color",
        type=click.Choice(["auto", "always", "never"]),
        default="auto",
        show_default=True,
        help="Colour output (auto: when stdout is a terminal and NO_COLOR is unset).",
    )(f)
    f = click.option("-q", "--quiet", is_flag=True, help="Print findings only, no summary.")(f)
    f = click.option(
        "-j",
        "--jobs",
        type=click.IntRange(min=1),
        default=None,
        help="Worker processes (default: CPU cores; at most 4 per core and 64).",
    )(f)
    f = click.option(
        "--stdin-filename",
        metavar="PATH",
        help="With `-`: the name stdin is reported as (and used to find config and the rule kind).",
    )(f)
    f = click.option(
        "--force-exclude", is_flag=True, help="Apply excludes even to paths passed on the command line."
    )(f)
    f = click.option(
        "--respect-gitignore/--no-respect-gitignore",
        default=None,
        help="Skip files ignored by .gitignore (default: on).",
    )(f)
    return f


def use_color(choice: str, stream: Any = None) -> bool:
    if choice == "always":
        return True
    if choice == "never" or os.environ.get("NO_COLOR"):
        return False
    stream = stream or sys.stdout
    return bool(getattr(stream, "isatty", lambda: False)())


@dataclass
class Plan:
    tasks: list[Task]
    errors: list[tuple[str, str]]  # (path, message) for paths that could not be used


def plan(
    paths: Sequence[str],
    *,
    mode: str,
    select: tuple[str, ...] | None,
    ignore: tuple[str, ...] | None,
    extend_select: tuple[str, ...] | None,
    config_file: Path | None,
    unsafe_fixes: bool | None,
    stdin_filename: str | None,
    respect_gitignore: bool | None,
    force_exclude: bool,
    kinds: Sequence[str] = ("dockerfile", "dockerignore", "compose", "workflow"),
) -> Plan:
    """Resolve paths and per-file settings into tasks. Raises click.UsageError / ConfigError."""
    from hardenify import config, discovery

    overrides: dict[str, Any] = {
        "select": select,
        "ignore": ignore or (),
        "extend_select": extend_select or (),
        "unsafe_fixes": unsafe_fixes,
        "respect_gitignore": respect_gitignore,
    }
    tasks: list[Task] = []
    errors: list[tuple[str, str]] = []
    paths = list(paths) or ["."]
    if "-" in paths:
        if len(paths) > 1:
            raise click.UsageError("`-` (stdin) cannot be combined with other paths")
        name = stdin_filename or "Dockerfile"
        kind = discovery.kind_for_name(Path(name).name) or "dockerfile"
        settings = config.merge_cli(
            config.settings_for(Path(name).resolve().parent, config_file), **overrides
        )
        text = sys.stdin.buffer.read()
        from hardenify.runner import SourceError, decode

        try:
            content = decode(text)
        except SourceError as e:
            errors.append((name, str(e)))
            return Plan([], errors)
        tasks.append(Task("-", name, kind, settings, mode=mode, stdin_text=content))
        return Plan(tasks, errors)

    base_settings = config.merge_cli(config.settings_for(Path.cwd(), config_file), **overrides)
    found = discovery.discover(paths, base_settings, force_exclude=force_exclude)
    errors.extend((str(e.path), e.reason) for e in found.errors)
    # One merged Settings object per config file, not per path: the merge is not free, and
    # the pool pickles a shared object once per chunk of tasks instead of once per task.
    merged: dict[int, tuple[Settings, Settings]] = {}
    for item in found:
        if item.kind not in kinds:
            continue
        file_settings = config.settings_for(item.path.parent, config_file)
        hit = merged.get(id(file_settings))
        if hit is None or hit[0] is not file_settings:
            hit = merged[id(file_settings)] = (file_settings, config.merge_cli(file_settings, **overrides))
        tasks.append(Task(str(item.path), display_name(item.path), item.kind, hit[1], mode=mode))
    return Plan(tasks, errors)


def plan_or_exit(paths: Sequence[str], **kwargs: Any) -> Plan:
    """`plan`, turning a config error into one line on stderr and exit 2."""
    from hardenify.config import ConfigError

    try:
        return plan(paths, **kwargs)
    except ConfigError as e:
        click.echo(f"hardenify: error: {e}", err=True)
        sys.exit(EXIT_ERROR)


@functools.lru_cache(maxsize=4)
def _resolved_cwd(cwd: str) -> Path:
    """The working directory with symlinks resolved, once per directory, not per file."""
    return Path(cwd).resolve()


@functools.lru_cache(maxsize=256)
def _resolved_dir(d: str) -> str:
    return os.path.realpath(d)


def display_name(path: Path) -> str:
    """Paths relative to the current directory when below it, like ruff prints them.

    Resolved like `Path.resolve()`, but each directory once per run, not once per file (a
    corpus of files in one directory costs one lstat each): only the file itself may be a link.
    """
    p = os.path.abspath(path)
    head, name = os.path.split(p)
    real = os.path.realpath(p) if os.path.islink(p) else os.path.join(_resolved_dir(head), name)
    cwd = str(_resolved_cwd(os.getcwd()))
    if real == cwd:
        return "."
    prefix = cwd if cwd.endswith(os.sep) else cwd + os.sep
    if real.startswith(prefix):
        return real[len(prefix) :].replace(os.sep, "/")
    return str(path)


def show_fixes_text(outcomes: Sequence[FileOutcome], *, diff_mode: bool = False) -> str:
    """ruff's `--show-fixes`: each file's applied fixes, counted per rule."""
    from collections import Counter

    from hardenify.rules import rules_by_code

    names = {code: r.name for code, r in rules_by_code().items()}
    fixed = [(o.filename, o.fixed) for o in outcomes if sum(o.fixed.values())]
    total = sum(sum(c.values()) for _, c in fixed)
    if not total:
        return "No fixes would be applied.\n" if diff_mode else "No fixes applied.\n"
    noun = "finding" if total == 1 else "findings"
    lines = [f"{'Would fix' if diff_mode else 'Fixed'} {total} {noun}:"]
    for filename, counts in fixed:
        lines.append(f"- {filename}:")
        for code, n in sorted(Counter(counts).items(), key=lambda kv: (-kv[1], kv[0])):
            lines.append(f"    {n} × {code} ({names.get(code, '')})")
    return "\n".join(lines) + "\n"
