"""Which template directory `hardenify new` uses, and whether the project may choose it.

Templates are code: hardenify renders them in a sandbox, but a template set still decides
every line of the Dockerfile and compose file it writes. The project being scaffolded is
untrusted (a clone, a fork's pull request), so a `template-dir` that the project names
itself, in its `.hardenify.toml`, `hardenify.toml`, `pyproject.toml` `[tool.hardenify]` or
its `.hardenify-answers.yml`, is used only with `--trust-template-dir`. Without it the set
comes from `--template-dir` or the user's own config file (`template-dir` in
`config.toml` of the user config directory, `~/.config/hardenify/` on Linux), else
hardenify's own templates; an ignored project setting is reported in one line.
"""

from __future__ import annotations

from dataclasses import dataclass
from pathlib import Path
from typing import Any

USER_CONFIG_NAME = "config.toml"


class TemplateDirError(Exception):
    """The user's own config file is unusable; the message names it."""


@dataclass(frozen=True)
class Choice:
    """The directory to use (None: hardenify's own templates) and what was ignored, and why."""

    path: Path | None
    ignored: tuple[str, ...] = ()


def user_config_path() -> Path:
    """The user's own hardenify config file (platformdirs' user config directory)."""
    import platformdirs

    return Path(platformdirs.user_config_dir("hardenify")) / USER_CONFIG_NAME


def choose(
    root: Path, cli: Path | None, saved: str | None, *, trust: bool, user_config: Path | None = None
) -> Choice:
    """The template directory for scaffolding `root`, in order of precedence.

    1. `--template-dir` (`cli`);
    2. with `trust`, the project's config file, then its answers file (`saved`);
    3. the user's config file;
    4. none: hardenify's own templates.
    """
    if cli is not None:
        return Choice(cli)
    found = _project_setting(root)
    candidates: list[tuple[Path, str]] = []
    if found is not None:
        candidates.append(found)
    if saved:
        candidates.append((_relative_to(root, saved), f"{root / '.hardenify-answers.yml'}"))
    if trust and candidates:
        return Choice(candidates[0][0])
    ignored = tuple(
        f"ignoring template-dir {str(path)!r} named by {source}: a template directory the project "
        "chooses is used only with --trust-template-dir (or pass --template-dir)"
        for path, source in candidates
    )
    return Choice(_user_setting(user_config or user_config_path()), ignored)


def _relative_to(base: Path, value: str) -> Path:
    p = Path(value).expanduser()
    return p if p.is_absolute() else base / p


def _project_setting(root: Path) -> tuple[Path, str] | None:
    """`template-dir` of the config file that applies to `root` (config.py's discovery)."""
    from hardenify.config import ConfigError, find_config

    try:
        path = find_config(root)
    except ConfigError:
        return None  # `hardenify check` reports a broken config; it names no template dir here
    if path is None:
        return None
    table = _table(Path(path), pyproject=Path(path).name == "pyproject.toml")
    value = table.get("template-dir") if table is not None else None
    if isinstance(value, str) and value:
        return _relative_to(Path(path).parent, value), path
    return None


def _user_setting(path: Path) -> Path | None:
    try:
        table = _table(path, pyproject=False)
    except FileNotFoundError:
        return None
    if table is None:
        raise TemplateDirError(f"{path}: cannot be read as a TOML table")
    value = table.get("template-dir")
    if value is None:
        return None
    if not isinstance(value, str) or not value:
        raise TemplateDirError(f"{path}: template-dir must be a path string")
    return _relative_to(path.parent, value)


def _table(path: Path, *, pyproject: bool) -> dict[str, Any] | None:
    """The hardenify table of a TOML file, None when it cannot be read or parsed.

    Raises FileNotFoundError when there is no file. Read through safeio: a FIFO or device
    in the project is never opened.
    """
    import sys

    if sys.version_info >= (3, 11):
        import tomllib
    else:  # pragma: no cover
        import tomli as tomllib  # type: ignore[import-not-found, unused-ignore]

    from hardenify.safeio import read_bytes

    try:
        doc = tomllib.loads(read_bytes(path, 1024 * 1024).decode("utf-8"))
    except FileNotFoundError:
        raise
    except (OSError, UnicodeError, tomllib.TOMLDecodeError, RecursionError):
        return None
    table = doc.get("tool", {}).get("hardenify") if pyproject else doc
    return table if isinstance(table, dict) else None
