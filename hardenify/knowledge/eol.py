"""End-of-life dates of the runtimes and distributions that base images are built from.

The table is data: `scripts/refresh_eol.py` rewrites `eol.json` beside this module from the
public endoflife.date API, and a maintainer commits the result. Nothing here goes to the network;
checks compare against today's date, so a release goes end-of-life on the day its date passes.

Each product lists its release cycles as `{"cycle": "3.8", "eol": "2024-10-07"}`. `eol` is the
date the image stops getting fixes: the end of security support (for Debian, the end of its LTS,
which the official images follow; for Ubuntu, of standard support, since ESM is not in the images).
"""

from __future__ import annotations

import datetime as _dt
import json
import re
from dataclasses import dataclass
from functools import cache
from importlib import resources

from hardenify.imageref import ImageRef


@dataclass(frozen=True)
class Cycle:
    product: str
    cycle: str  # "3.8", "16", "bookworm"...
    eol: _dt.date
    codename: str | None = None


@cache
def table() -> dict[str, object]:
    """The committed table, as loaded from eol.json."""
    raw = resources.files("hardenify.knowledge").joinpath("eol.json").read_text(encoding="utf-8")
    data: dict[str, object] = json.loads(raw)
    return data


@cache
def cycles(product: str) -> tuple[Cycle, ...]:
    entries = table().get("products", {})
    assert isinstance(entries, dict)
    out: list[Cycle] = []
    for e in entries.get(product, {}).get("cycles", []):
        out.append(Cycle(product, str(e["cycle"]), _dt.date.fromisoformat(e["eol"]), e.get("codename")))
    return tuple(out)


def source(product: str) -> str:
    entries = table().get("products", {})
    assert isinstance(entries, dict)
    return str(entries.get(product, {}).get("source", ""))


# Official image → (product, how to read the release cycle from a tag).
# The regex's group 1 is the cycle; tags it does not match (`latest`, `slim`, `lts`) are unknown.
_VERSION2 = r"^(\d+\.\d+)(?:\.\d+)*(?:[-._a-z0-9]*)$"
_MAJOR = r"^(\d+)(?:\.\d+)*(?:[-._a-z0-9]*)$"
_IMAGES: dict[str, tuple[str, str]] = {
    "python": ("python", _VERSION2),
    "pypy": ("", ""),
    "node": ("nodejs", _MAJOR),
    "golang": ("go", _VERSION2),
    "ruby": ("ruby", _VERSION2),
    "php": ("php", _VERSION2),
    "alpine": ("alpine", _VERSION2),
    "debian": ("debian", r"^(\d+|[a-z]+)(?:[-.][-._a-z0-9]*)?$"),
    "ubuntu": ("ubuntu", r"^(\d+\.\d+|[a-z]+)(?:[-.][-._a-z0-9]*)?$"),
    "mcr.microsoft.com/dotnet/sdk": ("dotnet", _VERSION2),
    "mcr.microsoft.com/dotnet/aspnet": ("dotnet", _VERSION2),
    "mcr.microsoft.com/dotnet/runtime": ("dotnet", _VERSION2),
    "mcr.microsoft.com/dotnet/runtime-deps": ("dotnet", _VERSION2),
    "mcr.microsoft.com/dotnet/core/sdk": ("dotnet", _VERSION2),
    "mcr.microsoft.com/dotnet/core/aspnet": ("dotnet", _VERSION2),
    "mcr.microsoft.com/dotnet/core/runtime": ("dotnet", _VERSION2),
}
# Debian/Ubuntu/Alpine releases named inside another image's tag (`python:3.12-buster`).
_DISTRO_IN_TAG = re.compile(
    r"(?:^|-)(?:slim-)?(stretch|buster|bullseye|bookworm|trixie|jessie|wheezy)(?:$|-)"
)
_ALPINE_IN_TAG = re.compile(r"(?:^|-)alpine(\d+\.\d+)(?:$|-)")


@dataclass(frozen=True)
class Verdict:
    """An end-of-life finding: what went EOL, when, and the source of the date."""

    cycle: Cycle
    what: str  # "Python 3.8", "Debian 10 (buster)"
    source: str


_NAMES = {
    "python": "Python",
    "nodejs": "Node.js",
    "go": "Go",
    "ruby": "Ruby",
    "php": "PHP",
    "alpine": "Alpine",
    "debian": "Debian",
    "ubuntu": "Ubuntu",
    "dotnet": ".NET",
}


def _lookup(product: str, cycle: str) -> Cycle | None:
    for c in cycles(product):
        if c.cycle == cycle or (c.codename and c.codename == cycle):
            return c
    return None


def _describe(c: Cycle) -> str:
    name = _NAMES.get(c.product, c.product)
    return f"{name} {c.cycle} ({c.codename})" if c.codename else f"{name} {c.cycle}"


def image_key(ref: ImageRef) -> str:
    if ref.registry == "docker.io" and ref.path.startswith("library/"):
        return ref.path[len("library/") :]
    return f"{ref.registry}/{ref.path}" if ref.registry != "docker.io" else ref.path


def end_of_life(ref: ImageRef, today: _dt.date | None = None) -> Verdict | None:
    """The first end-of-life release this image is built on (runtime, then distribution)."""
    today = today or _dt.date.today()
    tag = (ref.tag or "").lower()
    if not tag:
        return None
    found: list[Cycle] = []
    spec = _IMAGES.get(image_key(ref))
    if spec and spec[0]:
        m = re.match(spec[1], tag)
        if m:
            c = _lookup(spec[0], m.group(1))
            if c is not None:
                found.append(c)
    d = _DISTRO_IN_TAG.search(tag)
    if d and (spec is None or spec[0] != "debian"):
        c = _lookup("debian", d.group(1))
        if c is not None:
            found.append(c)
    a = _ALPINE_IN_TAG.search(tag)
    if a and (spec is None or spec[0] != "alpine"):
        c = _lookup("alpine", a.group(1))
        if c is not None:
            found.append(c)
    for c in found:
        if c.eol <= today:
            return Verdict(c, _describe(c), source(c.product))
    return None


def supported(product: str, today: _dt.date | None = None) -> list[Cycle]:
    """Releases still supported today, oldest first (the order of the table)."""
    today = today or _dt.date.today()
    return sorted((c for c in cycles(product) if c.eol > today), key=lambda c: c.eol)
