"""OCI registry client: resolve image tags to digests for `hardenify pin`.

The public API is small on purpose:

    from hardenify.registry import RegistryConfig, Resolver
    with Resolver(RegistryConfig(mirrors={"docker.io": "harbor.corp"})) as r:
        results = r.resolve_many(["python:3.12-slim"], platform=None)
    results["python:3.12-slim"].digest  # "sha256:…" or None, then .error.kind/.message

Importing this package does not import httpx or truststore; the first request does.
"""

from hardenify.registry.auth import Challenge, Credentials, parse_challenges
from hardenify.registry.cache import DigestCache
from hardenify.registry.config import Platform, RegistryConfig, parse_mirror
from hardenify.registry.resolver import Resolver, lookup_key
from hardenify.registry.types import ErrorKind, Resolution, ResolveError

__all__ = [
    "Challenge",
    "Credentials",
    "DigestCache",
    "ErrorKind",
    "Platform",
    "RegistryConfig",
    "Resolution",
    "ResolveError",
    "Resolver",
    "lookup_key",
    "parse_challenges",
    "parse_mirror",
]
