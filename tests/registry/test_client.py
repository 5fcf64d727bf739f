"""The registry client against a fake registry: auth dance, retries, errors, platforms."""

from __future__ import annotations

import base64
import json
import logging
import os
import re
import socket
import stat
import time
from collections.abc import Callable
from pathlib import Path

import pytest
from pytest_httpserver import HTTPServer
from werkzeug import Request, Response

from hardenify.registry import ErrorKind, Resolver
from hardenify.registry.client import MANIFEST_ACCEPT
from tests.registry.fake_registry import (
    INDEX,
    MANIFEST,
    FakeRegistry,
    Sleeps,
    index_body,
    platform_digest,
    sha,
)

TOKEN = "tok-3f9a8b7c6d5e-secret"


def test_one_get_with_the_oci_accept_header_pins_the_verified_index(
    registry: FakeRegistry, make_resolver: Callable[..., Resolver]
) -> None:
    """An uncached tag costs one GET: the digest is the sha256 of the body we received."""
    digest = registry.manifest("library/app", "1", headers={"Accept": MANIFEST_ACCEPT})
    r = make_resolver()
    res = r.resolve(f"{registry.host}/library/app:1")
    assert res.digest == digest and res.source == "registry"
    assert registry.requests() == [("GET", "/v2/library/app/manifests/1")]
    assert r.requests == 1


def test_bearer_challenge_token_then_retry(
    httpserver: HTTPServer, registry: FakeRegistry, make_resolver: Callable[..., Resolver]
) -> None:
    realm = httpserver.url_for("/token")
    httpserver.expect_request(
        "/token",
        query_string={"service": "fake-registry", "scope": "repository:library/app:pull"},
    ).respond_with_json({"token": TOKEN, "expires_in": 300})
    httpserver.expect_request(
        "/token",
        query_string={"service": "fake-registry", "scope": "repository:team/other:pull"},
    ).respond_with_json({"access_token": TOKEN + "-2"})
    app = registry.manifest("library/app", "1", headers={"Authorization": f"Bearer {TOKEN}"})
    other = registry.manifest(
        "team/other",
        "2",
        body=index_body(("linux", "arm64", "v8")),
        headers={"Authorization": f"Bearer {TOKEN}-2"},
    )
    challenge = f'Bearer realm="{realm}",service="fake-registry",scope="repository:library/app:pull"'
    httpserver.expect_request("/v2/library/app/manifests/1", method="GET").respond_with_response(
        Response(status=401, headers={"WWW-Authenticate": challenge})
    )

    r = make_resolver()
    res = r.resolve(f"{registry.host}/library/app:1")
    assert res.digest == app
    assert registry.requests() == [
        ("GET", "/v2/library/app/manifests/1"),
        ("GET", "/token"),
        ("GET", "/v2/library/app/manifests/1"),
    ]
    # Same host, another repository: the token is fetched up front, no second 401.
    res2 = r.resolve(f"{registry.host}/team/other:2")
    assert res2.digest == other
    assert registry.requests()[3:] == [("GET", "/token"), ("GET", "/v2/team/other/manifests/2")]
    assert r.requests == 5


def test_basic_auth_from_docker_config(
    httpserver: HTTPServer, registry: FakeRegistry, make_resolver: Callable[..., Resolver], tmp_path: Path
) -> None:
    secret = "b4sic-pa55word"
    cfg = tmp_path / "docker" / "config.json"
    cfg.parent.mkdir()
    auth = base64.b64encode(f"alice:{secret}".encode()).decode()
    cfg.write_text(json.dumps({"auths": {registry.host: {"auth": auth}}}))
    basic = "Basic " + auth
    digest = registry.manifest("private/app", "1", headers={"Authorization": basic})
    httpserver.expect_request("/v2/private/app/manifests/1").respond_with_response(
        Response(status=401, headers={"WWW-Authenticate": 'Basic realm="fake"'})
    )
    res = make_resolver().resolve(f"{registry.host}/private/app:1")
    assert res.digest == digest
    assert [h.headers.get("Authorization") for h, _ in httpserver.log] == [None, basic]


def test_rejected_credentials_are_denied_and_never_echoed(
    httpserver: HTTPServer,
    registry: FakeRegistry,
    make_resolver: Callable[..., Resolver],
    tmp_path: Path,
    caplog: pytest.LogCaptureFixture,
) -> None:
    secret = "n0t-the-right-pa55word"
    cfg = tmp_path / "docker" / "config.json"
    cfg.parent.mkdir()
    auth = base64.b64encode(f"alice:{secret}".encode()).decode()
    cfg.write_text(json.dumps({"auths": {registry.host: {"auth": auth}}}))
    httpserver.expect_request("/v2/private/app/manifests/1").respond_with_response(
        Response(status=401, headers={"WWW-Authenticate": 'Basic realm="fake"'})
    )
    with caplog.at_level(logging.DEBUG, logger="hardenify"):
        res = make_resolver().resolve(f"{registry.host}/private/app:1")
    assert res.error is not None and res.error.kind is ErrorKind.DENIED
    assert "config.json" in res.error.message
    for text in (res.error.message, repr(res), caplog.text):
        assert secret not in text and auth not in text


def test_anonymous_denied_says_how_to_log_in(
    httpserver: HTTPServer, registry: FakeRegistry, make_resolver: Callable[..., Resolver]
) -> None:
    httpserver.expect_request("/v2/private/app/manifests/1").respond_with_response(
        Response('{"errors":[{"code":"DENIED"}]}', status=403)
    )
    res = make_resolver().resolve(f"{registry.host}/private/app:1")
    assert res.error is not None and res.error.kind is ErrorKind.DENIED
    assert f"docker login {registry.host}" in res.error.message


def test_token_service_refusal_is_denied_without_the_token_in_the_message(
    httpserver: HTTPServer, registry: FakeRegistry, make_resolver: Callable[..., Resolver]
) -> None:
    realm = httpserver.url_for("/token")
    httpserver.expect_request("/token").respond_with_response(Response(status=401))
    httpserver.expect_request("/v2/x/y/manifests/1").respond_with_response(
        Response(status=401, headers={"WWW-Authenticate": f'Bearer realm="{realm}",service="s"'})
    )
    res = make_resolver().resolve(f"{registry.host}/x/y:1")
    assert res.error is not None and res.error.kind is ErrorKind.DENIED
    assert "anonymous access" in res.error.message


def test_token_realm_over_plain_http_to_a_remote_host_is_refused(
    httpserver: HTTPServer, registry: FakeRegistry, make_resolver: Callable[..., Resolver]
) -> None:
    httpserver.expect_request("/v2/x/y/manifests/1").respond_with_response(
        Response(status=401, headers={"WWW-Authenticate": 'Bearer realm="http://auth.example.invalid/token"'})
    )
    r = make_resolver()
    res = r.resolve(f"{registry.host}/x/y:1")
    assert res.error is not None and res.error.kind is ErrorKind.PROTOCOL
    assert "plain-HTTP token service" in res.error.message
    assert r.requests == 1  # nothing was sent to the plain-HTTP realm


def test_404_unknown_tag_and_unknown_repository(
    httpserver: HTTPServer, registry: FakeRegistry, make_resolver: Callable[..., Resolver]
) -> None:
    httpserver.expect_request("/v2/library/app/manifests/bare", method="GET").respond_with_response(
        Response(status=404)
    )
    httpserver.expect_request("/v2/library/app/manifests/nope", method="GET").respond_with_json(
        {"errors": [{"code": "MANIFEST_UNKNOWN", "message": "manifest unknown"}]}, status=404
    )
    httpserver.expect_request("/v2/library/ghost/manifests/1").respond_with_json(
        {"errors": [{"code": "NAME_UNKNOWN", "message": "repository name not known"}]}, status=404
    )
    r = make_resolver()
    bare = r.resolve(f"{registry.host}/library/app:bare")
    assert bare.error is not None and bare.error.kind is ErrorKind.NOT_FOUND
    assert "library/app:bare" in bare.error.message
    # A distribution error body names the cause.
    tag = r.resolve(f"{registry.host}/library/app:nope", platform="linux/amd64")
    assert tag.error is not None and tag.error.kind is ErrorKind.NOT_FOUND
    assert "tag 'nope' not found" in tag.error.message
    repo = r.resolve(f"{registry.host}/library/ghost:1", platform="linux/amd64")
    assert repo.error is not None and "repository library/ghost not found" in repo.error.message


def test_429_honours_retry_after_and_caps_it(
    httpserver: HTTPServer, registry: FakeRegistry, make_resolver: Callable[..., Resolver], sleeps: Sleeps
) -> None:
    uri = "/v2/library/app/manifests/1"
    httpserver.expect_oneshot_request(uri).respond_with_response(
        Response(status=429, headers={"Retry-After": "3"})
    )
    httpserver.expect_oneshot_request(uri).respond_with_response(
        Response(status=429, headers={"Retry-After": "3600"})
    )
    digest = registry.manifest("library/app", "1")
    r = make_resolver(retry_after_cap=7.5, timeout=30.0)  # the sleeps are fake; the deadline is not
    res = r.resolve(f"{registry.host}/library/app:1")
    assert res.digest == digest
    assert sleeps.calls == [3.0, 7.5]
    assert r.requests == 3


def test_429_and_5xx_give_up_after_bounded_retries(
    httpserver: HTTPServer, registry: FakeRegistry, make_resolver: Callable[..., Resolver], sleeps: Sleeps
) -> None:
    httpserver.expect_request("/v2/a/b/manifests/1").respond_with_response(Response(status=429))
    httpserver.expect_request("/v2/a/c/manifests/1").respond_with_response(Response(status=503))
    r = make_resolver(max_retries=2, backoff_base=0.5, retry_after_cap=30)
    res = r.resolve_many([f"{registry.host}/a/b:1", f"{registry.host}/a/c:1"])
    limited, broken = res.values()
    assert limited.error is not None and limited.error.kind is ErrorKind.RATE_LIMITED
    assert broken.error is not None and broken.error.kind is ErrorKind.SERVER_ERROR
    assert "HTTP 503" in broken.error.message and "3 attempts" in broken.error.message
    assert r.requests == 6
    # Exponential backoff with jitter: attempt n waits between base*2^n/2 and base*2^n.
    assert len(sleeps.calls) == 4
    assert all(0.25 <= s <= 1.0 for s in sleeps.calls)


@pytest.mark.parametrize(
    "header",
    [
        "sha256:XYZ",
        "sha256:" + "A" * 64,  # upper-case hex is not canonical
        "md5:" + "a" * 32,
        "sha256:" + "a" * 63,
    ],
)
def test_malformed_digest_header_is_an_error(
    registry: FakeRegistry, make_resolver: Callable[..., Resolver], header: str
) -> None:
    registry.manifest("library/app", "1", get_digest=header)
    r = make_resolver()
    res = r.resolve(f"{registry.host}/library/app:1")
    assert res.digest is None
    assert res.error is not None and res.error.kind is ErrorKind.BAD_DIGEST
    assert r.cache is not None and r.cache.get(f"{registry.host}/library/app:1", allow_stale=True) is None


def test_get_without_a_digest_header_pins_the_sha256_of_the_body(
    registry: FakeRegistry, make_resolver: Callable[..., Resolver]
) -> None:
    body = index_body(("linux", "amd64", None), ("linux", "arm64", "v8"))
    registry.manifest("library/app", "1", body=body, head_digest=None, get_digest=None)
    r = make_resolver()
    res = r.resolve(f"{registry.host}/library/app:1")
    assert res.digest == sha(body)
    assert [m for m, _ in registry.requests()] == ["GET"]


def test_get_digest_header_that_does_not_match_the_body_is_refused(
    registry: FakeRegistry, make_resolver: Callable[..., Resolver]
) -> None:
    registry.manifest("library/app", "1", head_digest=None, get_digest="sha256:" + "0" * 64)
    res = make_resolver().resolve(f"{registry.host}/library/app:1")
    assert res.error is not None and res.error.kind is ErrorKind.BAD_DIGEST
    assert "does not match" in res.error.message


def test_platform_selection_from_an_index(
    registry: FakeRegistry, make_resolver: Callable[..., Resolver]
) -> None:
    body = index_body(
        ("linux", "amd64", None),
        ("linux", "arm64", "v8"),
        ("linux", "arm", "v7"),
        ("unknown", "unknown", None),  # an attestation manifest, as buildx pushes them
    )
    index = registry.manifest("library/app", "1", body=body)
    r = make_resolver()
    ref = f"{registry.host}/library/app:1"
    assert r.resolve(ref).digest == index
    assert r.resolve(ref, platform="linux/arm64").digest == platform_digest("linux", "arm64", "v8")
    assert r.resolve(ref, platform="linux/aarch64").digest == platform_digest("linux", "arm64", "v8")
    assert r.resolve(ref, platform="linux/arm/v7").digest == platform_digest("linux", "arm", "v7")
    assert r.resolve(ref, platform="linux/amd64").digest == platform_digest("linux", "amd64", None)
    missing = r.resolve(ref, platform="linux/s390x")
    assert missing.error is not None and missing.error.kind is ErrorKind.PLATFORM
    assert "available: linux/amd64, linux/arm64/v8, linux/arm/v7" in missing.error.message
    # One GET of the index per lookup (the platform is part of what is looked up).
    assert [m for m, _ in registry.requests()] == ["GET"] * 6


def test_platform_on_a_single_manifest_pins_that_manifest(
    registry: FakeRegistry, make_resolver: Callable[..., Resolver]
) -> None:
    config = {"mediaType": "application/vnd.oci.image.config.v1+json", "digest": sha(b"{}"), "size": 2}
    body = json.dumps({"schemaVersion": 2, "mediaType": MANIFEST, "config": config, "layers": []}).encode()
    digest = registry.manifest("library/single", "1", body=body, media_type=MANIFEST)
    res = make_resolver().resolve(f"{registry.host}/library/single:1", platform="linux/amd64")
    assert res.digest == digest


def test_slow_server_hits_the_timeout(httpserver: HTTPServer, make_resolver: Callable[..., Resolver]) -> None:
    def slow(request: Request) -> Response:
        time.sleep(1.5)
        return Response(status=200, headers={"Docker-Content-Digest": "sha256:" + "a" * 64})

    httpserver.expect_request("/v2/slow/app/manifests/1").respond_with_handler(slow)
    r = make_resolver(timeout=0.3)
    started = time.monotonic()
    res = r.resolve(f"localhost:{httpserver.port}/slow/app:1")
    elapsed = time.monotonic() - started
    assert res.error is not None and res.error.kind is ErrorKind.TIMEOUT
    assert "0.3s" in res.error.message
    assert elapsed < 1.4  # gave up at the timeout, did not wait for the answer


def _free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return int(s.getsockname()[1])


def test_network_down_is_one_error_per_image_and_others_still_resolve(
    registry: FakeRegistry, make_resolver: Callable[..., Resolver]
) -> None:
    good = registry.manifest("library/app", "1")
    dead = f"127.0.0.1:{_free_port()}"
    r = make_resolver()
    res = r.resolve_many([f"{dead}/a/b:1", f"{registry.host}/library/app:1", f"{dead}/a/c:1"])
    assert res[f"{registry.host}/library/app:1"].digest == good
    for ref in (f"{dead}/a/b:1", f"{dead}/a/c:1"):
        err = res[ref].error
        assert err is not None and err.kind is ErrorKind.NETWORK
        assert dead in err.message


def test_credential_helper_feeds_the_token_request(
    httpserver: HTTPServer,
    registry: FakeRegistry,
    make_resolver: Callable[..., Resolver],
    tmp_path: Path,
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    bindir = tmp_path / "bin"
    bindir.mkdir()
    helper = bindir / "docker-credential-test"
    helper.write_text('#!/bin/sh\nread server\nprintf \'{"Username":"robot","Secret":"helper-pw-77"}\'\n')
    helper.chmod(helper.stat().st_mode | stat.S_IXUSR)
    monkeypatch.setenv("PATH", f"{bindir}{os.pathsep}{os.environ['PATH']}")
    cfg = tmp_path / "docker" / "config.json"
    cfg.parent.mkdir()
    cfg.write_text(json.dumps({"credHelpers": {registry.host: "test"}}))

    basic = "Basic " + base64.b64encode(b"robot:helper-pw-77").decode()
    httpserver.expect_request("/token", headers={"Authorization": basic}).respond_with_json({"token": TOKEN})
    digest = registry.manifest("private/app", "1", headers={"Authorization": f"Bearer {TOKEN}"})
    realm = httpserver.url_for("/token")
    httpserver.expect_request("/v2/private/app/manifests/1").respond_with_response(
        Response(status=401, headers={"WWW-Authenticate": f'Bearer realm="{realm}",service="s"'})
    )
    res = make_resolver().resolve(f"{registry.host}/private/app:1")
    assert res.digest == digest


def test_mirror_replaces_the_host_and_adds_its_prefix(
    registry: FakeRegistry, make_resolver: Callable[..., Resolver]
) -> None:
    digest = registry.manifest("hub/library/python", "3.12")
    r = make_resolver(mirrors={"docker.io": f"{registry.host}/hub"})
    res = r.resolve_many(
        ["python:3.12", "docker.io/library/python:3.12", "index.docker.io/library/python:3.12"]
    )
    assert {v.digest for v in res.values()} == {digest}
    assert registry.requests() == [("GET", "/v2/hub/library/python/manifests/3.12")]


def test_oversized_manifest_is_refused(
    httpserver: HTTPServer, make_resolver: Callable[..., Resolver]
) -> None:
    big = b"{" + b" " * (5 * 1024 * 1024) + b"}"
    httpserver.expect_request("/v2/big/app/manifests/1", method="GET").respond_with_data(
        big, content_type=INDEX
    )
    res = make_resolver().resolve(f"localhost:{httpserver.port}/big/app:1", platform="linux/amd64")
    assert res.error is not None and res.error.kind is ErrorKind.PROTOCOL


def test_concurrent_lookups_on_one_host_take_a_single_401(
    httpserver: HTTPServer, registry: FakeRegistry, make_resolver: Callable[..., Resolver]
) -> None:
    """The first lookup per host learns the challenge; the others fetch tokens up front."""
    realm = httpserver.url_for("/token")
    httpserver.expect_request("/token").respond_with_json({"token": TOKEN})
    digests = {
        f"{registry.host}/team/app{i}:1": registry.manifest(
            f"team/app{i}",
            "1",
            body=index_body(("linux", "amd64", str(i))),
            headers={"Authorization": f"Bearer {TOKEN}"},
        )
        for i in range(6)
    }
    httpserver.expect_request(re.compile(r"/v2/team/app\d/manifests/1")).respond_with_response(
        Response(status=401, headers={"WWW-Authenticate": f'Bearer realm="{realm}",service="s"'})
    )
    r = make_resolver(jobs=8)
    res = r.resolve_many(list(digests))
    assert {k: v.digest for k, v in res.items()} == digests
    statuses = [resp.status_code for _, resp in httpserver.log]
    assert statuses.count(401) == 1
    assert r.requests == 1 + 6 + 6  # one 401, a token per repository, one HEAD each


def test_retry_after_parsing() -> None:
    from datetime import datetime, timedelta, timezone
    from email.utils import format_datetime

    from hardenify.registry.client import _parse_retry_after

    assert _parse_retry_after("12") == 12.0
    assert _parse_retry_after("-5") == 0.0
    assert _parse_retry_after(None) is None and _parse_retry_after("soon") is None
    when = format_datetime(datetime.now(timezone.utc) + timedelta(seconds=90), usegmt=True)
    delay = _parse_retry_after(when)
    assert delay is not None and 80 <= delay <= 91


def test_resolution_holds_exactly_one_of_digest_and_error() -> None:
    from hardenify.registry import Resolution, ResolveError

    with pytest.raises(ValueError):
        Resolution("x")
    with pytest.raises(ValueError):
        Resolution("x", digest="sha256:" + "a" * 64, error=ResolveError(ErrorKind.NETWORK, "down"))
    assert Resolution("x", error=ResolveError(ErrorKind.NETWORK, "down")).ok is False
