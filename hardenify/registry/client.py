"""The HTTP side of a lookup: the distribution API, its auth dance, retries and error mapping.

httpx (and on macOS/Windows truststore) is imported by the first request, never at import
time, so importing this module costs `hardenify check` nothing. Every failure leaves here as a
`LookupFailed` carrying a `ResolveError` whose message went through the redactor.
"""

from __future__ import annotations

import email.utils
import hashlib
import json
import logging
import random
import threading
import time
import urllib.parse
from collections.abc import Callable, Mapping
from dataclasses import dataclass
from typing import TYPE_CHECKING, Any

from hardenify.diagnostics import Redactor
from hardenify.imageref import is_valid_digest
from hardenify.registry.auth import Challenge, Credentials, CredentialStore, parse_challenges
from hardenify.registry.config import Endpoint, Platform, RegistryConfig
from hardenify.registry.types import ErrorKind, ResolveError

if TYPE_CHECKING:
    import httpx

    from hardenify.registry.deadline import Deadline

log = logging.getLogger("hardenify.registry")

INDEX_TYPES = frozenset(
    {"application/vnd.oci.image.index.v1+json", "application/vnd.docker.distribution.manifest.list.v2+json"}
)
IMAGE_MANIFEST_TYPES = frozenset(
    {"application/vnd.oci.image.manifest.v1+json", "application/vnd.docker.distribution.manifest.v2+json"}
)
# The only answers a digest is taken from. Docker schema 1 is refused on purpose: its digest is
# taken over the payload without the JWS signature, so it cannot be checked against the body
# we receive; it is deprecated, and Docker Engine 28+ and containerd 2 no longer pull it.
MANIFEST_TYPES = INDEX_TYPES | IMAGE_MANIFEST_TYPES
SCHEMA1_TYPES = frozenset(
    {
        "application/vnd.docker.distribution.manifest.v1+json",
        "application/vnd.docker.distribution.manifest.v1+prettyjws",
    }
)
# Index types first: registries that follow Docker Hub answer 404 to an Accept without them.
MANIFEST_ACCEPT = ", ".join(
    (
        "application/vnd.oci.image.index.v1+json",
        "application/vnd.docker.distribution.manifest.list.v2+json",
        "application/vnd.oci.image.manifest.v1+json",
        "application/vnd.docker.distribution.manifest.v2+json",
    )
)
# distribution refuses manifests over 4 MiB; a larger answer is not a manifest.
MAX_BODY = 4 * 1024 * 1024
# Registries redirect manifests to a CDN or a mirror's upstream at most once or twice.
MAX_REDIRECTS = 5


class LookupFailed(Exception):
    """Internal control flow: carries the error value up to the resolver."""

    def __init__(self, error: ResolveError) -> None:
        super().__init__(error.message)
        self.error = error


@dataclass(frozen=True)
class Reply:
    """A fully read, size-capped response."""

    status: int
    headers: httpx.Headers
    body: bytes

    def header(self, name: str) -> str | None:
        value = self.headers.get(name)
        return value if isinstance(value, str) else None


class RegistryClient:
    """Talks to registries for one resolver; thread-safe, one connection pool per run."""

    def __init__(
        self,
        config: RegistryConfig,
        *,
        sleep: Callable[[float], None] = time.sleep,
        transport: httpx.BaseTransport | None = None,
    ) -> None:
        self.config = config
        self._sleep = sleep
        self._transport = transport
        self._http: httpx.Client | None = None
        self._lock = threading.Lock()
        self._requests = 0
        self._credentials = CredentialStore(config.docker_config_path())
        self._redactor = Redactor()
        self._redact_lock = threading.Lock()
        # (realm, service, scope) → token; (host, repository) → Authorization value
        self._tokens: dict[tuple[str, str, str], str] = {}
        self._token_flights: dict[tuple[str, str, str], threading.Lock] = {}
        self._auth: dict[tuple[str, str], str] = {}
        # host → challenge last seen there, so later repositories fetch a token before asking
        self._challenges: dict[str, Challenge] = {}
        # host → the connection failure seen there, so 20 images on a dead host fail fast
        self._dead: dict[str, ResolveError] = {}

    # ------------------------------------------------------------------ plumbing

    @property
    def requests(self) -> int:
        """HTTP requests sent so far (retries and token requests included)."""
        with self._lock:
            return self._requests

    def close(self) -> None:
        if self._http is not None:
            self._http.close()
            self._http = None

    def _client(self) -> httpx.Client:
        with self._lock:
            if self._http is None:
                import httpx

                from hardenify.registry import deadline
                from hardenify.registry.tls import ssl_context

                # verify/limits also configure the proxy transports httpx builds from
                # HTTPS_PROXY; a transport given here (tests, benchmarks) disables those.
                http = httpx.Client(
                    verify=ssl_context(),
                    timeout=httpx.Timeout(self.config.timeout),
                    follow_redirects=True,
                    max_redirects=MAX_REDIRECTS,
                    event_hooks={"response": [self._refuse_downgrade]},
                    headers={"User-Agent": self.config.user_agent},
                    transport=self._transport,
                    limits=pool_limits(self.config),
                )
                # Every socket read, including those of proxy transports, ends by the deadline.
                deadline.install([getattr(http, "_transport", None), *getattr(http, "_mounts", {}).values()])
                self._http = http
            return self._http

    def redact(self, text: str) -> str:
        """Hide every secret this client has seen (passwords, basic blobs, tokens)."""
        with self._redact_lock:
            return self._redactor(text)

    def _secret(self, value: str) -> None:
        with self._redact_lock:
            self._redactor.add(value)

    def _fail(self, kind: ErrorKind, message: str) -> LookupFailed:
        return LookupFailed(ResolveError(kind, self.redact(message)))

    def _send(
        self,
        method: str,
        url: str,
        headers: Mapping[str, str],
        host: str,
        params: Mapping[str, str] | None = None,
    ) -> Reply:
        """One request with bounded retries on 429/5xx and dropped connections.

        Everything, retries and waits included, ends by the lookup's deadline: httpx gets
        the time left as its timeout, the network backend clamps each socket operation to
        it, and the body is read chunk by chunk with the deadline checked in between.
        """
        import httpx

        from hardenify.registry.deadline import Deadline, current

        with self._lock:
            dead = self._dead.get(host)
        if dead is not None:
            raise LookupFailed(dead)
        dl = current()
        if dl is None:  # a request outside digest() (tests): it gets a deadline of its own
            with Deadline(self.config.timeout, f"{host}").active():
                return self._send(method, url, headers, host, params)
        client = self._client()
        cfg = self.config
        attempt = 0
        while True:
            left = dl.remaining()
            if left <= 0:
                raise self._timeout(dl, host)
            first = dl.requests == 0
            dl.requests += 1
            with self._lock:
                self._requests += 1
            try:
                with client.stream(
                    method, url, headers=dict(headers), params=params, timeout=httpx.Timeout(left)
                ) as resp:
                    # Read to the end even for HEAD (no body): a response that is not read to
                    # its end closes the connection, and every lookup would pay a TLS handshake.
                    chunks: list[bytes] = []
                    size = 0
                    for chunk in resp.iter_bytes():
                        size += len(chunk)
                        if size > MAX_BODY:
                            raise self._fail(
                                ErrorKind.PROTOCOL,
                                f"{host} sent more than {MAX_BODY} bytes for {dl.what}: not a manifest",
                            )
                        if dl.expired:
                            raise self._timeout(dl, host)
                        chunks.append(chunk)
                    body = b"".join(chunks)
                    reply = Reply(resp.status_code, resp.headers, body)
            except httpx.TimeoutException as exc:
                err = self._timeout(dl, host).error
                if isinstance(exc, httpx.ConnectTimeout) and first:
                    self._mark_dead(host, err)
                raise LookupFailed(err) from None
            except httpx.ConnectError as exc:
                err = self._connect_error(host, exc)
                self._mark_dead(host, err)
                raise LookupFailed(err) from None
            except (httpx.RemoteProtocolError, httpx.ReadError, httpx.WriteError) as exc:
                if attempt < cfg.max_retries:
                    self._backoff(attempt, None, dl, host, f"connection to {host} failed ({_reason(exc)})")
                    attempt += 1
                    continue
                raise self._fail(
                    ErrorKind.NETWORK,
                    f"connection to {host} failed while looking up {dl.what}: {_reason(exc)} "
                    f"({_attempts(attempt + 1)})",
                ) from None
            except httpx.TooManyRedirects:
                raise self._fail(
                    ErrorKind.PROTOCOL, f"{host} redirected more than {MAX_REDIRECTS} times for {dl.what}"
                ) from None
            except httpx.HTTPError as exc:
                raise self._fail(ErrorKind.NETWORK, f"request to {host} failed: {_reason(exc)}") from None
            log.debug("%s %s -> %s", method, url, reply.status)
            if reply.status == 429 or reply.status >= 500:
                tries = attempt + 1
                if reply.status == 429:
                    what = f"rate limited by {host} (HTTP 429)"
                    kind = ErrorKind.RATE_LIMITED
                else:
                    what = f"server error from {host} (HTTP {reply.status})"
                    kind = ErrorKind.SERVER_ERROR
                if attempt < cfg.max_retries:
                    self._backoff(attempt, reply.header("retry-after"), dl, host, what, kind)
                    attempt += 1
                    continue
                raise self._fail(kind, f"{what} after {_attempts(tries)}")
            return reply

    def _timeout(self, dl: Deadline, host: str) -> LookupFailed:
        return self._fail(
            ErrorKind.TIMEOUT,
            f"timed out after {dl.seconds:g}s looking up {dl.what} on {host} (the limit covers the "
            "whole lookup: connecting, every read, retries and tokens)",
        )

    def _refuse_downgrade(self, response: httpx.Response) -> None:
        """httpx response hook: never follow a redirect from https to plain http.

        A plain-http target is allowed only from plain http, and only to a host plain HTTP
        is allowed for (loopback, --insecure-registry): a downgrade would expose the token
        and let anyone on the path choose the digest.
        """
        if not response.has_redirect_location:
            return
        target = response.url.join(response.headers["location"])
        if target.scheme != "http":
            return
        hostport = f"{target.host}:{target.port}" if target.port else target.host
        if response.url.scheme == "http" and self.config.is_plain_http(hostport):
            return
        dl_what = ""
        from hardenify.registry.deadline import current

        dl = current()
        if dl is not None:
            dl_what = f" for {dl.what}"
        raise self._fail(
            ErrorKind.PROTOCOL,
            f"{response.url.host} redirected{dl_what} to plain-HTTP {hostport}; refusing to follow "
            f"a redirect from {response.url.scheme} to http",
        )

    def _mark_dead(self, host: str, err: ResolveError) -> None:
        with self._lock:
            self._dead.setdefault(host, err)

    def _connect_error(self, host: str, exc: Exception) -> ResolveError:
        reason = _reason(exc)
        if "CERTIFICATE_VERIFY_FAILED" in reason or "SSL" in reason or "certificate" in reason.lower():
            return ResolveError(
                ErrorKind.TLS,
                self.redact(
                    f"TLS handshake with {host} failed: {reason} (is its CA in the system trust store?)"
                ),
            )
        return ResolveError(ErrorKind.NETWORK, self.redact(f"cannot connect to {host}: {reason}"))

    def _backoff(
        self,
        attempt: int,
        retry_after: str | None,
        dl: Deadline,
        host: str,
        what: str,
        kind: ErrorKind = ErrorKind.NETWORK,
    ) -> None:
        """Honour Retry-After (seconds or HTTP date), else exponential backoff with jitter.

        The wait is capped (`retry_after_cap`), and a wait that would end past the deadline
        is not started: the lookup fails now instead of sleeping into a certain timeout.
        """
        cfg = self.config
        delay = _parse_retry_after(retry_after)
        if delay is None:
            delay = cfg.backoff_base * (2**attempt) * random.uniform(0.5, 1.0)
        delay = max(0.0, min(delay, cfg.retry_after_cap))
        left = dl.remaining()
        if delay >= left:
            asked = f" asked to retry after {retry_after.strip()[:40]!r};" if retry_after else ""
            raise self._fail(
                kind,
                f"{what} looking up {dl.what};{asked} giving up after {_attempts(attempt + 1)}: "
                f"waiting {delay:.1f}s more would pass the {dl.seconds:g}s timeout",
            )
        self._sleep(delay)

    # ------------------------------------------------------------------ auth

    def _authed(self, method: str, ep: Endpoint, url: str, what: str) -> Reply:
        """Send with the best Authorization we have; on 401 answer the challenge once."""
        key = (ep.host, ep.repository)
        headers = {"Accept": MANIFEST_ACCEPT}
        with self._lock:
            auth = self._auth.get(key)
            known = self._challenges.get(ep.host)
        if auth is None and known is not None:
            # Same host, new repository: get its token up front and save a 401 round trip.
            auth = self._answer(known, ep, server_scope=False, fresh=False)
        if auth is not None:
            headers["Authorization"] = auth
        reply = self._send(method, url, headers, ep.host)
        if reply.status == 401:
            header = ", ".join(reply.headers.get_list("www-authenticate"))
            challenges = parse_challenges(header)
            chosen = next((c for c in challenges if c.scheme == "bearer"), None) or next(
                (c for c in challenges if c.scheme == "basic"), None
            )
            if chosen is None:
                raise self._fail(ErrorKind.DENIED, f"{ep.host} answered 401 without a usable auth challenge")
            # A 401 despite an Authorization header means the token expired or lacks the scope.
            new = self._answer(chosen, ep, server_scope=True, fresh=auth is not None)
            if new is None:
                raise self._denied(ep, 401, what)
            headers["Authorization"] = new
            reply = self._send(method, url, headers, ep.host)
        if reply.status in (401, 403):
            raise self._denied(ep, reply.status, what)
        return reply

    def _answer(self, challenge: Challenge, ep: Endpoint, *, server_scope: bool, fresh: bool) -> str | None:
        creds = self._credentials.get(ep.auth_key)
        if creds is not None:
            self._secret(creds.secret)
            self._secret(creds.basic_header().split(" ", 1)[1])
        if challenge.scheme == "bearer":
            scope = f"repository:{ep.repository}:pull"
            if server_scope and challenge.params.get("scope"):
                scope = challenge.params["scope"]
            token = self._token(challenge, scope, creds, ep, fresh=fresh)
            value = f"Bearer {token}"
        elif challenge.scheme == "basic":
            if creds is None:
                return None
            value = creds.basic_header()
        else:
            return None
        with self._lock:
            self._challenges[ep.host] = challenge
            self._auth[(ep.host, ep.repository)] = value
        return value

    def _token(
        self, challenge: Challenge, scope: str, creds: Credentials | None, ep: Endpoint, *, fresh: bool
    ) -> str:
        realm = challenge.realm
        if not realm:
            raise self._fail(ErrorKind.PROTOCOL, f"{ep.host} sent a Bearer challenge without a realm")
        parts = urllib.parse.urlsplit(realm)
        realm_host = parts.netloc.rpartition("@")[2]
        if parts.scheme not in ("https", "http") or not realm_host:
            raise self._fail(ErrorKind.PROTOCOL, f"{ep.host} sent an unusable token realm {realm!r}")
        if parts.scheme == "http" and not self.config.is_plain_http(realm_host):
            # Never send credentials (or accept a token) over plain HTTP to a remote host.
            raise self._fail(
                ErrorKind.PROTOCOL,
                f"{ep.host} points to a plain-HTTP token service {realm_host}; "
                "refusing (mark it with --insecure-registry if that is intended)",
            )
        service = challenge.params.get("service", "")
        key = (realm, service, scope)
        with self._lock:
            flight = self._token_flights.setdefault(key, threading.Lock())
        # One fetch per token: workers on two tags of one repository wait for the first,
        # but never past their own deadline.
        from hardenify.registry.deadline import current

        dl = current()
        wait = max(dl.remaining(), 0.0) if dl is not None else self.config.timeout
        if not flight.acquire(timeout=wait):
            raise self._fail(
                ErrorKind.TIMEOUT,
                f"timed out after {self.config.timeout:g}s waiting for a token from {realm_host}",
            )
        try:
            with self._lock:
                cached = None if fresh else self._tokens.get(key)
            if cached is not None:
                return cached
            return self._fetch_token(key, realm_host, creds, ep)
        finally:
            flight.release()

    def _fetch_token(
        self, key: tuple[str, str, str], realm_host: str, creds: Credentials | None, ep: Endpoint
    ) -> str:
        realm, service, scope = key
        params = {k: v for k, v in (("service", service), ("scope", scope)) if v}
        headers = {"Authorization": creds.basic_header()} if creds is not None else {}
        reply = self._send("GET", realm, headers, realm_host, params=params)
        if reply.status in (401, 403):
            who = f"the credentials from {creds.source}" if creds else "anonymous access"
            raise self._fail(
                ErrorKind.DENIED,
                f"token service {realm_host} refused {who} for {ep.repository} (HTTP {reply.status})",
            )
        if reply.status != 200:
            raise self._fail(ErrorKind.PROTOCOL, f"token service {realm_host} answered HTTP {reply.status}")
        try:
            data = json.loads(reply.body)
        except ValueError:
            raise self._fail(ErrorKind.PROTOCOL, f"token service {realm_host} did not answer JSON") from None
        token = data.get("token") or data.get("access_token") if isinstance(data, dict) else None
        if not isinstance(token, str) or not token:
            raise self._fail(ErrorKind.PROTOCOL, f"token service {realm_host} answered without a token")
        self._secret(token)
        with self._lock:
            self._tokens[key] = token
        return token

    def _denied(self, ep: Endpoint, status: int, what: str) -> LookupFailed:
        creds = self._credentials.get(ep.auth_key)
        if creds is not None:
            msg = f"{ep.host} rejected the credentials from {creds.source} for {what} (HTTP {status})"
        else:
            msg = (
                f"access to {what} denied by {ep.host} (HTTP {status}): the repository is private or does "
                f"not exist; log in with `docker login {ep.auth_key}` if it is private"
            )
        return self._fail(ErrorKind.DENIED, msg)

    # ------------------------------------------------------------------ manifests

    def digest(
        self, ep: Endpoint, tag: str, platform: Platform | None = None, *, known: str | None = None
    ) -> str:
        """The verified digest `tag` points at: the index itself, or one platform's manifest in it.

        A digest is only ever taken from a manifest body we hashed ourselves: the manifest is
        fetched with GET, its media type, JSON and sha256 checked (and the registry's
        Docker-Content-Digest, when sent, must equal that sha256). `known` is a digest
        verified that way earlier (the cache's); for it a HEAD is enough: if the tag still
        points there, nothing new is trusted, and if it moved, GET verifies the new target.
        The whole lookup ends within `config.timeout`.
        """
        from hardenify.registry.deadline import Deadline

        what = f"{ep.repository}:{tag}"
        with Deadline(self.config.timeout, what).active():
            url = ep.manifest_url(tag)
            claimed: str | None = None
            if known is not None and platform is None:
                claimed = self._head(ep, url, what, tag)
                if claimed == known:
                    return known
            reply = self._authed("GET", ep, url, what)
            if reply.status != 200:
                raise self._status_error(reply, ep, tag)
            own, doc = self._verified(reply, ep, what)
            if claimed is not None and claimed != own:
                raise self._fail(
                    ErrorKind.BAD_DIGEST,
                    f"{ep.host} says {what} is {claimed} (HEAD Docker-Content-Digest) but the "
                    f"manifest it serves hashes to {own}; refusing both (a misconfigured mirror "
                    "or proxy, or the tag moved during the lookup: run again)",
                )
            if platform is None:
                return own
            return self._select(doc, own, ep, what, platform)

    def _head(self, ep: Endpoint, url: str, what: str, tag: str) -> str | None:
        """The digest a HEAD claims, unverified; None when the HEAD does not say (GET will)."""
        reply = self._authed("HEAD", ep, url, what)
        if reply.status == 405:  # HEAD not allowed here; GET will tell
            return None
        if reply.status != 200:
            raise self._status_error(reply, ep, tag)
        header = reply.header("docker-content-digest")
        if not header or _media_type(reply.header("content-type")) not in MANIFEST_TYPES:
            return None  # a proxy that strips headers, or an answer that is not a manifest
        return self._checked(header, ep)

    def _verified(self, reply: Reply, ep: Endpoint, what: str) -> tuple[str, dict[str, Any]]:
        """The sha256 of a manifest body and the parsed body, or a refusal saying why."""
        ctype = _media_type(reply.header("content-type"))
        if ctype in SCHEMA1_TYPES:
            raise self._fail(
                ErrorKind.PROTOCOL,
                f"{ep.host} serves {what} only as a Docker schema 1 manifest, which is deprecated "
                "and cannot be verified (its digest is not the sha256 of its body); refusing to pin it",
            )
        if ctype not in MANIFEST_TYPES:
            looks = reply.body.lstrip()[:15].lower()
            hint = (
                " (an HTML page: a proxy login or error page?)"
                if "html" in ctype or looks.startswith((b"<!doctype", b"<html"))
                else ""
            )
            raise self._fail(
                ErrorKind.PROTOCOL,
                f"{ep.host} answered {what} with Content-Type {ctype or 'none'!r}, not an image "
                f"manifest or index{hint}; refusing to pin it",
            )
        computed = "sha256:" + hashlib.sha256(reply.body).hexdigest()
        header = reply.header("docker-content-digest")
        if header:
            header = self._checked(header, ep)
            if header != computed:
                raise self._fail(
                    ErrorKind.BAD_DIGEST,
                    f"{ep.host} sent a manifest for {what} whose sha256 ({computed}) does not match "
                    f"its Docker-Content-Digest ({header}); refusing both",
                )
        try:
            doc = json.loads(reply.body)
        except ValueError:
            raise self._fail(
                ErrorKind.PROTOCOL,
                f"{ep.host} sent a manifest for {what} that is not valid JSON "
                f"({len(reply.body)} bytes received); refusing to pin it",
            ) from None
        problem = _manifest_problem(doc, ctype)
        if problem is not None:
            raise self._fail(
                ErrorKind.PROTOCOL,
                f"{ep.host} sent a malformed manifest for {what}: {problem}; refusing to pin it",
            )
        assert isinstance(doc, dict)
        return computed, doc

    def _checked(self, digest: str, ep: Endpoint) -> str:
        digest = digest.strip()
        if not is_valid_digest(digest):
            shown = digest if len(digest) <= 90 else digest[:87] + "..."
            raise self._fail(
                ErrorKind.BAD_DIGEST,
                f"{ep.host} returned a malformed digest {shown!r} "
                "(expected sha256: and 64 lowercase hex digits)",
            )
        return digest

    def _select(self, doc: dict[str, Any], own: str, ep: Endpoint, what: str, platform: Platform) -> str:
        """The entry of a verified index for `platform`: content-addressed, so verified with it."""
        entries = doc.get("manifests")
        if not isinstance(entries, list):
            # A single-platform manifest: it is the only choice (its platform lives in the
            # config blob, which we do not fetch), so pin it as it is.
            return own
        want = platform.normalized()
        available: list[str] = []
        loose: dict[str, Any] | None = None
        for entry in entries:
            if not isinstance(entry, dict) or not isinstance(entry.get("platform"), dict):
                continue
            p = entry["platform"]
            os_, arch = str(p.get("os", "")), str(p.get("architecture", ""))
            if os_ == "unknown" or arch == "unknown":  # attestation manifests
                continue
            variant = p.get("variant")
            have = Platform(os_, arch, str(variant) if variant else None)
            available.append(str(have))
            norm = have.normalized()
            if norm == want:
                return self._checked(str(entry.get("digest", "")), ep)
            if platform.variant is None and norm[:2] == want[:2] and loose is None:
                loose = entry
        if loose is not None:
            return self._checked(str(loose.get("digest", "")), ep)
        listed = ", ".join(available) or "none"
        raise self._fail(
            ErrorKind.PLATFORM, f"{what} on {ep.host} has no {platform} image (available: {listed})"
        )

    def _status_error(self, reply: Reply, ep: Endpoint, tag: str) -> LookupFailed:
        what = f"{ep.repository}:{tag}"
        if reply.status == 404:
            code = _error_code(reply.body)
            if code == "NAME_UNKNOWN":
                return self._fail(ErrorKind.NOT_FOUND, f"repository {ep.repository} not found on {ep.host}")
            if code == "MANIFEST_UNKNOWN":
                return self._fail(
                    ErrorKind.NOT_FOUND, f"tag {tag!r} not found in {ep.repository} on {ep.host}"
                )
            return self._fail(
                ErrorKind.NOT_FOUND, f"{what} not found on {ep.host} (unknown tag or repository)"
            )
        return self._fail(ErrorKind.PROTOCOL, f"unexpected HTTP {reply.status} from {ep.host} for {what}")


def pool_limits(config: RegistryConfig) -> httpx.Limits:
    """Every connection opened may be kept alive: a lookup that finds none idle pays a handshake."""
    import httpx

    n = max(10, config.jobs * 2)
    return httpx.Limits(max_connections=n, max_keepalive_connections=n)


def default_transport(config: RegistryConfig) -> httpx.HTTPTransport:
    """The transport a client builds for itself, for tests and benchmarks to wrap."""
    import httpx

    from hardenify.registry import deadline
    from hardenify.registry.tls import ssl_context

    transport = httpx.HTTPTransport(verify=ssl_context(), limits=pool_limits(config))
    deadline.install([transport])
    return transport


def _error_code(body: bytes) -> str | None:
    """The first `errors[].code` of a distribution error body, if there is one."""
    try:
        doc = json.loads(body)
    except ValueError:
        return None
    if isinstance(doc, dict) and isinstance(doc.get("errors"), list) and doc["errors"]:
        first = doc["errors"][0]
        if isinstance(first, dict) and isinstance(first.get("code"), str):
            return str(first["code"])
    return None


def _attempts(n: int) -> str:
    return f"{n} attempt{'s' if n != 1 else ''}"


def _media_type(value: str | None) -> str:
    """`application/JSON; charset=utf-8` → `application/json`."""
    return (value or "").split(";", 1)[0].strip().lower()


def _manifest_problem(doc: object, ctype: str) -> str | None:
    """What makes `doc` not a schema 2 manifest or index of type `ctype`; None if nothing."""
    if not isinstance(doc, dict):
        return "it is not a JSON object"
    if doc.get("schemaVersion") != 2:
        return f"schemaVersion is {doc.get('schemaVersion')!r}, not 2"
    declared = doc.get("mediaType")
    if declared is not None and declared != ctype:
        return f"its mediaType {str(declared)[:80]!r} contradicts its Content-Type {ctype!r}"
    if ctype in INDEX_TYPES and not isinstance(doc.get("manifests"), list):
        return "an index without a manifests list"
    if ctype in IMAGE_MANIFEST_TYPES and not (
        isinstance(doc.get("config"), dict) and isinstance(doc.get("layers"), list)
    ):
        return "an image manifest without config and layers"
    return None


def _parse_retry_after(value: str | None) -> float | None:
    if not value:
        return None
    value = value.strip()
    try:
        return max(0.0, float(value))
    except ValueError:
        pass
    try:
        when = email.utils.parsedate_to_datetime(value)
    except (TypeError, ValueError):
        return None
    return max(0.0, when.timestamp() - time.time())


def _reason(exc: BaseException) -> str:
    """The innermost useful text of a transport error (errno text, SSL reason)."""
    text = str(exc).strip()
    cause = exc.__cause__ or exc.__context__
    while not text and cause is not None:
        text = str(cause).strip()
        cause = cause.__cause__ or cause.__context__
    return text or type(exc).__name__
