"""Named validators for answers: the only gate between what a user types and the templates.

Templates put answers into Dockerfiles, YAML and shell snippets. Rather than trusting every
template to quote correctly, each answer is held to a character set that cannot break out of
any of those contexts (no newlines, no quotes where they are not needed, no `..` in paths).
Validators return the normalised value or raise `ValueError` with a message for people.
"""

from __future__ import annotations

import ipaddress
import re
import shlex
from collections.abc import Callable
from typing import Any

_NAME_RE = re.compile(r"^[a-z0-9](?:[a-z0-9_.-]{0,61}[a-z0-9])?$")
_ENV_RE = re.compile(r"^[A-Za-z_][A-Za-z0-9_]*$")
_PATH_RE = re.compile(r"^/[A-Za-z0-9._~/-]*$")
_RELPATH_RE = re.compile(r"^[A-Za-z0-9._/-]+$")
_VERSION_RE = re.compile(r"^[0-9A-Za-z][0-9A-Za-z._-]{0,63}$")
_MEMORY_RE = re.compile(r"^[1-9][0-9]*(?:\.[0-9]+)?[kKmMgG]?$")
_CPUS_RE = re.compile(r"^(?:[0-9]+(?:\.[0-9]+)?|\.[0-9]+)$")
# Control characters, and the characters that would end a JSON/YAML/shell string early.
_UNSAFE_IN_ARG = re.compile(r"[\x00-\x1f\x7f\"`\\]")


def _port(value: Any) -> int:
    port = int(value)
    if not 1 <= port <= 65535:
        raise ValueError(f"port {port} is out of range: use 1-65535")
    return port


def _uid(value: Any) -> int:
    uid = int(value)
    if uid == 0:
        raise ValueError("uid 0 is root: use a non-root uid such as 10001")
    if not 1 <= uid <= 2147483647:
        raise ValueError(f"uid {uid} is out of range: use 1-2147483647")
    return uid


def _pids(value: Any) -> int:
    pids = int(value)
    if not 16 <= pids <= 1_000_000:
        raise ValueError(f"pids limit {pids} is out of range: use 16-1000000")
    return pids


def _name(value: Any) -> str:
    s = str(value)
    if not _NAME_RE.fullmatch(s):
        raise ValueError(
            f"{s!r} is not a valid name: use lower-case letters, digits, '.', '_' or '-' "
            "(starting and ending with a letter or digit, at most 63 characters)"
        )
    return s


def _command(value: Any) -> str:
    s = str(value).strip()
    if not s:
        raise ValueError("the command is empty")
    if "\n" in s or "\r" in s:
        raise ValueError("the command must be one line")
    try:
        argv = shlex.split(s)
    except ValueError as exc:
        raise ValueError(f"cannot split the command into arguments: {exc}") from None
    for arg in argv:
        if _UNSAFE_IN_ARG.search(arg):
            raise ValueError(
                f"argument {arg!r} holds a quote, backslash, backtick or control character; "
                "write the command as plain words"
            )
    return " ".join(shlex.quote(a) for a in argv)


def _path(value: Any) -> str:
    s = str(value)
    if not _PATH_RE.fullmatch(s):
        raise ValueError(f"{s!r} is not a plain URL path: start with '/', use letters, digits and ._~/-")
    return s


def _health(value: Any) -> str:
    """A URL path the HTTP probe GETs, or `tcp` for a probe that only connects (an app with no
    route that answers 2xx/3xx without a session): what detection's TCP-fallback note offers."""
    if str(value).strip().lower() == "tcp":
        return "tcp"
    return _path(value)


def _relpath(value: Any) -> str:
    s = str(value).strip()
    if s in ("", "."):
        return "."
    s = s.rstrip("/")
    if s.startswith("./"):
        s = s[2:]
    if not _RELPATH_RE.fullmatch(s) or s.startswith("/") or ".." in s.split("/"):
        raise ValueError(f"{s!r} must be a relative path inside the project (letters, digits, ._-/; no '..')")
    return s


def _version(value: Any) -> str:
    s = str(value).strip()
    if not _VERSION_RE.fullmatch(s):
        raise ValueError(f"{s!r} is not a version/tag (letters, digits, '.', '_' or '-')")
    return s


def _memory(value: Any) -> str:
    s = str(value).strip()
    if not _MEMORY_RE.fullmatch(s):
        raise ValueError(f"{s!r} is not a memory size: use e.g. 256M, 512M or 1G")
    return s


def _cpus(value: Any) -> str:
    s = str(value).strip()
    if not _CPUS_RE.fullmatch(s) or float(s) <= 0:
        raise ValueError(f"{s!r} is not a CPU count: use e.g. 0.5, 1 or 2.0")
    return s


def split_names(value: Any) -> list[str]:
    """`"API_TOKEN, DATABASE_URL"` (or a list) → `["API_TOKEN", "DATABASE_URL"]`, deduplicated."""
    items = value if isinstance(value, (list, tuple)) else str(value or "").replace(",", " ").split()
    out: list[str] = []
    for item in items:
        s = str(item).strip()
        if s and s not in out:
            out.append(s)
    return out


def _names(value: Any) -> str:
    names = split_names(value)
    for n in names:
        if not _ENV_RE.fullmatch(n):
            raise ValueError(f"{n!r} is not an environment variable name (letters, digits, '_')")
    return ",".join(names)


def _address(value: Any) -> str:
    s = str(value).strip()
    try:
        addr = ipaddress.ip_address(s)
    except ValueError:
        raise ValueError(f"{s!r} is not an IP address: use 127.0.0.1 (local only) or 0.0.0.0") from None
    return f"[{addr}]" if addr.version == 6 else str(addr)


def _nonempty(value: Any) -> str:
    s = str(value).strip()
    if not s or "\n" in s:
        raise ValueError("a one-line value is required")
    return s


VALIDATORS: dict[str, Callable[[Any], Any]] = {
    "port": _port,
    "uid": _uid,
    "pids": _pids,
    "name": _name,
    "command": _command,
    "path": _path,
    "health": _health,
    "relpath": _relpath,
    "version": _version,
    "memory": _memory,
    "cpus": _cpus,
    "names": _names,
    "address": _address,
    "nonempty": _nonempty,
}


def validate(name: str | None, value: Any) -> Any:
    """Run the named validator (unknown names are a template bug: KeyError with the name)."""
    if name is None:
        return value
    try:
        fn = VALIDATORS[name]
    except KeyError:
        raise KeyError(f"unknown validator {name!r}; known: {', '.join(sorted(VALIDATORS))}") from None
    try:
        return fn(value)
    except (TypeError, ValueError) as exc:
        msg = str(exc)
        if "invalid literal" in msg:
            msg = f"{value!r} is not a whole number"
        raise ValueError(msg) from None
