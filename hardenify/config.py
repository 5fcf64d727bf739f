"""Find, read and validate hardenify's configuration, and merge command-line flags over it.

Configuration lives in `.hardenify.toml` or `hardenify.toml` (top-level keys) or in the
`[tool.hardenify]` table of `pyproject.toml`. As in ruff, the closest config file at or
above the checked path wins, so a monorepo can hold one config per service; in one
directory `.hardenify.toml` beats `hardenify.toml` beats `pyproject.toml`, and a
pyproject without `[tool.hardenify]` is skipped. Lookups are cached per directory because
one run checks hundreds of files in a handful of directories.

Every mistake is a `ConfigError` naming the file, the key and what would be valid: a typo
that silently disables a security rule is worse than a failed run (the CLI exits 2).
Precedence is CLI > file > defaults (`merge_cli`).
"""

from __future__ import annotations

import os
import re
import sys
from collections.abc import Iterable, Mapping, Sequence
from dataclasses import replace
from typing import Any

from hardenify.diagnostics import Severity
from hardenify.rules import is_selector
from hardenify.settings import Settings

CONFIG_FILENAMES = (".hardenify.toml", "hardenify.toml", "pyproject.toml")

KEYS = (
    "select",
    "ignore",
    "extend-select",
    "per-file-ignores",
    "severity",
    "fail-on",
    "exclude",
    "extend-exclude",
    "respect-gitignore",
    "unsafe-fixes",
    "options",
    "template-dir",  # read by `hardenify new` (an organisation's template set)
)

MAX_CONFIG_BYTES = 8 * 1024 * 1024

# The `[options]` table: each option rules read, and what its value must be. Validated like
# the keys above (as ruff does): a misspelt or mistyped option would silently do nothing.
OPTIONS: dict[str, str] = {
    # HF413's stage split: stack key → runtime base image template (hardenify/knowledge/runtimes.py)
    "runtime-bases": 'a table of stack = "image" strings',
    # HF203: the registries images may come from (host, host/path prefix or glob)
    "trusted-registries": "a list of strings",
}

_SEVERITIES = ", ".join(s.value for s in Severity)
_SELECTOR_HELP = "expected ALL, a rule code like HF101 or a prefix like HF1"
_CODE_RE = re.compile(r"HF\d{3}")
_TOML_POS_RE = re.compile(r"\s*\(at line (\d+), column (\d+)\)\s*$")


class ConfigError(Exception):
    """A config file (or a command-line option) is invalid; the CLI exits 2 with it."""

    def __init__(
        self,
        message: str,
        *,
        path: str | None = None,
        key: str | None = None,
        line: int | None = None,
        column: int | None = None,
    ) -> None:
        super().__init__(message)
        self.message = message
        self.path = path
        self.key = key
        self.line = line
        self.column = column

    def __str__(self) -> str:
        if self.path is None:
            return self.message
        where = _display(self.path)
        if self.line is not None:
            where += f":{self.line}"
            if self.column is not None:
                where += f":{self.column}"
        return f"{where}: {self.message}"


def _display(path: str) -> str:
    """A path relative to the current directory when it is below it (as ruff prints them)."""
    try:
        rel = os.path.relpath(path)
    except ValueError:  # another drive on Windows
        return path
    return path if rel.startswith("..") else rel


# ------------------------------------------------------------------------------ reading


def _loads(text: str) -> dict[str, Any]:
    """Parse TOML, importing the parser only when a config file actually exists."""
    if sys.version_info >= (3, 11):
        import tomllib
    else:  # pragma: no cover - exercised on 3.10 only
        import tomli as tomllib  # type: ignore[import-not-found, unused-ignore]
    doc: dict[str, Any] = tomllib.loads(text)
    return doc


def _read_config_bytes(path: str) -> bytes:
    """A config file's bytes through `safeio`: a FIFO or a link to /dev/zero is refused, not read."""
    from hardenify.safeio import read_bytes

    try:
        return read_bytes(path, MAX_CONFIG_BYTES)
    except OSError as exc:
        raise ConfigError(f"cannot read config file: {exc.strerror or exc}", path=path) from exc


def _read_toml(path: str) -> tuple[dict[str, Any], str]:
    """Parse a TOML file; syntax and I/O problems become a ConfigError with file and line."""
    data = _read_config_bytes(path)
    return _parse_toml(data, path), data.decode("utf-8", "replace")


def _parse_toml(data: bytes, path: str) -> dict[str, Any]:
    try:
        text = data.decode("utf-8")
    except UnicodeDecodeError as exc:
        bad_line = data[: exc.start].count(b"\n") + 1
        raise ConfigError("invalid TOML: not valid UTF-8", path=path, line=bad_line) from exc
    try:
        return _loads(text)
    except RecursionError:  # tomllib recurses once per nested array or inline table
        raise ConfigError("invalid TOML: nested too deeply", path=path) from None
    except ValueError as exc:  # tomllib.TOMLDecodeError is a ValueError
        msg = str(getattr(exc, "msg", "") or exc)
        line: int | None = getattr(exc, "lineno", None)
        col: int | None = getattr(exc, "colno", None)
        m = _TOML_POS_RE.search(msg)
        if m:
            line, col = int(m.group(1)), int(m.group(2))
            msg = msg[: m.start()]
        raise ConfigError(f"invalid TOML: {msg}", path=path, line=line, column=col) from exc


def _hardenify_table(doc: dict[str, Any], path: str, text: str) -> dict[str, Any] | None:
    """The `[tool.hardenify]` table of a parsed pyproject, or None when there is none."""
    tool = doc.get("tool")
    if not isinstance(tool, dict) or "hardenify" not in tool:
        return None
    table = tool["hardenify"]
    if not isinstance(table, dict):
        raise ConfigError(
            "'tool.hardenify' must be a table ([tool.hardenify])",
            path=path,
            key="tool.hardenify",
            line=_find_line(text, r"hardenify\s*="),
        )
    return table


# ------------------------------------------------------------------------------ validation


class _Validator:
    """Turns one config table into `Settings`, raising ConfigError on the first mistake."""

    def __init__(self, path: str, text: str, section: str) -> None:
        self.path = path
        self.text = text
        # "" for hardenify.toml, "tool.hardenify" for pyproject.toml
        self.section = section
        header = re.search(rf"^\s*\[\s*{re.escape(section)}\s*[\].]", text, re.M) if section else None
        self.start_line = text.count("\n", 0, header.start()) + 1 if header else 1

    def error(self, message: str, key: str, needle: str | None = None) -> ConfigError:
        line = _find_line(self.text, needle, self.start_line) if needle else None
        return ConfigError(message, path=self.path, key=key, line=line)

    def _key_needle(self, key: str) -> str:
        return rf"^\s*[\"']?{re.escape(key)}[\"']?\s*="

    def _value_needle(self, value: str) -> str:
        return rf"[\"']{re.escape(value)}[\"']"

    def _where(self) -> str:
        return f" in [{self.section}]" if self.section else ""

    def settings(self, table: Mapping[str, Any]) -> Settings:
        for key in table:
            if key not in KEYS:
                raise self.error(_unknown_key_message(key, self._where()), key, self._key_needle(key))
        kwargs: dict[str, Any] = {"source": self.path}
        if "select" in table:
            kwargs["select"] = self.selectors(table["select"], "select")
        if "ignore" in table:
            kwargs["ignore"] = self.selectors(table["ignore"], "ignore")
        if "extend-select" in table:
            kwargs["extend_select"] = self.selectors(table["extend-select"], "extend-select")
        if "per-file-ignores" in table:
            kwargs["per_file_ignores"] = self.per_file_ignores(table["per-file-ignores"])
        if "severity" in table:
            kwargs["severity"] = self.severity_map(table["severity"])
        if "fail-on" in table:
            kwargs["fail_on"] = self.severity(table["fail-on"], "fail-on")
        if "exclude" in table:
            kwargs["exclude"] = self.strings(table["exclude"], "exclude")
        if "extend-exclude" in table:
            kwargs["extend_exclude"] = self.strings(table["extend-exclude"], "extend-exclude")
        if "respect-gitignore" in table:
            kwargs["respect_gitignore"] = self.boolean(table["respect-gitignore"], "respect-gitignore")
        if "unsafe-fixes" in table:
            kwargs["unsafe_fixes"] = self.boolean(table["unsafe-fixes"], "unsafe-fixes")
        if "options" in table:
            kwargs["options"] = self.options(table["options"])
        if "template-dir" in table and not isinstance(table["template-dir"], str):
            raise self.type_error("template-dir", "a path string", table["template-dir"])
        return Settings(**kwargs)

    def type_error(self, key: str, expected: str, value: object) -> ConfigError:
        hint = ""
        if expected.startswith("a list") and isinstance(value, str):
            hint = f' (write {key.rsplit(".", 1)[-1]} = ["{value}"])'
        err = self.error(
            f"'{key}' must be {expected}, not {_toml_type(value)}{hint}",
            key,
            self._key_needle(key.rsplit(".", 1)[-1]),
        )
        if err.line is None and key.count(".") > 1:  # in an inline table: its key's line
            err.line = _find_line(self.text, self._key_needle(key.split(".")[1]), self.start_line)
        return err

    def strings(self, value: object, key: str) -> tuple[str, ...]:
        if not isinstance(value, list) or not all(isinstance(v, str) for v in value):
            raise self.type_error(key, "a list of strings", value)
        return tuple(value)

    def selectors(self, value: object, key: str) -> tuple[str, ...]:
        items = self.strings(value, key)
        for item in items:
            if not is_selector(item):
                raise self.error(
                    f"'{key}': unknown rule selector '{item}' ({_SELECTOR_HELP})",
                    key,
                    self._value_needle(item),
                )
        return tuple(item.upper() for item in items)

    def boolean(self, value: object, key: str) -> bool:
        if not isinstance(value, bool):
            raise self.type_error(key, "true or false", value)
        return value

    def severity(self, value: object, key: str) -> Severity:
        if not isinstance(value, str):
            raise self.type_error(key, f"one of {_SEVERITIES}", value)
        try:
            return Severity(value.lower())
        except ValueError:
            raise self.error(
                f"'{key}': unknown severity '{value}' (valid: {_SEVERITIES})",
                key,
                self._value_needle(value),
            ) from None

    def severity_map(self, value: object) -> dict[str, Severity]:
        if not isinstance(value, dict):
            raise self.type_error("severity", "a table of rule code = severity", value)
        out: dict[str, Severity] = {}
        for code, sev in value.items():
            if not _CODE_RE.fullmatch(code.upper()):
                raise self.error(
                    f"'severity': '{code}' is not a rule code (expected a code like HF101)",
                    f"severity.{code}",
                    self._key_needle(code),
                )
            out[code.upper()] = self.severity(sev, f"severity.{code}")
        return out

    def options(self, value: object) -> dict[str, Any]:
        if not isinstance(value, dict):
            raise self.type_error("options", "a table ([options])", value)
        where = f" in [{self.section}.options]" if self.section else " in [options]"
        for key, item in value.items():
            if key not in OPTIONS:
                raise self.error(
                    _unknown_key_message(key, where, OPTIONS), f"options.{key}", self._key_needle(key)
                )
            if key == "runtime-bases" and isinstance(item, dict):
                for stack, image in item.items():
                    if not isinstance(image, str) or not image.strip():
                        raise self.type_error(f"options.{key}.{stack}", "a non-empty image string", image)
            elif key == "runtime-bases" or not (
                isinstance(item, list) and all(isinstance(v, str) for v in item)
            ):
                raise self.type_error(f"options.{key}", OPTIONS[key], item)
        return dict(value)

    def per_file_ignores(self, value: object) -> dict[str, tuple[str, ...]]:
        if not isinstance(value, dict):
            raise self.type_error("per-file-ignores", 'a table of "glob" = [codes]', value)
        out: dict[str, tuple[str, ...]] = {}
        for glob, codes in value.items():
            if not glob:
                raise self.error("'per-file-ignores': empty glob", "per-file-ignores")
            out[glob] = self.selectors(codes, f"per-file-ignores.{glob}")
        return out


def _toml_type(value: object) -> str:
    if isinstance(value, bool):
        return "a boolean"
    if isinstance(value, str):
        return "a string" if value.strip() else "an empty string"
    if isinstance(value, (int, float)):
        return "a number"
    if isinstance(value, list):
        return "an array"
    if isinstance(value, dict):
        return "a table"
    return type(value).__name__


def _unknown_key_message(key: str, where: str, known: Iterable[str] = KEYS) -> str:
    known = tuple(known)
    guess = key.replace("_", "-").lower()
    if guess not in known:
        import difflib  # only on the error path: it is not free to import

        close = difflib.get_close_matches(key, known, n=1, cutoff=0.6)
        guess = close[0] if close else ""
    if guess:
        return f"unknown key '{key}'{where} (did you mean '{guess}'?)"
    return f"unknown key '{key}'{where}; valid keys: {', '.join(known)}"


def _find_line(text: str, needle: str, start_line: int = 1) -> int | None:
    """Best effort: the first line at or after `start_line` matching the regex `needle`."""
    pattern = re.compile(needle)
    for number, line in enumerate(text.splitlines()[start_line - 1 :], start_line):
        if pattern.search(line):
            return number
    return None


# ------------------------------------------------------------------------------ lookup


class ConfigResolver:
    """Finds and loads config files, remembering the answer per directory and per file.

    One instance per run (the module keeps a default one); `clear()` forgets everything,
    which tests and long-lived processes (the bulk runner) need after files change.
    """

    def __init__(self) -> None:
        self._dirs: dict[str, str | None] = {}
        self._tables: dict[str, tuple[dict[str, Any] | None, str]] = {}
        self._settings: dict[str, Settings] = {}

    def clear(self) -> None:
        self._dirs.clear()
        self._tables.clear()
        self._settings.clear()

    def _pyproject_table(self, path: str) -> dict[str, Any] | None:
        cached = self._tables.get(path)
        if cached is not None:
            return cached[0]
        data = _read_config_bytes(path)
        table: dict[str, Any] | None = None
        text = ""
        # Most pyprojects never mention us: skip parsing them (and their syntax errors).
        if b"hardenify" in data:
            text = data.decode("utf-8", "replace")
            table = _hardenify_table(_parse_toml(data, path), path, text)
        self._tables[path] = (table, text)
        return table

    def _config_in(self, directory: str) -> str | None:
        for name in CONFIG_FILENAMES:
            candidate = os.path.join(directory, name)
            if not _is_config_file(candidate):
                continue
            if name != "pyproject.toml" or self._pyproject_table(candidate) is not None:
                return candidate
        return None

    def find(self, path: str | os.PathLike[str]) -> str | None:
        """The config file that applies to `path` (a file or a directory), or None."""
        current = os.path.abspath(os.fspath(path))
        if not os.path.isdir(current):
            current = os.path.dirname(current)
        walked: list[str] = []
        found: str | None = None
        while True:
            if current in self._dirs:
                found = self._dirs[current]
                break
            walked.append(current)
            found = self._config_in(current)
            if found is not None:
                break
            parent = os.path.dirname(current)
            if parent == current:
                break
            current = parent
        for directory in walked:
            self._dirs[directory] = found
        return found

    def load(self, path: str | os.PathLike[str]) -> Settings:
        """Settings from one config file (what `--config PATH` uses; no discovery)."""
        abs_path = os.path.abspath(os.fspath(path))
        cached = self._settings.get(abs_path)
        if cached is not None:
            return cached
        if not _is_config_file(abs_path):
            raise ConfigError("config file not found", path=abs_path)
        if os.path.basename(abs_path) == "pyproject.toml":
            table = self._pyproject_table(abs_path)
            text = self._tables[abs_path][1]
            section = "tool.hardenify"
            if table is None:  # named explicitly but has no [tool.hardenify]: the defaults
                table = {}
        else:
            table, text = _read_toml(abs_path)
            section = ""
        settings = _Validator(abs_path, text, section).settings(table)
        self._settings[abs_path] = settings
        return settings

    def settings_for(
        self, path: str | os.PathLike[str], config: str | os.PathLike[str] | None = None
    ) -> Settings:
        """The settings for checking `path`: `config` when given, else the closest file."""
        if config is not None:
            return self.load(config)
        found = self.find(path)
        return self.load(found) if found is not None else _DEFAULTS


def _is_config_file(path: str) -> bool:
    """Is there a config file at `path`? A FIFO, socket or device there is an error, not a
    file to skip: it is never opened, and a config silently not applied could let a rule
    the repository turned off through (or the reverse)."""
    import stat

    from hardenify.safeio import file_kind

    try:
        mode = os.stat(path).st_mode
    except OSError:
        return False
    if stat.S_ISREG(mode):
        return True
    if stat.S_ISDIR(mode):
        return False
    raise ConfigError(f"not a regular file ({file_kind(mode)})", path=path)


_DEFAULTS = Settings()  # frozen, so every file without a config can share it


_default = ConfigResolver()


def find_config(path: str | os.PathLike[str]) -> str | None:
    """The closest config file at or above `path` (cached per directory), or None."""
    return _default.find(path)


def load_config(path: str | os.PathLike[str]) -> Settings:
    """Read and validate one config file (cached); raises ConfigError."""
    return _default.load(path)


def settings_for(path: str | os.PathLike[str], config: str | os.PathLike[str] | None = None) -> Settings:
    """File settings for `path`: `--config` when given, else discovery, else the defaults."""
    return _default.settings_for(path, config=config)


def clear_cache() -> None:
    """Forget every cached lookup and loaded file of the module-level resolver."""
    _default.clear()


# ------------------------------------------------------------------------------ CLI merge


def _cli_selectors(values: Iterable[str] | None, flag: str) -> tuple[str, ...] | None:
    """Split `HF1,HF2` lists as ruff does and validate each selector."""
    if values is None:
        return None
    out: list[str] = []
    for value in values:
        for item in value.split(","):
            item = item.strip()
            if not item:
                continue
            if not is_selector(item):
                raise ConfigError(f"{flag}: unknown rule selector '{item}' ({_SELECTOR_HELP})")
            out.append(item.upper())
    return tuple(out)


def _covers(broad: str, narrow: str) -> bool:
    """Does selector `broad` select everything `narrow` selects?"""
    return broad == "ALL" or (narrow != "ALL" and narrow.startswith(broad))


def merge_cli(
    settings: Settings,
    *,
    select: Sequence[str] | None = None,
    ignore: Sequence[str] | None = None,
    extend_select: Sequence[str] | None = None,
    per_file_ignores: Mapping[str, Sequence[str]] | None = None,
    fail_on: str | Severity | None = None,
    unsafe_fixes: bool | None = None,
    exclude: Sequence[str] | None = None,
    extend_exclude: Sequence[str] | None = None,
    respect_gitignore: bool | None = None,
    options: Mapping[str, Any] | None = None,
) -> Settings:
    """Lay command-line options over file settings; None means "not given".

    Rule selection follows ruff, where the command line is a second layer over the file:

    - `--select` starts over: the file's select, extend-select and ignore no longer apply;
    - otherwise `--extend-select` adds and `--ignore` adds, and within the codes a CLI
      selector names the command line decides: `--extend-select HF1` re-enables a rule
      the file ignores with `ignore = ["HF101"]`, and `--ignore HF1` beats a file
      `select = ["HF101"]` even though the file's selector is more specific.

    `--exclude` replaces the file's list, `--extend-exclude` and `--per-file-ignores` add,
    `--option` values are merged over `[options]`, and the rest replace file values.
    """
    cli_select = _cli_selectors(select, "--select")
    cli_ignore = _cli_selectors(ignore, "--ignore") or ()
    cli_extend = _cli_selectors(extend_select, "--extend-select") or ()
    changes: dict[str, Any] = {}

    if cli_select is not None:
        changes["select"] = cli_select
        changes["extend_select"] = cli_extend
        changes["ignore"] = cli_ignore
    elif cli_extend or cli_ignore:
        changes.update(_layer_selection(settings, cli_extend, cli_ignore))

    if per_file_ignores:
        merged = {k: tuple(v) for k, v in settings.per_file_ignores.items()}
        for glob, codes in per_file_ignores.items():
            extra = _cli_selectors(codes, "--per-file-ignores") or ()
            merged[glob] = _unique((*merged.get(glob, ()), *extra))
        changes["per_file_ignores"] = merged
    if fail_on is not None:
        try:
            changes["fail_on"] = Severity(fail_on.lower() if isinstance(fail_on, str) else fail_on)
        except ValueError:
            raise ConfigError(f"--fail-on: unknown severity '{fail_on}' (valid: {_SEVERITIES})") from None
    if unsafe_fixes is not None:
        changes["unsafe_fixes"] = unsafe_fixes
    if exclude is not None:
        changes["exclude"] = tuple(exclude)
    if extend_exclude:
        changes["extend_exclude"] = (*settings.extend_exclude, *extend_exclude)
    if respect_gitignore is not None:
        changes["respect_gitignore"] = respect_gitignore
    if options:
        changes["options"] = {**settings.options, **options}
    return replace(settings, **changes) if changes else settings


def _layer_selection(
    settings: Settings, cli_extend: tuple[str, ...], cli_ignore: tuple[str, ...]
) -> dict[str, Any]:
    """Flatten ruff's file layer + CLI layer into one select/extend-select/ignore.

    `resolve_selection` decides each code by its most specific selector, which would let
    a narrow file selector beat a broad CLI one. A file selector inside the codes some CLI
    selector names can no longer matter there (the CLI layer decides them), so it is
    dropped; what remains is broader than every CLI selector at those codes and cannot
    outvote them. When that empties a non-empty file `select`, the remaining selections
    become the select list, since an empty one would mean "all rules".
    """
    cli = (*cli_extend, *cli_ignore)

    def keep(selectors: Iterable[str]) -> tuple[str, ...]:
        return tuple(f for f in selectors if not any(_covers(k, f) for k in cli))

    select = settings.select
    extend = (*keep(settings.extend_select), *cli_extend)
    ignore = (*keep(settings.ignore), *cli_ignore)
    if select:
        select = keep(select)
        if not select:
            # Nothing left of the file's base set: select exactly what remains selected
            # (ALL with ignore ALL when nothing does: no rule at all).
            if extend:
                select, extend = extend, ()
            else:
                select, ignore = ("ALL",), (*ignore, "ALL")
    return {"select": select, "extend_select": _unique(extend), "ignore": _unique(ignore)}


def _unique(items: Iterable[str]) -> tuple[str, ...]:
    return tuple(dict.fromkeys(items))
