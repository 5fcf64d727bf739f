"""HF504: CMD/ENTRYPOINT in shell form."""

from __future__ import annotations

import json
from collections.abc import Iterator

from hardenify.context import CheckContext, safe_fix, unsafe_fix
from hardenify.diagnostics import Diagnostic, Edit, Fix, FixAvailability, Severity
from hardenify.dockerfile import stages
from hardenify.dockerfile.model import Dockerfile, Instruction
from hardenify.dockerfile.shell import tokenize, uses_shell_features
from hardenify.rules import References, Rule

RULE = Rule(
    code="HF504",
    name="shell-form-cmd",
    severity=Severity.WARNING,
    summary="CMD/ENTRYPOINT in shell form runs under `/bin/sh -c`: the process does not get signals.",
    what="Reports CMD and ENTRYPOINT written in shell form (`CMD python app.py`) instead of exec "
    'form (`CMD ["python", "app.py"]`). Windows images are skipped.',
    why="In shell form the container's PID 1 is `/bin/sh -c '…'`. dash (Debian's /bin/sh) does "
    "not forward SIGTERM, so `docker stop` waits 10 s and then SIGKILLs the application without "
    "a graceful shutdown. A shell-form ENTRYPOINT also ignores CMD and `docker run` arguments.",
    example="FROM python:3.12-slim\nCOPY app.py /app/\nCMD python /app/app.py",
    fix="Rewrite as exec form, one JSON string per word (`json.dumps`), keeping the keyword "
    "case, comments and the continuation layout of a multi-line instruction. A leading `exec` "
    "is dropped (exec form already replaces the shell). Offered only when the command line uses "
    "no shell feature (no `$VAR`, operators, redirection, globbing, `~`, backslashes, "
    "comments), does not start with a variable assignment or a shell builtin, and the stage "
    "keeps the default SHELL.",
    fix_availability=FixAvailability.SOMETIMES,
    fix_safety="CMD: safe, the same program gets the same arguments, it just runs as PID 1. "
    "Unsafe when the stage (or a stage it is built FROM) sets an ENTRYPOINT: that entrypoint "
    "then receives the words instead of `/bin/sh -c '…'` (an ENTRYPOINT inherited from the "
    'base image cannot be seen; entrypoint scripts that end in `exec "$@"` behave the same '
    "either way). ENTRYPOINT: unsafe, because in exec form the stage's CMD and `docker run` "
    "arguments are appended to it where the shell form ignored them.",
    references=References(hadolint=("DL3025",), buildkit=("JSONArgsRecommended",)),
)

# Shell builtins and keywords that have no binary (or mean something else as one).
_BUILTINS = frozenset(
    [
        "cd",
        "export",
        "source",
        ".",
        "set",
        "unset",
        "ulimit",
        "umask",
        "trap",
        "eval",
        "exit",
        "alias",
        "shift",
        "readonly",
        "local",
        "return",
        "break",
        "continue",
        "wait",
        "read",
        ":",
        "if",
        "then",
        "else",
        "elif",
        "fi",
        "for",
        "while",
        "until",
        "do",
        "done",
        "case",
        "esac",
        "function",
        "select",
        "!",
        "{",
        "}",
        "[[",
        "]]",
        "let",
        "declare",
        "typeset",
        "getopts",
        "hash",
        "type",
        "command",
        "builtin",
        "jobs",
        "fg",
        "bg",
        "times",
        "exec",
    ]
)


def check(ctx: CheckContext) -> Iterator[Diagnostic]:
    df = ctx.df
    for ins in df.instructions:
        if ins.cmd not in ("CMD", "ENTRYPOINT") or ins.json is not None or stages.windows_at(df, ins):
            continue
        args = ins.args
        if not args.strip() or args.lstrip(" \t").startswith("["):
            continue  # empty, or broken JSON (HF001 reports it)
        yield ctx.at(
            RULE,
            ins,
            f"{ins.cmd} in shell form runs under `/bin/sh -c` (no signals for the app): use exec form",
            fix=_fix(df, ins),
        )


def _fix(df: Dockerfile, ins: Instruction) -> Fix | None:
    stage = stages.stage_of(df, ins)
    if stage is None or stages.has_shell_instruction(stage):
        return None
    args = ins.args
    if uses_shell_features(args):
        return None
    cmds = tokenize(args)
    if len(cmds) != 1:
        return None
    words = list(cmds[0].words)
    if words and words[0].value == "exec":
        words = words[1:]
    if not words:
        return None
    first = words[0].value
    if first in _BUILTINS or "=" in first or not first:
        return None
    if any(w.value == "" for w in words):
        return None
    parts: list[Edit] = []
    text = df.text
    drop_start = ins.arg_src(cmds[0].words[0].start) if words[0] is not cmds[0].words[0] else None
    for n, w in enumerate(words):
        s = ins.arg_src(w.start)
        e = ins.arg_src(w.end, end=True)
        if e - s != w.end - w.start:
            return None  # a word split across lines: leave it
        literal = json.dumps(w.value, ensure_ascii=False)
        if n == 0:
            literal = "[" + literal
        if n == len(words) - 1:
            literal += "]"
        if n + 1 < len(words):
            nxt = ins.arg_src(words[n + 1].start)
            gap = text[e:nxt]
            if "\n" not in gap:
                parts.append(Edit(s, nxt, literal + ", "))
                continue
            literal += ","
        parts.append(Edit(s, e, literal))
    if drop_start is not None:
        # remove `exec ` (and its blanks) before the first word
        first_start = ins.arg_src(words[0].start)
        if "\n" in text[drop_start:first_start]:
            return None
        parts.append(Edit(drop_start, first_start, ""))
    parts.sort(key=lambda x: x.start)
    # merge touching edits so the engine sees disjoint spans
    merged: list[Edit] = []
    for p in parts:
        if merged and merged[-1].end == p.start:
            last = merged.pop()
            merged.append(Edit(last.start, p.end, last.content + p.content))
        else:
            merged.append(p)
    if ins.cmd == "ENTRYPOINT":
        return unsafe_fix("rewrite ENTRYPOINT in exec form", *merged)
    if any(x.cmd == "ENTRYPOINT" for x in stages.chain_instructions(stage)):
        # the CMD is passed to that ENTRYPOINT: it now gets the words, not `/bin/sh -c '…'`
        return unsafe_fix("rewrite CMD in exec form (it is passed to the ENTRYPOINT)", *merged)
    return safe_fix("rewrite CMD in exec form", *merged)
