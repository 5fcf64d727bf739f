"""The local offline registry (../shared/offline-registry) for tests: is it up, and what it holds.

It serves docker.io, gcr.io, ghcr.io, quay.io, … over TLS on 127.0.0.1:443 (via /etc/hosts, CA in
the system trust store) and plain HTTP on 127.0.0.1:5000, all from one storage. `digests.tsv`
holds the true digest of every reference; digests change when the images are rebuilt, so they
are always read, never hard-coded. Tests that need it skip with `unavailable()` as the reason.
"""

from __future__ import annotations

import socket
from pathlib import Path

STATE = Path("/var/lib/offline-registry")
DIGESTS = STATE / "digests.tsv"
IMAGES = STATE / "images.json"
SETUP_DIR = Path(__file__).resolve().parents[3] / "shared" / "offline-registry"
if not SETUP_DIR.exists():
    SETUP_DIR = Path("/work/shared/offline-registry")
# Other registry names the front serves from the same storage (same repositories, same digests).
ALIAS_HOSTS = ("ghcr.io", "quay.io", "127.0.0.1:5000")


def unavailable() -> str | None:
    """Why the live registry cannot be used, or None; never lets a test reach the internet."""
    if not DIGESTS.is_file():
        return f"offline registry absent: {DIGESTS} does not exist (run {SETUP_DIR}/setup.sh)"
    for host in ("registry-1.docker.io", "gcr.io", "ghcr.io", "quay.io"):
        try:
            addr = socket.gethostbyname(host)
        except OSError:
            return f"{host} does not resolve (offline registry /etc/hosts block missing)"
        if addr != "127.0.0.1":
            return f"{host} is not 127.0.0.1: refusing to test against the real registry"
    for port in (443, 5000):
        try:
            socket.create_connection(("127.0.0.1", port), timeout=2).close()
        except OSError:
            return f"offline registry is not listening on 127.0.0.1:{port}"
    return None


def recorded() -> dict[str, str]:
    """Reference → digest, as the registry's setup recorded them."""
    out: dict[str, str] = {}
    for line in DIGESTS.read_text().splitlines():
        if line.strip():
            ref, digest = line.split()[:2]
            out[ref] = digest
    return out


def distinct_references(total: int = 40) -> dict[str, str]:
    """`total` distinct, real references → digest: every recorded one, then recorded ones
    under the alias hosts (different registry names are different lookups)."""
    truth = recorded()
    out = dict(truth)
    refs = list(truth)
    for i, ref in enumerate(refs[::2] + refs[1::2]):
        if len(out) >= total:
            break
        out[f"{ALIAS_HOSTS[i % len(ALIAS_HOSTS)]}/{ref.split('/', 1)[1]}"] = truth[ref]
    assert len(out) >= total, f"only {len(out)} distinct references in {DIGESTS}"
    return dict(list(out.items())[:total])
