"""Challenge parsing and Docker credential sources (config.json auths, helpers)."""

from __future__ import annotations

import base64
import json
import os
import stat
from pathlib import Path

import pytest

from hardenify.registry.auth import Credentials, CredentialStore, parse_challenges, run_helper


def test_bearer_challenge_with_comma_in_quoted_scope() -> None:
    header = (
        'Bearer realm="https://auth.docker.io/token",service="registry.docker.io",'
        'scope="repository:samalba/my-app:pull,push"'
    )
    [ch] = parse_challenges(header)
    assert ch.scheme == "bearer"
    assert ch.realm == "https://auth.docker.io/token"
    assert ch.params["service"] == "registry.docker.io"
    assert ch.params["scope"] == "repository:samalba/my-app:pull,push"


def test_several_challenges_in_one_header_and_escapes() -> None:
    header = 'Basic realm="Registry \\"main\\"", Bearer realm="https://h/token", error="insufficient_scope"'
    basic, bearer = parse_challenges(header)
    assert basic.scheme == "basic" and basic.realm == 'Registry "main"'
    assert bearer.scheme == "bearer" and bearer.realm == "https://h/token"
    assert bearer.params["error"] == "insufficient_scope"


def test_unquoted_values_spaces_and_case() -> None:
    [ch] = parse_challenges("BEARER  Realm = https://h/t , service=svc")
    assert ch.scheme == "bearer"
    assert ch.params == {"realm": "https://h/t", "service": "svc"}


def test_empty_and_garbage_headers() -> None:
    assert parse_challenges("") == []
    [only] = parse_challenges("Negotiate")
    assert only.scheme == "negotiate" and only.params == {}


def test_credentials_repr_hides_the_secret() -> None:
    creds = Credentials("alice", "hunter2-very-secret", "config.json")
    assert "hunter2" not in repr(creds)
    assert "hunter2" not in str(creds)
    assert creds.basic_header() == "Basic " + base64.b64encode(b"alice:hunter2-very-secret").decode()


def _write_config(path: Path, data: object) -> Path:
    path.parent.mkdir(parents=True, exist_ok=True)
    path.write_text(json.dumps(data))
    return path


def test_auths_entry_matches_any_spelling_of_the_registry(tmp_path: Path) -> None:
    auth = base64.b64encode(b"bob:pw:with:colons").decode()
    cfg = _write_config(
        tmp_path / "config.json",
        {
            "auths": {
                "https://index.docker.io/v1/": {"auth": auth},
                "https://Harbor.corp:443/": {"auth": auth},
            }
        },
    )
    store = CredentialStore(cfg)
    hub = store.get("docker.io")
    assert hub is not None and hub.username == "bob" and hub.secret == "pw:with:colons"
    harbor = store.get("harbor.corp:443")
    assert harbor is not None and harbor.source == "config.json"
    assert store.get("ghcr.io") is None


def test_missing_or_broken_config_means_anonymous(tmp_path: Path) -> None:
    assert CredentialStore(tmp_path / "nope.json").get("docker.io") is None
    broken = tmp_path / "broken.json"
    broken.write_text("{not json")
    assert CredentialStore(broken).get("docker.io") is None
    bad_b64 = _write_config(tmp_path / "b.json", {"auths": {"gcr.io": {"auth": "!!!notbase64"}}})
    assert CredentialStore(bad_b64).get("gcr.io") is None


def _fake_helper(bindir: Path, name: str, body: str) -> None:
    bindir.mkdir(parents=True, exist_ok=True)
    script = bindir / f"docker-credential-{name}"
    script.write_text("#!/bin/sh\n" + body)
    script.chmod(script.stat().st_mode | stat.S_IXUSR | stat.S_IXGRP | stat.S_IXOTH)


def test_credential_helper_gets_the_server_url_on_stdin(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    bindir = tmp_path / "bin"
    log = tmp_path / "stdin.log"
    _fake_helper(
        bindir,
        "test",
        f'read server\necho "$1 $server" > "{log}"\n'
        'printf \'{"ServerURL":"%s","Username":"ci","Secret":"helper-secret-42"}\' "$server"\n',
    )
    monkeypatch.setenv("PATH", f"{bindir}{os.pathsep}{os.environ['PATH']}")
    cfg = _write_config(tmp_path / "config.json", {"credHelpers": {"gcr.io": "test"}, "credsStore": "test"})
    store = CredentialStore(cfg)
    creds = store.get("gcr.io")
    assert creds is not None
    assert (creds.username, creds.secret, creds.source) == (
        "ci",
        "helper-secret-42",
        "docker-credential-test",
    )
    assert log.read_text().strip() == "get gcr.io"
    # credsStore covers every other registry; Docker Hub is asked for by its legacy URL.
    hub = store.get("docker.io")
    assert hub is not None
    assert log.read_text().strip() == "get https://index.docker.io/v1/"


def test_helper_saying_not_found_falls_back_to_auths(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    bindir = tmp_path / "bin"
    _fake_helper(bindir, "empty", "echo 'credentials not found in native keychain'\nexit 1\n")
    monkeypatch.setenv("PATH", f"{bindir}{os.pathsep}{os.environ['PATH']}")
    auth = base64.b64encode(b"u:p").decode()
    cfg = _write_config(tmp_path / "c.json", {"credsStore": "empty", "auths": {"quay.io": {"auth": auth}}})
    creds = CredentialStore(cfg).get("quay.io")
    assert creds is not None and creds.source == "config.json"


def test_missing_or_misbehaving_helper_is_not_fatal(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    bindir = tmp_path / "bin"
    _fake_helper(bindir, "garbage", "echo 'this is not json'\n")
    monkeypatch.setenv("PATH", str(bindir))
    assert run_helper("garbage", "gcr.io") is None
    assert run_helper("does-not-exist", "gcr.io") is None
