"""Where to talk to a registry and how: API hosts, mirrors, plain-HTTP exceptions, limits.

Kept free of network imports: building a config must not cost `hardenify check` anything.
"""

from __future__ import annotations

import os
import re
from collections.abc import Iterable, Mapping
from dataclasses import dataclass, field
from pathlib import Path

from hardenify import __version__
from hardenify.imageref import DOCKER_HUB, ImageRef

# Docker Hub's API does not live at docker.io; every client must make this jump.
DOCKER_HUB_API = "registry-1.docker.io"
# The key Docker itself uses for Hub credentials in config.json and credential helpers.
DOCKER_HUB_AUTH_KEY = "https://index.docker.io/v1/"
_HUB_ALIASES = frozenset({"docker.io", "index.docker.io", "registry-1.docker.io", "registry.hub.docker.com"})
_LOOPBACK = frozenset({"localhost", "127.0.0.1", "::1"})
CACHE_ENV = "HARDENIFY_CACHE_DIR"


def normalize_registry(name: str) -> str:
    """`https://index.docker.io/v1/` → `docker.io`; `HARBOR.corp:443/` → `harbor.corp:443`.

    Users spell registries many ways (config.json keys carry schemes and paths); one
    spelling lets mirrors, insecure lists and credentials match reliably.
    """
    s = name.strip()
    for prefix in ("https://", "http://"):
        if s.lower().startswith(prefix):
            s = s[len(prefix) :]
    s = s.split("/", 1)[0].lower()
    return DOCKER_HUB if s in _HUB_ALIASES else s


def hostname(hostport: str) -> str:
    """`[::1]:5000` → `::1`, `localhost:5000` → `localhost`, `gcr.io` → `gcr.io`."""
    if hostport.startswith("["):
        return hostport[1:].split("]", 1)[0]
    host, sep, port = hostport.rpartition(":")
    return host if sep and port.isdigit() else hostport


def parse_mirror(spec: str) -> tuple[str, str]:
    """`docker.io=harbor.corp:443/hub` → (`docker.io`, `harbor.corp:443/hub`).

    Raises ValueError with a message fit for a usage error.
    """
    reg, sep, target = spec.partition("=")
    reg, target = reg.strip(), target.strip().rstrip("/")
    for prefix in ("https://", "http://"):
        if target.lower().startswith(prefix):
            target = target[len(prefix) :]
    if not sep or not reg or not target or any(c.isspace() for c in spec.strip()):
        raise ValueError(
            f"invalid mirror {spec!r}: expected REGISTRY=HOST[:PORT][/PREFIX], e.g. docker.io=harbor.corp"
        )
    return normalize_registry(reg), target


@dataclass(frozen=True)
class Endpoint:
    """Where one repository's manifests are fetched from."""

    registry: str  # the registry named in the reference (normalised), e.g. "docker.io"
    host: str  # host[:port] actually contacted, e.g. "registry-1.docker.io"
    repository: str  # path on that host, e.g. "library/python" (mirror prefix included)
    scheme: str  # "https", or "http" for loopback and insecure registries
    auth_key: str  # what credentials are looked up under

    def manifest_url(self, reference: str) -> str:
        return f"{self.scheme}://{self.host}/v2/{self.repository}/manifests/{reference}"


@dataclass(frozen=True)
class RegistryConfig:
    """Everything the resolver needs to know; immutable so threads can share it.

    `mirrors` maps a registry (`docker.io`) to `host[:port][/prefix]`; the prefix is put in
    front of the repository path, as pull-through caches such as Harbor expect. There is
    no fallback from a mirror to the upstream registry: a mirror is configured precisely
    where the upstream must not be contacted.
    """

    mirrors: Mapping[str, str] = field(default_factory=dict)
    insecure_registries: Iterable[str] = ()
    cache_dir: Path | str | None = None
    cache_ttl: float = 3600.0
    use_cache: bool = True
    offline: bool = False
    # Ask the registry about every tag even when the cache has a fresh answer (`pin --check`):
    # a HEAD per tag, and a GET only for a tag that moved. `offline` wins over it.
    revalidate: bool = False
    # The whole lookup (connect, reads, retries, token) ends within this many seconds.
    timeout: float = 10.0
    max_retries: int = 3
    backoff_base: float = 0.5
    # A longer Retry-After is cut to this; one ending past the lookup's deadline is not waited.
    retry_after_cap: float = 5.0
    jobs: int = 8
    # Path of a docker config.json; None: $DOCKER_CONFIG/config.json or ~/.docker/config.json.
    docker_config: Path | str | None = None
    user_agent: str = f"hardenify/{__version__}"

    def __post_init__(self) -> None:
        # Normalise once so lookups are plain dict/set membership tests.
        mirrors = {normalize_registry(k): v.strip().rstrip("/") for k, v in dict(self.mirrors).items()}
        object.__setattr__(self, "mirrors", mirrors)
        object.__setattr__(
            self, "insecure_registries", frozenset(normalize_registry(h) for h in self.insecure_registries)
        )
        if self.jobs < 1:
            raise ValueError("jobs must be at least 1")
        if self.max_retries < 0:
            raise ValueError("max_retries must not be negative")

    def is_plain_http(self, hostport: str) -> bool:
        """Plain HTTP is allowed only for loopback hosts and registries marked insecure."""
        hp = normalize_registry(hostport)
        insecure = frozenset(self.insecure_registries)
        return hostname(hp) in _LOOPBACK or hp in insecure or hostname(hp) in insecure

    def endpoint(self, ref: ImageRef) -> Endpoint:
        registry = normalize_registry(ref.registry)
        repository = ref.path
        mirror = self.mirrors.get(registry)
        if mirror:
            host, _, prefix = mirror.partition("/")
            if prefix:
                repository = f"{prefix.strip('/')}/{repository}"
            auth_key = normalize_registry(host)
        elif registry == DOCKER_HUB:
            host, auth_key = DOCKER_HUB_API, DOCKER_HUB
        else:
            host, auth_key = registry, registry
        scheme = "http" if self.is_plain_http(host) else "https"
        return Endpoint(registry, host, repository, scheme, auth_key)

    def resolved_cache_dir(self) -> Path:
        """The parameter wins, then $HARDENIFY_CACHE_DIR, then the platform's user cache dir."""
        if self.cache_dir is not None:
            return Path(self.cache_dir).expanduser()
        env = os.environ.get(CACHE_ENV)
        if env:
            return Path(env).expanduser()
        import platformdirs

        return Path(platformdirs.user_cache_dir("hardenify"))

    def docker_config_path(self) -> Path:
        if self.docker_config is not None:
            return Path(self.docker_config).expanduser()
        env = os.environ.get("DOCKER_CONFIG")
        base = Path(env).expanduser() if env else Path.home() / ".docker"
        return base / "config.json"


_PLATFORM_RE = re.compile(r"^[a-z0-9_.-]+/[a-z0-9_.-]+(?:/[a-z0-9_.-]+)?$")
_ARCH_ALIASES = {"x86_64": "amd64", "x86-64": "amd64", "aarch64": "arm64", "armhf": "arm", "armel": "arm"}
_DEFAULT_VARIANT = {"arm64": "v8", "arm": "v7"}


@dataclass(frozen=True)
class Platform:
    """`linux/amd64`, `linux/arm64/v8`: what an image index entry is matched against."""

    os: str
    architecture: str
    variant: str | None = None

    @classmethod
    def parse(cls, spec: str) -> Platform:
        s = spec.strip().lower()
        if not _PLATFORM_RE.match(s):
            raise ValueError(f"invalid platform {spec!r}: expected OS/ARCH[/VARIANT], e.g. linux/amd64")
        parts = s.split("/")
        return cls(parts[0], parts[1], parts[2] if len(parts) > 2 else None)

    def normalized(self) -> tuple[str, str, str | None]:
        """Compare `linux/aarch64` and `linux/arm64/v8` as the same platform, as containerd does."""
        arch = _ARCH_ALIASES.get(self.architecture, self.architecture)
        return self.os, arch, self.variant or _DEFAULT_VARIANT.get(arch)

    def __str__(self) -> str:
        return "/".join(p for p in (self.os, self.architecture, self.variant) if p)
