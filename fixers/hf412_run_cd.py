"""HF412: `RUN cd /dir && …` instead of WORKDIR."""

from __future__ import annotations

import posixpath
import re
from collections.abc import Iterator

from hardenify.context import CheckContext, unsafe_fix
from hardenify.diagnostics import Diagnostic, Fix, FixAvailability, Severity
from hardenify.dockerfile import stages
from hardenify.dockerfile.edits import keyword_like
from hardenify.dockerfile.model import Dockerfile, Instruction, Stage
from hardenify.dockerfile.runedits import delete_span, insert_line_before
from hardenify.dockerfile.runs import Cmd, Script, run_scripts
from hardenify.dockerfile.shell import tokenize
from hardenify.rules import References, Rule

RULE = Rule(
    code="HF412",
    name="run-cd",
    severity=Severity.WARNING,
    summary="A RUN starts with `cd DIR &&`: use WORKDIR to change directory.",
    what="Reports a shell-form RUN whose first command is `cd` followed by `&&` or `;` "
    "(a `cd` later in the command line, e.g. after `git clone`, is not reported). A RUN that "
    "is only `cd DIR` is reported too: it has no effect. Windows images and non-POSIX shells "
    "are skipped.",
    why="The directory change only lasts for that one RUN, so every later RUN, COPY and CMD "
    "must repeat it, and it is easy to get wrong when steps are reordered. WORKDIR states the "
    "directory once, creates it when missing, and documents where the image's commands run.",
    example="FROM golang:1.23-bookworm\n"
    "COPY . /src\n"
    "RUN cd /src && go build -o /out/app ./cmd/app\n"
    "WORKDIR /app",
    fix="Insert `WORKDIR DIR` before the RUN and drop `cd DIR && ` from it (the layout of a "
    "multi-line RUN is kept). Offered only when DIR is a plain absolute path (or a relative one "
    "resolved against an earlier absolute WORKDIR of the stage), `cd` takes no options, no "
    "later `cd -`, `pushd`/`popd` or `$OLDPWD` depends on the previous directory, no relative "
    "`--mount` target would move, and the new working directory cannot reach anything that "
    "depends on it: before the next absolute WORKDIR of the stage there is only ENV, ARG, "
    "LABEL, EXPOSE, USER, STOPSIGNAL, SHELL, COPY/ADD to absolute destinations and RUNs that "
    "themselves start with `cd /abs`; and the stage is neither the final stage nor a base of "
    "another stage.",
    fix_availability=FixAvailability.UNSAFE,
    fix_safety="Unsafe: WORKDIR creates DIR when it does not exist (as root), where `cd` failed "
    "the build, and the working directory of the RUN is now also the stage's from that point "
    "on. The conditions above keep that from reaching anything that reads it, but scripts run "
    "by the RUN that inspect `$PWD` or `OLDPWD` could still see a difference.",
    references=References(hadolint=("DL3003",), trivy=("DS013",)),
)

_PLAIN_PATH = re.compile(r"^[A-Za-z0-9_./@+:,=-]+$")
_NEUTRAL = frozenset({"ENV", "ARG", "LABEL", "EXPOSE", "USER", "STOPSIGNAL", "SHELL", "MAINTAINER"})


def check(ctx: CheckContext) -> Iterator[Diagnostic]:
    df = ctx.df
    for ins in df.instructions:
        if ins.cmd != "RUN" or ins.json is not None or ins.heredocs or stages.windows_at(df, ins):
            continue
        if not stages.is_posix_shell(stages.shell_at(df, ins)):
            continue
        scripts = [s for s in run_scripts(ins) if s.kind == "args"]
        if not scripts:
            continue
        script = scripts[0]
        cmds = script.commands()
        # `cd` itself (not `(cd …)`, a subshell), as the first word
        if not cmds or cmds[0].prog != "cd" or cmds[0].program_index != 0 or cmds[0].argv[0][:1] == "(":
            continue
        cd = cmds[0]
        s = script.pos(cd.start)
        e = max(s, script.pos(cd.end, end=True))
        if len(cmds) == 1:
            yield ctx.diagnostic(RULE, s, e, "`RUN cd …` on its own has no effect: use WORKDIR")
            continue
        if cd.after not in ("&&", ";"):
            continue
        args = cd.values
        target = args[0] if args else "~"
        yield ctx.diagnostic(
            RULE,
            s,
            e,
            f"`cd {target}` only lasts for this RUN: use `WORKDIR {target}`",
            fix=_fix(df, ins, script, cmds),
        )


def _fix(df: Dockerfile, ins: Instruction, script: Script, cmds: list[Cmd]) -> Fix | None:
    cd = cmds[0]
    if cd.after != "&&":
        return None
    text = script.text
    args = cd.values
    if len(args) != 1 or args[0] == "-" or args[0].startswith("-"):
        return None
    word = cd.words[1]
    if word.raw != word.value or not _PLAIN_PATH.match(word.value):
        return None
    stage = stages.stage_of(df, ins)
    if stage is None:
        return None
    path = word.value
    if not path.startswith("/"):
        base = _current_workdir(stage, ins)
        if base is None:
            return None
        path = posixpath.join(base, path)
    path = posixpath.normpath(path)
    if not path.startswith("/") or path.startswith("//"):
        return None
    # nothing later in the RUN may depend on the directory the RUN started in
    for c in cmds[1:]:
        prog = c.prog
        if prog in ("pushd", "popd", "dirs") or (prog == "cd" and "-" in c.values):
            return None
    if "OLDPWD" in text:
        return None
    for f in ins.flags:
        if f.name == "mount":
            target = f.options().get("target") or f.options().get("dst") or f.options().get("destination")
            if target and not target.startswith("/"):
                return None
    if not _later_is_independent(df, stage, ins):
        return None
    op = text.find("&&", cd.end)
    if op < 0 or op >= cmds[1].start:
        return None
    cut = delete_span(df, script, cd.start, op + 2)
    if cut is None:
        return None
    kw = keyword_like(ins.keyword, "WORKDIR")
    add = insert_line_before(df, ins, f"{kw} {path}")
    return unsafe_fix(f"move `cd {word.value}` to `WORKDIR {path}`", add, cut)


def _current_workdir(stage: Stage, ins: Instruction) -> str | None:
    """The absolute WORKDIR set earlier in this stage, or None when unknown."""
    cur: str | None = None
    for x in stage.instructions:
        if x is ins:
            break
        if x.cmd == "WORKDIR":
            p = x.args.strip()
            if "$" in p or '"' in p or "'" in p or not p:
                cur = None
            elif p.startswith("/"):
                cur = posixpath.normpath(p)
            elif cur is not None:
                cur = posixpath.normpath(posixpath.join(cur, p))
    return cur


def _later_is_independent(df: Dockerfile, stage: Stage, ins: Instruction) -> bool:
    """No instruction after `ins` in the stage can observe a different working directory."""
    after = False
    for x in stage.instructions:
        if x is ins:
            after = True
            continue
        if not after:
            continue
        if x.cmd == "WORKDIR":
            p = x.args.strip()
            return p.startswith("/")
        if x.cmd in _NEUTRAL:
            continue
        if x.cmd in ("COPY", "ADD"):
            if x.json is not None:
                dest = x.json[-1] if x.json else ""
            else:
                words = x.words()
                dest = words[-1] if words else ""
            if dest.startswith("/"):
                continue
            return False
        if x.cmd == "RUN" and x.json is None and not x.heredocs:
            cmds = tokenize(x.args)
            if (
                cmds
                and cmds[0].program() == "cd"
                and cmds[0].program_index() == 0
                and cmds[0].after in ("&&", ";")
                and len(cmds[0].args()) == 1
                and cmds[0].args()[0].startswith("/")
            ):
                continue
        return False
    # end of the stage: the WORKDIR would become the image's (or a child stage's) directory
    return stage is not df.final_stage and not stages.children(df, stage)
