"""HF415: `rm -rf "$VAR"/…` where an unset or empty variable makes it `rm -rf /…`."""

from __future__ import annotations

import re
from collections.abc import Iterator

from hardenify.context import CheckContext
from hardenify.diagnostics import Diagnostic, Severity
from hardenify.dockerfile.model import Dockerfile, Instruction, arg_pairs, env_pairs
from hardenify.dockerfile.runs import program_name, run_text
from hardenify.rules import References, Rule

RULE = Rule(
    code="HF415",
    name="unguarded-rm-variable",
    severity=Severity.WARNING,
    summary='`rm -r` of `"$VAR"/…` where an unset or empty variable deletes from `/`.',
    what="Reports `rm` with `-r`/`-R`/`--recursive` whose operand starts with a variable followed "
    'by `/` (`$DIR/*`, `"${DIR}"/cache`, `${DIR}/`), when the variable has no non-empty value '
    "from an `ENV` or an `ARG` default of the stage (or its parents, or the global ARGs) and is not "
    "assigned earlier in the same RUN. `${DIR:?}` and `${DIR:-default}` are guarded and pass.",
    why='An empty variable turns `rm -rf "$DIR"/*` into `rm -rf /*`: a typo in a build argument, a '
    "variable renamed in one place, or an ARG not passed wipes the image's file system (Steam's "
    "installer famously did this to home directories). The build may even succeed and ship an "
    "image without its files.",
    example='FROM debian:bookworm-slim\nARG PREFIX\nRUN rm -rf "$PREFIX"/share/doc',
    fix="No automatic fix: write `${PREFIX:?}` (the shell then stops with an error when it is "
    "empty), give the ARG a default, or use an absolute path.",
    references=References(),
)

_VAR_SLASH = re.compile(r"^\"?\$(?:\{(?P<b>[A-Za-z_]\w*)(?P<op>[^}]*)\}|(?P<p>[A-Za-z_]\w*))\"?/")
_ASSIGN = re.compile(r"(?:^|[\s;&|(])(?:export\s+|local\s+|readonly\s+)?([A-Za-z_]\w*)=")
_READ = re.compile(r"\bread\s+(?:-\w+\s+)*([A-Za-z_]\w*)|\bfor\s+([A-Za-z_]\w*)\s+in\b")


def _set_names(df: Dockerfile, ins: Instruction) -> set[str]:
    """Names with a non-empty value from ENV, ARG defaults (stage chain) or global ARGs."""
    names: set[str] = set()
    for name, value in df.global_args.items():
        if value:
            names.add(name)
    stage = df.stage_of(ins)
    if stage is None:
        return names
    for prior in stage.chain_instructions:
        if prior is ins:
            break
        if prior.cmd == "ENV":
            names.update(k for k, v, _, _ in env_pairs(prior) if v)
        elif prior.cmd == "ARG":
            for k, v in arg_pairs(prior):
                if v:
                    names.add(k)
                elif df.global_args.get(k):
                    names.add(k)  # ARG NAME re-declares a global with its default
    return names


def check(ctx: CheckContext) -> Iterator[Diagnostic]:
    df = ctx.df
    for ins in df.instructions:
        run = ins.run
        if run is None or run.json is not None or "rm" not in run.args + run_text(run):
            continue
        text = run_text(run)
        assigned = {m.group(1) for m in _ASSIGN.finditer(text)}
        assigned |= {m.group(1) or m.group(2) for m in _READ.finditer(text)}
        known: set[str] | None = None
        for cmd in ins.commands:
            if not cmd.words or program_name(cmd.words[0].value) != "rm":
                continue
            if not any(_recursive(w.raw) for w in cmd.words[1:]):
                continue
            for word in cmd.words[1:]:
                m = _VAR_SLASH.match(word.raw)
                if m is None:
                    continue
                name = m.group("b") or m.group("p")
                op = m.group("op") or ""
                if op.startswith((":?", "?", ":-", "-", ":=", "=")) or name in assigned:
                    continue
                if known is None:
                    known = _set_names(df, ins)
                if name in known:
                    continue
                if cmd.editable:
                    start, end = cmd.pos(word.start), cmd.pos(word.end, end=True)
                else:
                    start, end = cmd.span()
                yield ctx.diagnostic(
                    RULE,
                    start,
                    end,
                    f"`rm` of `{word.raw}` deletes from `/` when `{name}` is unset or empty: "
                    f"write `${{{name}:?}}` or give it a value",
                )


def _recursive(raw: str) -> bool:
    if raw == "--recursive":
        return True
    return raw.startswith("-") and not raw.startswith("--") and ("r" in raw or "R" in raw)
