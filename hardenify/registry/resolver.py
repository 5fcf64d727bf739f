"""Turn many image references into digests: dedupe, cache, then look up the rest concurrently.

This is the one entry point commands use. Every reference gets a `Resolution`; a network
failure, a 404 or a denied repository is reported for that image only.
"""

from __future__ import annotations

import collections
import logging
import threading
import time
from collections.abc import Callable, Iterable
from concurrent.futures import ThreadPoolExecutor
from dataclasses import replace
from types import TracebackType
from typing import TYPE_CHECKING

from hardenify.imageref import ImageRef, ImageRefError, is_valid_digest, parse_ref
from hardenify.registry.cache import DigestCache
from hardenify.registry.config import Platform, RegistryConfig
from hardenify.registry.types import ErrorKind, Resolution, ResolveError

if TYPE_CHECKING:
    import httpx

    from hardenify.registry.client import RegistryClient

log = logging.getLogger("hardenify.registry")


def lookup_key(ref: ImageRef, platform: Platform | None = None) -> str:
    """The identity of a lookup: `docker.io/library/python:latest` (+ `|linux/amd64`).

    `python`, `library/python:latest` and `docker.io/library/python` are one lookup.
    """
    key = f"{ref.registry}/{ref.path}:{ref.effective_tag}"
    return f"{key}|{platform}" if platform is not None else key


class Resolver:
    """Resolve image references to digests over the OCI distribution API.

    >>> with Resolver(RegistryConfig(jobs=8)) as r:            # doctest: +SKIP
    ...     r.resolve_many(["python:3.12-slim", "gcr.io/distroless/static-debian12"])

    A reference's tag is what gets resolved; a digest already in it is ignored (so
    `python:3.12@sha256:old` asks where `3.12` points now). A reference with a digest and
    no tag has nothing to look up and comes back as it is. Results are memoised per
    resolver: each distinct reference costs at most one lookup per run.
    """

    def __init__(
        self,
        config: RegistryConfig | None = None,
        *,
        sleep: Callable[[float], None] = time.sleep,
        clock: Callable[[], float] = time.time,
        transport: httpx.BaseTransport | None = None,
    ) -> None:
        self.config = config or RegistryConfig()
        self._sleep = sleep
        self._transport = transport
        self._client: RegistryClient | None = None
        self._lock = threading.Lock()
        self._memo: dict[str, Resolution] = {}
        self.cache: DigestCache | None = None
        if self.config.use_cache:
            self.cache = DigestCache(self.config.resolved_cache_dir(), self.config.cache_ttl, clock)

    @property
    def requests(self) -> int:
        """HTTP requests made so far; a run served from the cache makes 0."""
        return self._client.requests if self._client is not None else 0

    def close(self) -> None:
        if self._client is not None:
            self._client.close()

    def __enter__(self) -> Resolver:
        return self

    def __exit__(
        self, exc_type: type[BaseException] | None, exc: BaseException | None, tb: TracebackType | None
    ) -> None:
        self.close()

    def resolve(self, ref: str, platform: str | None = None) -> Resolution:
        return self.resolve_many([ref], platform)[ref]

    def resolve_many(self, refs: Iterable[str], platform: str | None = None) -> dict[str, Resolution]:
        """Resolve every reference; the result is keyed by the strings given, in their order.

        Raises ValueError only for a malformed `platform` (a usage error); everything that
        can go wrong with one image is in its Resolution.
        """
        plat = Platform.parse(platform) if platform else None
        texts = list(refs)
        out: dict[str, Resolution] = {}
        pending: dict[str, tuple[ImageRef, list[str]]] = {}
        seen: set[str] = set()
        for text in texts:
            if text in seen:
                continue
            seen.add(text)
            try:
                ref = parse_ref(text)
            except ImageRefError as exc:
                out[text] = Resolution(text, error=ResolveError(ErrorKind.INVALID_REFERENCE, str(exc)))
                continue
            if ref.digest is not None and ref.tag is None:
                out[text] = self._bare_digest(text, ref.digest)
                continue
            key = lookup_key(ref, plat)
            known = self._known(key)
            if known is not None:
                out[text] = replace(known, ref=text)
            elif key in pending:
                pending[key][1].append(text)
            else:
                pending[key] = (ref, [text])
        if pending:
            self._lookup_all(pending, plat)
            for key, (_, names) in pending.items():
                res = self._memo[key]
                for name in names:
                    out[name] = replace(res, ref=name)
        if self.cache is not None:
            self.cache.save()
        return {text: out[text] for text in texts}

    # ------------------------------------------------------------------ internals

    @staticmethod
    def _bare_digest(text: str, digest: str) -> Resolution:
        if is_valid_digest(digest):
            return Resolution(text, digest=digest, source="reference")
        return Resolution(
            text,
            error=ResolveError(
                ErrorKind.BAD_DIGEST, f"{digest!r} is not a sha256 digest and has no tag to resolve"
            ),
        )

    def _known(self, key: str) -> Resolution | None:
        """A memoised answer, or a cache hit (offline: any age), or an offline miss."""
        with self._lock:
            if key in self._memo:
                return self._memo[key]
        if self.cache is not None and (self.config.offline or not self.config.revalidate):
            digest = self.cache.get(key, allow_stale=self.config.offline)
            if digest is not None:
                res = Resolution(key, digest=digest, source="cache")
                with self._lock:
                    self._memo[key] = res
                return res
        if self.config.offline:
            where = f"the cache ({self.cache.path})" if self.cache is not None else "the cache (disabled)"
            res = Resolution(
                key,
                error=ResolveError(ErrorKind.OFFLINE, f"offline: not in {where}; run once without --offline"),
            )
            with self._lock:
                self._memo[key] = res
            return res
        return None

    def _get_client(self) -> RegistryClient:
        with self._lock:
            if self._client is None:
                from hardenify.registry.client import RegistryClient

                self._client = RegistryClient(self.config, sleep=self._sleep, transport=self._transport)
            return self._client

    def _lookup_all(self, pending: dict[str, tuple[ImageRef, list[str]]], plat: Platform | None) -> None:
        """Look everything up on a bounded thread pool, scheduled per host by `_HostQueues`."""
        client = self._get_client()
        by_host: dict[str, list[tuple[str, ImageRef]]] = {}
        for key, (ref, _) in pending.items():
            by_host.setdefault(self.config.endpoint(ref).host, []).append((key, ref))
        queues = _HostQueues(by_host)

        def drain() -> None:
            host: str | None = None
            while (nxt := queues.take(host)) is not None:
                host, (key, ref) = nxt
                try:
                    res = self._lookup(client, key, ref, plat)
                    with self._lock:
                        self._memo[key] = res
                finally:
                    queues.done(host)

        workers = min(self.config.jobs, len(pending))
        if workers <= 1:
            drain()
            return
        with ThreadPoolExecutor(max_workers=workers, thread_name_prefix="hardenify-registry") as pool:
            for future in [pool.submit(drain) for _ in range(workers)]:
                future.result()

    def _lookup(self, client: RegistryClient, key: str, ref: ImageRef, plat: Platform | None) -> Resolution:
        from hardenify.registry.client import LookupFailed

        ep = self.config.endpoint(ref)
        # A digest cached earlier (of any age) was verified when it was cached: a HEAD that
        # still names it revalidates it; the client verifies anything else with a GET.
        known = self.cache.get(key, allow_stale=True) if self.cache is not None else None
        try:
            digest = client.digest(ep, ref.effective_tag, plat, known=known)
        except LookupFailed as exc:
            log.debug("lookup of %s failed: %s", key, exc.error.kind.value)
            return Resolution(key, error=exc.error)
        except Exception as exc:  # a bug or an exotic transport error must not sink the other images
            log.debug("lookup of %s crashed", key, exc_info=True)
            message = client.redact(f"unexpected error looking up {key}: {type(exc).__name__}: {exc}")
            return Resolution(key, error=ResolveError(ErrorKind.PROTOCOL, message))
        if not is_valid_digest(digest):  # belt and braces: the client validates already
            return Resolution(key, error=ResolveError(ErrorKind.BAD_DIGEST, f"malformed digest {digest!r}"))
        # Only verified digests get here: the client hashed the manifest (or a HEAD confirmed
        # a digest it had hashed before). Failures are never cached.
        if self.cache is not None:
            self.cache.put(key, digest)
        return Resolution(key, digest=digest, source="registry")


class _HostQueues:
    """Hands lookups to workers: one probe per host first, then each worker sticks to a host.

    A host's first lookup goes alone. By the time it returns the connection is open and the
    auth challenge is known, so the lookups that follow fetch tokens up front instead of
    collecting one 401 each, and a dead host has failed once instead of `jobs` times. The
    host then opens to every worker, without waiting for slower hosts' probes.

    A worker keeps taking its host's lookups and so reuses the connection it has open; only
    when that host runs dry does it move, to the host with the most lookups left per worker.
    Handing lookups out in input order sends every worker to one host and then the next,
    opening a connection (a TLS handshake) per worker on each: on loopback, where a
    handshake costs as much as a lookup, that made concurrent runs slower than serial ones.
    Measured with benchmarks/bench_pin.py and rejected: capping workers per host, and moving
    to a host only when enough work is left there to pay for a new connection. Both save
    handshakes, and both cost more round trips than they save over a real network.
    """

    def __init__(self, by_host: dict[str, list[tuple[str, ImageRef]]]) -> None:
        self._queues = {host: collections.deque(items) for host, items in by_host.items() if items}
        self._probing: set[str] = set()
        self._open: set[str] = set()
        self._busy: collections.Counter[str] = collections.Counter()
        self._cond = threading.Condition()

    def take(self, current: str | None) -> tuple[str, tuple[str, ImageRef]] | None:
        """The next lookup for a worker last busy on `current`; None when nothing is left."""
        with self._cond:
            while True:
                host = self._choose(current)
                if host is not None:
                    self._busy[host] += 1
                    return host, self._queues[host].popleft()
                if not self._probing:
                    return None
                self._cond.wait()  # only probes in flight: their hosts may open

    def done(self, host: str) -> None:
        with self._cond:
            self._busy[host] -= 1
            if host in self._probing:
                self._probing.discard(host)
                self._open.add(host)
                self._cond.notify_all()

    def _choose(self, current: str | None) -> str | None:
        if current in self._open and self._queues[current]:
            return current
        for host, queue in self._queues.items():
            if queue and host not in self._open and host not in self._probing:
                self._probing.add(host)
                return host
        ready = [h for h, queue in self._queues.items() if queue and h in self._open]  # input order
        if not ready:
            return None
        return max(ready, key=lambda h: len(self._queues[h]) / (self._busy[h] + 1))
