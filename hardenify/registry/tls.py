"""One TLS context per process that trusts the operating system's CA store.

Why not a `truststore.SSLContext` per client: on Linux, truststore's OpenSSL backend runs
`set_default_verify_paths()` on every `wrap_socket`. That re-parses the system CA bundle
(about 30 ms for 145 certificates with OpenSSL 3.0), and it does so under a lock that is
also held for the whole handshake, so concurrent lookups queued behind each other and lost
to serial ones. On OpenSSL before 3.4 a shared truststore context also collects duplicate
CApath lookups (sethmlarson/truststore#212). The trust store is the same one: OpenSSL's
default verify paths (which honour SSL_CERT_FILE/SSL_CERT_DIR), else truststore's list of
well-known bundle files. Here it is loaded once. macOS and Windows keep truststore, whose
backends ask the platform verifier (Keychain, CryptoAPI) and cannot be replaced by a file.

Nothing here is imported until the first request is made.
"""

from __future__ import annotations

import os
import re
import ssl
import sys
import threading
from collections.abc import Iterable

# The bundles truststore's OpenSSL backend falls back to when OpenSSL's compiled-in paths
# are empty (e.g. a Python built elsewhere); keep in step with truststore/_openssl.py.
CA_FILE_CANDIDATES = (
    "/etc/ssl/cert.pem",  # Alpine, Arch, Fedora 34-43, OpenWRT, RHEL 9-10, BSD
    "/etc/pki/ca-trust/extracted/pem/tls-ca-bundle.pem",  # Fedora 44+, RHEL 11+
    "/etc/pki/tls/cert.pem",  # Fedora <= 34, RHEL <= 9, CentOS <= 9
    "/etc/ssl/certs/ca-certificates.crt",  # Debian, Ubuntu
    "/etc/ssl/ca-bundle.pem",  # SUSE
)
_HASHED_CERT = re.compile(r"^[0-9a-fA-F]{8}\.[0-9]$")

_lock = threading.Lock()
_alpn_lock = threading.Lock()
_context: ssl.SSLContext | None = None


def ssl_context() -> ssl.SSLContext:
    """The process-wide client context, built on first use; safe to call from any thread."""
    global _context
    ctx = _context
    if ctx is None:
        with _lock:
            if _context is None:
                _context = _build()
            ctx = _context
    return ctx


def _build() -> ssl.SSLContext:
    ctx = truststore_context() if sys.platform in ("darwin", "win32") else openssl_context()
    ctx.set_alpn_protocols(["http/1.1"])
    return ctx


def openssl_context() -> ssl.SSLContext:
    """A verifying client context (CERT_REQUIRED, hostname check) over the system CA store."""
    ctx = _OpenSSL(ssl.PROTOCOL_TLS_CLIENT)
    load_system_trust(ctx)
    return ctx


def truststore_context() -> ssl.SSLContext:
    """truststore's context (the platform verifier), with the ALPN guard below."""
    import truststore

    class _Truststore(_FixedALPN, truststore.SSLContext):  # type: ignore[misc]  # typeshed overloads
        pass

    return _Truststore(ssl.PROTOCOL_TLS_CLIENT)


def load_system_trust(ctx: ssl.SSLContext) -> None:
    """Load the CAs truststore's OpenSSL backend would use, in the same order of preference."""
    defaults = ssl.get_default_verify_paths()
    if defaults.cafile or (defaults.capath and _has_hashed_certs(defaults.capath)):
        ctx.set_default_verify_paths()
        return
    for cafile in CA_FILE_CANDIDATES:
        if os.path.isfile(cafile):
            ctx.load_verify_locations(cafile=cafile)
            return
    # No CA anywhere: every handshake fails with CERTIFICATE_VERIFY_FAILED, which the client
    # reports as "is its CA in the system trust store?".


def _has_hashed_certs(capath: str) -> bool:
    try:
        return any(_HASHED_CERT.match(name) for name in os.listdir(capath))
    except OSError:
        return False


class _FixedALPN(ssl.SSLContext):
    """Ignores a repeated `set_alpn_protocols` with the protocols already set.

    httpcore sets ALPN on the context before every new connection, while CPython builds
    other connections from the same context with the GIL released (`SSL_new`). Re-setting
    frees the buffer those threads copy from; not touching it makes sharing safe.
    """

    _alpn: tuple[str, ...] | None = None

    def set_alpn_protocols(self, alpn_protocols: Iterable[str]) -> None:
        wanted = tuple(alpn_protocols)
        with _alpn_lock:
            if wanted != self._alpn:
                super().set_alpn_protocols(wanted)
                self._alpn = wanted


class _OpenSSL(_FixedALPN):
    pass
