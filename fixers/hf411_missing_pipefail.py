"""HF411: a RUN pipeline can fail without failing the build (no pipefail)."""

from __future__ import annotations

from collections.abc import Iterator

from hardenify.context import CheckContext, unsafe_fix
from hardenify.diagnostics import Diagnostic, Edit, Fix, FixAvailability, Severity
from hardenify.dockerfile import stages
from hardenify.dockerfile.edits import keyword_like
from hardenify.dockerfile.model import Dockerfile, Instruction
from hardenify.dockerfile.runedits import group_members, insert_line_before, is_case_pattern
from hardenify.dockerfile.runs import Cmd, Script, run_scripts
from hardenify.knowledge.images import is_debian_with_bash
from hardenify.rules import References, Rule

RULE = Rule(
    code="HF411",
    name="missing-pipefail",
    severity=Severity.WARNING,
    summary="A RUN uses a pipe, but a failure on the left of `|` does not fail the build.",
    what="Reports a shell-form RUN whose command line has a pipe `|` when neither the RUN "
    "itself (`set -o pipefail` before the pipe) nor the SHELL in force for the stage "
    '(`SHELL ["/bin/bash", "-o", "pipefail", "-c"]`, inherited through `FROM <stage>`) '
    "turns on pipefail. Pipes whose left side can only be `echo`/`printf`/`true` are not "
    "reported (nothing to mask). Exec-form RUN, heredoc scripts, non-POSIX shells (`cmd`, "
    "PowerShell) and Windows images are skipped.",
    why="A pipeline's exit status is that of its last command: in `curl -fsSL $URL | tar -xz` a "
    '404 or a dropped connection leaves `tar` with empty input, the step "succeeds", and the '
    "image ships without the files (or with a half-written binary). pipefail makes the build "
    "stop at the real error.",
    example="FROM debian:bookworm-slim\n"
    "RUN curl -fsSL https://example.com/tool.tar.gz | tar -xz -C /usr/local/bin",
    fix="When the stage's base is a Debian/Ubuntu official image (which ships bash) and no SHELL "
    'is set, insert `SHELL ["/bin/bash", "-o", "pipefail", "-c"]` before the first '
    "such RUN. When the stage already sets a bash/zsh/ash/ksh SHELL in exec form without "
    'pipefail, add `"-o", "pipefail"` to it. Elsewhere there is no fix: Debian\'s `/bin/sh` '
    "(dash 0.5.12 in bookworm, trixie and Ubuntu 24.04; pipefail came in a later dash) rejects "
    "`set -o pipefail`, Alpine and distroless "
    'bases have no bash (on Alpine, `SHELL ["/bin/ash", "-o", "pipefail", "-c"]` works), '
    "and adding `set -o pipefail;` to a RUN would break the build under dash.",
    fix_availability=FixAvailability.UNSAFE,
    fix_safety="Unsafe: every later RUN of the stage (and of stages built FROM it) then runs "
    "under bash with pipefail instead of `/bin/sh`. A pipeline that relied on an ignored "
    "failure (`yes | head`, `grep -q` closing the pipe early, `cmd | tee log` with a failing "
    "`cmd`) now stops the build, and scripts that depend on dash-specific behaviour may "
    "change.",
    references=References(hadolint=("DL4006",), trivy=("DS032",)),
)

_HARMLESS = frozenset({"echo", "printf", "true", "yes", ":"})
_PIPEFAIL_SHELLS = frozenset({"bash", "zsh", "ash", "ksh", "mksh"})


def has_pipefail_flag(argv: list[str]) -> bool:
    """`-o pipefail` (or `-euxo pipefail`) among a shell's arguments."""
    for i, a in enumerate(argv[:-1]):
        if argv[i + 1] != "pipefail":
            continue
        if a == "-o" or (a.startswith("-") and not a.startswith("--") and a.endswith("o")):
            return True
    return False


def _sets_pipefail(cmd: Cmd) -> bool:
    if cmd.prog != "set":
        return False
    return has_pipefail_flag(cmd.values)


def masked_pipe(cmds: list[Cmd]) -> Cmd | None:
    """The first command whose output is piped while pipefail is off, or None."""
    pipefail = False
    i = 0
    while i < len(cmds):
        c = cmds[i]
        if _sets_pipefail(c):
            pipefail = True
        j = i
        while j + 1 < len(cmds) and cmds[j].after in ("|", "|&"):
            j += 1
        if j > i and not pipefail and not is_case_pattern(cmds[i : j + 1]):
            left = group_members(cmds, i) + cmds[i + 1 : j]
            for x in left:
                prog = _name(x)
                if prog not in _HARMLESS and prog not in ("{", "}"):
                    return x
        i = j + 1
    return None


def _name(cmd: Cmd) -> str:
    """The program, or the word that closes a compound command (`}`, `fi`, `done`, `esac`)."""
    words = cmd.words or [w for w in cmd.all_words[-1:] if w.value in ("}", "fi", "done", "esac")]
    return words[0].value.rsplit("/", 1)[-1].lstrip("(").rstrip(")") if words else ""


def check(ctx: CheckContext) -> Iterator[Diagnostic]:
    df = ctx.df
    for ins in df.instructions:
        if ins.cmd != "RUN" or ins.json is not None or ins.heredocs or stages.windows_at(df, ins):
            continue
        shell = stages.shell_at(df, ins)
        if not stages.is_posix_shell(shell) or (shell is not None and has_pipefail_flag(shell)):
            continue
        scripts = [s for s in run_scripts(ins) if s.kind == "args"]
        if not scripts:
            continue
        script: Script = scripts[0]
        first = masked_pipe(script.commands())
        if first is None:
            continue
        s = script.pos(first.start)
        name = _name(first)
        yield ctx.diagnostic(
            RULE,
            s,
            max(s, script.pos(first.end, end=True)),
            f"a failure of `{name}` piped into another command is ignored: the RUN succeeds "
            "whenever the last command of the pipe does (no pipefail)",
            fix=_fix(df, ins),
        )


def _fix(df: Dockerfile, ins: Instruction) -> Fix | None:
    stage = stages.stage_of(df, ins)
    if stage is None:
        return None
    if not stages.has_shell_instruction(stage):
        image = stages.root_image(df, stage)
        if not is_debian_with_bash(image):
            return None
        first = _first_piped_run(df, ins)
        if first is None:
            return None
        kw = keyword_like(first.keyword, "SHELL")
        edit = insert_line_before(df, first, f'{kw} ["/bin/bash", "-o", "pipefail", "-c"]')
        return unsafe_fix(
            'insert `SHELL ["/bin/bash", "-o", "pipefail", "-c"]` before the first piped RUN', edit
        )
    # a SHELL in this stage: add -o pipefail to the last one before the RUN, if it can take it
    last = None
    for x in stage.instructions:
        if x is ins:
            break
        if x.cmd == "SHELL":
            last = x
    if last is None or not last.json or "-c" not in last.json[1:]:
        return None
    if stages.shell_at(df, ins) != last.json or stages.shell_name(last.json) not in _PIPEFAIL_SHELLS:
        return None
    # insert after the first JSON string: ["/bin/bash", → ["/bin/bash", "-o", "pipefail",
    args = last.args
    open_ = args.find("[")
    if open_ < 0:
        return None
    q1 = args.find('"', open_)
    q2 = _string_end(args, q1)
    if q1 < 0 or q2 < 0:
        return None
    pos = last.arg_src(q2 + 1, end=True)
    edit = Edit(pos, pos, ', "-o", "pipefail"')
    return unsafe_fix('add `"-o", "pipefail"` to the stage\'s SHELL', edit)


def _string_end(s: str, q1: int) -> int:
    if q1 < 0:
        return -1
    i = q1 + 1
    while i < len(s):
        if s[i] == "\\":
            i += 2
            continue
        if s[i] == '"':
            return i
        i += 1
    return -1


def _first_piped_run(df: Dockerfile, ins: Instruction) -> Instruction | None:
    stage = stages.stage_of(df, ins)
    if stage is None:
        return None
    for x in stage.instructions:
        if x.cmd != "RUN" or x.json is not None or x.heredocs:
            if x is ins:
                break
            continue
        scripts = [s for s in run_scripts(x) if s.kind == "args"]
        if scripts and masked_pipe(scripts[0].commands()) is not None:
            return x
        if x is ins:
            break
    return ins
