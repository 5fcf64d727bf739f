"""A fake OCI registry on pytest-httpserver (imported by the tests as `fake_registry`)."""

from __future__ import annotations

import hashlib
import json
from dataclasses import dataclass, field

from pytest_httpserver import HTTPServer
from werkzeug import Response

INDEX = "application/vnd.oci.image.index.v1+json"
MANIFEST = "application/vnd.oci.image.manifest.v1+json"


def sha(body: bytes) -> str:
    return "sha256:" + hashlib.sha256(body).hexdigest()


def index_body(*platforms: tuple[str, str, str | None]) -> bytes:
    """An OCI index with one entry per (os, arch, variant); each entry's digest is derived
    from the platform so tests can predict it."""
    manifests = []
    for os_, arch, variant in platforms:
        plat: dict[str, str] = {"os": os_, "architecture": arch}
        if variant:
            plat["variant"] = variant
        manifests.append(
            {
                "mediaType": MANIFEST,
                "digest": platform_digest(os_, arch, variant),
                "size": 400,
                "platform": plat,
            }
        )
    doc = {"schemaVersion": 2, "mediaType": INDEX, "manifests": manifests}
    return json.dumps(doc, separators=(",", ":")).encode()


def platform_digest(os_: str, arch: str, variant: str | None) -> str:
    return sha(f"{os_}/{arch}/{variant or ''}".encode())


@dataclass
class FakeRegistry:
    server: HTTPServer

    @property
    def host(self) -> str:
        return f"localhost:{self.server.port}"

    def manifest(
        self,
        repo: str,
        tag: str,
        body: bytes | None = None,
        *,
        media_type: str = INDEX,
        head_digest: str | bool | None = True,
        get_digest: str | bool | None = True,
        headers: dict[str, str] | None = None,
    ) -> str:
        """Serve HEAD and GET for repo:tag; True means "send the true digest header"."""
        body = body if body is not None else index_body(("linux", "amd64", None))
        digest = sha(body)
        uri = f"/v2/{repo}/manifests/{tag}"
        for method, dh in (("HEAD", head_digest), ("GET", get_digest)):
            hdrs = {"Content-Type": media_type}
            if dh is True:
                hdrs["Docker-Content-Digest"] = digest
            elif isinstance(dh, str):
                hdrs["Docker-Content-Digest"] = dh
            self.server.expect_request(uri, method=method, headers=headers or {}).respond_with_response(
                Response(body, status=200, headers=hdrs)
            )
        return digest

    def requests(self) -> list[tuple[str, str]]:
        return [(req.method, req.path) for req, _ in self.server.log]


@dataclass
class Sleeps:
    calls: list[float] = field(default_factory=list)

    def __call__(self, seconds: float) -> None:
        self.calls.append(seconds)
