"""What a stage is built on and what holds at any instruction of it, as BuildKit sees it.

The one stage view (issue 13). A stage's *chain* is the stage and the stages it is built FROM,
**root first** (the stage FROM an image), the stage itself last: build order, so reading the
chain's instructions front to back replays what the build does. The model stores each stage's
parent (`Stage.parent`, resolved by the parser, BuildKit's automatic `TARGETOS`/`BUILDOS`
included); this module answers everything else from it:

- navigation: `parent`, `chain`, `chain_instructions`, `root_image`, `children`,
  `descendants`, `stage_of`, `shipping_stages`, `instructions_before`;
- at an instruction: `env_at` (ARG/ENV values), `workdir_at`, `user_at`, `shell_at`
  (the SHELL argv), `posix_shell_at`, `windows_at`;
- per stage: `stage_is_windows`, `has_shell_instruction`, `stage_has_shell` (does the root
  image have /bin/sh; images are `hardenify.knowledge`'s business).

Pure, and never raises on odd input.
"""

from __future__ import annotations

import posixpath
import re

from hardenify.dockerfile.model import (
    Dockerfile,
    Instruction,
    Stage,
    arg_pairs,
    env_pairs,
    split_words,
    substitute,
    unquote,
)
from hardenify.dockerfile.shell import POSIX_SHELLS

# ------------------------------------------------------------------------------ navigation


def parent(stage: Stage) -> Stage | None:
    """The earlier stage a `FROM <name>` builds on, or None when it starts from an image."""
    return stage.parent


def chain(stage: Stage) -> list[Stage]:
    """The stage and its ancestors in build order: the root (FROM an image) first, `stage` last."""
    return stage.chain


def chain_instructions(stage: Stage) -> list[Instruction]:
    """Instructions of the chain in build order (FROM lines excluded); shared, read-only."""
    return stage.chain_instructions


def root_image(df: Dockerfile, stage: Stage) -> str:
    """The image the chain starts from, global ARG defaults substituted; "" when it uses a
    variable without a default (the image is unknown)."""
    root = stage.chain[0]
    gargs = df.global_args
    if any(gargs.get(m.group(1)) is None for m in _VAR.finditer(root.image)):
        return ""
    return root.resolved_image


def children(df: Dockerfile, stage: Stage) -> list[Stage]:
    """Later stages built directly FROM `stage`."""
    return df.children(stage)


def descendants(df: Dockerfile, stage: Stage) -> list[Stage]:
    """Later stages built FROM `stage`, directly or through others, in file order."""
    return df.descendants(stage)


def stage_of(df: Dockerfile, ins: Instruction) -> Stage | None:
    """The stage `ins` belongs to (None before the first FROM)."""
    return df.stage_of(ins)


def shipping_stages(df: Dockerfile) -> set[int]:
    """Indices of the final stage and the stages it is built FROM: their layers ship."""
    final = df.final_stage
    return {s.index for s in final.chain} if final is not None else set()


def instructions_before(df: Dockerfile, ins: Instruction) -> list[Instruction]:
    """Instructions of the chain that run before `ins`, in build order (ancestors' in full)."""
    stage = df.stage_of(ins)
    if stage is None:
        return []
    out: list[Instruction] = []
    for st in stage.chain:
        if st is stage:
            out += [x for x in st.instructions if x.start < ins.start]
        else:
            out += st.instructions
    return out


# ------------------------------------------------------------------------------------- env

_VAR = re.compile(r"\$\{?([A-Za-z_][A-Za-z0-9_]*)")
_REF = re.compile(r"\$\{?([A-Za-z_][A-Za-z0-9_]*)(\}|:?[-+])?")
# Variables that images do not set in their config env: BuildKit expands them to "" in
# WORKDIR, COPY... (`WORKDIR $HOME/x` builds /x); a shell sets HOME only inside RUN.
UNSET_IN_IMAGES = frozenset({"HOME"})


def env_at(df: Dockerfile, ins: Instruction) -> dict[str, str | None]:
    """ARG/ENV values (defaults) the chain sets before `ins`, as BuildKit expands them.

    A global ARG is not set in a stage unless the stage redeclares it (`ARG V` then takes the
    global default). Values are substituted with what was set before the instruction (so
    `ENV A=/x B=$A/y` gives B=/y when A was unset), chained ENVs expanded. None: declared
    without a value. The base image's own ENV is unknown and not included.
    """
    stage = df.stage_of(ins)
    if stage is None:
        return {}
    return _env(df, stage, ins)


def stage_env(df: Dockerfile, stage: Stage, upto: Instruction | None = None) -> dict[str, str | None]:
    """`env_at` for the instruction `upto` of `stage`'s chain (the whole chain when None)."""
    return _env(df, stage, upto)


def _env(df: Dockerfile, stage: Stage, upto: Instruction | None) -> dict[str, str | None]:
    gargs = df.global_args
    env: dict[str, str | None] = {}
    for x in stage.chain_instructions:
        if x is upto:
            break
        if x.cmd == "ARG":
            before = dict(env)
            for name, value in arg_pairs(x):
                if value is not None:
                    env[name] = substitute(value, before)
                elif name not in env:
                    env[name] = gargs.get(name)
        elif x.cmd == "ENV":
            before = dict(env)
            for key, value, _, _ in env_pairs(x):
                env[key] = substitute(value, before)
    return env


def resolve(value: str, env: dict[str, str | None]) -> str | None:
    """`value` with `$VAR`s expanded from `env`; None when a variable is unknown (it may come
    from the base image), except `UNSET_IN_IMAGES`, which expand to ""."""
    for m in _REF.finditer(value):
        name = m.group(1)
        if (
            env.get(name) is None
            and name not in UNSET_IN_IMAGES
            and not (m.group(2) or "").endswith(("-", "+"))
        ):
            return None
    out = substitute(value, env)
    return None if "$" in out else out


# --------------------------------------------------------------------------- user, workdir


def user_at(df: Dockerfile, ins: Instruction) -> str | None:
    """The USER in effect at `ins` as written (None: none in the chain, the image's default)."""
    for x in reversed(instructions_before(df, ins)):
        if x.cmd == "USER":
            words = x.words()
            return words[0] if words else None
    return None


def workdir_at(df: Dockerfile, ins: Instruction) -> str | None:
    """The absolute WORKDIR at `ins`, or None when unknown (none set: the image decides; a
    variable that may come from the image). Relative WORKDIRs join the previous one."""
    stage = df.stage_of(ins)
    if stage is None:
        return None
    path: str | None = None
    env: dict[str, str | None] = {}
    for x in instructions_before(df, ins):
        if x.cmd != "WORKDIR":
            continue
        words = split_words(x.args)
        if len(words) != 1:
            return None
        value = unquote(words[0])
        if "$" in value:
            env = _env(df, stage, x)
            resolved = resolve(value, env)
            if resolved is None:
                return None
            value = resolved
        if value.startswith("/"):
            path = value
        elif path is None:
            return None
        else:
            path = posixpath.join(path, value)
    return posixpath.normpath(path) if path is not None else None


# ----------------------------------------------------------------------------------- shell


def shell_at(df: Dockerfile, ins: Instruction) -> list[str] | None:
    """The SHELL argv in force for `ins`: None means the default `/bin/sh -c`.

    A SHELL that is not a JSON list is reported as [""] (unknown shell).
    """
    current: list[str] | None = None
    for x in instructions_before(df, ins):
        if x.cmd == "SHELL":
            current = list(x.json) if x.json else [""]
    return current


def shell_name(argv: list[str] | None) -> str:
    """`bash` for ["/bin/bash", "-c"], `powershell` for ["powershell.exe"]; "sh" for None."""
    if argv is None:
        return "sh"
    if not argv or not argv[0]:
        return ""
    return argv[0].replace("\\", "/").rsplit("/", 1)[-1].lower().removesuffix(".exe")


def is_posix_shell(argv: list[str] | None) -> bool:
    """Does this SHELL run POSIX shell scripts (sh, bash, ash...)?"""
    return shell_name(argv) in POSIX_SHELLS


def posix_shell_at(df: Dockerfile, ins: Instruction) -> bool:
    """Does a shell-form instruction at `ins` run through a POSIX shell (and not on Windows)?"""
    return is_posix_shell(shell_at(df, ins)) and not df.windows_at(ins)


def has_shell_instruction(stage: Stage) -> bool:
    """Does the chain set a SHELL?"""
    return any(x.cmd == "SHELL" for x in stage.chain_instructions)


def stage_has_shell(df: Dockerfile, stage: Stage) -> bool:
    """Can a RUN run in this stage: does its root image have /bin/sh (not scratch,
    distroless, chiseled...)? An unknown image is assumed to have one."""
    from hardenify.knowledge.bases import has_shell

    image = root_image(df, stage)
    return not image or has_shell(image)


# ---------------------------------------------------------------------------------- windows


def stage_is_windows(df: Dockerfile, stage: Stage) -> bool:
    """This stage builds a Windows image (see `Dockerfile.stage_is_windows`)."""
    return df.stage_is_windows(stage)


def windows_at(df: Dockerfile, ins: Instruction) -> bool:
    """Is `ins` part of a Windows stage? (the whole file's answer before the first FROM)"""
    return df.windows_at(ins)
