"""`hardenify pin`: pin base images (FROM, COPY --from, RUN --mount from=, compose image:) to digests.

Three phases so that one run costs one concurrent batch of registry lookups however many
files it touches: scan every file (pure), resolve the distinct references (network, cache),
then plan and write each file (pure edits + atomic writes). Output follows input order.
"""

from __future__ import annotations

import difflib
import sys
from collections.abc import Sequence
from dataclasses import dataclass
from pathlib import Path
from typing import TYPE_CHECKING, Literal

import click

if TYPE_CHECKING:
    from hardenify.diagnostics import Redactor
    from hardenify.pinning import FileKind, PinPlan, ScanResult
    from hardenify.registry import Resolution

EXIT_OK, EXIT_CHANGES, EXIT_ERROR = 0, 1, 2


@dataclass
class _File:
    path: Path
    display: str
    kind: FileKind
    text: str = ""
    scan: ScanResult | None = None
    plan: PinPlan | None = None
    error: str | None = None


def _mirror(ctx: click.Context, param: click.Parameter, value: Sequence[str]) -> dict[str, str]:
    from hardenify.registry import parse_mirror

    out: dict[str, str] = {}
    for spec in value:
        try:
            reg, target = parse_mirror(spec)
        except ValueError as exc:
            raise click.BadParameter(str(exc)) from None
        out[reg] = target
    return out


def _platform(ctx: click.Context, param: click.Parameter, value: str | None) -> str | None:
    if value is None:
        return None
    from hardenify.registry import Platform

    try:
        return str(Platform.parse(value))
    except ValueError as exc:
        raise click.BadParameter(str(exc)) from None


@click.command("pin", context_settings={"help_option_names": ["-h", "--help"], "max_content_width": 100})
@click.argument("paths", nargs=-1, type=click.Path(path_type=str, readable=False))
@click.option(
    "--diff", "show_diff", is_flag=True, help="Print a unified diff instead of writing; exit 1 if any."
)
@click.option(
    "--check",
    is_flag=True,
    help=(
        "Write nothing; exit 1 if any image is unpinned or its tag has moved (a CI gate; implies "
        "--update). Asks the registry about every tag (a HEAD each), however fresh the cache."
    ),
)
@click.option(
    "--update", is_flag=True, help="Also re-resolve pinned images and rewrite digests whose tag moved."
)
@click.option(
    "--platform",
    callback=_platform,
    metavar="OS/ARCH[/VARIANT]",
    help="Pin this platform's manifest (e.g. linux/amd64) instead of the multi-platform index.",
)
@click.option(
    "--offline",
    is_flag=True,
    help="Use only the digest cache, of any age (also with --check); report what it cannot answer.",
)
@click.option(
    "--insecure-registry",
    "insecure",
    multiple=True,
    metavar="HOST[:PORT]",
    help="Allow plain HTTP to this registry (localhost and 127.0.0.1 always are). Repeatable.",
)
@click.option(
    "--mirror",
    "mirrors",
    multiple=True,
    callback=_mirror,
    metavar="REGISTRY=HOST[/PREFIX]",
    help="Fetch REGISTRY's manifests from a mirror, e.g. docker.io=harbor.corp:443/hub. Repeatable.",
)
@click.option(
    "--cache-dir",
    type=click.Path(file_okay=False, path_type=Path),
    help="Digest cache directory (default: $HARDENIFY_CACHE_DIR, else the user cache dir).",
)
@click.option(
    "--cache-ttl",
    type=click.FloatRange(min=0),
    default=3600.0,
    show_default=True,
    metavar="SECONDS",
    help="How long a cached digest is trusted (0: always ask the registry; --offline ignores it).",
)
@click.option(
    "-j",
    "--jobs",
    type=click.IntRange(min=1, max=64),
    default=8,
    show_default=True,
    help="Registry lookups in flight at once.",
)
@click.option(
    "--timeout",
    type=click.FloatRange(min=0.1),
    default=10.0,
    show_default=True,
    metavar="SECONDS",
    help="Time limit for each image lookup: connecting, every read, retries and tokens.",
)
def command(
    paths: tuple[str, ...],
    show_diff: bool,
    check: bool,
    update: bool,
    platform: str | None,
    offline: bool,
    insecure: tuple[str, ...],
    mirrors: dict[str, str],
    cache_dir: Path | None,
    cache_ttl: float,
    jobs: int,
    timeout: float,
) -> None:
    """Pin image references to immutable digests through the registry API.

    Tags move; digests do not. `pin` rewrites `FROM python:3.12-slim` to
    `FROM python:3.12-slim@sha256:…` (the tag stays for people and for --update), and does
    the same for images named by a global ARG default used in FROM, `COPY --from=<image>`,
    `RUN --mount=…,from=<image>` and compose `image:` fields. Stage names, `scratch` and
    references built from variables are left alone (variables are reported). Only the
    reference's characters change: comments, line endings and layout stay byte for byte.

    PATHS are files or directories (default: .); directories are searched for Dockerfile,
    Dockerfile.*, *.Dockerfile, Containerfile and compose*.y*ml / docker-compose*.y*ml.

    An untagged `FROM python` becomes `python:latest@sha256:…`: the tag that was resolved
    is written out. `--check` and `--update` ask the registry where each pinned tag points
    now, so they need the network (or a warm cache with --offline).

    Credentials come from ~/.docker/config.json (auths, credsStore, credHelpers), so a
    private registry works after `docker login`. TLS uses the operating system's trust
    store. Digests are cached on disk (see --cache-dir, --cache-ttl), so a second run
    makes no requests; failed lookups are never cached.

    \b
    Examples:
      hardenify pin                          # pin every Dockerfile and compose file below .
      hardenify pin --diff services/api      # show what would change, write nothing
      hardenify pin --check .                # CI: fail on unpinned or stale images
      hardenify pin --update Dockerfile      # move pins to where their tags point now
      hardenify pin --platform linux/amd64 . # pin the amd64 manifest, not the index
      hardenify pin --mirror docker.io=harbor.corp:443/dockerhub .
      hardenify pin --insecure-registry registry.lan:5000 deploy/compose.yaml

    \b
    Exit codes: 0 done (or nothing to do); 1 changes found with --diff/--check, or an
    image could not be resolved; 2 usage error or a file could not be read or written.
    """
    from hardenify.pinning import PinningError, plan, scan
    from hardenify.registry import RegistryConfig, Resolver
    from hardenify.runner import SourceError
    from hardenify.writeback import WriteRefused, roots_of, write_fix

    update = update or check
    files, io_errors = _discover(list(paths) or ["."])
    for f in files:
        try:
            f.text = _read(f.path)
        except (OSError, UnicodeError, SourceError) as exc:
            f.error = _os_reason(exc)
            io_errors += 1
            continue
        try:
            f.scan = scan(f.text, f.kind)
        except PinningError as exc:
            f.error = str(exc)

    lookups: dict[str, None] = {}
    for f in files:
        if f.scan is not None:
            for ref in f.scan.lookups(update=update):
                lookups.setdefault(ref, None)

    config = RegistryConfig(
        mirrors=mirrors,
        insecure_registries=insecure,
        cache_dir=cache_dir,
        cache_ttl=cache_ttl,
        offline=offline,
        # A CI gate must not answer from a cache an hour old: revalidate every tag (a HEAD
        # each, with the token cache); --offline still means the cache alone.
        revalidate=check and not offline,
        timeout=timeout,
        jobs=jobs,
    )
    resolutions: dict[str, Resolution] = {}
    if lookups:
        with Resolver(config) as resolver:
            resolutions = resolver.resolve_many(list(lookups), platform=platform)

    stats = {"pin": 0, "update": 0, "failed": 0, "files": 0}
    mode: Literal["write", "diff", "check"] = "check" if check else "diff" if show_diff else "write"
    for f in files:
        show = _redactor(f)
        if f.error is not None:
            click.echo(f"hardenify: error: {f.display}: {show(f.error)}", err=True)
            continue
        assert f.scan is not None
        f.plan = plan(f.scan, resolutions, update=update)
        _report(f, mode, stats, show)
        if not f.plan.changes:
            continue
        stats["files"] += 1
        new_text = f.plan.apply(f.text)
        if mode == "diff":
            click.echo(_unified_diff(f.display, f.text, new_text, show), nl=False)
        elif mode == "write":
            try:
                write_fix(f.path, roots_of(paths), new_text, f.text)
            except WriteRefused as exc:
                click.echo(f"hardenify: error: {f.display}: {exc}", err=True)
                io_errors += 1
            except OSError as exc:
                click.echo(f"hardenify: error: cannot write {f.display}: {_os_reason(exc)}", err=True)
                io_errors += 1

    _summary(mode, stats, len(files), stats["files"])
    if io_errors:
        sys.exit(EXIT_ERROR)
    changes = stats["pin"] + stats["update"]
    if stats["failed"] or any(f.error for f in files):
        sys.exit(EXIT_CHANGES)
    if mode != "write" and changes:
        sys.exit(EXIT_CHANGES)
    sys.exit(EXIT_OK)


# ------------------------------------------------------------------------------ reporting


def _redactor(f: _File) -> Redactor:
    """The secrets in the file, found by the rules `check` uses to find them (they register
    secrets whatever is selected), so every line pin prints from the file is masked."""
    from hardenify.diagnostics import Redactor
    from hardenify.engine import lint
    from hardenify.settings import Settings

    if not f.text:
        return Redactor()
    return lint(f.display, f.text, f.kind, Settings(select=())).redactor


def _report(f: _File, mode: str, stats: dict[str, int], show: Redactor) -> None:
    """Changes on stdout (stderr under --diff, where stdout is the patch); problems on stderr."""
    assert f.plan is not None
    out_err = mode == "diff"
    for change in f.plan.changes:
        site = change.site
        stats[change.action] += 1
        loc = f"{f.display}:{site.line}"
        if mode == "check":
            if change.previous is None:
                msg = f"{loc}: unpinned: {change.old} (would pin to {change.digest})"
            else:
                msg = (
                    f"{loc}: stale: {site.lookup} is pinned to {change.previous}, "
                    f"its tag now points to {change.digest}"
                )
        elif change.previous is None:
            verb = "would pin" if mode == "diff" else "pinned"
            msg = f"{loc}: {verb} {change.old} to {change.digest}"
        else:
            verb = "would update" if mode == "diff" else "updated"
            msg = f"{loc}: {verb} {change.site.lookup}: {change.previous} -> {change.digest}"
        click.echo(show(msg), err=out_err)
    for failure in f.plan.failures:
        stats["failed"] += 1
        site, err = failure.site, failure.error
        click.echo(
            show(
                f"{f.display}:{site.line}: error: cannot resolve {site.lookup} ({site.where}): "
                f"{err.message} [{err.kind.value}]"
            ),
            err=True,
        )
    for skip in f.plan.skipped:
        click.echo(show(f"{f.display}:{skip.line}: note: {skip.text}: {skip.reason}"), err=True)


def _summary(mode: str, stats: dict[str, int], nfiles: int, changed: int) -> None:
    pins, updates, failed = stats["pin"], stats["update"], stats["failed"]
    if mode == "check":
        head = f"{pins} unpinned, {updates} stale"
    elif mode == "diff":
        head = f"{pins} to pin, {updates} to update"
    else:
        head = f"{pins} pinned, {updates} updated"
    tail = f", {failed} could not be resolved" if failed else ""
    files = f"{nfiles} file{'s' if nfiles != 1 else ''} scanned, {changed} with changes"
    click.echo(f"{head}{tail} ({files})", err=True)


def _unified_diff(display: str, old: str, new: str, show: Redactor) -> str:
    """A `git apply`-able diff with a/ b/ prefixes and "no newline at end of file" markers.

    Every line goes through the file's redactor: context lines around an image can hold a
    token. Pinning never changes a secret, so only such a context line is masked (the
    patch then no longer applies, which is the point).
    """
    name = display.lstrip("/")
    lines = difflib.unified_diff(
        old.splitlines(keepends=True), new.splitlines(keepends=True), f"a/{name}", f"b/{name}"
    )
    out: list[str] = []
    for line in lines:
        if line.endswith("\n"):
            out.append(show(line))
        else:
            out.append(show(line) + "\n\\ No newline at end of file\n")
    return "".join(out)


# ----------------------------------------------------------------------------------- files


def _discover(paths: list[str]) -> tuple[list[_File], int]:
    """Dockerfiles and compose files under `paths`, in argument order (directories sorted)."""
    from hardenify.config import ConfigError, settings_for
    from hardenify.discovery import discover

    # The same excludes and .gitignore handling as `hardenify check`, from the same config.
    try:
        settings = settings_for(Path.cwd())
    except ConfigError as exc:
        click.echo(f"hardenify: error: {exc}", err=True)
        sys.exit(EXIT_ERROR)
    found = discover(paths, settings)
    errors = 0
    for err in found.errors:
        click.echo(f"hardenify: error: {err.path}: {err.reason}", err=True)
        errors += 1
    files: list[_File] = []
    for item in found:
        if item.kind == "dockerfile" or item.kind == "compose":
            files.append(_File(item.path, _display(item.path), item.kind))
        elif item.explicit:
            click.echo(f"hardenify: note: {item.path}: not a Dockerfile or compose file; skipped", err=True)
    return files, errors


def _display(path: Path) -> str:
    """Relative to the current directory when below it, like ruff and git print paths."""
    try:
        return path.resolve().relative_to(Path.cwd().resolve()).as_posix()
    except (ValueError, OSError):
        return path.as_posix()


def _read(path: Path) -> str:
    """`check`'s input checks (size, UTF-16, binary, special files), then conflict markers.

    Lossless: no newline translation; bytes that are not UTF-8 round-trip as surrogates.
    """
    from hardenify.runner import conflict_error, read_source

    text = read_source(path)
    conflict = conflict_error(text)
    if conflict is not None:
        raise conflict
    return text


def _os_reason(exc: BaseException) -> str:
    if isinstance(exc, OSError) and exc.strerror:
        return exc.strerror
    return str(exc) or type(exc).__name__
