"""Stage helpers for the HF409-HF412 and HF5xx rules.

- stage chains (`FROM builder AS app` inherits builder's SHELL, WORKDIR, ENV and base image);
- the ARG/ENV values visible at an instruction (defaults only: a best guess);
- the SHELL in force at an instruction;
- what is known about a base image (Debian/Ubuntu with bash, python/node runtimes).

Pure and never raises on odd input.
"""

from __future__ import annotations

import re

from hardenify.dockerfile.model import (
    Dockerfile,
    Instruction,
    Stage,
    arg_pairs,
    env_pairs,
    substitute,
)
from hardenify.imageref import ImageRef, try_parse_ref

# --------------------------------------------------------------------------------- chains
# Stage parents and chains are part of the core model (`Stage.parent`, `Stage.chain`,
# `Stage.chain_instructions`, `Dockerfile.children`); these wrappers keep the rules' API.


def parent_stage(df: Dockerfile, stage: Stage) -> Stage | None:
    """The earlier stage a `FROM <name>` builds on, or None when it starts from an image."""
    return stage.parent


def stage_chain(df: Dockerfile, stage: Stage) -> list[Stage]:
    """The stage and its ancestors, the root (FROM an image) first."""
    return stage.chain


def chain_instructions(df: Dockerfile, stage: Stage) -> list[Instruction]:
    """Instructions of the stage and its ancestors in build order (FROM lines excluded)."""
    return list(stage.chain_instructions)


def root_image(df: Dockerfile, stage: Stage) -> str:
    """The image the chain starts from, ARG defaults substituted ("" when unknown)."""
    root = stage.chain[0]
    if not _vars_resolved(df, root.image):
        return ""
    return root.resolved_image


def children(df: Dockerfile, stage: Stage) -> list[Stage]:
    """Later stages that build FROM this one."""
    return df.children(stage)


def stage_of(df: Dockerfile, ins: Instruction) -> Stage | None:
    return df.stage_of(ins)


def _vars_resolved(df: Dockerfile, text: str) -> bool:
    """True when every `$VAR` in `text` has a global ARG default."""
    gargs = df.global_args
    return all(gargs.get(m.group(1)) is not None for m in re.finditer(r"\$\{?([A-Za-z_][A-Za-z0-9_]*)", text))


# -------------------------------------------------------------------------------- windows

# Windows detection lives in the model (`Dockerfile.stage_is_windows`, `is_windows_image`);
# these wrappers keep the rules' API.


def stage_is_windows(df: Dockerfile, stage: Stage) -> bool:
    """This stage builds a Windows image (see `Dockerfile.stage_is_windows`)."""
    return df.stage_is_windows(stage)


def windows_at(df: Dockerfile, ins: Instruction) -> bool:
    """Is `ins` part of a Windows stage? (the whole file's answer before the first FROM)"""
    return df.windows_at(ins)


# ------------------------------------------------------------------------------------ env


def stage_env(df: Dockerfile, stage: Stage, upto: Instruction | None = None) -> dict[str, str | None]:
    """ARG/ENV values (defaults) set in the chain before `upto`; globals only when redeclared."""
    gargs = df.global_args
    env: dict[str, str | None] = {}
    for ins in stage.chain_instructions:
        if upto is not None and ins is upto:
            break
        if ins.cmd == "ARG":
            for name, value in arg_pairs(ins):
                if value is not None:
                    env[name] = substitute(value, {**gargs, **env})
                elif name not in env:
                    env[name] = gargs.get(name)
        elif ins.cmd == "ENV":
            for key, value, _, _ in env_pairs(ins):
                env[key] = substitute(value, {**gargs, **env})
    return env


def resolve(value: str, env: dict[str, str | None]) -> str | None:
    """`value` with `$VAR`s expanded from `env`; None when a variable is unknown."""
    for m in re.finditer(r"\$\{?([A-Za-z_][A-Za-z0-9_]*)(\}|:?[-+])?", value):
        if env.get(m.group(1)) is None and not (m.group(2) or "").endswith(("-", "+")):
            return None
    out = substitute(value, env)
    return None if "$" in out else out


# ---------------------------------------------------------------------------------- shell


def shell_at(df: Dockerfile, ins: Instruction) -> list[str] | None:
    """The SHELL (exec list) in force for `ins`: None means the default `/bin/sh -c`.

    A SHELL that is not valid JSON is reported as [""] (unknown shell).
    """
    stage = stage_of(df, ins)
    if stage is None:
        return None
    current: list[str] | None = None
    for x in stage.chain_instructions:
        if x is ins:
            break
        if x.cmd == "SHELL":
            current = list(x.json) if x.json else [""]
    return current


def stage_has_shell(df: Dockerfile, stage: Stage) -> bool:
    return any(x.cmd == "SHELL" for x in stage.chain_instructions)


def shell_name(argv: list[str] | None) -> str:
    if argv is None:
        return "sh"
    if not argv or not argv[0]:
        return ""
    return argv[0].replace("\\", "/").rsplit("/", 1)[-1].lower().removesuffix(".exe")


NON_POSIX_SHELLS = frozenset({"cmd", "powershell", "pwsh"})


def is_posix_shell(argv: list[str] | None) -> bool:
    name = shell_name(argv)
    return bool(name) and name not in NON_POSIX_SHELLS


# ---------------------------------------------------------------------------------- images

# Official images whose default and Debian/Ubuntu variants ship bash (Debian's bash is
# Essential, so even the -slim variants have it). Variants that are not Debian/Ubuntu are
# excluded by tag below.
DEBIAN_BASH_IMAGES = frozenset(
    {
        "debian",
        "ubuntu",
        "python",
        "node",
        "golang",
        "ruby",
        "php",
        "perl",
        "rust",
        "buildpack-deps",
        "gcc",
        "eclipse-temurin",
        "elixir",
        "erlang",
        "haskell",
        "nginx",
        "httpd",
        "postgres",
        "redis",
        "mariadb",
        "tomcat",
        "wordpress",
        "julia",
        "r-base",
    }
)
_NOT_DEBIAN_TAG = re.compile(
    r"alpine|busybox|distroless|windows|nanoserver|servercore|ltsc|musl|wolfi|chainguard|scratch|"
    r"ubi\d*|amazon|corretto|oracle|oraclelinux|centos|fedora|rocky|alma|suse|photon|cbl|azurelinux|"
    r"mariner|slim-?bullseye-?arm",
    re.I,
)


def parse_image(image: str) -> ImageRef | None:
    if not image or "$" in image:
        return None
    return try_parse_ref(image)


def official_name(image: str) -> tuple[str, str] | None:
    """(name, tag) of a Docker Hub official image (`python:3.12-slim` → ("python", "3.12-slim"))."""
    ref = parse_image(image)
    if ref is None or ref.registry != "docker.io" or not ref.path.startswith("library/"):
        return None
    return ref.name, ref.tag or "latest"


def is_debian_with_bash(image: str) -> bool:
    """A Docker Hub official image whose variant is Debian/Ubuntu based and ships bash."""
    off = official_name(image)
    if off is None:
        return False
    name, tag = off
    return name in DEBIAN_BASH_IMAGES and not _NOT_DEBIAN_TAG.search(tag)


def is_scratch(image: str) -> bool:
    return image.strip().lower() == "scratch"


def keyword_like(like: str, word: str) -> str:
    """`word` in the case style of `like` (`add` → `copy`, `ADD` → `COPY`, `Add` → `Copy`)."""
    if like.islower():
        return word.lower()
    if like[:1].isupper() and like[1:].islower():
        return word[:1].upper() + word[1:].lower()
    return word.upper()
