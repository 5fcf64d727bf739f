"""Image references: `[registry[:port]/]path[:tag][@digest]` with Docker Hub normalisation."""

from __future__ import annotations

import re
from functools import lru_cache
from typing import NamedTuple

DOCKER_HUB = "docker.io"
_DIGEST_RE = re.compile(r"^[a-z0-9]+(?:[.+_-][a-z0-9]+)*:[0-9a-fA-F]{32,}$")
SHA256_RE = re.compile(r"^sha256:[0-9a-f]{64}$")
_TAG_RE = re.compile(r"^[\w][\w.-]{0,127}$")
_PATH_COMPONENT = re.compile(r"^[a-z0-9]+(?:(?:[._]|__|-+)[a-z0-9]+)*$")


class ImageRefError(ValueError):
    """A reference that cannot be parsed; the message says which part is wrong."""


class ImageRef(NamedTuple):
    registry: str  # "docker.io" when implicit
    path: str  # "library/python" for official images
    tag: str | None
    digest: str | None
    explicit_registry: bool = False

    @property
    def repository(self) -> str:
        return f"{self.registry}/{self.path}"

    @property
    def familiar(self) -> str:
        """The short name users write: `python`, `gcr.io/distroless/static`."""
        if self.registry == DOCKER_HUB:
            return self.path[len("library/") :] if self.path.startswith("library/") else self.path
        return f"{self.registry}/{self.path}"

    @property
    def name(self) -> str:
        """Last path component, e.g. `python`, `static-debian12`."""
        return self.path.rsplit("/", 1)[-1]

    @property
    def effective_tag(self) -> str:
        return self.tag or "latest"

    def with_digest(self, digest: str) -> ImageRef:
        return ImageRef(self.registry, self.path, self.tag, digest, self.explicit_registry)

    def __str__(self) -> str:
        s = self.familiar if not self.explicit_registry else f"{self.registry}/{self.path}"
        if self.tag:
            s += f":{self.tag}"
        if self.digest:
            s += f"@{self.digest}"
        return s


def parse_ref(ref: str) -> ImageRef:
    """Parse a reference as Docker does (distribution/reference)."""
    parsed = _parse_ref(ref)
    if isinstance(parsed, str):
        raise ImageRefError(parsed)
    return parsed


@lru_cache(maxsize=1024)
def _parse_ref(ref: str) -> ImageRef | str:
    """`parse_ref`, memoised (rules parse the same FROM images many times): the reference,
    or the error message."""
    try:
        return _parse(ref)
    except ImageRefError as e:
        return str(e)


def _parse(ref: str) -> ImageRef:
    s = ref.strip()
    if not s:
        raise ImageRefError("empty image reference")
    if any(c.isspace() for c in s):
        raise ImageRefError(f"image reference {ref!r} contains whitespace")
    digest = None
    if "@" in s:
        s, digest = s.split("@", 1)
        if not _DIGEST_RE.match(digest):
            raise ImageRefError(f"invalid digest {digest!r} in {ref!r}")
    tag = None
    last = s.rsplit("/", 1)[-1]
    if ":" in last:
        s, tag = s.rsplit(":", 1)
        if not _TAG_RE.match(tag):
            raise ImageRefError(f"invalid tag {tag!r} in {ref!r}")
    parts = s.split("/")
    explicit = False
    if len(parts) > 1 and ("." in parts[0] or ":" in parts[0] or parts[0] == "localhost"):
        registry = parts[0]
        path = "/".join(parts[1:])
        explicit = True
    else:
        registry = DOCKER_HUB
        path = s
    if registry in ("index.docker.io", "registry-1.docker.io"):
        registry = DOCKER_HUB
    if registry == DOCKER_HUB and "/" not in path:
        path = f"library/{path}"
    for comp in path.split("/"):
        if not _PATH_COMPONENT.match(comp):
            raise ImageRefError(
                f"invalid repository name {path!r} in {ref!r}: use lowercase letters, digits, . _ -"
            )
    return ImageRef(registry, path, tag, digest, explicit)


def try_parse_ref(ref: str) -> ImageRef | None:
    try:
        return parse_ref(ref)
    except ImageRefError:
        return None


def is_valid_digest(digest: str) -> bool:
    return bool(SHA256_RE.match(digest))
