"""The BuildKit secret mounts of a Dockerfile and the wiring `docker build` and compose need
for them.

`secret_mounts` reads `RUN --mount=type=secret` flags; `secret_wiring` says where each secret
must come from (an environment variable or a context file), so the CLI, `bulk`, `prove` and the
HF3xx/HF616 rules print or pass the same `--secret` flags. Nothing here does I/O.
"""

from __future__ import annotations

import re
from typing import TYPE_CHECKING, NamedTuple

from hardenify.knowledge.secrets import DEFAULT_FILE_SOURCES
from hardenify.secrets import credential_kind, credential_secret_id

if TYPE_CHECKING:
    from hardenify.dockerfile.model import Dockerfile, Instruction

# ---------------------------------------------------------------------- BuildKit secret mounts


def env_mount_supported(df: Dockerfile) -> bool:
    """Does the file's `# syntax=` frontend support `--mount=type=secret,env=` (1.10+)?

    `docker/dockerfile:1` (latest 1.x), `:1-labs`, `:1.10`+, `:latest`, `-upstream:master`
    do; no directive or an older pin does not (the builder's built-in frontend is unknown).
    """
    syntax = df.directive("syntax")
    if not syntax:
        return False
    ref = syntax.strip().split("@", 1)[0]
    repo, _, tag = ref.rpartition(":")
    if "/" in tag or not repo:
        repo, tag = ref, "latest"
    if not re.search(r"(^|/)docker/dockerfile(-upstream)?$", repo):
        return False
    tag = tag.lower().removesuffix("-labs")
    if tag in ("latest", "labs", "master", "master-labs", "1"):
        return True
    m = re.fullmatch(r"1\.(\d+)(?:\.\d+)?", tag)
    return bool(m and int(m.group(1)) >= 10)


class SecretMount(NamedTuple):
    id: str
    env: str | None
    target: str | None

    @property
    def path(self) -> str:
        return self.target or f"/run/secrets/{self.id}"


def secret_mounts(ins: Instruction) -> list[SecretMount]:
    out: list[SecretMount] = []
    for f in ins.flags:
        if f.name != "mount":
            continue
        opts = f.options()
        if opts.get("type") != "secret":
            continue
        target = opts.get("target") or opts.get("dst") or opts.get("destination") or None
        sid = opts.get("id") or (target.rsplit("/", 1)[-1] if target else "")
        if sid:
            out.append(SecretMount(sid, opts.get("env") or None, target))
    return out


# ---------------------------------------------------------------------------- secret wiring


class SecretWiring(NamedTuple):
    """How to provide one secret to `docker build` and to compose's `build.secrets`."""

    id: str
    env: str | None = None  # the secret comes from this environment variable...
    src: str | None = None  # ...or from this file (relative to the build context)

    @property
    def cli(self) -> str:
        """The `docker build` flag, e.g. `--secret id=npm_token,env=NPM_TOKEN`."""
        return f"--secret id={self.id}," + (f"env={self.env}" if self.env else f"src={self.src}")

    @property
    def compose(self) -> dict[str, str]:
        """The top-level compose `secrets:` entry body: {"environment": ...} or {"file": ...}."""
        return {"environment": self.env} if self.env else {"file": f"./{self.src}" if self.src else ""}


def secret_wiring(text: str, original: str | None = None) -> list[SecretWiring]:
    """The secrets a Dockerfile's `RUN --mount=type=secret` steps expect, with their source.

    Env secrets: `env=NAME` on the mount, or `NAME="$(cat /run/secrets/id)"` in the RUN, or
    else the id upper-cased. File secrets (a mount with a `target=` path, as HF303 writes):
    the source is the file the `original` text COPYed (when given), else a conventional name.
    """
    from hardenify.dockerfile.model import parse

    df = parse(text)
    copies = _copied_sources(original) if original else {}
    out: dict[str, SecretWiring] = {}
    for ins in df.instructions:
        run = ins.sub if ins.cmd == "ONBUILD" and ins.sub is not None else ins
        if run.cmd != "RUN":
            continue
        for m in secret_mounts(run):
            if m.id in out:
                continue
            if m.env:
                out[m.id] = SecretWiring(m.id, env=m.env)
            elif m.target and m.target != f"/run/secrets/{m.id}":
                src = copies.get(m.id) or DEFAULT_FILE_SOURCES.get(m.id) or m.target.rsplit("/", 1)[-1]
                out[m.id] = SecretWiring(m.id, src=src)
            else:
                body = run.args + "".join(h.content for h in run.heredocs)
                pm = re.search(r"([A-Za-z_][A-Za-z0-9_]*)=\"?\$\(cat " + re.escape(m.path) + r"[ )]", body)
                out[m.id] = SecretWiring(m.id, env=pm.group(1) if pm else m.id.upper())
    return list(out.values())


def build_secret_flags(text: str, original: str | None = None) -> list[str]:
    """`docker build` flags for the secrets a (fixed) Dockerfile needs, e.g.
    ["--secret id=npm_token,env=NPM_TOKEN"]."""
    return [w.cli for w in secret_wiring(text, original)]


def _copied_sources(original: str) -> dict[str, str]:
    """secret id → the context path a credential COPY in `original` took it from."""
    from hardenify.dockerfile.model import parse, split_words

    out: dict[str, str] = {}
    for ins in parse(original).instructions:
        if ins.cmd not in ("COPY", "ADD"):
            continue
        words = ins.json if ins.json is not None else split_words(ins.args)
        for src in words[:-1]:
            kind = credential_kind(src)
            if kind is not None:
                out.setdefault(
                    credential_secret_id(kind, src), src.lstrip("./") if src.startswith("./") else src
                )
    return out
