"""HF620: a compose service passes a secret to its build as a build argument."""

from __future__ import annotations

from collections.abc import Iterator

from hardenify.compose.findings import Finding, model, node_span, report
from hardenify.compose.model import ComposeFile, Node, is_map, is_scalar, is_seq, text_of
from hardenify.compose.service import has_vars
from hardenify.context import CheckContext
from hardenify.diagnostics import Diagnostic, Severity
from hardenify.rules import References, Rule

RULE = Rule(
    code="HF620",
    name="secret-build-arg",
    severity=Severity.WARNING,
    summary="A compose `build.args` entry passes a secret (TOKEN, PASSWORD, API_KEY...) to the build.",
    what="Reports `build: args:` entries (mapping and `NAME=value` list syntax) whose name looks "
    "like a secret, by the same name rules as HF301, whether the value is written in the file or "
    "comes from a variable (`NPM_TOKEN: ${NPM_TOKEN}`). A value written in the file is also "
    "redacted from every output. Names whose value is clearly not a credential (a `*_FILE` path, "
    "`*_KEY_ID`) follow HF301's exceptions.",
    why="Build arguments are not secret: every `ARG` a RUN uses is recorded in the image's history "
    "(`docker history --no-trunc`) and in provenance attestations, so the token ships with the "
    "image to everyone who can pull it. A literal value is also committed to the repository.",
    example="services:\n  web:\n    build:\n      context: .\n      args:\n        NPM_TOKEN: ${NPM_TOKEN}",
    fix="No automatic fix here: pass it as a build secret (`build: secrets: [npm_token]` with a "
    "top-level `secrets: npm_token: environment: NPM_TOKEN`) and read it in the Dockerfile with "
    "`RUN --mount=type=secret,id=npm_token,env=NPM_TOKEN`; `hardenify fix` does the Dockerfile "
    "side (HF301) and wires `build.secrets` (HF616).",
    references=References(cis=("4.10",)),
    kinds=("compose",),
    registers_secrets=True,
)


def check(ctx: CheckContext) -> Iterator[Diagnostic]:
    cf = model(ctx)
    if cf is not None:
        yield from report(ctx, RULE, _findings(ctx, cf))


def _findings(ctx: CheckContext, cf: ComposeFile) -> Iterator[Finding]:
    from hardenify.secrets import is_placeholder, is_secret_name

    for svc in cf.services:
        build = svc.get("build")
        if build is None or not is_map(build.value):
            continue
        args = cf.lookup(build.value, "args")
        if args is None:
            continue
        pairs: list[tuple[Node, str, str | None]] = []
        if is_map(args.value):
            for key in cf.keys(args.value):
                e = cf.lookup(args.value, key)
                value = text_of(e.value) if e is not None and is_scalar(e.value) else None
                if e is not None:
                    pairs.append((e.value, key, value))
        elif is_seq(args.value):
            for item in args.value.value:
                if is_scalar(item):
                    name, sep, value = (text_of(item) or "").partition("=")
                    pairs.append((item, name.strip(), value if sep else None))
        for node, name, value in pairs:
            if not is_secret_name(name):
                continue
            if value is not None and value.strip() == "":
                continue  # an empty string passes nothing
            literal = value is not None and not has_vars(value)
            if literal and value is not None and is_placeholder(value):
                continue
            if literal and value is not None:
                ctx.secret(value)
            start, end = node_span(cf, node)
            how = "with its value written in the file" if literal else "from the environment"
            msg = f"service `{svc.name}` passes `{name}` to its build as a build argument ({how})"
            yield Finding(start, end, msg, (svc.start, build.start))
