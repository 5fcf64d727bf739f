"""The package-manager family helper (HF401-HF418): tables and questions about installs.

Which options of apt/apk/pip/rpm/zypper/npm take a value, which RUNs run POSIX shell, what an
apt command does with the package lists, whether something is downloaded over TLS later. The
command model is the core's (`dockerfile/runs.py`); edits inside a RUN's script are in
`dockerfile/runedits.py`. Nothing here raises on odd input: unknown shapes answer no.
"""

from __future__ import annotations

import re
from collections.abc import Iterator
from functools import partial

from hardenify.dockerfile import stages
from hardenify.dockerfile.model import Dockerfile, Instruction

# The command model lives in the core (`Instruction.commands`); re-exported for HF401-HF408.
from hardenify.dockerfile.runs import Cmd as Cmd
from hardenify.dockerfile.runs import has_long as has_long
from hardenify.dockerfile.runs import option_values as option_values
from hardenify.dockerfile.runs import positional as positional
from hardenify.dockerfile.runs import run_text as run_text
from hardenify.dockerfile.runs import short_letters as short_letters
from hardenify.dockerfile.runs import subcommand as subcommand
from hardenify.dockerfile.shell import POSIX_SHELLS
from hardenify.dockerfile.stages import descendants as descendants
from hardenify.dockerfile.stages import instructions_before as instructions_before
from hardenify.dockerfile.stages import shipping_stages as shipping_stages
from hardenify.dockerfile.stages import stage_of as stage_of


def _opts(names: str) -> frozenset[str]:
    return frozenset(names.split())


# Options that take a separate value word, per tool (so `-o X install` finds `install`).
APT_VALUE_OPTS = _opts(
    "-o -c -t -a --option --config-file --target-release --default-release --host-architecture"
)
APK_VALUE_OPTS = _opts(
    "-X -p -t --repository --root --virtual --arch --keys-dir --repositories-file --cache-dir "
    "--cache-max-age --timeout"
)
PIP_VALUE_OPTS = _opts(
    "--proxy --log --cache-dir --timeout --retries --exists-action --trusted-host --cert "
    "--client-cert --python --src --global-option --keyring-provider"
)
RPM_VALUE_OPTS = _opts(
    "-c -d -e -x -R --config --installroot --releasever --enablerepo --disablerepo --repo "
    "--repoid --exclude --setopt --forcearch --downloaddir --destdir --rpmverbosity "
    "--debuglevel --errorlevel"
)
ZYPPER_VALUE_OPTS = _opts(
    "-c -R -r -D --config --root --reposd-dir --cache-dir --raw-cache-dir --solv-cache-dir "
    "--pkg-cache-dir --repo --type -t"
)
NPM_VALUE_OPTS = _opts(
    "--prefix -C --cache --registry --loglevel --omit --include --only --also --userconfig "
    "--globalconfig --workspace -w --tag --install-strategy --fetch-retries --fetch-timeout "
    "--network-timeout --scripts-prepend-node-path --before --cpu --os --libc --script-shell "
    "--node-options"
)


# ---------------------------------------------------------------------------------- scripts


def shell_runs(df: Dockerfile) -> list[tuple[Instruction, Instruction, list[Cmd]]]:
    """(outer, run, commands) for every RUN that runs POSIX shell; nothing for Windows images.

    Computed once per file and shared by HF401-HF408.
    """
    return df.cached("pkg.shell_runs", lambda: _shell_runs(df))


def _shell_runs(df: Dockerfile) -> list[tuple[Instruction, Instruction, list[Cmd]]]:
    if df.is_windows:
        return []
    return [(outer, run, outer.commands) for outer, run in run_instructions(df) if posix_shell(df, outer)]


def run_instructions(df: Dockerfile) -> Iterator[tuple[Instruction, Instruction]]:
    """(outer, run) for every shell-form RUN, including `ONBUILD RUN`."""
    for ins in df.instructions:
        run = ins.run
        if run is None or run.json is not None:
            continue
        yield ins, run


def commands(outer: Instruction, run: Instruction) -> list[Cmd]:
    """Every simple command the RUN executes, in order (the instruction's cached commands)."""
    return outer.commands if run is outer.run else run.commands


# ------------------------------------------------------------------------------- stages


def env_before(df: Dockerfile, ins: Instruction) -> dict[str, str | None]:
    """ENV and ARG values set in the stage chain before `ins` (`stages.env_at`)."""
    return stages.env_at(df, ins)


def posix_shell(df: Dockerfile, ins: Instruction) -> bool:
    """Does a shell-form RUN at `ins` run through a POSIX shell (`stages.posix_shell_at`)?"""
    return stages.posix_shell_at(df, ins)


def runs_after(
    df: Dockerfile, ins: Instruction, *, include_descendants: bool = True
) -> list[tuple[Instruction, Instruction]]:
    """(outer, run) RUNs after `ins` in its stage and (optionally) in stages built FROM it."""
    stage = df.stage_of(ins)
    if stage is None:
        return []
    stage_ids = {stage.index}
    if include_descendants:
        stage_ids |= {s.index for s in df.descendants(stage)}
    out = []
    for outer, run in run_instructions(df):
        if outer.start <= ins.start or outer.stage not in stage_ids:
            continue
        out.append((outer, run))
    return out


def cache_mounted(run: Instruction, *paths: str, needle: str | None = None) -> bool:
    """A `--mount=type=cache|tmpfs` covers one of `paths` (or its target contains `needle`)."""
    for f in run.flags:
        if f.name != "mount":
            continue
        opts = f.options()
        if opts.get("type", "bind") not in ("cache", "tmpfs"):
            continue
        target = opts.get("target") or opts.get("dst") or opts.get("destination") or ""
        target = target.rstrip("/") or "/"
        if needle is not None and needle in target:
            return True
        for p in paths:
            if p == target or p.startswith(target.rstrip("/") + "/"):
                return True
    return False


# --------------------------------------------------------------------------------- edits


def runs_script(cmd: Cmd) -> bool:
    """Does the command run a script hardenify cannot see (`bash x.sh`, `./install`, `/x/y.sh`)?"""
    if not cmd.words:
        return False
    first = cmd.words[0].value
    if first.startswith(("./", "../", "~/")) or cmd.prog.endswith(".sh"):
        return True
    if cmd.prog in POSIX_SHELLS:
        vals = cmd.values
        k = 0
        while k < len(vals):
            v = vals[k]
            if v.startswith("-") and not v.startswith("--") and "c" in v[1:]:
                return False  # `sh -c`: its commands are visible
            if v in ("-o", "+o"):
                k += 2
                continue
            if not v.startswith(("-", "+")) or v == "-":
                return True  # a script file, or `-` (stdin, as in `curl ... | bash -`)
            k += 1
        return cmd.before == "|"  # `curl ... | sh`
    return False


# ----------------------------------------------------------------------------------- apt

# `xx-apt-get` is the cross-compilation wrapper of tonistiigi/xx (same CLI).
APT = frozenset({"apt-get", "apt", "xx-apt-get"})
# apt subcommands that need no package lists.
_LISTS_FREE = frozenset(
    {
        "update",
        "clean",
        "autoclean",
        "distclean",
        "dist-clean",
        "remove",
        "purge",
        "autoremove",
        "autopurge",
        "check",
        "help",
        "moo",
        "changelog",
        "list",
        "edit-sources",
    }
)
# apt subcommands that install from the lists (what `apt-get update` is for).
APT_CONSUMERS = frozenset(
    {
        "install",
        "upgrade",
        "dist-upgrade",
        "full-upgrade",
        "build-dep",
        "source",
        "download",
        "satisfy",
        "reinstall",
    }
)
_LISTS_TOOLS = frozenset({"apt-cache", "aptitude", "apt-file", "rosdep"})


def apt_sub(cmd: Cmd) -> tuple[int, str] | None:
    """(index, name) of an apt-get/apt subcommand."""
    if cmd.prog not in APT:
        return None
    i = subcommand(cmd, APT_VALUE_OPTS)
    if i is None:
        return None
    return i, cmd.words[i].value


def is_apt_update(cmd: Cmd) -> bool:
    s = apt_sub(cmd)
    return s is not None and s[1] == "update"


def uses_lists(cmd: Cmd) -> bool:
    """Does the command read /var/lib/apt/lists (an install, a search...)?"""
    s = apt_sub(cmd)
    if s is not None:
        return s[1] not in _LISTS_FREE
    if cmd.prog in _LISTS_TOOLS:
        return cmd.prog != "rosdep" or "install" in cmd.values
    return False


def consumes_lists(cmd: Cmd) -> bool:
    """An install-like apt command (the reason to run `apt-get update`)."""
    s = apt_sub(cmd)
    if s is not None:
        return s[1] in APT_CONSUMERS
    if cmd.prog == "install_packages":  # bitnami/minideb helper: update + install + cleanup
        return True
    return cmd.prog in ("aptitude", "rosdep") and any(v in ("install", "upgrade") for v in cmd.values)


def removes_lists(cmd: Cmd) -> bool:
    """`rm -rf /var/lib/apt/lists/*`, `apt-get distclean`, `find /var/lib/apt/lists ... -delete`."""
    if cmd.prog == "rm":
        return any(
            v.rstrip("/") in ("/var/lib/apt", "/var/lib/apt/lists") or v.startswith("/var/lib/apt/lists/")
            for v in cmd.values
        )
    s = apt_sub(cmd)
    if s is not None:
        return s[1] in ("distclean", "dist-clean")
    if cmd.prog == "find":
        vals = cmd.values
        return any(v.rstrip("/").startswith("/var/lib/apt/lists") for v in vals) and (
            "-delete" in vals or "rm" in vals
        )
    return False


def needs_lists_later(cmds: list[Cmd]) -> bool:
    """Does this RUN read apt lists before (or without) updating them itself?"""
    for c in cmds:
        if is_apt_update(c):
            return False
        if uses_lists(c):
            return True
    return False


def earlier_run_text(df: Dockerfile, ins: Instruction) -> str:
    """Shell text of the RUNs before `ins` in its stage lineage (for apt/yum config writes)."""
    parts = []
    for x in instructions_before(df, ins):
        if x.cmd == "RUN":
            parts.append(df.cached_for("pkg.run_text", x, partial(run_text, x)))
    return "\n".join(parts)


# ------------------------------------------------------------------------ TLS and CA certs

# Clients that verify TLS with the system CA store (`ca-certificates`); pip, npm and the JVM
# carry their own bundles. An unresolved `$URL` passed to one of them may be https.
TLS_CLIENTS = frozenset({"curl", "wget", "git", "aria2c", "svn", "hg", "gh", "http", "httpie"})
_TLS_URL = re.compile(r"(?i)\b(?:https|ftps|hkps|wss)://")
_VAR_REF = re.compile(r"\$\{?([A-Za-z_][A-Za-z0-9_]*)")


def _word_is_tls(value: str, env: dict[str, str | None], client: bool) -> bool:
    if _TLS_URL.search(value):
        return True
    for m in _VAR_REF.finditer(value):
        v = env.get(m.group(1))
        if v is None:
            if client:
                return True  # unknown URL given to a TLS client: assume https
        elif _TLS_URL.search(v):
            return True
    return False


def cmd_downloads_over_tls(cmd: Cmd, env: dict[str, str | None]) -> bool:
    """Does the command fetch an `https://` (or hkps/ftps) URL, directly or through a variable?

    Any word counts (`echo "deb https://…" > sources.list` makes the next `apt-get update`
    fetch over TLS); an unresolved variable counts only as an argument of a TLS client.
    """
    client = cmd.prog in TLS_CLIENTS
    return any(_word_is_tls(w.value, env, client) for w in (*cmd.prefix, *cmd.words))


def installs_package(cmd: Cmd, name: str) -> bool:
    """Does an apt/apk/dnf/yum/zypper install name the package `name` (`name=1.2` too)?"""
    if cmd.prog in APT:
        sub = apt_sub(cmd)
        if sub is None or sub[1] != "install":
            return False
    elif cmd.prog == "apk":
        if "add" not in cmd.values:
            return False
    elif cmd.prog in ("dnf", "yum", "microdnf", "zypper", "tdnf"):
        if not ({"install", "in"} & set(cmd.values)):
            return False
    elif cmd.prog != "install_packages":
        return False
    return any(re.split(r"[=<>~]", v, maxsplit=1)[0] == name for v in cmd.values)


def tls_after(df: Dockerfile, outer: Instruction, cmds: list[Cmd], index: int) -> bool:
    """Is something downloaded over TLS after `cmds[index]`: later in this RUN, in later RUNs of
    the stage and of the stages built FROM it, or by their CMD/ENTRYPOINT/HEALTHCHECK?"""
    env = env_before(df, outer)
    if any(cmd_downloads_over_tls(c, env) for c in cmds[index + 1 :]):
        return True
    for o, r in runs_after(df, outer):
        e = env_before(df, o)
        if any(cmd_downloads_over_tls(c, e) for c in commands(o, r)):
            return True
    stage = df.stage_of(outer)
    if stage is None:
        return False
    ids = {stage.index} | {s.index for s in df.descendants(stage)}
    return any(
        x.cmd in ("CMD", "ENTRYPOINT", "HEALTHCHECK") and x.stage in ids and _TLS_URL.search(x.logical)
        for x in df.instructions
    )


def installs_in_lineage(df: Dockerfile, outer: Instruction, name: str) -> bool:
    """Is package `name` installed explicitly by a RUN of this stage or a stage it is built FROM?"""
    stage = df.stage_of(outer)
    if stage is None:
        return False
    ids = {s.index for s in stage.chain}
    return any(
        o.stage in ids and any(installs_package(c, name) for c in cmds) for o, _r, cmds in shell_runs(df)
    )
