"""HF104: world-writable permissions (`chmod 777`, `o+w`, `COPY --chmod=777`)."""

from __future__ import annotations

import re
from collections.abc import Iterator

from hardenify.context import CheckContext
from hardenify.diagnostics import Diagnostic, Severity
from hardenify.dockerfile.model import Instruction
from hardenify.dockerfile.runs import Script, run_scripts
from hardenify.dockerfile.shell import Command
from hardenify.dockerfile.users import looks_windows
from hardenify.rules import References, Rule

RULE = Rule(
    code="HF104",
    name="world-writable-permissions",
    severity=Severity.WARNING,
    summary="A file or directory is made world-writable (`chmod 777`, `o+w`, `--chmod=777`).",
    what="Reports modes that give write permission to others: `chmod` (with or without `-R`), "
    "`mkdir -m` and `install -m` in RUN, and `COPY`/`ADD --chmod`. Numeric modes whose last digit "
    "has the write bit (777, 666, 0757...) and symbolic modes such as `a+w`, `o+rwx`, `a=rwx` are "
    "reported. Modes with the sticky bit (`1777`, `+t`, the /tmp pattern) and modes without an "
    "explicit `o`/`a` (`+w`, which the umask limits) are not.",
    why="A world-writable path can be changed by every user in the container, including a "
    "compromised low-privilege process: replacing a script or binary that root (or the app) later "
    "runs is a classic privilege escalation, and writable config or code lets an attacker persist. "
    "`chmod -R 777` is usually a shortcut around an ownership problem.",
    example="FROM node:22-slim\nCOPY . /app\nRUN chmod -R 777 /app",
    fix="Give the runtime user ownership of only the paths it must write "
    "(`COPY --chown=10001:10001 ...`, `chown 10001:10001 /app/data`) and use 755/644 (or 775 "
    "with a shared group) elsewhere.\n\nThere is no automatic fix: a narrower mode is only "
    "equivalent when nobody but the owner writes, and which user must write is not in the "
    "Dockerfile.",
    references=References(),
)

_NUMERIC = re.compile(r"^[0-7]{1,4}$")
_CLAUSE = re.compile(r"^([ugoa]*)((?:[-+=][rwxXstugo]*)+)$")


def world_writable(mode: str) -> bool:
    """Does the chmod mode give write permission to others (without the sticky bit)?"""
    mode = mode.strip()
    if _NUMERIC.match(mode):
        digits = mode.rjust(4, "0")
        special, others = int(digits[0]), int(digits[-1])
        return bool(others & 2) and not special & 1
    hit = False
    for clause in mode.split(","):
        m = _CLAUSE.match(clause)
        if not m:
            return False
        who, ops = m.group(1), m.group(2)
        for op in re.findall(r"[-+=][rwxXstugo]*", ops):
            if op[0] in "+=" and "t" in op:
                return False
            if op[0] in "+=" and "w" in op and ("o" in who or "a" in who):
                hit = True
    return hit


def _mode_arg(cmd: Command, prog: str, index: int) -> int | None:
    """Index into cmd.words of the mode operand of chmod/mkdir/install, or None."""
    words = cmd.words
    i = index + 1
    if prog == "chmod":
        while i < len(words):
            v = words[i].value
            if v == "--":
                return i + 1 if i + 1 < len(words) else None
            if v.startswith("--") or (v.startswith("-") and re.fullmatch(r"-[RfvcH]+", v)):
                i += 1
                continue
            return i
        return None
    # mkdir / install: -m MODE, -mMODE, --mode=MODE, combined short options (-pm 777)
    while i < len(words):
        v = words[i].value
        if v == "--":
            return None
        if v.startswith("--mode"):
            return i if "=" in v else (i + 1 if i + 1 < len(words) else None)
        if v.startswith("-") and not v.startswith("--") and "m" in v[1:]:
            j = v.index("m", 1)
            if j + 1 < len(v):
                return i
            return i + 1 if i + 1 < len(words) else None
        i += 1
    return None


def _mode_value(raw: str) -> str:
    if raw.startswith("--mode="):
        return raw.split("=", 1)[1]
    if raw.startswith("-") and "m" in raw[1:]:
        return raw[raw.index("m", 1) + 1 :]
    return raw


def _check_script(ctx: CheckContext, script: Script) -> Iterator[Diagnostic]:
    for c in script.commands():
        cmd, pi = c.command, c.program_index
        if pi >= len(cmd.words):
            continue
        prog = cmd.words[pi].value.rsplit("/", 1)[-1]
        if prog not in ("chmod", "mkdir", "install"):
            continue
        mi = _mode_arg(cmd, prog, pi)
        if mi is None:
            continue
        mode = _mode_value(cmd.words[mi].value)
        if "$" in mode or not world_writable(mode):
            continue
        start, end = script.span(cmd.words[pi].start, cmd.words[mi].end)
        if end <= start:
            end = script.run.content_end
        shown = " ".join(w.value for w in cmd.words[pi : mi + 1])
        yield ctx.diagnostic(
            RULE,
            start,
            end,
            f"`{shown}` makes paths world-writable: any process in the container can modify them; "
            "give the runtime user ownership of what it must write instead",
        )


def _check_copy(ctx: CheckContext, ins: Instruction) -> Iterator[Diagnostic]:
    for flag in ins.flags:
        if flag.name != "chmod" or flag.value is None or "$" in flag.value:
            continue
        if world_writable(flag.value):
            yield ctx.diagnostic(
                RULE,
                flag.start,
                flag.end,
                f"`--chmod={flag.value}` makes the copied files world-writable; use 755/644 and "
                "`--chown` for what the runtime user must write",
            )


def check(ctx: CheckContext) -> Iterator[Diagnostic]:
    df = ctx.df
    if looks_windows(df):
        return
    for ins in df.instructions:
        target = ins.sub if ins.cmd == "ONBUILD" and ins.sub is not None else ins
        if target.cmd in ("COPY", "ADD"):
            yield from _check_copy(ctx, target)
        elif ins.cmd in ("RUN", "ONBUILD"):
            seen: set[int] = set()
            for script in run_scripts(ins):
                for d in _check_script(ctx, script):
                    if d.start not in seen:
                        seen.add(d.start)
                        yield d
