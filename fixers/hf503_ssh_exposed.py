"""HF503: the image exposes, installs or runs an SSH server."""

from __future__ import annotations

import re
from collections.abc import Iterator

from hardenify.context import CheckContext, unsafe_fix
from hardenify.diagnostics import Diagnostic, FixAvailability, Severity
from hardenify.dockerfile import edits, stages
from hardenify.dockerfile.model import Dockerfile, Instruction, Stage
from hardenify.dockerfile.runedits import delete_span
from hardenify.dockerfile.runs import Script, run_scripts
from hardenify.dockerfile.shell import tokenize
from hardenify.knowledge.programs import INSTALL_SUBCOMMANDS
from hardenify.rules import References, Rule

RULE = Rule(
    code="HF503",
    name="ssh-exposed",
    severity=Severity.WARNING,
    summary="The image exposes port 22, installs an SSH server or starts sshd.",
    what="Checks the final stage and the stages it is built FROM for `EXPOSE 22` (also "
    "`22/tcp`, `${SSH_PORT}` resolving to 22, and port ranges that include 22), package "
    "installs of an SSH server (`openssh-server`, Debian's `ssh` metapackage, Alpine's "
    "`openssh`, `dropbear`; Windows' `OpenSSH.Server` capability) and CMD/ENTRYPOINT running "
    "`sshd`.",
    why="An SSH daemon in a container is a second, long-lived entry point with its own "
    "credentials and host keys (often baked into the image and shared by every container). "
    "It bypasses the runtime's access control and audit trail. Use `docker exec` / `kubectl "
    "exec` or `kubectl debug` to get a shell instead.",
    example="FROM ubuntu:24.04\n"
    "RUN apt-get update && apt-get install -y --no-install-recommends openssh-server\n"
    "EXPOSE 22\n"
    'CMD ["/usr/sbin/sshd", "-D"]',
    fix="Remove port 22 from EXPOSE (the instruction when 22 was its only port). Package "
    "installs and sshd commands are only reported: removing them needs a decision about how "
    "the container is reached.",
    fix_availability=FixAvailability.UNSAFE,
    fix_safety="Unsafe: EXPOSE is documentation for `docker run -P` and some orchestrators; "
    "tooling that publishes all exposed ports no longer publishes 22.",
    references=References(trivy=("DS004",), checkov=("CKV_DOCKER_1",), cis=("4.3",)),
)

_WIN_SSH = re.compile(r"(?i)OpenSSH\.Server")


def _ssh_package(manager: str, pkg: str) -> bool:
    name = re.split(r"[=<>~:]", pkg, maxsplit=1)[0].lower()
    if name.startswith("openssh-server") or name == "dropbear":
        return True
    if name == "ssh" and manager in ("apt-get", "apt", "aptitude"):
        return True
    return name == "openssh" and manager in ("apk", "pacman")


def _port_has_22(spec: str) -> tuple[bool, bool]:
    """(includes port 22 over TCP, is exactly 22)."""
    port, _, proto = spec.partition("/")
    if proto and proto.lower() != "tcp":
        return False, False
    if port == "22":
        return True, True
    lo, sep, hi = port.partition("-")
    if sep and lo.isdigit() and hi.isdigit():
        return int(lo) <= 22 <= int(hi), False
    return False, False


def _lineage(df: Dockerfile) -> list[Stage]:
    final = df.final_stage
    return stages.chain(final) if final is not None else []


def check(ctx: CheckContext) -> Iterator[Diagnostic]:
    df = ctx.df
    for stage in _lineage(df):
        for ins in stage.instructions:
            if ins.cmd == "EXPOSE":
                yield from _expose(ctx, df, stage, ins)
            elif ins.cmd == "RUN":
                yield from _installs(ctx, df, ins)
        cmds = [x for x in stage.instructions if x.cmd in ("CMD", "ENTRYPOINT")]
        for ins in cmds:
            if _runs_sshd(ins):
                yield ctx.at(RULE, ins, f"{ins.cmd} starts sshd: do not run an SSH server in a container")


def _expose(ctx: CheckContext, df: Dockerfile, stage: Stage, ins: Instruction) -> Iterator[Diagnostic]:
    words = tokenize(ins.args)
    if len(words) != 1:
        return
    ws = words[0].words
    env: dict[str, str | None] | None = None
    for w in ws:
        spec = w.value
        if "$" in spec:
            if env is None:
                env = stages.stage_env(df, stage, ins)
            resolved = stages.resolve(spec, env)
            if resolved is None:
                continue
            spec = resolved
        has, exact = _port_has_22(spec.strip())
        if not has:
            continue
        s, e = ins.arg_src(w.start), ins.arg_src(w.end, end=True)
        fix = None
        if exact:
            if len(ws) == 1:
                fix = unsafe_fix("delete `EXPOSE 22`", edits.delete(df, ins))
            else:
                script = Script(ins, ins, "args", ins.args, escape=df.escape)
                edit = delete_span(df, script, w.start, w.end)
                if edit is not None:
                    fix = unsafe_fix(f"remove `{w.value}` from EXPOSE", edit)
            msg = "EXPOSE 22 advertises an SSH port: containers should not run SSH"
        else:
            msg = f"EXPOSE {w.value} includes port 22 (SSH): containers should not run SSH"
        yield ctx.diagnostic(RULE, s, max(s, e), msg, fix=fix)


def _installs(ctx: CheckContext, df: Dockerfile, ins: Instruction) -> Iterator[Diagnostic]:
    if stages.windows_at(df, ins):
        m = _WIN_SSH.search(ins.args)
        if m:
            s = ins.arg_src(m.start())
            yield ctx.diagnostic(
                RULE, s, max(s, ins.arg_src(m.end(), end=True)), "installs the OpenSSH server capability"
            )
        return
    for script in run_scripts(ins):
        if script.kind not in ("args", "heredoc", "json"):
            continue  # an exec form runs no installer through a shell; nested `sh -c` not read
        for cmd in script.commands():
            prog = cmd.prog
            subs = INSTALL_SUBCOMMANDS.get(prog)
            if subs is None:
                continue
            args = cmd.words[1:]
            started = False
            for w in args:
                v = w.value
                if not started:
                    if v in subs:
                        started = True
                    continue
                if v.startswith("-"):
                    continue
                if _ssh_package(prog, v):
                    if script.kind == "json":
                        s, e = ins.start + len(ins.indent), ins.content_end
                    else:
                        s, e = script.pos(w.start), script.pos(w.end, end=True)
                    yield ctx.diagnostic(
                        RULE,
                        s,
                        max(s, e),
                        f"installs `{v}`, an SSH server: containers should not run SSH",
                    )


def _runs_sshd(ins: Instruction) -> bool:
    if ins.json is not None:
        argv = ins.json
        progs = [argv[0]] if argv else []
        if len(argv) >= 3 and argv[0].rsplit("/", 1)[-1] in ("sh", "bash") and "-c" in argv[1:2]:
            progs += [c.program() for c in tokenize(argv[2])]
    else:
        progs = [c.program() for c in tokenize(ins.args)]
    return any(p.rsplit("/", 1)[-1] == "sshd" for p in progs)
