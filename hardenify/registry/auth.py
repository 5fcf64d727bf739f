"""Registry authentication: `WWW-Authenticate` challenges and Docker's credential sources.

Secrets (passwords, tokens, helper output) live only in `Credentials` and request headers;
`Credentials.__repr__` hides them so a stray log line or traceback cannot leak them.
"""

from __future__ import annotations

import base64
import binascii
import json
import logging
import shutil
import subprocess
import threading
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from hardenify.imageref import DOCKER_HUB
from hardenify.registry.config import DOCKER_HUB_AUTH_KEY, normalize_registry

log = logging.getLogger("hardenify.registry")

HELPER_TIMEOUT = 15.0


@dataclass(frozen=True)
class Challenge:
    """One challenge from a `WWW-Authenticate` header: a scheme and its parameters."""

    scheme: str  # lower-case: "bearer", "basic"
    params: dict[str, str] = field(default_factory=dict)

    @property
    def realm(self) -> str | None:
        return self.params.get("realm")


def parse_challenges(header: str) -> list[Challenge]:
    """Parse RFC 7235 challenges: `Bearer realm="…",service="…",scope="repo:x:pull,push"`.

    Quoted values may hold commas and `\\"` escapes, and one header may carry several
    challenges (`Basic realm="x", Bearer realm="y"`), so a regex split is not enough.
    """
    out: list[Challenge] = []
    i, n = 0, len(header)
    current: Challenge | None = None
    while i < n:
        while i < n and header[i] in " \t,":
            i += 1
        if i >= n:
            break
        start = i
        while i < n and header[i] not in " \t,=":
            i += 1
        token = header[start:i]
        j = i
        while j < n and header[j] in " \t":
            j += 1
        if j < n and header[j] == "=" and current is not None:
            # key=value (a token68 like `abc==` is folded in as a param-less value)
            i = j + 1
            while i < n and header[i] in " \t":
                i += 1
            if i < n and header[i] == '"':
                i += 1
                buf: list[str] = []
                while i < n and header[i] != '"':
                    if header[i] == "\\" and i + 1 < n:
                        i += 1
                    buf.append(header[i])
                    i += 1
                i += 1  # closing quote
                value = "".join(buf)
            else:
                vstart = i
                while i < n and header[i] not in ",":
                    i += 1
                value = header[vstart:i].strip()
            current.params[token.lower()] = value
        else:
            current = Challenge(token.lower(), {})
            out.append(current)
            i = j
    return out


@dataclass(frozen=True)
class Credentials:
    """A username and secret for one registry. The secret never appears in repr()."""

    username: str
    secret: str = field(repr=False)
    source: str = ""  # "config.json" or "docker-credential-<helper>", for messages

    def basic_header(self) -> str:
        raw = f"{self.username}:{self.secret}".encode()
        return "Basic " + base64.b64encode(raw).decode("ascii")

    def __repr__(self) -> str:  # dataclass repr would be fine; be explicit anyway
        return f"Credentials(username={self.username!r}, secret='***', source={self.source!r})"


class CredentialStore:
    """Docker's credential lookup: `credHelpers`, then `credsStore`, then `auths`.

    Each registry is looked up once per store (a helper may prompt or be slow); the
    answer, including "none", is remembered.
    """

    def __init__(self, config_path: Path) -> None:
        self._path = config_path
        self._config: dict[str, Any] | None = None
        self._memo: dict[str, Credentials | None] = {}
        self._lock = threading.Lock()

    def get(self, registry: str) -> Credentials | None:
        key = normalize_registry(registry)
        with self._lock:
            if key not in self._memo:
                self._memo[key] = self._lookup(key)
            return self._memo[key]

    def _load(self) -> dict[str, Any]:
        if self._config is None:
            try:
                data = json.loads(self._path.read_text(encoding="utf-8"))
            except FileNotFoundError:
                data = {}
            except (OSError, ValueError) as exc:
                log.warning("ignoring unreadable docker config %s: %s", self._path, type(exc).__name__)
                data = {}
            self._config = data if isinstance(data, dict) else {}
        return self._config

    def _lookup(self, registry: str) -> Credentials | None:
        cfg = self._load()
        helpers = cfg.get("credHelpers") or {}
        helper: str | None = None
        if isinstance(helpers, dict):
            for k, v in helpers.items():
                if isinstance(v, str) and normalize_registry(k) == registry:
                    helper = v
                    break
        if helper is None and isinstance(cfg.get("credsStore"), str) and cfg["credsStore"]:
            helper = cfg["credsStore"]
        if helper:
            creds = run_helper(helper, _server_url(registry))
            if creds is not None:
                return creds
        auths = cfg.get("auths") or {}
        if isinstance(auths, dict):
            for k, entry in auths.items():
                if normalize_registry(k) == registry and isinstance(entry, dict):
                    creds = _from_auth_entry(entry)
                    if creds is not None:
                        return creds
        return None


def _server_url(registry: str) -> str:
    """What Docker passes to a credential helper: the Hub's legacy URL, else the host."""
    return DOCKER_HUB_AUTH_KEY if registry == DOCKER_HUB else registry


def _from_auth_entry(entry: dict[str, Any]) -> Credentials | None:
    auth = entry.get("auth")
    if isinstance(auth, str) and auth:
        try:
            decoded = base64.b64decode(auth, validate=False).decode("utf-8")
        except (binascii.Error, UnicodeDecodeError):
            log.warning("ignoring a malformed 'auth' entry in the docker config")
            return None
        user, sep, secret = decoded.partition(":")
        if sep:
            return Credentials(user, secret, "config.json")
        return None
    name, password = entry.get("username"), entry.get("password")
    if isinstance(name, str) and isinstance(password, str) and name:
        return Credentials(name, password, "config.json")
    # `identitytoken` needs the OAuth2 refresh flow; not supported, so fall back to anonymous.
    return None


def run_helper(helper: str, server_url: str) -> Credentials | None:
    """Ask `docker-credential-<helper> get` for credentials; None when it has none.

    Only the helper's name and exit status are ever logged: its output holds the secret.
    """
    exe = shutil.which(f"docker-credential-{helper}")
    if exe is None:
        log.warning("credential helper docker-credential-%s is not on PATH", helper)
        return None
    try:
        proc = subprocess.run(
            [exe, "get"],
            input=server_url,
            capture_output=True,
            text=True,
            timeout=HELPER_TIMEOUT,
            check=False,
        )
    except (OSError, subprocess.TimeoutExpired) as exc:
        log.warning("credential helper docker-credential-%s failed: %s", helper, type(exc).__name__)
        return None
    if proc.returncode != 0:
        # "credentials not found in native keychain" is the normal "no" answer.
        log.debug("docker-credential-%s has no credentials for %s", helper, server_url)
        return None
    try:
        data = json.loads(proc.stdout)
    except ValueError:
        log.warning("credential helper docker-credential-%s printed something that is not JSON", helper)
        return None
    if not isinstance(data, dict):
        return None
    user, secret = data.get("Username"), data.get("Secret")
    if not isinstance(user, str) or not isinstance(secret, str) or not secret:
        return None
    return Credentials(user, secret, f"docker-credential-{helper}")
