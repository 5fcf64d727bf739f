"""Fixtures: a fake registry, and configs that never read the user's cache or docker config."""

from __future__ import annotations

from collections.abc import Callable, Iterator
from pathlib import Path
from typing import Any

import pytest
from pytest_httpserver import HTTPServer

from hardenify.registry import RegistryConfig, Resolver
from tests.registry.fake_registry import FakeRegistry, Sleeps
from tests.registry.faulty import FaultyRegistry, tls_pair


@pytest.fixture
def registry(httpserver: HTTPServer) -> FakeRegistry:
    return FakeRegistry(httpserver)


@pytest.fixture
def sleeps() -> Sleeps:
    return Sleeps()


@pytest.fixture
def make_config(tmp_path: Path) -> Callable[..., RegistryConfig]:
    """A config with a private cache and no docker config (the user's is never read)."""

    def make(**kw: Any) -> RegistryConfig:
        kw.setdefault("cache_dir", tmp_path / "cache")
        kw.setdefault("docker_config", tmp_path / "docker" / "config.json")
        kw.setdefault("timeout", 3.0)
        kw.setdefault("backoff_base", 0.01)
        return RegistryConfig(**kw)

    return make


@pytest.fixture
def make_resolver(
    make_config: Callable[..., RegistryConfig], sleeps: Sleeps
) -> Iterator[Callable[..., Resolver]]:
    made: list[Resolver] = []

    def make(**kw: Any) -> Resolver:
        r = Resolver(make_config(**kw), sleep=sleeps)
        made.append(r)
        return r

    yield make
    for r in made:
        r.close()


@pytest.fixture
def faulty() -> Iterator[FaultyRegistry]:
    """The fault-injecting registry (tests/registry/faulty.py) on 127.0.0.1, plain HTTP."""
    server = FaultyRegistry().start()
    yield server
    server.stop()


@pytest.fixture
def faulty_tls(
    faulty: FaultyRegistry, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> Iterator[FaultyRegistry]:
    """The same faults over TLS on 127.0.0.2 (not a plain-HTTP loopback name, so the client
    uses https), trusted through the process's TLS context; redirect/http points at `faulty`."""
    pytest.importorskip("cryptography", reason="cryptography makes the throwaway certificate")
    from hardenify.registry import tls

    server_ctx, client_ctx = tls_pair(tmp_path, "127.0.0.2")
    monkeypatch.setattr(tls, "_context", client_ctx)
    server = FaultyRegistry("127.0.0.2", server_ctx, plain_port=faulty.port).start()
    yield server
    server.stop()
