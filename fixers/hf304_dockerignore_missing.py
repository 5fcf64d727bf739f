"""HF304: `COPY . <dest>` sends the whole build context without a .dockerignore that keeps
credentials and `.git` out."""

from __future__ import annotations

from collections.abc import Iterator

from hardenify.context import CheckContext
from hardenify.diagnostics import Diagnostic, Severity
from hardenify.dockerfile.model import Instruction, split_words, unquote
from hardenify.knowledge.dockerignore import missing_entries
from hardenify.rules import References, Rule

RULE = Rule(
    code="HF304",
    name="dockerignore-missing",
    severity=Severity.WARNING,
    summary="COPY/ADD of the whole build context without a .dockerignore that excludes secrets.",
    what="Reports `COPY . <dest>` and `ADD . <dest>` (also `./`, `*` and `/` as the source, shell or "
    "exec form, not `--from`) when the build context has no `.dockerignore` (nor a "
    "`<Dockerfile>.dockerignore`), or when it does not exclude `.git`, `.env`, `.env.*`, `.aws`, `.ssh`, "
    "`.npmrc`, `.netrc`, `.pypirc`, `.git-credentials`, `.docker/config.json`, `**/*.pem`, `**/*.key` "
    "and SSH keys. The message names what is missing. Paths a `!` exception re-includes on purpose are "
    "respected. Input read from stdin is skipped (its build context is unknown).",
    why="`COPY .` copies everything the context holds into a layer: the `.git` directory (history, "
    "remotes with tokens), local `.env` files, cloud credentials and private keys that happen to sit "
    "in the project directory. A `.dockerignore` keeps them out of the builder altogether.",
    example='FROM python:3.12-slim\nWORKDIR /app\nCOPY . .\nCMD ["python", "app.py"]',
    fix="No fix in the Dockerfile. Create a `.dockerignore` (`hardenify fix` writes one for the detected "
    "stack) or add the missing entries (HF305 fixes an existing one). Copying only what the image "
    "needs (`COPY src/ ./src/`) avoids the problem too.",
    references=References(),
)

_WHOLE_CONTEXT = frozenset({".", "./", "*", "./*", "/"})


def whole_context_copy(ins: Instruction) -> bool:
    if ins.cmd not in ("COPY", "ADD") or ins.heredocs or ins.flag("from") is not None:
        return False
    words = ins.json if ins.json is not None else [unquote(w) for w in split_words(ins.args)]
    return len(words) >= 2 and any(w in _WHOLE_CONTEXT for w in words[:-1])


def check(ctx: CheckContext) -> Iterator[Diagnostic]:
    if ctx.filename in ("-", "<stdin>"):
        return
    df = ctx.df
    copies = []
    for ins in df.instructions:
        target = ins.sub if ins.cmd == "ONBUILD" and ins.sub is not None else ins
        if whole_context_copy(target):
            copies.append(ins)
    if not copies:
        return
    if not ctx.has_dockerignore:
        msg = (
            "{cmd} copies the whole build context and there is no .dockerignore: `.git`, `.env` files, "
            "keys and credentials in the project directory end up in the image"
        )
    else:
        if ctx.dockerignore is None:
            return
        missing = missing_entries(ctx.dockerignore)
        if not missing:
            return
        msg = "{cmd} copies the whole build context and .dockerignore does not exclude " + ", ".join(
            f"`{m}`" for m in missing
        )
    for ins in copies:
        cmd = ins.sub.cmd if ins.cmd == "ONBUILD" and ins.sub is not None else ins.cmd
        yield ctx.at(RULE, ins, msg.format(cmd=f"`{cmd} .`"))
