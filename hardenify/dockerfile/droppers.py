"""Why an image must start as root: privilege droppers, init systems, supervisors, network tools.

An image whose entrypoint switches user itself (gosu, su-exec, supervisord...) or needs
CAP_NET_ADMIN breaks under a USER line; HF101 declines to add one and HF609 counts it as not
running its server as root. The program names are facts in `hardenify.knowledge.programs`.
"""

from __future__ import annotations

import re
from collections.abc import Sequence
from dataclasses import dataclass

from hardenify.dockerfile.model import Instruction, split_words
from hardenify.dockerfile.runs import all_commands, effective, program_name, script_view
from hardenify.dockerfile.shell import tokenize
from hardenify.dockerfile.users import command_words
from hardenify.knowledge import programs


@dataclass(frozen=True)
class RootStart:
    """Why the image must start as root: `program` (gosu, supervisord, iptables...) found `where`."""

    program: str
    where: str
    network: bool = False  # a network tool needing CAP_NET_ADMIN, not a user switch

    def reason(self) -> str:
        if self.network:
            return (
                f"needs root because {self.where} {self.program}, which needs CAP_NET_ADMIN: keep it "
                "root and grant only that capability in compose/Kubernetes (`cap_add`, `cap_drop: [ALL]`)"
            )
        return (
            f"needs root because {self.where} {self.program}, which switches user itself: harden it in "
            "compose/Kubernetes instead (`cap_drop: [ALL]` plus the capabilities it needs, "
            "`no-new-privileges`)"
        )


# Dropper names that mean nothing else, so any word naming them (a download to
# /usr/local/bin/gosu, `chmod +x .../su-exec`, `gosu nobody true`) shows the image uses one.
_UNAMBIGUOUS = frozenset(
    {
        "gosu",
        "su-exec",
        "s6-setuidgid",
        "s6-applyuidgid",
        "chpst",
        "supervisord",
        "runsvdir",
        "s6-svscan",
        "my_init",
    }
)
_UNAMBIGUOUS_RE = re.compile(
    r"(?<![\w.-])(?:" + "|".join(re.escape(n) for n in sorted(_UNAMBIGUOUS)) + r"|s6-overlay)(?![\w-])"
)
_INSTALLERS = {
    "apt-get": "install",
    "apt": "install",
    "apk": "add",
    "yum": "install",
    "dnf": "install",
    "microdnf": "install",
    "tdnf": "install",
    "zypper": "install",
}


def effective_entry(instructions: list[Instruction]) -> list[str]:
    """The words of the last ENTRYPOINT and the last CMD of the chain, in that order."""
    out: list[str] = []
    for cmd in ("ENTRYPOINT", "CMD"):
        last = next((i for i in reversed(instructions) if i.cmd == cmd), None)
        if last is not None:
            out.extend(last.json if last.json is not None else split_words(last.args))
    return out


def root_start(instructions: list[Instruction], scripts: Sequence[tuple[str, str]] = ()) -> RootStart | None:
    """Why the image must start as root, if it must: its ENTRYPOINT/CMD (or the `scripts` they
    run, read from the build context: (path in the image, text)) call a privilege dropper, an init
    system, a supervisor, sshd or a network tool needing root, or the build installs one."""
    for word in effective_entry(instructions):
        found = programs.root_starter(word.strip())
        if found is not None:
            return RootStart(found, "the entrypoint runs", programs.is_network_tool(word))
    for path, text in scripts:
        found_s = script_root_start(text)
        if found_s is not None:
            name, network = found_s
            return RootStart(name, f"the entrypoint script {path} runs", network)
    return installed_root_start(instructions)


def drops_privileges(instructions: list[Instruction]) -> str | None:
    """The privilege dropper, init system or supervisor the image starts as root for, if any
    (the Dockerfile alone: no build context)."""
    found = root_start(instructions)
    return None if found is None or found.network else found.program


def script_root_start(text: str) -> tuple[str, bool] | None:
    """(program, is a network tool) for the first root-needing program a shell script runs."""
    lines = [ln for ln in text.splitlines() if not ln.lstrip().startswith("#")]
    body = "\n".join(lines)
    m = _UNAMBIGUOUS_RE.search(body)
    if m is not None:
        word = m.group(0)
        return (programs.root_starter(word) or word), False
    # An entrypoint script is a script file: read it as the RUN model reads a heredoc script.
    for command in tokenize(script_view(body)):
        _prefix, words = effective(command)
        if not words:
            continue
        found = programs.root_starter(words[0].value)
        if found is not None:
            return found, programs.is_network_tool(program_name(words[0].value))
    return None


def installed_root_start(instructions: list[Instruction]) -> RootStart | None:
    """A privilege dropper, supervisor, sshd or root-needing network tool the build installs."""
    for ins in instructions:
        copied = _UNAMBIGUOUS_RE.search(ins.args) if ins.cmd in ("COPY", "ADD") else None
        if copied is not None:
            return RootStart(copied.group(0), "the build installs")
        for _script, cmd in all_commands([ins]):
            words = command_words(cmd)
            if not words:
                continue
            prog = words[0]
            verb = _INSTALLERS.get(prog)
            if verb is not None and verb in words:
                for w in words[1:]:
                    name = re.split(r"[=<>~]", w, maxsplit=1)[0]
                    if name in programs.DROPPER_PACKAGES:
                        return RootStart(programs.DROPPER_PACKAGES[name], "the build installs")
                    if name in programs.NETWORK_ROOT_PACKAGES:
                        return RootStart(programs.NETWORK_ROOT_PACKAGES[name], "the build installs", True)
            if prog.startswith("pip") and "install" in words:
                for w in words[1:]:
                    name = re.split(r"[=<>~\[]", w, maxsplit=1)[0].lower()
                    if name in programs.PIP_DROPPERS:
                        return RootStart(programs.PIP_DROPPERS[name], "the build installs")
            for w in words:
                if any(n in w for n in ("gosu", "su-exec", "s6-", "chpst", "supervisord", "runsvdir")):
                    m = _UNAMBIGUOUS_RE.search(w)
                    if m is not None:
                        return RootStart(m.group(0), "the build installs")
    return None
