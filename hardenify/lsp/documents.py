"""One open document's analysis, through the same per-file function `hardenify check` uses.

`runner.process` with the editor's text as `stdin_text` gives the CLI's engine, rule
selection, suppression, severity overrides, redaction and companion files (`.dockerignore`
beside a Dockerfile, the Dockerfiles a compose file builds); config is resolved afresh for
each run from the file nearest the document, as `check` resolves it, so an edited
`pyproject.toml` applies on the next run without any file watching.
"""

from __future__ import annotations

import os
from collections.abc import Mapping
from dataclasses import dataclass, field
from typing import Any

from hardenify.lsp.positions import UTF16, LineIndex
from hardenify.outcome import FileOutcome
from hardenify.runner import MAX_BYTES, Task
from hardenify.settings import Settings

# The editor's language ids for names hardenify does not know (an untitled buffer, `prod.df`).
_KIND_BY_LANGUAGE = {"dockerfile": "dockerfile", "dockercompose": "compose"}


@dataclass(frozen=True)
class ClientSettings:
    """What the editor's `hardenify` settings add over the config files, like CLI flags."""

    select: tuple[str, ...] | None = None
    ignore: tuple[str, ...] = ()
    extend_select: tuple[str, ...] = ()
    config_file: str | None = None

    @classmethod
    def parse(cls, raw: object) -> ClientSettings:
        """From `initializationOptions` or `workspace/didChangeConfiguration` settings, either
        `{"hardenify": {...}}` or the inner table; unknown keys and wrong types are ignored."""
        if isinstance(raw, Mapping) and isinstance(raw.get("hardenify"), Mapping):
            raw = raw["hardenify"]
        if not isinstance(raw, Mapping):
            return cls()

        def codes(*keys: str) -> tuple[str, ...] | None:
            for key in keys:
                value = raw.get(key)
                if isinstance(value, str):
                    value = [value]
                if isinstance(value, list | tuple):
                    return tuple(str(v) for v in value)
            return None

        config = raw.get("configFile", raw.get("config"))
        return cls(
            select=codes("select"),
            ignore=codes("ignore") or (),
            extend_select=codes("extendSelect", "extend-select", "extend_select") or (),
            config_file=config if isinstance(config, str) and config else None,
        )


@dataclass
class Analysis:
    """The result of checking one version of one document."""

    text: str
    kind: str
    settings: Settings
    outcome: FileOutcome
    index: LineIndex
    path: str | None = None
    # Arguments `process` needs again for fix-all and pragma checks on the same document.
    task: Task | None = field(default=None, repr=False)


class DocumentError(Exception):
    """The document cannot be checked (bad config, too large); str() is the one-line reason."""


def kind_of(path: str | None, language_id: str | None) -> str | None:
    """The hardenify kind of a document: by file name as `check` decides, else by language."""
    from hardenify.discovery import kind_for_name

    if path:
        kind = kind_for_name(os.path.basename(path))
        if kind is not None:
            return kind
    if language_id == "ignore" and path and path.endswith(".dockerignore"):
        return "dockerignore"
    return _KIND_BY_LANGUAGE.get(language_id or "")


def settings_for(path: str | None, root: str | None, client: ClientSettings) -> Settings:
    """The settings `hardenify check PATH` would use, with the editor's settings as its flags."""
    from hardenify import config

    resolver = config.ConfigResolver()  # fresh on purpose: config files may have changed
    where = os.path.dirname(path) if path else (root or os.getcwd())
    try:
        base = resolver.settings_for(where, client.config_file)
        return config.merge_cli(
            base, select=client.select, ignore=client.ignore, extend_select=client.extend_select
        )
    except config.ConfigError as e:
        raise DocumentError(str(e)) from None


def excluded(path: str, settings: Settings) -> bool:
    """Does the config exclude this file? As `check --force-exclude` decides: an editor opening
    a file names it explicitly, and a vendored tree the project excluded should stay quiet."""
    from hardenify.discovery import discover

    if not os.path.isfile(path):
        return False
    found = discover([path], settings, force_exclude=True)
    return not found and not found.errors


def display_name(path: str | None, root: str | None) -> str:
    """The name per-file-ignores match: relative to the workspace root, as `check .` run there
    prints it."""
    if path is None:
        return "-"
    if root:
        try:
            rel = os.path.relpath(path, root)
        except ValueError:  # another drive
            return path
        if not rel.startswith(".."):
            return rel.replace(os.sep, "/")
    return path


def analyse(
    text: str,
    *,
    path: str | None,
    language_id: str | None,
    root: str | None,
    client: ClientSettings,
    encoding: str = UTF16,
    mode: str = "check",
) -> Analysis | None:
    """Check (or, with mode="fix", fix in memory) one document; None when it is not ours.

    Never writes: the text goes in as `stdin_text` and comes back in the outcome.
    """
    from hardenify.runner import process

    kind = kind_of(path, language_id)
    if kind is None:
        return None
    if len(text) > MAX_BYTES:
        raise DocumentError(f"larger than {MAX_BYTES // (1024 * 1024)} MiB; not checked")
    settings = settings_for(path, root, client)
    if path is not None and excluded(path, settings):
        return None
    task = Task(path or "-", display_name(path, root), kind, settings, mode=mode, stdin_text=text)
    outcome = process(task)
    return Analysis(text, kind, settings, outcome, LineIndex(text, encoding), path, task)


def fixed_text(analysis: Analysis, **changes: Any) -> tuple[str | None, str | None]:
    """(the text after every safe fix, or None; why nothing was fixed when a fix was refused).

    The engine's own fix loop, so fix-all gives what `hardenify fix` would write."""
    from dataclasses import replace

    from hardenify.runner import process

    if analysis.task is None:
        return None, None
    settings = replace(analysis.settings, unsafe_fixes=False, unsafe_fixes_for=frozenset(), **changes)
    out = process(replace(analysis.task, mode="fix", settings=settings))
    if out.error:
        return None, out.redactor(out.error)
    if out.refused:
        return None, out.redactor(out.refused)
    return (out.fixed_text if out.changed else None), None
